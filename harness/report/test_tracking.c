/* What tracking tools and CI pages read from a run that has OOM cells, held
 * against the tools themselves: Google Benchmark's compare.py (Debian's
 * libbenchmark-tools), the parsers of github-action-benchmark's googlecpp
 * and Bencher's cpp_google (ported in harness/testing/tracking_tools.py),
 * the exports, and junit.xml against Jenkins' junit-10.xsd with xmllint.
 * The run: the tiny model on the CPU with the MPS accounting fault
 * emulated, so that every watermark-fix-off cell OOMs (allowed here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "mb_testing.h"
#include "mb_util.h"

typedef mb_test_fixture fixture;

static const char *const scenario_text =
    "name: emu\nmodel: builtin:tiny\ninput_size: 32\n"
    "images: {sizes: [64x48], per_job: 2}\n"
    "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [1]}\n"
    "run: {jobs: 2, warmup_jobs: 0, repetitions: 2, threads: 1}\n"
    "fault: {emulate_mps_accounting: true}\n"
    "overrides:\n  - when: {watermark_fix: off}\n    expect: {oom: allowed}\n";

/* Runs the scenario into TMP/run; returns the directory (heap). */
static char *oom_run(fixture *f)
{
    char *scenario = mb_test_write_file(&f->env, "emu.yaml", scenario_text);
    char *out = mb_asprintf("%s/run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts",
                          "--quiet", NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    if (code != 0)
        fail_msg("mpsbench run exited %d:\n%s", code, output);
    free(output);
    free(scenario);
    return out;
}

/* Runs a shell command with its output in *output (heap); returns its exit status. */
static int shell(const char *command, char **output)
{
    char *full = mb_asprintf("(%s) 2>&1", command);
    FILE *p = popen(full, "r");
    free(full);
    assert_non_null(p);
    mb_strbuf b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        mb_strbuf_printf(&b, "%.*s", (int)n, buf);
    int status = pclose(p);
    *output = b.s ? b.s : mb_strdup("");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool quiet_ok(const char *command)
{
    char *full = mb_asprintf("%s >/dev/null 2>&1", command);
    bool ok = system(full) == 0;
    free(full);
    return ok;
}

/* Debian's compare.py needs SciPy and NumPy in the Python that runs it,
 * which is the system's even where another python3 comes first in PATH. */
static const char *python_with_scipy(void)
{
    if (quiet_ok("python3 -c 'import scipy, numpy'"))
        return "python3";
    if (quiet_ok("/usr/bin/python3 -c 'import scipy, numpy'"))
        return "/usr/bin/python3";
    return NULL;
}

#define COMPARE_PY "/usr/share/benchmark/compare.py"

static void results_json_has_no_failed_entry(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *out = oom_run(f);
    json_t *results = mb_test_load_json(out, "results.json");
    size_t i;
    json_t *b;
    int on = 0;
    json_array_foreach(json_object_get(results, "benchmarks"), i, b) {
        const char *name = json_string_value(json_object_get(b, "name"));
        assert_false(json_is_true(json_object_get(b, "error_occurred")));
        assert_true(json_number_value(json_object_get(b, "real_time")) > 0);
        assert_null(strstr(name, "fix:off"));
        /* Stable names: nothing that changes with jobs or repetitions. */
        assert_null(strstr(name, "iterations:"));
        assert_null(strstr(name, "repeats:"));
        on++;
    }
    assert_true(on >= 2);
    json_decref(results);
    /* run.json keeps the failed repetitions. */
    json_t *run = mb_test_load_json(out, "run.json");
    json_array_foreach(json_object_get(run, "cells"), i, b) {
        if (!json_is_true(json_object_get(b, "watermark_fix")))
            assert_true(json_integer_value(json_object_get(json_object_get(b, "counts"), "oom")) >= 1);
    }
    json_decref(run);
    free(out);
}

static void tracking_tools_read_no_zero_time(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    MB_NEED("python3", mb_test_have_program("python3"));
    char *out = oom_run(f);
    char *helper = mb_test_source_path("harness/testing/tracking_tools.py");
    char *cmd = mb_asprintf("python3 '%s' '%s/results.json'", helper, out);
    char *output;
    int rc = shell(cmd, &output);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", cmd, rc, output);
    assert_non_null(strstr(output, "googlecpp emu/"));
    assert_non_null(strstr(output, "cpp_google emu/"));
    assert_null(strstr(output, "fix:off"));
    free(output);
    free(cmd);
    free(helper);
    free(out);
}

static void compare_py_reads_no_zero_time(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    const char *python = python_with_scipy();
    MB_NEED("compare.py (libbenchmark-tools, python3-scipy, python3-numpy)",
            python != NULL && quiet_ok("test -r " COMPARE_PY));
    char *out = oom_run(f);
    char *cmd = mb_asprintf("%s " COMPARE_PY " benchmarks '%s/results.json' '%s/results.json'",
                            python, out, out);
    char *output;
    int rc = shell(cmd, &output);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", cmd, rc, output);
    /* The fix-on cells are compared; the OOM cells have no time to compare. */
    assert_non_null(strstr(output, "fix:on"));
    assert_null(strstr(output, "fix:off"));
    free(output);
    free(cmd);
    free(out);
}

static void exports_carry_the_oom_count(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *out = oom_run(f);
    json_t *bmf = mb_test_load_json(out, "bencher.json");
    const char *name;
    json_t *m;
    int cells = 0;
    json_object_foreach(bmf, name, m) {
        cells++;
        double ooms = json_number_value(json_object_get(json_object_get(m, "oom-count"), "value"));
        assert_non_null(json_object_get(m, "peak-memory"));
        if (strstr(name, "fix:off") != NULL) {
            assert_true(ooms >= 1);
            assert_null(json_object_get(m, "throughput"));   /* no made-up figure */
        } else {
            assert_true(ooms == 0);
            assert_true(json_number_value(json_object_get(json_object_get(m, "throughput"),
                                                          "value")) > 0);
            assert_true(json_number_value(json_object_get(json_object_get(m, "latency"),
                                                          "value")) > 0);
        }
    }
    assert_int_equal(cells, 2);
    json_decref(bmf);

    json_t *gab = mb_test_load_json(out, "gab.json");
    size_t i;
    json_array_foreach(gab, i, m) {
        assert_null(strstr(json_string_value(json_object_get(m, "name")), "fix:off"));
        assert_string_equal(json_string_value(json_object_get(m, "unit")), "img/s");
        assert_true(json_number_value(json_object_get(m, "value")) > 0);
    }
    assert_int_equal(json_array_size(gab), 1);
    json_decref(gab);

    json_t *smaller = mb_test_load_json(out, "gab-smaller.json");
    bool oom_seen = false;
    json_array_foreach(smaller, i, m) {
        const char *n = json_string_value(json_object_get(m, "name"));
        if (strstr(n, "fix:off") != NULL && strstr(n, "OOM count") != NULL)
            oom_seen = json_number_value(json_object_get(m, "value")) >= 1;
        if (strstr(n, "fix:off") != NULL)
            assert_non_null(strstr(n, "OOM count"));   /* no latency for a cell that OOMed */
    }
    assert_true(oom_seen);
    json_decref(smaller);

    char *csv_path = mb_asprintf("%s/results.csv", out);
    char *csv = mb_read_file(csv_path, NULL, NULL);
    assert_non_null(csv);
    assert_true(strncmp(csv, "name,scenario,device,watermark_fix,", 35) == 0);
    free(csv_path);

    /* `mpsbench export` to stdout gives the same text as the file. */
    const char *args[] = {"export", out, "--format", "csv", NULL};
    char *output;
    assert_int_equal(mb_test_run_cli(&f->env, args, &output), 0);
    assert_string_equal(output, csv);
    free(output);
    free(csv);
    const char *bad[] = {"export", out, "--format", "xml", NULL};
    assert_int_equal(mb_test_run_cli(&f->env, bad, &output), 2);
    free(output);
    free(out);
}

static void junit_is_valid_and_report_renders_it_again(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    MB_NEED("xmllint (libxml2-utils)", mb_test_have_program("xmllint"));
    char *out = oom_run(f);
    char *xsd = mb_test_source_path("ci/schemas/junit-10.xsd");
    char *cmd = mb_asprintf("xmllint --noout --schema '%s' '%s/junit.xml'", xsd, out);
    char *output;
    int rc = shell(cmd, &output);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", cmd, rc, output);
    free(output);
    char *junit_path = mb_asprintf("%s/junit.xml", out);
    char *xml = mb_read_file(junit_path, NULL, NULL);
    assert_non_null(xml);
    /* The allowed OOM passes, saying what happened. */
    char *allowed = strstr(xml, "fix:off");
    assert_non_null(allowed);
    assert_non_null(strstr(allowed, "[oom]\" time=\""));
    assert_non_null(strstr(allowed, "<system-out>"));
    assert_non_null(strstr(xml, "allowed by the scenario"));
    assert_non_null(strstr(xml, "<testsuite name=\"emu\" tests=\"6\" failures=\"0\" errors=\"0\""));

    /* `mpsbench report` renders the same files from run.json alone. */
    char *csv_path = mb_asprintf("%s/results.csv", out);
    char *csv = mb_read_file(csv_path, NULL, NULL);
    assert_int_equal(remove(junit_path), 0);
    assert_int_equal(remove(csv_path), 0);
    const char *args[] = {"report", out, "--quiet", NULL};
    assert_int_equal(mb_test_run_cli(&f->env, args, &output), 0);
    free(output);
    char *again = mb_read_file(junit_path, NULL, NULL);
    assert_non_null(again);
    assert_string_equal(again, xml);
    char *csv_again = mb_read_file(csv_path, NULL, NULL);
    assert_non_null(csv_again);
    assert_string_equal(csv_again, csv);
    free(csv_again);
    free(again);
    free(csv);
    free(csv_path);
    free(xml);
    free(junit_path);
    free(cmd);
    free(xsd);
    free(out);
}

/* Every Markdown file of the run renders as GitHub would (cmark-gfm with
 * its table extension): the cells table has one row per cell and the
 * header, so no reason with a '|' or a line break has split a row, and no
 * cell of it is a wall of text. */
static void summary_renders_as_one_row_per_cell(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    MB_NEED("cmark-gfm", mb_test_have_program("cmark-gfm"));
    char *out = oom_run(f);
    char *cmd = mb_asprintf("cmark-gfm -e table '%s/summary.md'", out);
    char *html;
    int rc = shell(cmd, &html);
    if (rc != 0)
        fail_msg("%s exited %d:\n%s", cmd, rc, html);
    char *table = strstr(html, "<table>");
    assert_non_null(table);
    char *end = strstr(table, "</table>");
    assert_non_null(end);
    int rows = 0;
    for (char *p = table; (p = strstr(p, "<tr>")) != NULL && p < end; p++)
        rows++;
    assert_int_equal(rows, 1 + 2);
    /* Short labels: the axes are in their own columns, not repeated in the
     * cell's name; long reasons are cut (run.json has them whole). */
    *end = '\0';
    assert_null(strstr(table, "device:"));
    assert_non_null(strstr(table, "<td><code>emu</code></td>"));
    for (char *td = table; (td = strstr(td, "<td")) != NULL; td++) {
        size_t len = strstr(td, "</td>") - td;
        if (len > 200)
            fail_msg("a %zu-byte table cell: %.*s", len, (int)len, td);
    }
    free(html);
    free(cmd);
    free(out);
}

/* `mpsbench run` draws the charts before it renders report.html, so the
 * page holds every chart the run drew. */
static void run_writes_report_html_with_its_charts(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
    char *scenario = mb_test_write_file(&f->env, "emu.yaml", scenario_text);
    char *out = mb_asprintf("%s/run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--quiet",
                          NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    if (code != 0)
        fail_msg("mpsbench run exited %d:\n%s", code, output);
    free(output);
    char *index_path = mb_asprintf("%s/charts/index.md", out);
    char *index = mb_read_file(index_path, NULL, NULL);
    assert_non_null(index);
    int drawn = 0;
    for (const char *p = strstr(index, ".svg)"); p != NULL; p = strstr(p + 1, ".svg)"))
        drawn++;
    assert_true(drawn >= 3);
    char *html_path = mb_asprintf("%s/report.html", out);
    char *html = mb_read_file(html_path, NULL, NULL);
    assert_non_null(html);
    int svgs = 0;
    for (const char *p = strstr(html, "<svg"); p != NULL; p = strstr(p + 1, "<svg"))
        svgs++;
    assert_int_equal(svgs, drawn);
    free(html);
    free(html_path);
    free(index);
    free(index_path);
    free(out);
    free(scenario);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(summary_renders_as_one_row_per_cell),
    cmocka_unit_test(results_json_has_no_failed_entry),
    cmocka_unit_test(tracking_tools_read_no_zero_time),
    cmocka_unit_test(compare_py_reads_no_zero_time),
    cmocka_unit_test(exports_carry_the_oom_count),
    cmocka_unit_test(junit_is_valid_and_report_renders_it_again),
    cmocka_unit_test(run_writes_report_html_with_its_charts),
};

MB_TEST_MAIN_EACH("tracking tools and CI pages on a run with OOMs", tests,
                  mb_test_fixture_setup, mb_test_fixture_teardown)

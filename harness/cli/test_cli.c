/* The mpsbench command line as a person uses it: `run --list` and
 * `--filter`, the overrides recorded in run.json, one plain line per cell
 * when stderr is not a terminal, each verb's --help, and readers given a
 * folder that is not a run directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb_test_files.h"
#include "mb_test_main.h"
#include "mb_testing.h"
#include "mb_util.h"

typedef mb_test_fixture fixture;

#define FIXTURES MB_SOURCE_DIR "/fixtures/"

static const char *const three_cells =
    "name: cli\n"
    "model: builtin:tiny\n"
    "input_size: 64\n"
    "images: {sizes: [64x64], per_job: 2, format: png}\n"
    "matrix: {device: [cpu], batch_size: [1, 2, 4]}\n"
    "run: {jobs: 3, warmup_jobs: 1, repetitions: 3, threads: 1, timeout: 30s}\n"
    "expect: {oom: never, regression: 50%}\n";

#define EXPECT_EXIT(code, want, output)                                          \
    do {                                                                         \
        int got_ = (code);                                                       \
        if (got_ != (want))                                                      \
            fail_msg("exit %d, not %d:\n%s", got_, (want), (output));            \
    } while (0)

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Lines of text that contain needle. */
static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* --list prints every cell and starts nothing: with neither a redis-server
 * nor a worker that could start, and a model file libtorch cannot load
 * (which a run checks with the worker first), it still exits 0 and creates
 * no run directory. */
static void list_prints_cells_and_starts_nothing(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *model = mb_test_write_file(&f->env, "model.pt", "not a model\n");
    char *yaml = mb_asprintf("name: cli\nmodel: %s\nimages: {sizes: [64x64], per_job: 2}\n"
                             "matrix: {device: [cpu], batch_size: [1, 2, 4]}\n", model);
    char *scenario = mb_test_write_file(&f->env, "list.yaml", yaml);
    char *out = mb_asprintf("%s/never", f->env.tmp);
    setenv("MPSBENCH_REDIS_SERVER", "/nonexistent/redis-server", 1);
    setenv("MPSBENCH_WORKER", "/nonexistent/mpsbench-worker", 1);
    const char *args[] = {"run", scenario, "--list", "--out", out, NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    unsetenv("MPSBENCH_REDIS_SERVER");
    unsetenv("MPSBENCH_WORKER");
    EXPECT_EXIT(code, 0, output);
    assert_int_equal(count_lines(output, "cli/embed/device:cpu/"), 3);
    assert_non_null(strstr(output, "/batch:4\trepetitions 5, jobs 10, warm-up jobs 1\n"));
    assert_false(exists(out));
    free(output);
    free(out);
    free(scenario);
    free(yaml);
    free(model);
}

/* stdout and stderr into one file: the count, written on stderr, comes
 * after the whole list, never before it or inside one of its lines, and
 * every line ends with a newline.  The list is longer than a stdio buffer,
 * so without a flush part of it would follow the count. */
static void list_count_follows_the_whole_list(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    mb_strbuf y = {0};
    mb_strbuf_add(&y, "name: long\nmodel: builtin:tiny\nimages: {sizes: [64x64], per_job: 2}\n"
                      "matrix: {device: [cpu], batch_size: [");
    for (int b = 1; b <= 64; b++)
        mb_strbuf_printf(&y, "%s%d", b > 1 ? ", " : "", b);
    mb_strbuf_add(&y, "]}\n");
    char *scenario = mb_test_write_file(&f->env, "long.yaml", y.s);
    const char *args[] = {"run", scenario, "--list", "--filter", "batch:[1-9][0-9]$", NULL};
    char *output;
    EXPECT_EXIT(mb_test_run_cli(&f->env, args, &output), 0, output);
    assert_true(strlen(output) > 4096);
    const char *count = "mpsbench: 55 of 64 cells\n";
    size_t len = strlen(output), count_len = strlen(count);
    if (len < count_len || strcmp(output + len - count_len, count) != 0)
        fail_msg("the output does not end with the count line:\n%s", output);
    int cells = 0;
    for (const char *line = output; line < output + len - count_len; line++) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, "long/embed/device:cpu/", 22) != 0 || end == NULL ||
            memchr(line, '\t', (size_t)(end - line)) == NULL)
            fail_msg("not a line of the list: '%.*s'", end ? (int)(end - line) : 80, line);
        cells++;
        line = end;
    }
    assert_int_equal(cells, 55);
    free(output);
    free(scenario);
    free(y.s);
}

/* A filter keeps the cells it matches; the overrides reach every cell and
 * run.json; the names stay those of a run without overrides; stderr, not a
 * terminal here, gets one plain line per finished cell and no "\r". */
static void filter_and_overrides_shape_the_run(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = mb_test_write_file(&f->env, "three.yaml", three_cells);
    char *out = mb_asprintf("%s/run", f->env.tmp);
    const char *list_args[] = {"run", scenario, "--list", NULL};
    char *listed;
    EXPECT_EXIT(mb_test_run_cli(&f->env, list_args, &listed), 0, listed);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts",
                          "--filter", "batch:(2|4)$", "--repetitions", "2", "--jobs", "2",
                          "--warmup-jobs", "0", NULL};
    char *output;
    EXPECT_EXIT(mb_test_run_cli(&f->env, args, &output), 0, output);
    json_t *run = mb_test_load_json(out, "run.json");
    mb_test_assert_jobs_accounted(run);
    json_t *cells = json_object_get(run, "cells");
    assert_int_equal(json_array_size(cells), 2);
    static const char *const want[] = {"cli/embed/device:cpu/fix:on/image:64x64/batch:2",
                                       "cli/embed/device:cpu/fix:on/image:64x64/batch:4"};
    for (size_t c = 0; c < 2; c++) {
        json_t *cell = json_array_get(cells, c);
        const char *name = json_string_value(json_object_get(cell, "name"));
        assert_string_equal(name, want[c]);
        /* The same name as the cell has without overrides. */
        char *line = mb_asprintf("%s\t", name);
        assert_non_null(strstr(listed, line));
        free(line);
        assert_int_equal(json_array_size(json_object_get(cell, "repetitions")), 2);
        json_t *jobs = json_object_get(cell, "jobs");
        assert_int_equal(json_array_size(jobs), 2 * 2);
        for (size_t i = 0; i < json_array_size(jobs); i++)
            assert_null(json_object_get(json_array_get(jobs, i), "warmup"));
    }
    json_t *ov = json_object_get(run, "overrides");
    assert_int_equal(json_integer_value(json_object_get(ov, "repetitions")), 2);
    assert_int_equal(json_integer_value(json_object_get(ov, "jobs")), 2);
    assert_true(json_is_integer(json_object_get(ov, "warmup_jobs")));
    assert_int_equal(json_integer_value(json_object_get(ov, "warmup_jobs")), 0);
    json_decref(run);
    assert_null(strchr(output, '\r'));
    /* One plain line per finished cell, nothing else naming a cell. */
    assert_int_equal(count_lines(output, "img/s (median of 2)\n"), 2);
    assert_int_equal(count_lines(output, "cli/embed/"), 2);
    char *summary_path = mb_asprintf("%s/summary.md", out);
    char *summary = mb_read_file(summary_path, NULL, NULL);
    assert_non_null(summary);
    assert_non_null(strstr(summary, "overrides of every cell: repetitions 2, jobs 2, warm-up jobs 0"));
    /* The cell's label leaves the axes to their columns. */
    assert_non_null(strstr(summary, "| `cli` | cpu | on | 64x64 | 2 |"));
    free(summary);
    free(summary_path);
    free(output);
    free(listed);
    free(out);
    free(scenario);
}

/* A filter that matches nothing, or does not compile, is bad usage, said
 * before a run directory exists. */
static void filter_mistakes_are_exit_2(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = mb_test_write_file(&f->env, "three.yaml", three_cells);
    char *out = mb_asprintf("%s/run", f->env.tmp);
    const char *none[] = {"run", scenario, "--out", out, "--image-cache", f->cache,
                          "--filter", "batch:99$", NULL};
    char *output;
    EXPECT_EXIT(mb_test_run_cli(&f->env, none, &output), 2, output);
    assert_non_null(strstr(output, "option --filter: 'batch:99$' matched none of the 3 cells"));
    free(output);
    const char *listed[] = {"run", scenario, "--list", "--filter", "nothing", NULL};
    EXPECT_EXIT(mb_test_run_cli(&f->env, listed, &output), 2, output);
    assert_non_null(strstr(output, "matched none"));
    free(output);
    const char *bad[] = {"run", scenario, "--out", out, "--filter", "batch:(1", NULL};
    EXPECT_EXIT(mb_test_run_cli(&f->env, bad, &output), 2, output);
    assert_non_null(strstr(output, "option --filter: 'batch:(1' is not a regular expression"));
    free(output);
    assert_false(exists(out));
    free(out);
    free(scenario);
}

/* Each override refuses what it cannot use, naming itself. */
static void override_values_are_checked(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    static const struct {
        const char *option, *value;
    } bad[] = {
        {"--repetitions", "0"}, {"--repetitions", "1001"}, {"--repetitions", "two"},
        {"--jobs", "0"}, {"--jobs", "100001"}, {"--jobs", "3x"}, {"--jobs", ""},
        {"--warmup-jobs", "-1"}, {"--warmup-jobs", "100001"}, {"--warmup-jobs", "1.5"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {"run", "--list", bad[i].option, bad[i].value, NULL};
        char *output;
        int code = mb_test_run_cli(&f->env, args, &output);
        if (code != 2 || strstr(output, bad[i].option + 2) == NULL ||
            strstr(output, "option ") == NULL)
            fail_msg("%s '%s': exit %d:\n%s", bad[i].option, bad[i].value, code, output);
        free(output);
    }
}

/* The options of one verb's table in its source file ("static const mb_opt
 * VERB_opts[]"): each must be described in `mpsbench VERB --help`. */
static void check_help_of(fixture *f, const char *source, const char *verb)
{
    char *path = mb_test_source_path(source);
    char *text = mb_read_file(path, NULL, NULL);
    assert_non_null(text);
    char *head = mb_asprintf("static const mb_opt %s_opts[] = {", verb);
    const char *p = strstr(text, head);
    if (p == NULL)
        fail_msg("%s: no %s", path, head);
    const char *end = strstr(p, "};");
    const char *args[] = {verb, "--help", NULL};
    char *help;
    EXPECT_EXIT(mb_test_run_cli(&f->env, args, &help), 0, help);
    int n = 0;
    while ((p = strstr(p, "{\"")) != NULL && p < end) {
        p += 2;
        size_t len = strcspn(p, "\"");
        if (len == 4 && strncmp(p, "help", 4) == 0)
            continue;
        char *option = mb_asprintf("--%.*s ", (int)len, p);
        char *option_eol = mb_asprintf("--%.*s\n", (int)len, p);
        /* Described: the option then its text on the same line. */
        const char *at = strstr(help, option);
        if (at == NULL && strstr(help, option_eol) == NULL)
            fail_msg("mpsbench %s --help does not describe %.*s:\n%s", verb, (int)len, p, help);
        n++;
        free(option);
        free(option_eol);
    }
    assert_true(n >= 1);
    free(help);
    free(head);
    free(text);
    free(path);
}

static void every_verb_help_describes_each_option(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    check_help_of(f, "harness/cli/cmd_run.c", "run");
    check_help_of(f, "harness/cli/cmd_compare.c", "compare");
    check_help_of(f, "harness/cli/cmd_baseline.c", "baseline");
    check_help_of(f, "harness/cli/cmd_plot.c", "plot");
    check_help_of(f, "harness/cli/cmd_report.c", "report");
    check_help_of(f, "harness/cli/cmd_report.c", "export");
    /* Each verb's own text, not the global one. */
    const char *args[] = {"run", "--help", NULL};
    char *help;
    EXPECT_EXIT(mb_test_run_cli(&f->env, args, &help), 0, help);
    assert_non_null(strstr(help, "--force"));
    assert_non_null(strstr(help, "--yes"));
    assert_null(strstr(help, "mpsbench compare"));
    free(help);
}

/* plot, report and export given a folder with no run.json, or no folder:
 * exit 2, naming the path. */
static void readers_refuse_a_folder_that_is_not_a_run(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *empty = mb_asprintf("%s/empty", f->env.tmp);
    assert_int_equal(mkdir(empty, 0755), 0);
    char *missing = mb_asprintf("%s/missing", f->env.tmp);
    const char *const *cases[] = {
        (const char *[]){"plot", empty, NULL},
        (const char *[]){"report", empty, NULL},
        (const char *[]){"export", empty, "--format", "csv", NULL},
        (const char *[]){"plot", missing, NULL},
        (const char *[]){"report", missing, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *output;
        int code = mb_test_run_cli(&f->env, cases[i], &output);
        const char *path = cases[i][1];
        if (code != 2 || strstr(output, path) == NULL)
            fail_msg("mpsbench %s %s: exit %d:\n%s", cases[i][0], path, code, output);
        if (path == empty)
            assert_non_null(strstr(output, "holds no run.json"));
        free(output);
    }
    assert_false(exists(missing));
    free(missing);
    free(empty);
}

/* Runs mpsbench with stdout on /dev/full (every write fails: no space
 * left) and stderr into a file: the verb must not exit 0, and says why. */
static void expect_stdout_lost(const fixture *f, const char *const *args, int want_exit)
{
    char *errors = mb_asprintf("%s/stderr.txt", f->env.tmp);
    int code = mb_test_run_mpsbench_split(args, "/dev/full", errors);
    char *text = mb_read_file(errors, NULL, NULL);
    assert_non_null(text);
    if (code != want_exit)
        fail_msg("mpsbench %s %s: exit %d, not %d:\n%s", args[0], args[1] ? args[1] : "", code,
                 want_exit, text);
    if (want_exit != 0 && strstr(text, "mpsbench: standard output: cannot write: ") == NULL)
        fail_msg("mpsbench %s: no message about standard output:\n%s", args[0], text);
    free(text);
    free(errors);
}

/* An answer printed on stdout that did not arrive (a full disk, a closed
 * pipe) is an I/O error, exit 3, with a message, for every verb that prints
 * one; the same commands into a file exit 0. */
static void stdout_that_cannot_be_written_is_an_error(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    if (access("/dev/full", W_OK) != 0)
        MB_SKIP("no /dev/full on this system");
    char *scenario = mb_test_write_file(&f->env, "cli.yaml", three_cells);
    const char *list[] = {"run", scenario, "--list", NULL};
    const char *compare[] = {"compare", FIXTURES "compare/baseline.json",
                             FIXTURES "compare/same.json", "--assume-no-drift", NULL};
    const char *regression[] = {"compare", FIXTURES "compare/baseline.json",
                                FIXTURES "compare/slower20.json", "--assume-no-drift", NULL};
    const char *json[] = {"compare", FIXTURES "compare/baseline.json",
                          FIXTURES "compare/same.json", "--quiet", "--json", "-", NULL};
    const char *export[] = {"export", FIXTURES "plot/cpu", "--format", "csv", NULL};
    const char *help[] = {"--help", NULL};
    const char *const *lost[] = {list, compare, regression, json, export, help};
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++)
        expect_stdout_lost(f, lost[i], 3);

    char *file = mb_asprintf("%s/stdout.txt", f->env.tmp);
    assert_int_equal(mb_test_run_mpsbench_split(list, file, NULL), 0);
    assert_int_equal(mb_test_run_mpsbench_split(export, file, NULL), 0);
    assert_int_equal(mb_test_run_mpsbench_split(regression, file, NULL), 1);
    free(file);
    free(scenario);
}

/* A run that fails while it prepares its images ran no cell: it draws no
 * chart (gnuplot once failed on the OOM matrix of squares that never ran)
 * and says why on stderr and in summary.md. */
static void run_that_measured_nothing_draws_no_chart(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
    char *scenario = mb_test_write_file(&f->env, "cli.yaml", three_cells);
    char *out = mb_asprintf("%s/unmeasured", f->env.tmp);
    char *cache = mb_asprintf("%s/cli.yaml/images", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", cache, NULL};
    char *output;
    EXPECT_EXIT(mb_test_run_cli(&f->env, args, &output), 3, output);
    assert_non_null(strstr(output, "mpsbench: no charts: no cell was measured"));
    char *summary_path = mb_asprintf("%s/summary.md", out);
    char *summary = mb_read_file(summary_path, NULL, NULL);
    assert_non_null(summary);
    assert_non_null(strstr(summary, "\nNo charts: no cell was measured"));
    char *matrix = mb_asprintf("%s/charts/oom-matrix.gp", out);
    assert_false(exists(matrix));
    free(matrix);
    free(summary);
    free(summary_path);
    free(output);
    free(cache);
    free(out);
    free(scenario);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(list_prints_cells_and_starts_nothing),
    cmocka_unit_test(list_count_follows_the_whole_list),
    cmocka_unit_test(filter_and_overrides_shape_the_run),
    cmocka_unit_test(filter_mistakes_are_exit_2),
    cmocka_unit_test(override_values_are_checked),
    cmocka_unit_test(every_verb_help_describes_each_option),
    cmocka_unit_test(readers_refuse_a_folder_that_is_not_a_run),
    cmocka_unit_test(stdout_that_cannot_be_written_is_an_error),
    cmocka_unit_test(run_that_measured_nothing_draws_no_chart),
};

MB_TEST_MAIN_EACH("the mpsbench command line", tests,
                  mb_test_fixture_setup, mb_test_fixture_teardown)

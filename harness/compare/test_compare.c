/* Verdicts of the comparison on hand-made Google Benchmark files
 * (fixtures/compare/), the report writers, and the exit codes of the real
 * `mpsbench compare`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_files.h"
#include "mb_test_main.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "compare.h"
#include "mb_exit.h"
#include "mb_util.h"

#define CELL_A "fixture/embed/device:cpu/fix:on/image:224x224/batch:1"
#define CELL_B "fixture/embed/device:cpu/fix:on/image:224x224/batch:8"
#define CELL_C "fixture/embed/device:cpu/fix:on/image:1024x768/batch:8"
#define FIXTURE(name) MB_SOURCE_DIR "/fixtures/compare/" name

/* What the comparison found, as the CLI's exit code reads it: MB_EINVAL
 * when nothing was comparable, else 1 when a cell failed (a regression, or
 * an inconclusive cell under fail_on_inconclusive), else 0. */
static int judged(const mb_compare_report *r, bool fail_on_inconclusive)
{
    mb_outcome o = {.fail_on_inconclusive = fail_on_inconclusive};
    int rc = mb_compare_outcome(r, &o, NULL);
    return rc != 0 ? rc : mb_outcome_failed(&o) ? 1 : 0;
}

static void check_close(double actual, double expected, double eps, const char *file, int line)
{
    if (!(fabs(actual - expected) <= eps))
        fail_msg("%s:%d: %.17g != %.17g (tolerance %g)", file, line, actual, expected, eps);
}
#define assert_close(actual, expected, eps) \
    check_close((actual), (expected), (eps), __FILE__, __LINE__)

static mb_compare_report *compare_as(const char *base, const char *cur,
                                     const mb_compare_options *opt)
{
    mb_compare_report *r = NULL;
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_compare_files(base, cur, opt, &r, &err);
    if (rc != 0)
        fail_msg("compare %s %s: %s", base, cur, err.msg);
    return r;
}

/* Most fixtures here test the two-file rule on the repetitions themselves,
 * which --assume-no-drift turns on; test_two_runs_are_inconclusive holds
 * the default. */
static mb_compare_report *compare(const char *base, const char *cur, const mb_compare_options *opt)
{
    mb_compare_options o = {0};
    if (opt != NULL)
        o = *opt;
    o.assume_no_drift = true;
    return compare_as(base, cur, &o);
}

static const mb_compare_cell *cell(const mb_compare_report *r, const char *name)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (strcmp(r->cells[i].cell, name) == 0)
            return &r->cells[i];
    fail_msg("no cell %s", name);
    return NULL;
}

/* 5 against 5 repetitions, completely separated: the exact two-sided
 * p-value is 2 / C(10, 5) = 2 / 252. */
#define P_SEPARATED (2.0 / 252.0)

static void test_no_change(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("same.json"), NULL);
    assert_int_equal(r->n_cells, 2);
    assert_int_equal(r->n_unchanged, 2);
    for (size_t i = 0; i < r->n_cells; i++) {
        const mb_compare_cell *c = &r->cells[i];
        assert_int_equal(c->verdict, MB_VERDICT_NO_CHANGE);
        assert_null(c->reason);
        assert_true(c->p_value > 0.05);
        assert_true(c->ci_low <= c->change && c->change <= c->ci_high);
        assert_true(c->ci_low < 0.01 && c->ci_high > -0.01);
        assert_true(isfinite(c->mde) && c->mde > 0 && c->mde < 0.05);
        assert_close(c->threshold, 0.05, 0);
        assert_int_equal(c->n_baseline, 5);
        assert_int_equal(c->n_current, 5);
        assert_string_equal(c->device, "cpu");
    }
    assert_close(cell(r, CELL_A)->baseline_median, 100.0, 1e-9);
    assert_int_equal(judged(r, false), 0);
    assert_string_equal(r->baseline_torch, "1.13.0");
    mb_compare_report_free(r);
}

static void test_regression_20(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("slower20.json"), NULL);
    assert_int_equal(r->n_regressions, 2);
    const mb_compare_cell *a = cell(r, CELL_A);
    assert_int_equal(a->verdict, MB_VERDICT_REGRESSION);
    assert_close(a->change, -0.2, 1e-9);
    assert_close(a->p_value, P_SEPARATED, 1e-12);
    assert_true(a->p_exact);
    assert_true(a->ci_low <= -0.2 && a->ci_high < -0.15);
    assert_close(a->current_median, 80.0, 1e-9);
    assert_int_equal(judged(r, false), 1);
    mb_compare_report_free(r);
}

static void test_significant_but_within_threshold(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("slower3.json"), NULL);
    const mb_compare_cell *a = cell(r, CELL_A);
    assert_close(a->p_value, P_SEPARATED, 1e-12);
    assert_close(a->change, -0.03, 1e-9);
    assert_int_equal(a->verdict, MB_VERDICT_NO_CHANGE);
    assert_int_equal(judged(r, false), 0);
    mb_compare_report_free(r);

    /* The same data against a 2% threshold is a regression. */
    mb_compare_options opt = {.threshold_set = true, .threshold = 0.02};
    r = compare(FIXTURE("baseline.json"), FIXTURE("slower3.json"), &opt);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_REGRESSION);
    mb_compare_report_free(r);
}

static void test_improvement(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("faster.json"), NULL);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_IMPROVEMENT);
    assert_close(cell(r, CELL_A)->change, 0.2, 1e-9);
    assert_int_equal(cell(r, CELL_B)->verdict, MB_VERDICT_NO_CHANGE);
    assert_int_equal(r->n_improvements, 1);
    assert_int_equal(judged(r, false), 0);
    mb_compare_report_free(r);
}

static void test_missing_cells(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("missing.json"), NULL);
    assert_int_equal(r->n_cells, 3);
    /* The current file's order, then what only the baseline has. */
    assert_string_equal(r->cells[0].cell, CELL_A);
    assert_string_equal(r->cells[1].cell, CELL_C);
    assert_string_equal(r->cells[2].cell, CELL_B);
    assert_int_equal(r->cells[0].verdict, MB_VERDICT_NO_CHANGE);
    assert_int_equal(r->cells[1].verdict, MB_VERDICT_NOT_COMPARABLE);
    assert_string_equal(r->cells[1].reason, "missing in baseline");
    assert_close(r->cells[1].current_median, 50.1, 1e-9);
    assert_int_equal(r->cells[2].verdict, MB_VERDICT_NOT_COMPARABLE);
    assert_string_equal(r->cells[2].reason, "missing in current");
    assert_int_equal(r->n_not_comparable, 2);
    assert_int_equal(judged(r, false), 0);
    mb_compare_report_free(r);
}

static void test_device_mismatch(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("device.json"), NULL);
    for (size_t i = 0; i < r->n_cells; i++) {
        const mb_compare_cell *c = &r->cells[i];
        assert_int_equal(c->verdict, MB_VERDICT_NOT_COMPARABLE);
        assert_non_null(strstr(c->reason, "device differs"));
        assert_non_null(strstr(c->reason, "AMD EPYC, 2 CPUs"));
        assert_non_null(strstr(c->reason, "Intel Xeon, 2 CPUs"));
    }
    /* The 20% drop of cell A is not judged: other hardware, other numbers.
     * With no cell comparable at all the comparison says nothing: exit 2. */
    assert_int_equal(judged(r, false), MB_EINVAL);
    mb_err err;
    mb_outcome o = {0};
    assert_int_equal(mb_compare_outcome(r, &o, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "nothing to compare: 2 cell(s) not comparable"));
    assert_non_null(strstr(err.msg, "device differs"));
    mb_compare_report_free(r);
}

static void test_torch_mismatch(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("torch.json"), NULL);
    assert_int_equal(r->n_not_comparable, 2);
    assert_string_equal(cell(r, CELL_A)->reason,
                        "torch version differs (baseline 1.13.0, current 2.1.0)");
    assert_string_equal(r->current_torch, "2.1.0");
    assert_int_equal(judged(r, false), MB_EINVAL);
    mb_compare_report_free(r);
}

static void test_failed_repetitions(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("errors.json"), NULL);
    const mb_compare_cell *a = cell(r, CELL_A);
    assert_int_equal(a->verdict, MB_VERDICT_NOT_COMPARABLE);
    assert_string_equal(a->reason, "failed in current: worker crashed (killed by signal 9)");
    assert_int_equal(a->n_current, 0);
    assert_int_equal(cell(r, CELL_B)->verdict, MB_VERDICT_NO_CHANGE);
    mb_compare_report_free(r);
}

static void test_three_repetitions_cannot_decide(void **state)
{
    (void)state;
    /* 3 against 3 cannot reach p < 0.01 (at best 2 / C(6, 3) = 0.1): even a
     * 20% drop cannot be called, so the cell is inconclusive (it was "no
     * change" with this reason before issue 13), and the MDE says why. */
    mb_compare_report *r = compare(FIXTURE("three.json"), FIXTURE("three-slower20.json"), NULL);
    const mb_compare_cell *a = cell(r, CELL_A);
    assert_close(a->p_value, 0.1, 1e-12);
    assert_close(a->change, -0.2, 1e-9);
    assert_int_equal(a->verdict, MB_VERDICT_INCONCLUSIVE);
    assert_true(isinf(a->mde));
    assert_string_equal(a->reason, "3 against 3 repetitions cannot reach p < 0.01");
    assert_string_equal(a->test, MB_COMPARE_TEST_MWU);
    assert_int_equal(r->n_inconclusive, 1);
    assert_int_equal(r->n_unchanged, 1);
    /* Inconclusive counts as compared: exit 0 unless asked otherwise. */
    assert_int_equal(judged(r, false), 0);
    assert_int_equal(judged(r, true), 1);
    mb_compare_report_free(r);
}

static void test_threshold_from_run_json(void **state)
{
    (void)state;
    /* run.json beside the current results sets 25% for cell A, 5% for B. */
    mb_compare_report *r = compare(FIXTURE("baseline.json"), FIXTURE("run-threshold"), NULL);
    assert_close(cell(r, CELL_A)->threshold, 0.25, 0);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_NO_CHANGE);
    assert_close(cell(r, CELL_B)->threshold, 0.05, 0);
    assert_int_equal(cell(r, CELL_B)->verdict, MB_VERDICT_REGRESSION);
    mb_compare_report_free(r);

    /* The command line wins. */
    mb_compare_options opt = {.threshold_set = true, .threshold = 0.05};
    r = compare(FIXTURE("baseline.json"), FIXTURE("run-threshold/results.json"), &opt);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_REGRESSION);
    assert_int_equal(r->n_regressions, 2);
    mb_compare_report_free(r);
}

/* Copies the file from into dir/as (a run folder's results.json, or a
 * file stored beside it). */
static void copy_into(const char *from, const char *dir, const char *as)
{
    size_t len;
    char *text = mb_read_file(from, &len, NULL);
    assert_non_null(text);
    char *path = mb_asprintf("%s/%s", dir, as);
    assert_int_equal(mb_write_file_atomic(path, text, len, NULL), 0);
    free(path);
    free(text);
}

/* A run folder whose run.json says cell A's one repetition crashed. */
static const char crashed_run_json[] =
    "{\"format\": 1, \"status\": \"passed\", \"torch_version\": \"1.13.0\", \"cells\": ["
    "{\"name\": \"" CELL_A "\", \"device\": \"cpu\", \"verdict\": \"fail\","
    " \"reason\": \"worker crashed (killed by signal 9)\", \"images_per_second\": [],"
    " \"repetitions\": [{\"round\": 0, \"images_per_second\": null}]}]}";

/* Only a run's own results.json takes failures from the run.json beside
 * it: a baseline stored in the run folder, on either side, says nothing
 * of that run's failures. */
static void test_failures_only_from_own_run_json(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-test-compare-XXXXXX";
    assert_non_null(mkdtemp(dir));
    copy_into(FIXTURE("baseline.json"), dir, "results.json");
    copy_into(FIXTURE("baseline.json"), dir, "baseline-results.json");
    char *run_json = mb_asprintf("%s/run.json", dir);
    assert_int_equal(mb_write_file_atomic(run_json, crashed_run_json,
                                          strlen(crashed_run_json), NULL), 0);
    char *stored = mb_asprintf("%s/baseline-results.json", dir);

    /* The run's own results: its crash is noted beside the verdict. */
    mb_compare_report *r = compare(dir, FIXTURE("same.json"), NULL);
    const mb_compare_cell *a = cell(r, CELL_A);
    assert_non_null(a->reason);
    assert_string_equal(a->reason, "1 failed repetition(s) in baseline left out: "
                                   "worker crashed (killed by signal 9)");
    mb_compare_report_free(r);

    /* The stored baseline, as the baseline and as the current side. */
    r = compare(stored, FIXTURE("same.json"), NULL);
    assert_null(cell(r, CELL_A)->reason);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_NO_CHANGE);
    mb_compare_report_free(r);
    r = compare(FIXTURE("same.json"), stored, NULL);
    assert_null(cell(r, CELL_A)->reason);
    assert_int_equal(cell(r, CELL_A)->verdict, MB_VERDICT_NO_CHANGE);
    mb_compare_report_free(r);

    mb_remove_tree(dir);
    free(stored);
    free(run_json);
}

/* dir/run.json: the run-threshold fixture's, its status replaced. */
static void put_run_json(const char *dir, const char *status)
{
    size_t len;
    char *text = mb_read_file(FIXTURE("run-threshold/run.json"), &len, NULL);
    assert_non_null(text);
    char *at = strstr(text, "\"passed\"");
    assert_non_null(at);
    char *edited = mb_asprintf("%.*s\"%s\"%s", (int)(at - text), text, status,
                               at + strlen("\"passed\""));
    char *path = mb_asprintf("%s/run.json", dir);
    assert_int_equal(mb_write_file_atomic(path, edited, strlen(edited), NULL), 0);
    free(path);
    free(edited);
    free(text);
}

/* A run's run.json speaks for its own results.json only: the same results
 * under another name beside it (a copy, another program's output) take
 * neither its per-cell thresholds nor its "did not finish". */
static void test_run_json_only_for_own_results(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-test-compare-XXXXXX";
    assert_non_null(mkdtemp(dir));
    copy_into(FIXTURE("run-threshold/results.json"), dir, "results.json");
    copy_into(FIXTURE("run-threshold/results.json"), dir, "copy.json");
    char *own = mb_asprintf("%s/results.json", dir);
    char *copy = mb_asprintf("%s/copy.json", dir);

    put_run_json(dir, "passed");
    mb_compare_report *r = compare(FIXTURE("baseline.json"), own, NULL);
    assert_close(cell(r, CELL_A)->threshold, 0.25, 0);
    mb_compare_report_free(r);
    r = compare(FIXTURE("baseline.json"), copy, NULL);
    assert_close(cell(r, CELL_A)->threshold, MB_COMPARE_DEFAULT_THRESHOLD, 0);
    mb_compare_report_free(r);

    put_run_json(dir, "incomplete");
    mb_err err;
    r = NULL;
    assert_int_equal(mb_compare_files(FIXTURE("baseline.json"), own, NULL, &r, &err), MB_EIO);
    assert_non_null(strstr(err.msg, "did not finish"));
    assert_null(r);
    r = compare(FIXTURE("baseline.json"), copy, NULL);
    assert_int_equal(r->n_cells, 2);
    mb_compare_report_free(r);

    mb_remove_tree(dir);
    free(copy);
    free(own);
}

static void expect_error(const char *base, const char *cur, int code, const char *named)
{
    mb_compare_report *r = (mb_compare_report *)1;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_compare_files(base, cur, NULL, &r, &err), code);
    assert_null(r);
    assert_int_equal(err.code, code);
    assert_int_equal(mb_exit_code(code, NULL), 2);
    if (strstr(err.msg, named) == NULL)
        fail_msg("'%s' does not name %s", err.msg, named);
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_error(FIXTURE("corrupt.json"), FIXTURE("same.json"), MB_EBASELINE, "corrupt.json");
    expect_error(FIXTURE("baseline.json"), FIXTURE("corrupt.json"), MB_EINVAL, "corrupt.json");
    expect_error(FIXTURE("not-gbench.json"), FIXTURE("same.json"), MB_EBASELINE,
                 "not-gbench.json");
    expect_error(FIXTURE("nonexistent.json"), FIXTURE("same.json"), MB_EBASELINE,
                 "nonexistent.json");
    mb_err err;
    mb_compare_report *r;
    assert_int_equal(mb_compare_files(FIXTURE("baseline.json"), FIXTURE("corrupt.json"), NULL,
                                      &r, &err), MB_EINVAL);
    /* jansson reports where the text broke off. */
    assert_non_null(strstr(err.msg, "not valid JSON"));
}

static void test_decide(void **state)
{
    (void)state;
    const double a[] = {100, 101, 99, 100.5, 99.5, 100.2};
    const double slow[] = {90, 91, 89, 90.5, 89.5, 90.2};
    const double fast[] = {110, 111, 109, 110.5, 109.5, 110.2};
    double change, p;
    assert_int_equal(mb_compare_decide(a, 6, slow, 6, 0.05, 0, &change, &p),
                     MB_VERDICT_REGRESSION);
    assert_close(change, 90.1 / 100.1 - 1, 1e-12);
    assert_close(p, 2.0 / 924.0, 1e-12);
    assert_int_equal(mb_compare_decide(a, 6, fast, 6, 0.05, 0, NULL, NULL),
                     MB_VERDICT_IMPROVEMENT);
    /* A 10% threshold is not crossed by a 9.99% drop. */
    assert_int_equal(mb_compare_decide(a, 6, slow, 6, 0.10, 0, NULL, NULL),
                     MB_VERDICT_NO_CHANGE);
    assert_int_equal(mb_compare_decide(a, 6, a, 6, 0.05, 0, NULL, &p), MB_VERDICT_NO_CHANGE);
    assert_close(p, 1.0, 1e-12);
    assert_int_equal(mb_compare_decide(a, 1, slow, 6, 0.05, 0, &change, NULL),
                     MB_VERDICT_NOT_COMPARABLE);
    assert_true(isnan(change));
    const double zero[] = {0, 0, 0};
    assert_int_equal(mb_compare_decide(zero, 3, slow, 6, 0.05, 0, NULL, NULL),
                     MB_VERDICT_NOT_COMPARABLE);
}

static void test_json_report(void **state)
{
    (void)state;
    mb_compare_report *r = compare(FIXTURE("three.json"), FIXTURE("three-slower20.json"), NULL);
    char *text = mb_compare_json(r);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "summary"),
                                                        "no_change")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "summary"),
                                                        "inconclusive")), 1);
    json_t *cells = json_object_get(root, "cells");
    assert_int_equal(json_array_size(cells), 2);
    json_t *a = json_array_get(cells, 0);
    assert_string_equal(json_string_value(json_object_get(a, "cell")), CELL_A);
    assert_string_equal(json_string_value(json_object_get(a, "verdict")), "inconclusive");
    assert_string_equal(json_string_value(json_object_get(a, "test")), "mann-whitney-u");
    assert_close(json_number_value(json_object_get(a, "change")), -0.2, 1e-9);
    assert_close(json_number_value(json_object_get(a, "p_value")), 0.1, 1e-9);
    assert_close(json_number_value(json_object_get(a, "threshold")), 0.05, 1e-12);
    /* An infinite MDE has no JSON number: null. */
    assert_true(json_is_null(json_object_get(a, "mde")));
    assert_string_equal(json_string_value(json_object_get(a, "reason")),
                        "3 against 3 repetitions cannot reach p < 0.01");
    assert_true(json_is_null(json_object_get(json_array_get(cells, 1), "reason")));
    const char *fields[] = {"baseline_median", "current_median", "ci_low", "ci_high",
                            "baseline_n", "current_n", "device", "p_exact"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_non_null(json_object_get(a, fields[i]));
    json_decref(root);
    free(text);

    char *md = mb_compare_markdown(r);
    assert_non_null(strstr(md, "| cell | baseline img/s | current img/s |"));
    assert_non_null(strstr(md, "| `" CELL_A "` |"));
    assert_non_null(strstr(md, "MDE inf"));
    assert_non_null(strstr(md, ":yellow_circle: inconclusive: 3 against 3"));
    assert_non_null(strstr(md, "1 inconclusive"));
    free(md);
    mb_compare_report_free(r);
}

static double median_of(const double *x, size_t n)
{
    double s[64];
    memcpy(s, x, n * sizeof *s);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The five verdicts of the two-file rule on synthetic samples. */
static void test_two_file_verdicts(void **state)
{
    (void)state;
    const double a[] = {100, 101, 99, 100.5, 99.5, 100.2};
    const double slow[] = {90, 91, 89, 90.5, 89.5, 90.2};
    const double fast[] = {110, 111, 109, 110.5, 109.5, 110.2};
    const double same[] = {100.3, 100.8, 99.2, 100.1, 99.7, 100.4};
    /* About 15% noise: a 5% change could hide in it. */
    const double noisy_a[] = {100, 130, 80, 110, 90, 120};
    const double noisy_b[] = {95, 125, 85, 105, 100, 115};
    struct { const double *a, *b; size_t na, nb; mb_verdict v; } cases[] = {
        {a, slow, 6, 6, MB_VERDICT_REGRESSION},
        {a, fast, 6, 6, MB_VERDICT_IMPROVEMENT},
        {a, same, 6, 6, MB_VERDICT_NO_CHANGE},
        {noisy_a, noisy_b, 6, 6, MB_VERDICT_INCONCLUSIVE},
        {a, slow, 1, 6, MB_VERDICT_NOT_COMPARABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_compare_cell c = {0};
        mb_compare_samples(cases[i].a, cases[i].na, cases[i].b, cases[i].nb, 0.05, NULL, &c);
        if (c.verdict != cases[i].v)
            fail_msg("case %zu: %s, expected %s (%s)", i, mb_verdict_name(c.verdict),
                     mb_verdict_name(cases[i].v), c.reason ? c.reason : "");
        assert_int_equal(mb_compare_decide(cases[i].a, cases[i].na, cases[i].b, cases[i].nb,
                                           0.05, 0, NULL, NULL), cases[i].v);
        if (c.verdict == MB_VERDICT_INCONCLUSIVE) {
            assert_true(c.mde > 0.05);
            assert_non_null(strstr(c.reason, "MDE "));
            assert_non_null(strstr(c.reason, "% > threshold 5.0%"));
        }
        if (c.verdict == MB_VERDICT_NO_CHANGE)
            assert_true(c.mde <= 0.05);
        assert_true(c.verdict == MB_VERDICT_NOT_COMPARABLE ? c.test == NULL
                                                           : strcmp(c.test, "mann-whitney-u") == 0);
        free(c.reason);
    }
}

/* The paired rule: round i of the candidate against round i of the
 * baseline side, whatever the drift between rounds. */
static void test_paired_verdicts(void **state)
{
    (void)state;
    /* The rounds drift by up to 30% (a loaded machine), which would swamp
     * an unpaired test; the ratio within each round is what counts. */
    double a[10], slow[10], fast[10], same[10], noisy[10];
    for (int i = 0; i < 10; i++) {
        a[i] = 100.0 * (1.0 + 0.03 * (double)i);
        double jitter = (i % 2 ? 1.0 : -1.0) * 0.001 * (double)(i + 1);
        slow[i] = a[i] * (0.8 + jitter);
        fast[i] = a[i] * (1.2 + jitter);
        same[i] = a[i] * (1.0 + jitter);
        noisy[i] = a[i] * (1.0 + 15.0 * jitter);
    }
    mb_compare_cell c = {0};
    mb_compare_paired(a, slow, 10, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_REGRESSION);
    assert_string_equal(c.test, "wilcoxon-signed-rank");
    assert_true(c.p_exact);
    assert_close(c.p_value, 2.0 / 1024.0, 1e-15);   /* every round below */
    assert_true(c.change < -0.19 && c.change > -0.21);
    assert_true(c.ci_low <= c.change && c.change <= c.ci_high);
    assert_true(c.ci_high < -0.15);
    assert_int_equal(c.n_baseline, 10);
    assert_int_equal(c.n_current, 10);
    assert_close(c.baseline_median, median_of(a, 10), 1e-12);
    assert_null(c.reason);

    memset(&c, 0, sizeof c);
    mb_compare_paired(a, fast, 10, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_IMPROVEMENT);

    memset(&c, 0, sizeof c);
    mb_compare_paired(a, same, 10, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NO_CHANGE);
    assert_true(c.mde < 0.05);
    assert_true(fabs(c.change) < 0.01);

    memset(&c, 0, sizeof c);
    mb_compare_paired(a, noisy, 10, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_INCONCLUSIVE);
    assert_true(c.mde > 0.05);
    assert_non_null(strstr(c.reason, "% > threshold 5.0%"));
    free(c.reason);

    /* Five rounds all below: p = 2/32 > 0.01, never significant. */
    memset(&c, 0, sizeof c);
    mb_compare_paired(a, slow, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_INCONCLUSIVE);
    assert_true(isinf(c.mde));
    assert_string_equal(c.reason, "5 rounds cannot reach p < 0.01");
    free(c.reason);

    memset(&c, 0, sizeof c);
    mb_compare_paired(a, slow, 1, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NOT_COMPARABLE);
    assert_string_equal(c.reason, "fewer than 2 rounds (1)");
    free(c.reason);
    const double zero[] = {100, 0, 100};
    memset(&c, 0, sizeof c);
    mb_compare_paired(a, zero, 3, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NOT_COMPARABLE);
    free(c.reason);
}

/* The threshold bounds the change's interval, not its median: a
 * significant slowdown whose interval reaches past the threshold is a
 * regression even when its median is within it (a real change of the
 * threshold's size has a median within it half the time), and a
 * significant slowdown whose whole interval lies within the threshold is
 * no change. */
static void test_paired_threshold_bounds_the_interval(void **state)
{
    (void)state;
    /* Twelve rounds, every one slower: p = 2/4096.  Medians -4% and -2%. */
    const double wide[12] = {0.90, 0.92, 0.93, 0.94, 0.95, 0.96,
                             0.96, 0.97, 0.97, 0.98, 0.99, 0.995};
    const double narrow[12] = {0.976, 0.977, 0.978, 0.979, 0.979, 0.98,
                               0.98, 0.981, 0.981, 0.982, 0.983, 0.984};
    double a[12], b_wide[12], b_narrow[12];
    for (int i = 0; i < 12; i++) {
        a[i] = 50.0 + (double)i;
        b_wide[i] = a[i] * wide[i];
        b_narrow[i] = a[i] * narrow[i];
    }
    mb_compare_cell c = {0};
    mb_compare_paired(a, b_wide, 12, 0.05, NULL, &c);
    assert_true(c.p_value < 0.01);
    assert_true(c.change > -0.05 && c.change < -0.03);
    assert_true(c.ci_low < -0.05);
    assert_int_equal(c.verdict, MB_VERDICT_REGRESSION);

    memset(&c, 0, sizeof c);
    mb_compare_paired(a, b_narrow, 12, 0.05, NULL, &c);
    assert_true(c.p_value < 0.01);
    assert_true(c.ci_low > -0.05 && c.ci_high < 0);
    assert_int_equal(c.verdict, MB_VERDICT_NO_CHANGE);

    /* The same, mirrored, for improvements. */
    memset(&c, 0, sizeof c);
    mb_compare_paired(b_wide, a, 12, 0.05, NULL, &c);
    assert_true(c.change < 0.06 && c.ci_high > 0.05);
    assert_int_equal(c.verdict, MB_VERDICT_IMPROVEMENT);
    memset(&c, 0, sizeof c);
    mb_compare_paired(b_narrow, a, 12, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NO_CHANGE);
}

/* The history rule: run-to-run spread of a baseline's run medians. */
static void test_history_verdicts(void **state)
{
    (void)state;
    const double runs[] = {100, 101, 99, 100.5, 99.5};
    const double noisy_runs[] = {100, 110, 90, 105, 95};
    const double slow[] = {80, 80.4, 79.6, 80.2, 79.8};
    const double fast[] = {120, 120.4, 119.6, 120.2, 119.8};
    const double same[] = {100.2, 100.6, 99.8, 100.4, 100};
    const double bit_low[] = {96, 96.4, 95.6, 96.2, 95.8};
    mb_compare_cell c = {0};
    mb_compare_history(runs, 5, slow, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_REGRESSION);
    assert_string_equal(c.test, "history");
    assert_close(c.change, 80.0 / 100.0 - 1, 1e-12);
    assert_true(c.p_value < 1e-4);
    assert_int_equal(c.n_baseline, 5);
    assert_close(c.baseline_median, 100, 0);
    assert_true(c.ci_low < c.change && c.change < c.ci_high);

    /* The prediction interval by hand: s of the log medians, t with 4 df. */
    double lm[5], lb[5], mean = 0;
    for (int i = 0; i < 5; i++) {
        lm[i] = log(runs[i]);
        lb[i] = log(same[i]);
        mean += lm[i] / 5;
    }
    double ss = 0, mb = 0, sb = 0;
    for (int i = 0; i < 5; i++) {
        ss += (lm[i] - mean) * (lm[i] - mean);
        mb += lb[i] / 5;
    }
    for (int i = 0; i < 5; i++)
        sb += (lb[i] - mb) * (lb[i] - mb);
    double s2 = ss / 4, se_b = sqrt(3.14159265358979323846 / 2) * sqrt(sb / 4) / sqrt(5.0);
    double se = sqrt(s2 * (1 + 1.0 / 5) + se_b * se_b);
    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 5, same, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NO_CHANGE);
    assert_close(c.mde, expm1(4.60409487134999 * se), 1e-9);
    assert_close(c.change, 100.2 / 100 - 1, 1e-12);

    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 5, fast, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_IMPROVEMENT);

    /* 10% between runs: a 4% drop says nothing. */
    memset(&c, 0, sizeof c);
    mb_compare_history(noisy_runs, 5, bit_low, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_INCONCLUSIVE);
    assert_true(c.mde > 0.2);
    assert_non_null(strstr(c.reason, "MDE "));
    assert_non_null(strstr(c.reason, "% > threshold 5.0%"));
    free(c.reason);

    /* Too few runs to know the noise, even for a 20% drop. */
    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 1, slow, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_INCONCLUSIVE);
    assert_string_equal(c.reason, "the baseline holds 1 run");
    assert_close(c.change, -0.2, 1e-12);
    free(c.reason);
    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 2, slow, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_INCONCLUSIVE);
    assert_string_equal(c.reason, "the baseline holds 2 runs; its run-to-run noise needs 3");
    free(c.reason);

    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 5, slow, 1, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NOT_COMPARABLE);
    free(c.reason);
    memset(&c, 0, sizeof c);
    mb_compare_history(runs, 0, slow, 5, 0.05, NULL, &c);
    assert_int_equal(c.verdict, MB_VERDICT_NOT_COMPARABLE);
    assert_string_equal(c.reason, "missing in baseline");
    free(c.reason);
}

/* Runs the real mpsbench with stdout and stderr to out_path; exit status. */
static void test_cli_exit_codes(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-test-compare-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *out = mb_asprintf("%s/out.txt", dir);
    char *json = mb_asprintf("%s/report.json", dir);
    char *md = mb_asprintf("%s/report.md", dir);

    /* Two plain runs: inconclusive by default, even for a 20% drop with
     * every repetition apart, because the drift between runs is unmeasured. */
    const char *two_runs[] = {"compare", FIXTURE("baseline.json"), FIXTURE("slower20.json"),
                              NULL};
    assert_int_equal(mb_test_run_mpsbench(two_runs, out), 0);
    char *text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "one run on each side"));
    assert_non_null(strstr(text, "Notice: 2 cell(s) inconclusive"));
    assert_non_null(strstr(text, "0 regression(s)"));
    assert_non_null(strstr(text, "within the runs alone: regression"));
    free(text);
    const char *two_runs_strict[] = {"compare", FIXTURE("baseline.json"),
                                     FIXTURE("slower20.json"), "--fail-on-inconclusive", NULL};
    assert_int_equal(mb_test_run_mpsbench(two_runs_strict, out), 1);

    /* The rest judges on the repetitions alone (--assume-no-drift). */
    const char *same[] = {"compare", FIXTURE("baseline.json"), FIXTURE("same.json"),
                          "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(same, out), 0);
    text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "no change"));
    assert_non_null(strstr(text, CELL_A));
    free(text);

    const char *slower[] = {"compare", FIXTURE("baseline.json"), FIXTURE("slower20.json"),
                            "--json", json, "--markdown", md, "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(slower, out), 1);
    text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "regression"));
    assert_non_null(strstr(text, "-20.0%"));
    free(text);
    json_error_t jerr;
    json_t *root = json_load_file(json, 0, &jerr);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "summary"),
                                                        "regression")), 2);
    json_decref(root);
    text = mb_read_file(md, NULL, NULL);
    assert_non_null(strstr(text, "regression"));
    free(text);

    const char *to_stdout[] = {"compare", FIXTURE("baseline.json"), FIXTURE("same.json"),
                               "--quiet", "--json", "-", NULL};
    assert_int_equal(mb_test_run_mpsbench(to_stdout, out), 0);
    root = json_load_file(out, 0, &jerr);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "cells")), 2);
    json_decref(root);

    /* A 25% threshold from the command line lets the 20% drop pass. */
    const char *lenient[] = {"compare", FIXTURE("baseline.json"), FIXTURE("slower20.json"),
                             "--threshold", "25%", "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(lenient, out), 0);

    const char *corrupt[] = {"compare", FIXTURE("corrupt.json"), FIXTURE("same.json"), NULL};
    assert_int_equal(mb_test_run_mpsbench(corrupt, out), 2);
    text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "corrupt.json"));
    free(text);
    const char *corrupt_cur[] = {"compare", FIXTURE("baseline.json"), FIXTURE("corrupt.json"),
                                 NULL};
    assert_int_equal(mb_test_run_mpsbench(corrupt_cur, out), 2);
    /* Inconclusive is exit 0 with a notice, 1 when the caller says so. */
    const char *few[] = {"compare", FIXTURE("three.json"), FIXTURE("three-slower20.json"),
                         "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(few, out), 0);
    text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "inconclusive: 3 against 3 repetitions"));
    assert_non_null(strstr(text, "Notice: 1 cell(s) inconclusive"));
    free(text);
    const char *strict[] = {"compare", FIXTURE("three.json"), FIXTURE("three-slower20.json"),
                            "--fail-on-inconclusive", "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(strict, out), 1);
    /* A regression stays 1 whatever the flag. */
    const char *strict_reg[] = {"compare", FIXTURE("baseline.json"), FIXTURE("slower20.json"),
                                "--fail-on-inconclusive", "--assume-no-drift", NULL};
    assert_int_equal(mb_test_run_mpsbench(strict_reg, out), 1);

    /* Nothing comparable: exit 2, saying why. */
    const char *other[] = {"compare", FIXTURE("baseline.json"), FIXTURE("other-scenario.json"),
                           NULL};
    assert_int_equal(mb_test_run_mpsbench(other, out), 2);
    text = mb_read_file(out, NULL, NULL);
    assert_non_null(strstr(text, "nothing to compare: 4 cell(s) not comparable"));
    assert_non_null(strstr(text, "different scenario?"));
    free(text);
    const char *device[] = {"compare", FIXTURE("baseline.json"), FIXTURE("device.json"), NULL};
    assert_int_equal(mb_test_run_mpsbench(device, out), 2);

    const char *one[] = {"compare", FIXTURE("baseline.json"), NULL};
    assert_int_equal(mb_test_run_mpsbench(one, out), 2);
    const char *bad_threshold[] = {"compare", FIXTURE("baseline.json"), FIXTURE("same.json"),
                                   "--threshold", "five", NULL};
    assert_int_equal(mb_test_run_mpsbench(bad_threshold, out), 2);

    unlink(out);
    unlink(json);
    unlink(md);
    rmdir(dir);
    free(out);
    free(json);
    free(md);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_no_change),
    cmocka_unit_test(test_regression_20),
    cmocka_unit_test(test_significant_but_within_threshold),
    cmocka_unit_test(test_improvement),
    cmocka_unit_test(test_missing_cells),
    cmocka_unit_test(test_device_mismatch),
    cmocka_unit_test(test_torch_mismatch),
    cmocka_unit_test(test_failed_repetitions),
    cmocka_unit_test(test_three_repetitions_cannot_decide),
    cmocka_unit_test(test_threshold_from_run_json),
    cmocka_unit_test(test_failures_only_from_own_run_json),
    cmocka_unit_test(test_run_json_only_for_own_results),
    cmocka_unit_test(test_bad_files),
    cmocka_unit_test(test_decide),
    cmocka_unit_test(test_json_report),
    cmocka_unit_test(test_cli_exit_codes),
    cmocka_unit_test(test_two_file_verdicts),
    cmocka_unit_test(test_paired_verdicts),
    cmocka_unit_test(test_paired_threshold_bounds_the_interval),
    cmocka_unit_test(test_history_verdicts),
};

MB_TEST_MAIN("compare", tests, NULL, NULL)

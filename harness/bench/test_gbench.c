/* Tests of the C API over Google Benchmark: registration options, manual
 * time, counters, errors and the JSON schema the results module reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gbench_c.h"

#define MB_TEST_MAX_RUNS 32

/* cmocka 1.1's assert_float_equal converts to float, which would make every
 * tolerance below 1e-7 meaningless; this one compares doubles. */
static void check_close(double actual, double expected, double eps, const char *file, int line)
{
    if (!(fabs(actual - expected) <= eps))
        fail_msg("%s:%d: %.17g != %.17g (tolerance %g)", file, line, actual, expected, eps);
}
#define assert_close(actual, expected, eps) \
    check_close((actual), (expected), (eps), __FILE__, __LINE__)

typedef struct mb_test_run {
    char name[256];
    char aggregate[32];
    int64_t iterations;
    double real_time;
    bool error_occurred;
    char error_message[256];
    double images_rate;         /* the "images" counter, NAN when absent */
} mb_test_run;

typedef struct mb_test_ctx {
    char dir[256];
    char json_path[512];
    int n_runs;
    mb_test_run runs[MB_TEST_MAX_RUNS];
} mb_test_ctx;

static void on_run(const mb_gb_run_report *run, void *arg)
{
    mb_test_ctx *ctx = arg;
    assert_true(ctx->n_runs < MB_TEST_MAX_RUNS);
    mb_test_run *r = &ctx->runs[ctx->n_runs++];
    snprintf(r->name, sizeof r->name, "%s", run->name);
    snprintf(r->aggregate, sizeof r->aggregate, "%s", run->aggregate);
    r->iterations = run->iterations;
    r->real_time = run->real_time;
    r->error_occurred = run->error_occurred;
    snprintf(r->error_message, sizeof r->error_message, "%s", run->error_message);
    r->images_rate = NAN;
    for (size_t i = 0; i < run->n_counters; i++) {
        if (strcmp(run->counter_names[i], "images") == 0)
            r->images_rate = run->counter_values[i];
    }
}

static int setup(void **state)
{
    mb_test_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(ctx->dir, sizeof ctx->dir, "%s/mb_gbench_XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(ctx->dir) == NULL) {
        free(ctx);
        return -1;
    }
    snprintf(ctx->json_path, sizeof ctx->json_path, "%s/results.json", ctx->dir);
    mb_gb_clear();
    *state = ctx;
    return 0;
}

static int teardown(void **state)
{
    mb_test_ctx *ctx = *state;
    mb_gb_clear();
    unlink(ctx->json_path);
    rmdir(ctx->dir);
    free(ctx);
    return 0;
}

/* Ten milliseconds of manual time per iteration, plus one counter of each
 * kind: "images" (4 per iteration, a rate), "batch" (plain) and "per_iter"
 * (3 per iteration, averaged over iterations). */
static void bm_manual(mb_gb_state *st, void *arg)
{
    (void)arg;
    while (mb_gb_keep_running(st))
        mb_gb_set_iteration_time(st, 0.010);
    int64_t iters = mb_gb_iterations(st);
    mb_gb_set_counter(st, "images", 4.0 * (double)iters, MB_GB_COUNTER_RATE);
    mb_gb_set_counter(st, "batch", 7.0, MB_GB_COUNTER_DEFAULT);
    mb_gb_set_counter(st, "per_iter", 3.0 * (double)iters, MB_GB_COUNTER_AVG_ITERATIONS);
    mb_gb_set_label(st, "synthetic");
}

static void bm_fail(mb_gb_state *st, void *arg)
{
    (void)arg;
    mb_gb_skip_with_error(st, "worker died");
}

static void bm_noop(mb_gb_state *st, void *arg)
{
    int *calls = arg;
    if (calls != NULL)
        (*calls)++;
    while (mb_gb_keep_running(st)) {
    }
}

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        fail_msg("cannot parse %s: %s (line %d)", path, jerr.text, jerr.line);
    return root;
}

static void test_manual_time_json(void **state)
{
    mb_test_ctx *ctx = *state;
    mb_err err;
    mb_err_clear(&err);

    mb_gb_options opt = {
        .iterations = 5, .repetitions = 3, .use_manual_time = true, .unit = MB_GB_MS,
    };
    assert_int_equal(mb_gb_register("mb_manual", bm_manual, NULL, &opt, &err), 0);
    mb_gb_add_context("mb_test_key", "mb_test_value");

    mb_gb_run_options ropt = {.json_out = ctx->json_path, .on_run = on_run, .on_run_arg = ctx};
    assert_int_equal(mb_gb_run(&ropt, &err), 1);

    json_t *root = load_json(ctx->json_path);
    json_t *context = json_object_get(root, "context");
    assert_true(json_is_object(context));
    assert_string_equal(json_string_value(json_object_get(context, "mb_test_key")),
                        "mb_test_value");
    assert_non_null(json_object_get(context, "date"));

    json_t *benchmarks = json_object_get(root, "benchmarks");
    assert_true(json_is_array(benchmarks));
    size_t n = json_array_size(benchmarks);
    int n_iteration = 0, n_aggregate = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_array_get(benchmarks, i);
        const char *name = json_string_value(json_object_get(b, "name"));
        const char *run_type = json_string_value(json_object_get(b, "run_type"));
        assert_non_null(name);
        assert_non_null(run_type);
        assert_string_equal(json_string_value(json_object_get(b, "time_unit")), "ms");
        assert_non_null(json_object_get(b, "batch"));
        assert_non_null(json_object_get(b, "per_iter"));
        if (strcmp(run_type, "iteration") == 0) {
            n_iteration++;
            assert_string_equal(name, "mb_manual");
            assert_int_equal(json_integer_value(json_object_get(b, "iterations")), 5);
            assert_close(json_number_value(json_object_get(b, "real_time")), 10.0, 1e-6);
            assert_close(json_number_value(json_object_get(b, "batch")), 7.0, 1e-9);
            assert_close(json_number_value(json_object_get(b, "per_iter")), 3.0, 1e-9);
            /* 20 images over 0.05 s of manual time: the rate uses manual time.
             * Divided by the few microseconds of CPU time it would be ~1e6. */
            assert_close(json_number_value(json_object_get(b, "images")), 400.0, 1e-6);
            assert_string_equal(json_string_value(json_object_get(b, "label")), "synthetic");
        } else {
            assert_string_equal(run_type, "aggregate");
            n_aggregate++;
            const char *agg = json_string_value(json_object_get(b, "aggregate_name"));
            assert_non_null(agg);
            if (strcmp(agg, "mean") == 0 || strcmp(agg, "median") == 0)
                assert_close(json_number_value(json_object_get(b, "real_time")), 10.0,
                                   1e-6);
        }
    }
    assert_int_equal(n_iteration, 3);
    /* mean, median, stddev, and cv since 1.7.0. */
    assert_true(n_aggregate >= 3);

    assert_int_equal(ctx->n_runs, 3 + n_aggregate);
    int seen_iteration = 0;
    for (int i = 0; i < ctx->n_runs; i++) {
        const mb_test_run *r = &ctx->runs[i];
        assert_false(r->error_occurred);
        if (r->aggregate[0] == '\0') {
            seen_iteration++;
            assert_int_equal(r->iterations, 5);
            assert_close(r->real_time, 10.0, 1e-6);
            assert_close(r->images_rate, 400.0, 1e-6);
        } else if (strcmp(r->aggregate, "median") == 0) {
            assert_string_equal(r->name, "mb_manual_median");
            assert_close(r->real_time, 10.0, 1e-6);
        }
    }
    assert_int_equal(seen_iteration, 3);
    json_decref(root);
}

static void test_aggregates_only(void **state)
{
    mb_test_ctx *ctx = *state;
    mb_gb_options opt = {
        .iterations = 2, .repetitions = 3, .use_manual_time = true, .unit = MB_GB_US,
        .aggregates_only = true,
    };
    assert_int_equal(mb_gb_register("mb_agg", bm_manual, NULL, &opt, NULL), 0);
    mb_gb_run_options ropt = {.json_out = ctx->json_path, .on_run = on_run, .on_run_arg = ctx};
    assert_int_equal(mb_gb_run(&ropt, NULL), 1);
    assert_true(ctx->n_runs >= 3);
    for (int i = 0; i < ctx->n_runs; i++)
        assert_true(ctx->runs[i].aggregate[0] != '\0');

    json_t *root = load_json(ctx->json_path);
    json_t *benchmarks = json_object_get(root, "benchmarks");
    assert_int_equal((int)json_array_size(benchmarks), ctx->n_runs);
    json_t *first = json_array_get(benchmarks, 0);
    assert_string_equal(json_string_value(json_object_get(first, "time_unit")), "us");
    json_decref(root);
}

static void test_skip_with_error(void **state)
{
    mb_test_ctx *ctx = *state;
    assert_int_equal(mb_gb_register("mb_fail", bm_fail, NULL, NULL, NULL), 0);
    mb_gb_run_options ropt = {.json_out = ctx->json_path, .on_run = on_run, .on_run_arg = ctx};
    assert_int_equal(mb_gb_run(&ropt, NULL), 1);

    assert_int_equal(ctx->n_runs, 1);
    assert_true(ctx->runs[0].error_occurred);
    assert_string_equal(ctx->runs[0].error_message, "worker died");

    /* The JSON has no entry for it: a failed run has no time to report, and
     * a real_time of 0 would read as the fastest result. */
    json_t *root = load_json(ctx->json_path);
    assert_int_equal((int)json_array_size(json_object_get(root, "benchmarks")), 0);
    json_decref(root);
}

/* Repetitions 1 and 2 run, 3 fails before its loop, 4 and 5 are not
 * needed: Google Benchmark must neither abort on the mixed iteration counts
 * nor report the unneeded ones or the failed one, and its aggregates cover
 * the two that ran. */
static void bm_mixed(mb_gb_state *st, void *arg)
{
    int *calls = arg;
    int call = (*calls)++;
    if (call == 2) {
        mb_gb_skip_with_error(st, "oom");
        return;
    }
    if (call >= 3) {
        mb_gb_skip_unreported(st);
        return;
    }
    while (mb_gb_keep_running(st))
        mb_gb_set_iteration_time(st, 0.010);
    mb_gb_set_counter(st, "images_per_second", 100.0 + call, MB_GB_COUNTER_DEFAULT);
}

static void test_skipped_repetitions(void **state)
{
    mb_test_ctx *ctx = *state;
    int calls = 0;
    mb_gb_options opt = {.iterations = 4, .repetitions = 5, .use_manual_time = true,
                         .unit = MB_GB_MS};
    assert_int_equal(mb_gb_register("mb_mixed", bm_mixed, &calls, &opt, NULL), 0);
    mb_gb_run_options ropt = {.json_out = ctx->json_path};
    assert_int_equal(mb_gb_run(&ropt, NULL), 1);
    assert_int_equal(calls, 5);
    json_t *root = load_json(ctx->json_path);
    size_t i;
    json_t *b;
    int iterations = 0, median_seen = 0;
    json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
        const char *type = json_string_value(json_object_get(b, "run_type"));
        if (strcmp(type, "iteration") == 0) {
            assert_false(json_is_true(json_object_get(b, "error_occurred")));
            assert_true(json_number_value(json_object_get(b, "real_time")) > 0);
            iterations++;
        } else if (strcmp(json_string_value(json_object_get(b, "aggregate_name")), "median") == 0) {
            median_seen++;
            check_close(json_number_value(json_object_get(b, "images_per_second")), 100.5, 1e-9,
                        __FILE__, __LINE__);
        }
    }
    assert_int_equal(iterations, 2);
    assert_int_equal(median_seen, 1);
    json_decref(root);
}

static void test_clear_drops_registrations(void **state)
{
    mb_test_ctx *ctx = *state;
    int calls = 0;
    mb_gb_options opt = {.iterations = 1};
    assert_int_equal(mb_gb_register("mb_cleared", bm_noop, &calls, &opt, NULL), 0);
    mb_gb_clear();
    mb_gb_run_options ropt = {.on_run = on_run, .on_run_arg = ctx};
    assert_int_equal(mb_gb_run(&ropt, NULL), 0);
    assert_int_equal(calls, 0);
    assert_int_equal(ctx->n_runs, 0);
}

static void test_filter(void **state)
{
    mb_test_ctx *ctx = *state;
    int calls_a = 0, calls_b = 0;
    mb_gb_options opt = {.iterations = 1};
    assert_int_equal(mb_gb_register("mb_alpha", bm_noop, &calls_a, &opt, NULL), 0);
    assert_int_equal(mb_gb_register("mb_beta", bm_noop, &calls_b, &opt, NULL), 0);

    mb_gb_run_options ropt = {.on_run = on_run, .on_run_arg = ctx, .filter = "^mb_beta"};
    assert_int_equal(mb_gb_run(&ropt, NULL), 1);
    assert_int_equal(calls_a, 0);
    assert_int_equal(calls_b, 1);

    mb_err err;
    mb_err_clear(&err);
    ropt.filter = "mb_(";
    assert_int_equal(mb_gb_run(&ropt, &err), MB_EINVAL);
    assert_int_equal(err.code, MB_EINVAL);
}

static void test_errors(void **state)
{
    mb_test_ctx *ctx = *state;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_gb_register(NULL, bm_noop, NULL, NULL, &err), MB_EINVAL);
    assert_int_equal(mb_gb_register("x", NULL, NULL, NULL, &err), MB_EINVAL);
    mb_gb_options bad = {.iterations = -1};
    assert_int_equal(mb_gb_register("x", bm_noop, NULL, &bad, &err), MB_EINVAL);

    mb_gb_options opt = {.iterations = 1};
    assert_int_equal(mb_gb_register("mb_io", bm_noop, NULL, &opt, NULL), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/missing/results.json", ctx->dir);
    mb_gb_run_options ropt = {.json_out = path};
    mb_err_clear(&err);
    assert_int_equal(mb_gb_run(&ropt, &err), MB_EIO);
    assert_non_null(strstr(err.msg, "missing/results.json"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_manual_time_json),
    cmocka_unit_test(test_aggregates_only),
    cmocka_unit_test(test_skip_with_error),
    cmocka_unit_test(test_skipped_repetitions),
    cmocka_unit_test(test_clear_drops_registrations),
    cmocka_unit_test(test_filter),
    cmocka_unit_test(test_errors),
};

MB_TEST_MAIN_EACH("gbench", tests, setup, teardown)

/* End-to-end tests of `mpsbench run` as users call it: the real CLI binary,
 * an embedded redis-server, a real worker on the CPU, and the run directory
 * it leaves behind. */
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
#include <unistd.h>

#include "mb_testing.h"
#include "mb_util.h"

typedef mb_test_fixture fixture;

#define NEED_ENV MB_TEST_NEED

static json_t *load_json(const char *dir, const char *file)
{
    char *path = mb_asprintf("%s/%s", dir, file);
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL)
        fail_msg("%s: %s", path, jerr.text);
    free(path);
    if (strcmp(file, "run.json") == 0)
        mb_test_assert_jobs_accounted(o);
    return o;
}

static const char smoke[] =
    "name: e2e\n"
    "model: builtin:tiny\n"
    "input_size: 48\n"
    "images: {sizes: [64x48, 200x150], per_job: 3, format: jpeg}\n"
    "matrix: {device: [cpu], batch_size: [1, 3]}\n"
    "run: {jobs: 3, warmup_jobs: 1, repetitions: 2, threads: 1}\n";

/* The run directory holds Google Benchmark JSON with its standard fields,
 * run.json with every job, and the CI reports. */
static void run_writes_the_run_directory(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "e2e.yaml", smoke);
    char *out = mb_asprintf("%s/run", f->env.tmp);
    /* The charts are tested in test_plot; runs here skip them so that the
     * suite passes where gnuplot is not installed (the GPU machine). */
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts", NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);

    json_t *results = load_json(out, "results.json");
    assert_true(json_is_object(json_object_get(results, "context")));
    json_t *benchmarks = json_object_get(results, "benchmarks");
    assert_true(json_is_array(benchmarks));
    int iterations_rows = 0;
    size_t i;
    json_t *b;
    json_array_foreach(benchmarks, i, b) {
        assert_true(json_is_string(json_object_get(b, "name")));
        const char *run_type = json_string_value(json_object_get(b, "run_type"));
        assert_non_null(run_type);
        assert_true(json_is_number(json_object_get(b, "real_time")));
        assert_string_equal(json_string_value(json_object_get(b, "time_unit")), "ms");
        assert_true(json_is_integer(json_object_get(b, "iterations")));
        assert_true(json_is_number(json_object_get(b, "images_per_second")));
        assert_true(json_is_number(json_object_get(b, "latency_p99_ms")));
        if (strcmp(run_type, "iteration") == 0) {
            iterations_rows++;
            assert_int_equal(json_integer_value(json_object_get(b, "iterations")), 3);
            assert_true(json_number_value(json_object_get(b, "images_per_second")) > 0);
        }
    }
    assert_int_equal(iterations_rows, 4 * 2);   /* 4 cells x 2 repetitions */
    json_decref(results);

    /* Every enqueued job is accounted for: warm-up + jobs x repetitions. */
    json_t *run = load_json(out, "run.json");
    assert_string_equal(json_string_value(json_object_get(run, "status")), "passed");
    json_t *cells = json_object_get(run, "cells");
    assert_int_equal(json_array_size(cells), 4);
    json_t *c;
    json_array_foreach(cells, i, c) {
        assert_string_equal(json_string_value(json_object_get(c, "verdict")), "pass");
        json_t *jobs = json_object_get(c, "jobs");
        assert_int_equal(json_array_size(jobs), 1 + 3 * 2);
        size_t j;
        json_t *job;
        json_array_foreach(jobs, j, job) {
            assert_string_equal(json_string_value(json_object_get(job, "status")), "ok");
            assert_int_equal(json_integer_value(json_object_get(job, "images")), 3);
            /* The worker's word on when it sent the result, how long it
             * held it, and whether the job's first batch was ready. */
            assert_true(json_is_string(json_object_get(job, "sent")));
            assert_true(json_is_number(json_object_get(job, "held_ms")));
            json_t *gap = json_object_get(job, "gap");
            assert_true(json_is_boolean(json_object_get(gap, "first_batch_ready")));
        }
    }
    json_decref(run);

    char *junit = mb_asprintf("%s/junit.xml", out);
    char *xml = mb_read_file(junit, NULL, NULL);
    assert_non_null(xml);
    /* Three checks per cell (OOM, crash, regression); without a baseline
     * the regression check is skipped, visibly. */
    assert_non_null(strstr(xml, "<testsuites name=\"mpsbench\" tests=\"12\" failures=\"0\" errors=\"0\""));
    assert_non_null(strstr(xml, "tests=\"12\" failures=\"0\" errors=\"0\" skipped=\"4\" time=\""));
    assert_non_null(strstr(xml, "[regression]\" time=\"0.000\">\n      <skipped message=\"no baseline given\"/>"));
    char *summary_path = mb_asprintf("%s/summary.md", out);
    char *summary = mb_read_file(summary_path, NULL, NULL);
    assert_non_null(summary);
    assert_non_null(strstr(summary, "4 passed, 0 failed, 0 skipped"));
    free(xml);
    free(junit);
    free(summary);
    free(summary_path);
    free(output);
    free(out);
    free(scenario);
}

/* A malformed scenario exits 2 naming file:line:column, and no run starts. */
static void bad_scenario_exits_2_with_position(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "bad.yaml",
                                    "name: bad\nmodel: builtin:tiny\nrun:\n  jobz: 3\n");
    char *out = mb_asprintf("%s/bad-run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, NULL};
    char *output;
    assert_int_equal(mb_test_run_cli(&f->env, args, &output), 2);
    char *where = mb_asprintf("%s:4:3", scenario);
    if (strstr(output, where) == NULL || strstr(output, "jobs") == NULL)
        fail_msg("expected '%s' and a did-you-mean in:\n%s", where, output);
    assert_int_equal(access(out, F_OK), -1);
    free(where);
    free(output);
    free(out);
    free(scenario);
}

/* --redis uses an existing server and leaves none of its keys behind. */
static void external_redis_is_used_and_left_clean(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "ext.yaml",
        "name: ext\nmodel: builtin:tiny\ninput_size: 32\n"
        "images: {sizes: [64x64], per_job: 2}\n"
        "matrix: {device: [cpu], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 0, repetitions: 1, threads: 1}\n");
    char *out = mb_asprintf("%s/ext-run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts",
                          "--redis", f->env.redis.url, NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    /* No embedded server was started for this run. */
    char *redis_log = mb_asprintf("%s/logs/redis.log", out);
    assert_int_equal(access(redis_log, F_OK), -1);
    /* Only the test's own streams remain; the run's namespace is gone. */
    mb_err err;
    assert_int_equal(mb_queue_delete_matching(f->env.q, "mb:[0-9a-f]*", &err), 0);
    free(redis_log);
    free(output);
    free(out);
    free(scenario);
}

/* The hello record of the worker that served the cells with this fix
 * setting (borrowed from run). */
static json_t *worker_with_fix(json_t *run, bool fix)
{
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(run, "workers"), i, w) {
        if (json_is_true(json_object_get(json_object_get(w, "watermark"), "fix")) == fix)
            return w;
    }
    fail_msg("no worker with the fix %s in run.json", fix ? "on" : "off");
    return NULL;
}

static const char *env_of(json_t *worker, const char *name)
{
    return json_string_value(json_object_get(json_object_get(worker, "env"), name));
}

/* The watermark rule as the native worker gets it, with the variables in
 * the harness's own environment: the fix keeps the user's value
 * (setdefault), fix off removes it, and without one the fix sets 0.0.  The
 * worker's own hello reports what its process really holds. */
static void native_worker_gets_the_watermark_rule(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "wm.yaml",
        "name: wm\nmodel: builtin:tiny\ninput_size: 32\n"
        "images: {sizes: [64x48], per_job: 1}\n"
        "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [1]}\n"
        "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n");
    setenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO", "1.3", 1);
    setenv("PYTORCH_MPS_LOW_WATERMARK_RATIO", "1.2", 1);
    char *out = mb_asprintf("%s/wm-shell", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts", NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    unsetenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    unsetenv("PYTORCH_MPS_LOW_WATERMARK_RATIO");
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    json_t *run = load_json(out, "run.json");
    json_t *on = worker_with_fix(run, true), *off = worker_with_fix(run, false);
    assert_string_equal(env_of(on, "PYTORCH_MPS_HIGH_WATERMARK_RATIO"), "1.3");
    assert_string_equal(env_of(on, "PYTORCH_MPS_LOW_WATERMARK_RATIO"), "1.2");
    assert_true(json_is_true(json_object_get(json_object_get(on, "watermark"), "explicit")));
    assert_null(env_of(off, "PYTORCH_MPS_HIGH_WATERMARK_RATIO"));
    assert_string_equal(env_of(off, "PYTORCH_MPS_LOW_WATERMARK_RATIO"), "1.2");
    json_decref(run);
    free(output);
    free(out);

    out = mb_asprintf("%s/wm-clean", f->env.tmp);
    const char *args2[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts", NULL};
    code = mb_test_run_cli(&f->env, args2, &output);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    run = load_json(out, "run.json");
    on = worker_with_fix(run, true);
    off = worker_with_fix(run, false);
    assert_string_equal(env_of(on, "PYTORCH_MPS_HIGH_WATERMARK_RATIO"), "0.0");
    assert_false(json_is_true(json_object_get(json_object_get(on, "watermark"), "explicit")));
    assert_null(env_of(off, "PYTORCH_MPS_HIGH_WATERMARK_RATIO"));
    json_decref(run);
    free(output);
    free(out);
    free(scenario);
}

/* A device that is not usable here makes its cells skipped with the reason:
 * not a pass, not an OOM, and not a failure unless the scenario requires it. */
static void unusable_device_is_skipped_visibly(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    /* Decided by the machine before the run, not by the run's answer. */
    if (mb_test_machine_has_cuda())
        MB_SKIP("this machine has a CUDA GPU");
    char *scenario = mb_test_write_file(&f->env, "gpu.yaml",
        "name: gpu\nmodel: builtin:tiny\ninput_size: 32\n"
        "images: {sizes: [64x64], per_job: 2}\n"
        "matrix: {device: [cuda], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 0, repetitions: 1}\n");
    char *out = mb_asprintf("%s/gpu-run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts", NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    json_t *run = load_json(out, "run.json");
    json_t *cell = json_array_get(json_object_get(run, "cells"), 0);
    const char *verdict = json_string_value(json_object_get(cell, "verdict"));
    assert_int_equal(code, 0);
    assert_string_equal(verdict, "skipped");
    assert_non_null(strstr(json_string_value(json_object_get(cell, "skip_reason")), "CUDA unusable"));
    assert_int_equal(json_array_size(json_object_get(cell, "jobs")), 0);
    json_decref(run);
    char *junit = mb_asprintf("%s/junit.xml", out);
    char *xml = mb_read_file(junit, NULL, NULL);
    assert_non_null(strstr(xml, "<skipped message=\""));
    free(xml);
    free(junit);
    free(output);
    free(out);
    free(scenario);
}

/* Charts come with every run unless --no-charts.  (A run without gnuplot
 * still writes everything else and exits 3: test_plot checks that with a
 * gnuplot that does not exist.) */
static void run_draws_charts(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
    char *scenario = mb_test_write_file(&f->env, "charts.yaml", smoke);
    char *out = mb_asprintf("%s/charts-run", f->env.tmp);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    char *index = mb_asprintf("%s/charts/index.md", out);
    char *run_json = mb_asprintf("%s/run.json", out);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    assert_int_equal(access(run_json, F_OK), 0);
    assert_int_equal(access(index, F_OK), 0);
    assert_non_null(strstr(output, "charts in"));
    free(index);
    free(run_json);
    free(output);
    free(out);
    free(scenario);
}

/* Issue 4's contract end to end: results compared with themselves are no
 * change (exit 0); with an injected slowdown a run is a regression (exit 1),
 * in run.json, compare.json and junit.xml.  The margin is wide (jobs five
 * times as slow against a 15% threshold) so that a loaded CI machine cannot
 * flip the verdict. */
static void run_against_baseline(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    const char *base_yaml =
        "name: reg\nmodel: builtin:resnet18\ninput_size: 64\n"
        "images: {sizes: [64x48], per_job: 8}\n"
        "matrix: {device: [cpu], batch_size: [8]}\n"
        "run: {jobs: 3, warmup_jobs: 1, repetitions: 6, threads: 1}\n"
        "expect: {regression: 15%}\n";
    /* Five times slower: a verdict that load on the machine between the two
     * runs cannot undo (the slowdown is relative to each job's own time). */
    char *slow_yaml = mb_asprintf("%sfault: {slowdown: 400%%}\n", base_yaml);
    char *plain = mb_test_write_file(&f->env, "reg.yaml", base_yaml);
    char *slow = mb_test_write_file(&f->env, "reg-slow.yaml", slow_yaml);
    char *first = mb_asprintf("%s/reg-1", f->env.tmp);
    char *third = mb_asprintf("%s/reg-3", f->env.tmp);
    char *baseline = mb_asprintf("%s/results.json", first);
    char *output;
    const char *a[] = {"run", plain, "--out", first, "--image-cache", f->cache, "--no-charts", NULL};
    assert_int_equal(mb_test_run_cli(&f->env, a, &output), 0);
    free(output);

    /* A run against itself is never a regression, whatever the machine
     * does (one plain run on each side is inconclusive by default). */
    const char *b[] = {"compare", baseline, baseline, NULL};
    int code = mb_test_run_cli(&f->env, b, &output);
    if (code != 0)
        fail_msg("A/A exit %d:\n%s", code, output);
    assert_non_null(strstr(output, "0 regression(s)"));
    free(output);

    /* One plain run as the baseline is inconclusive by default (the drift
     * between two runs is not measured: test_compare holds that); this
     * contract is about how a verdict travels, so the repetitions judge. */
    const char *c[] = {"run", slow, "--out", third, "--image-cache", f->cache, "--no-charts",
                       "--baseline", baseline, "--assume-no-drift", NULL};
    code = mb_test_run_cli(&f->env, c, &output);
    if (code != 1)
        fail_msg("slowdown exit %d:\n%s", code, output);
    assert_non_null(strstr(output, "regression"));
    free(output);
    /* Both files say `name: reg`, so their cells carry the same names. */
    json_t *run = load_json(third, "run.json");
    json_t *cell = json_array_get(json_object_get(run, "cells"), 0);
    json_t *cmp = json_object_get(cell, "baseline");
    assert_string_equal(json_string_value(json_object_get(cmp, "verdict")), "regression");
    assert_true(json_number_value(json_object_get(cmp, "change")) < -0.5);
    assert_string_equal(json_string_value(json_object_get(run, "status")), "failed");
    json_decref(run);
    char *junit = mb_asprintf("%s/junit.xml", third);
    char *xml = mb_read_file(junit, NULL, NULL);
    assert_non_null(strstr(xml, "[regression]\" time=\"0.000\">\n      <failure type=\"regression\" message=\"regression:"));
    free(xml);
    free(junit);
    free(baseline);
    free(third);
    free(first);
    free(slow);
    free(plain);
    free(slow_yaml);
}

static void unknown_command_is_usage_error(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    const char *args[] = {"frobnicate", NULL};
    char *output;
    assert_int_equal(mb_test_run_cli(&f->env, args, &output), 2);
    assert_non_null(strstr(output, "unknown command 'frobnicate'"));
    free(output);
    const char *bad_opt[] = {"run", "--colour", NULL};
    assert_int_equal(mb_test_run_cli(&f->env, bad_opt, &output), 2);
    assert_non_null(strstr(output, "option --colour: unknown option"));
    free(output);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(run_writes_the_run_directory),
    cmocka_unit_test(bad_scenario_exits_2_with_position),
    cmocka_unit_test(external_redis_is_used_and_left_clean),
    cmocka_unit_test(unusable_device_is_skipped_visibly),
    cmocka_unit_test(native_worker_gets_the_watermark_rule),
    cmocka_unit_test(run_draws_charts),
    cmocka_unit_test(run_against_baseline),
    cmocka_unit_test(unknown_command_is_usage_error),
};

MB_TEST_MAIN_EACH("mpsbench run (end to end)", tests,
                  mb_test_fixture_setup, mb_test_fixture_teardown)

/* The schedule and the comparisons inside one run, end to end on the CPU:
 * interleaved rounds from a seed, A/B of two workers judged on paired
 * rounds, contrasts of the watermark fix, and the fallback to sequential
 * repetitions.  Verdicts are checked with margins no load can flip (a
 * candidate four times slower, thresholds of 30%). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mb_testing.h"
#include "mb_util.h"

typedef mb_test_fixture fixture;
#define NEED_ENV MB_TEST_NEED

/* An A/B pair: one cell on both sides (each round starts two fresh
 * workers, so the pair is kept small enough for a loaded machine). */
static const char ab_pair[] =
    "name: ab\nmodel: builtin:tiny\ninput_size: 48\n"
    "images: {sizes: [160x120], per_job: 16, format: jpeg}\n"
    "matrix: {device: [cpu], batch_size: [8]}\n"
    "run: {jobs: 4, warmup_jobs: 1, repetitions: 10, threads: 1, decode_threads: 1}\n"
    /* The threshold is far beyond what noise can fake in 10 paired rounds
     * (the detector benchmark measures false-alarm rates, not this test);
     * the slow candidate below is 4x slower, a change of -75%. */
    "expect: {regression: 60%}\n";

static const char three_cells[] =
    "name: ab\nmodel: builtin:tiny\ninput_size: 48\n"
    "images: {sizes: [160x120, 320x240], per_job: 8, format: jpeg}\n"
    "matrix: {device: [cpu], batch_size: [2, 8]}\n"
    "run: {jobs: 2, warmup_jobs: 1, repetitions: 8, threads: 1, decode_threads: 1}\n"
    "expect: {regression: 30%}\n";

/* Runs the CLI with args after "run SCENARIO --out DIR --image-cache C
 * --no-charts"; returns the exit code and run.json. */
static int run(fixture *f, const char *scenario, const char *name, const char *const *more,
               json_t **run_json, char **out_dir)
{
    char *out = mb_asprintf("%s/%s", f->env.tmp, name);
    char *output;
    int code = mb_test_run_scenario(f, scenario, out, more, &output);
    *run_json = mb_test_run_json(out, output);
    free(output);
    if (out_dir != NULL)
        *out_dir = out;
    else
        free(out);
    return code;
}

static json_t *rounds_of(json_t *run_json)
{
    return json_object_get(json_object_get(run_json, "schedule"), "rounds");
}

/* Every round runs every cell once, in an order drawn from the seed: the
 * same seed gives the same order, and the order changes between rounds. */
static void rounds_are_shuffled_from_the_seed(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "ab.yaml", three_cells);
    const char *seed[] = {"--seed", "7", NULL};
    json_t *a, *b;
    assert_int_equal(run(f, scenario, "seed-a", seed, &a, NULL), 0);
    assert_int_equal(run(f, scenario, "seed-b", seed, &b, NULL), 0);
    json_t *sa = json_object_get(a, "schedule");
    assert_string_equal(json_string_value(json_object_get(sa, "order")), "interleaved");
    assert_string_equal(json_string_value(json_object_get(sa, "seed")), "7");
    assert_true(json_equal(rounds_of(a), rounds_of(b)));
    json_t *rounds = rounds_of(a);
    assert_int_equal(json_array_size(rounds), 8);
    size_t n_cells = json_array_size(json_object_get(a, "cells"));
    bool orders_differ = false;
    size_t i;
    json_t *round;
    json_array_foreach(rounds, i, round) {
        assert_int_equal(json_array_size(round), n_cells);
        /* Every cell once per round. */
        for (size_t x = 0; x < n_cells; x++)
            for (size_t y = x + 1; y < n_cells; y++)
                assert_string_not_equal(json_string_value(json_array_get(round, x)),
                                        json_string_value(json_array_get(round, y)));
        if (i > 0 && !json_equal(round, json_array_get(rounds, 0)))
            orders_differ = true;
    }
    assert_true(orders_differ);
    /* Each repetition says which round it ran in. */
    json_t *reps = json_object_get(json_array_get(json_object_get(a, "cells"), 0), "repetitions");
    assert_int_equal(json_array_size(reps), 8);
    for (size_t k = 0; k < 8; k++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(reps, k), "round")),
                         (json_int_t)k);
    json_decref(a);
    json_decref(b);
    free(scenario);
}

/* A candidate four times slower is a regression in every cell; the same
 * worker on both sides (A/A) is never one. */
/* The warm-up jobs of a cell (repetition -1). */
static size_t warmups(json_t *cell)
{
    size_t n = 0, i;
    json_t *job;
    json_array_foreach(json_object_get(cell, "jobs"), i, job)
        n += json_integer_value(json_object_get(job, "repetition")) < 0;
    return n;
}

/* The worker processes a cell's measured jobs ran on. */
static size_t distinct_workers(json_t *cell)
{
    const char *seen[64];
    size_t n = 0, i;
    json_t *job;
    json_array_foreach(json_object_get(cell, "jobs"), i, job) {
        if (json_integer_value(json_object_get(job, "repetition")) < 0)
            continue;
        const char *w = json_string_value(json_object_get(job, "worker"));
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = strcmp(seen[k], w) == 0;
        if (!known && n < 64)
            seen[n++] = w;
    }
    return n;
}

static void ab_finds_a_slow_candidate_and_no_change_in_aa(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "ab.yaml", ab_pair);
    char *worker = mb_test_binary_path("bin/mpsbench-worker");
    const char *aa[] = {"--candidate-worker", worker, NULL};
    json_t *r;
    char *out;
    assert_int_equal(run(f, scenario, "aa", aa, &r, &out), 0);
    size_t i;
    json_t *cell;
    int candidates = 0;
    json_array_foreach(json_object_get(r, "cells"), i, cell) {
        const char *name = json_string_value(json_object_get(cell, "name"));
        bool candidate = strstr(name, "/side:candidate") != NULL;
        assert_string_equal(json_string_value(json_object_get(cell, "side")),
                            candidate ? "candidate" : "baseline");
        candidates += candidate;
        /* Each side of a pair gets a new worker process every round, so
         * that a process's own offset is noise the paired test measures. */
        if (distinct_workers(cell) != 10)
            fail_msg("%s ran on %zu worker processes, not one per round (10)", name,
                     distinct_workers(cell));
        /* ... and each of them is warmed up before it is measured. */
        assert_int_equal(warmups(cell), 10);
        if (candidate)
            continue;
        json_t *cmp = json_object_get(cell, "baseline");
        const char *verdict = json_string_value(json_object_get(cmp, "verdict"));
        assert_non_null(verdict);
        assert_true(strcmp(verdict, "no_change") == 0 || strcmp(verdict, "inconclusive") == 0);
        assert_string_equal(json_string_value(json_object_get(cmp, "test")), "wilcoxon-signed-rank");
    }
    assert_int_equal(candidates, 1);
    char *compare = mb_asprintf("%s/compare.md", out);
    assert_int_equal(access(compare, R_OK), 0);
    free(compare);
    free(out);
    json_decref(r);

    /* Every cell four times slower.  A round in which the machine stalls
     * one side can make a cell inconclusive, never a pass; 10 rounds keep
     * p < 0.01 with one such round among them. */
    const char *slow[] = {"--candidate-fault", "slowdown=300%", NULL};
    int rc = run(f, scenario, "slow", slow, &r, NULL);
    if (rc != 1) {
        char *cells = json_dumps(json_object_get(r, "cells"), JSON_COMPACT);
        fail_msg("a 4x slower candidate: exit %d, not 1; cells: %s", rc, cells);
    }
    int regressions = 0;
    json_array_foreach(json_object_get(r, "cells"), i, cell) {
        if (strcmp(json_string_value(json_object_get(cell, "side")), "candidate") == 0)
            continue;
        json_t *cmp = json_object_get(cell, "baseline");
        const char *verdict = json_string_value(json_object_get(cmp, "verdict"));
        assert_true(strcmp(verdict, "regression") == 0 || strcmp(verdict, "inconclusive") == 0);
        regressions += strcmp(verdict, "regression") == 0;
        assert_true(json_number_value(json_object_get(cmp, "change")) < -0.5);
    }
    assert_true(regressions >= 1);
    json_decref(r);
    free(worker);
    free(scenario);
}

/* The fix on against off, round by round, as a measured sentence, with a
 * max_cost gate that passes. */
static void watermark_fix_is_contrasted(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "fix.yaml",
        "name: fix\nmodel: builtin:tiny\ninput_size: 48\n"
        "images: {sizes: [64x48], per_job: 4, format: jpeg}\n"
        "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 1, repetitions: 6, threads: 1, decode_threads: 1}\n"
        "contrasts: [{axis: watermark_fix, max_cost: 95%}]\n");
    json_t *r;
    char *out;
    assert_int_equal(run(f, scenario, "fix", NULL, &r, &out), 0);
    /* summary.md's sentence names the cell as its table does, with the
     * settings the table shows in columns, not by the full name. */
    char *path = mb_asprintf("%s/summary.md", out);
    size_t len;
    char *summary = mb_read_file(path, &len, NULL);
    assert_non_null(summary);
    if (strstr(summary, "\n- fix · cpu 64x48 batch 2: on vs off: ") == NULL ||
        strstr(summary, "- fix/embed/") != NULL)
        fail_msg("contrast sentence:\n%s", summary);
    free(summary);
    free(path);
    free(out);
    json_t *contrasts = json_object_get(r, "contrasts");
    assert_int_equal(json_array_size(contrasts), 1);
    json_t *c = json_array_get(contrasts, 0);
    assert_string_equal(json_string_value(json_object_get(c, "axis")), "watermark_fix");
    assert_int_equal(json_integer_value(json_object_get(c, "rounds")), 6);
    assert_non_null(strstr(json_string_value(json_object_get(c, "name")), ": on vs off"));
    assert_true(json_is_number(json_object_get(c, "change")));
    /* The fix costs nothing on the CPU: a bound no noise reaches passes. */
    json_t *g = json_object_get(c, "gate");
    assert_string_equal(json_string_value(json_object_get(g, "verdict")), "pass");
    assert_true(json_number_value(json_object_get(g, "cost_high")) <= 0.95);
    /* Two worker configurations, both kept alive: interleaved. */
    json_t *s = json_object_get(r, "schedule");
    assert_string_equal(json_string_value(json_object_get(s, "order")), "interleaved");
    json_decref(r);
    free(scenario);
}

/* The gate of the contrast on `axis` in run.json. */
static json_t *gate_of(json_t *run_json, const char *axis)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(run_json, "contrasts"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "axis")), axis) == 0)
            return json_object_get(c, "gate");
    fail_msg("no contrast on %s", axis);
    return NULL;
}

/* A max_cost gate: a fork per job costs far more than 2% (about 30 times
 * slower with the tiny model), so the gate fails and the run exits 1. */
static void contrast_gate_fails_beyond_max_cost(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "gate.yaml",
        "name: gate\nmodel: builtin:tiny\ninput_size: 48\n"
        "images: {sizes: [64x48], per_job: 4, format: jpeg}\n"
        "matrix: {device: [cpu], exec: [persistent, fork_per_job], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 0, repetitions: 5, threads: 1, decode_threads: 1}\n"
        "contrasts: [{axis: exec, max_cost: 2%}]\n");
    json_t *r;
    char *out;
    int rc = run(f, scenario, "gate", NULL, &r, &out);
    if (rc != 1) {
        char *contrasts = json_dumps(json_object_get(r, "contrasts"), JSON_COMPACT);
        fail_msg("a fork per job against a 2%% gate: exit %d, not 1; contrasts: %s", rc,
                 contrasts);
    }
    assert_string_equal(json_string_value(json_object_get(r, "status")), "failed");
    json_t *g = gate_of(r, "exec");
    assert_string_equal(json_string_value(json_object_get(g, "verdict")), "fail");
    assert_true(json_number_value(json_object_get(g, "cost_low")) > 0.02);
    assert_true(json_number_value(json_object_get(g, "max_cost")) == 0.02);
    char *path = mb_asprintf("%s/summary.md", out);
    char *summary = mb_read_file(path, NULL, NULL);
    assert_non_null(summary);
    assert_non_null(strstr(summary, "gate: exec=fork_per_job costs at most 2.0%: measured +"));
    free(summary);
    free(path);
    /* compare.md (no other comparison in this run) holds the gate, and
     * junit.xml fails a testcase with the interval in its message. */
    path = mb_asprintf("%s/compare.md", out);
    char *md = mb_read_file(path, NULL, NULL);
    if (md == NULL || strstr(md, "### Contrast gates") == NULL ||
        strstr(md, "costs at most 2.0%: measured +") == NULL || strstr(md, " | fail |") == NULL)
        fail_msg("compare.md:\n%s", md ? md : "(none)");
    free(md);
    free(path);
    path = mb_asprintf("%s/junit.xml", out);
    char *junit = mb_read_file(path, NULL, NULL);
    assert_non_null(junit);
    const char *failure = strstr(junit, "<failure type=\"max_cost\" message=\"exec=fork_per_job "
                                        "costs at most 2.0%: measured +");
    if (failure == NULL || strstr(failure, "% [+") == NULL ||
        strstr(junit, "<testsuite name=\"contrast gates\" tests=\"1\" failures=\"1\"") == NULL)
        fail_msg("junit.xml:\n%s", junit);
    free(junit);
    free(path);
    free(out);
    json_decref(r);
    free(scenario);
}

/* A gate on a contrast that was never measured (every fix-off job OOMs,
 * as the scenario expects) is inconclusive: a notice and exit 0, or exit 1
 * under --fail-on-inconclusive. */
static void unmeasured_gate_is_inconclusive(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "gate-oom.yaml",
        "name: gate-oom\nmodel: builtin:tiny\ninput_size: 48\n"
        "images: {sizes: [64x48], per_job: 4, format: jpeg}\n"
        "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 0, repetitions: 3, threads: 1, decode_threads: 1}\n"
        "fault: {emulate_mps_accounting: true}\n"
        "overrides: [{when: {watermark_fix: \"off\"}, expect: {oom: expected}}]\n"
        "contrasts: [{axis: watermark_fix, max_cost: 5%}]\n");
    json_t *r;
    assert_int_equal(run(f, scenario, "notice", NULL, &r, NULL), 0);
    json_t *g = gate_of(r, "watermark_fix");
    assert_string_equal(json_string_value(json_object_get(g, "verdict")), "inconclusive");
    assert_true(json_is_null(json_object_get(g, "cost")));
    assert_non_null(strstr(json_string_value(json_object_get(g, "reason")), "2 needed"));
    json_decref(r);
    const char *strict[] = {"--fail-on-inconclusive", NULL};
    assert_int_equal(run(f, scenario, "strict", strict, &r, NULL), 1);
    json_decref(r);
    free(scenario);
}

/* More worker configurations than may stay alive: cell by cell, saying so. */
static void too_many_workers_run_sequentially(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *scenario = mb_test_write_file(&f->env, "seq.yaml",
        "name: seq\nmodel: builtin:tiny\ninput_size: 48\n"
        "images: {sizes: [64x48], per_job: 2, format: jpeg}\n"
        "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [1]}\n"
        "run: {jobs: 1, warmup_jobs: 0, repetitions: 3, threads: 1, max_live_workers: 1}\n");
    json_t *r;
    assert_int_equal(run(f, scenario, "seq", NULL, &r, NULL), 0);
    json_t *s = json_object_get(r, "schedule");
    assert_string_equal(json_string_value(json_object_get(s, "order")), "sequential");
    assert_non_null(strstr(json_string_value(json_object_get(s, "fallback")), "max_live_workers"));
    /* One list, each cell's repetitions together. */
    json_t *all = json_array_get(rounds_of(r), 0);
    assert_int_equal(json_array_size(all), 6);
    assert_string_equal(json_string_value(json_array_get(all, 0)),
                        json_string_value(json_array_get(all, 2)));
    json_decref(r);
    free(scenario);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(rounds_are_shuffled_from_the_seed, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(ab_finds_a_slow_candidate_and_no_change_in_aa,
                                    mb_test_fixture_setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(watermark_fix_is_contrasted, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(too_many_workers_run_sequentially, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(contrast_gate_fails_beyond_max_cost, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(unmeasured_gate_is_inconclusive, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
};

MB_TEST_MAIN("schedule, A/B and contrasts (end to end)", tests, NULL, NULL)

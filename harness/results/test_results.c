/* The run directory model: run.json read back with its checks (the file and
 * the field named in every refusal), a run that did not end reads as
 * unfinished, a failed repetition never reads as a throughput (in run.json
 * or results.json), and every committed reference run still loads.  The
 * results.json reader's rules for comparisons are tested by test_compare and
 * test_baseline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mb_util.h"
#include "results_file.h"
#include "run_dir.h"

typedef struct fx {
    char *dir;
    char *run_json;
} fx;

static int setup(void **state)
{
    fx *f = mb_calloc(1, sizeof *f);
    f->dir = mb_strdup("/tmp/mb-test-results-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->run_json = mb_res_run_json_path(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    unlink(f->run_json);
    rmdir(f->dir);
    free(f->run_json);
    free(f->dir);
    free(f);
    return 0;
}

static void put(const fx *f, const char *text)
{
    assert_int_equal(mb_write_file_atomic(f->run_json, text, strlen(text), NULL), 0);
}

/* Gives h the cells of a run.json holding cells_json, read through the
 * model, as the runner gives it its own. */
static void take_cells(const fx *f, const char *cells_json, mb_res_run *h)
{
    char *text = mb_asprintf("{\"format\": 1, \"cells\": [%s]}", cells_json);
    put(f, text);
    free(text);
    mb_res_run run;
    mb_err err;
    mb_err_clear(&err);
    if (mb_res_run_load(f->dir, &run, &err) != 0)
        fail_msg("%s", err.msg);
    h->cells = run.cells;
    h->n_cells = run.n_cells;
    run.cells = NULL;
    run.n_cells = 0;
    mb_res_run_free(&run);
}

/* A cell with one successful and one failed repetition, and its jobs. */
#define CELL_TWO_REPS                                                                        \
    "{\"name\": \"s/embed/device:cpu/batch:2\", \"scenario\": \"s\", \"device\": \"cpu\","   \
    " \"verdict\": \"fail\", \"reason\": \"repetition 2 crashed\", \"batch_size\": 2,"        \
    " \"counts\": {\"ok\": 1, \"crashed\": 1},"                                               \
    " \"images_per_second\": [40.5],"                                                         \
    " \"repetitions\": [{\"round\": 0, \"images_per_second\": 40.5},"                         \
    "                   {\"round\": 1, \"images_per_second\": null}],"                        \
    " \"jobs\": [{\"status\": \"ok\", \"repetition\": 0, \"latency_ms\": 49.0},"              \
    "            {\"status\": \"crashed\", \"repetition\": 1}]}"

static void test_reads_a_run(void **state)
{
    fx *f = *state;
    put(f, "{\"format\": 1, \"status\": \"failed\", \"torch_version\": \"2.5.1\","
           " \"machine\": {\"os\": \"Linux\", \"cpus\": 2},"
           " \"workers\": [{\"device_description\": \"AMD EPYC\", \"model\": \"builtin:tiny\"},"
           "               \"not json\"],"
           " \"cells\": [" CELL_TWO_REPS "]}");
    mb_res_run run;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_string_equal(run.status, "failed");
    assert_false(mb_res_run_unfinished(&run));
    assert_string_equal(run.torch_version, "2.5.1");
    assert_int_equal(run.cpus, 2);
    assert_int_equal(run.n_workers, 2);
    assert_string_equal(run.workers[0].device_description, "AMD EPYC");
    assert_null(run.workers[1].model);
    assert_int_equal(run.n_cells, 1);
    const mb_res_cell *c = mb_res_run_cell(&run, "s/embed/device:cpu/batch:2");
    assert_non_null(c);
    assert_int_equal(c->batch_size, 2);
    assert_int_equal(c->n_crashed, 1);
    assert_true(isnan(c->expect_regression));
    assert_int_equal(c->n_jobs, 2);
    assert_int_equal(c->jobs[1].repetition, 1);
    assert_true(isnan(c->jobs[1].latency_ms));
    assert_false(c->compared);
    mb_res_run_free(&run);
    mb_res_run_free(&run);  /* cleared, so a second free is harmless */
}

/* The failed repetition keeps its place, without a throughput: a reader
 * that takes the median of `ips` sees only the one that ran. */
static void test_failed_repetition_has_no_throughput(void **state)
{
    fx *f = *state;
    put(f, "{\"format\": 1, \"status\": \"failed\", \"cells\": [" CELL_TWO_REPS "]}");
    mb_res_run run;
    mb_err err;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    const mb_res_cell *c = &run.cells[0];
    assert_string_equal(c->verdict, "fail");
    assert_int_equal(c->n_reps, 2);
    assert_int_equal(c->reps[1].round, 1);
    assert_true(isnan(c->reps[1].images_per_second));
    assert_int_equal(c->n_ips, 1);
    assert_true(c->ips[0] == 40.5);
    mb_res_run_free(&run);

    /* A cell whose every repetition failed has no throughput at all. */
    put(f, "{\"format\": 1, \"status\": \"failed\", \"cells\": [{\"name\": \"s/x\","
           " \"verdict\": \"fail\", \"images_per_second\": [],"
           " \"repetitions\": [{\"round\": 0, \"images_per_second\": null}]}]}");
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_int_equal(run.cells[0].n_ips, 0);
    assert_true(isnan(run.cells[0].reps[0].images_per_second));
    mb_res_run_free(&run);
}

/* The writer's document read back gives the same figures: the runner
 * rewrites run.json as the run goes ("running"), then with its final
 * status, and each version reads whole, stamped with the format. */
static void test_round_trip(void **state)
{
    fx *f = *state;
    mb_res_run h;
    mb_res_run_init(&h);
    h.status = mb_strdup("running");
    h.written_at = mb_strdup("2026-12-02T02:00:00Z");
    take_cells(f, CELL_TWO_REPS, &h);
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_write(f->run_json, &h, NULL, &err), 0);
    mb_res_run run;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_true(mb_res_run_unfinished(&run));
    assert_string_equal(run.written_at, "2026-12-02T02:00:00Z");
    assert_int_equal(run.n_cells, 1);
    const mb_res_cell *c = &run.cells[0];
    assert_string_equal(c->name, "s/embed/device:cpu/batch:2");
    assert_string_equal(c->reason, "repetition 2 crashed");
    assert_int_equal(c->n_ok, 1);
    assert_int_equal(c->n_reps, 2);
    assert_int_equal(c->n_ips, 1);
    assert_true(isnan(c->reps[1].images_per_second));
    assert_true(c->jobs[0].latency_ms == 49.0);
    assert_string_equal(c->jobs[1].status, "crashed");
    mb_res_run_free(&run);

    free(h.status);
    h.status = mb_strdup("failed");
    assert_int_equal(mb_res_run_write(f->run_json, &h, &(mb_res_parts){0}, &err), 0);
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_false(mb_res_run_unfinished(&run));
    assert_string_equal(run.status, "failed");
    mb_res_run_free(&run);

    /* A folder that is not there: the writer says which file. */
    char *nowhere = mb_asprintf("%s/missing/run.json", f->dir);
    assert_int_equal(mb_res_run_write(nowhere, &h, &(mb_res_parts){0}, &err), MB_EIO);
    assert_non_null(strstr(err.msg, nowhere));
    free(nowhere);
    mb_res_run_free(&h);
}

/* A dead run's run.json marked incomplete keeps every key it had, those
 * the model never reads included: only the status and the note of what
 * the later run stopped change, and the format is stamped. */
static void test_mark_incomplete_keeps_every_key(void **state)
{
    fx *f = *state;
    static const char text[] =
        "{\"format\": 1, \"status\": \"running\", \"devices\": {\"cpu\": {\"name\": \"x\"}},"
        " \"a_key_of_tomorrow\": [1, {\"b\": null}], \"schedule\": {\"rounds\": [[\"s/x\"]]},"
        " \"cells\": [" CELL_TWO_REPS "]}";
    put(f, text);
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_mark_incomplete(f->run_json, "worker 4250", &err), 0);
    json_error_t jerr;
    json_t *want = json_loads(text, 0, &jerr), *got = json_load_file(f->run_json, 0, &jerr);
    assert_non_null(want);
    assert_non_null(got);
    json_object_set_new(want, "status", json_string("incomplete"));
    json_object_set_new(want, "stopped_by_a_later_run", json_string("worker 4250"));
    if (!json_equal(want, got)) {
        char *dump = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("the rewrite changed more than the status: %s", dump);
    }
    json_decref(want);
    json_decref(got);
    mb_res_run run;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_string_equal(run.status, "incomplete");
    assert_true(mb_res_run_unfinished(&run));
    mb_res_run_free(&run);

    /* What cannot be marked says why, with the path. */
    put(f, "[1, 2]");
    assert_int_equal(mb_res_run_mark_incomplete(f->run_json, "", &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, f->run_json));
    unlink(f->run_json);
    assert_int_equal(mb_res_run_mark_incomplete(f->run_json, "", &err), MB_EIO);
    assert_non_null(strstr(err.msg, f->run_json));
}

/* The header the runner fills, written with its parts and read back: the
 * same model, the overrides only where given (0 is a value), and the
 * processes a later run needs to stop what a killed harness left. */
static void test_header_round_trip(void **state)
{
    fx *f = *state;
    mb_res_run h;
    mb_res_run_init(&h);
    h.status = mb_strdup("running");
    h.written_at = mb_strdup("2026-12-02T02:00:00Z");
    h.os = mb_strdup("Linux");
    h.release = mb_strdup("6.1");
    h.arch = mb_strdup("x86_64");
    h.hostname = mb_strdup("box");
    h.cpus = 2;
    h.scenarios = mb_calloc(2, sizeof *h.scenarios);
    h.scenarios[h.n_scenarios++] = mb_strdup("scenarios/smoke.yaml");
    h.torch_version = mb_strdup("2.5.1");
    h.jobs_enqueued = 7;
    h.order = mb_strdup("interleaved");
    h.seed = mb_strdup("18446744073709551615");
    h.max_live_workers = 4;
    h.override_warmup_jobs = 0;
    h.redis_pid = 4242;
    h.has_harness = true;
    h.harness = (mb_res_process){mb_strdup("harness"), 4240, 123456789012ULL};
    h.processes = mb_calloc(1, sizeof *h.processes);
    h.processes[h.n_processes++] = (mb_res_process){mb_strdup("worker"), 4250, 99};
    take_cells(f, CELL_TWO_REPS, &h);
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_write(f->run_json, &h, NULL, &err), 0);

    mb_res_run run;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_true(mb_res_run_unfinished(&run));
    assert_string_equal(run.written_at, h.written_at);
    assert_true(run.has_machine);
    assert_string_equal(run.hostname, "box");
    assert_int_equal(run.cpus, 2);
    assert_int_equal(run.n_scenarios, 1);
    assert_string_equal(run.scenarios[0], "scenarios/smoke.yaml");
    assert_string_equal(run.torch_version, "2.5.1");
    assert_int_equal(run.jobs_enqueued, 7);
    assert_string_equal(run.order, "interleaved");
    assert_string_equal(run.seed, "18446744073709551615");
    assert_int_equal(run.max_live_workers, 4);
    assert_null(run.fallback);
    assert_int_equal(run.override_jobs, -1);
    assert_int_equal(run.override_warmup_jobs, 0);
    assert_int_equal(run.override_repetitions, -1);
    assert_false(run.redis_external);
    assert_int_equal(run.redis_pid, 4242);
    assert_true(run.has_harness);
    assert_int_equal(run.harness.pid, 4240);
    assert_true(run.harness.start == 123456789012ULL);
    assert_int_equal(run.n_processes, 1);
    assert_string_equal(run.processes[0].role, "worker");
    assert_int_equal(run.processes[0].pid, 4250);
    assert_int_equal(run.n_cells, 1);
    assert_int_equal(run.cells[0].n_reps, 2);
    assert_int_equal(run.n_workers, 0);
    mb_res_run_free(&run);
    mb_res_run_free(&h);
}

/* A cell with every key the runner records, as run.json holds it: a
 * warm-up job, one whose worker used another batch and reported its gap
 * before the job, an OOM with figures
 * the message did not give, a failed repetition, an adaptive stop, a
 * comparison and a frontier search. */
#define CELL_EVERY_KEY                                                                       \
    "{\"name\": \"s/embed/device:cpu/batch:2\", \"scenario\": \"s\","                          \
    " \"axes\": {\"device\": \"cpu\", \"batch_size\": \"2\"}, \"device\": \"cpu\","              \
    " \"watermark_fix\": true, \"batch_size\": 2, \"image_width\": 320, \"image_height\": 240,"  \
    " \"verdict\": \"fail\", \"counts\": {\"ok\": 2, \"oom\": 1, \"error\": 0, \"crashed\": 0,"  \
    " \"timeout\": 0, \"skipped\": 0, \"interrupted\": 0}, \"images_per_second\": [40.5, 30.5]," \
    " \"jobs\": [" JOB("j0", "-1", "\"decode\": \"host\", \"gpu_images\": 0, ")                  \
    "\"reported_at_ms\": 1796190691245.5, \"warmup\": true}, "                                 \
    JOB("j1", "0", "\"gap\": {\"prefetched\": true, \"tail_ms\": 1.5, \"handoff_ms\": 0.25,"  \
                   " \"dequeue_ms\": 0.5, \"setup_ms\": 0.0, \"first_batch_ms\": 2.5,"   \
                   " \"first_batch_ready\": true}, \"sent\": \"behind_next_submit\","  \
                   " \"held_ms\": 0.75,"  \
                   " \"batch_size_used\": 1, ") "\"reported_at_ms\": 1796190691300.5}, "            \
    JOB("j2", "1", "") "\"reported_at_ms\": 1796190691400.5, \"error\": \"out of memory\","       \
    " \"oom\": {\"kind\": \"cpu\", \"allocated_bytes\": 1024.0, \"other_bytes\": null,"          \
    " \"max_allowed_bytes\": null, \"tried_bytes\": 2048.0}}],"                                  \
    " \"expect_oom\": \"never\", \"model\": \"builtin:tiny\", \"input_size\": 160,"             \
    " \"images_per_job\": 16, \"precision\": \"fp32\", \"memory_limit_bytes\": 0,"               \
    " \"expect_regression\": 0.05, \"env\": {\"OMP_NUM_THREADS\": \"1\"},"                       \
    " \"images_per_second_median\": 35.5, \"reason\": \"unexpected OOM: out of memory\","        \
    " \"adaptive\": {\"min\": 3, \"max\": 12, \"target_ci\": 0.05, \"stopped_early\": false,"     \
    " \"repetitions_saved\": 0, \"seconds_saved\": 0.0},"                                       \
    " \"repetitions\": [{\"round\": 0, \"images_per_second\": 40.5},"                           \
    " {\"round\": 1, \"images_per_second\": null}, {\"round\": 2, \"images_per_second\": 30.5}]," \
    " \"side\": \"candidate\", \"baseline\": {\"verdict\": \"no_change\", \"test\":"            \
    " \"mann-whitney-u\", \"baseline_median\": 36.0, \"current_median\": 35.5, \"change\":"     \
    " -0.0125, \"ci_low\": -0.05, \"ci_high\": 0.02, \"p_value\": 0.5, \"mde\": 0.04,"            \
    " \"threshold\": null}, \"frontier\": {\"largest_batch\": 8, \"first_failing_batch\": null}}"
#define JOB(id, rep, extra)                                                                  \
    "{\"id\": \"" id "\", \"worker\": \"w1.1\", \"status\": \"ok\", \"repetition\": " rep ","     \
    " \"latency_ms\": 109.25, \"images\": 16, \"batches\": 4, \"wall_ms\": 102.5,"                \
    " \"decode_ms\": 48.0, \"preprocess_ms\": 23.5, \"transfer_ms\": 0.0625, \"forward_ms\": 19.5," \
    " \"checksum\": 344.75, \"peak_rss_bytes\": 187457536, \"peak_allocated_bytes\": 0,"         \
    " \"peak_reserved_bytes\": 0, \"batch_size\": 2, \"embedding_dim\": 64, " extra

/* A cell read into the model and written again is the same JSON: every
 * key, with its type (an integer stays an integer, null stays null). */
static void test_cell_written_as_read(void **state)
{
    fx *f = *state;
    mb_res_run h;
    mb_res_run_init(&h);
    h.status = mb_strdup("failed");
    take_cells(f, CELL_EVERY_KEY, &h);
    assert_int_equal(h.cells[0].jobs[2].oom_tried, 2048);
    assert_true(h.cells[0].jobs[2].oom_other < 0);
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_write(f->run_json, &h, NULL, &err), 0);
    mb_res_run_free(&h);
    json_error_t jerr;
    json_t *want = json_loads(CELL_EVERY_KEY, 0, &jerr);
    if (want == NULL)
        fail_msg("the fixture: %s", jerr.text);
    json_t *doc = json_load_file(f->run_json, 0, &jerr);
    json_t *got = json_array_get(json_object_get(doc, "cells"), 0);
    if (!json_equal(want, got)) {
        char *a = json_dumps(want, JSON_SORT_KEYS), *b = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("written:\n%s\nexpected:\n%s", b, a);
    }
    json_decref(want);
    json_decref(doc);
}

/* The runner's records, given as plain values, written and read back:
 * the contrasts with their gates through the model, the schedule's rounds
 * (a NULL closes a round), the fresh-worker cells, the device probe and
 * the hello records (one that is not JSON kept as its text) as JSON. */
static void test_records_round_trip(void **state)
{
    fx *f = *state;
    mb_res_run h;
    mb_res_run_init(&h);
    h.status = mb_strdup("passed");
    h.contrasts = mb_calloc(2, sizeof *h.contrasts);
    h.n_contrasts = 1;
    mb_res_contrast *c = &h.contrasts[0];
    *c = (mb_res_contrast){.name = mb_strdup("s/x: on vs off"), .axis = mb_strdup("watermark_fix"),
                           .verdict = mb_strdup("regression"), .summary = mb_strdup("5% slower"),
                           .change = -0.05, .ci_low = -0.06, .ci_high = -0.04, .p_value = 0.01,
                           .mde = 0.01, .threshold = NAN, .rounds = 8, .gated = true};
    c->gate = (mb_res_gate){.verdict = mb_strdup("fail"), .summary = mb_strdup("costs 5%"),
                            .max_cost = 0.02, .cost = 0.05, .cost_low = 0.04, .cost_high = 0.06,
                            .mde = 0.01, .rounds = 8};
    const char *ran[] = {"s/a", "s/b", NULL, NULL, "s/b", "s/a", NULL, "s/a"};
    const char *fresh[] = {"s/b"};
    char *hellos[] = {"{\"device_description\": \"AMD EPYC\"}", "not json"};
    mb_res_parts parts = {.devices = "{\"cpu\": {\"available\": true}}", .hellos = hellos,
                          .n_hellos = 2, .ran = ran, .n_ran = 8, .fresh_workers = fresh,
                          .n_fresh_workers = 1};
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_write(f->run_json, &h, &parts, &err), 0);
    mb_res_run_free(&h);

    mb_res_run run;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_int_equal(run.n_contrasts, 1);
    c = &run.contrasts[0];
    assert_string_equal(c->name, "s/x: on vs off");
    assert_string_equal(c->verdict, "regression");
    assert_true(c->ci_low == -0.06 && c->mde == 0.01 && c->rounds == 8);
    assert_true(isnan(c->threshold));
    assert_null(c->reason);
    assert_true(c->gated);
    assert_string_equal(c->gate.verdict, "fail");
    assert_string_equal(c->gate.summary, "costs 5%");
    assert_true(c->gate.cost_high == 0.06 && c->gate.rounds == 8);
    assert_null(c->gate.reason);
    assert_int_equal(run.n_workers, 2);
    assert_string_equal(run.workers[0].device_description, "AMD EPYC");
    mb_res_run_free(&run);

    json_error_t jerr;
    json_t *doc = json_load_file(f->run_json, 0, &jerr);
    assert_non_null(doc);
    json_t *want = json_loads("{\"rounds\": [[\"s/a\", \"s/b\"], [], [\"s/b\", \"s/a\"], [\"s/a\"]],"
                              " \"fresh_workers\": [\"s/b\"]}", 0, &jerr);
    json_t *sched = json_object_get(doc, "schedule");
    assert_true(json_equal(json_object_get(sched, "rounds"), json_object_get(want, "rounds")));
    assert_true(json_equal(json_object_get(sched, "fresh_workers"),
                           json_object_get(want, "fresh_workers")));
    assert_true(json_is_true(json_object_get(json_object_get(json_object_get(doc, "devices"),
                                                             "cpu"), "available")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "workers"), 1)),
                        "not json");
    json_t *gate = json_object_get(json_array_get(json_object_get(doc, "contrasts"), 0), "gate");
    assert_true(json_is_null(json_object_get(gate, "reason")));
    assert_true(json_is_integer(json_object_get(gate, "rounds")));
    json_decref(want);
    json_decref(doc);
}

/* A run whose harness died is still "running"; one stopped is
 * "incomplete"; an old file without a status counts as incomplete. */
static void test_partial_run_reads_as_unfinished(void **state)
{
    fx *f = *state;
    static const char *const texts[] = {
        "{\"format\": 1, \"status\": \"running\", \"cells\": []}",
        "{\"format\": 1, \"status\": \"incomplete\", \"cells\": [" CELL_TWO_REPS "]}",
        "{\"format\": 1, \"cells\": []}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        put(f, texts[i]);
        mb_res_run run;
        mb_err err;
        assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
        assert_true(mb_res_run_unfinished(&run));
        mb_res_run_free(&run);
    }
}

static void expect_refusal(const fx *f, const char *text, const char *field)
{
    put(f, text);
    mb_res_run run;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), MB_EINVAL);
    assert_int_equal(err.code, MB_EINVAL);
    if (strstr(err.msg, f->run_json) == NULL || strstr(err.msg, field) == NULL)
        fail_msg("expected %s and %s in: %s", f->run_json, field, err.msg);
    assert_null(run.cells);
    assert_null(run.status);
}

static void test_malformed_file_names_file_and_field(void **state)
{
    fx *f = *state;
    expect_refusal(f, "{\"format\": 1, \"cells\": [" CELL_TWO_REPS ", {\"name\": \"b\","
                      " \"jobs\": [{\"status\": 3, \"repetition\": 0}]}]}",
                   "cells[1].jobs[0].status: a string is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": [{\"name\": \"a\", \"batch_size\": \"8\"}]}",
                   "cells[0].batch_size: a number is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": [{\"name\": \"a\","
                      " \"repetitions\": [{\"round\": 0, \"images_per_second\": \"fast\"}]}]}",
                   "cells[0].repetitions[0].images_per_second: a number is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": [{\"name\": \"a\", \"jobs\": [{\"status\":"
                      " \"ok\"}]}]}",
                   "cells[0].jobs[0].repetition: an integer is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": {}}", "cells: an array is expected");
    expect_refusal(f, "{\"format\": 1}", "cells: an array is expected");
    expect_refusal(f, "{\"format\": 2, \"cells\": []}", "format: 1 is expected");
    expect_refusal(f, "{\"cells\": []}", "format: 1 is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": [", "not valid JSON");

    /* A folder without run.json cannot be read: an I/O error, path named. */
    unlink(f->run_json);
    mb_res_run run;
    mb_err err;
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), MB_EIO);
    assert_non_null(strstr(err.msg, f->run_json));
}

/* The contrasts read back with their max_cost gates; a contrast without a
 * gate has none, and a gate without a verdict is refused. */
static void test_reads_contrast_gates(void **state)
{
    fx *f = *state;
    put(f, "{\"format\": 1, \"cells\": [], \"contrasts\": ["
           " {\"name\": \"s/x: on vs off\", \"axis\": \"watermark_fix\", \"rounds\": 8,"
           "  \"change\": -0.05, \"mde\": 0.01, \"threshold\": 0.02, \"reason\": \"r\","
           "  \"gate\": {\"verdict\": \"fail\", \"summary\": \"costs 5%\", \"rounds\": 8,"
           "           \"max_cost\": 0.02, \"cost\": 0.05, \"cost_low\": 0.04,"
           "           \"cost_high\": 0.06, \"mde\": 0.01, \"reason\": null}},"
           " {\"name\": \"s/y: a vs b\", \"axis\": \"exec\"}]}");
    mb_res_run run;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_run_load(f->dir, &run, &err), 0);
    assert_int_equal(run.n_contrasts, 2);
    const mb_res_contrast *c = &run.contrasts[0];
    assert_true(c->gated);
    assert_string_equal(c->gate.verdict, "fail");
    assert_string_equal(c->gate.summary, "costs 5%");
    assert_null(c->gate.reason);
    assert_true(c->gate.cost_low == 0.04);
    assert_true(c->gate.max_cost == 0.02);
    assert_false(run.contrasts[1].gated);
    mb_res_run_free(&run);
    expect_refusal(f, "{\"format\": 1, \"cells\": [], \"contrasts\": [{\"name\": \"a\","
                      " \"gate\": {\"summary\": \"s\"}}]}",
                   "contrasts[0].gate.verdict: a string is expected");
    expect_refusal(f, "{\"format\": 1, \"cells\": [], \"contrasts\": [3]}",
                   "contrasts[0]: an object is expected");
}

/* results.json: a repetition that failed (an error row, as older files
 * have) is a failure of its cell and no throughput; the rows keep each
 * repetition's figures for the charts. */
static void test_results_json_failed_row(void **state)
{
    fx *f = *state;
    char *path = mb_asprintf("%s/results.json", f->dir);
    static const char text[] =
        "{\"context\": {\"os\": \"Linux\", \"machine\": \"x86_64\", \"num_cpus\": 2},"
        " \"benchmarks\": ["
        "  {\"name\": \"s/embed/device:cpu/batch:2/iterations:4\", \"run_type\": \"iteration\","
        "   \"iterations\": 4, \"real_time\": 50, \"images_per_second\": 40.5,"
        "   \"forward_ms\": 30, \"oom_count\": 1},"
        "  {\"name\": \"s/embed/device:cpu/batch:2/iterations:4\", \"run_type\": \"iteration\","
        "   \"error_occurred\": true, \"error_message\": \"worker crashed\"}]}";
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text), NULL), 0);
    mb_res_gb_file gb;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_res_gb_load(f->dir, MB_EINVAL, &gb, &err), 0);
    assert_true(gb.has_context);
    assert_string_equal(gb.machine, "x86_64");
    const mb_res_gb_cell *c = mb_res_gb_find(&gb, "s/embed/device:cpu/batch:2");
    assert_non_null(c);
    assert_string_equal(c->device, "cpu");
    assert_int_equal(c->n_ips, 1);
    assert_int_equal(c->n_failed, 1);
    assert_string_equal(c->first_error, "worker crashed");
    assert_int_equal(c->n_rows, 2);
    assert_int_equal(c->rows[0].iterations, 4);
    assert_int_equal(c->rows[0].oom_count, 1);
    assert_true(c->rows[0].stage_ms[3] == 30);
    assert_true(c->rows[1].error);
    assert_true(isnan(c->rows[1].images_per_second));
    mb_res_gb_clear(&gb);
    unlink(path);
    free(path);
}

/* Every committed reference run loads, with its cells and jobs. */
static void test_reference_runs_load(void **state)
{
    (void)state;
    static const char *const dirs[] = {
        "cpu-debian12", "cpu-seed-options", "gpu-h100/gpu-vs-cpu", "gpu-h100/oom-frontier",
        "gpu-h200/gpu-rq-12mp", "gpu-h200/gpu-watermark-sweep", "cpu-native-vs-rq",
    };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char *dir = mb_asprintf("%s/results/reference/%s", MB_SOURCE_DIR, dirs[i]);
        mb_res_run run;
        mb_err err;
        mb_err_clear(&err);
        if (mb_res_run_load(dir, &run, &err) != 0)
            fail_msg("%s", err.msg);
        assert_true(run.n_cells > 0);
        assert_true(run.cells[0].n_jobs > 0);
        assert_false(mb_res_run_unfinished(&run));
        mb_res_run_free(&run);
        mb_res_gb_file gb;
        if (mb_res_gb_load(dir, MB_EINVAL, &gb, &err) != 0)
            fail_msg("%s", err.msg);
        assert_true(gb.n_cells > 0);
        mb_res_gb_clear(&gb);
        free(dir);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_reads_a_run, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_repetition_has_no_throughput, setup, teardown),
    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mark_incomplete_keeps_every_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_header_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_records_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_cell_written_as_read, setup, teardown),
    cmocka_unit_test_setup_teardown(test_partial_run_reads_as_unfinished, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_file_names_file_and_field, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reads_contrast_gates, setup, teardown),
    cmocka_unit_test_setup_teardown(test_results_json_failed_row, setup, teardown),
    cmocka_unit_test(test_reference_runs_load),
};

MB_TEST_MAIN("results", tests, NULL, NULL)

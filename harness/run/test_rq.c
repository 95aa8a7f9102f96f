/* The RQ worker kind end to end: the real CLI, a real `rq worker` from the
 * system's python3-rq, the job functions in fixtures/rq, and the run
 * directory they leave.  Skips visibly when rq, torch, torchvision or PIL is
 * missing for the Python that `rq` runs on. */
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
#include "run_private.h"

typedef mb_test_fixture fixture;

static const char *missing_reason;

/* The full path of `rq` in PATH, or NULL. */
static char *find_rq(void)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return NULL;
    for (const char *p = path; *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char *candidate = mb_asprintf("%.*s/rq", (int)n, p);
        if (access(candidate, X_OK) == 0)
            return candidate;
        free(candidate);
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    return NULL;
}

/* The rq script names its Python on its first line; that Python must
 * import everything the job function needs. */
static const char *check_python(void)
{
    char *rq = find_rq();
    if (rq == NULL)
        return "no `rq` in PATH (install python3-rq)";
    char *script = mb_read_file(rq, NULL, NULL);
    free(rq);
    if (script == NULL || strncmp(script, "#!", 2) != 0) {
        free(script);
        return "`rq` is not a Python script";
    }
    char *nl = strchr(script, '\n');
    if (nl != NULL)
        *nl = '\0';
    char *python = script + 2;
    while (*python == ' ')
        python++;
    if (strchr(python, ' ') != NULL) {
        free(script);
        return "`rq` starts with an interpreter line this test cannot follow";
    }
    char *argv[] = {python, "-c", "import rq, torch, torchvision, PIL", NULL};
    mb_proc p;
    mb_err err;
    bool ok = mb_spawn(argv, NULL, "/dev/null", &p, &err) == 0 && mb_proc_wait(&p, 120000) &&
              WIFEXITED(p.exit_status) && WEXITSTATUS(p.exit_status) == 0;
    free(script);
    return ok ? NULL : "the Python of `rq` lacks torch, torchvision or PIL "
                       "(install python3-torch python3-torchvision python3-pil)";
}

static int group_setup(void **state)
{
    (void)state;
    missing_reason = check_python();
    return 0;
}

/* Without the Python side the tests skip, visibly, before any set-up. */
static int setup(void **state)
{
    *state = NULL;
    return missing_reason != NULL ? 0 : mb_test_fixture_setup(state);
}

/* The Python side first (python3-rq, torchvision), then redis-server. */
#define NEED_ENV(f)                                          \
    do {                                                     \
        MB_NEED(missing_reason ? missing_reason : "", missing_reason == NULL); \
        MB_TEST_NEED(f);                                     \
    } while (0)

/* Writes the scenario, runs it into <tmp>/<name>, returns the exit code
 * and run.json. */
static int run_scenario(fixture *f, const char *name, const char *text, char **output,
                        json_t **run_json)
{
    char *path = mb_asprintf("%s/%s.yaml", f->env.tmp, name);
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text), NULL), 0);
    char *out = mb_asprintf("%s/%s", f->env.tmp, name);
    int code = mb_test_run_scenario(f, path, out, NULL, output);
    *run_json = mb_test_run_json(out, *output);
    free(out);
    free(path);
    return code;
}

/* <tmp>/<name>/summary.md (heap). */
static char *summary_of(fixture *f, const char *name)
{
    char *path = mb_asprintf("%s/%s/summary.md", f->env.tmp, name);
    size_t len;
    char *text = mb_read_file(path, &len, NULL);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    free(path);
    return text;
}

static json_t *first_job(json_t *cell, const char *status)
{
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(cell, "jobs"), i, j) {
        if (strcmp(json_string_value(json_object_get(j, "status")), status) == 0)
            return j;
    }
    fail_msg("no %s job in %s", status, json_string_value(json_object_get(cell, "name")));
    return NULL;
}

/* Both kinds on the same images: every RQ job answers with the native
 * result's figures, and the run prints the side-by-side table. */
static void rq_jobs_succeed_beside_native(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *output;
    json_t *run;
    int code = run_scenario(f, "both",
                            "model: builtin:tiny\n"
                            "input_size: 48\n"
                            "images: {sizes: [64x48], per_job: 3, format: jpeg}\n"
                            "matrix: {worker: [native, rq], device: [cpu], batch_size: [2]}\n"
                            "run: {jobs: 2, warmup_jobs: 1, repetitions: 1, threads: 1}\n",
                            &output, &run);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    json_t *cell = mb_test_cell_named(run, "worker:rq/");
    assert_string_equal(json_string_value(json_object_get(cell, "verdict")), "pass");
    json_t *job = first_job(cell, "ok");
    assert_int_equal(json_integer_value(json_object_get(job, "images")), 3);
    assert_int_equal(json_integer_value(json_object_get(job, "batches")), 2);
    /* run.json's job records carry no embedding_dim (yet); when they do,
     * it must be the tiny model's width. */
    if (json_object_get(job, "embedding_dim") != NULL)
        assert_int_equal(json_integer_value(json_object_get(job, "embedding_dim")), 64);
    assert_true(json_number_value(json_object_get(job, "checksum")) != 0.0);
    assert_true(json_number_value(json_object_get(job, "peak_rss_bytes")) > 0);
    assert_true(json_number_value(json_object_get(job, "decode_ms")) > 0);
    /* The RQ worker is listed with the native one. */
    bool listed = false;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(run, "workers"), i, w)
        listed |= json_is_string(json_object_get(w, "kind")) &&
                  strcmp(json_string_value(json_object_get(w, "kind")), "rq") == 0;
    assert_true(listed);
    assert_string_equal(json_string_value(json_object_get(mb_test_cell_named(run, "worker:native/"),
                                                           "verdict")), "pass");
    /* The summary's torch version is the native worker's, and says so. */
    char *summary = summary_of(f, "both");
    assert_non_null(strstr(summary, " (native worker; the RQ side's not reported) · "));
    free(summary);
    json_decref(run);
    free(output);
}

/* The RQ worker gets the same watermark rule as the native one: with the
 * variables in the harness's own environment, the fix keeps the user's
 * value (the service's os.environ.setdefault) and fix off removes it.  The
 * hello record shows what the worker process was started with. */
static void rq_worker_gets_the_watermark_rule(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    setenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO", "1.3", 1);
    setenv("PYTORCH_MPS_LOW_WATERMARK_RATIO", "1.2", 1);
    char *output;
    json_t *run;
    int code = run_scenario(f, "wm",
                            "model: builtin:tiny\n"
                            "input_size: 32\n"
                            "images: {sizes: [64x48], per_job: 1, format: jpeg}\n"
                            "worker: {kind: rq}\n"
                            "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [1]}\n"
                            "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n",
                            &output, &run);
    unsetenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    unsetenv("PYTORCH_MPS_LOW_WATERMARK_RATIO");
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    int seen = 0;
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(run, "workers"), i, w) {
        const char *kind = json_string_value(json_object_get(w, "kind"));
        assert_non_null(kind);
        assert_string_equal(kind, "rq");
        json_t *env = json_object_get(w, "env");
        const char *high = json_string_value(json_object_get(env, "PYTORCH_MPS_HIGH_WATERMARK_RATIO"));
        const char *low = json_string_value(json_object_get(env, "PYTORCH_MPS_LOW_WATERMARK_RATIO"));
        bool fix = json_is_true(json_object_get(json_object_get(w, "watermark"), "fix"));
        if (fix) {
            assert_non_null(high);
            assert_string_equal(high, "1.3");
        } else {
            assert_null(high);
        }
        assert_non_null(low);
        assert_string_equal(low, "1.2");
        seen |= fix ? 1 : 2;
    }
    assert_int_equal(seen, 3);
    json_decref(run);
    free(output);
}

/* A corrupt image fails the job in Python; the exception's text (the file
 * and PIL's reason) comes back as the job's error. */
static void failing_job_text_comes_back(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *dir = mb_test_source_path("fixtures/images/corrupt");
    char *text = mb_asprintf("model: builtin:tiny\n"
                             "input_size: 48\n"
                             "images: {dir: %s, group_by_size: false, per_job: 7}\n"
                             "worker: {kind: rq}\n"
                             "matrix: {device: [cpu], batch_size: [1]}\n"
                             "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n",
                             dir);
    char *output;
    json_t *run;
    int code = run_scenario(f, "corrupt", text, &output, &run);
    assert_int_equal(code, 1);
    json_t *job = first_job(mb_test_cell_named(run, "worker:rq/"), "error");
    const char *error = json_string_value(json_object_get(job, "error"));
    assert_non_null(error);
    assert_non_null(strstr(error, "ValueError: cannot decode "));
    assert_non_null(strstr(error, "/fixtures/images/corrupt/"));
    assert_non_null(strstr(error, "RQ job failed"));
    /* No native worker: the summary says where torch is, not "torch ?". */
    char *summary = summary_of(f, "corrupt");
    assert_non_null(strstr(summary, " · torch (python side, not reported) · "));
    free(summary);
    json_decref(run);
    free(output);
    free(text);
    free(dir);
}

/* RQ reports every exception as a failed job; an OOM text in it makes the
 * job an OOM, as the native worker's would be. */
static void oom_text_is_classified(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *output;
    json_t *run;
    int code = run_scenario(f, "oom",
                            "model: builtin:tiny\n"
                            "images: {sizes: [64x48], per_job: 2}\n"
                            "worker: {kind: rq, function: fault_jobs.oom}\n"
                            "matrix: {device: [cpu], batch_size: [2]}\n"
                            "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n"
                            "expect: {oom: expected}\n",
                            &output, &run);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    json_t *job = first_job(mb_test_cell_named(run, "worker:rq/"), "oom");
    assert_non_null(strstr(json_string_value(json_object_get(job, "error")),
                           "MPS backend out of memory"));
    json_decref(run);
    free(output);
}

/* A worker that dies mid-job (SimpleWorker: the worker process itself;
 * Worker: its forked work-horse) has its job reported as crashed. */
static void killed_worker_is_reported(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *output;
    json_t *run;
    int code = run_scenario(f, "crash",
                            "model: builtin:tiny\n"
                            "images: {sizes: [64x48], per_job: 2}\n"
                            "worker: {kind: rq, function: fault_jobs.crash}\n"
                            "matrix: {device: [cpu], exec: [persistent, fork_per_job]}\n"
                            "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1,"
                            " timeout: 60s}\n",
                            &output, &run);
    assert_int_equal(code, 1);
    json_t *simple = first_job(mb_test_cell_named(run, "exec:persistent"), "crashed");
    assert_non_null(strstr(json_string_value(json_object_get(simple, "error")),
                           "killed by signal 9"));
    json_t *forked = first_job(mb_test_cell_named(run, "exec:fork_per_job"), "crashed");
    assert_non_null(strstr(json_string_value(json_object_get(forked, "error")),
                           "Work-horse terminated unexpectedly"));
    json_decref(run);
    free(output);
}

/* With --redis, nothing of the run stays in the shared server: no job
 * hashes, queues, registries or worker records, not even those of workers
 * that were killed mid-job and restarted. */
static void shared_redis_is_left_clean(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    const char *text = "model: builtin:tiny\n"
                       "images: {sizes: [64x48], per_job: 2}\n"
                       "worker: {kind: rq, function: fault_jobs.crash}\n"
                       "matrix: {device: [cpu], exec: [persistent, fork_per_job]}\n"
                       "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n";
    char *path = mb_asprintf("%s/shared.yaml", f->env.tmp);
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text), NULL), 0);
    char *out = mb_asprintf("%s/shared", f->env.tmp);
    const char *args[] = {"run", path, "--out", out, "--image-cache", f->cache, "--no-charts",
                          "--redis", f->env.redis.url, NULL};
    char *output;
    int code = mb_test_run_cli(&f->env, args, &output);
    if (code != 1)
        fail_msg("exit %d:\n%s", code, output);
    char **keys;
    size_t n;
    mb_err err;
    assert_int_equal(mb_queue_scan(f->env.q, "rq:*", &keys, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "left behind: %s\n", keys[i]);
        free(keys[i]);
    }
    free(keys);
    assert_int_equal(n, 0);
    free(output);
    free(out);
    free(path);
}

/* The side-by-side table pairs each native cell with the RQ cell that
 * differs only in the worker axis; it needs no Python, so it never skips. */
static void compare_table_pairs_cells(void **state)
{
    (void)state;
    static const char text[] = "name: nvr\n"
                               "images: {sizes: [224x224, 1024x768]}\n"
                               "matrix: {worker: [native, rq], device: [cpu], batch_size: [16]}\n";
    mb_scenario *s;
    mb_err err;
    assert_int_equal(mb_scenario_load_string(text, strlen(text), "nvr.yaml", ".", &s, &err), 0);
    mb_cell *cells;
    size_t n;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 4);
    run_ctx run;
    memset(&run, 0, sizeof run);
    assert_null(mb__worker_compare_table(&run));
    cell_state cs[4];
    memset(cs, 0, sizeof cs);
    /* native 224, native 1024, rq 224, rq 1024 (the worker axis is outermost) */
    double ips[4][2] = {{20, 30}, {10, 10}, {5, 5}, {0, 0}};
    for (size_t i = 0; i < 4; i++) {
        cs[i].run = &run;
        cs[i].scenario = s;
        cs[i].cell = &cells[i];
        cs[i].rep_images_per_s = ips[i];
        cs[i].n_reps = i == 3 ? 0 : 2;
    }
    run.cells = cs;
    run.n_cells = 4;
    char *md = mb__worker_compare_table(&run);
    assert_non_null(md);
    assert_non_null(strstr(md, "| nvr | device:cpu/fix:on/image:224x224/batch:16 | 25.00 | 5.00 "
                               "| 5.00x |\n"));
    assert_non_null(strstr(md, "| nvr | device:cpu/fix:on/image:1024x768/batch:16 | 10.00 | "
                               "failed | - |\n"));
    free(md);
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

/* Two RQ worker configurations in interleaved rounds: each RQ worker is
 * parked while the other serves, as native workers are, so each starts
 * once however the rounds alternate (one hello record each in run.json). */
static void rq_workers_are_parked_between_rounds(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *output;
    json_t *run;
    int code = run_scenario(f, "parked",
                            "model: builtin:tiny\n"
                            "input_size: 32\n"
                            "images: {sizes: [64x48], per_job: 1, format: jpeg}\n"
                            "worker: {kind: rq}\n"
                            "matrix: {device: [cpu], watermark_fix: [on, off], batch_size: [1]}\n"
                            "run: {jobs: 1, warmup_jobs: 0, repetitions: 4, threads: 1,"
                            " order: interleaved, max_live_workers: 2}\n",
                            &output, &run);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    json_t *schedule = json_object_get(run, "schedule");
    assert_string_equal(json_string_value(json_object_get(schedule, "order")), "interleaved");
    assert_true(json_is_null(json_object_get(schedule, "fallback")));
    size_t i, starts = 0;
    json_t *w;
    json_array_foreach(json_object_get(run, "workers"), i, w) {
        const char *kind = json_string_value(json_object_get(w, "kind"));
        assert_non_null(kind);
        assert_string_equal(kind, "rq");
        starts++;
    }
    if (starts != 2)
        fail_msg("%zu RQ worker starts for 2 configurations:\n%s", starts, output);
    json_decref(run);
    free(output);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(compare_table_pairs_cells),
    cmocka_unit_test_setup_teardown(rq_jobs_succeed_beside_native, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(failing_job_text_comes_back, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(oom_text_is_classified, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(killed_worker_is_reported, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(shared_redis_is_left_clean, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(rq_worker_gets_the_watermark_rule, setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(rq_workers_are_parked_between_rounds, setup,
                                    mb_test_fixture_teardown),
};

MB_TEST_MAIN("rq", tests, group_setup, NULL)

/* The native backend: one mpsbench-worker per worker configuration,
 * started through the worker client (workerclient/) with the cell's
 * options and environment, announced through its hello key, restarted by
 * the runner when it dies. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_private.h"

/* How long a worker may take to load its model and say hello. */
#define HELLO_TIMEOUT_MS 180000

/* Reads state/reason/torch_version from the hello record. */
static int read_hello(run_ctx *run, mb_err *err)
{
    worker_slot *w = &run->worker;
    json_error_t jerr;
    json_t *o = json_loads(w->hello, 0, &jerr);
    if (o == NULL)
        return mb_err_set(err, MB_EPROTO, "worker %s: bad hello record: %s", w->worker_id, jerr.text);
    const char *state = json_string_value(json_object_get(o, "state"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    const char *torch = json_string_value(json_object_get(o, "torch_version"));
    int rc = 0;
    if (torch != NULL && run->torch_version == NULL)
        run->torch_version = mb_strdup(torch);
    if (state != NULL && strcmp(state, "unusable") == 0) {
        w->unusable = true;
        w->unusable_reason = mb_strdup(reason ? reason : "device unusable");
    } else if (state == NULL || strcmp(state, "ready") != 0) {
        rc = mb_err_set(err, MB_EWORKER, "worker %s failed to start: %s", w->worker_id,
                        reason ? reason : "no reason given");
    }
    /* A ready worker on a hosted runner's paravirtual GPU (the scenario
     * allowed it): its OOMs are that device's cap, not MPS OOMs. */
    json_t *probe = json_object_get(o, "mps_probe");
    const char *cls = json_string_value(json_object_get(probe, "class"));
    w->paravirtual = rc == 0 && !w->unusable && cls != NULL && strcmp(cls, "paravirtual") == 0;
    json_decref(o);
    return rc;
}

static int start_worker(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err)
{
    worker_slot *w = &run->worker;
    w->restarts++;
    w->generation = ++run->worker_starts;
    free(w->worker_id);
    free(w->log_path);
    free(w->hello);
    free(w->unusable_reason);
    w->hello = NULL;
    w->unusable = false;
    w->unusable_reason = NULL;
    w->paravirtual = false;
    w->worker_id = mb_asprintf("w%d.%d", w->seq, w->restarts);
    w->log_path = mb_asprintf("%s/logs/worker-%s.log", run->dir, w->worker_id);
    free(w->hello_key);
    w->hello_key = mb_key_worker(run->ns, w->worker_id);
    mb_worker_spec spec = {
        .path = s->worker.native_path ? s->worker.native_path : run->cfg->worker_path,
        .redis_url = mb_queue_url(run->q),
        .jobs_stream = w->jobs_stream,
        .results_stream = run->results_stream,
        .id = w->worker_id,
        .hello_key = w->hello_key,
        .device = cell->device,
        .model = s->model,
        .threads = cell->run.threads,
        .cell = cell,
        .fault = &s->fault,
    };
    mb_env env;
    mb_watermark rule;
    mb_worker_env(cell, &env, &rule);
    int rc = mb_worker_start(run->q, &spec, env.vars, w->log_path, &w->proc, err);
    mb_env_free(&env);
    if (rc != 0)
        return rc;
    char *hello = NULL;
    rc = mb_worker_await_hello(run->q, w->hello_key, &w->proc, w->worker_id, w->log_path,
                               HELLO_TIMEOUT_MS, NULL, &hello, err);
    if (rc != 0)
        return rc;
    w->hello = mb_hello_with_watermark(hello, cell->watermark_fix, &rule);
    free(hello);
    mb__hello_log_add(run, w->hello, (long)w->proc.pid);
    return read_hello(run, err);
}

static int native_ensure(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err)
{
    worker_slot *w = &run->worker;
    bool same = w->backend == &mb_native_backend && w->key != NULL &&
                strcmp(w->key, cell->worker_key) == 0 && w->scenario == s;
    if (same && (w->unusable || mb_proc_alive(&w->proc)))
        return 0;
    if (!same) {
        mb__slot_stop(run);
        w->backend = &mb_native_backend;
        w->key = mb_strdup(cell->worker_key);
        w->scenario = s;
        w->seq = ++run->worker_seq;
        char *suffix = mb_asprintf("w%d", w->seq);
        w->jobs_stream = mb_key_jobs(run->ns, suffix);
        free(suffix);
        if (mb_queue_create_group(run->q, w->jobs_stream, "workers", err) != 0)
            return err->code;
    }
    return start_worker(run, cell, s, err);
}

static int native_submit(run_ctx *run, const mb_job *job, char **entry_id, mb_err *err)
{
    return mb_worker_submit(run->q, run->worker.jobs_stream, job, entry_id, err);
}

/* Results arrive on the run's one results stream, in the order the worker
 * finished the jobs. */
static int native_next_result(run_ctx *run, int block_ms, mb_result *out, mb_err *err)
{
    return mb_worker_next_result(run->q, run->results_stream, run->last_result_id, block_ms,
                                 out, err);
}

static void native_abandon(run_ctx *run, const char *entry_id)
{
    mb_worker_abandon(run->q, run->worker.jobs_stream, entry_id);
}

static void native_stop(run_ctx *run, worker_slot *w)
{
    mb_worker_stop(run->q, &w->proc, w->hello_key, 5000);
    mb__slot_clear(w);
}

const worker_backend mb_native_backend = {
    .name = "native",
    .ensure = native_ensure,
    .stop = native_stop,
    .submit = native_submit,
    .next_result = native_next_result,
    .abandon = native_abandon,
};

/* Worker supervision: one mpsbench-worker per worker configuration, started
 * with posix_spawn and its own environment, announced through its hello
 * key, restarted by the runner when it dies. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_util.h"
#include "run_private.h"

/* How long a worker may take to load its model and say hello. */
#define HELLO_TIMEOUT_MS 180000

static void slot_clear(worker_slot *w)
{
    free(w->key);
    free(w->jobs_stream);
    free(w->hello_key);
    free(w->worker_id);
    free(w->log_path);
    free(w->unusable_reason);
    free(w->hello);
    memset(w, 0, sizeof *w);
}

void mb_worker_stop(run_ctx *run)
{
    worker_slot *w = &run->worker;
    if (w->backend != NULL && w->backend != &mb_native_backend) {
        w->backend->stop(run);
        return;
    }
    mb_proc_stop(&w->proc, 5000);
    if (run->q != NULL && w->hello_key != NULL)
        mb_queue_del(run->q, w->hello_key, NULL);
    slot_clear(w);
}

/* Stops a parked worker (always a native one). */
static void stop_parked(run_ctx *run, worker_slot *w)
{
    mb_proc_stop(&w->proc, 5000);
    if (run->q != NULL && w->hello_key != NULL)
        mb_queue_del(run->q, w->hello_key, NULL);
    slot_clear(w);
}

static bool serves(const worker_slot *w, const cell_state *cs)
{
    return w->key != NULL && strcmp(w->key, cs->cell->worker_key) == 0 &&
           w->scenario == cs->scenario;
}

void mb_worker_select(run_ctx *run, const cell_state *cs)
{
    worker_slot *w = &run->worker;
    if (serves(w, cs))
        return;
    int max_live = run->schedule.max_live_workers;
    bool can_park = w->key != NULL && w->backend == &mb_native_backend && max_live > 1 &&
                    (w->unusable || mb_proc_alive(&w->proc));
    if (w->key == NULL) {
        /* Nothing to put aside. */
    } else if (can_park) {
        if (run->n_parked + 1 >= (size_t)max_live || run->n_parked == MB_MAX_PARKED) {
            /* The longest parked goes first. */
            stop_parked(run, &run->parked[0]);
            memmove(&run->parked[0], &run->parked[1], (run->n_parked - 1) * sizeof *run->parked);
            run->n_parked--;
        }
        run->parked[run->n_parked++] = *w;
        memset(w, 0, sizeof *w);
    } else {
        mb_worker_stop(run);
    }
    for (size_t i = 0; i < run->n_parked; i++) {
        if (serves(&run->parked[i], cs)) {
            *w = run->parked[i];
            memmove(&run->parked[i], &run->parked[i + 1],
                    (run->n_parked - i - 1) * sizeof *run->parked);
            run->n_parked--;
            break;
        }
    }
}

void mb_worker_stop_all(run_ctx *run)
{
    mb_worker_stop(run);
    for (size_t i = 0; i < run->n_parked; i++)
        stop_parked(run, &run->parked[i]);
    run->n_parked = 0;
}

/* Stops the process that serves cs, live or parked, so that its next
 * repetition starts a fresh one (run.fresh_workers). */
void mb_worker_retire(run_ctx *run, const cell_state *cs)
{
    if (serves(&run->worker, cs)) {
        mb_worker_stop(run);
        return;
    }
    for (size_t i = 0; i < run->n_parked; i++) {
        if (serves(&run->parked[i], cs)) {
            stop_parked(run, &run->parked[i]);
            memmove(&run->parked[i], &run->parked[i + 1],
                    (run->n_parked - i - 1) * sizeof *run->parked);
            run->n_parked--;
            return;
        }
    }
}

void mb_worker_env(const mb_cell *cell, mb_env *env, mb_watermark *rule)
{
    mb_env_from_current(env);
    bool scenario_high = false;
    for (size_t i = 0; i < cell->n_env; i++) {
        const char *name = cell->env[i].key;
        if (strcmp(name, MB_WATERMARK_HIGH) == 0)
            scenario_high = true;
        mb_env_set(env, name, cell->env[i].value);
    }
    mb_watermark_rule(cell->watermark_fix, mb_env_get(env, MB_WATERMARK_HIGH),
                      mb_env_get(env, MB_WATERMARK_LOW), scenario_high, rule);
    if (rule->high_set)
        mb_env_set(env, MB_WATERMARK_HIGH, rule->high);
    else
        mb_env_unset(env, MB_WATERMARK_HIGH);
    if (rule->low_set)
        mb_env_set(env, MB_WATERMARK_LOW, rule->low);
    else
        mb_env_unset(env, MB_WATERMARK_LOW);
}

char *mb_hello_with_watermark(const char *hello, bool fix, const mb_watermark *rule)
{
    json_t *o = json_loads(hello, 0, NULL);
    if (o == NULL)
        return mb_strdup(hello);
    json_object_set_new(o, "watermark",
        json_pack("{s:b, s:o, s:o, s:b, s:b}", "fix", fix,
                  "high", rule->high_set ? json_string(rule->high) : json_null(),
                  "low", rule->low_set ? json_string(rule->low) : json_null(),
                  "explicit", rule->high_was_explicit, "low_lowered", rule->low_lowered));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Waits for the hello record; fails if the process dies first. */
static int wait_hello(run_ctx *run, mb_err *err)
{
    worker_slot *w = &run->worker;
    double deadline = mb_now_ms() + HELLO_TIMEOUT_MS;
    while (mb_now_ms() < deadline) {
        char *hello = NULL;
        if (mb_queue_get(run->q, w->hello_key, &hello, err) != 0)
            return err->code;
        if (hello != NULL) {
            w->hello = hello;
            return 0;
        }
        if (!mb_proc_alive(&w->proc)) {
            /* It may have written its hello and exited (unusable device). */
            if (mb_queue_get(run->q, w->hello_key, &hello, err) == 0 && hello != NULL) {
                w->hello = hello;
                return 0;
            }
            char how[160];
            mb_proc_describe_exit(&w->proc, how, sizeof how);
            return mb_err_set(err, MB_EWORKER, "worker %s %s before it was ready; see %s",
                              w->worker_id, how, w->log_path);
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return mb_err_set(err, MB_ETIMEOUT, "worker %s was not ready within %d s; see %s",
                      w->worker_id, HELLO_TIMEOUT_MS / 1000, w->log_path);
}

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
    char threads[16], decode_threads[16], memory_limit[32], crash_after[16], hang_after[16];
    snprintf(threads, sizeof threads, "%d", cell->run.threads);
    snprintf(decode_threads, sizeof decode_threads, "%d", cell->run.decode_threads);
    snprintf(memory_limit, sizeof memory_limit, "%llu", (unsigned long long)cell->run.memory_limit);
    snprintf(crash_after, sizeof crash_after, "%d", s->fault.crash_after_jobs);
    snprintf(hang_after, sizeof hang_after, "%d", s->fault.hang_after_jobs);
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
    w->worker_id = mb_asprintf("w%d.%d", run->worker_seq, w->restarts);
    w->log_path = mb_asprintf("%s/logs/worker-%s.log", run->dir, w->worker_id);
    free(w->hello_key);
    w->hello_key = mb_key_worker(run->ns, w->worker_id);
    char *argv[] = {
        (char *)(s->worker.native_path ? s->worker.native_path : run->cfg->worker_path),
        "--redis", (char *)mb_queue_url(run->q),
        "--jobs", w->jobs_stream,
        "--results", run->results_stream,
        "--id", w->worker_id,
        "--hello-key", w->hello_key,
        "--device", (char *)cell->device,
        "--model", s->model,
        "--precision", cell->precision ? cell->precision : "fp32",
        "--threads", threads,
        "--decode-threads", decode_threads,
        "--watermark-fix", cell->watermark_fix ? "on" : "off",
        "--on-oom", cell->run.on_oom == MB_ON_OOM_EXIT ? "exit" : "continue",
        "--exec", cell->run.exec == MB_EXEC_FORK_PER_JOB ? "fork_per_job" : "persistent",
        "--memory-limit", memory_limit,
        "--fault-crash-after", crash_after,
        "--fault-hang-after", hang_after,
        /* Optional flags go last, filled in below, so the list can end early. */
        NULL,
        NULL,
        NULL,
    };
    size_t opt = sizeof argv / sizeof argv[0] - 3;
    if (s->fault.emulate_mps_accounting)
        argv[opt++] = "--fault-mps-accounting";
    if (cell->run.allow_paravirtual_mps)
        argv[opt++] = "--allow-paravirtual-mps";
    mb_env env;
    mb_watermark rule;
    mb_worker_env(cell, &env, &rule);
    int rc = mb_spawn(argv, env.vars, w->log_path, &w->proc, err);
    mb_env_free(&env);
    if (rc != 0)
        return rc;
    if ((rc = wait_hello(run, err)) != 0)
        return rc;
    char *hello = mb_hello_with_watermark(w->hello, cell->watermark_fix, &rule);
    free(w->hello);
    w->hello = hello;
    hello_log *log = &run->hellos;
    log->records = mb_realloc(log->records, (log->n + 1) * sizeof *log->records);
    log->records[log->n++] = mb_strdup(w->hello);
    /* run.json names every worker's pid as soon as it is up, so whoever
     * finds a run that was killed knows which processes belonged to it. */
    mb_report_write_run_json(run, "running", NULL);
    return read_hello(run, err);
}

static int native_ensure(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err)
{
    worker_slot *w = &run->worker;
    bool same = w->key != NULL && strcmp(w->key, cell->worker_key) == 0 && w->scenario == s;
    if (same && (w->unusable || mb_proc_alive(&w->proc)))
        return 0;
    if (!same) {
        mb_worker_stop(run);
        w->backend = &mb_native_backend;
        w->key = mb_strdup(cell->worker_key);
        w->scenario = s;
        run->worker_seq++;
        char *suffix = mb_asprintf("w%d", run->worker_seq);
        w->jobs_stream = mb_key_jobs(run->ns, suffix);
        free(suffix);
        if (mb_queue_create_group(run->q, w->jobs_stream, "workers", err) != 0)
            return err->code;
    }
    return start_worker(run, cell, s, err);
}

static int native_submit(run_ctx *run, const mb_job *job, char **entry_id, mb_err *err)
{
    char *payload = mb_job_encode(job);
    int rc = mb_queue_add(run->q, run->worker.jobs_stream, "job", payload, strlen(payload),
                          entry_id, err);
    free(payload);
    return rc;
}

/* Results arrive on the run's one results stream, in the order the worker
 * finished the jobs. */
static int native_next_result(run_ctx *run, int block_ms, mb_result *out, mb_err *err)
{
    char *payload = NULL;
    size_t len = 0;
    int got = mb_queue_read(run->q, run->results_stream, run->last_result_id, "result", block_ms,
                            &payload, &len, err);
    if (got <= 0)
        return got;
    mb_err perr;
    int rc = mb_result_decode(payload, len, out, &perr);
    free(payload);
    if (rc != 0) {
        fprintf(stderr, "mpsbench: ignoring a malformed result: %s\n", perr.msg);
        return 0;
    }
    return 1;
}

/* Acknowledged entries are never delivered again, and a new worker reads
 * only new entries, so the job is reported once and run never. */
static void native_abandon(run_ctx *run, const char *entry_id)
{
    if (run->worker.jobs_stream != NULL && entry_id != NULL)
        mb_queue_ack(run->q, run->worker.jobs_stream, "workers", entry_id, NULL);
}

static void native_stop(run_ctx *run)
{
    mb_worker_stop(run);
}

const worker_backend mb_native_backend = {
    .name = "native",
    .ensure = native_ensure,
    .stop = native_stop,
    .submit = native_submit,
    .next_result = native_next_result,
    .abandon = native_abandon,
};

const worker_backend *mb_backend_for(const mb_scenario *s)
{
    const worker_backend *rq = mb_rq_backend_for(s);
    return rq != NULL ? rq : &mb_native_backend;
}

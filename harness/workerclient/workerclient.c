#include "workerclient.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_util.h"

/* The longest argv mb_worker_start builds, extra flags included. */
#define MAX_ARGS 64

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

bool mb_worker_hello_ready(const char *hello)
{
    json_t *o = hello != NULL ? json_loads(hello, 0, NULL) : NULL;
    const char *state = json_string_value(json_object_get(o, "state"));
    bool ready = state != NULL && strcmp(state, "ready") == 0;
    json_decref(o);
    return ready;
}

/* The argv under construction; numbers are printed into their own slots so
 * that argv can point at them. */
typedef struct argv_builder {
    char *argv[MAX_ARGS + 1];
    size_t n;
    char numbers[8][32];
    size_t n_numbers;
} argv_builder;

static void push(argv_builder *b, const char *flag, const char *value)
{
    if (b->n + 2 > MAX_ARGS)
        return;
    b->argv[b->n++] = (char *)flag;
    if (value != NULL)
        b->argv[b->n++] = (char *)value;
}

static void push_number(argv_builder *b, const char *flag, long long value)
{
    char *slot = b->numbers[b->n_numbers++];
    snprintf(slot, sizeof b->numbers[0], "%lld", value);
    push(b, flag, slot);
}

/* Every option a cell decides, and the scenario's faults. */
static void push_cell(argv_builder *b, const mb_cell *cell, const mb_fault *fault)
{
    push(b, "--precision", cell->precision ? cell->precision : "fp32");
    push_number(b, "--decode-threads", (long long)cell->run.decode_threads);
    push(b, "--watermark-fix", cell->watermark_fix ? "on" : "off");
    push(b, "--on-oom", cell->run.on_oom == MB_ON_OOM_EXIT ? "exit" : "continue");
    push(b, "--exec", cell->run.exec == MB_EXEC_FORK_PER_JOB ? "fork_per_job" : "persistent");
    push_number(b, "--memory-limit", (long long)cell->run.memory_limit);
    if (fault != NULL) {
        push_number(b, "--fault-crash-after", (long long)fault->crash_after_jobs);
        push_number(b, "--fault-hang-after", (long long)fault->hang_after_jobs);
        if (fault->emulate_mps_accounting)
            push(b, "--fault-mps-accounting", NULL);
    }
    if (cell->run.allow_paravirtual_mps)
        push(b, "--allow-paravirtual-mps", NULL);
}

int mb_worker_start(mb_queue *q, const mb_worker_spec *spec, char *const envp[],
                    const char *log_path, mb_proc *p, mb_err *err)
{
    argv_builder b;
    memset(&b, 0, sizeof b);
    b.argv[b.n++] = (char *)spec->path;
    push(&b, "--redis", spec->redis_url);
    push(&b, "--jobs", spec->jobs_stream);
    push(&b, "--results", spec->results_stream);
    push(&b, "--id", spec->id);
    push(&b, "--hello-key", spec->hello_key);
    if (spec->device != NULL)
        push(&b, "--device", spec->device);
    if (spec->model != NULL)
        push(&b, "--model", spec->model);
    if (spec->threads > 0)
        push_number(&b, "--threads", (long long)spec->threads);
    if (spec->cell != NULL)
        push_cell(&b, spec->cell, spec->fault);
    for (size_t i = 0; spec->extra != NULL && spec->extra[i] != NULL && b.n < MAX_ARGS; i++)
        b.argv[b.n++] = (char *)spec->extra[i];
    b.argv[b.n] = NULL;
    if (q != NULL && spec->hello_key != NULL)
        mb_queue_del(q, spec->hello_key, NULL);
    return mb_spawn(b.argv, envp, log_path, p, err);
}

int mb_worker_await_hello(mb_queue *q, const char *hello_key, mb_proc *p, const char *id,
                          const char *log_path, int timeout_ms,
                          const volatile sig_atomic_t *cancel, char **hello, mb_err *err)
{
    *hello = NULL;
    double deadline = mb_now_ms() + timeout_ms;
    while (mb_now_ms() < deadline && (cancel == NULL || !*cancel)) {
        if (mb_queue_get(q, hello_key, hello, err) != 0)
            return err->code;
        if (*hello != NULL)
            return 0;
        if (!mb_proc_alive(p)) {
            /* It may have written its hello and exited (unusable device). */
            if (mb_queue_get(q, hello_key, hello, err) == 0 && *hello != NULL)
                return 0;
            char how[160];
            mb_proc_describe_exit(p, how, sizeof how);
            return mb_err_set(err, MB_EWORKER, "worker %s %s before it was ready; see %s", id,
                              how, log_path ? log_path : "its log");
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (cancel != NULL && *cancel)
        return mb_err_set(err, MB_ETIMEOUT, "interrupted while worker %s was starting", id);
    return mb_err_set(err, MB_ETIMEOUT, "worker %s was not ready within %d s; see %s", id,
                      timeout_ms / 1000, log_path ? log_path : "its log");
}

int mb_worker_submit(mb_queue *q, const char *jobs_stream, const mb_job *job, char **entry_id,
                     mb_err *err)
{
    char *payload = mb_job_encode(job);
    int rc = mb_queue_add(q, jobs_stream, "job", payload, strlen(payload), entry_id, err);
    free(payload);
    return rc;
}

int mb_worker_next_result(mb_queue *q, const char *results_stream, char last_id[64],
                          int block_ms, mb_result *out, mb_err *err)
{
    char *payload = NULL;
    size_t len = 0;
    int got = mb_queue_read(q, results_stream, last_id, "result", block_ms, &payload, &len, err);
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
void mb_worker_abandon(mb_queue *q, const char *jobs_stream, const char *entry_id)
{
    if (jobs_stream != NULL && entry_id != NULL)
        mb_queue_ack(q, jobs_stream, "workers", entry_id, NULL);
}

void mb_worker_stop(mb_queue *q, mb_proc *p, const char *hello_key, int grace_ms)
{
    mb_proc_stop(p, grace_ms);
    if (q != NULL && hello_key != NULL)
        mb_queue_del(q, hello_key, NULL);
}

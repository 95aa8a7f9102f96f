/* The RQ worker backend: drives the service's own Python `rq worker` with
 * the same cells as mpsbench-worker.  The harness writes RQ jobs itself, in
 * RQ's data layout (a job hash, the queue list, the rq:queues set; see
 * harness/queue/PROTOCOL.md, "The RQ worker"), polls each job's status and
 * reads its outcome from RQ's results stream (Redis >= 5) or the job hash
 * (older servers).  The runner gives this backend the cells whose worker
 * kind is rq. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "mb_util.h"
#include "run_private.h"

/* Python, rq and redis-py import in about a second; far more means the
 * command is wrong, and its log says why. */
#define REGISTER_TIMEOUT_MS 120000
/* How often a job's status is read while the runner waits for it: short
 * next to any job, cheap over a local socket. */
#define POLL_MS 3
/* RQ keeps results this long; the harness deletes each job once read, so
 * this only bounds what a killed harness leaves behind.  It must not be 0:
 * RQ then deletes the result before anyone could read it. */
#define RESULT_TTL_S "600"
/* Decompressed results and tracebacks larger than this are refused. */
#define MAX_INFLATED (64u * 1024u * 1024u)

typedef struct rq_pending {
    char *rq_id;            /* RQ job id: "mb-<ns>-<job id>" */
    char *job_id;           /* the runner's job id */
} rq_pending;

/* One RQ worker's own state, kept in its worker slot (worker_slot.rq) so
 * that an RQ worker can be parked between rounds as a native one is. */
typedef struct rq_state {
    char *queue;            /* "<worker.queue>.<ns>.w<seq>": private to one worker */
    char *queue_key;        /* "rq:queue:<queue>" */
    char *worker_name;      /* RQ's name for the current worker process */
    /* What every job of the current cell carries. */
    const char *function;
    const char *model;
    const char *device;
    int threads;
    int timeout_s;          /* RQ's own job timeout, above the runner's */
    rq_pending *pending;    /* submitted, not yet answered, in order */
    size_t n_pending;
} rq_state;

const worker_backend mb_rq_backend;

static bool is_rq(const run_ctx *run)
{
    return run->worker.backend == &mb_rq_backend;
}

static void pending_drop(rq_state *st, size_t i)
{
    free(st->pending[i].rq_id);
    free(st->pending[i].job_id);
    memmove(&st->pending[i], &st->pending[i + 1],
            (st->n_pending - i - 1) * sizeof *st->pending);
    st->n_pending--;
}

static char *job_key(const char *rq_id)
{
    return mb_asprintf("rq:job:%s", rq_id);
}

static char *results_key(const char *rq_id)
{
    return mb_asprintf("rq:results:%s", rq_id);
}

/* Deletes a job's hash and results stream once the harness is done with it. */
static void forget_job(run_ctx *run, const char *rq_id)
{
    char *job = job_key(rq_id), *results = results_key(rq_id);
    mb_queue_del(run->q, job, NULL);
    mb_queue_del(run->q, results, NULL);
    free(job);
    free(results);
}

/* ---- stopping ---------------------------------------------------------- */

/* SIGTERM is RQ's warm shutdown (finish the job in hand, then exit), the
 * same contract as mpsbench-worker's.  A second SIGTERM after 5 s is RQ's
 * cold shutdown, in which a forking Worker kills its work-horse (which runs
 * in a session of its own, out of reach of the harness); SIGKILL follows
 * after one more second. */
static void stop_process(mb_proc *p)
{
    if (p->pid <= 0 || !mb_proc_alive(p))
        return;
    kill(p->pid, SIGTERM);
    if (!mb_proc_wait(p, 5000))
        mb_proc_stop(p, 1000);
}

/* Stops the worker, then every key of its private queue goes: the queue
 * list, its registries (rq:wip:, rq:finished:, rq:failed:, ...),
 * rq:workers:<queue>, the worker's own hash and the jobs of this run. */
static void rq_stop(run_ctx *run, worker_slot *w)
{
    rq_state *st = w->rq;
    stop_process(&w->proc);
    if (st == NULL) {
        mb__slot_clear(w);
        return;
    }
    if (run->q != NULL && st->queue != NULL) {
        char *pattern = mb_asprintf("rq:*:%s", st->queue);
        mb_queue_delete_matching(run->q, pattern, NULL);
        free(pattern);
        mb_queue_srem(run->q, "rq:queues", st->queue_key, NULL);
        if (st->worker_name != NULL) {
            char *key = mb_asprintf("rq:worker:%s", st->worker_name);
            mb_queue_srem(run->q, "rq:workers", key, NULL);
            mb_queue_del(run->q, key, NULL);
            free(key);
        }
        for (size_t i = 0; i < st->n_pending; i++)
            forget_job(run, st->pending[i].rq_id);
    }
    while (st->n_pending > 0)
        pending_drop(st, st->n_pending - 1);
    free(st->pending);
    free(st->queue);
    free(st->queue_key);
    free(st->worker_name);
    free(st);
    w->rq = NULL;
    mb__slot_clear(w);
}

/* ---- starting ---------------------------------------------------------- */

/* Replaces every placeholder in one argument of worker.command. */
static char *fill_placeholders(const char *arg, const char *const *names,
                               const char *const *values, size_t n)
{
    char *out = mb_strdup("");
    const char *p = arg;
    while (*p != '\0') {
        size_t k = n;
        for (size_t i = 0; i < n && k == n; i++)
            if (strncmp(p, names[i], strlen(names[i])) == 0)
                k = i;
        char *next;
        if (k < n) {
            next = mb_asprintf("%s%s", out, values[k]);
            p += strlen(names[k]);
        } else {
            next = mb_asprintf("%s%c", out, *p);
            p++;
        }
        free(out);
        out = next;
    }
    return out;
}

/* The worker's environment: mb_worker_env (the same watermark rule as the
 * native worker's), FORCE_CPU for the CPU, and PYTHONPATH with the
 * scenario's folders first, then fixtures/rq, then whatever the caller had. */
static void rq_env(const mb_cell *cell, const mb_scenario *s, mb_env *env, mb_watermark *rule)
{
    mb_worker_env(cell, env, rule);
    if (strcmp(cell->device, "cpu") == 0)
        mb_env_set(env, "FORCE_CPU", "true");
    char *path = mb_strdup("");
    for (size_t i = 0; i < s->worker.n_pythonpath; i++) {
        char *next = mb_asprintf("%s%s:", path, s->worker.pythonpath[i]);
        free(path);
        path = next;
    }
    const char *old = getenv("PYTHONPATH");
    char *full = mb_asprintf("%s%s/fixtures/rq%s%s", path, MB_SOURCE_DIR,
                             old != NULL && *old != '\0' ? ":" : "", old != NULL ? old : "");
    mb_env_set(env, "PYTHONPATH", full);
    free(path);
    free(full);
    /* The log then shows each job as it happens, not when a buffer fills. */
    mb_env_set(env, "PYTHONUNBUFFERED", "1");
}

/* A hello record like mpsbench-worker's, so run.json lists the RQ worker
 * beside the native ones: what was started, and what RQ says of itself. */
static char *hello_record(run_ctx *run, const mb_cell *cell, const mb_scenario *s,
                          char *const *argv, size_t argc, const mb_env *env)
{
    worker_slot *w = &run->worker;
    rq_state *st = w->rq;
    char *key = mb_asprintf("rq:worker:%s", st->worker_name);
    const char *fields[] = {"version", "python_version", "hostname"};
    char *values[3] = {NULL, NULL, NULL};
    mb_queue_hmget(run->q, key, 3, fields, values, NULL, NULL);
    free(key);
    json_t *cmd = json_array();
    for (size_t i = 0; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}",
                          "v", 1, "worker_id", w->worker_id, "kind", "rq",
                          "pid", (json_int_t)w->proc.pid, "state", "ready",
                          "device", cell->device, "model", s->model,
                          "function", s->worker.function, "queue", st->queue,
                          "rq_worker_name", st->worker_name, "command", cmd);
    /* The variables the worker was started with (it reports none itself). */
    json_t *envo = json_object();
    const char *given[] = {MB_WATERMARK_HIGH, MB_WATERMARK_LOW, "FORCE_CPU"};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
        const char *v = mb_env_get(env, given[i]);
        json_object_set_new(envo, given[i], v ? json_string(v) : json_null());
    }
    json_object_set_new(o, "env", envo);
    if (values[0] != NULL)
        json_object_set_new(o, "rq_version", json_string(values[0]));
    if (values[1] != NULL)
        json_object_set_new(o, "python_version", json_string(values[1]));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    for (size_t i = 0; i < 3; i++)
        free(values[i]);
    return text;
}

/* Waits until the worker has registered on its queue (rq:workers:<queue>,
 * which the harness emptied before starting it), or dies trying. */
static int wait_registered(run_ctx *run, const char *workers_key, mb_err *err)
{
    worker_slot *w = &run->worker;
    double deadline = mb_now_ms() + REGISTER_TIMEOUT_MS;
    while (mb_now_ms() < deadline) {
        long long n = 0;
        if (mb_queue_scard(run->q, workers_key, &n, err) != 0)
            return err->code;
        if (n > 0)
            return 0;
        if (!mb_proc_alive(&w->proc)) {
            char how[160];
            mb_proc_describe_exit(&w->proc, how, sizeof how);
            return mb_err_set(err, MB_EWORKER, "rq worker %s %s before it registered; see %s",
                              w->worker_id, how, w->log_path);
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return mb_err_set(err, MB_ETIMEOUT, "rq worker %s did not register within %d s; see %s",
                      w->worker_id, REGISTER_TIMEOUT_MS / 1000, w->log_path);
}

static int start_rq_worker(run_ctx *run, const mb_cell *cell, const mb_scenario *s,
                           mb_err *err)
{
    worker_slot *w = &run->worker;
    rq_state *st = w->rq;
    w->restarts++;
    w->generation = ++run->worker_starts;
    free(w->worker_id);
    free(w->log_path);
    free(w->hello);
    free(w->hello_key);
    /* A worker that died (SIGKILL, a crash) could not unregister; its
     * records go before the next one starts. */
    if (st->worker_name != NULL) {
        char *old = mb_asprintf("rq:worker:%s", st->worker_name);
        mb_queue_srem(run->q, "rq:workers", old, NULL);
        mb_queue_del(run->q, old, NULL);
        free(old);
    }
    free(st->worker_name);
    w->hello = NULL;
    w->worker_id = mb_asprintf("rq%d.%d", w->seq, w->restarts);
    w->log_path = mb_asprintf("%s/logs/worker-%s.log", run->dir, w->worker_id);
    st->worker_name = mb_asprintf("mpsbench-%s-%s", run->ns, w->worker_id);
    w->hello_key = mb_asprintf("rq:worker:%s", st->worker_name);

    /* The exec axis picks RQ's worker class: a work-horse forked per job,
     * as stock RQ does, or the jobs run in the worker process itself. */
    const char *klass = cell->run.exec == MB_EXEC_FORK_PER_JOB ? "rq.worker.Worker"
                                                               : "rq.worker.SimpleWorker";
    const char *names[] = {"{redis}", "{queue}", "{name}", "{class}"};
    const char *values[] = {mb_queue_url(run->q), st->queue, st->worker_name, klass};
    size_t argc = s->worker.n_command;
    char **argv = mb_calloc(argc + 1, sizeof *argv);
    for (size_t i = 0; i < argc; i++)
        argv[i] = fill_placeholders(s->worker.command[i], names, values, 4);

    char *workers_key = mb_asprintf("rq:workers:%s", st->queue);
    mb_queue_del(run->q, workers_key, NULL);
    mb_env env;
    mb_watermark rule;
    rq_env(cell, s, &env, &rule);
    int rc = mb_spawn(argv, env.vars, w->log_path, &w->proc, err);
    if (rc == 0)
        rc = wait_registered(run, workers_key, err);
    free(workers_key);
    if (rc == 0) {
        char *hello = hello_record(run, cell, s, argv, argc, &env);
        w->hello = mb_hello_with_watermark(hello, cell->watermark_fix, &rule);
        free(hello);
        mb__hello_log_add(run, w->hello, (long)w->proc.pid);
    }
    mb_env_free(&env);
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return rc;
}

/* What every job of this cell carries; refreshed on every ensure, because
 * cells that share a worker can still differ in their timeout. */
static void take_cell(rq_state *st, const mb_cell *cell, const mb_scenario *s)
{
    st->function = s->worker.function;
    st->model = s->model;
    st->device = cell->device;
    st->threads = cell->run.threads;
    /* RQ kills a job after its timeout and fails it; the runner's own
     * timeout (which kills the worker and records `timeout`) must come
     * first, so RQ's is twice as long. */
    st->timeout_s = (int)(cell->run.timeout_s * 2.0) + 10;
}

static int rq_ensure(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err)
{
    worker_slot *w = &run->worker;
    bool same = is_rq(run) && w->key != NULL && strcmp(w->key, cell->worker_key) == 0 &&
                w->scenario == s;
    if (same && mb_proc_alive(&w->proc)) {
        take_cell(w->rq, cell, s);
        return 0;
    }
    if (!same) {
        mb__slot_stop(run);
        w->backend = &mb_rq_backend;
        w->key = mb_strdup(cell->worker_key);
        w->scenario = s;
        w->seq = ++run->worker_seq;
        w->rq = mb_calloc(1, sizeof *w->rq);
        w->rq->queue = mb_asprintf("%s.%s.w%d", s->worker.queue, run->ns, w->seq);
        w->rq->queue_key = mb_asprintf("rq:queue:%s", w->rq->queue);
    }
    take_cell(w->rq, cell, s);
    return start_rq_worker(run, cell, s, err);
}

/* ---- jobs ---------------------------------------------------------------- */

/* RQ's timestamp format, '%Y-%m-%dT%H:%M:%S.%fZ' in UTC. */
static void rq_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06ldZ", date, (long)(ts.tv_nsec / 1000));
}

/* The job's `data`: zlib of the JSON serializer's [func, instance, args,
 * kwargs], instance always null. */
static char *job_data(const rq_state *st, const mb_job *job, size_t *len)
{
    json_t *images = json_array();
    for (size_t i = 0; i < job->n_images; i++)
        json_array_append_new(images, json_string(job->images[i]));
    json_t *args = json_pack("[o, i, i]", images, job->batch_size, job->input_size);
    json_t *kwargs = json_pack("{s:s, s:s, s:i}", "model", st->model, "device", st->device,
                               "threads", st->threads);
    json_t *tuple = json_pack("[s, n, o, o]", st->function, args, kwargs);
    char *text = json_dumps(tuple, JSON_COMPACT);
    json_decref(tuple);
    size_t n = strlen(text);
    uLongf cap = compressBound((uLong)n);
    char *out = mb_calloc(cap, 1);
    if (compress((Bytef *)out, &cap, (const Bytef *)text, (uLong)n) != Z_OK) {
        free(out);
        out = NULL;
    }
    free(text);
    *len = cap;
    return out;
}

static int rq_submit(run_ctx *run, const mb_job *job, char **ticket, mb_err *err)
{
    rq_state *st = run->worker.rq;
    *ticket = NULL;
    size_t data_len;
    char *data = job_data(st, job, &data_len);
    if (data == NULL)
        return mb_err_set(err, MB_ENOMEM, "cannot compress RQ job %s", job->id);
    char now[64], timeout[24];
    rq_timestamp(now, sizeof now);
    snprintf(timeout, sizeof timeout, "%d", st->timeout_s);
    char *rq_id = mb_asprintf("mb-%s-%s", run->ns, job->id);
    char *description = mb_asprintf("%s(%zu images, batch_size=%d, input_size=%d) [%s]",
                                    st->function, job->n_images, job->batch_size,
                                    job->input_size, job->cell ? job->cell : job->id);
    /* The fields RQ 1.13's enqueue writes, in its spelling; RQ 2.x reads
     * the same hash. */
    const char *fields[] = {"created_at", "data", "success_callback_name",
                            "failure_callback_name", "started_at", "ended_at",
                            "last_heartbeat", "worker_name", "origin", "description",
                            "enqueued_at", "timeout", "result_ttl", "failure_ttl", "status"};
    const char *values[] = {now, data, "", "", "", "", "", "", st->queue, description,
                            now, timeout, RESULT_TTL_S, RESULT_TTL_S, "queued"};
    size_t n = sizeof fields / sizeof fields[0];
    size_t lens[sizeof fields / sizeof fields[0]];
    for (size_t i = 0; i < n; i++)
        lens[i] = i == 1 ? data_len : strlen(values[i]);
    char *key = job_key(rq_id);
    /* The hash first: a worker that pops the id finds the whole job. */
    int rc = mb_queue_hset(run->q, key, n, fields, values, lens, err);
    if (rc == 0)
        rc = mb_queue_sadd(run->q, "rq:queues", st->queue_key, err);
    if (rc == 0)
        rc = mb_queue_rpush(run->q, st->queue_key, rq_id, err);
    free(key);
    free(description);
    free(data);
    if (rc != 0) {
        free(rq_id);
        return rc;
    }
    st->pending = mb_realloc(st->pending, (st->n_pending + 1) * sizeof *st->pending);
    st->pending[st->n_pending].rq_id = mb_strdup(rq_id);
    st->pending[st->n_pending].job_id = mb_strdup(job->id);
    st->n_pending++;
    *ticket = rq_id;
    return 0;
}

/* Inflates a zlib stream of at most MAX_INFLATED bytes; NULL when it is not
 * one.  The result is NUL-terminated. */
static char *inflate_all(const char *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return NULL;
    size_t cap = len * 4 + 64, used = 0;
    char *out = mb_calloc(cap + 1, 1);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int zr = Z_OK;
    while (zr == Z_OK) {
        if (used == cap) {
            if (cap >= MAX_INFLATED)
                break;
            cap *= 2;
            out = mb_realloc(out, cap + 1);
        }
        z.next_out = (Bytef *)out + used;
        z.avail_out = (uInt)(cap - used);
        zr = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
    }
    inflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    out[used] = '\0';
    if (out_len != NULL)
        *out_len = used;
    return out;
}

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Standard base64 (as Python's b64encode writes it); NULL when malformed. */
static char *base64_decode(const char *in, size_t len, size_t *out_len)
{
    char *out = mb_calloc(len / 4 * 3 + 4, 1);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == '=')
            break;
        int v = b64_value(ch);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* The last line of a Python traceback, "ValueError: cannot decode ...",
 * which says what went wrong; the whole traceback is in the worker's log. */
static char *exception_line(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    while (*start == ' ')
        start++;
    return start < end ? mb_strndup(start, (size_t)(end - start)) : mb_strdup(text);
}

/* The outcome of a job RQ has finished with, as an mb_result.  A return
 * value is the job function's JSON object; the harness adds the protocol's
 * own fields and decodes it like a native result, with the same checks. */
static int make_result(run_ctx *run, const rq_pending *p, const char *status,
                       const char *return_json, size_t return_len, const char *exc_text,
                       mb_result *out)
{
    memset(out, 0, sizeof *out);
    const char *worker = run->worker.worker_id ? run->worker.worker_id : "rq";
    if (strcmp(status, "finished") == 0 && return_json != NULL) {
        json_error_t jerr;
        json_t *o = json_loadb(return_json, return_len, 0, &jerr);
        if (json_is_object(o)) {
            json_object_set_new(o, "v", json_integer(1));
            json_object_set_new(o, "id", json_string(p->job_id));
            json_object_set_new(o, "worker", json_string(worker));
            json_object_set_new(o, "status", json_string("ok"));
            json_object_del(o, "error");
            char *text = json_dumps(o, JSON_COMPACT);
            mb_err derr;
            int rc = mb_result_decode(text, strlen(text), out, &derr);
            free(text);
            json_decref(o);
            if (rc == 0)
                return 0;
            mb_result_clear(out);
            memset(out, 0, sizeof *out);
            out->error = mb_asprintf("the job function's return value is not a result: %s",
                                     derr.msg);
        } else {
            json_decref(o);
            out->error = mb_asprintf("the job function returned no JSON object (%s)",
                                     o == NULL ? jerr.text : "another type");
        }
    } else if (strcmp(status, "finished") == 0) {
        out->error = mb_strdup("the job function returned nothing (a result object was due)");
    } else if (exc_text != NULL) {
        char *line = exception_line(exc_text);
        out->error = mb_asprintf("%s (RQ job %s; traceback in %s)", line, status,
                                 run->worker.log_path ? run->worker.log_path : "the worker log");
        free(line);
    } else {
        out->error = mb_asprintf("RQ job %s without an exception text", status);
    }
    out->job_id = mb_strdup(p->job_id);
    out->worker_id = mb_strdup(worker);
    /* The forking Worker survives its work-horse: a horse killed by a
     * signal (the OOM killer, a segfault) is a crash of the job's process,
     * as a dead mpsbench-worker is. */
    out->status = exc_text != NULL && strstr(exc_text, "Work-horse terminated unexpectedly")
                      ? MB_JOB_CRASHED : MB_JOB_ERROR;
    return 0;
}

/* Reads a finished job's outcome: RQ's results stream first (RQ >= 1.12 on
 * Redis >= 5: return_value is base64 of the serializer's bytes, exc_string
 * base64 of zlib), then the job hash (older servers: `result` as the
 * serializer wrote it, `exc_info` zlib or plain). */
static int read_outcome(run_ctx *run, const rq_pending *p, const char *status,
                        mb_result *out, mb_err *err)
{
    char *rkey = results_key(p->rq_id);
    const char *sfields[] = {"type", "return_value", "exc_string"};
    char *sv[3];
    size_t sl[3];
    int got = mb_queue_last_entry(run->q, rkey, 3, sfields, sv, sl, err);
    free(rkey);
    if (got < 0)
        return got;
    char *ret = NULL, *exc = NULL;
    size_t ret_len = 0;
    if (got == 1) {
        if (sv[1] != NULL)
            ret = base64_decode(sv[1], sl[1], &ret_len);
        if (sv[2] != NULL) {
            size_t zlen;
            char *z = base64_decode(sv[2], sl[2], &zlen);
            exc = z != NULL ? inflate_all(z, zlen, NULL) : NULL;
            free(z);
        }
    } else {
        char *key = job_key(p->rq_id);
        const char *hfields[] = {"result", "exc_info"};
        char *hv[2];
        size_t hl[2];
        int rc = mb_queue_hmget(run->q, key, 2, hfields, hv, hl, err);
        free(key);
        if (rc != 0)
            return rc;
        ret = hv[0];
        ret_len = hl[0];
        if (hv[1] != NULL) {
            exc = inflate_all(hv[1], hl[1], NULL);
            if (exc == NULL)
                exc = mb_strndup(hv[1], hl[1]);
            free(hv[1]);
        }
    }
    for (size_t i = 0; i < 3; i++)
        free(sv[i]);
    int rc = make_result(run, p, status, ret, ret_len, exc, out);
    free(ret);
    free(exc);
    return rc;
}

/* Jobs finish in the order they were queued (one worker, one queue), so
 * only the oldest pending job is polled. */
static int rq_next_result(run_ctx *run, int block_ms, mb_result *out, mb_err *err)
{
    rq_state *st = run->worker.rq;
    double deadline = mb_now_ms() + block_ms;
    for (;;) {
        if (st->n_pending > 0) {
            rq_pending *p = &st->pending[0];
            char *key = job_key(p->rq_id);
            const char *fields[] = {"status"};
            char *status = NULL;
            int rc = mb_queue_hmget(run->q, key, 1, fields, &status, NULL, err);
            free(key);
            if (rc != 0)
                return rc;
            bool done = status == NULL || strcmp(status, "finished") == 0 ||
                        strcmp(status, "failed") == 0 || strcmp(status, "stopped") == 0 ||
                        strcmp(status, "canceled") == 0;
            if (done) {
                if (status == NULL) {
                    memset(out, 0, sizeof *out);
                    out->job_id = mb_strdup(p->job_id);
                    out->worker_id = mb_strdup(run->worker.worker_id);
                    out->status = MB_JOB_ERROR;
                    out->error = mb_asprintf("RQ job hash rq:job:%s disappeared", p->rq_id);
                } else if ((rc = read_outcome(run, p, status, out, err)) != 0) {
                    free(status);
                    return rc;
                }
                free(status);
                forget_job(run, p->rq_id);
                pending_drop(st, 0);
                return 1;
            }
            free(status);
        }
        if (mb_now_ms() >= deadline)
            return 0;
        struct timespec ts = {0, POLL_MS * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The runner has reported the job itself.  Still queued: it leaves the
 * queue list, so no later worker runs it.  Started: its worker is dead or
 * being killed; the hash goes either way. */
static void rq_abandon(run_ctx *run, const char *ticket)
{
    rq_state *st = run->worker.rq;
    if (ticket == NULL || st == NULL)
        return;
    if (st->queue_key != NULL)
        mb_queue_lrem(run->q, st->queue_key, ticket, NULL, NULL);
    forget_job(run, ticket);
    for (size_t i = 0; i < st->n_pending; i++) {
        if (strcmp(st->pending[i].rq_id, ticket) == 0) {
            pending_drop(st, i);
            break;
        }
    }
}

const worker_backend mb_rq_backend = {
    .name = "rq",
    .ensure = rq_ensure,
    .stop = rq_stop,
    .submit = rq_submit,
    .next_result = rq_next_result,
    .abandon = rq_abandon,
};

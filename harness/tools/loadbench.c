/* mpsbench-bench-load: how much the harness and the Redis queue add to every
 * job.  It starts a throwaway redis-server and N real workers on the CPU
 * (the tiny model, one thread each) sharing ONE jobs stream through the
 * consumer group, pushes many tiny jobs (one 16x16 PNG each), collects every
 * result and checks that no job was lost or answered twice.
 *
 * The overhead of a job is measured directly: the harness's latency (XADD of
 * the job to the result read back) minus the worker's own wall_ms (dequeue to
 * result).  The loop is closed, `--inflight` jobs outstanding per worker
 * (default 1), so with the default a job never waits behind another and the
 * difference is pure harness-plus-queue time: two Redis round trips on the
 * harness side, three on the worker's, and the JSON codec at both ends.
 *
 * Exit status: 0 every job answered once and ok, 1 a job lost, duplicated or
 * failed, or a worker that did not exit cleanly on SIGTERM, 2 bad usage,
 * 3 infrastructure failure (redis-server, worker start). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "mb_error.h"
#include "mb_opts.h"
#include "mb_exit.h"
#include "mb_util.h"
#include "process.h"
#include "protocol.h"
#include "queue.h"
#include "redis_server.h"
#include "stats.h"
#include "workerclient.h"

#define MB_LOAD_GOAL_MS 0.3
#define MB_LOAD_MAX_WORKERS 64
/* A tiny job takes milliseconds; a result missing this long means a job
 * was lost, not that it is slow. */
#define MB_LOAD_STALL_MS 30000

typedef struct load_config {
    long jobs;
    long workers;
    long inflight;
    long warmup;
    const char *worker_path;
    const char *model;
    bool keep;
} load_config;

/* Per-job bookkeeping, indexed by the number in the job id "j<N>". */
typedef struct job_slot {
    uint64_t sent_ns;
    double latency_ms;
    double worker_ms;
    int answers;
    bool ok;
} job_slot;

typedef struct load_state {
    const load_config *cfg;
    char *tmp;
    char *image;
    char *ns;
    char *jobs_stream;
    char *results_stream;
    char results_last[64];
    mb_redis_server redis;
    mb_queue *q;
    mb_proc workers[MB_LOAD_MAX_WORKERS];
    size_t n_workers;
    job_slot *slots;        /* warmup jobs first, then the measured ones */
    long n_slots;
    long unknown_answers;   /* results naming no job of ours */
    /* CPU time (ms) over the measured jobs, per party; negative when the
     * system cannot tell (no /proc). */
    double cpu_harness_ms, cpu_redis_ms, cpu_workers_ms;
} load_state;

enum { OPT_JOBS = 1, OPT_WORKERS, OPT_INFLIGHT, OPT_WARMUP, OPT_WORKER, OPT_MODEL, OPT_KEEP,
       OPT_HELP };

static const mb_opt load_opts[] = {
    {"jobs", 'n', 1, OPT_JOBS},
    {"workers", 'w', 1, OPT_WORKERS},
    {"inflight", 0, 1, OPT_INFLIGHT},
    {"warmup", 0, 1, OPT_WARMUP},
    {"worker", 0, 1, OPT_WORKER},
    {"model", 0, 1, OPT_MODEL},
    {"keep", 0, 0, OPT_KEEP},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-bench-load [--jobs N] [--workers N] [--inflight N] [--warmup N]\n"
          "                           [--worker PATH] [--model SPEC] [--keep]\n"
          "  --jobs N       measured jobs (default 10000)\n"
          "  --workers N    worker processes on one jobs stream (default 4)\n"
          "  --inflight N   jobs outstanding per worker (default 1; above 1 the latency\n"
          "                 includes queue waiting, so the overhead figure grows)\n"
          "  --warmup N     jobs run first and checked but not measured (default 200)\n"
          "  --worker PATH  mpsbench-worker (default: beside this program, then PATH)\n"
          "  --model SPEC   the workers' model (default builtin:tiny)\n"
          "  --keep         keep the temporary folder (logs) for inspection\n",
          f);
}

static int parse_count(const char *opt, const char *arg, long lo, long hi, long *out, mb_err *err)
{
    long n;
    if (mb_parse_long(arg, &n) != 0 || n < lo || n > hi)
        return mb_err_set(err, MB_EUSAGE, "option --%s: expected %ld..%ld, got '%s'", opt, lo,
                          hi, arg);
    *out = n;
    return 0;
}

/* Returns 0, MB_EUSAGE, or 1 when --help was answered. */
static int parse_args(int argc, char **argv, load_config *c, mb_err *err)
{
    *c = (load_config){.jobs = 10000, .workers = 4, .inflight = 1, .warmup = 200,
                       .model = "builtin:tiny"};
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    for (;;) {
        int id;
        if (mb_opt_next(&it, load_opts, &id, err) != 0)
            return MB_EUSAGE;
        if (id == MB_OPT_END)
            return 0;
        int rc = 0;
        switch (id) {
        case MB_OPT_POSITIONAL:
            return mb_err_set(err, MB_EUSAGE, "unexpected argument '%s'", it.arg);
        case OPT_JOBS: rc = parse_count("jobs", it.arg, 1, 10000000, &c->jobs, err); break;
        case OPT_WORKERS:
            rc = parse_count("workers", it.arg, 1, MB_LOAD_MAX_WORKERS, &c->workers, err);
            break;
        case OPT_INFLIGHT: rc = parse_count("inflight", it.arg, 1, 1000, &c->inflight, err); break;
        case OPT_WARMUP: rc = parse_count("warmup", it.arg, 0, 1000000, &c->warmup, err); break;
        case OPT_WORKER: c->worker_path = it.arg; break;
        case OPT_MODEL: c->model = it.arg; break;
        case OPT_KEEP: c->keep = true; break;
        case OPT_HELP: usage(stdout); return 1;
        }
        if (rc != 0)
            return MB_EUSAGE;
    }
}

/* The worker beside this program (where the build puts both), else PATH. */
static char *find_worker(const char *argv0, const char *given)
{
    if (given != NULL)
        return mb_strdup(given);
    const char *env = getenv("MPSBENCH_WORKER");
    if (env != NULL && *env)
        return mb_strdup(env);
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self[len] = '\0';
    } else if (strchr(argv0, '/') != NULL && strlen(argv0) < sizeof self) {
        memcpy(self, argv0, strlen(argv0) + 1);
    } else {
        return mb_strdup("mpsbench-worker");
    }
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
        char *candidate = mb_asprintf("%s/mpsbench-worker", self);
        if (access(candidate, X_OK) == 0)
            return candidate;
        free(candidate);
    }
    return mb_strdup("mpsbench-worker");
}

static int start_workers(load_state *st, const char *worker_path, mb_err *err)
{
    const load_config *c = st->cfg;
    for (long i = 0; i < c->workers; i++) {
        char id[32];
        snprintf(id, sizeof id, "load%ld", i + 1);
        char *hello = mb_key_worker(st->ns, id);
        char *log = mb_asprintf("%s/worker-%s.log", st->tmp, id);
        mb_worker_spec spec = {
            .path = worker_path, .redis_url = mb_queue_url(st->q),
            .jobs_stream = st->jobs_stream, .results_stream = st->results_stream, .id = id,
            .hello_key = hello, .device = "cpu", .model = c->model, .threads = 1,
        };
        int rc = mb_worker_start(st->q, &spec, NULL, log, &st->workers[i], err);
        free(log);
        free(hello);
        if (rc != 0)
            return rc;
        st->n_workers++;
    }
    /* Every worker announces itself once its model is loaded; measuring
     * before that would time model loading, not the queue. */
    for (long i = 0; i < c->workers; i++) {
        char id[32];
        snprintf(id, sizeof id, "load%ld", i + 1);
        char *key = mb_key_worker(st->ns, id);
        char *log = mb_asprintf("%s/worker-%s.log", st->tmp, id);
        char *hello = NULL;
        int rc = mb_worker_await_hello(st->q, key, &st->workers[i], id, log, 120000, NULL, &hello,
                                       err);
        if (rc == 0 && !mb_worker_hello_ready(hello))
            rc = mb_err_set(err, MB_EWORKER, "worker %s is not ready: %s", id, hello);
        free(hello);
        free(log);
        free(key);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int submit(load_state *st, long index, mb_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "j%ld", index);
    char *images[] = {st->image};
    mb_job job = {.id = id, .cell = "load", .images = images, .n_images = 1, .batch_size = 1,
                  .input_size = 16};
    char *payload = mb_job_encode(&job);
    st->slots[index].sent_ns = mb_now_ns();
    int rc = mb_queue_add(st->q, st->jobs_stream, "job", payload, strlen(payload), NULL, err);
    free(payload);
    return rc;
}

/* Reads one result if one comes within block_ms.  Returns 1 when a result
 * was read, 0 on timeout, <0 on a Redis error. */
static int collect_one(load_state *st, int block_ms, mb_err *err)
{
    char *payload = NULL;
    size_t len = 0;
    int got = mb_queue_read(st->q, st->results_stream, st->results_last, "result", block_ms,
                            &payload, &len, err);
    if (got <= 0)
        return got;
    uint64_t now = mb_now_ns();
    mb_result r;
    mb_err perr;
    long index = -1;
    if (mb_result_decode(payload, len, &r, &perr) == 0) {
        char *end = NULL;
        if (r.job_id[0] == 'j') {
            errno = 0;
            long n = strtol(r.job_id + 1, &end, 10);
            if (errno == 0 && end != r.job_id + 1 && *end == '\0' && n >= 0 && n < st->n_slots)
                index = n;
        }
        if (index < 0) {
            fprintf(stderr, "mpsbench-bench-load: a result for an unknown job '%s' (%s)\n",
                    r.job_id, r.error ? r.error : mb_job_status_name(r.status));
        } else {
            job_slot *s = &st->slots[index];
            s->answers++;
            if (s->answers == 1) {
                s->latency_ms = (double)(now - s->sent_ns) / 1e6;
                s->worker_ms = r.wall_ms;
                s->ok = r.status == MB_JOB_OK;
                if (!s->ok)
                    fprintf(stderr, "mpsbench-bench-load: job %s: %s: %s\n", r.job_id,
                            mb_job_status_name(r.status), r.error ? r.error : "");
            }
        }
        mb_result_clear(&r);
    } else {
        fprintf(stderr, "mpsbench-bench-load: malformed result: %s\n", perr.msg);
    }
    free(payload);
    if (index < 0)
        st->unknown_answers++;
    return 1;
}

/* Runs jobs [first, first + count) closed-loop: `window` outstanding at a
 * time, a new one sent as each result comes back.  Returns how many results
 * arrived, or a negative error on a Redis failure.  Stops early when no
 * result arrives for MB_LOAD_STALL_MS. */
static long run_jobs(load_state *st, long first, long count, long window, mb_err *err)
{
    long sent = 0, received = 0;
    while (sent < count && sent < window) {
        int rc = submit(st, first + sent, err);
        if (rc != 0)
            return rc;
        sent++;
    }
    double last_progress = mb_now_ms();
    while (received < sent) {
        int got = collect_one(st, 100, err);
        if (got < 0)
            return got;
        if (got == 0) {
            if (mb_now_ms() - last_progress > MB_LOAD_STALL_MS)
                break;
            continue;
        }
        last_progress = mb_now_ms();
        received++;
        if (sent < count) {
            int rc = submit(st, first + sent, err);
            if (rc != 0)
                return rc;
            sent++;
        }
    }
    return received;
}

/* User plus system CPU time of a process in ms, from /proc/PID/stat
 * (Linux); -1 when it cannot be read. */
static double proc_cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields are counted
     * from the last ')'.  utime and stime are fields 14 and 15. */
    const char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                            &ut, &st) != 2)
        return -1;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_ms(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* Snapshot of every party's CPU time, for the per-job CPU cost. */
static void cpu_snapshot(const load_state *st, double *harness, double *redis, double *workers)
{
    *harness = self_cpu_ms();
    *redis = proc_cpu_ms(st->redis.proc.pid);
    *workers = 0;
    for (size_t i = 0; i < st->n_workers && *workers >= 0; i++) {
        double w = proc_cpu_ms(st->workers[i].pid);
        *workers = w < 0 ? -1 : *workers + w;
    }
}

/* Stops everything.  Returns false when a worker did not exit cleanly on
 * SIGTERM: under the sanitizers that is how a leak or undefined behaviour in
 * the worker shows, so the smoke test catches it. */
static bool teardown(load_state *st, bool judge_exits, bool keep)
{
    bool clean = true;
    /* SIGTERM to all first, so the workers finish their jobs in parallel. */
    for (size_t i = 0; i < st->n_workers; i++)
        if (mb_proc_alive(&st->workers[i]))
            kill(st->workers[i].pid, SIGTERM);
    for (size_t i = 0; i < st->n_workers; i++) {
        mb_proc_stop(&st->workers[i], 5000);
        int ws = st->workers[i].exit_status;
        if (judge_exits && (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)) {
            char how[128];
            mb_proc_describe_exit(&st->workers[i], how, sizeof how);
            fprintf(stderr, "mpsbench-bench-load: worker load%zu %s on SIGTERM (log: %s)\n",
                    i + 1, how, keep ? st->tmp : "use --keep to keep it");
            clean = false;
        }
    }
    mb_queue_free(st->q);
    mb_redis_server_stop(&st->redis);
    if (st->tmp != NULL) {
        if (keep)
            fprintf(stderr, "mpsbench-bench-load: logs kept in %s\n", st->tmp);
        else
            mb_remove_tree(st->tmp);
    }
    free(st->tmp);
    free(st->image);
    free(st->ns);
    free(st->jobs_stream);
    free(st->results_stream);
    free(st->slots);
    return clean;
}

static int setup(load_state *st, const char *worker_path, mb_err *err)
{
    int rc = mb_redis_server_start_scratch("mb-load", &st->tmp, &st->redis, err);
    if (rc != 0)
        return rc;
    st->image = mb_asprintf("%s/tiny-16x16.png", st->tmp);
    rc = mb_fixture_write(st->image, 16, 16, 1, MB_FORMAT_PNG, err);
    if (rc != 0)
        return rc;
    rc = mb_queue_connect(st->redis.url, 5000, &st->q, err);
    if (rc != 0)
        return rc;
    st->ns = mb_asprintf("load%ld", (long)getpid());
    st->jobs_stream = mb_key_jobs(st->ns, "w1");
    st->results_stream = mb_key_results(st->ns);
    snprintf(st->results_last, sizeof st->results_last, "0-0");
    rc = mb_queue_create_group(st->q, st->jobs_stream, "workers", err);
    if (rc != 0)
        return rc;
    return start_workers(st, worker_path, err);
}

static void print_ms(const char *label, const double *x, size_t n)
{
    printf("  %-34s median %7.3f  p90 %7.3f  p99 %7.3f  mean %7.3f  max %8.3f\n", label,
           mb_stats_median(x, n), mb_stats_percentile(x, n, 90), mb_stats_percentile(x, n, 99),
           mb_stats_mean(x, n), mb_stats_max(x, n));
}

/* Checks every job and prints the figures.  Returns whether every job was
 * answered once and ok. */
static bool report(const load_state *st, double wall_s)
{
    const load_config *c = st->cfg;
    long lost = 0, duplicated = 0, failed = 0;
    for (long i = 0; i < st->n_slots; i++) {
        if (st->slots[i].answers == 0)
            lost++;
        else if (st->slots[i].answers > 1)
            duplicated++;
        if (st->slots[i].answers > 0 && !st->slots[i].ok)
            failed++;
    }
    size_t n = (size_t)c->jobs;
    double *latency = mb_calloc(n, sizeof *latency);
    double *worker = mb_calloc(n, sizeof *worker);
    double *overhead = mb_calloc(n, sizeof *overhead);
    size_t k = 0;
    double worker_sum = 0;
    for (long i = c->warmup; i < st->n_slots; i++) {
        const job_slot *s = &st->slots[i];
        if (s->answers == 0)
            continue;
        latency[k] = s->latency_ms;
        worker[k] = s->worker_ms;
        overhead[k] = s->latency_ms - s->worker_ms;
        worker_sum += s->worker_ms;
        k++;
    }
    printf("mpsbench-bench-load: %ld jobs (+%ld warmup), %ld workers (%s, 1 thread, cpu), "
           "%ld in flight per worker, one 16x16 PNG per job\n",
           c->jobs, c->warmup, c->workers, c->model, c->inflight);
    printf("  jobs: %ld answered, %ld lost, %ld duplicated, %ld failed, %ld unknown results\n",
           st->n_slots - lost, lost, duplicated, failed, st->unknown_answers);
    if (k > 0) {
        printf("  wall %.3f s, throughput %.1f jobs/s\n", wall_s, (double)k / wall_s);
        print_ms("harness latency (ms):", latency, k);
        print_ms("worker wall_ms (ms):", worker, k);
        print_ms("harness+queue overhead (ms/job):", overhead, k);
        if (st->cpu_redis_ms >= 0 && st->cpu_workers_ms >= 0)
            printf("  CPU per job (ms): harness %.3f, redis-server %.3f, workers %.3f "
                   "(worker wall_ms mean %.3f)\n",
                   st->cpu_harness_ms / (double)k, st->cpu_redis_ms / (double)k,
                   st->cpu_workers_ms / (double)k, worker_sum / (double)k);
        double aggregate = (wall_s * 1000.0 * (double)c->workers - worker_sum) / (double)k;
        printf("  aggregate (wall x workers - sum wall_ms) / jobs: %.3f ms "
               "(includes idle workers)\n", aggregate);
        double med = mb_stats_median(overhead, k);
        printf("  goal: overhead <= %.1f ms per job: %s (median %.3f ms)\n", MB_LOAD_GOAL_MS,
               med <= MB_LOAD_GOAL_MS ? "met" : "NOT met", med);
    }
    free(latency);
    free(worker);
    free(overhead);
    return !(lost || duplicated || failed || st->unknown_answers);
}

int main(int argc, char **argv)
{
    load_config c;
    mb_err err;
    int prc = parse_args(argc, argv, &c, &err);
    if (prc == 1)
        return mb_exit_code(MB_OK, NULL);
    if (prc != 0) {
        fprintf(stderr, "mpsbench-bench-load: %s\n", err.msg);
        usage(stderr);
        return mb_exit_code(MB_EUSAGE, NULL);
    }
    char *worker_path = find_worker(argv[0], c.worker_path);
    load_state st = {.cfg = &c};
    st.n_slots = c.warmup + c.jobs;
    st.slots = mb_calloc((size_t)st.n_slots, sizeof *st.slots);
    /* The run is one expectation: every job answered once and ok, and every
     * worker stopped cleanly. */
    int error = MB_OK;
    mb_outcome found = {0};
    bool started = setup(&st, worker_path, &err) == 0;
    if (!started) {
        fprintf(stderr, "mpsbench-bench-load: %s\n", err.msg);
        error = MB_ESPAWN;
    } else {
        long window = c.workers * c.inflight;
        long got = run_jobs(&st, 0, c.warmup, window, &err);
        double h0, r0, w0, h1, r1, w1;
        cpu_snapshot(&st, &h0, &r0, &w0);
        double t0 = mb_now_ms();
        if (got >= 0)
            got = run_jobs(&st, c.warmup, c.jobs, window, &err);
        double wall_s = (mb_now_ms() - t0) / 1000.0;
        cpu_snapshot(&st, &h1, &r1, &w1);
        st.cpu_harness_ms = h1 - h0;
        st.cpu_redis_ms = r0 < 0 || r1 < 0 ? -1 : r1 - r0;
        st.cpu_workers_ms = w0 < 0 || w1 < 0 ? -1 : w1 - w0;
        if (got < 0) {
            fprintf(stderr, "mpsbench-bench-load: %s\n", err.msg);
            error = MB_EREDIS;
        } else {
            /* A duplicate would arrive after its original: give stragglers
             * a moment to show up before judging. */
            while (collect_one(&st, 200, &err) == 1)
                continue;
            if (!report(&st, wall_s))
                found.cells_failed = 1;
        }
    }
    /* A failed start keeps the logs that explain it. */
    if (!teardown(&st, started, c.keep || !started))
        found.cells_failed = 1;
    free(worker_path);
    return mb_exit_code(error, &found);
}

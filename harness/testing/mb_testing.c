#include "mb_testing.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <dirent.h>
#endif
#if defined(__APPLE__)
#include <sys/proc.h>
#include <sys/sysctl.h>
#endif
#include <time.h>
#include <unistd.h>

#include "mb_util.h"
#include "workerclient.h"

#ifndef MB_SOURCE_DIR
#error "MB_SOURCE_DIR must be defined by the build"
#endif

char *mb_test_source_path(const char *relative)
{
    return mb_asprintf("%s/%s", MB_SOURCE_DIR, relative);
}

char *mb_test_binary_path(const char *relative)
{
    return mb_asprintf("%s/%s", MB_BINARY_DIR, relative);
}

static bool redis_installed(void)
{
    const char *bin = getenv("MPSBENCH_REDIS_SERVER");
    if (bin != NULL && *bin)
        return access(bin, X_OK) == 0;
    const char *path = getenv("PATH");
    bool found = false;
    for (const char *dir = path ? path : "/usr/bin:/bin"; dir && !found;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        char *candidate = mb_asprintf("%.*s/redis-server", (int)len, dir);
        found = access(candidate, X_OK) == 0;
        free(candidate);
        dir = colon ? colon + 1 : NULL;
    }
    return found;
}

bool mb_test_env_start(mb_test_env *t)
{
    memset(t, 0, sizeof *t);
    if (!redis_installed()) {
        fprintf(stderr, "SKIP: redis-server is not installed\n");
        return false;
    }
    mb_err err;
    if (mb_redis_server_start_scratch("mb-test", &t->tmp, &t->redis, &err) != 0) {
        fprintf(stderr, "redis-server failed: %s\n", err.msg);
        abort();
    }
    if (mb_queue_connect(t->redis.url, 5000, &t->q, &err) != 0) {
        fprintf(stderr, "connect failed: %s\n", err.msg);
        abort();
    }
    t->jobs = mb_key_jobs("test", "w1");
    t->results = mb_key_results("test");
    snprintf(t->results_last, sizeof t->results_last, "0-0");
    mb_queue_create_group(t->q, t->jobs, "workers", NULL);
    return true;
}

void mb_test_env_stop(mb_test_env *t)
{
    mb_proc_stop(&t->worker, 5000);
    mb_queue_free(t->q);
    mb_redis_server_stop(&t->redis);
    if (t->tmp != NULL && getenv("MB_TEST_KEEP") == NULL)
        mb_remove_tree(t->tmp);
    free(t->tmp);
    free(t->jobs);
    free(t->results);
    free(t->worker_log);
    memset(t, 0, sizeof *t);
}

bool mb_test_start_worker(mb_test_env *t, const char *model, const char *const *extra_args)
{
    char *worker = mb_test_binary_path("bin/mpsbench-worker");
    mb_worker_spec spec = {
        .path = worker, .redis_url = t->redis.url, .jobs_stream = t->jobs,
        .results_stream = t->results, .id = "tw", .hello_key = "test:hello",
        .device = "cpu", .model = model, .threads = 1, .extra = extra_args,
    };
    free(t->worker_log);
    t->worker_log = mb_asprintf("%s/worker.log", t->tmp);
    mb_err err;
    int rc = mb_worker_start(t->q, &spec, NULL, t->worker_log, &t->worker, &err);
    free(worker);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return false;
    }
    char *hello = NULL;
    if (mb_worker_await_hello(t->q, "test:hello", &t->worker, "tw", t->worker_log, 60000, NULL,
                              &hello, &err) != 0)
        return false;
    bool ready = mb_worker_hello_ready(hello);
    free(hello);
    return ready;
}

void mb_test_submit_raw(mb_test_env *t, const char *payload)
{
    mb_err err;
    if (mb_queue_add(t->q, t->jobs, "job", payload, strlen(payload), NULL, &err) != 0) {
        fprintf(stderr, "XADD failed: %s\n", err.msg);
        abort();
    }
}

void mb_test_submit(mb_test_env *t, const mb_job *job)
{
    mb_err err;
    if (mb_worker_submit(t->q, t->jobs, job, NULL, &err) != 0) {
        fprintf(stderr, "XADD failed: %s\n", err.msg);
        abort();
    }
}

bool mb_test_next_result(mb_test_env *t, int timeout_ms, mb_result *out)
{
    double deadline = mb_now_ms() + timeout_ms;
    while (mb_now_ms() < deadline) {
        mb_err err;
        int got = mb_worker_next_result(t->q, t->results, t->results_last, 200, out, &err);
        if (got < 0) {
            fprintf(stderr, "XREAD failed: %s\n", err.msg);
            return false;
        }
        if (got == 1)
            return true;
    }
    return false;
}

char *mb_test_write_file(const mb_test_env *t, const char *name, const char *text)
{
    char *path = mb_asprintf("%s/%s", t->tmp, name);
    mb_err err;
    if (mb_write_file_atomic(path, text, strlen(text), &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        abort();
    }
    return path;
}

bool mb_test_start_cli(const char *const *args, const char *log_path, mb_proc *p)
{
    char *bin = mb_test_binary_path("bin/mpsbench");
    const char *argv[40] = {bin};
    size_t n = 1;
    for (size_t i = 0; args[i] != NULL && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    mb_err err;
    int rc = mb_spawn((char *const *)argv, NULL, log_path, p, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.msg);
    free(bin);
    return rc == 0;
}

int mb_test_finish_cli(mb_proc *p)
{
    if (!mb_proc_wait(p, 280000)) {
        mb_proc_stop(p, 1000);
        return -1;
    }
    return WIFEXITED(p->exit_status) ? WEXITSTATUS(p->exit_status) : -1;
}

int mb_test_run_cli(const mb_test_env *t, const char *const *args, char **output)
{
    char *log = mb_asprintf("%s/cli.log", t->tmp);
    unlink(log);
    mb_proc p;
    int code = mb_test_start_cli(args, log, &p) ? mb_test_finish_cli(&p) : -1;
    *output = mb_read_file(log, NULL, NULL);
    if (*output == NULL)
        *output = mb_strdup("");
    free(log);
    return code;
}

const char mb_test_long_scenario[] =
    "name: long\nmodel: builtin:tiny\ninput_size: 32\n"
    "images: {sizes: [64x48], per_job: 8}\n"
    "matrix: {device: [cpu], batch_size: [2, 4, 8]}\n"
    "run: {jobs: 400, warmup_jobs: 0, repetitions: 1, threads: 1}\n"
    "fault: {slowdown: 100%}\n";

int mb_test_run_scenario(const mb_test_fixture *f, const char *scenario, const char *out,
                         const char *const *more, char **output)
{
    enum { FIXED = 7, MAX_ARGS = 32 };
    const char *args[MAX_ARGS] = {"run", scenario, "--out", out, "--image-cache", f->cache,
                                  "--no-charts"};
    size_t n = FIXED;
    for (size_t i = 0; more != NULL && more[i] != NULL; i++) {
        if (n == MAX_ARGS - 1)
            fail_msg("mb_test_run_scenario: more than %d arguments", MAX_ARGS - 1 - FIXED);
        args[n++] = more[i];
    }
    args[n] = NULL;
    int code = mb_test_run_cli(&f->env, args, output);
    if (code < 0)
        fail_msg("mpsbench run %s did not exit by itself:\n%s", scenario, *output);
    return code;
}

json_t *mb_test_load_json(const char *dir, const char *name)
{
    char *path = mb_asprintf("%s/%s", dir, name);
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL)
        fail_msg("%s: %s", path, jerr.text);
    free(path);
    return o;
}

json_t *mb_test_run_json(const char *out, const char *output)
{
    char *path = mb_asprintf("%s/run.json", out);
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL)
        fail_msg("%s: %s\n%s", path, jerr.text, output != NULL ? output : "");
    free(path);
    /* Whatever happened in the run, every enqueued job is in it exactly once. */
    mb_test_assert_jobs_accounted(o);
    return o;
}

json_t *mb_test_cell_named(json_t *run, const char *fragment)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(run, "cells"), i, c) {
        if (strstr(json_string_value(json_object_get(c, "name")), fragment) != NULL)
            return c;
    }
    fail_msg("no cell named like *%s*", fragment);
    return NULL;
}

bool mb_test_pid_gone(pid_t pid)
{
    if (pid <= 0)
        return true;
    if (kill(pid, 0) != 0)
        return errno == ESRCH;   /* EPERM: it exists, someone else's */
#if defined(__linux__)
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;   /* reaped since kill() */
    char line[512];
    bool read_ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so the
     * state follows the last ')'. */
    const char *paren = read_ok ? strrchr(line, ')') : NULL;
    return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
#elif defined(__APPLE__)
    int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid};
    struct kinfo_proc kp;
    size_t len = sizeof kp;
    if (sysctl(mib, 4, &kp, &len, NULL, 0) != 0 || len == 0)
        return true;
    return kp.kp_proc.p_stat == SZOMB;
#else
    return false;
#endif
}

int mb_test_children(pid_t parent, pid_t *out, size_t max)
{
    int n = 0;
#if defined(__linux__)
    DIR *d = opendir("/proc");
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && (size_t)n < max) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        bool read_ok = fgets(line, sizeof line, f) != NULL;
        fclose(f);
        /* "PID (COMM) STATE PPID ..." */
        const char *paren = read_ok ? strrchr(line, ')') : NULL;
        char state;
        long ppid;
        if (paren != NULL && sscanf(paren + 1, " %c %ld", &state, &ppid) == 2 &&
            ppid == (long)parent)
            out[n++] = (pid_t)pid;
    }
    closedir(d);
#elif defined(__APPLE__)
    int mib[3] = {CTL_KERN, KERN_PROC, KERN_PROC_ALL};
    size_t len = 0;
    if (sysctl(mib, 3, NULL, &len, NULL, 0) != 0)
        return -1;
    len += len / 4;   /* processes may start between the two calls */
    struct kinfo_proc *procs = mb_calloc(1, len);
    if (sysctl(mib, 3, procs, &len, NULL, 0) != 0) {
        free(procs);
        return -1;
    }
    for (size_t i = 0; i < len / sizeof *procs && (size_t)n < max; i++)
        if (procs[i].kp_eproc.e_ppid == parent)
            out[n++] = procs[i].kp_proc.p_pid;
    free(procs);
#else
    (void)parent;
    (void)out;
    (void)max;
    return -1;
#endif
    return n;
}

bool mb_test_wait_pid_gone(pid_t pid, int timeout_ms)
{
    double deadline = mb_now_ms() + timeout_ms;
    while (!mb_test_pid_gone(pid)) {
        if (mb_now_ms() >= deadline)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

int mb_test_fixture_setup(void **state)
{
    mb_test_fixture *f = mb_calloc(1, sizeof *f);
    if (!mb_test_env_start(&f->env)) {
        free(f);
        *state = NULL;
        return 0;
    }
    f->cache = mb_asprintf("%s/cache", f->env.tmp);
    *state = f;
    return 0;
}

int mb_test_fixture_teardown(void **state)
{
    mb_test_fixture *f = *state;
    if (f == NULL)
        return 0;
    free(f->cache);
    mb_test_env_stop(&f->env);
    free(f);
    return 0;
}

void mb_test_assert_jobs_accounted(json_t *run)
{
    json_t *n_json = json_object_get(run, "jobs_enqueued");
    if (!json_is_integer(n_json))
        fail_msg("run.json has no jobs_enqueued");
    json_int_t n = json_integer_value(n_json);
    unsigned char *seen = mb_calloc((size_t)n + 1, 1);
    static const char *const final[] = {"ok", "oom", "error", "crashed", "timeout", "interrupted"};
    json_int_t total = 0;
    size_t i, j;
    json_t *cell, *job;
    json_array_foreach(json_object_get(run, "cells"), i, cell) {
        int by_status = 0;
        json_t *counts = json_object_get(cell, "counts");
        for (size_t k = 0; k < sizeof final / sizeof final[0]; k++)
            by_status += (int)json_integer_value(json_object_get(counts, final[k]));
        json_t *jobs = json_object_get(cell, "jobs");
        assert_int_equal(json_array_size(jobs), by_status);
        json_array_foreach(jobs, j, job) {
            const char *id = json_string_value(json_object_get(job, "id"));
            long k = -1;
            if (id == NULL || id[0] != 'j' || mb_parse_long(id + 1, &k) != 0 || k < 0 || k >= n)
                fail_msg("job id %s is not one the run enqueued (j0..j%lld)", id ? id : "(none)",
                         (long long)n - 1);
            if (seen[k])
                fail_msg("job %s is recorded twice", id);
            seen[k] = 1;
            const char *status = json_string_value(json_object_get(job, "status"));
            bool is_final = false;
            for (size_t s = 0; status != NULL && s < sizeof final / sizeof final[0]; s++)
                is_final |= strcmp(status, final[s]) == 0;
            if (!is_final)
                fail_msg("job %s has no final status (%s)", id, status ? status : "none");
            total++;
        }
    }
    for (json_int_t k = 0; k < n; k++)
        if (!seen[k])
            fail_msg("job j%lld was enqueued but is not in run.json", (long long)k);
    assert_int_equal(total, n);
    free(seen);
}

/* Nothing outlives its parent: when the harness or a test binary is killed
 * outright (SIGKILL, or SIGXFSZ at a file size limit), so that it cannot
 * stop its children itself, its redis-server, its workers and the watcher
 * that stops them are all gone within 2 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mb_testing.h"
#include "mb_util.h"

#ifndef MB_ORPHAN_PROBE
#error "MB_ORPHAN_PROBE must be defined by the build"
#endif

typedef mb_test_fixture fixture;

/* How long the children may take to go once their parent is dead. */
#define GONE_MS 2000
/* How long a worker may take to start (a sanitized one is slow). */
#define START_MS 120000

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Every pid seen as a child of one process. */
typedef struct kids {
    pid_t pid[64];
    size_t n;
} kids;

static bool kids_has(const kids *k, pid_t pid)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->pid[i] == pid)
            return true;
    return false;
}

static void kids_snapshot(kids *k, pid_t parent)
{
    pid_t now[64];
    int n = mb_test_children(parent, now, 64);
    if (n < 0)
        fail_msg("cannot list the children of %ld on this system", (long)parent);
    for (int i = 0; i < n; i++)
        if (!kids_has(k, now[i]) && k->n < 64)
            k->pid[k->n++] = now[i];
}

/* Each child is gone (or a zombie) within GONE_MS of since_ms. */
static void assert_all_gone(const kids *k, double since_ms, const char *how)
{
    for (size_t i = 0; i < k->n; i++) {
        int left = (int)(since_ms + GONE_MS - mb_now_ms());
        if (!mb_test_wait_pid_gone(k->pid[i], left > 0 ? left : 0))
            fail_msg("child %ld still runs %d ms after its parent died of %s", (long)k->pid[i],
                     GONE_MS, how);
    }
    printf("all %zu children gone %.0f ms after %s\n", k->n, mb_now_ms() - since_ms, how);
}

/* TMPDIR in the fixture's folder: a killed harness cannot remove its
 * redis-server's socket folder, the fixture's teardown does. */
static void child_env(const fixture *f, mb_env *env)
{
    mb_env_from_current(env);
    mb_env_set(env, "TMPDIR", f->env.tmp);
}

static void start_harness(const fixture *f, const char *scenario, const char *out, mb_proc *p)
{
    char *bin = mb_test_binary_path("bin/mpsbench");
    char *log = mb_asprintf("%s.log", out);
    const char *argv[] = {bin, "run", scenario, "--out", out, "--image-cache", f->cache,
                          "--no-charts", NULL};
    mb_env env;
    child_env(f, &env);
    mb_err err;
    int rc = mb_spawn((char *const *)argv, env.vars, log, p, &err);
    mb_env_free(&env);
    free(log);
    free(bin);
    if (rc != 0)
        fail_msg("%s", err.msg);
}

/* Waits until run.json names a worker (it is rewritten as each worker says
 * hello) and returns it. */
static json_t *wait_for_worker(const char *out, mb_proc *harness)
{
    char *path = mb_asprintf("%s/run.json", out);
    double deadline = mb_now_ms() + START_MS;
    json_t *run = NULL;
    while (mb_now_ms() < deadline) {
        run = json_load_file(path, 0, NULL);
        if (run != NULL && json_array_size(json_object_get(run, "workers")) > 0)
            break;
        json_decref(run);
        run = NULL;
        if (!mb_proc_alive(harness))
            fail_msg("the harness ended before its worker started; see %s.log", out);
        pause_ms(20);
    }
    free(path);
    if (run == NULL)
        fail_msg("no worker in %s/run.json after %d s", out, START_MS / 1000);
    return run;
}

static pid_t pid_of(json_t *o)
{
    return (pid_t)json_integer_value(json_object_get(o, "pid"));
}

/* The pids run.json names (the embedded redis-server, every worker) must be
 * among the children seen, or the check that they went would prove
 * nothing. */
static void assert_kids_cover(const kids *k, json_t *run)
{
    pid_t redis = pid_of(json_object_get(run, "redis"));
    assert_true(redis > 0);
    assert_true(kids_has(k, redis));
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(run, "workers"), i, w) {
        assert_true(pid_of(w) > 0);
        assert_true(kids_has(k, pid_of(w)));
    }
}

/* Starts the harness, waits for its worker, SIGKILLs it, and checks that
 * every child went.  Returns the size of run.json with one worker in it
 * and the length of that worker's hello record. */
static void kill_harness_mid_run(fixture *f, const char *scenario, const char *out,
                                 off_t *run_json_size, size_t *hello_len)
{
    mb_proc h;
    start_harness(f, scenario, out, &h);
    json_t *run = wait_for_worker(out, &h);
    kids k = {0};
    kids_snapshot(&k, h.pid);
    assert_kids_cover(&k, run);
    if (run_json_size != NULL) {
        char *path = mb_asprintf("%s/run.json", out);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        *run_json_size = st.st_size;
        free(path);
        char *hello = json_dumps(json_array_get(json_object_get(run, "workers"), 0), JSON_COMPACT);
        *hello_len = strlen(hello);
        free(hello);
    }
    size_t named = 1 + json_array_size(json_object_get(run, "workers"));
    json_decref(run);
    double t0 = mb_now_ms();
    assert_int_equal(kill(h.pid, SIGKILL), 0);
    assert_true(mb_proc_wait(&h, 5000));
    assert_true(WIFSIGNALED(h.exit_status));
    assert_int_equal(WTERMSIG(h.exit_status), SIGKILL);
    assert_all_gone(&k, t0, "SIGKILL");
    assert_true(k.n > named);   /* the watcher was among them, and went too */
}

/* `mpsbench run` killed with SIGKILL mid-run: its redis-server, its worker
 * and its watcher go too. */
static void killed_harness_leaves_no_child(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = mb_test_write_file(&f->env, "long.yaml", mb_test_long_scenario);
    char *out = mb_asprintf("%s/killed", f->env.tmp);
    kill_harness_mid_run(f, scenario, out, NULL, NULL);
    free(out);
    free(scenario);
}

/* A test binary (orphan_probe: the mb_testing fixture, a redis-server and a
 * worker) killed with SIGKILL, as a CTest timeout would: they go too. */
static void killed_test_binary_leaves_no_child(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *log = mb_asprintf("%s/probe.log", f->env.tmp);
    const char *argv[] = {MB_ORPHAN_PROBE, NULL};
    mb_env env;
    child_env(f, &env);
    mb_proc p;
    mb_err err;
    int rc = mb_spawn((char *const *)argv, env.vars, log, &p, &err);
    mb_env_free(&env);
    if (rc != 0)
        fail_msg("%s", err.msg);
    char *text = NULL;
    double deadline = mb_now_ms() + START_MS;
    for (;;) {
        text = mb_read_file(log, NULL, NULL);
        if (text != NULL && strstr(text, "ready\n") != NULL)
            break;
        if (!mb_proc_alive(&p) || mb_now_ms() > deadline)
            fail_msg("orphan_probe did not start its worker:\n%s", text ? text : "");
        free(text);
        pause_ms(20);
    }
    char tmp[256] = "";
    long redis = 0, worker = 0;
    const char *at = strstr(text, "tmp ");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "tmp %255s\nredis %ld\nworker %ld", tmp, &redis, &worker), 3);
    kids k = {0};
    kids_snapshot(&k, p.pid);
    assert_true(kids_has(&k, (pid_t)redis));
    assert_true(kids_has(&k, (pid_t)worker));
    double t0 = mb_now_ms();
    assert_int_equal(kill(p.pid, SIGKILL), 0);
    assert_true(mb_proc_wait(&p, 5000));
    assert_all_gone(&k, t0, "SIGKILL");
    assert_true(k.n >= 3);   /* the watcher was among them, and went too */
    /* The probe's own temp folder, which it had no chance to remove. */
    if (strncmp(tmp, "/tmp/mb-test-", 13) == 0)
        mb_remove_tree(tmp);
    free(text);
    free(log);
}

/* The harness dying of SIGXFSZ (a file size limit, the signal at its
 * default) leaves no child either.  The limit falls between the size of
 * run.json before and after the first worker's hello, both measured by a
 * first run: the harness dies rewriting run.json right after its worker
 * said hello, with the worker and redis-server running. */
static void harness_killed_by_sigxfsz_leaves_no_child(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = mb_test_write_file(&f->env, "long.yaml", mb_test_long_scenario);
    char *out = mb_asprintf("%s/measure", f->env.tmp);
    off_t with_worker = 0;
    size_t hello_len = 0;
    /* Also fills the image cache, so the second run writes no image. */
    kill_harness_mid_run(f, scenario, out, &with_worker, &hello_len);
    rlim_t limit = (rlim_t)(with_worker - (off_t)hello_len / 2);

    char *out2 = mb_asprintf("%s/fsize", f->env.tmp);
    char *bin = mb_test_binary_path("bin/mpsbench");
    char *log = mb_asprintf("%s.log", out2);
    char *worker_log = mb_asprintf("%s/logs/worker-w1.1.log", out2);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit fsize = {limit, limit}, core = {0, 0};
        setrlimit(RLIMIT_FSIZE, &fsize);
        setrlimit(RLIMIT_CORE, &core);   /* no core file from SIGXFSZ */
        setenv("TMPDIR", f->env.tmp, 1);
        execl(bin, bin, "run", scenario, "--out", out2, "--image-cache", f->cache,
              "--no-charts", (char *)NULL);
        _exit(127);
    }
    /* Every child seen from the moment the worker is spawned until the
     * harness dies: the watcher, redis-server and the worker. */
    kids k = {0};
    int status = 0;
    double deadline = mb_now_ms() + START_MS;
    pid_t r;
    while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
        if (access(worker_log, F_OK) == 0)
            kids_snapshot(&k, pid);
        if (mb_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the harness under a %ld-byte RLIMIT_FSIZE did not die", (long)limit);
        }
        pause_ms(2);
    }
    double t0 = mb_now_ms();
    assert_int_equal(r, pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGXFSZ) {
        char *text = mb_read_file(log, NULL, NULL);
        fail_msg("the harness under a %ld-byte RLIMIT_FSIZE ended with wait status %d, not "
                 "SIGXFSZ:\n%s", (long)limit, status, text ? text : "");
    }
    assert_all_gone(&k, t0, "SIGXFSZ");
    /* redis-server, the worker and the watcher: the harness died with its
     * worker up, as intended, and not before it started. */
    if (k.n < 3)
        fail_msg("only %zu children seen before the harness died", k.n);
    free(worker_log);
    free(log);
    free(bin);
    free(out2);
    free(out);
    free(scenario);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(killed_harness_leaves_no_child, mb_test_fixture_setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(killed_test_binary_leaves_no_child, mb_test_fixture_setup, mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(harness_killed_by_sigxfsz_leaves_no_child, mb_test_fixture_setup, mb_test_fixture_teardown),
};

MB_TEST_MAIN("nothing outlives its parent (end to end)", tests, NULL, NULL)

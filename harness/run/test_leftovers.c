/* Leftovers of a run whose harness was killed outright: run.json names the
 * harness and its children by pid and start time, and the next run into
 * the same folder stops those children when they are still the same
 * processes, and never a process that merely has the same pid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mb_testing.h"
#include "mb_util.h"
#include "process.h"

typedef mb_test_fixture fixture;

static const char scenario[] = "model: builtin:tiny\n"
                               "input_size: 32\n"
                               "images: {sizes: [64x48], per_job: 1, format: jpeg}\n"
                               "matrix: {device: [cpu], batch_size: [1]}\n"
                               "run: {jobs: 1, warmup_jobs: 0, repetitions: 1, threads: 1}\n";

/* A pid that named a process of ours a moment ago and names none now. */
static pid_t gone_pid(unsigned long long *start)
{
    char *argv[] = {"true", NULL};
    mb_proc p;
    assert_int_equal(mb_spawn(argv, NULL, NULL, &p, NULL), 0);
    assert_int_equal(mb_proc_start_time(p.pid, start), 0);
    assert_true(mb_proc_wait(&p, 10000));
    return p.pid;
}

/* Writes <out>/run.json as a harness killed mid-run leaves it: status
 * running, the harness gone, one "worker" that is our sleeping child (its
 * start time shifted by start_offset: 0 for the real one). */
static char *fake_left_running(fixture *f, const mb_proc *child, unsigned long long start_offset)
{
    unsigned long long harness_start, child_start;
    pid_t harness = gone_pid(&harness_start);
    assert_int_equal(mb_proc_start_time(child->pid, &child_start), 0);
    char *out = mb_asprintf("%s/left", f->env.tmp);
    assert_int_equal(mb_mkdir_p(out, 0755, NULL), 0);
    json_t *o = json_pack("{s:i, s:s, s:[], s:{s:s, s:I, s:I}, s:[{s:s, s:I, s:I}]}", "format",
                          1, "status", "running", "cells", "harness", "role", "harness", "pid",
                          (json_int_t)harness, "start", (json_int_t)harness_start,
                          "processes", "role", "worker", "pid", (json_int_t)child->pid,
                          "start", (json_int_t)(child_start + start_offset));
    char *path = mb_asprintf("%s/run.json", out);
    assert_int_equal(json_dump_file(o, path, 0), 0);
    json_decref(o);
    free(path);
    return out;
}

static int run_into(fixture *f, const char *out, char **output)
{
    char *yaml = mb_test_write_file(&f->env, "s.yaml", scenario);
    const char *args[] = {"run", yaml, "--out", out, "--force", "--image-cache", f->cache,
                          "--no-charts", NULL};
    int code = mb_test_run_cli(&f->env, args, output);
    free(yaml);
    return code;
}

static void start_sleeper(mb_proc *p)
{
    char *argv[] = {"sleep", "120", NULL};
    assert_int_equal(mb_spawn(argv, NULL, NULL, p, NULL), 0);
}

/* The sleeping "worker" of a dead harness is stopped by the next run, which
 * says so and marks nothing of its own incomplete. */
static void leftover_child_is_stopped(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    mb_proc child;
    start_sleeper(&child);
    char *out = fake_left_running(f, &child, 0);
    char *output;
    int code = run_into(f, out, &output);
    bool gone = mb_proc_wait(&child, 5000);
    if (!gone)
        mb_proc_stop(&child, 100);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    assert_true(gone);
    assert_true(WIFSIGNALED(child.exit_status));
    assert_int_equal(WTERMSIG(child.exit_status), SIGTERM);
    assert_non_null(strstr(output, "was left running by harness pid"));
    assert_non_null(strstr(output, "that run is incomplete; stopped its leftover processes: "
                                   "worker"));
    /* The new run's own run.json names its harness and children. */
    char *path = mb_asprintf("%s/run.json", out);
    json_t *run = json_load_file(path, 0, NULL);
    assert_non_null(run);
    assert_string_equal(json_string_value(json_object_get(run, "status")), "passed");
    assert_true(json_integer_value(json_object_get(json_object_get(run, "harness"), "pid")) > 1);
    /* redis-server and the worker */
    assert_int_equal(json_array_size(json_object_get(run, "processes")), 2);
    json_decref(run);
    free(path);
    free(output);
    free(out);
}

/* A live process with the recorded pid but another start time is someone
 * else's (a reused pid): it is left alone. */
static void reused_pid_is_left_alone(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    mb_proc child;
    start_sleeper(&child);
    char *out = fake_left_running(f, &child, 1);
    char *output;
    int code = run_into(f, out, &output);
    bool alive = mb_proc_alive(&child);
    mb_proc_stop(&child, 100);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    assert_true(alive);
    assert_non_null(strstr(output, "none of its processes was left"));
    free(output);
    free(out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(leftover_child_is_stopped, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
    cmocka_unit_test_setup_teardown(reused_pid_is_left_alone, mb_test_fixture_setup,
                                    mb_test_fixture_teardown),
};

MB_TEST_MAIN("leftovers", tests, NULL, NULL)

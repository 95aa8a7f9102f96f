/* Shared helpers for the integration tests: a throwaway redis-server in a
 * private temp folder, a real mpsbench-worker on the CPU, and small
 * conveniences.  Tests that need a program that is missing skip visibly. */
#ifndef MB_TESTING_H
#define MB_TESTING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "protocol.h"
#include "queue.h"
#include "mb_test_main.h"
#include "redis_server.h"

typedef struct mb_test_env {
    char *tmp;              /* private temp folder, removed at teardown */
    mb_redis_server redis;
    mb_queue *q;
    char *jobs;             /* stream names */
    char *results;
    char results_last[64];
    mb_proc worker;
    char *worker_log;
} mb_test_env;

/* Creates the temp folder and starts redis-server.  Returns false (after
 * printing why) when redis-server is not installed, so callers can skip(). */
bool mb_test_env_start(mb_test_env *t);
void mb_test_env_stop(mb_test_env *t);

/* Starts mpsbench-worker on the CPU with extra arguments (NULL-terminated)
 * and waits until it says hello.  Returns false when it failed to start. */
bool mb_test_start_worker(mb_test_env *t, const char *model, const char *const *extra_args);

/* Enqueues a job (XADD of its JSON) / a raw payload. */
void mb_test_submit(mb_test_env *t, const mb_job *job);
void mb_test_submit_raw(mb_test_env *t, const char *payload);
/* Waits up to timeout_ms for the next result.  False on timeout. */
bool mb_test_next_result(mb_test_env *t, int timeout_ms, mb_result *out);

/* The end-to-end tests' fixture: a test environment plus an image cache
 * inside its temp folder.  mb_test_fixture_setup leaves *state NULL when
 * redis-server is missing, so that tests skip visibly (MB_TEST_NEED). */
typedef struct mb_test_fixture {
    mb_test_env env;
    char *cache;
} mb_test_fixture;

int mb_test_fixture_setup(void **state);
int mb_test_fixture_teardown(void **state);
#define MB_TEST_NEED(f) MB_NEED("redis-server", (f) != NULL)

/* Writes text to a file in the test's temp folder; returns its path (heap). */
char *mb_test_write_file(const mb_test_env *t, const char *name, const char *text);

/* Starts the mpsbench CLI with args (NULL-terminated, without argv[0]),
 * its output going to log_path. */
bool mb_test_start_cli(const char *const *args, const char *log_path, mb_proc *p);
/* Waits for it; returns its exit status, or -1 when it did not exit
 * normally (or did not within 280 s). */
int mb_test_finish_cli(mb_proc *p);
/* Both, with the output read back into *output (heap; never NULL). */
int mb_test_run_cli(const mb_test_env *t, const char *const *args, char **output);

struct json_t;

/* A scenario of 400 jobs, each slowed down, on the CPU: it runs long enough
 * for a test to act on a run in progress (kill its redis-server, signal the
 * harness). */
extern const char mb_test_long_scenario[];

/* `mpsbench run SCENARIO --out OUT --image-cache CACHE --no-charts`, then
 * the arguments of more (NULL-terminated; more may be NULL), with f's redis
 * and image cache.  Returns the exit status and the output as
 * mb_test_run_cli does; fails the test when the CLI did not exit. */
int mb_test_run_scenario(const mb_test_fixture *f, const char *scenario, const char *out,
                         const char *const *more, char **output);

/* Reads dir/name as JSON; fails the test when it cannot. */
struct json_t *mb_test_load_json(const char *dir, const char *name);
/* Reads out/run.json and checks that every enqueued job is in it once
 * (mb_test_assert_jobs_accounted); fails the test, printing output when it
 * is not NULL (the CLI's, to say why), when run.json cannot be read. */
struct json_t *mb_test_run_json(const char *out, const char *output);
/* The first cell of run.json whose name contains fragment; fails the test
 * when there is none. */
struct json_t *mb_test_cell_named(struct json_t *run, const char *fragment);

/* The accounting oracle: run.json's jobs_enqueued, counted by the harness
 * when each job reached the queue, says which ids were enqueued (j0 ..
 * j<n-1>); each must appear exactly once over all cells, with a final
 * status, and each cell's counts must match its jobs.  Fails the test. */
void mb_test_assert_jobs_accounted(struct json_t *run_json);

/* True when pid no longer runs: no such process, or a zombie (kill(pid, 0)
 * succeeds on a zombie, and an orphan's zombie waits for an init that may
 * be slow to reap it).  Linux reads /proc/PID/stat, macOS asks sysctl. */
bool mb_test_pid_gone(pid_t pid);
/* Polls mb_test_pid_gone up to timeout_ms. */
bool mb_test_wait_pid_gone(pid_t pid, int timeout_ms);

/* The pids of parent's children (at most max of them): /proc on Linux,
 * sysctl on macOS.  Returns how many, or -1 when it cannot tell. */
int mb_test_children(pid_t parent, pid_t *out, size_t max);

/* Path inside the source tree / build tree (heap string). */
char *mb_test_source_path(const char *relative);
char *mb_test_binary_path(const char *relative);

#endif

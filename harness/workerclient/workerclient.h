/* Starting, feeding and stopping one worker, for every caller: the runner's
 * backends, the tests' fixtures and the tools.  The native worker's argv is
 * built in one place (mb_worker_start), every kind of worker gets its
 * environment from one rule (mb_worker_env, the watermark rule of
 * core/watermark.h), and the hello wait, job submission, result reading and
 * stop follow harness/queue/PROTOCOL.md the same way for everyone.  The
 * caller owns the mb_proc and the key names; nothing here keeps state. */
#ifndef MB_WORKERCLIENT_H
#define MB_WORKERCLIENT_H

#include <signal.h>
#include <stdbool.h>

#include "mb_error.h"
#include "process.h"
#include "protocol.h"
#include "queue.h"
#include "scenario.h"
#include "watermark.h"

/* What an mpsbench-worker is started with.  device, model and threads are
 * left to the worker's defaults when NULL or 0.  With a cell, every option
 * the cell decides (precision, decode threads, the watermark fix, on_oom,
 * exec, the memory limit, allow_paravirtual_mps) is passed, and the faults
 * of fault (may be NULL); without one the worker's defaults hold.  extra
 * (NULL-terminated, may be NULL) is appended last, so it overrides. */
typedef struct mb_worker_spec {
    const char *path;           /* the executable; searched in PATH without a slash */
    const char *redis_url;
    const char *jobs_stream;
    const char *results_stream;
    const char *id;
    const char *hello_key;
    const char *device;
    const char *model;
    int threads;
    const mb_cell *cell;
    const mb_fault *fault;
    const char *const *extra;
} mb_worker_spec;

/* A worker's environment, for every kind of worker: the harness's own, the
 * cell's env.* axes, then the watermark rule (core/watermark.h), with a
 * HIGH from the scenario's env axis kept when the fix is off.  *rule says
 * what the rule decided. */
void mb_worker_env(const mb_cell *cell, mb_env *env, mb_watermark *rule);
/* The hello record with the rule's decision added as "watermark" (heap). */
char *mb_hello_with_watermark(const char *hello, bool fix, const mb_watermark *rule);
/* True when a hello record says "state": "ready". */
bool mb_worker_hello_ready(const char *hello);

/* Starts an mpsbench-worker (posix_spawn, its own process group) with envp
 * (NULL = inherit), its output appended to log_path (NULL = inherit).  A
 * hello record left under spec->hello_key by an earlier worker goes first. */
int mb_worker_start(mb_queue *q, const mb_worker_spec *spec, char *const envp[],
                    const char *log_path, mb_proc *p, mb_err *err);
/* Waits up to timeout_ms for the hello record under hello_key and returns
 * it in *hello (heap), whatever state it announces.  Fails when the process
 * exits without one (id and log_path name it in the message), on timeout,
 * or when *cancel (may be NULL) becomes non-zero. */
int mb_worker_await_hello(mb_queue *q, const char *hello_key, mb_proc *p, const char *id,
                          const char *log_path, int timeout_ms,
                          const volatile sig_atomic_t *cancel, char **hello, mb_err *err);
/* Enqueues a job on the worker's jobs stream; *entry_id (may be NULL) gets
 * the stream entry's id, for mb_worker_abandon. */
int mb_worker_submit(mb_queue *q, const char *jobs_stream, const mb_job *job, char **entry_id,
                     mb_err *err);
/* Waits up to block_ms for the next result on results_stream after
 * last_id (updated): 1 with *out filled, 0 when none came (a malformed
 * result is reported on stderr and skipped), < 0 on a queue error. */
int mb_worker_next_result(mb_queue *q, const char *results_stream, char last_id[64],
                          int block_ms, mb_result *out, mb_err *err);
/* Acknowledges a job the caller reported itself (crashed, timeout), so no
 * worker of the "workers" group picks it up later. */
void mb_worker_abandon(mb_queue *q, const char *jobs_stream, const char *entry_id);
/* SIGTERM (the worker finishes its job in hand), SIGKILL after grace_ms,
 * reaped; its hello record goes too (q and hello_key may be NULL). */
void mb_worker_stop(mb_queue *q, mb_proc *p, const char *hello_key, int grace_ms);

#endif

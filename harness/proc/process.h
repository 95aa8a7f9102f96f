/* harness/proc/: the processes the harness starts and must never leave
 * behind.  process.h spawns children without a shell (posix_spawn with an
 * argv and an explicit environment, output to a log file), each in its own
 * process group, and reaps them; proc_watch.h is the forked watcher that
 * stops those groups when the harness dies however it dies (DESIGN.md
 * section 6); redis_server.h is the embedded redis-server of a run.  It
 * knows nothing of workers, scenarios or runs: the worker client, the
 * runner, the tests and the tools build on it. */
#ifndef MB_PROCESS_H
#define MB_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "mb_error.h"

typedef struct mb_proc {
    pid_t pid;          /* 0 when not running */
    int exit_status;    /* raw wait status once reaped */
    bool reaped;
} mb_proc;

/* Starts argv[0] (searched in PATH when it has no slash) with envp (NULL =
 * inherit).  stdout and stderr are appended to log_path (NULL = inherit). */
int mb_spawn(char *const argv[], char *const envp[], const char *log_path, mb_proc *p,
             mb_err *err);
/* True while the process has not exited; reaps it when it has. */
bool mb_proc_alive(mb_proc *p);
/* Waits up to timeout_ms for exit.  Returns true when it exited. */
bool mb_proc_wait(mb_proc *p, int timeout_ms);
/* SIGTERM, then SIGKILL after grace_ms; always reaps. */
void mb_proc_stop(mb_proc *p, int grace_ms);
/* "exited with status 3", "killed by signal 9 (SIGKILL)"... */
void mb_proc_describe_exit(const mb_proc *p, char *buf, size_t size);

/* A process's start time, in the system's own units (clock ticks since
 * boot on Linux, microseconds since the epoch on macOS): with the pid, it
 * names a process even after the pid is reused.  0 with *start filled, -1
 * when there is no such process (or it cannot be read). */
int mb_proc_start_time(pid_t pid, unsigned long long *start);

/* Environment building: a copy of environ with overrides. */
typedef struct mb_env {
    char **vars;        /* NULL-terminated "NAME=value" */
    size_t n;
} mb_env;

void mb_env_from_current(mb_env *e);
/* The value of name, or NULL (borrowed from e). */
const char *mb_env_get(const mb_env *e, const char *name);
void mb_env_set(mb_env *e, const char *name, const char *value);
void mb_env_unset(mb_env *e, const char *name);
void mb_env_free(mb_env *e);

#endif

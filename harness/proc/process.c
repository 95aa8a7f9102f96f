#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include "mb_util.h"
#include "proc_watch.h"

extern char **environ;

int mb_spawn(char *const argv[], char *const envp[], const char *log_path, mb_proc *p,
             mb_err *err)
{
    memset(p, 0, sizeof *p);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (log_path != NULL) {
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path,
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    }
    /* The child gets its own process group so a Ctrl-C at the terminal
     * reaches the harness alone, which then stops children in order. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    char *const *env = envp ? envp : environ;
    int rc = strchr(argv[0], '/') ? posix_spawn(&p->pid, argv[0], &fa, &attr, argv, env)
                                  : posix_spawnp(&p->pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        p->pid = 0;
        return mb_err_set(err, MB_ESPAWN, "cannot start %s: %s", argv[0], strerror(rc));
    }
    /* Its own group (above) is also what the watcher signals, so a worker's
     * fork-per-job children go with it if we die. */
    mb__proc_watch_add(p->pid);
    return 0;
}

bool mb_proc_alive(mb_proc *p)
{
    if (p->pid <= 0 || p->reaped)
        return false;
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
        p->exit_status = status;
        p->reaped = true;
        /* Reaped, its pid may be reused: the watcher must forget it. */
        mb__proc_watch_remove(p->pid);
        return false;
    }
    return r == 0;
}

bool mb_proc_wait(mb_proc *p, int timeout_ms)
{
    double deadline = mb_now_ms() + timeout_ms;
    while (mb_proc_alive(p)) {
        if (mb_now_ms() >= deadline)
            return false;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

void mb_proc_stop(mb_proc *p, int grace_ms)
{
    if (!mb_proc_alive(p))
        return;
    kill(p->pid, SIGTERM);
    if (!mb_proc_wait(p, grace_ms)) {
        kill(p->pid, SIGKILL);
        mb_proc_wait(p, 5000);
    }
}

void mb_proc_describe_exit(const mb_proc *p, char *buf, size_t size)
{
    if (!p->reaped) {
        snprintf(buf, size, "still running");
    } else if (WIFEXITED(p->exit_status)) {
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(p->exit_status));
    } else if (WIFSIGNALED(p->exit_status)) {
        int sig = WTERMSIG(p->exit_status);
        snprintf(buf, size, "killed by signal %d (%s)%s", sig,
                 sig == SIGKILL ? "SIGKILL" : sig == SIGSEGV ? "SIGSEGV"
                 : sig == SIGABRT ? "SIGABRT" : sig == SIGTERM ? "SIGTERM" : "signal",
                 sig == SIGKILL ? ", likely out of memory" : "");
    } else {
        snprintf(buf, size, "ended with wait status %d", p->exit_status);
    }
}

void mb_env_from_current(mb_env *e)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    e->vars = mb_calloc(n + 1, sizeof *e->vars);
    for (size_t i = 0; i < n; i++)
        e->vars[i] = mb_strdup(environ[i]);
    e->n = n;
}

static ssize_t env_find(const mb_env *e, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->vars[i], name, len) == 0 && e->vars[i][len] == '=')
            return (ssize_t)i;
    return -1;
}

const char *mb_env_get(const mb_env *e, const char *name)
{
    ssize_t i = env_find(e, name);
    return i < 0 ? NULL : strchr(e->vars[i], '=') + 1;
}

void mb_env_set(mb_env *e, const char *name, const char *value)
{
    char *entry = mb_asprintf("%s=%s", name, value);
    ssize_t i = env_find(e, name);
    if (i >= 0) {
        free(e->vars[i]);
        e->vars[i] = entry;
        return;
    }
    e->vars = mb_realloc(e->vars, (e->n + 2) * sizeof *e->vars);
    e->vars[e->n++] = entry;
    e->vars[e->n] = NULL;
}

void mb_env_unset(mb_env *e, const char *name)
{
    ssize_t i = env_find(e, name);
    if (i < 0)
        return;
    free(e->vars[i]);
    memmove(&e->vars[i], &e->vars[i + 1], (e->n - (size_t)i) * sizeof *e->vars);
    e->n--;
}

void mb_env_free(mb_env *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->vars[i]);
    free(e->vars);
    e->vars = NULL;
    e->n = 0;
}

#if defined(__APPLE__)
int mb_proc_start_time(pid_t pid, unsigned long long *start)
{
    int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid};
    struct kinfo_proc info;
    size_t size = sizeof info;
    memset(&info, 0, sizeof info);
    if (pid <= 0 || sysctl(mib, 4, &info, &size, NULL, 0) != 0 || size == 0)
        return -1;
    const struct timeval *tv = &info.kp_proc.p_starttime;
    *start = (unsigned long long)tv->tv_sec * 1000000ull + (unsigned long long)tv->tv_usec;
    return 0;
}
#else
/* Field 22 of /proc/<pid>/stat.  The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from its last ')'. */
int mb_proc_start_time(pid_t pid, unsigned long long *start)
{
    if (pid <= 0)
        return -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    char *text = mb_read_file(path, NULL, NULL);
    const char *p = text != NULL ? strrchr(text, ')') : NULL;
    int rc = -1;
    for (int field = 2; p != NULL && *p != '\0'; p++) {
        if (*p != ' ')
            continue;
        if (++field == 22) {
            char *end = NULL;
            *start = strtoull(p + 1, &end, 10);
            rc = end != p + 1 ? 0 : -1;
            break;
        }
    }
    free(text);
    return rc;
}
#endif

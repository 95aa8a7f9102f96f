#include "proc_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* More live children than a run or a test ever has at once; a group that
 * does not fit is simply not watched. */
#define MB_WATCH_MAX 1024
/* How long the groups get to exit on SIGTERM before SIGKILL.  Short: the
 * parent is already dead and nobody waits for their results. */
#define MB_WATCH_GRACE_MS 500
/* Fds above this are not closed in the watcher: closing a million possible
 * fds one by one (a container's RLIMIT_NOFILE) would take longer than the
 * rare fd that high is worth. */
#define MB_WATCH_FD_SCAN_MAX 65536

/* Linux has MSG_NOSIGNAL; macOS has SO_NOSIGPIPE on the socket instead.
 * Either way a write to a watcher that has gone is an EPIPE, not a signal
 * that kills the parent. */
#if defined(MSG_NOSIGNAL)
#define MB_WATCH_SEND_FLAGS MSG_NOSIGNAL
#else
#define MB_WATCH_SEND_FLAGS 0
#endif

enum { WATCH_NONE, WATCH_RUNNING, WATCH_FAILED };

/* The parent's side.  The mutex serialises records from threads; the owner
 * pid tells a forked child (which inherits all of this) that the watcher
 * is its parent's, not its own. */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static int watch_state = WATCH_NONE;
static int watch_fd = -1;
static pid_t watch_pid;
static pid_t watch_owner;

/* The watcher's list.  Static, so that the forked watcher, which may only
 * make async-signal-safe calls, never allocates. */
static pid_t watched[MB_WATCH_MAX];

static void watcher_apply(int32_t v)
{
    pid_t pgid = (pid_t)(v < 0 ? -v : v);
    int free_slot = -1;
    for (int i = 0; i < MB_WATCH_MAX; i++) {
        if (watched[i] == pgid) {
            if (v < 0)
                watched[i] = 0;
            return;
        }
        if (watched[i] == 0 && free_slot < 0)
            free_slot = i;
    }
    if (v > 0 && free_slot >= 0)
        watched[free_slot] = pgid;
}

/* Signals every listed group; returns how many still exist.  A zombie
 * leader still counts, which only costs the rest of the grace period. */
static int watcher_signal_all(int sig)
{
    int live = 0;
    for (int i = 0; i < MB_WATCH_MAX; i++) {
        if (watched[i] == 0)
            continue;
        if (kill(-watched[i], sig) == 0)
            live++;
        else
            watched[i] = 0;
    }
    return live;
}

/* Runs in the forked child: async-signal-safe calls only, because the
 * parent may have had threads, one of which may have held malloc's lock. */
static void watcher_main(int sock, int parent_end, int devnull, int max_fd)
{
    /* Its own process group: a signal to the parent's group (a shell's
     * kill -9 -PGID, timeout(1)) must not take the watcher down with it. */
    setpgid(0, 0);
    struct sigaction ign;
    for (size_t i = 0; i < sizeof ign; i++)
        ((unsigned char *)&ign)[i] = 0;
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    const int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &ign, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* stdin, stdout and stderr on /dev/null and its socket on fd 3, every
     * other fd closed: an inherited pipe (CTest reads a test's output until
     * every writer has closed it) must not wait for the watcher, and the
     * parent's end must be closed here or the watcher would never see EOF. */
    close(parent_end);
    int s = fcntl(sock, F_DUPFD, 4);
    int n = fcntl(devnull, F_DUPFD, 4);
    if (s < 0 || n < 0)
        _exit(127);
    dup2(n, STDIN_FILENO);
    dup2(n, STDOUT_FILENO);
    dup2(n, STDERR_FILENO);
    dup2(s, 3);
    for (int fd = 4; fd < max_fd; fd++)
        close(fd);

    unsigned char buf[256];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(3, buf + have, sizeof buf - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;   /* EOF: every copy of the parent's end is closed */
        have += (size_t)r;
        size_t used = 0;
        for (; have - used >= 4; used += 4) {
            uint32_t u = (uint32_t)buf[used] | (uint32_t)buf[used + 1] << 8 |
                         (uint32_t)buf[used + 2] << 16 | (uint32_t)buf[used + 3] << 24;
            watcher_apply((int32_t)u);
        }
        for (size_t i = used; i < have; i++)
            buf[i - used] = buf[i];
        have -= used;
    }

    int live = watcher_signal_all(SIGTERM);
    for (int waited = 0; live > 0 && waited < MB_WATCH_GRACE_MS; waited += 20) {
        poll(NULL, 0, 20);
        live = watcher_signal_all(0);
    }
    if (live > 0)
        watcher_signal_all(SIGKILL);
    _exit(0);
}

static void set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

static void watch_fail(const char *what, int errnum)
{
    fprintf(stderr, "mpsbench: %s (%s); children may outlive this process if it is killed\n",
            what, strerror(errnum));
    if (watch_fd >= 0)
        close(watch_fd);
    watch_fd = -1;
    /* A watcher that died early is our zombie; reap it, and only it. */
    if (watch_pid > 0)
        waitpid(watch_pid, NULL, WNOHANG);
    watch_pid = 0;
    watch_owner = getpid();
    watch_state = WATCH_FAILED;
}

static void watch_start(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        watch_fail("cannot start the child watcher: socketpair", errno);
        return;
    }
    /* Spawned children must not hold either end open: the watcher's EOF is
     * the parent's death, not the death of the last child. */
    set_cloexec(sv[0]);
    set_cloexec(sv[1]);
#if defined(SO_NOSIGPIPE)
    int on = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    struct rlimit rl;
    int max_fd = MB_WATCH_FD_SCAN_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)max_fd)
        max_fd = (int)rl.rlim_cur;
    pid_t pid = devnull >= 0 ? fork() : -1;
    int fork_errno = errno;
    if (pid == 0)
        watcher_main(sv[1], sv[0], devnull, max_fd);
    close(sv[1]);
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        close(sv[0]);
        watch_fail("cannot start the child watcher", fork_errno);
        return;
    }
    watch_fd = sv[0];
    watch_pid = pid;
    watch_owner = getpid();
    watch_state = WATCH_RUNNING;
}

static void watch_send(int32_t v)
{
    unsigned char b[4];
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    ssize_t r;
    do {
        r = send(watch_fd, b, sizeof b, MB_WATCH_SEND_FLAGS);
    } while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof b)
        watch_fail("the child watcher has gone", r < 0 ? errno : EIO);
}

void mb__proc_watch_add(pid_t pgid)
{
    if (pgid <= 0)
        return;
    pthread_mutex_lock(&watch_mu);
    if (watch_state != WATCH_NONE && watch_owner != getpid()) {
        /* A forked child: the watcher belongs to the parent.  Let go of
         * the inherited end and watch our own children ourselves. */
        if (watch_fd >= 0)
            close(watch_fd);
        watch_fd = -1;
        watch_pid = 0;
        watch_state = WATCH_NONE;
    }
    if (watch_state == WATCH_NONE)
        watch_start();
    if (watch_state == WATCH_RUNNING)
        watch_send((int32_t)pgid);
    pthread_mutex_unlock(&watch_mu);
}

void mb__proc_watch_remove(pid_t pgid)
{
    if (pgid <= 0)
        return;
    pthread_mutex_lock(&watch_mu);
    if (watch_state == WATCH_RUNNING && watch_owner == getpid())
        watch_send(-(int32_t)pgid);
    pthread_mutex_unlock(&watch_mu);
}

/* A watcher that stops our children when we die, however we die.
 *
 * Every child that mb_spawn starts lives in its own process group, so that
 * a Ctrl-C reaches the harness alone and the harness stops its children in
 * order.  The price is that nothing stops them when the harness (or a test
 * binary) cannot: SIGKILL, a crash, SIGXFSZ, a CTest timeout would leave
 * workers and redis-server running under pid 1.  PR_SET_PDEATHSIG is Linux
 * only and follows the thread that spawned, not the process, so instead the
 * first mb_spawn forks a small watcher that holds one end of a socket pair.
 * The parent tells it which process groups to look after; when the parent's
 * end closes (the parent is gone, whatever the cause) the watcher sends
 * SIGTERM, then after a short grace SIGKILL, to every group still on its
 * list, and exits.  The watcher is forked, never spawned, so no mb_proc
 * names it and nothing mistakes it for a worker. */
#ifndef MB_PROC_WATCH_H
#define MB_PROC_WATCH_H

#include <sys/types.h>

/* Puts a process group on the watcher's list, starting the watcher the
 * first time.  If the watcher cannot be started or has gone, says so once
 * on stderr; the caller carries on unwatched. */
void mb__proc_watch_add(pid_t pgid);
/* Takes a process group off the list once its leader has been reaped, so a
 * recycled pid is never signalled. */
void mb__proc_watch_remove(pid_t pgid);

#endif

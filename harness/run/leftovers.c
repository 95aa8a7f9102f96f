/* Processes a run leaves behind.  run.json names the harness and every
 * child it started (redis-server, each worker) by pid and start time, from
 * the moment each is up.  A harness that is killed outright (SIGKILL, with
 * its watcher killed too) leaves run.json saying "running"; the next run
 * into the same folder finds it, and when that harness is gone it stops
 * the process groups still alive that are provably the same processes (the
 * pid and the start time both match: a pid the system has reused for
 * someone else's process is never signalled), marks that run incomplete
 * and says so. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mb_util.h"
#include "run_dir.h"
#include "run_private.h"

void mb__leftovers_note_child(run_ctx *run, const char *role, long pid)
{
    run_child c = {.pid = pid};
    snprintf(c.role, sizeof c.role, "%s", role);
    if (mb_proc_start_time((pid_t)pid, &c.start) != 0)
        return;
    run->children = mb_realloc(run->children, (run->n_children + 1) * sizeof *run->children);
    run->children[run->n_children++] = c;
}

static void set_process(mb_res_process *p, const char *role, long pid,
                        unsigned long long start)
{
    p->role = mb_strdup(role);
    p->pid = pid;
    p->start = start;
}

void mb__leftovers_fill(const run_ctx *run, mb_res_run *h)
{
    unsigned long long start = 0;
    pid_t self = getpid();
    if (mb_proc_start_time(self, &start) == 0) {
        h->has_harness = true;
        set_process(&h->harness, "harness", (long)self, start);
    }
    h->processes = mb_calloc(run->n_children + 1, sizeof *h->processes);
    for (size_t i = 0; i < run->n_children; i++)
        set_process(&h->processes[h->n_processes++], run->children[i].role,
                    run->children[i].pid, run->children[i].start);
}

/* True when pid names the very process that run.json recorded. */
static bool same_process(const mb_res_process *p)
{
    unsigned long long now;
    return p->pid > 1 && mb_proc_start_time((pid_t)p->pid, &now) == 0 && now == p->start;
}

/* SIGTERM to the group, SIGKILL to what is left after half a second. */
static void stop_group(pid_t pgid)
{
    kill(-pgid, SIGTERM);
    for (int i = 0; i < 25 && kill(-pgid, 0) == 0; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(-pgid, SIGKILL);
}

/* Stops the leftovers of one run.json; the number stopped. */
static size_t stop_leftovers(const mb_res_run *dead, char *pids, size_t size)
{
    size_t n = 0, used = 0;
    pids[0] = '\0';
    for (size_t i = 0; i < dead->n_processes; i++) {
        const mb_res_process *p = &dead->processes[i];
        if (!same_process(p))
            continue;
        stop_group((pid_t)p->pid);
        int w = snprintf(pids + used, size - used, "%s%s %ld", n ? ", " : "", p->role, p->pid);
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
        n++;
    }
    return n;
}

/* The dead run's run.json marked incomplete, every key kept (results/). */
static void mark_incomplete(const char *path, const char *pids)
{
    mb_err werr;
    if (mb_res_run_mark_incomplete(path, pids, &werr) != 0)
        fprintf(stderr, "mpsbench: cannot mark %s incomplete: %s\n", path, werr.msg);
}

void mb__leftovers_reap(const char *dir, bool quiet)
{
    if (dir == NULL)
        return;
    char *path = mb_res_run_json_path(dir);
    mb_res_run dead;
    mb_err ignored;
    if (mb_res_run_load_file(path, &dead, &ignored) != 0 ||
        strcmp(dead.status, "running") != 0 || !dead.has_harness ||
        same_process(&dead.harness)) {
        /* Not a run.json, finished, not ours to judge, or its harness is
         * still running. */
        mb_res_run_free(&dead);
        free(path);
        return;
    }
    char pids[512];
    size_t n = stop_leftovers(&dead, pids, sizeof pids);
    mark_incomplete(path, n ? pids : "");
    if (!quiet)
        fprintf(stderr, "mpsbench: %s was left running by harness pid %ld, which is gone: "
                "that run is incomplete; %s%s\n", path, dead.harness.pid,
                n ? "stopped its leftover processes: " : "none of its processes was left",
                n ? pids : "");
    mb_res_run_free(&dead);
    free(path);
}

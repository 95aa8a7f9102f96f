/* Processes a run leaves behind.  run.json names the harness and every
 * child it started (redis-server, each worker) by pid and start time, from
 * the moment each is up.  A harness that is killed outright (SIGKILL, with
 * its watcher killed too) leaves run.json saying "running"; the next run
 * into the same folder finds it, and when that harness is gone it stops
 * the process groups still alive that are provably the same processes (the
 * pid and the start time both match: a pid the system has reused for
 * someone else's process is never signalled), marks that run incomplete
 * and says so. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mb_util.h"
#include "run_dir.h"
#include "run_private.h"

void mb_leftovers_note_child(run_ctx *run, const char *role, long pid)
{
    run_child c = {.pid = pid};
    snprintf(c.role, sizeof c.role, "%s", role);
    if (mb_proc_start_time((pid_t)pid, &c.start) != 0)
        return;
    run->children = mb_realloc(run->children, (run->n_children + 1) * sizeof *run->children);
    run->children[run->n_children++] = c;
}

static json_t *process_json(const char *role, long pid, unsigned long long start)
{
    return json_pack("{s:s, s:I, s:I}", "role", role, "pid", (json_int_t)pid, "start",
                     (json_int_t)start);
}

void mb_leftovers_add_json(const run_ctx *run, json_t *o)
{
    unsigned long long start = 0;
    pid_t self = getpid();
    if (mb_proc_start_time(self, &start) == 0)
        json_object_set_new(o, "harness", process_json("harness", (long)self, start));
    json_t *list = json_array();
    for (size_t i = 0; i < run->n_children; i++)
        json_array_append_new(list, process_json(run->children[i].role, run->children[i].pid,
                                                 run->children[i].start));
    json_object_set_new(o, "processes", list);
}

/* True when pid names the very process that run.json recorded. */
static bool same_process(json_t *p)
{
    json_int_t pid = json_integer_value(json_object_get(p, "pid"));
    json_t *start = json_object_get(p, "start");
    unsigned long long now;
    return pid > 1 && json_is_integer(start) && mb_proc_start_time((pid_t)pid, &now) == 0 &&
           now == (unsigned long long)json_integer_value(start);
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
static size_t stop_leftovers(json_t *processes, char *pids, size_t size)
{
    size_t n = 0, used = 0;
    size_t i;
    json_t *p;
    pids[0] = '\0';
    json_array_foreach(processes, i, p) {
        if (!same_process(p))
            continue;
        pid_t pid = (pid_t)json_integer_value(json_object_get(p, "pid"));
        stop_group(pid);
        const char *role = json_string_value(json_object_get(p, "role"));
        int w = snprintf(pids + used, size - used, "%s%s %ld", n ? ", " : "",
                         role ? role : "child", (long)pid);
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
        n++;
    }
    return n;
}

void mb_leftovers_reap(const char *dir, bool quiet)
{
    if (dir == NULL)
        return;
    /* The document is rewritten whole, every key kept, with its status
     * changed: this reads it raw rather than through the typed model. */
    char *path = mb_res_run_json_path(dir);
    json_t *o = json_load_file(path, 0, NULL);
    const char *status = json_string_value(json_object_get(o, "status"));
    json_t *harness = json_object_get(o, "harness");
    if (status == NULL || strcmp(status, "running") != 0 || !json_is_object(harness) ||
        same_process(harness)) {
        /* Finished, or not ours to judge, or its harness is still running. */
        json_decref(o);
        free(path);
        return;
    }
    char pids[512];
    size_t n = stop_leftovers(json_object_get(o, "processes"), pids, sizeof pids);
    json_object_set_new(o, "status", json_string("incomplete"));
    json_object_set_new(o, "stopped_by_a_later_run", json_string(n ? pids : ""));
    mb_err werr;
    if (mb_res_run_json_write(path, o, &werr) != 0)
        fprintf(stderr, "mpsbench: cannot mark %s incomplete: %s\n", path, werr.msg);
    if (!quiet)
        fprintf(stderr, "mpsbench: %s was left running by harness pid %lld, which is gone: "
                "that run is incomplete; %s%s\n", path,
                (long long)json_integer_value(json_object_get(harness, "pid")),
                n ? "stopped its leftover processes: " : "none of its processes was left",
                n ? pids : "");
    json_decref(o);
    free(path);
}

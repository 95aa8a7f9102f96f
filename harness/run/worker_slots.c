/* The runner's worker slots: the worker serving the cell that runs now and
 * the workers parked beside it between rounds (interleaved schedule), of
 * any backend.  A slot is filled by its backend's ensure and emptied by its
 * backend's stop; this file decides which slot serves which cell, and
 * keeps the run's list of every worker started (run.json's "workers"). */
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_private.h"

void mb__slot_clear(worker_slot *w)
{
    free(w->key);
    free(w->jobs_stream);
    free(w->hello_key);
    free(w->worker_id);
    free(w->log_path);
    free(w->unusable_reason);
    free(w->hello);
    memset(w, 0, sizeof *w);
}

void mb__slot_stop(run_ctx *run)
{
    worker_slot *w = &run->worker;
    if (w->backend != NULL)
        w->backend->stop(run, w);
    else
        mb__slot_clear(w);
}

static void stop_parked(run_ctx *run, worker_slot *w)
{
    if (w->backend != NULL)
        w->backend->stop(run, w);
    else
        mb__slot_clear(w);
}

static bool serves(const worker_slot *w, const cell_state *cs)
{
    return w->key != NULL && strcmp(w->key, cs->cell->worker_key) == 0 &&
           w->scenario == cs->scenario;
}

/* Takes the parked worker serving the cell out of the parked list into
 * *out; false when none is parked. */
static bool take_parked(run_ctx *run, const cell_state *cs, worker_slot *out)
{
    for (size_t i = 0; i < run->n_parked; i++) {
        if (serves(&run->parked[i], cs)) {
            *out = run->parked[i];
            memmove(&run->parked[i], &run->parked[i + 1],
                    (run->n_parked - i - 1) * sizeof *run->parked);
            run->n_parked--;
            return true;
        }
    }
    return false;
}

void mb__slot_select(run_ctx *run, const cell_state *cs)
{
    worker_slot *w = &run->worker;
    if (serves(w, cs))
        return;
    worker_slot next;
    bool unparking = take_parked(run, cs, &next);
    int max_live = run->schedule.max_live_workers;
    bool can_park = w->key != NULL && w->backend != NULL && max_live > 1 &&
                    (w->unusable || mb_proc_alive(&w->proc));
    if (w->key == NULL) {
        /* Nothing to put aside. */
    } else if (can_park) {
        /* Alive afterwards: the parked ones, this one, and the cell's. */
        if (run->n_parked + 2 > (size_t)max_live || run->n_parked == MB_MAX_PARKED) {
            /* The longest parked goes first. */
            stop_parked(run, &run->parked[0]);
            memmove(&run->parked[0], &run->parked[1], (run->n_parked - 1) * sizeof *run->parked);
            run->n_parked--;
        }
        run->parked[run->n_parked++] = *w;
        memset(w, 0, sizeof *w);
    } else {
        mb__slot_stop(run);
    }
    if (unparking)
        *w = next;
}

void mb__slot_retire(run_ctx *run, const cell_state *cs)
{
    worker_slot parked;
    if (serves(&run->worker, cs))
        mb__slot_stop(run);
    else if (take_parked(run, cs, &parked))
        stop_parked(run, &parked);
}

void mb__slot_stop_all(run_ctx *run)
{
    mb__slot_stop(run);
    for (size_t i = 0; i < run->n_parked; i++)
        stop_parked(run, &run->parked[i]);
    run->n_parked = 0;
}

void mb__hello_log_add(run_ctx *run, const char *hello, long pid)
{
    mb__leftovers_note_child(run, "worker", pid);
    hello_log *log = &run->hellos;
    log->records = mb_realloc(log->records, (log->n + 1) * sizeof *log->records);
    log->records[log->n++] = mb_strdup(hello);
    /* run.json names every worker's pid as soon as it is up, so whoever
     * finds a run that was killed knows which processes belonged to it. */
    mb__report_write_run_json(run, "running", NULL);
}

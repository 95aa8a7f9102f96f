/* The schedule: in which order the repetitions of a run's cells run.
 *
 * Interleaved (the default): the run goes in rounds; each round runs one
 * repetition of every cell that still needs one, in an order shuffled
 * afresh for each round from the run's seed.  Whatever the machine does
 * over the run (another job starting, thermal drift, a cache growing)
 * then falls on every cell alike instead of on the cells that happened to
 * run last, and two cells compared round by round (a contrast, or an A/B
 * of two workers) are measured minutes apart at most.  This is randomized
 * multiple interleaved trials (Abedi and Brecht, ICPE 2017).  Workers stay
 * alive across rounds (mb__slot_select), up to run.max_live_workers, RQ
 * workers as well as native ones; a run with more worker configurations
 * than that runs sequentially and says why.
 *
 * In an A/B run the two sides of a cell run back to back within a round,
 * in a random order of their own: the shorter the time between the two
 * measurements of a pair, the less of the machine's drift lies between
 * them.  The two sides of a pair, and the cells of a contrast, get fresh
 * worker processes each round (run.fresh_workers, see fresh_worker).
 *
 * Sequential: every repetition of a cell, then the next cell, as Google
 * Benchmark itself would run them. */
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_private.h"

/* splitmix64: a small, well-mixed generator, so that a seed names one
 * order on every platform (rand() differs between libcs). */
static unsigned long long next_random(unsigned long long *state)
{
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Fisher-Yates with an unbiased bounded draw. */
static void shuffle(int *items, size_t n, unsigned long long *state)
{
    for (size_t i = n; i > 1; i--) {
        unsigned long long bound = (unsigned long long)i;
        unsigned long long limit = -bound % bound;   /* 2^64 mod bound */
        unsigned long long r;
        do
            r = next_random(state);
        while (r < limit);
        size_t j = (size_t)(r % bound);
        int t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}

static void note_ran(run_schedule *s, int cell)
{
    if (s->n_ran == s->cap_ran) {
        s->cap_ran = s->cap_ran ? s->cap_ran * 2 : 64;
        s->ran = mb_realloc(s->ran, s->cap_ran * sizeof *s->ran);
    }
    s->ran[s->n_ran++] = cell;
}

static bool same_key(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Interleaving needs every worker configuration alive at once; when that
 * cannot be, the reason (heap), else NULL. */
static char *why_sequential(const run_ctx *run)
{
    size_t keys = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const cell_state *cs = &run->cells[i];
        if (cs->frontier)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !run->cells[j].frontier &&
                   same_key(run->cells[j].cell->worker_key, cs->cell->worker_key) &&
                   run->cells[j].scenario == cs->scenario;
        keys += !seen;
    }
    if (keys > (size_t)run->schedule.max_live_workers)
        return mb_asprintf("%zu worker configurations, more than run.max_live_workers (%d)", keys,
                           run->schedule.max_live_workers);
    return NULL;
}

/* Whether this repetition gets a worker process of its own.  Two workers
 * of one build differ by a fixed offset for their whole life (the detector
 * measured -15% to +16% between sessions on a quiet machine), which pairing
 * rounds does not cancel: a comparison whose sides each keep one process
 * judges that offset, not the change.  A fresh pair each round makes the
 * offset part of each round's noise, which the paired test then measures
 * (Kalibera and Jones's invocations).  Frontier probes manage their own. */
static bool fresh_worker(const run_ctx *run, const cell_state *cs)
{
    if (cs->frontier || cs->cell->worker_kind == MB_WORKER_RQ)
        return false;
    switch (cs->cell->run.fresh_workers) {
    case MB_FRESH_ALWAYS: return true;
    case MB_FRESH_NEVER: return false;
    default: return cs->partner != NULL || mb__cell_contrasted(run, cs);
    }
}

/* Run settings that belong to the whole run, taken from its cells: the
 * most cautious of what the scenarios ask for. */
static void settle_options(run_ctx *run)
{
    run_schedule *s = &run->schedule;
    for (size_t i = 0; i < run->n_cells; i++)
        run->cells[i].fresh_worker = fresh_worker(run, &run->cells[i]);
    s->max_live_workers = MB_MAX_PARKED + 1;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb_run_opts *o = &run->cells[i].cell->run;
        if (o->order == MB_ORDER_SEQUENTIAL)
            s->order = MB_ORDER_SEQUENTIAL;
        if (o->max_live_workers > 0 && o->max_live_workers < s->max_live_workers)
            s->max_live_workers = o->max_live_workers;
    }
    if (s->order == MB_ORDER_INTERLEAVED) {
        s->fallback = why_sequential(run);
        if (s->fallback != NULL) {
            s->order = MB_ORDER_SEQUENTIAL;
            if (!run->cfg->quiet)
                fprintf(stderr, "mpsbench: repetitions run cell by cell, not interleaved: %s\n",
                        s->fallback);
        }
    }
}

static bool stopped(const run_ctx *run)
{
    return run->infra_failed || mb__run_interrupted();
}

/* Repetitions that never ran get the record Google Benchmark must report
 * for them: why they did not run, or that they were not needed. */
static void finish_records(cell_state *cs)
{
    for (int k = cs->repetition; k < cs->n_planned; k++) {
        rep_record *rec = &cs->reps[k];
        rec->round = -1;
        if (cs->skip_reason != NULL) {
            rec->outcome = REP_FAILED;
            rec->error = mb_asprintf("skipped: %s", cs->skip_reason);
        } else if (cs->stop_early) {
            rec->outcome = REP_FAILED;
            rec->error = mb_asprintf("not repeated after: %s",
                                     cs->first_error ? cs->first_error : "failed");
        } else if (cs->adaptive_stopped) {
            rec->outcome = REP_NOT_NEEDED;
            cs->reps_saved++;
        } else {
            rec->outcome = REP_FAILED;
            rec->error = mb_strdup("not run: the run was stopped");
            cs->cut_short = true;
        }
    }
    cs->repetition = cs->n_planned;
}

void mb__schedule_run(run_ctx *run)
{
    run_schedule *s = &run->schedule;
    settle_options(run);
    int *order = mb_calloc(run->n_cells + 1, sizeof *order);
    if (s->order == MB_ORDER_SEQUENTIAL) {
        for (size_t i = 0; i < run->n_cells && !stopped(run); i++) {
            cell_state *cs = &run->cells[i];
            while (!mb__cell_done(cs) && !stopped(run)) {
                note_ran(s, (int)i);
                mb__execute_repetition(cs, cs->repetition);
            }
        }
        s->rounds = 0;
    } else {
        unsigned long long state = s->seed;
        for (int round = 0; !stopped(run); round++) {
            /* The units shuffled: cells, or a cell and its candidate twin. */
            size_t n = 0;
            bool any = false;
            for (size_t i = 0; i < run->n_cells; i++) {
                cell_state *cs = &run->cells[i];
                bool done = mb__cell_done(cs);
                any |= !done;
                if (cs->candidate)
                    continue;
                if (!done || (cs->partner != NULL && !mb__cell_done(cs->partner)))
                    order[n++] = (int)i;
            }
            if (!any)
                break;
            shuffle(order, n, &state);
            for (size_t k = 0; k < n && !stopped(run); k++) {
                cell_state *first = &run->cells[order[k]], *second = first->partner;
                if (second != NULL && next_random(&state) % 2 == 1) {
                    cell_state *t = first;
                    first = second;
                    second = t;
                }
                cell_state *pair[2] = {first, second};
                for (size_t p = 0; p < 2 && !stopped(run); p++) {
                    if (pair[p] == NULL || mb__cell_done(pair[p]))
                        continue;
                    note_ran(s, (int)(pair[p] - run->cells));
                    if (pair[p]->fresh_worker)
                        mb__slot_retire(run, pair[p]);
                    mb__execute_repetition(pair[p], round);
                }
            }
            note_ran(s, -1);
            s->rounds = round + 1;
        }
    }
    free(order);
    for (size_t i = 0; i < run->n_cells; i++)
        finish_records(&run->cells[i]);
}

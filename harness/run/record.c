/* Recording what ran: a repetition's counters or failure, the cell's line
 * on stderr, the recorded repetitions replayed into Google Benchmark
 * (which owns results.json), and each cell's verdict from its jobs, its
 * expectations and what never ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench_c.h"
#include "mb_util.h"
#include "mps_device.h"
#include "run_private.h"
#include "stats.h"

/* Google Benchmark calls this once per repetition of the cell, after the
 * schedule ran them all: each call hands it one recorded repetition, with
 * the jobs' measured times as its iterations' manual times. */
void mb__replay_cell(mb_gb_state *gb, void *arg)
{
    cell_state *cs = arg;
    if (cs->n_replayed >= cs->n_planned) {
        mb_gb_skip_with_error(gb, "not run");
        return;
    }
    const rep_record *rec = &cs->reps[cs->n_replayed++];
    if (rec->outcome == REP_NOT_NEEDED) {
        mb_gb_skip_unreported(gb);
        return;
    }
    if (rec->outcome != REP_OK || rec->n_jobs == 0) {
        mb_gb_skip_with_error(gb, rec->error != NULL ? rec->error : "not run");
        return;
    }
    size_t i = 0;
    while (mb_gb_keep_running(gb)) {
        mb_gb_set_iteration_time(gb, rec->job_seconds[i]);
        if (i + 1 < rec->n_jobs)
            i++;
    }
    for (size_t c = 0; c < rec->n_counters; c++)
        mb_gb_set_counter(gb, rec->counter_names[c], rec->counter_values[c], rec->counter_flags[c]);
}

static bool device_required(const mb_scenario *s, const char *device)
{
    for (size_t i = 0; i < s->n_require; i++)
        if (strcmp(s->require[i], device) == 0)
            return true;
    return false;
}

static void append_reason(cell_state *cs, const char *text)
{
    char *next = cs->verdict_reason == NULL ? mb_strdup(text)
                                            : mb_asprintf("%s; %s", cs->verdict_reason, text);
    free(cs->verdict_reason);
    cs->verdict_reason = next;
}

/* Unreadable photos are never left out in silence: they fail the cell
 * unless the scenario allows them, and are listed either way. */
static void account_unreadable(cell_state *cs)
{
    if (cs->unreadable == NULL || cs->verdict == CELL_SKIPPED)
        return;
    if (cs->scenario->images.allow_unreadable) {
        char *note = mb_asprintf("%s (left out: images.allow_unreadable)", cs->unreadable);
        append_reason(cs, note);
        free(note);
        return;
    }
    cs->verdict = CELL_FAIL;
    char *note = mb_asprintf("%s (set images.allow_unreadable: true to run without them)",
                             cs->unreadable);
    append_reason(cs, note);
    free(note);
}

/* A cell that stopped early (its first failed job, an interrupt) says how
 * many of its planned measured jobs never ran. */
static void account_never_ran(cell_state *cs)
{
    if (cs->frontier || cs->skip_reason != NULL)
        return;
    long long ran = 0;
    for (size_t i = 0; i < cs->n_records; i++)
        ran += cs->records[i].repetition >= 0;
    long long planned_reps = 0;
    for (int r = 0; r < cs->n_planned; r++)
        planned_reps += cs->reps[r].outcome != REP_NOT_NEEDED;
    long long planned = planned_reps * cs->cell->run.jobs;
    if (ran >= planned)
        return;
    char *note = mb_asprintf("%lld of %lld planned jobs never ran (%s)", planned - ran, planned,
                             cs->stop_early ? "the cell stops at its first failed job"
                             : mb__run_interrupted() ? "the run was interrupted"
                             : "the run stopped");
    append_reason(cs, note);
    free(note);
}

void mb__decide_cell(cell_state *cs)
{
    const mb_expect *ex = &cs->cell->expect;
    int oom = cs->counts[MB_JOB_OOM];
    int broken = cs->counts[MB_JOB_CRASHED] + cs->counts[MB_JOB_TIMEOUT] + cs->counts[MB_JOB_ERROR];
    free(cs->verdict_reason);
    cs->verdict_reason = NULL;
    if (cs->skip_reason == NULL && cs->frontier) {
        int errors = cs->counts[MB_JOB_ERROR] + cs->counts[MB_JOB_TIMEOUT];
        cs->verdict = errors == 0 && cs->largest_ok_batch > 0 ? CELL_PASS : CELL_FAIL;
        if (errors > 0)
            cs->verdict_reason = mb_asprintf("%d probe(s) failed for another reason than memory: %s",
                                             errors, cs->first_error);
        else if (cs->largest_ok_batch == 0)
            cs->verdict_reason = mb_asprintf("even batch 1 does not fit: %s", cs->first_error);
        else if (cs->first_failing_batch == 0)
            cs->verdict_reason = mb_asprintf("largest batch %d: the search maximum fits",
                                             cs->largest_ok_batch);
        else
            cs->verdict_reason = mb_asprintf("largest batch %d (batch %d does not fit)",
                                             cs->largest_ok_batch, cs->first_failing_batch);
        return;
    }
    if (cs->skip_reason != NULL) {
        bool required = device_required(cs->scenario, cs->cell->device);
        cs->verdict = required ? CELL_FAIL : CELL_SKIPPED;
        cs->verdict_reason = mb_asprintf("%s%s", required ? "required device " : "", cs->skip_reason);
    } else if (cs->n_records == 0 && cs->cut_short) {
        cs->verdict = CELL_INCOMPLETE;
        cs->verdict_reason = mb_strdup("not run: the run stopped before this cell's turn");
    } else if (cs->n_records == 0) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_strdup("no job ran");
    } else if (broken == 0 && oom > 0 && cs->paravirtual) {
        /* The cell says nothing about MPS: neither a pass nor a failure. */
        cs->verdict = CELL_SKIPPED;
        cs->verdict_reason = mb_asprintf("%d job(s) hit the %s: %s", oom,
                                         MB_MPS_PARAVIRTUAL_LIMIT, cs->first_error);
    } else if (broken > 0) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_asprintf("%d job(s) failed: %s", broken, cs->first_error);
    } else if (oom > 0 && ex->oom == MB_OOM_NEVER) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_asprintf("unexpected OOM: %s", cs->first_error);
    } else if (cs->cut_short) {
        /* What ran was fine, but not all of it ran: never a pass. */
        cs->verdict = CELL_INCOMPLETE;
        cs->verdict_reason = mb_asprintf("the run stopped before this cell finished (%zu of %d "
                                         "repetitions ran)", cs->n_reps, cs->n_planned);
    } else if (oom == 0 && ex->oom == MB_OOM_EXPECTED) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_strdup("an OOM was expected but every job fit");
    } else {
        cs->verdict = CELL_PASS;
        if (oom > 0)
            cs->verdict_reason = mb_asprintf("OOM (%s): %s",
                                             ex->oom == MB_OOM_EXPECTED ? "expected" : "allowed",
                                             cs->first_error);
    }
    account_unreadable(cs);
    account_never_ran(cs);
}

void mb__rep_counter(rep_record *rec, const char *name, double value, int flags)
{
    if (rec->n_counters >= MB_REP_MAX_COUNTERS)
        return;
    rec->counter_names[rec->n_counters] = name;
    rec->counter_values[rec->n_counters] = value;
    rec->counter_flags[rec->n_counters] = flags;
    rec->n_counters++;
}

/* The live line (progress.c), with the schedule's repetitions done and
 * still to run for its estimate of the time left: an upper bound while an
 * adaptive cell, counted at its maximum, may stop sooner. */
void mb__progress(const cell_state *cs, const char *what)
{
    run_ctx *run = cs->run;
    long done = 0, left = 0;
    bool at_most = false;
    for (size_t i = 0; i < run->n_cells; i++) {
        const cell_state *c = &run->cells[i];
        /* The repetition now running is not done yet. */
        done += c->repetition - (c == cs ? 1 : 0);
        if (c->skip_reason == NULL && !c->stop_early && !c->adaptive_stopped && !c->cut_short) {
            long cell_left = c->n_planned - c->repetition + (c == cs ? 1 : 0);
            left += cell_left;
            at_most |= cell_left > 0 && c->cell->run.target_ci > 0 &&
                       c->cell->run.repetitions_min < c->n_planned;
        }
    }
    mb_progress_update(&run->progress, run->current_cell, run->n_cells, cs->bench_name, what,
                       done, left, at_most);
}

/* A repetition that failed or never ran, with the message Google Benchmark
 * will report for it. */
void mb__rep_fail(rep_record *rec, const char *prefix, const char *what)
{
    rec->outcome = REP_FAILED;
    free(rec->error);
    rec->error = mb_asprintf("%s%s", prefix, what != NULL ? what : "failed");
}

/* One line per finished cell, replacing the live progress line. */
void mb__report_cell(const cell_state *cs, const char *error)
{
    char *text;
    if (error != NULL)
        text = mb_asprintf("%.160s%s", error, strlen(error) > 160 ? "…" : "");
    else if (cs->frontier && cs->first_failing_batch > 0)
        text = mb_asprintf("largest batch that fits: %d (%d does not)", cs->largest_ok_batch,
                           cs->first_failing_batch);
    else if (cs->frontier)
        text = mb_asprintf("largest batch that fits: %d (the search maximum)",
                           cs->largest_ok_batch);
    else if (cs->n_reps > 0 && cs->adaptive_stopped)
        text = mb_asprintf("%9.2f img/s (median of %zu; CI within ±%.1f%%, %d not needed)",
                           mb_stats_median(cs->rep_images_per_s, cs->n_reps), cs->n_reps,
                           cs->final_halfwidth * 100, cs->cell->run.repetitions - (int)cs->n_reps);
    else if (cs->n_reps > 0)
        text = mb_asprintf("%9.2f img/s (median of %zu)",
                           mb_stats_median(cs->rep_images_per_s, cs->n_reps), cs->n_reps);
    else
        return;
    mb_progress_cell_done(&cs->run->progress, cs->bench_name, text);
    free(text);
}

/* The run cannot go on (Redis gone, a worker that cannot start). */
void mb__infra_failure(cell_state *cs, rep_record *rec, const mb_err *err)
{
    cs->cut_short = true;
    cs->run->infra_failed = true;
    cs->run->infra_err = *err;
    mb__rep_fail(rec, "", err->msg);
}

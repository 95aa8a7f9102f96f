/* The pure logic of mpsbench-bench-detector, kept apart so that a unit test
 * can check it without workers: a seeded generator, the windows of
 * consecutive rounds that stand for one run's repetitions, a draw of
 * distinct sessions for a history baseline, and the tally of verdicts that
 * turns into rates and their Clopper-Pearson bounds. */
#ifndef MB_DETECTOR_LOGIC_H
#define MB_DETECTOR_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"

/* splitmix64 with a caller-held state: a fixed seed replays a benchmark's
 * shuffles and resamples exactly. */
uint64_t mb_det_rng_next(uint64_t *state);
/* Uniform in [0, n); 0 when n == 0. */
size_t mb_det_rng_below(uint64_t *state, size_t n);

/* Windows of n consecutive rounds out of len: the disjoint ones start at
 * 0, n, 2n, ... and there are len / n of them; a resampled one starts
 * anywhere in [0, len - n].  mb_det_random_window returns len (no window)
 * when n == 0 or n > len. */
size_t mb_det_disjoint_windows(size_t len, size_t n);
size_t mb_det_random_window(uint64_t *state, size_t len, size_t n);

/* Windows of n consecutive rounds over several streams pooled: stream[i]
 * is the stream (CPU slice, measuring process) of round i, the rounds of a
 * stream contiguous and in the order measured.  A window never spans two
 * streams: rounds of different slices are not one run.  Writes the starts
 * into out (room for m entries) and returns how many: every valid start
 * (mb_det_stream_starts, for resampled windows) or the disjoint ones, 0, n,
 * 2n, ... within each stream (mb_det_stream_disjoint, independent
 * verdicts). */
size_t mb_det_stream_starts(const int *stream, size_t m, size_t n, size_t *out);
size_t mb_det_stream_disjoint(const int *stream, size_t m, size_t n, size_t *out);

/* Draws k distinct sessions out of n, none equal to exclude (pass n or more
 * to exclude none), into out in random order.  False, out untouched, when
 * fewer than k are available. */
bool mb_det_pick_sessions(uint64_t *state, size_t n, size_t exclude, size_t k, size_t *out);

/* The rounds of one verdict of the fresh-workers A/B design (ab_fresh),
 * drawn from rounds that sessions measured with long-lived workers: n
 * distinct sessions out of n_sessions (without replacement) and one random
 * round of each, round_out[k] < len[session_out[k]].  A session's two
 * workers differ by a fixed offset for their whole life; taking each round
 * from another session turns that offset into per-round noise, as a fresh
 * worker per round does.  False when n is 0, more than n_sessions or over
 * 256, or a drawn session has no rounds (the outputs are then unspecified). */
bool mb_det_fresh_draw(uint64_t *state, const size_t *len, size_t n_sessions, size_t n,
                       size_t *session_out, size_t *round_out);

/* Verdicts of one kind of trial.  An alarm is a regression verdict; an
 * inconclusive verdict counts as a trial without an alarm (neither a false
 * alarm nor a detection) and is also counted on its own; a not-comparable
 * verdict is not a trial at all. */
typedef struct mb_det_tally {
    size_t trials, alarms, inconclusive, not_comparable;
} mb_det_tally;

void mb_det_tally_add(mb_det_tally *t, mb_verdict v);
/* alarms / trials and inconclusive / trials; NaN without trials. */
double mb_det_rate(const mb_det_tally *t);
double mb_det_inconclusive_rate(const mb_det_tally *t);
/* Upper end of the two-sided 95% Clopper-Pearson interval of the alarm
 * rate (so a one-sided 97.5% upper bound); NaN without trials. */
double mb_det_upper95(const mb_det_tally *t);

/* The throughput change of b against a, paired round by round: the median
 * of b[i] / a[i], minus 1.  Each ratio compares two repetitions measured
 * back to back, so the drift of the machine between rounds cancels; the
 * ratio of the two sides' overall medians would not cancel it.  NaN when no
 * pair has both values positive (such pairs are skipped). */
double mb_det_paired_change(const double *a, const double *b, size_t n);

/* How much of the spread of a throughput is a lasting offset of the worker
 * process, and how much varies within one process (a one-way random-effects
 * analysis of variance on logs): values holds n_groups groups, one per
 * worker process, of per_group measurements each, group after group.
 * *within is the standard deviation of log throughput inside a process
 * (the root of the within-group mean square), *offset that of the
 * processes' lasting offsets: the root of (between-group mean square -
 * within mean square) / per_group, 0 when that is negative (no offset
 * beyond what the within noise explains).  Both are fractions (an sd of
 * logs), NaN when n_groups < 2, per_group < 2 or a value is not positive. */
void mb_det_offset_split(const double *values, size_t n_groups, size_t per_group,
                         double *within, double *offset);

#endif

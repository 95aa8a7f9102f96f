/* The detector benchmark's analysis: for one design and one repetition
 * count n, the verdicts of resampled trials (random windows, many, not
 * independent) and of disjoint trials (every window once), tallied per
 * condition (A/A, 5%, 10% slower), with the measuring minutes a verdict
 * costs.  It reads the rounds only; measuring and reporting are elsewhere. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_detector.h"
#include "compare.h"
#include "detector_logic.h"
#include "mb_util.h"
#include "stats.h"

static void fill_seq(const det *d, size_t s, size_t start, int n, int cond, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = seq_value(&d->rounds[d->first[s] + start + (size_t)i], cond);
}

typedef struct trial_buf {
    double *x, *y, *medians;
    double *mdes;               /* of the A/A trials */
    size_t n_mdes, cap_mdes;
} trial_buf;

static void note_mde(trial_buf *t, double mde)
{
    if (isnan(mde))
        return;
    if (t->n_mdes == t->cap_mdes) {
        t->cap_mdes = t->cap_mdes ? 2 * t->cap_mdes : 256;
        t->mdes = mb_realloc(t->mdes, t->cap_mdes * sizeof(double));
    }
    t->mdes[t->n_mdes++] = mde;
}

static void finish_mde(trial_buf *t, det_figures *f)
{
    f->mde = t->n_mdes ? mb_stats_median(t->mdes, t->n_mdes) : NAN;
    t->n_mdes = 0;
}

/* One verdict of a mode, its inputs already in t->x (baseline side: the A
 * values, or for history the K run medians in t->medians) and t->y. */
static void judge(const det *d, int mode, int cond, int n, trial_buf *t, det_figures *f)
{
    mb_compare_cell c;
    memset(&c, 0, sizeof c);
    double thr = d->cfg.threshold;
    mb_compare_options o = {.alpha = d->cfg.alpha};
    if (mode == MODE_SEQUENTIAL)
        mb_compare_samples(t->x, (size_t)n, t->y, (size_t)n, thr, &o, &c);
    else if (mode == MODE_AB || mode == MODE_AB_FRESH || mode == MODE_FRESH)
        mb_compare_paired(t->x, t->y, (size_t)n, thr, &o, &c);
    else
        mb_compare_history(t->medians, (size_t)d->cfg.history_runs, t->y, (size_t)n, thr,
                           &o, &c);
    mb_det_tally_add(&f->tally[cond], c.verdict);
    if (cond == 0)
        note_mde(t, c.mde);
    free(c.reason);
}

static void fill_ab(const det *d, size_t s, size_t start, int n, int cond, double *a,
                    double *b)
{
    for (int i = 0; i < n; i++) {
        const det_round *r = &d->rounds[d->first[s] + start + (size_t)i];
        a[i] = r->a[cond];
        b[i] = r->b[cond];
    }
}

static void history_medians(const det *d, const size_t *sessions, const size_t *starts, int n,
                            trial_buf *t)
{
    for (int k = 0; k < d->cfg.history_runs; k++) {
        fill_seq(d, sessions[k], starts[k], n, 0, t->x);
        t->medians[k] = mb_stats_median(t->x, (size_t)n);
    }
}

/* ab_fresh's inputs: the A and B of one random round from each of n
 * distinct random sessions (mb_det_fresh_draw); false when there are fewer
 * than n sessions. */
static bool fill_fresh(const det *d, uint64_t *rng, int n, int cond, trial_buf *t)
{
    size_t sessions[MAX_SESSIONS], rounds[MAX_SESSIONS];
    if (n > MAX_SESSIONS ||
        !mb_det_fresh_draw(rng, d->len, (size_t)d->cfg.sessions, (size_t)n, sessions, rounds))
        return false;
    for (int k = 0; k < n; k++) {
        const det_round *r = &d->rounds[d->first[sessions[k]] + rounds[k]];
        t->x[k] = r->a[cond];
        t->y[k] = r->b[cond];
    }
    return true;
}

/* Resampled trials: random sessions, random windows of n rounds (ab_fresh:
 * one random round of each of n random sessions). */
static void resampled(const det *d, int mode, int n, uint64_t *rng, trial_buf *t,
                      det_figures *f)
{
    size_t S = (size_t)d->cfg.sessions;
    size_t K = (size_t)d->cfg.history_runs;
    size_t hs[MAX_SESSIONS], hw[MAX_SESSIONS];
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (int i = 0; i < d->cfg.resamples; i++) {
            if (mode == MODE_AB_FRESH) {
                if (fill_fresh(d, rng, n, cond, t))
                    judge(d, mode, cond, n, t, f);
                continue;
            }
            size_t sb = mb_det_rng_below(rng, S);
            size_t wb = mb_det_random_window(rng, d->len[sb], (size_t)n);
            if (wb >= d->len[sb])
                continue;
            if (mode == MODE_AB) {
                fill_ab(d, sb, wb, n, cond, t->x, t->y);
            } else if (mode == MODE_SEQUENTIAL) {
                size_t sa = mb_det_rng_below(rng, S - 1);
                sa += sa >= sb;
                size_t wa = mb_det_random_window(rng, d->len[sa], (size_t)n);
                if (wa >= d->len[sa])
                    continue;
                fill_seq(d, sa, wa, n, 0, t->x);
                fill_seq(d, sb, wb, n, cond, t->y);
            } else {
                if (!mb_det_pick_sessions(rng, S, sb, K, hs))
                    continue;
                bool ok = true;
                for (size_t k = 0; k < K; k++) {
                    hw[k] = mb_det_random_window(rng, d->len[hs[k]], (size_t)n);
                    ok = ok && hw[k] < d->len[hs[k]];
                }
                if (!ok)
                    continue;
                history_medians(d, hs, hw, n, t);
                fill_seq(d, sb, wb, n, cond, t->y);
            }
            judge(d, mode, cond, n, t, f);
        }
        if (cond == 0)
            finish_mde(t, f);
    }
}

/* Disjoint trials.  Windows are listed level by level (window 0 of every
 * session, then window 1, ...), so that neighbours come from different
 * sessions.  sequential: A/A pairs windows (0,1), (2,3)...; an A/B trial
 * takes window i's A against window i + 1's slowed B, so every window
 * serves once per column.  ab: every window is one trial per column.
 * history: window i is the new run, the baseline the same level's windows
 * of the K sessions after it (cyclically); new runs are disjoint, baselines
 * are shared between trials. */
static void disjoint(const det *d, int mode, int n, trial_buf *t, det_figures *f)
{
    size_t S = (size_t)d->cfg.sessions;
    size_t K = (size_t)d->cfg.history_runs;
    size_t max = 0;
    for (size_t s = 0; s < S; s++)
        max += mb_det_disjoint_windows(d->len[s], (size_t)n);
    size_t *ws = mb_calloc(max + 1, sizeof(size_t));
    size_t *wl = mb_calloc(max + 1, sizeof(size_t));
    size_t count = 0;
    for (size_t level = 0;; level++) {
        bool any = false;
        for (size_t s = 0; s < S; s++) {
            if (level >= mb_det_disjoint_windows(d->len[s], (size_t)n))
                continue;
            ws[count] = s;
            wl[count++] = level;
            any = true;
        }
        if (!any)
            break;
    }
    size_t hs[MAX_SESSIONS], hw[MAX_SESSIONS];
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (size_t i = 0; i < count; i++) {
            size_t start = wl[i] * (size_t)n;
            if (mode == MODE_AB) {
                fill_ab(d, ws[i], start, n, cond, t->x, t->y);
            } else if (mode == MODE_SEQUENTIAL) {
                size_t j = cond == 0 ? i + 1 : (i + 1) % count;
                if ((cond == 0 && (i % 2 == 1 || j >= count)) || ws[i] == ws[j])
                    continue;
                fill_seq(d, ws[i], start, n, 0, t->x);
                fill_seq(d, ws[j], wl[j] * (size_t)n, n, cond, t->y);
            } else {
                if (S < K + 1)
                    break;
                bool ok = true;
                for (size_t k = 0; k < K; k++) {
                    hs[k] = (ws[i] + 1 + k) % S;
                    hw[k] = start;
                    ok = ok && start + (size_t)n <= d->len[hs[k]];
                }
                if (!ok)
                    continue;
                history_medians(d, hs, hw, n, t);
                fill_seq(d, ws[i], start, n, cond, t->y);
            }
            judge(d, mode, cond, n, t, f);
        }
        if (cond == 0)
            finish_mde(t, f);
    }
    free(ws);
    free(wl);
}

/* ab_fresh's disjoint trials: every round serves once.  Level l takes
 * round l of the sessions that have one, rotated by l so that a different
 * session is left over at each level, in blocks of n sessions. */
static void disjoint_fresh(const det *d, int n, trial_buf *t, det_figures *f)
{
    size_t have[MAX_SESSIONS];
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (size_t level = 0;; level++) {
            size_t m = 0;
            for (size_t s = 0; s < (size_t)d->cfg.sessions; s++)
                if (d->len[s] > level)
                    have[m++] = s;
            if (m == 0)
                break;
            for (size_t b = 0; b + (size_t)n <= m; b += (size_t)n) {
                for (size_t k = 0; k < (size_t)n; k++) {
                    size_t s = have[(level + b + k) % m];
                    const det_round *r = &d->rounds[d->first[s] + level];
                    t->x[k] = r->a[cond];
                    t->y[k] = r->b[cond];
                }
                judge(d, MODE_AB_FRESH, cond, n, t, f);
            }
        }
        if (cond == 0)
            finish_mde(t, f);
    }
}

/* Mean seconds of a repetition on side A and on side B. */
static void rep_seconds(const det *d, double *a, double *b)
{
    double sa = 0, sb = 0;
    for (size_t i = 0; i < d->n_rounds; i++)
        for (int p = 0; p < N_PAIRS; p++) {
            sa += d->rounds[i].sec_a[p];
            sb += d->rounds[i].sec_b[p];
        }
    size_t m = d->n_rounds * N_PAIRS;
    *a = m ? sa / (double)m : NAN;
    *b = m ? sb / (double)m : NAN;
}

/* Measuring time of the run that gets a verdict: n rounds of both sides
 * for ab; n repetitions of the new run for sequential and history, whose
 * baseline is measured once and stored; n rounds of both sides for
 * ab_fresh too.  Worker start and warm-up are left out (ab_fresh would
 * start two workers per round). */
static double minutes_per_verdict(const det *d, int mode, int n)
{
    double a, b;
    rep_seconds(d, &a, &b);
    bool both = mode == MODE_AB || mode == MODE_AB_FRESH;
    return (both ? n * (a + b) : n * (a + b) / 2) / 60.0;
}

void mb_det_analyse(const det *d, int mode, int n, mode_result *out)
{
    memset(out, 0, sizeof *out);
    trial_buf t;
    memset(&t, 0, sizeof t);
    t.x = mb_calloc((size_t)n, sizeof(double));
    t.y = mb_calloc((size_t)n, sizeof(double));
    t.medians = mb_calloc((size_t)d->cfg.history_runs + 1, sizeof(double));
    uint64_t rng = 7 + (uint64_t)mode * 1000 + (uint64_t)n;
    resampled(d, mode, n, &rng, &t, &out->resampled);
    if (mode == MODE_AB_FRESH)
        disjoint_fresh(d, n, &t, &out->disjoint);
    else
        disjoint(d, mode, n, &t, &out->disjoint);
    out->minutes = minutes_per_verdict(d, mode, n);
    free(t.x);
    free(t.y);
    free(t.medians);
    free(t.mdes);
}

/* The fresh design's live rounds of variant v, in the order measured. */
static size_t variant_rounds(const det *d, int v, const det_round **out)
{
    size_t m = 0;
    for (size_t i = 0; i < d->n_rounds; i++)
        if (d->rounds[i].variant == v)
            out[m++] = &d->rounds[i];
    return m;
}

static void fill_live(const det_round *const *r, size_t start, int n, int cond, trial_buf *t)
{
    for (int k = 0; k < n; k++) {
        t->x[k] = r[start + (size_t)k]->a[cond];
        t->y[k] = r[start + (size_t)k]->b[cond];
    }
}

/* Minutes an A/B cell of the runner costs with fresh workers: per round,
 * both workers started and warmed up, then one repetition on each side. */
static double live_minutes(const det_round *const *r, size_t m, int n)
{
    double sum = 0;
    for (size_t i = 0; i < m; i++) {
        double reps = 0;
        for (int p = 0; p < N_PAIRS; p++)
            reps += r[i]->sec_a[p] + r[i]->sec_b[p];
        sum += r[i]->start_sec + r[i]->warm_sec + reps / N_PAIRS;
    }
    return m ? n * sum / (double)m / 60.0 : NAN;
}

/* The fresh design on variant v's live rounds: a verdict is n consecutive
 * live rounds of one stream, as one run of n rounds with fresh workers
 * would measure them; resampled trials take random windows (overlapping),
 * disjoint ones every window once (independent verdicts).  No window spans
 * two streams (mb_det_stream_starts). */
void mb_det_analyse_fresh(const det *d, int v, int n, mode_result *out)
{
    memset(out, 0, sizeof *out);
    const det_round **r = mb_calloc(d->n_rounds + 1, sizeof *r);
    size_t m = variant_rounds(d, v, r);
    int *stream = mb_calloc(m + 1, sizeof *stream);
    for (size_t i = 0; i < m; i++)
        stream[i] = r[i]->stream;
    size_t *starts = mb_calloc(m + 1, sizeof *starts);
    size_t *disjoint = mb_calloc(m + 1, sizeof *disjoint);
    size_t n_starts = mb_det_stream_starts(stream, m, (size_t)n, starts);
    size_t n_disjoint = mb_det_stream_disjoint(stream, m, (size_t)n, disjoint);
    trial_buf t;
    memset(&t, 0, sizeof t);
    t.x = mb_calloc((size_t)n, sizeof(double));
    t.y = mb_calloc((size_t)n, sizeof(double));
    uint64_t rng = 7 + (uint64_t)MODE_FRESH * 1000 + (uint64_t)n + 100000 * (uint64_t)v;
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (int i = 0; n_starts > 0 && i < d->cfg.resamples; i++) {
            fill_live(r, starts[mb_det_rng_below(&rng, n_starts)], n, cond, &t);
            judge(d, MODE_FRESH, cond, n, &t, &out->resampled);
        }
        if (cond == 0)
            finish_mde(&t, &out->resampled);
        for (size_t w = 0; w < n_disjoint; w++) {
            fill_live(r, disjoint[w], n, cond, &t);
            judge(d, MODE_FRESH, cond, n, &t, &out->disjoint);
        }
        if (cond == 0)
            finish_mde(&t, &out->disjoint);
    }
    out->minutes = live_minutes(r, m, n);
    free(t.x);
    free(t.y);
    free(t.mdes);
    free(starts);
    free(disjoint);
    free(stream);
    free(r);
}

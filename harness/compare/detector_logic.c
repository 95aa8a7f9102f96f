#include "detector_logic.h"

#include <math.h>
#include <stdlib.h>

#include "mb_util.h"
#include "stats.h"

uint64_t mb_det_rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

size_t mb_det_rng_below(uint64_t *state, size_t n)
{
    return n == 0 ? 0 : (size_t)(mb_det_rng_next(state) % n);
}

size_t mb_det_disjoint_windows(size_t len, size_t n)
{
    return n == 0 ? 0 : len / n;
}

size_t mb_det_random_window(uint64_t *state, size_t len, size_t n)
{
    if (n == 0 || n > len)
        return len;
    return mb_det_rng_below(state, len - n + 1);
}

/* Streams are contiguous, so a window within one stream has the same
 * stream at both ends. */
size_t mb_det_stream_starts(const int *stream, size_t m, size_t n, size_t *out)
{
    size_t count = 0;
    for (size_t i = 0; n > 0 && i + n <= m; i++)
        if (stream[i + n - 1] == stream[i])
            out[count++] = i;
    return count;
}

size_t mb_det_stream_disjoint(const int *stream, size_t m, size_t n, size_t *out)
{
    size_t count = 0;
    size_t first = 0; /* where the current stream's rounds begin */
    for (size_t i = 0; n > 0 && i < m; i++) {
        if (stream[i] != stream[first])
            first = i;
        if ((i - first + 1) % n == 0)
            out[count++] = i + 1 - n;
    }
    return count;
}

bool mb_det_pick_sessions(uint64_t *state, size_t n, size_t exclude, size_t k, size_t *out)
{
    size_t available = exclude < n ? n - 1 : n;
    if (k > available || k > 256)
        return false;
    size_t pool[256];
    size_t m = 0;
    for (size_t s = 0; s < n && m < 256; s++)
        if (s != exclude)
            pool[m++] = s;
    if (k > m)
        return false;
    /* A partial Fisher-Yates shuffle: the first k of the pool. */
    for (size_t i = 0; i < k; i++) {
        size_t j = i + mb_det_rng_below(state, m - i);
        size_t t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        out[i] = pool[i];
    }
    return true;
}

bool mb_det_fresh_draw(uint64_t *state, const size_t *len, size_t n_sessions, size_t n,
                       size_t *session_out, size_t *round_out)
{
    if (n == 0 || !mb_det_pick_sessions(state, n_sessions, n_sessions, n, session_out))
        return false;
    for (size_t k = 0; k < n; k++) {
        size_t rounds = len[session_out[k]];
        if (rounds == 0)
            return false;
        round_out[k] = mb_det_rng_below(state, rounds);
    }
    return true;
}

void mb_det_tally_add(mb_det_tally *t, mb_verdict v)
{
    if (v == MB_VERDICT_NOT_COMPARABLE) {
        t->not_comparable++;
        return;
    }
    t->trials++;
    t->alarms += v == MB_VERDICT_REGRESSION;
    t->inconclusive += v == MB_VERDICT_INCONCLUSIVE;
}

double mb_det_rate(const mb_det_tally *t)
{
    return t->trials ? (double)t->alarms / (double)t->trials : NAN;
}

double mb_det_inconclusive_rate(const mb_det_tally *t)
{
    return t->trials ? (double)t->inconclusive / (double)t->trials : NAN;
}

double mb_det_upper95(const mb_det_tally *t)
{
    return t->trials ? mb_stats_clopper_pearson_upper(t->alarms, t->trials, 0.95) : NAN;
}

double mb_det_paired_change(const double *a, const double *b, size_t n)
{
    double *r = mb_calloc(n + 1, sizeof *r);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] > 0 && b[i] > 0)
            r[m++] = b[i] / a[i];
    double change = m > 0 ? mb_stats_median(r, m) - 1 : NAN;
    free(r);
    return change;
}

void mb_det_offset_split(const double *values, size_t n_groups, size_t per_group,
                         double *within, double *offset)
{
    *within = *offset = NAN;
    if (n_groups < 2 || per_group < 2)
        return;
    size_t n = n_groups * per_group;
    for (size_t i = 0; i < n; i++)
        if (!(values[i] > 0))
            return;
    double grand = 0;
    for (size_t i = 0; i < n; i++)
        grand += log(values[i]);
    grand /= (double)n;
    double ss_within = 0, ss_between = 0;
    for (size_t g = 0; g < n_groups; g++) {
        const double *v = &values[g * per_group];
        double mean = 0;
        for (size_t k = 0; k < per_group; k++)
            mean += log(v[k]);
        mean /= (double)per_group;
        for (size_t k = 0; k < per_group; k++)
            ss_within += (log(v[k]) - mean) * (log(v[k]) - mean);
        ss_between += (double)per_group * (mean - grand) * (mean - grand);
    }
    double ms_within = ss_within / (double)(n - n_groups);
    double ms_between = ss_between / (double)(n_groups - 1);
    double component = (ms_between - ms_within) / (double)per_group;
    *within = sqrt(ms_within);
    *offset = component > 0 ? sqrt(component) : 0;
}

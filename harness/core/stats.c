#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mb_error.h"
#include "mb_util.h"

/* The bootstrap's seed: any constant works, a fixed one makes every report
 * reproducible from its samples. */
#define MB_STATS_SEED UINT64_C(0x6d707362656e6368)

/* MB_PI and MB_LN2 are XSI extensions, not C11 or base POSIX. */
#define MB_PI 3.14159265358979323846
#define MB_LN2 0.69314718055994530942

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static double *sorted_copy(const double *x, size_t n)
{
    double *s = mb_calloc(n, sizeof *s);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    return s;
}

static bool all_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return false;
    }
    return true;
}

static bool all_positive(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0.0))
            return false;
    }
    return true;
}

/* numpy's "linear" method on an already sorted array. */
static double sorted_percentile(const double *s, size_t n, double p)
{
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return s[n - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

static double sorted_median(const double *s, size_t n)
{
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double mb_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

double mb_stats_stddev(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    if (n == 1)
        return 0.0;
    /* Two passes: the deviations from the mean are small next to the values
     * themselves (times of a few percent noise), where the one-pass formula
     * would cancel catastrophically. */
    double mean = mb_stats_mean(x, n);
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

double mb_stats_cv(const double *x, size_t n)
{
    double mean = mb_stats_mean(x, n);
    if (n == 0 || mean == 0.0)
        return NAN;
    return mb_stats_stddev(x, n) / fabs(mean);
}

double mb_stats_min(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double m = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < m)
            m = x[i];
    }
    return m;
}

double mb_stats_max(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double m = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] > m)
            m = x[i];
    }
    return m;
}

double mb_stats_median(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double *s = sorted_copy(x, n);
    double m = sorted_median(s, n);
    free(s);
    return m;
}

double mb_stats_percentile(const double *x, size_t n, double p)
{
    if (n == 0 || !(p >= 0.0 && p <= 100.0))
        return NAN;
    double *s = sorted_copy(x, n);
    double v = sorted_percentile(s, n, p);
    free(s);
    return v;
}

double mb_stats_normal_quantile(double p)
{
    if (!(p > 0.0 && p < 1.0))
        return NAN;
    /* Acklam's rational approximation (relative error 1.2e-9), then one
     * Halley step against erfc, which brings it to double precision. */
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    const double p_low = 0.02425;
    double x;
    if (p < p_low) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - p_low) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
        double q = sqrt(-2.0 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2.0 * MB_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

static double normal_sf(double z)
{
    return 0.5 * erfc(z / sqrt(2.0));
}

/* P(U = k) for k = 0..m*n, U the Mann-Whitney statistic of a sample of m
 * against one of n under the null hypothesis, without ties.  The recursion
 * looks at the largest of the m + n values: it belongs to the first sample
 * with probability m / (m + n) and then beats all n others, so
 *   P_{m,n}(k) = m/(m+n) P_{m-1,n}(k - n) + n/(m+n) P_{m,n-1}(k).
 * Working in probabilities rather than counts keeps every term positive and
 * every number in range: counts reach C(100, 50) ~ 1e29 and their
 * differences would lose the small tails.  Two rows of the (m, n) table are
 * kept; row i holds the distributions for (i, 0..n) back to back. */
static double *mwu_exact_pmf(size_t m, size_t n)
{
    size_t row_len = m * n * (n + 1) / 2 + n + 1;
    double *prev = mb_calloc(row_len, sizeof *prev);
    double *cur = mb_calloc(row_len, sizeof *cur);
    size_t *off = mb_calloc(n + 2, sizeof *off);

    /* Row 0: with an empty first sample U is 0 for sure. */
    for (size_t j = 0; j <= n; j++)
        prev[j] = 1.0;
    for (size_t i = 1; i <= m; i++) {
        off[0] = 0;
        for (size_t j = 0; j <= n; j++)
            off[j + 1] = off[j] + i * j + 1;
        size_t prev_off_j = 0;  /* offset of (i-1, j) in prev */
        cur[0] = 1.0;
        for (size_t j = 1; j <= n; j++) {
            prev_off_j += (i - 1) * (j - 1) + 1;
            const double *up = prev + prev_off_j;       /* (i-1, j), length (i-1)j+1 */
            const double *left = cur + off[j - 1];      /* (i, j-1), length i(j-1)+1 */
            double *out = cur + off[j];
            double wa = (double)i / (double)(i + j), wb = (double)j / (double)(i + j);
            for (size_t k = 0; k <= i * j; k++) {
                double v = 0.0;
                if (k >= j && k - j <= (i - 1) * j)
                    v += wa * up[k - j];
                if (k <= i * (j - 1))
                    v += wb * left[k];
                out[k] = v;
            }
        }
        double *t = prev;
        prev = cur;
        cur = t;
    }

    size_t len = m * n + 1;
    double *pmf = mb_calloc(len, sizeof *pmf);
    /* After the last swap prev holds row m; (m, n) is its last block. */
    size_t last = m == 0 ? n : m * n * (n - 1) / 2 + n;
    memcpy(pmf, prev + last, len * sizeof *pmf);
    free(prev);
    free(cur);
    free(off);
    return pmf;
}

typedef struct mb_rank_item {
    double v;
    int from_a;
} mb_rank_item;

static int cmp_rank_item(const void *pa, const void *pb)
{
    const mb_rank_item *a = pa, *b = pb;
    return (a->v > b->v) - (a->v < b->v);
}

int mb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          mb_stats_mwu *out)
{
    if (na == 0 || nb == 0 || out == NULL || !all_finite(a, na) || !all_finite(b, nb))
        return MB_EINVAL;
    size_t n = na + nb;
    mb_rank_item *items = mb_calloc(n, sizeof *items);
    for (size_t i = 0; i < na; i++)
        items[i] = (mb_rank_item){a[i], 1};
    for (size_t j = 0; j < nb; j++)
        items[na + j] = (mb_rank_item){b[j], 0};
    qsort(items, n, sizeof *items, cmp_rank_item);

    /* Ranks are 1-based; a group of t tied values shares their average rank. */
    double rank_sum_a = 0.0, tie_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && items[j].v == items[i].v)
            j++;
        double t = (double)(j - i);
        double avg_rank = 0.5 * ((double)(i + 1) + (double)j);
        for (size_t k = i; k < j; k++) {
            if (items[k].from_a)
                rank_sum_a += avg_rank;
        }
        tie_term += t * t * t - t;
        i = j;
    }
    free(items);

    double dna = (double)na, dnb = (double)nb, dn = (double)n;
    double u = rank_sum_a - dna * (dna + 1.0) / 2.0;
    out->u = u;
    out->z = 0.0;

    if (tie_term == 0.0 && na <= MB_STATS_MWU_EXACT_MAX && nb <= MB_STATS_MWU_EXACT_MAX) {
        double *pmf = mwu_exact_pmf(na, nb);
        size_t k_u = (size_t)llround(u), len = na * nb + 1;
        double lower = 0.0, upper = 0.0;
        for (size_t k = 0; k <= k_u; k++)
            lower += pmf[k];
        for (size_t k = k_u; k < len; k++)
            upper += pmf[k];
        free(pmf);
        double p = 2.0 * (lower < upper ? lower : upper);
        out->p_value = p < 1.0 ? p : 1.0;
        out->exact = true;
        return 0;
    }

    out->exact = false;
    double mu = dna * dnb / 2.0;
    double var = dna * dnb / 12.0 * ((dn + 1.0) - tie_term / (dn * (dn - 1.0)));
    if (!(var > 0.0)) {
        out->p_value = 1.0;
        return 0;
    }
    double dev = fabs(u - mu) - 0.5;
    double z = (dev > 0.0 ? dev : 0.0) / sqrt(var);
    out->z = u < mu ? -z : z;
    double p = 2.0 * normal_sf(z);
    out->p_value = p < 1.0 ? p : 1.0;
    return 0;
}

/* splitmix64: tiny, fast and statistically sound for resampling indices. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A uniform index below n; the bias of the 53-bit float scaling is far
 * below anything a bootstrap could notice. */
static size_t random_index(uint64_t *state, size_t n)
{
    double u = (double)(splitmix64(state) >> 11) * 0x1.0p-53;
    size_t i = (size_t)(u * (double)n);
    return i < n ? i : n - 1;
}

static double resampled_median(const double *x, size_t n, double *buf, uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = x[random_index(state, n)];
    qsort(buf, n, sizeof *buf, cmp_double);
    return sorted_median(buf, n);
}

int mb_stats_median_change(const double *a, size_t na, const double *b, size_t nb,
                           double confidence, double *change, double *lo, double *hi)
{
    if (na == 0 || nb == 0 || !(confidence > 0.0 && confidence < 1.0) || !all_finite(a, na) ||
        !all_finite(b, nb) || !all_positive(a, na))
        return MB_EINVAL;
    double point = mb_stats_median(b, nb) / mb_stats_median(a, na) - 1.0;

    double *buf = mb_calloc(na > nb ? na : nb, sizeof *buf);
    double *changes = mb_calloc(MB_STATS_BOOTSTRAP_RESAMPLES, sizeof *changes);
    uint64_t state = MB_STATS_SEED;
    for (size_t r = 0; r < MB_STATS_BOOTSTRAP_RESAMPLES; r++) {
        double ma = resampled_median(a, na, buf, &state);
        double mb = resampled_median(b, nb, buf, &state);
        changes[r] = mb / ma - 1.0;
    }
    qsort(changes, MB_STATS_BOOTSTRAP_RESAMPLES, sizeof *changes, cmp_double);
    double tail = 100.0 * (1.0 - confidence) / 2.0;
    if (change != NULL)
        *change = point;
    if (lo != NULL)
        *lo = sorted_percentile(changes, MB_STATS_BOOTSTRAP_RESAMPLES, tail);
    if (hi != NULL)
        *hi = sorted_percentile(changes, MB_STATS_BOOTSTRAP_RESAMPLES, 100.0 - tail);
    free(changes);
    free(buf);
    return 0;
}

int mb_stats_hl_change(const double *a, size_t na, const double *b, size_t nb,
                       double confidence, double *change, double *lo, double *hi,
                       double *coverage)
{
    if (na == 0 || nb == 0 || !(confidence > 0.0 && confidence < 1.0) || !all_finite(a, na) ||
        !all_finite(b, nb) || !all_positive(a, na) || !all_positive(b, nb))
        return MB_EINVAL;
    size_t mn = na * nb;
    double *diff = mb_calloc(mn, sizeof *diff);
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nb; j++)
            diff[i * nb + j] = log(b[j]) - log(a[i]);
    }
    qsort(diff, mn, sizeof *diff, cmp_double);

    /* k is the 1-based order statistic of the lower bound: the largest k with
     * P(U <= k - 1) <= alpha / 2, or 1 when even k = 1 is too wide a tail. */
    double half_alpha = (1.0 - confidence) / 2.0;
    size_t k = 1;
    double achieved;
    if (na <= MB_STATS_MWU_EXACT_MAX && nb <= MB_STATS_MWU_EXACT_MAX) {
        double *pmf = mwu_exact_pmf(na, nb);
        double cdf = pmf[0];  /* P(U <= k - 1) for the current k */
        while (k < (mn + 1) / 2 && cdf + pmf[k] <= half_alpha) {
            cdf += pmf[k];
            k++;
        }
        free(pmf);
        achieved = 1.0 - 2.0 * cdf;
    } else {
        double mu = (double)mn / 2.0;
        double sd = sqrt((double)mn * (double)(na + nb + 1) / 12.0);
        double kf = floor(mu - mb_stats_normal_quantile(1.0 - half_alpha) * sd);
        k = kf < 1.0 ? 1 : (size_t)kf;
        achieved = 1.0 - 2.0 * (1.0 - normal_sf(((double)k - 0.5 - mu) / sd));
    }

    double est = sorted_median(diff, mn);
    if (change != NULL)
        *change = exp(est) - 1.0;
    if (lo != NULL)
        *lo = exp(diff[k - 1]) - 1.0;
    if (hi != NULL)
        *hi = exp(diff[mn - k]) - 1.0;
    if (coverage != NULL)
        *coverage = achieved;
    free(diff);
    return 0;
}

/* P(Bin(n, 1/2) <= j), summed in log space so that large n cannot underflow
 * the individual terms to zero before they add up. */
static double binom_half_cdf(size_t n, size_t j)
{
    double sum = 0.0;
    double lfn = lgamma((double)n + 1.0);
    for (size_t i = 0; i <= j && i <= n; i++)
        sum += exp(lfn - lgamma((double)i + 1.0) - lgamma((double)(n - i) + 1.0) -
                   (double)n * MB_LN2);
    return sum < 1.0 ? sum : 1.0;
}

int mb_stats_median_ci(const double *x, size_t n, double confidence, double *lo, double *hi,
                       double *coverage)
{
    if (n == 0 || !(confidence > 0.0 && confidence < 1.0) || !all_finite(x, n))
        return MB_EINVAL;
    double half_alpha = (1.0 - confidence) / 2.0;
    /* The largest k <= (n + 1) / 2 with P(Bin < k) <= alpha / 2; the tail
     * only grows with k, so the search stops at the first k that fails. */
    size_t k = 1;
    while (k < (n + 1) / 2 && binom_half_cdf(n, k) <= half_alpha)
        k++;
    double *s = sorted_copy(x, n);
    if (lo != NULL)
        *lo = s[k - 1];
    if (hi != NULL)
        *hi = s[n - k];
    if (coverage != NULL)
        *coverage = 1.0 - 2.0 * binom_half_cdf(n, k - 1);
    free(s);
    return 0;
}

double mb_stats_median_rel_halfwidth(const double *x, size_t n, double confidence)
{
    double lo, hi, cov;
    if (mb_stats_median_ci(x, n, confidence, &lo, &hi, &cov) != 0)
        return NAN;
    if (cov < confidence)
        return INFINITY;
    double med = mb_stats_median(x, n);
    if (med == 0.0)
        return NAN;
    return (hi - lo) / 2.0 / fabs(med);
}

double mb_stats_pooled_cv(const double *a, size_t na, const double *b, size_t nb)
{
    if (na + nb <= 2 || na == 0 || nb == 0)
        return NAN;
    double cva = na > 1 ? mb_stats_cv(a, na) : 0.0;
    double cvb = nb > 1 ? mb_stats_cv(b, nb) : 0.0;
    if (isnan(cva) || isnan(cvb))
        return NAN;
    return sqrt(((double)(na - 1) * cva * cva + (double)(nb - 1) * cvb * cvb) /
                (double)(na + nb - 2));
}

double mb_stats_mde(double cv, size_t na, size_t nb, double alpha, double power)
{
    if (!(cv >= 0.0) || !(alpha > 0.0 && alpha < 1.0) || !(power > 0.0 && power < 1.0) ||
        na == 0 || nb == 0)
        return NAN;
    /* log C(na + nb, na): the smallest exact two-sided p is 2 / C. */
    double log_choose = lgamma((double)(na + nb) + 1.0) - lgamma((double)na + 1.0) -
                        lgamma((double)nb + 1.0);
    if (MB_LN2 - log_choose > log(alpha))
        return INFINITY;
    double z = mb_stats_normal_quantile(1.0 - alpha / 2.0) + mb_stats_normal_quantile(power);
    double are = 3.0 / MB_PI;
    return z * cv * sqrt(1.0 / (double)na + 1.0 / (double)nb) / sqrt(are);
}

/* Ranks of |d| over the non-zero differences, doubled so that average ranks
 * of ties stay integers: a group occupying 1-based ranks i+1..j gets i+1+j. */
static void doubled_abs_ranks(const double *nz, size_t n, long *r2, bool *positive,
                              double *tie_term)
{
    mb_rank_item *items = mb_calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = (mb_rank_item){fabs(nz[i]), nz[i] > 0.0};
    qsort(items, n, sizeof *items, cmp_rank_item);
    *tie_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && items[j].v == items[i].v)
            j++;
        double t = (double)(j - i);
        *tie_term += t * t * t - t;
        for (size_t k = i; k < j; k++) {
            r2[k] = (long)(i + 1 + j);
            positive[k] = items[k].from_a != 0;
        }
        i = j;
    }
    free(items);
}

int mb_stats_wilcoxon(const double *d, size_t n, mb_stats_wsr *out)
{
    if (n == 0 || out == NULL || !all_finite(d, n))
        return MB_EINVAL;
    memset(out, 0, sizeof *out);
    double *nz = mb_calloc(n, sizeof *nz);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] != 0.0)
            nz[m++] = d[i];
    }
    out->n = m;
    out->n_zero = n - m;
    out->p_value = 1.0;
    if (m == 0) {
        free(nz);
        return 0;
    }
    long *r2 = mb_calloc(m, sizeof *r2);
    bool *pos = mb_calloc(m, sizeof *pos);
    double tie_term;
    doubled_abs_ranks(nz, m, r2, pos, &tie_term);
    long w2 = 0, total2 = 0;
    for (size_t i = 0; i < m; i++) {
        total2 += r2[i];
        if (pos[i])
            w2 += r2[i];
    }
    out->w_plus = (double)w2 / 2.0;

    if (m <= MB_STATS_WSR_EXACT_MAX) {
        /* pmf[s] = P(the doubled ranks given a + sum to s), each rank's sign
         * an independent fair coin under the null hypothesis. */
        size_t len = (size_t)total2 + 1;
        double *pmf = mb_calloc(len, sizeof *pmf);
        pmf[0] = 1.0;
        long reach = 0;
        for (size_t i = 0; i < m; i++) {
            reach += r2[i];
            for (long s = reach; s >= 0; s--) {
                double with = s >= r2[i] ? pmf[s - r2[i]] : 0.0;
                pmf[s] = 0.5 * pmf[s] + 0.5 * with;
            }
        }
        double lower = 0.0, upper = 0.0;
        for (long s = 0; s <= total2; s++) {
            if (s <= w2)
                lower += pmf[s];
            if (s >= w2)
                upper += pmf[s];
        }
        free(pmf);
        double p = 2.0 * (lower < upper ? lower : upper);
        out->p_value = p < 1.0 ? p : 1.0;
        out->exact = true;
    } else {
        double dm = (double)m;
        double mu = dm * (dm + 1.0) / 4.0;
        double var = dm * (dm + 1.0) * (2.0 * dm + 1.0) / 24.0 - tie_term / 48.0;
        if (var > 0.0) {
            out->z = (out->w_plus - mu) / sqrt(var);
            double p = 2.0 * normal_sf(fabs(out->z));
            out->p_value = p < 1.0 ? p : 1.0;
        }
    }
    free(r2);
    free(pos);
    free(nz);
    return 0;
}

int mb_stats_median_bootstrap_ci(const double *x, size_t n, double confidence, double *lo,
                                 double *hi)
{
    if (n == 0 || !(confidence > 0.0 && confidence < 1.0) || !all_finite(x, n))
        return MB_EINVAL;
    double *buf = mb_calloc(n, sizeof *buf);
    double *meds = mb_calloc(MB_STATS_BOOTSTRAP_RESAMPLES, sizeof *meds);
    uint64_t state = MB_STATS_SEED;
    for (size_t r = 0; r < MB_STATS_BOOTSTRAP_RESAMPLES; r++)
        meds[r] = resampled_median(x, n, buf, &state);
    qsort(meds, MB_STATS_BOOTSTRAP_RESAMPLES, sizeof *meds, cmp_double);
    double tail = 100.0 * (1.0 - confidence) / 2.0;
    if (lo != NULL)
        *lo = sorted_percentile(meds, MB_STATS_BOOTSTRAP_RESAMPLES, tail);
    if (hi != NULL)
        *hi = sorted_percentile(meds, MB_STATS_BOOTSTRAP_RESAMPLES, 100.0 - tail);
    free(meds);
    free(buf);
    return 0;
}

double mb_stats_mde_paired(double sd_log, size_t n, double alpha, double power)
{
    if (!(sd_log >= 0.0) || !(alpha > 0.0 && alpha < 1.0) || !(power > 0.0 && power < 1.0) ||
        n < 2)
        return NAN;
    /* The smallest exact two-sided p of n rounds is 2 / 2^n. */
    if ((1.0 - (double)n) * MB_LN2 >= log(alpha))
        return INFINITY;
    double df = (double)(n - 1);
    double t = mb_stats_t_quantile(1.0 - alpha / 2.0, df) + mb_stats_t_quantile(power, df);
    return expm1(t * sd_log / sqrt((double)n) / sqrt(3.0 / MB_PI));
}

/* One step of Lentz's method for a continued fraction: folds the partial
 * numerator aa into c and d (kept away from 0) and returns the factor the
 * step multiplies the fraction by. */
static double lentz_step(double aa, double *c, double *d, double tiny)
{
    *d = 1.0 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1.0 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1.0 / *d;
    return *d * *c;
}

/* The continued fraction of I_x(a, b) (Numerical Recipes' betacf), by the
 * modified Lentz method; it converges fast for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 1000; m++) {
        double dm = (double)m, m2 = 2.0 * dm;
        double aa = dm * (b - dm) * x / ((qam + m2) * (a + m2));
        h *= lentz_step(aa, &c, &d, tiny);
        aa = -(a + dm) * (qab + dm) * x / ((a + m2) * (qap + m2));
        double del = lentz_step(aa, &c, &d, tiny);
        h *= del;
        if (fabs(del - 1.0) < eps)
            break;
    }
    return h;
}

double mb_stats_beta_inc(double a, double b, double x)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || !isfinite(a) || !isfinite(b))
        return NAN;
    if (x == 0.0 || x == 1.0)
        return x;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double front = exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double mb_stats_beta_quantile(double p, double a, double b)
{
    if (!(p >= 0.0 && p <= 1.0) || !(a > 0.0) || !(b > 0.0))
        return NAN;
    double lo = 0.0, hi = 1.0;
    /* I_x is increasing in x; 200 halvings reach the double spacing. */
    for (int i = 0; i < 200 && hi - lo > 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (mb_stats_beta_inc(a, b, mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double mb_stats_t_cdf(double t, double df)
{
    if (!(df > 0.0) || isnan(t))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1.0 : 0.0;
    double tail = 0.5 * mb_stats_beta_inc(df / 2.0, 0.5, df / (df + t * t));
    return t > 0.0 ? 1.0 - tail : tail;
}

/* P(T > t) for t >= 0, computed directly so that upper quantiles keep their
 * precision. */
static double t_sf(double t, double df)
{
    return 0.5 * mb_stats_beta_inc(df / 2.0, 0.5, df / (df + t * t));
}

double mb_stats_t_quantile(double p, double df)
{
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
        return NAN;
    if (p == 0.5)
        return 0.0;
    double q = p > 0.5 ? 1.0 - p : p;  /* the upper tail to reach */
    double lo = 0.0, hi = 1.0;
    while (t_sf(hi, df) > q && hi < 1e300)
        hi *= 2.0;
    for (int i = 0; i < 300 && hi - lo > 1e-14 * (1.0 + hi); i++) {
        double mid = 0.5 * (lo + hi);
        if (t_sf(mid, df) > q)
            lo = mid;
        else
            hi = mid;
    }
    double t = 0.5 * (lo + hi);
    return p > 0.5 ? t : -t;
}

double mb_stats_clopper_pearson_upper(size_t k, size_t n, double confidence)
{
    if (n == 0 || k > n || !(confidence > 0.0 && confidence < 1.0))
        return NAN;
    if (k == n)
        return 1.0;
    return mb_stats_beta_quantile(1.0 - (1.0 - confidence) / 2.0, (double)k + 1.0,
                                  (double)(n - k));
}

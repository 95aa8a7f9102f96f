/* Tests of stats.c against values published in tables, computed by hand, or
 * given by numpy and scipy for the same inputs (their formulas are the ones
 * stats.h names, so the expected values below follow from them directly). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>
#include <string.h>

#include "mb_error.h"
#include "stats.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka 1.1's assert_float_equal converts to float, which would make every
 * tolerance below 1e-7 meaningless; this one compares doubles. */
static void check_close(double actual, double expected, double eps, const char *file, int line)
{
    if (!(fabs(actual - expected) <= eps))
        fail_msg("%s:%d: %.17g != %.17g (tolerance %g)", file, line, actual, expected, eps);
}
#define assert_close(actual, expected, eps) \
    check_close((actual), (expected), (eps), __FILE__, __LINE__)

/* Deterministic noise for synthetic samples: a 64-bit LCG mapped to a
 * roughly normal value by summing twelve uniforms (Irwin-Hall). */
static double test_noise(uint64_t *state)
{
    double sum = 0.0;
    for (int i = 0; i < 12; i++) {
        *state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        sum += (double)(*state >> 11) * 0x1.0p-53;
    }
    return sum - 6.0;
}

static void fill_noisy(double *x, size_t n, double center, double cv, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        x[i] = center * (1.0 + cv * test_noise(&state));
}

static void test_descriptive(void **state)
{
    (void)state;
    const double x[] = {3, 1, 4, 1, 5, 9, 2, 6};
    double copy[N_OF(x)];
    memcpy(copy, x, sizeof x);

    assert_close(mb_stats_mean(x, N_OF(x)), 3.875, 1e-12);
    assert_close(mb_stats_stddev(x, N_OF(x)), 2.748376143938713, 1e-12);
    assert_close(mb_stats_cv(x, N_OF(x)), 2.748376143938713 / 3.875, 1e-12);
    assert_close(mb_stats_median(x, N_OF(x)), 3.5, 1e-12);
    assert_close(mb_stats_min(x, N_OF(x)), 1.0, 0.0);
    assert_close(mb_stats_max(x, N_OF(x)), 9.0, 0.0);
    /* numpy.percentile(x, [0, 25, 50, 90, 100]) = [1, 1.75, 3.5, 6.9, 9]. */
    assert_close(mb_stats_percentile(x, N_OF(x), 0.0), 1.0, 1e-12);
    assert_close(mb_stats_percentile(x, N_OF(x), 25.0), 1.75, 1e-12);
    assert_close(mb_stats_percentile(x, N_OF(x), 50.0), 3.5, 1e-12);
    assert_close(mb_stats_percentile(x, N_OF(x), 90.0), 6.9, 1e-12);
    assert_close(mb_stats_percentile(x, N_OF(x), 100.0), 9.0, 1e-12);
    assert_memory_equal(x, copy, sizeof x);

    const double y[] = {2.5, 7.25, 1.0, 8.0, 3.5};
    assert_close(mb_stats_median(y, N_OF(y)), 3.5, 1e-12);
    assert_close(mb_stats_mean(y, N_OF(y)), 4.45, 1e-12);
    assert_close(mb_stats_stddev(y, N_OF(y)), 3.04343555870664, 1e-12);
    /* numpy.percentile(y, 10) = 1.6: rank 0.4 between 1.0 and 2.5. */
    assert_close(mb_stats_percentile(y, N_OF(y), 10.0), 1.6, 1e-12);

    const double one[] = {42.0};
    assert_close(mb_stats_median(one, 1), 42.0, 0.0);
    assert_close(mb_stats_percentile(one, 1, 75.0), 42.0, 0.0);
    assert_close(mb_stats_stddev(one, 1), 0.0, 0.0);

    assert_true(isnan(mb_stats_mean(x, 0)));
    assert_true(isnan(mb_stats_median(x, 0)));
    assert_true(isnan(mb_stats_percentile(x, N_OF(x), 100.5)));
    assert_true(isnan(mb_stats_percentile(x, N_OF(x), -1.0)));
}

static void test_normal_quantile(void **state)
{
    (void)state;
    assert_close(mb_stats_normal_quantile(0.5), 0.0, 1e-15);
    assert_close(mb_stats_normal_quantile(0.975), 1.9599639845400536, 1e-13);
    assert_close(mb_stats_normal_quantile(0.8), 0.8416212335729144, 1e-13);
    assert_close(mb_stats_normal_quantile(0.999), 3.090232306167813, 1e-12);
    assert_close(mb_stats_normal_quantile(1e-10), -6.361340902404056, 1e-10);
    assert_true(isnan(mb_stats_normal_quantile(0.0)));
    assert_true(isnan(mb_stats_normal_quantile(1.0)));
}

static void test_mwu_exact_tables(void **state)
{
    (void)state;
    mb_stats_mwu r;

    /* Completely separated samples of 5 and 5: U = 0, one arrangement of
     * C(10, 5) = 252 is this extreme on each side, p = 2/252 = 0.00794. */
    const double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
    assert_int_equal(mb_stats_mann_whitney(a5, 5, b5, 5, &r), 0);
    assert_true(r.exact);
    assert_close(r.u, 0.0, 0.0);
    assert_close(r.p_value, 2.0 / 252.0, 1e-12);
    /* Swapping the samples mirrors U and keeps p. */
    assert_int_equal(mb_stats_mann_whitney(b5, 5, a5, 5, &r), 0);
    assert_close(r.u, 25.0, 0.0);
    assert_close(r.p_value, 2.0 / 252.0, 1e-12);

    /* Separated samples of 3 and 3: p = 2 / C(6, 3) = 0.1, the smallest p
     * this design can reach. */
    const double a3[] = {0.5, 0.7, 0.9}, b3[] = {1.5, 1.2, 1.9};
    assert_int_equal(mb_stats_mann_whitney(a3, 3, b3, 3, &r), 0);
    assert_close(r.p_value, 0.1, 1e-12);

    /* The two-sided 5% critical value for 5 and 5 in the published tables is
     * U = 2.  The counts of arrangements with U = 0, 1, 2, 3 are 1, 1, 2, 3,
     * so U = 1 gives p = 2 * 2/252, U = 2 gives 2 * 4/252 = 0.0317 and U = 3
     * gives 2 * 7/252 = 0.0556, just above 5%. */
    const double b5u1[] = {4.5, 5.5, 6, 7, 8};   /* only 5 > 4.5 */
    assert_int_equal(mb_stats_mann_whitney(a5, 5, b5u1, 5, &r), 0);
    assert_close(r.u, 1.0, 0.0);
    assert_close(r.p_value, 4.0 / 252.0, 1e-12);
    const double b5u2[] = {3.5, 5.5, 6, 7, 8};   /* 4 and 5 > 3.5 */
    assert_int_equal(mb_stats_mann_whitney(a5, 5, b5u2, 5, &r), 0);
    assert_close(r.u, 2.0, 0.0);
    assert_close(r.p_value, 8.0 / 252.0, 1e-12);
    const double b5u3[] = {2.5, 5.5, 6, 7, 8};   /* 3, 4 and 5 > 2.5 */
    assert_int_equal(mb_stats_mann_whitney(a5, 5, b5u3, 5, &r), 0);
    assert_close(r.u, 3.0, 0.0);
    assert_close(r.p_value, 14.0 / 252.0, 1e-12);
}

static void test_mwu_exact_scipy(void **state)
{
    (void)state;
    mb_stats_mwu r;
    /* scipy.stats.mannwhitneyu(a, b, method="exact"): U = 3, and 7 of the
     * C(9, 4) = 126 arrangements give U <= 3, so p = 14/126 = 0.1111. */
    const double a[] = {1.1, 2.2, 3.3, 4.4}, b[] = {2.5, 3.6, 5.0, 6.1, 7.2};
    assert_int_equal(mb_stats_mann_whitney(a, N_OF(a), b, N_OF(b), &r), 0);
    assert_true(r.exact);
    assert_close(r.u, 3.0, 0.0);
    assert_close(r.p_value, 14.0 / 126.0, 1e-12);

    /* Interleaved 6 against 7 (scipy: U = 15, p = 0.44522144522144524). */
    const double c[] = {1, 3, 5, 7, 9, 11}, d[] = {2, 4, 6, 8, 10, 12, 14};
    assert_int_equal(mb_stats_mann_whitney(c, N_OF(c), d, N_OF(d), &r), 0);
    assert_close(r.u, 15.0, 0.0);
    assert_close(r.p_value, 0.44522144522144524, 1e-12);

    /* Identical positions on both sides of the median give p = 1. */
    const double e[] = {1, 4}, f[] = {2, 3};
    assert_int_equal(mb_stats_mann_whitney(e, 2, f, 2, &r), 0);
    assert_close(r.p_value, 1.0, 1e-12);
}

static void test_mwu_normal(void **state)
{
    (void)state;
    mb_stats_mwu r;
    /* Ties force the normal approximation.  scipy (method="asymptotic"):
     * U = 3, mu = 10, tie-corrected sigma = sqrt(20/12 * (10 - 36/72)),
     * z = (7 - 0.5) / sigma = 1.6480507967, p = 0.0993422479. */
    const double a[] = {1, 2, 2, 3}, b[] = {2, 3, 3, 4, 5};
    assert_int_equal(mb_stats_mann_whitney(a, N_OF(a), b, N_OF(b), &r), 0);
    assert_false(r.exact);
    assert_close(r.u, 3.0, 0.0);
    assert_close(r.z, -1.6480507967206073, 1e-9);
    assert_close(r.p_value, 0.09934224785346527, 1e-9);

    /* 60 against 60, beyond the exact limit: U = 1 + ... + 49 = 1225,
     * z = (575 - 0.5) / sqrt(3600 * 121 / 12) = 3.0153429968, p = 0.0025669. */
    double big_a[60], big_b[60];
    for (int i = 0; i < 60; i++) {
        big_a[i] = i;
        big_b[i] = i + 10.5;
    }
    assert_int_equal(mb_stats_mann_whitney(big_a, 60, big_b, 60, &r), 0);
    assert_false(r.exact);
    assert_close(r.u, 1225.0, 0.0);
    assert_close(r.z, -3.015342996813091, 1e-9);
    assert_close(r.p_value, 0.0025668879435241797, 1e-9);

    /* All values tied: nothing to tell the samples apart. */
    const double t[] = {7, 7, 7};
    assert_int_equal(mb_stats_mann_whitney(t, 3, t, 3, &r), 0);
    assert_close(r.p_value, 1.0, 0.0);
}

static void test_mwu_exact_matches_normal_for_moderate_n(void **state)
{
    (void)state;
    /* At 20 against 20 the exact and approximate p-values agree closely;
     * this checks the exact recursion on a case too big to enumerate. */
    double a[20], b[20];
    fill_noisy(a, 20, 100.0, 0.02, 1);
    fill_noisy(b, 20, 101.5, 0.02, 2);
    mb_stats_mwu exact;
    assert_int_equal(mb_stats_mann_whitney(a, 20, b, 20, &exact), 0);
    assert_true(exact.exact);
    double mu = 200.0, sigma = sqrt(400.0 * 41.0 / 12.0);
    double z = (fabs(exact.u - mu) - 0.5) / sigma;
    double p_normal = erfc(z / sqrt(2.0));
    assert_true(exact.p_value < 0.2);
    assert_close(exact.p_value, p_normal, 0.01);

    /* The largest exact case stays a proper distribution: identical
     * interleaving gives p = 1 and separation gives 2 / C(100, 50). */
    double c[50], d[50];
    for (int i = 0; i < 50; i++) {
        c[i] = 2 * i;
        d[i] = 2 * i + 1;
    }
    mb_stats_mwu r;
    assert_int_equal(mb_stats_mann_whitney(c, 50, d, 50, &r), 0);
    assert_true(r.exact);
    assert_true(r.p_value > 0.8);
    for (int i = 0; i < 50; i++)
        d[i] = 1000.0 + i;
    assert_int_equal(mb_stats_mann_whitney(c, 50, d, 50, &r), 0);
    double log_choose = lgamma(101.0) - 2.0 * lgamma(51.0);
    assert_close(log(r.p_value), log(2.0) - log_choose, 1e-6);
}

static void test_mwu_errors(void **state)
{
    (void)state;
    mb_stats_mwu r;
    const double a[] = {1, 2}, bad[] = {1, NAN};
    assert_int_equal(mb_stats_mann_whitney(a, 0, a, 2, &r), MB_EINVAL);
    assert_int_equal(mb_stats_mann_whitney(a, 2, bad, 2, &r), MB_EINVAL);
    assert_int_equal(mb_stats_mann_whitney(a, 2, a, 2, NULL), MB_EINVAL);
}

static void test_median_change_bootstrap(void **state)
{
    (void)state;
    /* Current throughput 10% below the baseline, 3% noise, 10 repetitions. */
    double a[10], b[10];
    fill_noisy(a, 10, 1000.0, 0.03, 11);
    fill_noisy(b, 10, 900.0, 0.03, 12);
    double change, lo, hi;
    assert_int_equal(mb_stats_median_change(a, 10, b, 10, 0.95, &change, &lo, &hi), 0);
    assert_close(change, mb_stats_median(b, 10) / mb_stats_median(a, 10) - 1.0, 1e-12);
    assert_true(lo <= change && change <= hi);
    assert_true(lo < -0.1 && -0.1 < hi);
    assert_true(hi < 0.0);

    /* The generator's seed is fixed: the same samples, the same interval. */
    double change2, lo2, hi2;
    assert_int_equal(mb_stats_median_change(a, 10, b, 10, 0.95, &change2, &lo2, &hi2), 0);
    assert_close(lo, lo2, 0.0);
    assert_close(hi, hi2, 0.0);

    /* A higher confidence cannot give a narrower interval. */
    double lo99, hi99;
    assert_int_equal(mb_stats_median_change(a, 10, b, 10, 0.99, NULL, &lo99, &hi99), 0);
    assert_true(lo99 <= lo && hi <= hi99);

    /* Two samples from the same distribution: the interval covers zero. */
    double c[12];
    fill_noisy(c, 12, 1000.0, 0.03, 13);
    assert_int_equal(mb_stats_median_change(a, 10, c, 12, 0.95, &change, &lo, &hi), 0);
    assert_true(lo < 0.0 && 0.0 < hi);

    const double zero[] = {0.0, 1.0};
    assert_int_equal(mb_stats_median_change(zero, 2, b, 10, 0.95, &change, &lo, &hi),
                     MB_EINVAL);
    assert_int_equal(mb_stats_median_change(a, 10, b, 10, 1.0, &change, &lo, &hi), MB_EINVAL);
}

static void test_hl_change(void **state)
{
    (void)state;
    /* A pure multiplicative shift: b = 1.25 a exactly, so every pairwise
     * ratio b_j / a_i with j = i is 1.25 and the estimate is 0.25. */
    double a[8], b[8];
    fill_noisy(a, 8, 50.0, 0.05, 21);
    for (int i = 0; i < 8; i++)
        b[i] = 1.25 * a[i];
    double change, lo, hi, coverage;
    assert_int_equal(mb_stats_hl_change(a, 8, b, 8, 0.95, &change, &lo, &hi, &coverage), 0);
    assert_close(change, 0.25, 1e-9);
    assert_true(lo < 0.25 && 0.25 < hi);
    assert_true(coverage >= 0.95);

    /* 5 against 5 at 0.95: the exact critical value puts the bounds at the
     * 3rd and 23rd of the 25 ordered differences, coverage 1 - 8/252. */
    const double a5[] = {10, 11, 12, 13, 14}, b5[] = {10.5, 11.5, 12.5, 13.5, 14.5};
    assert_int_equal(mb_stats_hl_change(a5, 5, b5, 5, 0.95, &change, &lo, &hi, &coverage), 0);
    assert_close(coverage, 1.0 - 8.0 / 252.0, 1e-12);
    assert_true(lo < change && change < hi);

    /* 3 against 3 cannot reach 0.95: the widest interval, with its coverage. */
    const double a3[] = {1, 2, 3}, b3[] = {2, 3, 4};
    assert_int_equal(mb_stats_hl_change(a3, 3, b3, 3, 0.95, &change, &lo, &hi, &coverage), 0);
    assert_close(coverage, 0.9, 1e-12);
    assert_close(lo, 2.0 / 3.0 - 1.0, 1e-12);
    assert_close(hi, 4.0 / 1.0 - 1.0, 1e-12);

    /* Beyond the exact limit the normal critical value takes over and the
     * interval still covers the true change of -10%. */
    double big_a[80], big_b[80];
    fill_noisy(big_a, 80, 200.0, 0.04, 31);
    fill_noisy(big_b, 80, 180.0, 0.04, 32);
    assert_int_equal(mb_stats_hl_change(big_a, 80, big_b, 80, 0.95, &change, &lo, &hi, &coverage),
                     0);
    assert_true(lo < -0.1 && -0.1 < hi);
    assert_close(coverage, 0.95, 0.01);
}

static void test_median_ci(void **state)
{
    (void)state;
    /* n = 10 at 0.95: the textbook interval [x_(2), x_(9)], coverage
     * 1 - 2 * 11/1024. */
    const double x[] = {7, 3, 10, 1, 9, 5, 2, 8, 4, 6};
    double lo, hi, coverage;
    assert_int_equal(mb_stats_median_ci(x, 10, 0.95, &lo, &hi, &coverage), 0);
    assert_close(lo, 2.0, 0.0);
    assert_close(hi, 9.0, 0.0);
    assert_close(coverage, 1.0 - 22.0 / 1024.0, 1e-12);
    assert_close(mb_stats_median_rel_halfwidth(x, 10, 0.95), 3.5 / 5.5, 1e-12);

    /* n = 6 is the smallest sample for 0.95: [min, max], coverage 1 - 2/64. */
    assert_int_equal(mb_stats_median_ci(x, 6, 0.95, &lo, &hi, &coverage), 0);
    assert_close(lo, 1.0, 0.0);
    assert_close(hi, 10.0, 0.0);
    assert_close(coverage, 1.0 - 2.0 / 64.0, 1e-12);

    /* n = 5 cannot reach 0.95. */
    assert_int_equal(mb_stats_median_ci(x, 5, 0.95, &lo, &hi, &coverage), 0);
    assert_true(coverage < 0.95);
    assert_true(isinf(mb_stats_median_rel_halfwidth(x, 5, 0.95)));

    /* With more repetitions the relative half-width shrinks. */
    double y[200];
    fill_noisy(y, 200, 100.0, 0.02, 41);
    double w20 = mb_stats_median_rel_halfwidth(y, 20, 0.95);
    double w200 = mb_stats_median_rel_halfwidth(y, 200, 0.95);
    assert_true(w200 < w20);
    assert_true(w200 < 0.01);

    assert_int_equal(mb_stats_median_ci(x, 0, 0.95, &lo, &hi, NULL), MB_EINVAL);
    assert_true(isnan(mb_stats_median_rel_halfwidth(x, 10, 1.5)));
}

static void test_mde(void **state)
{
    (void)state;
    /* (1.959964 + 0.841621) * 0.02 * sqrt(2/5) / sqrt(3/pi) = 0.036264. */
    assert_close(mb_stats_mde(0.02, 5, 5, 0.05, 0.8), 0.03626420303814099, 1e-9);
    assert_close(mb_stats_mde(0.05, 5, 8, 0.05, 0.8), 0.08172027719865897, 1e-9);
    double m5 = mb_stats_mde(0.02, 5, 5, 0.05, 0.8);
    double m10 = mb_stats_mde(0.02, 10, 10, 0.05, 0.8);
    double m20 = mb_stats_mde(0.02, 20, 20, 0.05, 0.8);
    assert_true(m5 > m10 && m10 > m20);
    assert_close(m10, 0.025642663882595295, 1e-9);
    /* 3 against 3 can never be significant at 0.05 (smallest p is 0.1). */
    assert_true(isinf(mb_stats_mde(0.02, 3, 3, 0.05, 0.8)));
    assert_false(isinf(mb_stats_mde(0.02, 3, 3, 0.2, 0.8)));
    assert_true(isnan(mb_stats_mde(-0.1, 5, 5, 0.05, 0.8)));
    assert_true(isnan(mb_stats_mde(0.02, 0, 5, 0.05, 0.8)));

    /* The pooled CV of two samples with the same CV is that CV. */
    const double a[] = {90, 100, 110}, b[] = {180, 200, 220, 200};
    double cva = mb_stats_cv(a, 3), cvb = mb_stats_cv(b, 4);
    double pooled = mb_stats_pooled_cv(a, 3, b, 4);
    assert_close(pooled, sqrt((2 * cva * cva + 3 * cvb * cvb) / 5.0), 1e-12);
    assert_true(isnan(mb_stats_pooled_cv(a, 1, b, 1)));
}

/* Wilcoxon signed-rank against the classical table and against a brute-force
 * enumeration of all 2^n sign patterns (done in Python for these inputs). */
static void test_wilcoxon_exact(void **state)
{
    (void)state;
    mb_stats_wsr w;
    /* Eight rounds all in one direction: W+ = 36, P(W+ >= 36) = 1/256. */
    const double up[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    assert_int_equal(mb_stats_wilcoxon(up, 8, &w), 0);
    assert_true(w.exact);
    assert_close(w.w_plus, 36, 0);
    assert_close(w.p_value, 2.0 / 256.0, 1e-15);
    const double down[] = {-0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8};
    assert_int_equal(mb_stats_wilcoxon(down, 8, &w), 0);
    assert_close(w.w_plus, 0, 0);
    assert_close(w.p_value, 2.0 / 256.0, 1e-15);

    /* R's wilcox.test(x, y, paired = TRUE) example (Hollander & Wolfe's
     * depression scores): V = 40, p = 0.03906 = 10/256. */
    const double x[] = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    const double y[] = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    double d[9];
    for (size_t i = 0; i < 9; i++)
        d[i] = x[i] - y[i];
    assert_int_equal(mb_stats_wilcoxon(d, 9, &w), 0);
    assert_close(w.w_plus, 40, 0);
    assert_close(w.p_value, 10.0 / 256.0, 1e-15);

    /* Ties and zeros: the zeros are dropped (9 left), the tied |d| share
     * their average rank, and p is the exact permutation p of those ranks:
     * W+ = 37.5, p = 0.0859375 by enumeration. */
    const double tied[] = {1, -1, 2, 2, 3, -3, 3, 4, 5, -0.0, 0};
    assert_int_equal(mb_stats_wilcoxon(tied, N_OF(tied), &w), 0);
    assert_true(w.exact);
    assert_int_equal(w.n, 9);
    assert_int_equal(w.n_zero, 2);
    assert_close(w.w_plus, 37.5, 0);
    assert_close(w.p_value, 0.0859375, 1e-15);
    const double tied2[] = {0.5, 0.5, 0.5, -0.5, 1, 1, 2, -2, 3, 3};
    assert_int_equal(mb_stats_wilcoxon(tied2, N_OF(tied2), &w), 0);
    assert_close(w.w_plus, 45, 0);
    assert_close(w.p_value, 0.07421875, 1e-15);

    /* Symmetric differences: p = 1; all zeros: nothing to test, p = 1. */
    const double sym[] = {0.1, -0.1, 0.2, -0.2};
    assert_int_equal(mb_stats_wilcoxon(sym, 4, &w), 0);
    assert_close(w.p_value, 1.0, 1e-15);
    const double zeros[] = {0, 0, 0};
    assert_int_equal(mb_stats_wilcoxon(zeros, 3, &w), 0);
    assert_int_equal(w.n, 0);
    assert_close(w.p_value, 1.0, 0);

    const double bad[] = {0.1, NAN};
    assert_int_equal(mb_stats_wilcoxon(bad, 2, &w), MB_EINVAL);
    assert_int_equal(mb_stats_wilcoxon(up, 0, &w), MB_EINVAL);
}

/* Above MB_STATS_WSR_EXACT_MAX: the normal approximation with the tie
 * correction and no continuity correction, z and p from the same formula
 * evaluated independently (Python) on these inputs. */
static void test_wilcoxon_normal(void **state)
{
    (void)state;
    double d[40];
    for (int i = 0; i < 30; i++)
        d[i] = (double)(i % 7) - 2.5 + 0.1 * (double)(i % 3);
    mb_stats_wsr w;
    assert_int_equal(mb_stats_wilcoxon(d, 30, &w), 0);
    assert_false(w.exact);
    assert_close(w.w_plus, 297.5, 0);
    assert_close(w.z, 1.3375080193837912, 1e-12);
    assert_close(w.p_value, 0.1810568663670981, 1e-12);

    /* Heavier ties and four zeros (36 used). */
    for (int i = 0; i < 40; i++)
        d[i] = (double)((i * 37) % 11 - 4) * 0.5;
    assert_int_equal(mb_stats_wilcoxon(d, 40, &w), 0);
    assert_int_equal(w.n, 36);
    assert_close(w.w_plus, 436, 0);
    assert_close(w.z, 1.6248704775875158, 1e-12);
    assert_close(w.p_value, 0.10419015992193531, 1e-12);

    /* At n = 25 the exact and the approximate p agree to 1e-3 near 0.05,
     * which is why the exact table stops there: W+ = 18 + 23 + 24 + 25 = 90
     * has exact p 0.05158 (by enumeration) and approximate p 0.05109. */
    double e[25];
    for (int i = 0; i < 25; i++) {
        int rank = i + 1;
        e[i] = (rank == 18 || rank >= 23 ? 1.0 : -1.0) * (double)rank;
    }
    assert_int_equal(mb_stats_wilcoxon(e, 25, &w), 0);
    assert_true(w.exact);
    assert_close(w.w_plus, 90, 0);
    double exact_p = w.p_value;
    assert_close(exact_p, 0.05158, 1e-5);
    double n = 25, wp = w.w_plus;
    double z = (wp - n * (n + 1) / 4) / sqrt(n * (n + 1) * (2 * n + 1) / 24);
    assert_close(exact_p, erfc(fabs(z) / sqrt(2.0)), 1e-3);
}

static void test_beta_and_t(void **state)
{
    (void)state;
    /* Integer parameters: I_x(a, b) = P(Bin(a + b - 1, x) >= a). */
    assert_close(mb_stats_beta_inc(2, 3, 0.5), 11.0 / 16.0, 1e-14);
    assert_close(mb_stats_beta_inc(5, 10, 0.3), 0.4157988137806497, 1e-13);
    assert_close(mb_stats_beta_inc(20, 3, 0.9), 0.6200409384119036, 1e-13);
    /* Non-integer and large parameters, from mpmath.betainc. */
    assert_close(mb_stats_beta_inc(0.5, 0.5, 0.1), 0.204832764699133, 1e-13);
    assert_close(mb_stats_beta_inc(100, 200, 0.33), 0.456618163333997, 1e-12);
    assert_close(mb_stats_beta_inc(2, 3, 0), 0, 0);
    assert_close(mb_stats_beta_inc(2, 3, 1), 1, 0);
    assert_true(isnan(mb_stats_beta_inc(0, 3, 0.5)));
    assert_true(isnan(mb_stats_beta_inc(2, 3, 1.5)));
    assert_close(mb_stats_beta_quantile(11.0 / 16.0, 2, 3), 0.5, 1e-12);

    /* Student's t quantiles from tables. */
    assert_close(mb_stats_t_quantile(0.975, 1), 12.7062047361747, 1e-9);
    assert_close(mb_stats_t_quantile(0.975, 4), 2.77644510519779, 1e-11);
    assert_close(mb_stats_t_quantile(0.975, 9), 2.2621571627982, 1e-11);
    assert_close(mb_stats_t_quantile(0.8, 5), 0.919543780240826, 1e-11);
    assert_close(mb_stats_t_quantile(0.025, 3), -3.18244630528371, 1e-11);
    assert_close(mb_stats_t_quantile(0.5, 7), 0, 0);
    assert_close(mb_stats_t_cdf(2.77644510519779, 4), 0.975, 1e-12);
    assert_close(mb_stats_t_cdf(-2.2621571627982, 9), 0.025, 1e-12);
    /* Many degrees of freedom: the normal quantile. */
    assert_close(mb_stats_t_quantile(0.975, 1e7), 1.959963984540054, 1e-6);
    assert_true(isnan(mb_stats_t_quantile(1.0, 3)));
}

static void test_clopper_pearson(void **state)
{
    (void)state;
    /* 0 of n: the upper end is 1 - (alpha/2)^(1/n) in closed form. */
    assert_close(mb_stats_clopper_pearson_upper(0, 300, 0.95), 0.012220974694293507, 1e-12);
    assert_close(mb_stats_clopper_pearson_upper(0, 300, 0.95), 1 - pow(0.025, 1.0 / 300), 1e-12);
    assert_close(mb_stats_clopper_pearson_upper(3, 300, 0.95), 0.02894451125569253, 1e-11);
    assert_close(mb_stats_clopper_pearson_upper(5, 5, 0.95), 1, 0);
    assert_true(isnan(mb_stats_clopper_pearson_upper(6, 5, 0.95)));
    assert_true(isnan(mb_stats_clopper_pearson_upper(0, 0, 0.95)));
}

static void test_paired_mde_and_median_ci(void **state)
{
    (void)state;
    /* 2 / 2^5 = 0.0625 >= 0.05: five rounds can never be significant. */
    assert_true(isinf(mb_stats_mde_paired(0.01, 5, 0.05, 0.8)));
    double t = mb_stats_t_quantile(0.975, 9) + mb_stats_t_quantile(0.8, 9);
    assert_close(mb_stats_mde_paired(0.02, 10, 0.05, 0.8),
                 expm1(t * 0.02 / sqrt(10.0) / sqrt(3.0 / 3.14159265358979323846)), 1e-15);
    assert_close(mb_stats_mde_paired(0, 10, 0.05, 0.8), 0, 0);
    /* More rounds, smaller MDE. */
    assert_true(mb_stats_mde_paired(0.02, 30, 0.05, 0.8) < mb_stats_mde_paired(0.02, 10, 0.05, 0.8));
    assert_true(isnan(mb_stats_mde_paired(0.02, 1, 0.05, 0.8)));

    const double x[] = {0.98, 0.99, 1.0, 1.01, 1.02, 0.97, 1.03, 1.0, 0.995};
    double lo, hi;
    assert_int_equal(mb_stats_median_bootstrap_ci(x, N_OF(x), 0.95, &lo, &hi), 0);
    assert_true(lo <= 1.0 && hi >= 1.0);
    assert_true(lo >= 0.97 && hi <= 1.03);
    double lo2, hi2;
    assert_int_equal(mb_stats_median_bootstrap_ci(x, N_OF(x), 0.95, &lo2, &hi2), 0);
    assert_close(lo2, lo, 0);   /* fixed seed: the same interval every time */
    assert_close(hi2, hi, 0);
    assert_int_equal(mb_stats_median_bootstrap_ci(x, 0, 0.95, &lo, &hi), MB_EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_descriptive),
    cmocka_unit_test(test_normal_quantile),
    cmocka_unit_test(test_mwu_exact_tables),
    cmocka_unit_test(test_mwu_exact_scipy),
    cmocka_unit_test(test_mwu_normal),
    cmocka_unit_test(test_mwu_exact_matches_normal_for_moderate_n),
    cmocka_unit_test(test_mwu_errors),
    cmocka_unit_test(test_median_change_bootstrap),
    cmocka_unit_test(test_hl_change),
    cmocka_unit_test(test_median_ci),
    cmocka_unit_test(test_mde),
    cmocka_unit_test(test_wilcoxon_exact),
    cmocka_unit_test(test_wilcoxon_normal),
    cmocka_unit_test(test_beta_and_t),
    cmocka_unit_test(test_clopper_pearson),
    cmocka_unit_test(test_paired_mde_and_median_ci),
};

MB_TEST_MAIN("stats", tests, NULL, NULL)

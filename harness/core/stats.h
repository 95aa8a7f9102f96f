/* Statistics for repetitions of one benchmark cell: descriptive values, the
 * Mann-Whitney U test, confidence intervals of medians and of the change
 * between two samples, and the minimum detectable effect.  The regression
 * rule of DESIGN.md section 5 is built from these: significant by
 * mb_stats_mann_whitney AND a median change (mb_stats_median_change) beyond
 * the scenario's threshold, reported with its interval and mb_stats_mde.
 *
 * Conventions: every function takes its samples as const arrays and never
 * modifies them (sorting happens on private copies).  Samples are expected
 * to be finite; functions that return an int give 0 or MB_EINVAL (mb_error.h)
 * and reject NaN and infinities, functions that return a double give NaN
 * for an empty sample or an argument out of range.  Allocation failures abort,
 * as everywhere in mb_util.  Nothing here keeps state: all functions are
 * reentrant, and the bootstrap uses its own fixed-seed generator so that the
 * same samples always give the same interval. */
#ifndef MB_STATS_H
#define MB_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Descriptive statistics.  NaN when n == 0. */
double mb_stats_mean(const double *x, size_t n);
/* Sample standard deviation (divisor n - 1); 0 when n == 1. */
double mb_stats_stddev(const double *x, size_t n);
/* Coefficient of variation, stddev / mean; NaN when the mean is 0. */
double mb_stats_cv(const double *x, size_t n);
double mb_stats_min(const double *x, size_t n);
double mb_stats_max(const double *x, size_t n);
double mb_stats_median(const double *x, size_t n);
/* p in [0, 100], linear interpolation between closest ranks: the value at
 * 0-based rank h = (n - 1) * p / 100, as numpy.percentile does by default
 * (method="linear").  NaN for p outside [0, 100]. */
double mb_stats_percentile(const double *x, size_t n, double p);

/* Two-sided Mann-Whitney U test of "a and b come from the same
 * distribution" against a shift in either direction. */
typedef struct mb_stats_mwu {
    double u;           /* U of sample a: pairs with a_i > b_j, plus half the
                           tied pairs (scipy.stats.mannwhitneyu's statistic
                           for its first argument); U of b is na*nb - u */
    double p_value;     /* two-sided, in (0, 1] */
    double z;           /* normal score with continuity correction; 0 when exact */
    bool exact;         /* p from the exact distribution of U */
} mb_stats_mwu;

/* Largest sample size, per side, for which the exact distribution is used.
 * Above it the normal approximation is already accurate to about 1e-3 at the
 * p-values that matter, and the exact table would cost O(na^2 nb^2) time. */
#define MB_STATS_MWU_EXACT_MAX 50

/* The p-value is exact when there are no ties between or within the samples
 * and na, nb <= MB_STATS_MWU_EXACT_MAX: twice the smaller tail of U's exact
 * null distribution, capped at 1 (scipy's method="exact").  Otherwise it
 * comes from the normal approximation with the tie-corrected variance
 *   var(U) = na nb / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))),  N = na + nb,
 * t the size of each group of tied values, and a continuity correction of
 * 0.5 (scipy's method="asymptotic", use_continuity=True).  When every value
 * is tied the samples cannot differ and p is 1.  MB_EINVAL for an empty
 * sample or a non-finite value. */
int mb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          mb_stats_mwu *out);

/* Relative change of the median from baseline a to current b,
 *   change = median(b) / median(a) - 1,
 * with a percentile-bootstrap interval at the given confidence (0.95, say):
 * MB_STATS_BOOTSTRAP_RESAMPLES resamples of a and b, each drawn with
 * replacement and independently, from a generator with a fixed seed.  With
 * few repetitions the bootstrap median takes few distinct values, so the
 * interval is coarse but never narrower than the data justify.  Every value
 * of a must be positive (throughputs and latencies are).  MB_EINVAL for an
 * empty sample, a non-finite value, a non-positive baseline value or a
 * confidence outside (0, 1). */
#define MB_STATS_BOOTSTRAP_RESAMPLES 10000
int mb_stats_median_change(const double *a, size_t na, const double *b, size_t nb,
                           double confidence, double *change, double *lo, double *hi);

/* The distribution-free alternative: the Hodges-Lehmann estimate of the
 * ratio b / a, exp(median of log(b_j) - log(a_i) over all pairs), minus 1,
 * with the interval from order statistics of those pairwise differences at
 * the critical value of U (exact distribution up to MB_STATS_MWU_EXACT_MAX
 * per side, normal approximation beyond).  Its coverage is exact under a
 * multiplicative shift, whatever the distribution.  Every value of a and b
 * must be positive.  When the samples are too small to reach the confidence
 * at all (na = nb = 3 at 0.95, say) the interval is the widest one, from the
 * smallest to the largest pairwise ratio, and *coverage tells what it
 * achieves; coverage may be NULL.  MB_EINVAL as for mb_stats_median_change. */
int mb_stats_hl_change(const double *a, size_t na, const double *b, size_t nb,
                       double confidence, double *change, double *lo, double *hi,
                       double *coverage);

/* Distribution-free interval of one sample's median from order statistics:
 * [x_(k), x_(n+1-k)] with the largest k such that P(Bin(n, 1/2) < k) <=
 * (1 - confidence) / 2.  *coverage receives the interval's exact coverage,
 * 1 - 2 P(Bin(n, 1/2) < k).  When n is too small for the confidence (n < 6
 * at 0.95) the interval is [min, max] and *coverage is below confidence.
 * coverage may be NULL.  MB_EINVAL for an empty sample, a non-finite value or
 * a confidence outside (0, 1). */
int mb_stats_median_ci(const double *x, size_t n, double confidence, double *lo, double *hi,
                       double *coverage);
/* Half the width of that interval relative to the median, the stopping
 * criterion of adaptive repetitions ("median known to +-2%").  INFINITY when
 * n is too small to reach the confidence, NaN on the errors above or when the
 * median is 0. */
double mb_stats_median_rel_halfwidth(const double *x, size_t n, double confidence);

/* Pooled coefficient of variation of two samples,
 *   sqrt(((na - 1) cv_a^2 + (nb - 1) cv_b^2) / (na + nb - 2)),
 * the noise that mb_stats_mde expects.  NaN unless na + nb > 2. */
double mb_stats_pooled_cv(const double *a, size_t na, const double *b, size_t nb);

/* Minimum detectable effect: the smallest relative change of the median that
 * a two-sided test at level alpha detects with the given power, at noise cv,
 * with na and nb repetitions:
 *   mde = (z_{1 - alpha/2} + z_{power}) * cv * sqrt(1/na + 1/nb) / sqrt(3/pi)
 * This is the normal-approximation formula of the two-sample t test, with
 * the sample sizes scaled by 3/pi ~ 0.955, the asymptotic relative efficiency
 * of Mann-Whitney to the t test for normal data.  It assumes the noise is
 * roughly normal and ignores the t distribution's heavier tails, so for very
 * few repetitions it is optimistic.  One limit is exact, though: when even
 * complete separation of the samples cannot reach alpha (2 / C(na + nb, na) >
 * alpha, so na = nb = 3 at 0.05) no effect is detectable and the result is
 * INFINITY.  NaN for cv < 0, alpha or power outside (0, 1), or na or nb = 0. */
double mb_stats_mde(double cv, size_t na, size_t nb, double alpha, double power);

/* Standard normal quantile, the inverse of its distribution function, for
 * p in (0, 1); NaN outside.  Accurate to about 1e-15. */
double mb_stats_normal_quantile(double p);

/* Wilcoxon signed-rank test of "the differences d are symmetric about 0"
 * (a paired design: d_i = log(b_i / a_i) of round i) against a shift in
 * either direction. */
typedef struct mb_stats_wsr {
    double w_plus;      /* sum of the ranks of the positive differences */
    size_t n;           /* differences used: the non-zero ones */
    size_t n_zero;      /* differences exactly 0, dropped */
    double p_value;     /* two-sided, in (0, 1] */
    double z;           /* normal score; 0 when exact */
    bool exact;         /* p from the exact (permutation) distribution */
} mb_stats_wsr;

/* Largest number of non-zero differences for which the null distribution is
 * enumerated.  The table has n (n + 1) + 1 entries and costs O(n^3) time, so
 * the bound is about accuracy, not cost: above it the normal approximation
 * is within about 1e-3 of the exact p at the p-values that matter. */
#define MB_STATS_WSR_EXACT_MAX 25

/* Zeros are dropped before ranking (Wilcoxon's own rule, scipy's
 * zero_method="wilcox"), so n counts the rest; with no non-zero difference
 * left p is 1.  Absolute differences are ranked with ties sharing their
 * average rank.  Up to MB_STATS_WSR_EXACT_MAX differences, p is exact even
 * with ties: it is the permutation distribution of W+ given the observed
 * ranks, each rank carrying a + or a - with probability 1/2, enumerated by
 * dynamic programming over doubled ranks (average ranks are multiples of
 * 1/2), and p = 2 min(P(W+ <= w), P(W+ >= w)), capped at 1.  Without ties
 * this is the classical table (n = 8, all positive: p = 2/256).  Above the
 * bound, the normal approximation with the tie-corrected variance
 *   var(W+) = n (n + 1) (2n + 1) / 24 - sum(t^3 - t) / 48
 * and no continuity correction (scipy.stats.wilcoxon's default,
 * method="approx", correction=False).  MB_EINVAL for n == 0 or a non-finite
 * difference. */
int mb_stats_wilcoxon(const double *d, size_t n, mb_stats_wsr *out);

/* Percentile-bootstrap interval of one sample's median at the given
 * confidence: MB_STATS_BOOTSTRAP_RESAMPLES resamples with replacement from
 * the fixed-seed generator.  Used for the median of per-round ratios of a
 * paired design.  MB_EINVAL for an empty sample, a non-finite value or a
 * confidence outside (0, 1). */
int mb_stats_median_bootstrap_ci(const double *x, size_t n, double confidence, double *lo,
                                 double *hi);

/* Minimum detectable effect of a paired design: the smallest relative
 * change of the ratio b/a that a two-sided test at level alpha detects with
 * the given power, from the standard deviation sd_log of the n per-round log
 * ratios:
 *   mde = exp((t_{1 - alpha/2, n-1} + t_{power, n-1}) * sd_log / sqrt(n)
 *             / sqrt(3/pi)) - 1
 * the paired t test's formula with t quantiles (the spread is estimated from
 * the same n rounds) and the sample scaled by 3/pi, the asymptotic relative
 * efficiency of the signed-rank test to the t test for normal data.  As with
 * mb_stats_mde one limit is exact: when n rounds all in one direction cannot
 * reach alpha (2 / 2^n >= alpha, so n <= 5 at 0.05) the result is INFINITY.
 * NaN for sd_log < 0, alpha or power outside (0, 1), or n < 2. */
double mb_stats_mde_paired(double sd_log, size_t n, double alpha, double power);

/* Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in
 * [0, 1], from its continued fraction (modified Lentz), evaluated on
 * whichever of x and 1 - x converges fast.  Accurate to about 1e-14; NaN
 * outside the domain. */
double mb_stats_beta_inc(double a, double b, double x);
/* The x with I_x(a, b) = p, by bisection on mb_stats_beta_inc (to 1e-15 in
 * x); NaN outside the domain. */
double mb_stats_beta_quantile(double p, double a, double b);
/* Student's t distribution with df > 0 degrees of freedom: the distribution
 * function (through I_{df/(df+t^2)}(df/2, 1/2)) and its quantile for p in
 * (0, 1) (by bisection).  NaN outside the domain. */
double mb_stats_t_cdf(double t, double df);
double mb_stats_t_quantile(double p, double df);

/* Upper end of the two-sided Clopper-Pearson interval at the given
 * confidence for a binomial rate with k successes in n trials: the
 * (1 + confidence) / 2 quantile of Beta(k + 1, n - k), 1 when k == n.
 * 0 of 300 at 0.95 gives 0.01222, 3 of 300 gives 0.02892: the rate a test
 * that never fired in 300 trials can still have.  NaN for n == 0, k > n or a
 * confidence outside (0, 1). */
double mb_stats_clopper_pearson_upper(size_t k, size_t n, double confidence);

#endif

/* Regression detection (DESIGN.md section 5, issue 13).  Three designs, one
 * rule:
 *   two files     the baseline and the current results.json (Google Benchmark
 *                 JSON as `mpsbench run` writes it), the `images_per_second`
 *                 of each cell's successful repetitions on each side, tested
 *                 with the two-sided Mann-Whitney U test (test
 *                 "mann-whitney-u");
 *   history       a stored baseline (`mpsbench baseline update`) that holds
 *                 the last K runs: the spread BETWEEN those runs' medians
 *                 predicts where one new run's median falls (test "history");
 *   paired        a[i] and b[i] measured in the same round i of an A/B run,
 *                 the signed-rank test on log(b[i] / a[i]) (test
 *                 "wilcoxon-signed-rank"), through mb_compare_paired.
 * Cells are matched by name, the benchmark name before "/iterations:".
 *
 * The rule, per cell, with change the relative change of the median
 * throughput from baseline to current, [low, high] its 95% interval and MDE
 * the smallest change the comparison could have detected at its noise:
 *   regression      p < alpha AND change < 0 AND low < -threshold: a
 *                   significant slowdown, of the threshold's size or more
 *                   as far as the interval can tell
 *   improvement     p < alpha AND change > 0 AND high > +threshold
 *   inconclusive    otherwise, when MDE > threshold (or is unknown): a change
 *                   of the threshold's size could have gone unseen, so "no
 *                   change" would be a claim the data do not support
 *   no change       otherwise
 *   not comparable  with a reason: the cell is missing on one side, its
 *                   device or the torch version differs, or a side has fewer
 *                   than 2 successful repetitions (rounds for paired).
 * The threshold applies to the throughput change: a threshold of 5% flags a
 * cell whose throughput fell significantly and may have fallen by 5% or
 * more; a significant fall whose whole interval lies within 5% is "no
 * change".  Where a design has no interval (mb_compare_decide) the change
 * stands for both ends.  Asking the median itself to pass the threshold
 * would find a real change of exactly the threshold's size only half the
 * time, whatever the number of rounds.
 *
 * alpha is 1% by default: the paired test's two-sided 5% level let 3-6% of
 * A/A cells through on a busy machine (detector streams, README), above the
 * 1% per cell a run of nine cells can afford.
 *
 * Lifecycle: mb_compare_files allocates a report that the caller releases
 * with mb_compare_report_free; the writers only read it. */
#ifndef MB_COMPARE_H
#define MB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mb_error.h"
#include "mb_outcome.h"

#define MB_COMPARE_DEFAULT_THRESHOLD 0.05
#define MB_COMPARE_DEFAULT_ALPHA 0.01
#define MB_COMPARE_DEFAULT_CONFIDENCE 0.95
/* The power at which the minimum detectable effect is quoted. */
#define MB_COMPARE_DEFAULT_POWER 0.80

typedef enum {
    MB_VERDICT_NO_CHANGE = 0,
    MB_VERDICT_REGRESSION,
    MB_VERDICT_IMPROVEMENT,
    MB_VERDICT_NOT_COMPARABLE,
    MB_VERDICT_INCONCLUSIVE
} mb_verdict;

/* The names of the tests that produce a cell's p-value (mb_compare_cell's
 * `test`). */
#define MB_COMPARE_TEST_MWU "mann-whitney-u"
#define MB_COMPARE_TEST_WILCOXON "wilcoxon-signed-rank"
#define MB_COMPARE_TEST_HISTORY "history"

/* A history baseline needs this many runs before its run-to-run noise is
 * estimated at all: with 2 runs the standard deviation has 1 degree of
 * freedom and t_{0.975,1} = 12.7, so every interval would be uselessly wide
 * and the cell is declared inconclusive up front, saying why. */
#define MB_COMPARE_HISTORY_MIN_RUNS 3

/* "no_change", "regression", "improvement", "not_comparable",
 * "inconclusive": the spelling of the JSON report. */
const char *mb_verdict_name(mb_verdict v);
/* "no change", "regression", "improvement", "not comparable",
 * "inconclusive": for people. */
const char *mb_verdict_label(mb_verdict v);

/* Zero-initialised options mean the defaults above. */
typedef struct mb_compare_options {
    bool threshold_set;     /* true: `threshold` for every cell, overriding run.json */
    double threshold;       /* fraction, e.g. 0.05 */
    double alpha;           /* significance level; 0 = MB_COMPARE_DEFAULT_ALPHA */
    double confidence;      /* of the change's interval; 0 = default */
    double power;           /* of the MDE; 0 = default */
    /* Where the per-cell thresholds (`expect_regression`) come from: NULL =
     * run.json beside the current results file, when there is one. */
    const char *run_json;
    /* Two plain results files are two runs, one on each side: the noise
     * between runs (a new process, another moment on a shared machine) is
     * not measured, so by default every cell is inconclusive and says so.
     * true (--assume-no-drift) judges on the repetitions alone, as if the
     * runs had no drift between them.  Histories and A/B are unaffected. */
    bool assume_no_drift;
} mb_compare_options;

typedef struct mb_compare_cell {
    char *cell;             /* benchmark name without "/iterations:..." */
    char *device;           /* from the name's "device:" part; NULL if none */
    size_t n_baseline;      /* successful repetitions on each side; history:
                               n_baseline counts the baseline's runs that
                               hold the cell; paired: both are the rounds */
    size_t n_current;
    double baseline_median; /* images per second; NaN when absent */
    double current_median;
    double change;          /* median(current) / median(baseline) - 1; paired:
                               median(b[i] / a[i]) - 1 */
    double ci_low, ci_high; /* interval of change at `confidence`: bootstrap
                               (two files, paired) or the prediction interval
                               (history) */
    double p_value;         /* two-sided, from `test` */
    bool p_exact;           /* p from the exact distribution */
    const char *test;       /* MB_COMPARE_TEST_*: what produced p (static
                               string); NULL when not compared */
    double mde;             /* minimum detectable change at the observed noise;
                               INFINITY when these repetitions can never
                               reach alpha, NaN when unknown */
    double threshold;       /* the one this cell was judged against */
    mb_verdict verdict;
    char *reason;           /* why not comparable, or a note (failed
                               repetitions left out, or too few repetitions
                               to reach significance); NULL when none */
} mb_compare_cell;

typedef struct mb_compare_report {
    char *baseline_path;
    char *current_path;
    char *baseline_torch;   /* torch versions from the context; NULL if absent */
    char *current_torch;
    double alpha, confidence, power;
    mb_compare_cell *cells; /* current's order, then cells only in the baseline */
    size_t n_cells;
    size_t baseline_runs;   /* runs in a history baseline; 1 for a plain file */
    bool one_run_each;      /* two plain files judged without --assume-no-drift */
    size_t n_regressions, n_improvements, n_unchanged, n_not_comparable, n_inconclusive;
} mb_compare_report;

/* Compares two Google Benchmark JSON files.  Either argument may also be a
 * run directory, meaning its results.json.  A baseline written by
 * `mpsbench baseline update` (it carries "mpsbench_history") is judged by
 * the history rule of mb_compare_history; any other results file by the
 * two-file rule of mb_compare_samples.  On success *out receives a
 * report (free with mb_compare_report_free) and the return is 0.  A file
 * that is missing, unreadable, not JSON or not in Google Benchmark's shape is
 * MB_EBASELINE (for the baseline) or MB_EINVAL (for the current file or its
 * run.json), with err->msg naming the file; both map to exit code 2.  A
 * regression is not an error: look at (*out)->n_regressions, or use
 * mb_compare_outcome. */
int mb_compare_files(const char *baseline, const char *current, const mb_compare_options *opt,
                     mb_compare_report **out, mb_err *err);
void mb_compare_report_free(mb_compare_report *r);

/* The report's verdicts into out (regressions, inconclusive, not_comparable;
 * its other fields are left as they are): 0, or MB_EINVAL with err saying
 * why when no cell at all was comparable ("nothing to compare: ...").
 * Inconclusive cells count as compared.  The CLI decides the exit code. */
int mb_compare_outcome(const mb_compare_report *r, mb_outcome *out, mb_err *err);

/* The two-file rule on two samples of throughputs (baseline a, current b),
 * for callers that have numbers rather than files (the detector benchmark).
 * Fills *change and *p_value (either may be NULL) and returns the verdict,
 * inconclusive included (the MDE at the default power);
 * MB_VERDICT_NOT_COMPARABLE when a side has fewer than 2 values or a value is
 * not a positive finite number.  alpha 0 means the default. */
mb_verdict mb_compare_decide(const double *a, size_t na, const double *b, size_t nb,
                             double threshold, double alpha, double *change, double *p_value);

/* Every statistic of one cell from its two samples: the verdict of
 * mb_compare_decide plus medians, the change's interval and the MDE.  Fills
 * every numeric field of *out, its test and its verdict; leaves cell and
 * device alone, and sets reason (heap) when the verdict is not comparable or
 * inconclusive and out->reason is NULL. */
void mb_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out);

/* The paired A/B rule: a[i] and b[i] are the throughputs of the baseline
 * side and the candidate measured in the same round i.  With r[i] = b[i] /
 * a[i]: change = median(r) - 1; ci_low/ci_high from the bootstrap interval
 * of median(r) at opt->confidence; p from the Wilcoxon signed-rank test on
 * log r[i] (exact up to MB_STATS_WSR_EXACT_MAX non-zero ratios); mde from
 * mb_stats_mde_paired on the standard deviation of log r[i]; n_baseline =
 * n_current = n; the medians are median(a) and median(b); test is
 * MB_COMPARE_TEST_WILCOXON.  Not comparable when n < 2 or a throughput is not
 * a positive finite number.  Fields, verdict and reason as for
 * mb_compare_samples; opt may be NULL. */
void mb_compare_paired(const double *a, const double *b, size_t n, double threshold,
                       const mb_compare_options *opt, mb_compare_cell *out);

/* The history rule: run_medians are the cell's median throughput in each of
 * the k runs a baseline holds, b the new run's repetitions.  On the log
 * scale, with m and s the mean and standard deviation of log run_medians and
 * se_b = sqrt(pi/2) sd(log b) / sqrt(nb) the new median's own standard
 * error (that of a median of nb normal values):
 *   se   = sqrt(s^2 (1 + 1/k) + se_b^2)
 *   t    = (log median(b) - m) / se, p two-sided from Student's t, k - 1 df
 *   mde  = exp(t_{1 - alpha/2, k-1} se) - 1, the prediction interval's
 *          half-width: the change that lands just on its edge
 * change = median(b) / median(run_medians) - 1, with the interval
 * [exp(d - h), exp(d + h)] - 1 at opt->confidence around d = log(1 +
 * change), h the half-width at that confidence.  "p < alpha" is "the new run
 * lies outside the 1 - alpha prediction interval"; the verdict then follows
 * the rule above.  With k < MB_COMPARE_HISTORY_MIN_RUNS the cell is
 * inconclusive ("the baseline holds 1 run") with change still filled in.
 * Not comparable when nb < 2, k == 0 or a value is not a positive finite
 * number.  test is MB_COMPARE_TEST_HISTORY, n_baseline = k. */
void mb_compare_history(const double *run_medians, size_t k, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out);

/* Writers.  The table is for a terminal; the Markdown table suits a CI job
 * summary; the JSON report has one object per cell with the fields cell,
 * device, baseline_n, current_n, baseline_median, current_median, change,
 * ci_low, ci_high, p_value, p_exact, test, mde, threshold, verdict, reason
 * (fractions, not percentages; null where a number is unknown or infinite).
 * The string functions return heap strings (free()). */
void mb_compare_write_table(FILE *f, const mb_compare_report *r);
char *mb_compare_markdown(const mb_compare_report *r);
char *mb_compare_json(const mb_compare_report *r);
/* Write those to a file, atomically when it is a regular file; "-" is
 * stdout.  0 or MB_EIO with err naming the file. */
int mb_compare_save_markdown(const mb_compare_report *r, const char *path, mb_err *err);
int mb_compare_save_json(const mb_compare_report *r, const char *path, mb_err *err);

#endif

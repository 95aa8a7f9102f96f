/* Regression detection between two runs (DESIGN.md section 5).  Both sides
 * are Google Benchmark JSON files as `mpsbench run` writes them
 * (results.json, or a baseline promoted from one).  Cells are matched by
 * name, the benchmark name before "/iterations:", and each side contributes
 * the `images_per_second` counter of its repetitions (rows with
 * run_type "iteration" and no error_occurred).
 *
 * The rule, per cell, with change = median(current) / median(baseline) - 1:
 *   regression   p < alpha (two-sided Mann-Whitney U) AND change < -threshold
 *   improvement  p < alpha                              AND change > +threshold
 *   no change    otherwise
 *   not comparable, with a reason, when the cell is missing on one side, its
 *   device or the torch version differs, or a side has fewer than 2
 *   successful repetitions.
 * The threshold applies to the throughput change: a threshold of 5% flags a
 * cell whose median throughput fell by more than 5%.
 *
 * Lifecycle: mb_compare_files (or mb_compare_run) allocates a report that the
 * caller releases with mb_compare_report_free; the writers only read it. */
#ifndef MB_COMPARE_H
#define MB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mb_error.h"

#define MB_COMPARE_DEFAULT_THRESHOLD 0.05
#define MB_COMPARE_DEFAULT_ALPHA 0.05
#define MB_COMPARE_DEFAULT_CONFIDENCE 0.95
/* The power at which the minimum detectable effect is quoted. */
#define MB_COMPARE_DEFAULT_POWER 0.80

typedef enum {
    MB_VERDICT_NO_CHANGE = 0,
    MB_VERDICT_REGRESSION,
    MB_VERDICT_IMPROVEMENT,
    MB_VERDICT_NOT_COMPARABLE
} mb_verdict;

/* "no_change", "regression", "improvement", "not_comparable": the spelling
 * of the JSON report. */
const char *mb_verdict_name(mb_verdict v);
/* "no change", "regression", "improvement", "not comparable": for people. */
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
} mb_compare_options;

typedef struct mb_compare_cell {
    char *cell;             /* benchmark name without "/iterations:..." */
    char *device;           /* from the name's "device:" part; NULL if none */
    size_t n_baseline;      /* successful repetitions on each side */
    size_t n_current;
    double baseline_median; /* images per second; NaN when absent */
    double current_median;
    double change;          /* median(current) / median(baseline) - 1 */
    double ci_low, ci_high; /* bootstrap interval of change at `confidence` */
    double p_value;         /* two-sided Mann-Whitney U */
    bool p_exact;           /* p from the exact distribution */
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
    size_t n_regressions, n_improvements, n_unchanged, n_not_comparable;
} mb_compare_report;

/* Compares two Google Benchmark JSON files.  Either argument may also be a
 * run directory, meaning its results.json.  On success *out receives a
 * report (free with mb_compare_report_free) and the return is 0.  A file
 * that is missing, unreadable, not JSON or not in Google Benchmark's shape is
 * MB_EBASELINE (for the baseline) or MB_EINVAL (for the current file or its
 * run.json), with err->msg naming the file; both map to exit code 2.  A
 * regression is not an error: look at (*out)->n_regressions, or use
 * mb_compare_exit_code. */
int mb_compare_files(const char *baseline, const char *current, const mb_compare_options *opt,
                     mb_compare_report **out, mb_err *err);
void mb_compare_report_free(mb_compare_report *r);

/* 1 when the report holds a regression, else 0: the CLI's exit code. */
int mb_compare_exit_code(const mb_compare_report *r);

/* The rule itself on two samples of throughputs (baseline a, current b), for
 * callers that have numbers rather than files (the detector benchmark).
 * Fills *change and *p_value (either may be NULL) and returns the verdict;
 * MB_VERDICT_NOT_COMPARABLE when a side has fewer than 2 values or a value is
 * not a positive finite number.  alpha 0 means the default. */
mb_verdict mb_compare_decide(const double *a, size_t na, const double *b, size_t nb,
                             double threshold, double alpha, double *change, double *p_value);

/* Every statistic of one cell from its two samples: the verdict of
 * mb_compare_decide plus medians, the change's interval and the MDE.  Fills
 * every numeric field of *out and its verdict; leaves cell, device and
 * reason alone except that reason is set (heap) when not comparable. */
void mb_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out);

/* Writers.  The table is for a terminal; the Markdown table suits a CI job
 * summary; the JSON report has one object per cell with the fields cell,
 * device, baseline_n, current_n, baseline_median, current_median, change,
 * ci_low, ci_high, p_value, p_exact, mde, threshold, verdict, reason
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

/* The regression rule over two results files: match cells, check that they
 * are comparable, and judge each with stats.h. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mb_util.h"
#include "results_file.h"
#include "run_dir.h"
#include "stats.h"

const char *mb_verdict_name(mb_verdict v)
{
    switch (v) {
    case MB_VERDICT_REGRESSION: return "regression";
    case MB_VERDICT_IMPROVEMENT: return "improvement";
    case MB_VERDICT_NOT_COMPARABLE: return "not_comparable";
    case MB_VERDICT_INCONCLUSIVE: return "inconclusive";
    case MB_VERDICT_NO_CHANGE: break;
    }
    return "no_change";
}

const char *mb_verdict_label(mb_verdict v)
{
    switch (v) {
    case MB_VERDICT_REGRESSION: return "regression";
    case MB_VERDICT_IMPROVEMENT: return "improvement";
    case MB_VERDICT_NOT_COMPARABLE: return "not comparable";
    case MB_VERDICT_INCONCLUSIVE: return "inconclusive";
    case MB_VERDICT_NO_CHANGE: break;
    }
    return "no change";
}

static double or_default(double v, double fallback)
{
    return v > 0 && v < 1 ? v : fallback;
}

static bool all_positive(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(isfinite(x[i]) && x[i] > 0))
            return false;
    return true;
}

/* The one rule of compare.h, shared by every design.  [lo, hi] is the
 * change's interval, NaN where the design has none: then the change itself
 * stands for both ends.  Asking only that the interval reach past the
 * threshold, not the median, is what lets a real change of the threshold's
 * size be found as often as the MDE promises (80%): a median must land
 * beyond it, which a change of exactly that size does half the time. */
static mb_verdict rule(double p, double change, double lo, double hi, double mde,
                       double threshold, double alpha)
{
    if (isnan(lo) || isnan(hi))
        lo = hi = change;
    if (p < alpha && change < 0 && lo < -threshold)
        return MB_VERDICT_REGRESSION;
    if (p < alpha && change > 0 && hi > threshold)
        return MB_VERDICT_IMPROVEMENT;
    /* NaN fails the comparison too: an MDE nobody could compute is noise
     * nobody measured. */
    if (!(mde <= threshold))
        return MB_VERDICT_INCONCLUSIVE;
    return MB_VERDICT_NO_CHANGE;
}

/* The inconclusive verdict's reason: what could not have been seen. */
static char *mde_reason(double mde, double threshold)
{
    if (isnan(mde))
        return mb_asprintf("MDE unknown, threshold %.1f%%", 100 * threshold);
    if (isinf(mde))
        return mb_asprintf("MDE inf > threshold %.1f%%", 100 * threshold);
    return mb_asprintf("MDE %.1f%% > threshold %.1f%%", 100 * mde, 100 * threshold);
}

static void set_reason(mb_compare_cell *out, char *reason)
{
    if (out->reason == NULL)
        out->reason = reason;
    else
        free(reason);
}

static double two_file_mde(const double *a, size_t na, const double *b, size_t nb, double alpha,
                           double power)
{
    return mb_stats_mde(mb_stats_pooled_cv(a, na, b, nb), na, nb, alpha, power);
}

mb_verdict mb_compare_decide(const double *a, size_t na, const double *b, size_t nb,
                             double threshold, double alpha, double *change, double *p_value)
{
    if (change != NULL)
        *change = NAN;
    if (p_value != NULL)
        *p_value = NAN;
    if (na < 2 || nb < 2 || !all_positive(a, na) || !all_positive(b, nb))
        return MB_VERDICT_NOT_COMPARABLE;
    alpha = or_default(alpha, MB_COMPARE_DEFAULT_ALPHA);
    double delta = mb_stats_median(b, nb) / mb_stats_median(a, na) - 1.0;
    mb_stats_mwu mwu;
    if (mb_stats_mann_whitney(a, na, b, nb, &mwu) != 0)
        return MB_VERDICT_NOT_COMPARABLE;
    if (change != NULL)
        *change = delta;
    if (p_value != NULL)
        *p_value = mwu.p_value;
    double mde = two_file_mde(a, na, b, nb, alpha, MB_COMPARE_DEFAULT_POWER);
    return rule(mwu.p_value, delta, NAN, NAN, mde, threshold, alpha);
}

typedef struct levels {
    double alpha, confidence, power;
} levels;

static levels levels_of(const mb_compare_options *opt)
{
    levels l = {MB_COMPARE_DEFAULT_ALPHA, MB_COMPARE_DEFAULT_CONFIDENCE,
                MB_COMPARE_DEFAULT_POWER};
    if (opt != NULL) {
        l.alpha = or_default(opt->alpha, l.alpha);
        l.confidence = or_default(opt->confidence, l.confidence);
        l.power = or_default(opt->power, l.power);
    }
    return l;
}

static void clear_numbers(mb_compare_cell *out, size_t na, size_t nb, double threshold)
{
    out->n_baseline = na;
    out->n_current = nb;
    out->threshold = threshold;
    out->baseline_median = out->current_median = out->change = NAN;
    out->ci_low = out->ci_high = out->p_value = out->mde = NAN;
    out->p_exact = false;
    out->test = NULL;
}

void mb_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out)
{
    levels l = levels_of(opt);
    clear_numbers(out, na, nb, threshold);
    out->baseline_median = na ? mb_stats_median(a, na) : NAN;
    out->current_median = nb ? mb_stats_median(b, nb) : NAN;
    out->verdict = mb_compare_decide(a, na, b, nb, threshold, l.alpha, &out->change,
                                     &out->p_value);
    if (out->verdict == MB_VERDICT_NOT_COMPARABLE) {
        if (na < 2 || nb < 2)
            set_reason(out, mb_asprintf("fewer than 2 successful repetitions (baseline %zu, "
                                        "current %zu)", na, nb));
        else
            set_reason(out, mb_strdup("a throughput that is not a positive number"));
        return;
    }
    out->test = MB_COMPARE_TEST_MWU;
    mb_stats_mwu mwu;
    if (mb_stats_mann_whitney(a, na, b, nb, &mwu) == 0)
        out->p_exact = mwu.exact;
    double change;
    if (mb_stats_median_change(a, na, b, nb, l.confidence, &change, &out->ci_low,
                               &out->ci_high) != 0)
        out->ci_low = out->ci_high = NAN;
    out->mde = two_file_mde(a, na, b, nb, l.alpha, l.power);
    /* The verdict again at the caller's power: decide quotes the default. */
    out->verdict = rule(out->p_value, out->change, out->ci_low, out->ci_high, out->mde,
                        threshold, l.alpha);
    if (out->verdict == MB_VERDICT_INCONCLUSIVE) {
        if (isinf(out->mde))
            set_reason(out, mb_asprintf("%zu against %zu repetitions cannot reach p < %g", na,
                                        nb, l.alpha));
        else
            set_reason(out, mde_reason(out->mde, threshold));
    }
}

void mb_compare_paired(const double *a, const double *b, size_t n, double threshold,
                       const mb_compare_options *opt, mb_compare_cell *out)
{
    levels l = levels_of(opt);
    clear_numbers(out, n, n, threshold);
    out->verdict = MB_VERDICT_NOT_COMPARABLE;
    if (n > 0 && all_positive(a, n) && all_positive(b, n)) {
        out->baseline_median = mb_stats_median(a, n);
        out->current_median = mb_stats_median(b, n);
    }
    if (n < 2) {
        set_reason(out, mb_asprintf("fewer than 2 rounds (%zu)", n));
        return;
    }
    if (!all_positive(a, n) || !all_positive(b, n)) {
        set_reason(out, mb_strdup("a throughput that is not a positive number"));
        return;
    }
    double *ratio = mb_calloc(n, sizeof *ratio);
    double *logr = mb_calloc(n, sizeof *logr);
    for (size_t i = 0; i < n; i++) {
        ratio[i] = b[i] / a[i];
        logr[i] = log(ratio[i]);
    }
    out->test = MB_COMPARE_TEST_WILCOXON;
    out->change = mb_stats_median(ratio, n) - 1.0;
    double lo, hi;
    if (mb_stats_median_bootstrap_ci(ratio, n, l.confidence, &lo, &hi) == 0) {
        out->ci_low = lo - 1.0;
        out->ci_high = hi - 1.0;
    }
    mb_stats_wsr w;
    if (mb_stats_wilcoxon(logr, n, &w) == 0) {
        out->p_value = w.p_value;
        out->p_exact = w.exact;
    }
    out->mde = mb_stats_mde_paired(mb_stats_stddev(logr, n), n, l.alpha, l.power);
    free(ratio);
    free(logr);
    out->verdict = rule(out->p_value, out->change, out->ci_low, out->ci_high, out->mde,
                        threshold, l.alpha);
    if (out->verdict == MB_VERDICT_INCONCLUSIVE) {
        if (isinf(out->mde))
            set_reason(out, mb_asprintf("%zu rounds cannot reach p < %g", n, l.alpha));
        else
            set_reason(out, mde_reason(out->mde, threshold));
    }
}

void mb_compare_history(const double *run_medians, size_t k, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out)
{
    levels l = levels_of(opt);
    clear_numbers(out, k, nb, threshold);
    out->verdict = MB_VERDICT_NOT_COMPARABLE;
    if (k > 0 && all_positive(run_medians, k))
        out->baseline_median = mb_stats_median(run_medians, k);
    if (nb > 0 && all_positive(b, nb))
        out->current_median = mb_stats_median(b, nb);
    if (k == 0) {
        set_reason(out, mb_strdup("missing in baseline"));
        return;
    }
    if (nb < 2) {
        set_reason(out, mb_asprintf("fewer than 2 successful repetitions in current (%zu)",
                                    nb));
        return;
    }
    if (!all_positive(run_medians, k) || !all_positive(b, nb)) {
        set_reason(out, mb_strdup("a throughput that is not a positive number"));
        return;
    }
    out->test = MB_COMPARE_TEST_HISTORY;
    out->change = out->current_median / out->baseline_median - 1.0;
    if (k < MB_COMPARE_HISTORY_MIN_RUNS) {
        out->verdict = MB_VERDICT_INCONCLUSIVE;
        set_reason(out, k == 1 ? mb_strdup("the baseline holds 1 run")
                               : mb_asprintf("the baseline holds %zu runs; its run-to-run "
                                             "noise needs %d", k, MB_COMPARE_HISTORY_MIN_RUNS));
        return;
    }
    double *logm = mb_calloc(k, sizeof *logm);
    double *logb = mb_calloc(nb, sizeof *logb);
    for (size_t i = 0; i < k; i++)
        logm[i] = log(run_medians[i]);
    for (size_t i = 0; i < nb; i++)
        logb[i] = log(b[i]);
    double s = mb_stats_stddev(logm, k);
    /* The asymptotic standard error of a median, sqrt(pi/2) sigma / sqrt(n):
     * the new run's own uncertainty, which the baseline's spread does not
     * know about when the new run is noisier than its runs were. */
    double se_b = sqrt(3.14159265358979323846 / 2.0) * mb_stats_stddev(logb, nb) /
                  sqrt((double)nb);
    double dk = (double)k, df = dk - 1.0;
    double se = sqrt(s * s * (1.0 + 1.0 / dk) + se_b * se_b);
    double dev = log(out->current_median) - mb_stats_mean(logm, k);
    if (se > 0.0)
        out->p_value = 2.0 * (1.0 - mb_stats_t_cdf(fabs(dev) / se, df));
    else
        out->p_value = dev == 0.0 ? 1.0 : 0.0;
    out->p_exact = false;
    out->mde = expm1(mb_stats_t_quantile(1.0 - l.alpha / 2.0, df) * se);
    double h = mb_stats_t_quantile(1.0 - (1.0 - l.confidence) / 2.0, df) * se;
    double d = log1p(out->change);
    out->ci_low = expm1(d - h);
    out->ci_high = expm1(d + h);
    free(logm);
    free(logb);
    out->verdict = rule(out->p_value, out->change, out->ci_low, out->ci_high, out->mde,
                        threshold, l.alpha);
    if (out->verdict == MB_VERDICT_INCONCLUSIVE)
        set_reason(out, mde_reason(out->mde, threshold));
}

/* ---- thresholds from run.json ------------------------------------------ */

typedef struct thresholds {
    bool loaded;            /* run holds the current run's run.json */
    mb_res_run run;
} thresholds;

/* The current run's run.json: the one the caller names, else the one of the
 * run whose own results.json is compared; NULL for any other file. */
static char *run_json_for(const char *current_file, const mb_compare_options *opt)
{
    return opt->run_json ? mb_strdup(opt->run_json) : mb_res_gb_run_json(current_file);
}

/* A run that did not finish (interrupted: "incomplete"; killed: still
 * "running") cannot pass a comparison, whatever its few cells say.  A
 * run.json that cannot be read says nothing here; load_thresholds reports
 * it when it needs the file. */
static int check_current_complete(const char *current_file, const mb_compare_options *opt,
                                  mb_err *err)
{
    char *path = run_json_for(current_file, opt);
    mb_res_run run;
    mb_err ignored;
    int rc = 0;
    if (path != NULL && access(path, F_OK) == 0 &&
        mb_res_run_load_file(path, &run, &ignored) == 0) {
        bool died = strcmp(run.status, "running") == 0;
        if (mb_res_run_unfinished(&run))
            rc = mb_err_set(err, MB_EIO, "%s: the current run is %s (%s); a run that did not "
                            "finish cannot pass a comparison", path, run.status,
                            died ? "its harness died before it ended"
                                 : "it was stopped before the end");
        mb_res_run_free(&run);
    }
    free(path);
    return rc;
}

static int load_thresholds(const char *current_file, const mb_compare_options *opt,
                           thresholds *t, mb_err *err)
{
    memset(t, 0, sizeof *t);
    if (opt->threshold_set)
        return 0;
    char *path = run_json_for(current_file, opt);
    int rc = 0;
    if (opt->run_json != NULL || (path != NULL && access(path, F_OK) == 0)) {
        rc = mb_res_run_load_file(path, &t->run, err);
        t->loaded = rc == 0;
    }
    free(path);
    return rc;
}

static double threshold_for(const thresholds *t, const mb_compare_options *opt, const char *cell)
{
    if (opt->threshold_set)
        return opt->threshold;
    const mb_res_cell *c = t->loaded ? mb_res_run_cell(&t->run, cell) : NULL;
    if (c != NULL && c->expect_regression >= 0)
        return c->expect_regression;
    return MB_COMPARE_DEFAULT_THRESHOLD;
}

/* ---- matching cells ---------------------------------------------------- */

static bool same_text(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcmp(a, b) == 0;
}

/* The reason a cell measured on other hardware or another torch cannot be
 * judged, or NULL. */
static char *other_conditions(const mb_res_gb_file *base, const mb_res_gb_file *cur,
                              const char *device)
{
    if (!same_text(base->torch_version, cur->torch_version))
        return mb_asprintf("torch version differs (baseline %s, current %s)",
                           base->torch_version, cur->torch_version);
    char *bd = mb_res_gb_device_description(base, device);
    char *cd = mb_res_gb_device_description(cur, device);
    char *reason = NULL;
    if (!same_text(bd, cd))
        reason = mb_asprintf("device differs (baseline %s, current %s)", bd, cd);
    free(bd);
    free(cd);
    return reason;
}

/* The reason one side's repetitions cannot be judged, or NULL. */
static char *too_few(const mb_res_gb_cell *c, const char *side)
{
    if (c->n_ips >= 2)
        return NULL;
    if (c->n_failed > 0)
        return mb_asprintf("failed in %s: %s", side, c->first_error);
    if (c->n_no_counter > 0 && c->n_ips == 0)
        return mb_asprintf("no images_per_second counter in %s", side);
    return mb_asprintf("fewer than 2 successful repetitions in %s (%zu)", side, c->n_ips);
}

/* The reason a present-on-both-sides cell cannot be judged, or NULL. */
static char *incomparable(const mb_res_gb_file *base, const mb_res_gb_cell *bc,
                          const mb_res_gb_file *cur, const mb_res_gb_cell *cc)
{
    char *reason = other_conditions(base, cur, cc->device);
    if (reason == NULL)
        reason = too_few(bc, "baseline");
    if (reason == NULL)
        reason = too_few(cc, "current");
    return reason;
}

/* Repetitions that failed are left out, and the cell is compared on the
 * rest; the note says so, because a cell that fails at times is a finding
 * of its own. */
static char *failure_note(const mb_res_gb_cell *bc, const mb_res_gb_cell *cc)
{
    if (bc->n_failed == 0 && cc->n_failed == 0)
        return NULL;
    const mb_res_gb_cell *c = cc->n_failed ? cc : bc;
    return mb_asprintf("%zu failed repetition(s) in %s left out: %s", c->n_failed,
                       c == cc ? "current" : "baseline", c->first_error);
}

static mb_compare_cell *add_cell(mb_compare_report *r, const char *name, const char *device)
{
    r->cells = mb_realloc(r->cells, (r->n_cells + 1) * sizeof *r->cells);
    mb_compare_cell *c = &r->cells[r->n_cells++];
    memset(c, 0, sizeof *c);
    c->cell = mb_strdup(name);
    c->device = device ? mb_strdup(device) : NULL;
    c->baseline_median = c->current_median = c->change = NAN;
    c->ci_low = c->ci_high = c->p_value = c->mde = NAN;
    c->verdict = MB_VERDICT_NOT_COMPARABLE;
    return c;
}

static double median_or_nan(const mb_res_gb_cell *c)
{
    return c != NULL && c->n_ips > 0 ? mb_stats_median(c->ips, c->n_ips) : NAN;
}

/* One run on each side: the repetitions measure the noise within each run,
 * not the drift between the two (the detector benchmark measured 24% false
 * alarms per cell for that rule on a shared machine), so the verdict is
 * inconclusive whatever the repetitions say.  The numbers stay; the
 * report's notice names the ways to a verdict (DESIGN.md section 5). */
static void unmeasured_drift(mb_compare_cell *c)
{
    if (c->verdict == MB_VERDICT_NOT_COMPARABLE)
        return;
    char *within = c->verdict == MB_VERDICT_INCONCLUSIVE && c->reason != NULL
                       ? mb_asprintf("; within the runs alone: %s", c->reason)
                       : mb_asprintf("; within the runs alone: %s, p = %.3g",
                                     mb_verdict_name(c->verdict), c->p_value);
    free(c->reason);
    c->reason = mb_asprintf("one run on each side, the drift between runs not measured%s",
                            within);
    free(within);
    c->verdict = MB_VERDICT_INCONCLUSIVE;
}

/* The cells of the baseline that the current run lacks: listed, never judged. */
static void add_missing_in_current(mb_compare_report *r, const mb_res_gb_file *base,
                                   const mb_res_gb_file *cur, const thresholds *t,
                                   const mb_compare_options *opt)
{
    for (size_t i = 0; i < base->n_cells; i++) {
        const mb_res_gb_cell *bc = &base->cells[i];
        if (mb_res_gb_find(cur, bc->name) != NULL)
            continue;
        mb_compare_cell *c = add_cell(r, bc->name, bc->device);
        c->threshold = threshold_for(t, opt, bc->name);
        c->baseline_median = median_or_nan(bc);
        c->n_baseline = bc->n_ips;
        c->reason = mb_strdup("missing in current");
    }
}

static void judge(mb_compare_report *r, const mb_res_gb_file *base, const mb_res_gb_file *cur,
                  const thresholds *t, const mb_compare_options *opt)
{
    for (size_t i = 0; i < cur->n_cells; i++) {
        const mb_res_gb_cell *cc = &cur->cells[i];
        const mb_res_gb_cell *bc = mb_res_gb_find(base, cc->name);
        mb_compare_cell *c = add_cell(r, cc->name, cc->device);
        c->threshold = threshold_for(t, opt, cc->name);
        c->current_median = median_or_nan(cc);
        c->n_current = cc->n_ips;
        if (bc == NULL) {
            c->reason = mb_strdup("missing in baseline");
            continue;
        }
        c->baseline_median = median_or_nan(bc);
        c->n_baseline = bc->n_ips;
        c->reason = incomparable(base, bc, cur, cc);
        if (c->reason != NULL)
            continue;
        mb_compare_samples(bc->ips, bc->n_ips, cc->ips, cc->n_ips, c->threshold, opt, c);
        if (opt == NULL || !opt->assume_no_drift)
            unmeasured_drift(c);
        if (c->reason == NULL)
            c->reason = failure_note(bc, cc);
    }
    add_missing_in_current(r, base, cur, t, opt);
}

/* The cell's median in each run of the history that measured it. */
static size_t run_medians(const mb_res_gb_history *h, const char *name, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < h->n_runs; i++) {
        const mb_res_gb_cell *c = mb_res_gb_find(&h->runs[i], name);
        if (c != NULL && c->n_ips > 0)
            out[k++] = mb_stats_median(c->ips, c->n_ips);
    }
    return k;
}

/* Against a stored baseline: the latest run (the file's own benchmarks)
 * says which device and torch the history belongs to, and every run that
 * measured the cell contributes its median. */
static void judge_history(mb_compare_report *r, const mb_res_gb_file *base,
                          const mb_res_gb_history *h, const mb_res_gb_file *cur,
                          const thresholds *t, const mb_compare_options *opt)
{
    double *medians = mb_calloc(h->n_runs, sizeof *medians);
    for (size_t i = 0; i < cur->n_cells; i++) {
        const mb_res_gb_cell *cc = &cur->cells[i];
        mb_compare_cell *c = add_cell(r, cc->name, cc->device);
        c->threshold = threshold_for(t, opt, cc->name);
        c->current_median = median_or_nan(cc);
        c->n_current = cc->n_ips;
        size_t k = run_medians(h, cc->name, medians);
        if (k == 0) {
            c->reason = mb_strdup("missing in baseline");
            continue;
        }
        c->baseline_median = mb_stats_median(medians, k);
        c->n_baseline = k;
        c->reason = other_conditions(base, cur, cc->device);
        if (c->reason == NULL)
            c->reason = too_few(cc, "current");
        if (c->reason != NULL)
            continue;
        mb_compare_history(medians, k, cc->ips, cc->n_ips, c->threshold, opt, c);
        if (c->reason == NULL && cc->n_failed > 0)
            c->reason = mb_asprintf("%zu failed repetition(s) in current left out: %s",
                                    cc->n_failed, cc->first_error);
    }
    free(medians);
    add_missing_in_current(r, base, cur, t, opt);
}

static void count(mb_compare_report *r)
{
    for (size_t i = 0; i < r->n_cells; i++) {
        switch (r->cells[i].verdict) {
        case MB_VERDICT_REGRESSION: r->n_regressions++; break;
        case MB_VERDICT_IMPROVEMENT: r->n_improvements++; break;
        case MB_VERDICT_NOT_COMPARABLE: r->n_not_comparable++; break;
        case MB_VERDICT_INCONCLUSIVE: r->n_inconclusive++; break;
        case MB_VERDICT_NO_CHANGE: r->n_unchanged++; break;
        }
    }
}

int mb_compare_files(const char *baseline, const char *current, const mb_compare_options *opt,
                     mb_compare_report **out, mb_err *err)
{
    static const mb_compare_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    *out = NULL;
    if (opt->threshold_set && !(opt->threshold >= 0 && opt->threshold < 1))
        return mb_err_set(err, MB_EUSAGE, "threshold %g is not a fraction in [0, 1)",
                          opt->threshold);
    mb_res_gb_file base, cur;
    int rc = mb_res_gb_load(baseline, MB_EBASELINE, &base, err);
    if (rc != 0)
        return rc;
    rc = mb_res_gb_load(current, MB_EINVAL, &cur, err);
    if (rc != 0) {
        mb_res_gb_clear(&base);
        return rc;
    }
    rc = check_current_complete(cur.path, opt, err);
    if (rc != 0) {
        mb_res_gb_clear(&base);
        mb_res_gb_clear(&cur);
        return rc;
    }
    mb_res_gb_history hist;
    thresholds t;
    rc = mb_res_gb_load_history(&base, MB_EBASELINE, &hist, err);
    if (rc == 0) {
        rc = load_thresholds(cur.path, opt, &t, err);
        if (rc != 0)
            mb_res_gb_history_clear(&hist);
    }
    if (rc == 0) {
        mb_compare_report *r = mb_calloc(1, sizeof *r);
        r->baseline_path = mb_strdup(base.path);
        r->current_path = mb_strdup(cur.path);
        r->baseline_torch = base.torch_version ? mb_strdup(base.torch_version) : NULL;
        r->current_torch = cur.torch_version ? mb_strdup(cur.torch_version) : NULL;
        r->alpha = or_default(opt->alpha, MB_COMPARE_DEFAULT_ALPHA);
        r->confidence = or_default(opt->confidence, MB_COMPARE_DEFAULT_CONFIDENCE);
        r->power = or_default(opt->power, MB_COMPARE_DEFAULT_POWER);
        r->baseline_runs = hist.is_history ? hist.n_runs : 1;
        if (hist.is_history)
            judge_history(r, &base, &hist, &cur, &t, opt);
        else
            judge(r, &base, &cur, &t, opt);
        r->one_run_each = !hist.is_history && !opt->assume_no_drift;
        count(r);
        mb_res_gb_history_clear(&hist);
        mb_res_run_free(&t.run);
        *out = r;
    }
    mb_res_gb_clear(&base);
    mb_res_gb_clear(&cur);
    return rc;
}

void mb_compare_report_free(mb_compare_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_cells; i++) {
        free(r->cells[i].cell);
        free(r->cells[i].device);
        free(r->cells[i].reason);
    }
    free(r->cells);
    free(r->baseline_path);
    free(r->current_path);
    free(r->baseline_torch);
    free(r->current_torch);
    free(r);
}

int mb_compare_outcome(const mb_compare_report *r, mb_outcome *out, mb_err *err)
{
    if (r == NULL)
        return mb_err_set(err, MB_EINVAL, "nothing to compare: no report");
    if (r->n_not_comparable == r->n_cells) {
        if (r->n_cells == 0)
            return mb_err_set(err, MB_EINVAL, "nothing to compare: neither %s nor %s holds a "
                              "cell", r->baseline_path, r->current_path);
        /* Every cell missing on one side or the other means two different
         * sets of cells, which is what comparing two scenarios looks like. */
        size_t missing = 0;
        for (size_t i = 0; i < r->n_cells; i++)
            if (r->cells[i].reason != NULL && strncmp(r->cells[i].reason, "missing in ", 11) == 0)
                missing++;
        if (missing == r->n_cells)
            return mb_err_set(err, MB_EINVAL, "nothing to compare: %zu cell(s) not comparable, "
                              "each missing on one side (different scenario?)", r->n_cells);
        return mb_err_set(err, MB_EINVAL, "nothing to compare: %zu cell(s) not comparable "
                          "(the first: %s)", r->n_cells,
                          r->cells[0].reason ? r->cells[0].reason : "no reason");
    }
    out->regressions = r->n_regressions;
    out->inconclusive = r->n_inconclusive;
    out->not_comparable = r->n_not_comparable;
    return 0;
}

/* The regression rule over two results files: match cells, check that they
 * are comparable, and judge each with stats.h. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compare_private.h"
#include "mb_util.h"
#include "stats.h"

const char *mb_verdict_name(mb_verdict v)
{
    switch (v) {
    case MB_VERDICT_REGRESSION: return "regression";
    case MB_VERDICT_IMPROVEMENT: return "improvement";
    case MB_VERDICT_NOT_COMPARABLE: return "not_comparable";
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
    if (mwu.p_value < alpha && delta < -threshold)
        return MB_VERDICT_REGRESSION;
    if (mwu.p_value < alpha && delta > threshold)
        return MB_VERDICT_IMPROVEMENT;
    return MB_VERDICT_NO_CHANGE;
}

void mb_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                        double threshold, const mb_compare_options *opt, mb_compare_cell *out)
{
    static const mb_compare_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    double alpha = or_default(opt->alpha, MB_COMPARE_DEFAULT_ALPHA);
    double confidence = or_default(opt->confidence, MB_COMPARE_DEFAULT_CONFIDENCE);
    double power = or_default(opt->power, MB_COMPARE_DEFAULT_POWER);
    out->n_baseline = na;
    out->n_current = nb;
    out->threshold = threshold;
    out->baseline_median = na ? mb_stats_median(a, na) : NAN;
    out->current_median = nb ? mb_stats_median(b, nb) : NAN;
    out->ci_low = out->ci_high = out->mde = NAN;
    out->p_exact = false;
    out->verdict = mb_compare_decide(a, na, b, nb, threshold, alpha, &out->change, &out->p_value);
    if (out->verdict == MB_VERDICT_NOT_COMPARABLE) {
        if (out->reason == NULL) {
            if (na < 2 || nb < 2)
                out->reason = mb_asprintf("fewer than 2 successful repetitions (baseline %zu, "
                                          "current %zu)", na, nb);
            else
                out->reason = mb_strdup("a throughput that is not a positive number");
        }
        return;
    }
    mb_stats_mwu mwu;
    if (mb_stats_mann_whitney(a, na, b, nb, &mwu) == 0)
        out->p_exact = mwu.exact;
    double change;
    if (mb_stats_median_change(a, na, b, nb, confidence, &change, &out->ci_low,
                               &out->ci_high) != 0)
        out->ci_low = out->ci_high = NAN;
    out->mde = mb_stats_mde(mb_stats_pooled_cv(a, na, b, nb), na, nb, alpha, power);
}

/* ---- thresholds from run.json ------------------------------------------ */

typedef struct thresholds {
    json_t *cells;          /* run.json's "cells" array, or NULL */
    json_t *root;
} thresholds;

static char *beside(const char *file, const char *name)
{
    const char *slash = strrchr(file, '/');
    if (slash == NULL)
        return mb_strdup(name);
    return mb_asprintf("%.*s/%s", (int)(slash - file), file, name);
}

static int load_thresholds(const char *current_file, const mb_compare_options *opt,
                           thresholds *t, mb_err *err)
{
    memset(t, 0, sizeof *t);
    if (opt->threshold_set)
        return 0;
    char *path = opt->run_json ? mb_strdup(opt->run_json) : beside(current_file, "run.json");
    if (opt->run_json == NULL && access(path, F_OK) != 0) {
        free(path);
        return 0;
    }
    json_error_t jerr;
    t->root = json_load_file(path, 0, &jerr);
    int rc = 0;
    if (t->root == NULL)
        rc = mb_err_set(err, MB_EINVAL, "%s:%d:%d: not valid JSON: %s", path, jerr.line,
                        jerr.column, jerr.text);
    else if (!json_is_array(json_object_get(t->root, "cells")))
        rc = mb_err_set(err, MB_EINVAL, "%s: not an mpsbench run.json (no \"cells\" array)",
                        path);
    else
        t->cells = json_object_get(t->root, "cells");
    free(path);
    if (rc != 0) {
        json_decref(t->root);
        memset(t, 0, sizeof *t);
    }
    return rc;
}

static double threshold_for(const thresholds *t, const mb_compare_options *opt, const char *cell)
{
    if (opt->threshold_set)
        return opt->threshold;
    size_t i;
    json_t *c;
    json_array_foreach(t->cells, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *th = json_object_get(c, "expect_regression");
        if (name != NULL && strcmp(name, cell) == 0 && json_is_number(th) &&
            json_number_value(th) >= 0)
            return json_number_value(th);
    }
    return MB_COMPARE_DEFAULT_THRESHOLD;
}

/* ---- matching cells ---------------------------------------------------- */

static bool same_text(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcmp(a, b) == 0;
}

/* The reason a present-on-both-sides cell cannot be judged, or NULL. */
static char *incomparable(const mb__gb_file *base, const mb__gb_cell *bc,
                          const mb__gb_file *cur, const mb__gb_cell *cc)
{
    if (!same_text(base->torch_version, cur->torch_version))
        return mb_asprintf("torch version differs (baseline %s, current %s)",
                           base->torch_version, cur->torch_version);
    char *bd = mb__gb_device_description(base, bc->device);
    char *cd = mb__gb_device_description(cur, cc->device);
    char *reason = NULL;
    if (!same_text(bd, cd))
        reason = mb_asprintf("device differs (baseline %s, current %s)", bd, cd);
    free(bd);
    free(cd);
    if (reason != NULL)
        return reason;
    const mb__gb_cell *sides[2] = {bc, cc};
    const char *names[2] = {"baseline", "current"};
    for (int s = 0; s < 2; s++) {
        const mb__gb_cell *c = sides[s];
        if (c->n_ips >= 2)
            continue;
        if (c->n_failed > 0)
            return mb_asprintf("failed in %s: %s", names[s], c->first_error);
        if (c->n_no_counter > 0 && c->n_ips == 0)
            return mb_asprintf("no images_per_second counter in %s", names[s]);
        return mb_asprintf("fewer than 2 successful repetitions in %s (%zu)", names[s],
                           c->n_ips);
    }
    return NULL;
}

/* Repetitions that failed are left out, and the cell is compared on the
 * rest; the note says so, because a cell that fails at times is a finding
 * of its own. */
static char *failure_note(const mb__gb_cell *bc, const mb__gb_cell *cc)
{
    if (bc->n_failed == 0 && cc->n_failed == 0)
        return NULL;
    const mb__gb_cell *c = cc->n_failed ? cc : bc;
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

static double median_or_nan(const mb__gb_cell *c)
{
    return c != NULL && c->n_ips > 0 ? mb_stats_median(c->ips, c->n_ips) : NAN;
}

static void judge(mb_compare_report *r, const mb__gb_file *base, const mb__gb_file *cur,
                  const thresholds *t, const mb_compare_options *opt)
{
    for (size_t i = 0; i < cur->n_cells; i++) {
        const mb__gb_cell *cc = &cur->cells[i];
        const mb__gb_cell *bc = mb__gb_find(base, cc->name);
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
        if (c->reason == NULL)
            c->reason = failure_note(bc, cc);
        /* "no change" from a comparison that could not have seen any change
         * must not read as good news. */
        if (c->reason == NULL && isinf(c->mde))
            c->reason = mb_asprintf("%zu against %zu repetitions cannot reach p < %g",
                                    c->n_baseline, c->n_current, r->alpha);
    }
    for (size_t i = 0; i < base->n_cells; i++) {
        const mb__gb_cell *bc = &base->cells[i];
        if (mb__gb_find(cur, bc->name) != NULL)
            continue;
        mb_compare_cell *c = add_cell(r, bc->name, bc->device);
        c->threshold = threshold_for(t, opt, bc->name);
        c->baseline_median = median_or_nan(bc);
        c->n_baseline = bc->n_ips;
        c->reason = mb_strdup("missing in current");
    }
    for (size_t i = 0; i < r->n_cells; i++) {
        switch (r->cells[i].verdict) {
        case MB_VERDICT_REGRESSION: r->n_regressions++; break;
        case MB_VERDICT_IMPROVEMENT: r->n_improvements++; break;
        case MB_VERDICT_NOT_COMPARABLE: r->n_not_comparable++; break;
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
    mb__gb_file base, cur;
    int rc = mb__gb_load(baseline, MB_EBASELINE, &base, err);
    if (rc != 0)
        return rc;
    rc = mb__gb_load(current, MB_EINVAL, &cur, err);
    if (rc != 0) {
        mb__gb_clear(&base);
        return rc;
    }
    thresholds t;
    rc = load_thresholds(cur.path, opt, &t, err);
    if (rc == 0) {
        mb_compare_report *r = mb_calloc(1, sizeof *r);
        r->baseline_path = mb_strdup(base.path);
        r->current_path = mb_strdup(cur.path);
        r->baseline_torch = base.torch_version ? mb_strdup(base.torch_version) : NULL;
        r->current_torch = cur.torch_version ? mb_strdup(cur.torch_version) : NULL;
        r->alpha = or_default(opt->alpha, MB_COMPARE_DEFAULT_ALPHA);
        r->confidence = or_default(opt->confidence, MB_COMPARE_DEFAULT_CONFIDENCE);
        r->power = or_default(opt->power, MB_COMPARE_DEFAULT_POWER);
        judge(r, &base, &cur, &t, opt);
        json_decref(t.root);
        *out = r;
    }
    mb__gb_clear(&base);
    mb__gb_clear(&cur);
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

int mb_compare_exit_code(const mb_compare_report *r)
{
    return r != NULL && r->n_regressions > 0 ? MB_EXIT_EXPECTATION : MB_EXIT_OK;
}

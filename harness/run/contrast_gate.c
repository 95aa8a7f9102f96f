/* The max_cost gate of a contrast; the rule is stated in contrast_gate.h
 * and in the README ("Contrasts").  Three-valued on purpose: a gate is never
 * passed or failed on noise the rounds could not resolve. */
#include "contrast_gate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "compare.h"
#include "mb_util.h"
#include "stats.h"

static void reset(mb_contrast_gate *out, double max_cost, size_t n)
{
    *out = (mb_contrast_gate){0};
    out->verdict = MB_GATE_INCONCLUSIVE;
    out->max_cost = max_cost;
    out->cost = out->cost_low = out->cost_high = out->mde = NAN;
    out->rounds = n;
}

void mb_contrast_gate_unmeasured(double max_cost, char *reason, mb_contrast_gate *out)
{
    reset(out, max_cost, 0);
    out->reason = reason;
}

static char *straddle_reason(const mb_contrast_gate *g)
{
    if (isfinite(g->mde))
        return mb_asprintf("the interval straddles %.1f%%; these rounds detect differences "
                           "above %.1f%% (MDE)", 100 * g->max_cost, 100 * g->mde);
    return mb_asprintf("the interval straddles %.1f%%; %zu rounds cannot reach p < %g",
                       100 * g->max_cost, g->rounds, MB_COMPARE_DEFAULT_ALPHA);
}

void mb_contrast_gate_judge(const double *ratio, size_t n, double max_cost,
                            mb_contrast_gate *out)
{
    reset(out, max_cost, n);
    if (n < 2) {
        out->reason = mb_asprintf("%zu round(s) in which both sides ran, 2 needed", n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!(ratio[i] > 0) || !isfinite(ratio[i])) {
            out->reason = mb_strdup("a throughput that is not a positive number");
            return;
        }
    double *logr = mb_calloc(n, sizeof *logr);
    for (size_t i = 0; i < n; i++)
        logr[i] = log(ratio[i]);
    out->mde = mb_stats_mde_paired(mb_stats_stddev(logr, n), n, MB_COMPARE_DEFAULT_ALPHA,
                                   MB_COMPARE_DEFAULT_POWER);
    free(logr);
    double lo, hi;
    out->cost = 1.0 - mb_stats_median(ratio, n);
    if (mb_stats_median_bootstrap_ci(ratio, n, MB_COMPARE_DEFAULT_CONFIDENCE, &lo, &hi) != 0) {
        out->reason = mb_strdup("no interval for the median ratio");
        return;
    }
    /* The cost falls as the ratio rises: the ends swap. */
    out->cost_low = 1.0 - hi;
    out->cost_high = 1.0 - lo;
    if (out->cost_high <= max_cost)
        out->verdict = MB_GATE_PASS;
    else if (out->cost_low > max_cost)
        out->verdict = MB_GATE_FAIL;
    else
        out->reason = straddle_reason(out);
}

void mb_contrast_gate_clear(mb_contrast_gate *g)
{
    if (g == NULL)
        return;
    free(g->reason);
    free(g->side);
    g->reason = NULL;
    g->side = NULL;
}

const char *mb_gate_verdict_name(mb_gate_verdict v)
{
    switch (v) {
    case MB_GATE_PASS: return "pass";
    case MB_GATE_FAIL: return "fail";
    default: return "inconclusive";
    }
}

static void signed_percent(char *buf, size_t size, double x)
{
    if (isfinite(x))
        snprintf(buf, size, "%+.1f%%", x * 100);
    else
        snprintf(buf, size, "?");
}

char *mb_contrast_gate_sentence(const mb_contrast_gate *g)
{
    char cost[32], lo[32], hi[32];
    signed_percent(cost, sizeof cost, g->cost);
    signed_percent(lo, sizeof lo, g->cost_low);
    signed_percent(hi, sizeof hi, g->cost_high);
    const char *verdict = g->verdict == MB_GATE_PASS ? "pass"
                        : g->verdict == MB_GATE_FAIL ? "FAIL (beyond the bound with 95% confidence)"
                                                     : "inconclusive";
    const char *side = g->side != NULL ? g->side : "the other side";
    if (!isfinite(g->cost))
        return mb_asprintf("%s costs at most %.1f%%: not measured, inconclusive (%s)", side,
                           100 * g->max_cost, g->reason ? g->reason : "?");
    if (g->verdict == MB_GATE_INCONCLUSIVE)
        return mb_asprintf("%s costs at most %.1f%%: measured %s [%s, %s], %s (%s)", side,
                           100 * g->max_cost, cost, lo, hi, verdict, g->reason ? g->reason : "?");
    return mb_asprintf("%s costs at most %.1f%%: measured %s [%s, %s], %s", side,
                       100 * g->max_cost, cost, lo, hi, verdict);
}

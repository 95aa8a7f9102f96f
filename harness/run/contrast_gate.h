/* The max_cost gate of a contrast (`contrasts: [{axis: watermark_fix,
 * max_cost: 2%}]`): does the second side of a contrast cost at most
 * max_cost against the reference side?  Pure arithmetic on the per-round
 * throughput ratios, so the rule is unit-tested apart from any run. */
#ifndef MB_CONTRAST_GATE_H
#define MB_CONTRAST_GATE_H

#include <stddef.h>

typedef enum {
    MB_GATE_PASS = 0,       /* the whole 95% interval of the cost is <= max_cost */
    MB_GATE_FAIL,           /* the whole interval is > max_cost */
    MB_GATE_INCONCLUSIVE,   /* the interval straddles max_cost, or nothing was measured */
} mb_gate_verdict;

typedef struct mb_contrast_gate {
    mb_gate_verdict verdict;
    double max_cost;        /* fraction: 0.02 for 2% */
    /* The cost is the throughput the second side loses against the
     * reference side: 1 - median(other / reference) over the rounds, so
     * +2% means 2% fewer images per second and a negative cost a gain.
     * cost_low and cost_high bound its percentile-bootstrap 95% interval
     * (the same interval as the contrast's change, negated). */
    double cost, cost_low, cost_high;
    double mde;             /* smallest difference these rounds detect (paired) */
    size_t rounds;
    char *reason;           /* inconclusive only: why (heap), else NULL */
    char *side;             /* what costs, e.g. "watermark_fix=on" (heap, may be NULL) */
} mb_contrast_gate;

/* Judges ratio[i] = other side / reference side, the throughput ratio of
 * round i, against max_cost.  Fewer than 2 rounds, or a ratio that is not a
 * positive finite number, is inconclusive.  out->reason and out->side are
 * freed by mb_contrast_gate_clear. */
void mb_contrast_gate_judge(const double *ratio, size_t n, double max_cost,
                            mb_contrast_gate *out);
/* An inconclusive gate for a contrast that was not measured (reason: why;
 * the gate takes it). */
void mb_contrast_gate_unmeasured(double max_cost, char *reason, mb_contrast_gate *out);
void mb_contrast_gate_clear(mb_contrast_gate *g);

/* "pass", "fail" or "inconclusive". */
const char *mb_gate_verdict_name(mb_gate_verdict v);

/* The gate in words, e.g. "watermark_fix=on costs at most 2.0%: measured
 * +0.4% [-0.3%, +1.1%], pass" (heap). */
char *mb_contrast_gate_sentence(const mb_contrast_gate *g);

#endif

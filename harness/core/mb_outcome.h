/* What a command found apart from an error: the expectations and verdicts
 * it judged.  The library fills an mb_outcome and returns 0 or an MB_E*
 * code; every program turns the two into its exit code through one
 * function (mb_exit_code, core/mb_exit.h, DESIGN.md section 4). */
#ifndef MB_OUTCOME_H
#define MB_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mb_outcome {
    /* Cells whose expectation failed: a crash, a timeout, a job error, a
     * bad image, an unexpected OOM, no job ran, a required device missing. */
    size_t cells_failed;
    size_t ooms_expected;       /* jobs whose OOM their cell allowed: information */
    size_t ooms_unexpected;     /* jobs whose OOM their cell did not allow */
    size_t gates_failed;        /* contrasts whose max_cost gate failed */
    size_t gates_inconclusive;  /* contrasts whose gate could not decide */
    /* The verdicts of a comparison (run --baseline, an A/B run, compare).
     * A comparison in which no cell at all was comparable is an error
     * (MB_EINVAL, "nothing to compare: ..."), not an outcome. */
    size_t regressions;
    size_t inconclusive;
    size_t not_comparable;      /* cells missing or failed on one side: information */
    bool fail_on_inconclusive;  /* --fail-on-inconclusive: inconclusive is a failure */
    bool interrupted;           /* SIGINT or SIGTERM stopped the run */
    bool device_unusable;       /* the worker's device cannot run jobs (PROTOCOL.md) */
} mb_outcome;

/* Whether an expectation failed (run.json's "failed", exit code 1):
 * a failed cell, an unexpected OOM, a failed gate, a regression, or an
 * inconclusive cell or gate under fail_on_inconclusive.  The one
 * definition, used by the runner's status and the CLI's exit code. */
static inline bool mb_outcome_failed(const mb_outcome *o)
{
    if (o->cells_failed > 0 || o->ooms_unexpected > 0 || o->gates_failed > 0 ||
        o->regressions > 0)
        return true;
    return o->fail_on_inconclusive && (o->inconclusive > 0 || o->gates_inconclusive > 0);
}

#endif

/* The watermark rule: the one place that decides what a worker's
 * environment holds of PYTORCH_MPS_HIGH_WATERMARK_RATIO and
 * PYTORCH_MPS_LOW_WATERMARK_RATIO, for every kind of worker (the native
 * mpsbench-worker and the service's Python RQ worker alike).
 *
 * - Fix on: HIGH is set to 0.0 the way the service does it,
 *   os.environ.setdefault: a value already there (the user's shell, a
 *   scenario's env axis) wins, and the result says so.
 * - Fix off: HIGH is absent, so PyTorch's default applies, unless the
 *   caller keeps a value it was given on purpose (a scenario's
 *   env.PYTORCH_MPS_HIGH_WATERMARK_RATIO axis); a value inherited from the
 *   user's shell is removed, or a "fix off" cell would measure it.
 * - LOW: PyTorch checks LOW <= HIGH when the allocator starts (with
 *   HIGH = 0.0, against the upper bound 2.0 instead) and refuses to start
 *   otherwise.  Its default LOW is 1.4 on unified memory and 1.0 on discrete
 *   GPUs, so an explicit HIGH between 0 and that default would make every MPS
 *   allocation fail with "invalid low watermark ratio", an error of the
 *   harness's making.  When HIGH is set above 0 and below the default and
 *   LOW is not set, LOW becomes HIGH (setdefault again: an explicit LOW wins
 *   and PyTorch then judges it).
 *
 * PyTorch reads both variables once, when the MPS allocator is created, so
 * whoever applies the rule must do it before the first device allocation. */
#ifndef MB_WATERMARK_H
#define MB_WATERMARK_H

#include <stdbool.h>

#define MB_WATERMARK_HIGH "PYTORCH_MPS_HIGH_WATERMARK_RATIO"
#define MB_WATERMARK_LOW "PYTORCH_MPS_LOW_WATERMARK_RATIO"

typedef struct mb_watermark {
    /* What the environment must hold afterwards: a value, or absent. */
    bool high_set, low_set;
    char high[32], low[32];
    bool high_was_explicit;  /* fix on, and a value already there won */
    bool low_lowered;        /* LOW was set to HIGH so PyTorch accepts both */
} mb_watermark;

/* Applies the rule to the values found before it (NULL = unset).
 * keep_high_when_off: with the fix off, keep a HIGH that was given on
 * purpose instead of removing it. */
void mb_watermark_rule(bool fix, const char *high, const char *low, bool keep_high_when_off,
                       mb_watermark *out);

#endif

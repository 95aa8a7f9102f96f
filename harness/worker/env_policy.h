/* The worker's environment policy, applied before the first device
 * allocation.  PyTorch reads PYTORCH_MPS_HIGH_WATERMARK_RATIO and
 * PYTORCH_MPS_LOW_WATERMARK_RATIO once, when the MPS allocator is created,
 * so the fix only works if it is in place before that moment (DESIGN.md 3). */
#ifndef MB_ENV_POLICY_H
#define MB_ENV_POLICY_H

#include <stdbool.h>

typedef struct mb_env_policy {
    bool watermark_fix;      /* setdefault HIGH=0.0, as the service does */
    bool force_cpu;          /* FORCE_CPU=true in the environment */
    /* What is in effect after applying, for the hello record. */
    char high_ratio[32];     /* "" when unset (PyTorch default 1.7 on unified memory) */
    char low_ratio[32];
    bool high_was_explicit;  /* an explicit user value won over the fix */
    bool low_lowered;        /* LOW was set to HIGH so PyTorch accepts both */
} mb_env_policy;

/* Applies the watermark rule (core/watermark.h) to this process's
 * environment and reads the seed's knobs. */
void mb_env_policy_apply(mb_env_policy *p, bool watermark_fix);
/* True for "1", "true", "yes", "on" (any case). */
bool mb_env_truthy(const char *value);

#endif

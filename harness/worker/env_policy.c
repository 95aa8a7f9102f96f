#include "env_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool mb_env_truthy(const char *value)
{
    if (value == NULL)
        return false;
    return strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
           strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0;
}

static void copy_env(const char *name, char *buf, size_t size)
{
    const char *v = getenv(name);
    snprintf(buf, size, "%s", v ? v : "");
}

void mb_env_policy_apply(mb_env_policy *p, bool watermark_fix)
{
    memset(p, 0, sizeof *p);
    p->watermark_fix = watermark_fix;
    p->force_cpu = mb_env_truthy(getenv("FORCE_CPU"));
    const char *explicit_high = getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    if (watermark_fix) {
        /* The service's fix is os.environ.setdefault: an explicit value wins. */
        if (explicit_high != NULL)
            p->high_was_explicit = true;
        else
            setenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO", "0.0", 0);
    }
    const char *high = getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
#if defined(__APPLE__) && defined(__aarch64__)
    const double default_low = 1.4;   /* Apple silicon: unified memory */
#else
    const double default_low = 1.0;   /* discrete GPUs (Intel Macs) */
#endif
    if (high != NULL && getenv("PYTORCH_MPS_LOW_WATERMARK_RATIO") == NULL) {
        double ratio = strtod(high, NULL);
        if (ratio > 0.0 && ratio < default_low) {
            setenv("PYTORCH_MPS_LOW_WATERMARK_RATIO", high, 0);
            p->low_lowered = true;
        }
    }
    copy_env("PYTORCH_MPS_HIGH_WATERMARK_RATIO", p->high_ratio, sizeof p->high_ratio);
    copy_env("PYTORCH_MPS_LOW_WATERMARK_RATIO", p->low_ratio, sizeof p->low_ratio);
}

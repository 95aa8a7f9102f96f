#include "env_policy.h"
#include "watermark.h"

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

/* Sets or removes name in this process's environment as the rule says. */
static void put_env(const char *name, bool set, const char *value)
{
    if (set)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

void mb_env_policy_apply(mb_env_policy *p, bool watermark_fix)
{
    memset(p, 0, sizeof *p);
    p->watermark_fix = watermark_fix;
    p->force_cpu = mb_env_truthy(getenv("FORCE_CPU"));
    /* The worker keeps a HIGH it was started with even with the fix off:
     * whoever started it (the harness, through the same rule) left it there
     * on purpose. */
    mb_watermark rule;
    mb_watermark_rule(watermark_fix, getenv(MB_WATERMARK_HIGH), getenv(MB_WATERMARK_LOW), true,
                      &rule);
    put_env(MB_WATERMARK_HIGH, rule.high_set, rule.high);
    put_env(MB_WATERMARK_LOW, rule.low_set, rule.low);
    p->high_was_explicit = rule.high_was_explicit;
    p->low_lowered = rule.low_lowered;
    snprintf(p->high_ratio, sizeof p->high_ratio, "%s", rule.high);
    snprintf(p->low_ratio, sizeof p->low_ratio, "%s", rule.low);
}

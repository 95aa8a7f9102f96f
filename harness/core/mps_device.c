#include "mps_device.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oom.h"

#define GiB 1073741824.0

/* Case-insensitive substring search; strcasestr is a GNU/BSD extension. */
static int contains_nocase(const char *hay, const char *needle)
{
    if (hay == NULL)
        return 0;
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++) {
        size_t i = 0;
        while (i < n && hay[i] != '\0' &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static mb_mps_class say(mb_mps_class c, char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static mb_mps_class say(mb_mps_class c, char *reason, size_t size, const char *fmt, ...)
{
    if (reason != NULL && size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, size, fmt, ap);
        va_end(ap);
    }
    return c;
}

/* " (recommendedMaxWorkingSetSize 4.66 GiB)" or "". */
static void working_set_note(const mb_mps_probe *p, char *buf, size_t size)
{
    if (p->working_set > 0)
        snprintf(buf, size, ", recommendedMaxWorkingSetSize %.2f GiB", p->working_set / GiB);
    else
        snprintf(buf, size, "%s", "");
}

mb_mps_class mb_mps_classify(const mb_mps_probe *p, char *reason, size_t reason_size)
{
    if (reason != NULL && reason_size > 0)
        reason[0] = '\0';
    const char *name = p->device_name != NULL && p->device_name[0] != '\0' ? p->device_name
                                                                           : "unknown Metal device";
    char ws[96];
    working_set_note(p, ws, sizeof ws);
    mb_oom_info small, large;
    mb_oom_kind small_kind = p->small_error ? mb_oom_parse(p->small_error, &small) : MB_OOM_NONE;
    mb_oom_kind large_kind =
        p->large_tried && p->large_error ? mb_oom_parse(p->large_error, &large) : MB_OOM_NONE;

    /* A failure that is not about memory says nothing about a cap: the
     * device does not work, whatever it is called. */
    if (p->small_error != NULL && small_kind == MB_OOM_NONE)
        return say(MB_MPS_UNUSABLE, reason, reason_size, "MPS probe failed on %s: %s", name,
                   p->small_error);
    if (contains_nocase(p->device_name, "paravirtual"))
        return say(MB_MPS_PARAVIRTUAL, reason, reason_size,
                   "%s%s: a hosted runner's virtual GPU, whose MPS allocations are capped "
                   "(actions/runner-images#9918, #11899)", name, ws);
    /* The probe is the first thing a fresh worker allocates on the device,
     * so an out-of-memory answer to it is not a memory shortage of the
     * workload: it is the hosted runners' signature (#9918: "MPS allocated:
     * 0 bytes ... Tried to allocate 256 bytes"). */
    if (p->small_error != NULL)
        return say(MB_MPS_PARAVIRTUAL, reason, reason_size,
                   "%s%s: the first, small MPS allocation of a fresh process failed as out of "
                   "memory, as on the hosted runners' paravirtual GPU (actions/runner-images#9918): %s",
                   name, ws, p->small_error);
    if (p->working_set > 0 && p->working_set <= MB_MPS_CAPPED_WORKING_SET_BYTES)
        return say(MB_MPS_PARAVIRTUAL, reason, reason_size,
                   "%s%s: a working set no larger than the hosted runners' cap of about 1 GiB "
                   "(actions/runner-images#11899)", name, ws);
    if (p->large_tried && p->large_error != NULL) {
        if (large_kind != MB_OOM_NONE)
            return say(MB_MPS_PARAVIRTUAL, reason, reason_size,
                       "%s%s: small MPS allocations work but %.2f GiB in one tensor fails as out "
                       "of memory, the hosted runners' cap of about 1 GiB "
                       "(actions/runner-images#11899): %s",
                       name, ws, MB_MPS_LARGE_PROBE_BYTES / GiB, p->large_error);
        return say(MB_MPS_UNUSABLE, reason, reason_size, "MPS large probe failed on %s: %s", name,
                   p->large_error);
    }
    return MB_MPS_USABLE;
}

const char *mb_mps_class_name(mb_mps_class c)
{
    switch (c) {
    case MB_MPS_USABLE:
        return "usable";
    case MB_MPS_PARAVIRTUAL:
        return "paravirtual";
    case MB_MPS_UNUSABLE:
        return "unusable";
    }
    return "unknown";
}

int mb_mps_class_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (int c = MB_MPS_USABLE; c <= MB_MPS_UNUSABLE; c++)
        if (strcmp(name, mb_mps_class_name((mb_mps_class)c)) == 0)
            return c;
    return -1;
}

#include "oom.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *mb_oom_kind_name(mb_oom_kind kind)
{
    switch (kind) {
    case MB_OOM_CUDA: return "cuda";
    case MB_OOM_MPS: return "mps";
    case MB_OOM_CPU: return "cpu";
    default: return "none";
    }
}

double mb_oom_parse_size(const char *text, const char **end)
{
    static const struct { const char *unit; double scale; } units[] = {
        /* Longest first so "GiB" is not read as "G". */
        {"bytes", 1}, {"byte", 1}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0}, {"KB", 1024.0}, {"MB", 1048576.0}, {"GB", 1073741824.0},
        {"TB", 1099511627776.0}, {"B", 1},
    };
    const char *p = text;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    char *after;
    double v = strtod(p, &after);
    while (*after == ' ')
        after++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t len = strlen(units[i].unit);
        if (strncmp(after, units[i].unit, len) == 0 && !isalpha((unsigned char)after[len])) {
            if (end != NULL)
                *end = after + len;
            return v * units[i].scale;
        }
    }
    return -1;
}

/* The size that follows `label` in msg, or -1. */
static double size_after(const char *msg, const char *label)
{
    const char *at = strstr(msg, label);
    if (at == NULL)
        return -1;
    return mb_oom_parse_size(at + strlen(label), NULL);
}

mb_oom_kind mb_oom_parse(const char *msg, mb_oom_info *out)
{
    mb_oom_info info = {MB_OOM_NONE, -1, -1, -1, -1};
    if (msg == NULL) {
        *out = info;
        return MB_OOM_NONE;
    }
    if (strstr(msg, "MPS backend out of memory") != NULL) {
        info.kind = MB_OOM_MPS;
        info.allocated = size_after(msg, "MPS allocated:");
        info.other = size_after(msg, "other allocations:");
        info.max_allowed = size_after(msg, "max allowed:");
        info.tried = size_after(msg, "Tried to allocate");
    } else if (strstr(msg, "CUDA out of memory") != NULL ||
               strstr(msg, "CUDA error: out of memory") != NULL) {
        info.kind = MB_OOM_CUDA;
        info.tried = size_after(msg, "Tried to allocate");
        /* torch 2.x: "Of the allocated memory 1.2 GiB is allocated by PyTorch";
         * torch 1.x: "1.2 GiB already allocated". */
        info.allocated = size_after(msg, "Of the allocated memory");
        const char *already = strstr(msg, " already allocated");
        if (info.allocated < 0 && already != NULL) {
            const char *start = already;
            while (start > msg && start[-1] != ';' && start[-1] != '(')
                start--;
            info.allocated = mb_oom_parse_size(start, NULL);
        }
    } else if (strstr(msg, "DefaultCPUAllocator: can't allocate memory") != NULL ||
               strstr(msg, "DefaultCPUAllocator: not enough memory") != NULL) {
        info.kind = MB_OOM_CPU;
        const char *tried = strstr(msg, "you tried to allocate");
        if (tried != NULL)
            info.tried = mb_oom_parse_size(tried + strlen("you tried to allocate"), NULL);
    } else if (strstr(msg, "std::bad_alloc") != NULL || strstr(msg, "MemoryError") != NULL) {
        /* A host allocation failure surfacing as C++ std::bad_alloc or a
         * Python MemoryError (the RQ worker). */
        info.kind = MB_OOM_CPU;
    }
    *out = info;
    return info.kind;
}

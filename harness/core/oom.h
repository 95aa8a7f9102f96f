/* Out-of-memory messages, classified and parsed.  Pure text processing, so
 * the harness can classify any worker's error text (ours or the Python
 * service's) the same way. */
#ifndef MB_OOM_H
#define MB_OOM_H

#include <stdbool.h>

typedef enum {
    MB_OOM_NONE = 0,    /* not an out-of-memory message */
    MB_OOM_CUDA,        /* "CUDA out of memory. Tried to allocate ..." */
    MB_OOM_MPS,         /* "MPS backend out of memory (MPS allocated: ...)" */
    MB_OOM_CPU          /* "DefaultCPUAllocator: can't allocate memory ..." */
} mb_oom_kind;

typedef struct mb_oom_info {
    mb_oom_kind kind;
    /* Bytes; negative when the message does not carry the figure.  PyTorch
     * prints KB/MB/GB meaning powers of 1024 (c10::format_size), so those
     * and KiB/MiB/GiB all scale by 1024. */
    double allocated;       /* MPS allocated / CUDA "already allocated" */
    double other;           /* MPS "other allocations" */
    double max_allowed;     /* MPS "max allowed" (ratio x recommended max) */
    double tried;           /* "Tried to allocate" */
} mb_oom_info;

/* Classifies msg and extracts what it carries.  Returns the kind (also in
 * out->kind); never reads past the terminating NUL. */
mb_oom_kind mb_oom_parse(const char *msg, mb_oom_info *out);
const char *mb_oom_kind_name(mb_oom_kind kind);

/* "1.49 GiB" style parsing used by mb_oom_parse; -1 when unparsable.
 * *end (may be NULL) points after the unit. */
double mb_oom_parse_size(const char *text, const char **end);

#endif

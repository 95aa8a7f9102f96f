/* run.memory_limit, applied the way each device allows:
 *   CUDA  the caching allocator's per-process memory fraction;
 *   CPU   RLIMIT_DATA on Linux (heap and private mappings, which is where
 *         libtorch's tensors live); macOS does not enforce RLIMIT_DATA for
 *         mmap, so there the cap is reported as not enforceable;
 *   MPS   the high watermark ratio (limit / recommendedMaxWorkingSetSize), and
 *         only when the watermark fix is off: the fix sets the ratio to 0.0,
 *         which disables the limit, and that is exactly what a fix-on cell
 *         must show. */
#ifndef MB_MEMORY_CAP_H
#define MB_MEMORY_CAP_H

#include <stdbool.h>
#include <stdint.h>

#include "torch_api.h"

typedef struct mb_memory_cap {
    uint64_t bytes;         /* requested; 0 = none */
    bool enforced;
    char how[256];          /* what was set, or why nothing could be */
} mb_memory_cap;

/* Host part, before the model loads (so the model counts against it). */
void mb_memory_cap_apply_host(mb_memory_cap *cap, mb_device device, uint64_t bytes);
/* Device part, after the device is initialised. */
void mb_memory_cap_apply_device(mb_memory_cap *cap, mb_device device, bool watermark_fix);

#endif

#include "memory_cap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

void mb_memory_cap_apply_host(mb_memory_cap *cap, mb_device device, uint64_t bytes)
{
    memset(cap, 0, sizeof *cap);
    cap->bytes = bytes;
    if (bytes == 0 || device != MB_DEVICE_CPU)
        return;
#if defined(__linux__)
    struct rlimit rl = {(rlim_t)bytes, (rlim_t)bytes};
    if (setrlimit(RLIMIT_DATA, &rl) == 0) {
        cap->enforced = true;
        snprintf(cap->how, sizeof cap->how, "RLIMIT_DATA = %llu bytes", (unsigned long long)bytes);
    } else {
        snprintf(cap->how, sizeof cap->how, "setrlimit(RLIMIT_DATA) failed: %s", strerror(errno));
    }
#else
    snprintf(cap->how, sizeof cap->how,
             "not enforceable here: this system does not apply RLIMIT_DATA to mmap allocations");
#endif
}

/* Sets the device allocator's limit to the cap as a fraction of base bytes
 * (at most 1 when clamp: CUDA refuses more) and says how, or why not. */
static void set_fraction(mb_memory_cap *cap, mb_device device, uint64_t base, bool clamp,
                         const char *what, const char *base_unknown)
{
    mb_err err;
    double fraction = base ? (double)cap->bytes / (double)base : 0;
    if (clamp && fraction > 1)
        fraction = 1;
    if (base == 0 || mb_torch_set_memory_fraction(device, fraction, &err) != 0) {
        snprintf(cap->how, sizeof cap->how, "%s not set: %.200s", what,
                 base ? err.msg : base_unknown);
        return;
    }
    cap->enforced = true;
    snprintf(cap->how, sizeof cap->how, "%s %.4f of %llu bytes", what, fraction,
             (unsigned long long)base);
}

void mb_memory_cap_apply_device(mb_memory_cap *cap, mb_device device, bool watermark_fix)
{
    if (cap->bytes == 0 || device == MB_DEVICE_CPU)
        return;
    if (device == MB_DEVICE_CUDA) {
        uint64_t total = mb_torch_device_total_memory(device);
        set_fraction(cap, device, total, true, "CUDA memory fraction", "device memory unknown");
        return;
    }
    if (watermark_fix) {
        snprintf(cap->how, sizeof cap->how,
                 "not enforced: the watermark fix (PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0) disables "
                 "the MPS limit; peak use is reported instead");
        return;
    }
    mb_device_memory mem;
    mb_torch_memory(device, &mem);
    uint64_t base = mem.recommended_max ? mem.recommended_max : mb_torch_device_total_memory(device);
    set_fraction(cap, device, base, false, "MPS high watermark ratio",
                 "recommended working set unknown");
}

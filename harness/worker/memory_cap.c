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

void mb_memory_cap_apply_device(mb_memory_cap *cap, mb_device device, bool watermark_fix)
{
    if (cap->bytes == 0 || device == MB_DEVICE_CPU)
        return;
    mb_err err;
    if (device == MB_DEVICE_CUDA) {
        uint64_t total = mb_torch_device_total_memory(device);
        double fraction = total ? (double)cap->bytes / (double)total : 0;
        if (fraction > 1)
            fraction = 1;
        if (total == 0 || mb_torch_set_memory_fraction(device, fraction, &err) != 0) {
            snprintf(cap->how, sizeof cap->how, "CUDA memory fraction not set: %.200s",
                     total ? err.msg : "device memory unknown");
            return;
        }
        cap->enforced = true;
        snprintf(cap->how, sizeof cap->how, "CUDA memory fraction %.4f of %llu bytes", fraction,
                 (unsigned long long)total);
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
    double ratio = base ? (double)cap->bytes / (double)base : 0;
    if (base == 0 || mb_torch_set_memory_fraction(device, ratio, &err) != 0) {
        snprintf(cap->how, sizeof cap->how, "MPS watermark ratio not set: %.200s",
                 base ? err.msg : "recommended working set unknown");
        return;
    }
    cap->enforced = true;
    snprintf(cap->how, sizeof cap->how, "MPS high watermark ratio %.4f of %llu bytes", ratio,
             (unsigned long long)base);
}

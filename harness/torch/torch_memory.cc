/* Memory: the pinned host buffers of the input path, and the device
 * allocator's counters and controls (peak, cache, fraction, total). */
#include "torch_private.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <unistd.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

using namespace mb_torch_detail;

namespace {

uint64_t mb_host_memory_bytes()
{
#if defined(__APPLE__)
    uint64_t mem = 0;
    size_t len = sizeof mem;
    if (sysctlbyname("hw.memsize", &mem, &len, nullptr, 0) == 0)
        return mem;
    return 0;
#else
    long pages = sysconf(_SC_PHYS_PAGES);
    long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0)
        return 0;
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
#endif
}

/* Every host buffer starts with this header, so that mb_torch_host_free
 * knows how the memory was obtained without asking the caller. */
constexpr size_t MB_HOST_HEADER = 64;
enum : uint32_t { MB_HOST_PLAIN = 0x504c4149u, MB_HOST_PINNED = 0x50494e4eu };

} /* namespace */

extern "C" {

void *mb_torch_host_alloc(mb_device d, size_t bytes) noexcept
{
    if (bytes > SIZE_MAX - MB_HOST_HEADER)
        return nullptr;
    void *base = nullptr;
    uint32_t how = MB_HOST_PLAIN;
#if MB_TORCH_HAVE_CUDA
    if (d == MB_DEVICE_CUDA && cudaHostAlloc(&base, bytes + MB_HOST_HEADER,
                                             cudaHostAllocDefault) == cudaSuccess) {
        how = MB_HOST_PINNED;
    } else {
        /* Pinning can fail under a locked-memory limit; clear the sticky
         * error and fall back to pageable memory, which only copies slower. */
        (void)cudaGetLastError();
        base = nullptr;
    }
#else
    (void)d;
#endif
    if (base == nullptr && posix_memalign(&base, 64, bytes + MB_HOST_HEADER) != 0)
        return nullptr;
    std::memcpy(base, &how, sizeof how);
    return static_cast<char *>(base) + MB_HOST_HEADER;
}

void mb_torch_host_free(void *p) noexcept
{
    if (p == nullptr)
        return;
    void *base = static_cast<char *>(p) - MB_HOST_HEADER;
    uint32_t how;
    std::memcpy(&how, base, sizeof how);
#if MB_TORCH_HAVE_CUDA
    if (how == MB_HOST_PINNED) {
        cudaFreeHost(base);
        return;
    }
#endif
    std::free(base);
}

void mb_torch_memory(mb_device d, mb_device_memory *out) noexcept
{
    if (out == nullptr)
        return;
    *out = mb_device_memory{0, 0, 0};
    mb_guard(nullptr, [&]() -> int {
        if (d == MB_DEVICE_CUDA) {
#if MB_TORCH_HAVE_CUDA
            if (torch::cuda::is_available()) {
                /* Index 0 of every StatArray is the aggregate over pools in
                 * all torch versions (StatType::AGGREGATE moved namespaces in
                 * 2.6, its value did not). */
                auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(mb_cuda_index());
                out->peak_allocated = static_cast<uint64_t>(stats.allocated_bytes[0].peak);
                out->peak_reserved = static_cast<uint64_t>(stats.reserved_bytes[0].peak);
            }
#endif
        } else if (d == MB_DEVICE_MPS) {
#if MB_TORCH_HAVE_MPS_HOOKS
            if (at::hasMPS()) {
                const auto &hooks = at::detail::getMPSHooks();
                out->peak_allocated = hooks.getCurrentAllocatedMemory();
                out->peak_reserved = hooks.getDriverAllocatedMemory();
#if MB_TORCH_HAVE_MPS_RECOMMENDED_MAX
                out->recommended_max = hooks.getRecommendedMaxMemory();
#endif
            }
#endif
        }
        return 0;
    });
}

void mb_torch_memory_reset_peak(mb_device d) noexcept
{
    mb_guard(nullptr, [&]() -> int {
#if MB_TORCH_HAVE_CUDA
        if (d == MB_DEVICE_CUDA && torch::cuda::is_available())
            c10::cuda::CUDACachingAllocator::resetPeakStats(mb_cuda_index());
#endif
        /* The MPS allocator keeps no peak, and the CPU has none to keep. */
        (void)d;
        return 0;
    });
}

void mb_torch_empty_cache(mb_device d) noexcept
{
    mb_guard(nullptr, [&]() -> int {
        if (d == MB_DEVICE_CUDA) {
#if MB_TORCH_HAVE_CUDA
            if (torch::cuda::is_available())
                c10::cuda::CUDACachingAllocator::emptyCache();
#endif
        } else if (d == MB_DEVICE_MPS) {
#if MB_TORCH_HAVE_MPS_HOOKS
            if (at::hasMPS())
                at::detail::getMPSHooks().emptyCache();
#endif
        }
        return 0;
    });
}

int mb_torch_set_memory_fraction(mb_device d, double fraction, mb_err *err) noexcept
{
    switch (d) {
    case MB_DEVICE_CUDA:
#if MB_TORCH_HAVE_CUDA
        if (!(fraction >= 0.0 && fraction <= 1.0))
            return mb_err_set(err, MB_EINVAL, "CUDA memory fraction %g is outside [0, 1]",
                              fraction);
        if (!torch::cuda::is_available())
            return mb_err_set(err, MB_EDEVICE, "no CUDA device visible to libtorch");
        return mb_guard(err, [&]() -> int {
            c10::cuda::CUDACachingAllocator::setMemoryFraction(fraction, mb_cuda_index());
            return 0;
        });
#else
        return mb_err_set(err, MB_EDEVICE, "libtorch was not built with CUDA");
#endif
    case MB_DEVICE_MPS:
#if MB_TORCH_HAVE_MPS_HOOKS
        /* MPS accepts up to 2: the limit is fraction x recommendedMaxWorkingSetSize. */
        if (!(fraction >= 0.0 && fraction <= 2.0))
            return mb_err_set(err, MB_EINVAL, "MPS memory fraction %g is outside [0, 2]",
                              fraction);
        if (!at::hasMPS())
            return mb_err_set(err, MB_EDEVICE, "MPS not available");
        return mb_guard(err, [&]() -> int {
            at::detail::getMPSHooks().setMemoryFraction(fraction);
            return 0;
        });
#else
        return mb_err_set(err, MB_EDEVICE,
                          "this libtorch (%s) has no MPS memory controls (torch >= 2.0 needed)",
                          TORCH_VERSION);
#endif
    case MB_DEVICE_CPU:
    default:
        (void)fraction; /* unused in builds with neither CUDA nor MPS */
        return mb_err_set(err, MB_EINVAL,
                          "a memory fraction applies to CUDA and MPS only; cap host memory "
                          "with a resource limit on the worker");
    }
}

uint64_t mb_torch_device_total_memory(mb_device d) noexcept
{
    uint64_t total = 0;
    mb_guard(nullptr, [&]() -> int {
        if (d == MB_DEVICE_CUDA) {
#if MB_TORCH_HAVE_CUDA
            if (torch::cuda::is_available())
                total = at::cuda::getDeviceProperties(mb_cuda_index())->totalGlobalMem;
#endif
        } else {
            /* MPS shares the host's unified memory. */
            total = mb_host_memory_bytes();
        }
        return 0;
    });
    return total;
}

} /* extern "C" */

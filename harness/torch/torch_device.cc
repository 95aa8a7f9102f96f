/* Devices: names, the usability probes, the descriptions that a run
 * records, and the CPU thread count. */
#include "torch_private.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>

#if defined(__APPLE__)
#include <objc/message.h>
#include <objc/runtime.h>
#include <sys/sysctl.h>
#include <sys/types.h>
/* Metal.framework's C entry point; its header is Objective-C only. */
extern "C" void *MTLCreateSystemDefaultDevice(void);
#endif

namespace mb_torch_detail {

c10::Device mb_to_torch_device(mb_device d)
{
    switch (d) {
    case MB_DEVICE_CUDA:
        return c10::Device(c10::kCUDA);
    case MB_DEVICE_MPS:
        return c10::Device(c10::kMPS);
    case MB_DEVICE_CPU:
    default:
        return c10::Device(c10::kCPU);
    }
}

/* Kernels are queued asynchronously on CUDA and MPS: a clock read without a
 * synchronize measures the launch, not the work. */
void mb_sync(const c10::Device &dev)
{
    if (dev.is_cuda()) {
        torch::cuda::synchronize();
    } else if (dev.is_mps()) {
#if MB_TORCH_HAVE_MPS_HOOKS
        at::detail::getMPSHooks().deviceSynchronize();
#endif
    }
}

} /* namespace mb_torch_detail */

using namespace mb_torch_detail;

namespace {

void mb_copy_string(char *buf, size_t size, const std::string &s)
{
    if (buf == nullptr || size == 0)
        return;
    std::snprintf(buf, size, "%s", s.c_str());
}

std::string mb_cpu_model_name()
{
#if defined(__APPLE__)
    char brand[256];
    size_t len = sizeof brand;
    if (sysctlbyname("machdep.cpu.brand_string", brand, &len, nullptr, 0) == 0 && len > 0)
        return std::string(brand);
#else
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        /* x86 says "model name", some Arm kernels only "Hardware" or none. */
        if (line.compare(0, 10, "model name") == 0 || line.compare(0, 8, "Hardware") == 0) {
            size_t colon = line.find(':');
            if (colon != std::string::npos) {
                size_t start = line.find_first_not_of(" \t", colon + 1);
                if (start != std::string::npos)
                    return line.substr(start);
            }
        }
    }
#endif
    return "cpu";
}

#if defined(__APPLE__)
/* The Metal device's name through the Objective-C runtime, so that this
 * file stays C++: MTLCreateSystemDefaultDevice() follows the Create rule
 * (released here), -name returns an autoreleased NSString that outlives
 * this copy.  Never compiled on the project's Linux machines. */
std::string mb_metal_device_name()
{
    id dev = static_cast<id>(MTLCreateSystemDefaultDevice());
    if (dev == nullptr)
        return "";
    id name = reinterpret_cast<id (*)(id, SEL)>(objc_msgSend)(dev, sel_registerName("name"));
    const char *utf8 = name == nullptr ? nullptr
        : reinterpret_cast<const char *(*)(id, SEL)>(objc_msgSend)(name, sel_registerName("UTF8String"));
    std::string out = utf8 != nullptr ? utf8 : "";
    reinterpret_cast<void (*)(id, SEL)>(objc_msgSend)(dev, sel_registerName("release"));
    return out;
}
#endif

} /* namespace */

extern "C" {

const char *mb_torch_version(void) noexcept
{
    return TORCH_VERSION;
}

int mb_device_parse(const char *name) noexcept
{
    if (name == nullptr)
        return -1;
    if (std::strcmp(name, "cpu") == 0)
        return MB_DEVICE_CPU;
    if (std::strcmp(name, "cuda") == 0)
        return MB_DEVICE_CUDA;
    if (std::strcmp(name, "mps") == 0)
        return MB_DEVICE_MPS;
    return -1;
}

const char *mb_device_name(mb_device d) noexcept
{
    switch (d) {
    case MB_DEVICE_CPU:
        return "cpu";
    case MB_DEVICE_CUDA:
        return "cuda";
    case MB_DEVICE_MPS:
        return "mps";
    }
    return "unknown";
}

int mb_torch_device_usable(mb_device d, char *reason, size_t reason_size) noexcept
{
    mb_copy_string(reason, reason_size, "");
    if (d == MB_DEVICE_CUDA && !torch::cuda::is_available()) {
        mb_copy_string(reason, reason_size,
                       MB_TORCH_HAVE_CUDA ? "no CUDA device visible to libtorch"
                                          : "libtorch was not built with CUDA");
        return 0;
    }
    if (d == MB_DEVICE_MPS && !at::hasMPS()) {
        mb_copy_string(reason, reason_size,
                       "MPS not available (libtorch built without MPS, or no Metal device)");
        return 0;
    }
    /* Availability is not usability: GitHub's macOS runners report an MPS
     * device on which every allocation fails.  A small allocation, a kernel
     * and a read-back prove the device does real work. */
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_guard(&err, [&]() -> int {
        c10::InferenceMode guard;
        c10::Device dev = mb_to_torch_device(d);
        at::Tensor a = torch::ones({16, 16}, torch::TensorOptions().device(dev));
        at::Tensor b = torch::mm(a, a);
        mb_sync(dev);
        float sum = b.sum().item<float>();
        if (sum != 4096.0f)
            return mb_err_set(&err, MB_EDEVICE, "probe matmul gave %g, expected 4096",
                              static_cast<double>(sum));
        return 0;
    });
    if (rc != 0) {
        std::string why = std::string(mb_device_name(d)) + " probe failed: " + err.msg;
        mb_copy_string(reason, reason_size, why);
        return 0;
    }
    return 1;
}

int mb_torch_mps_probe(int try_large, mb_mps_facts *facts) noexcept
{
    std::memset(facts, 0, sizeof *facts);
    char reason[512];
    if (!mb_torch_device_usable(MB_DEVICE_MPS, reason, sizeof reason)) {
        mb_copy_string(facts->small_error, sizeof facts->small_error, reason);
        if (!at::hasMPS())
            return -1;
        facts->small_failed = 1;
    }
#if defined(__APPLE__)
    mb_copy_string(facts->device_name, sizeof facts->device_name, mb_metal_device_name());
#endif
    mb_guard(nullptr, [&]() -> int {
#if MB_TORCH_HAVE_MPS_RECOMMENDED_MAX
        facts->working_set = at::detail::getMPSHooks().getRecommendedMaxMemory();
#endif
        return 0;
    });
    if (!try_large || facts->small_failed)
        return 0;
    facts->large_tried = 1;
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_guard(&err, [&]() -> int {
        c10::InferenceMode guard;
        c10::Device dev = mb_to_torch_device(MB_DEVICE_MPS);
        std::vector<at::Tensor> held;
        const int64_t step = 64LL * 1024 * 1024;     /* floats: 256 MiB */
        for (int i = 0; i < 5; i++)
            held.push_back(torch::ones({step}, torch::TensorOptions().device(dev)));
        at::Tensor a = torch::ones({16, 16}, torch::TensorOptions().device(dev));
        float sum = torch::mm(a, a).sum().item<float>();
        mb_sync(dev);
        if (sum != 4096.0f)
            return mb_err_set(&err, MB_EDEVICE, "large probe matmul gave %g, expected 4096",
                              static_cast<double>(sum));
        return 0;
    });
    if (rc != 0) {
        facts->large_failed = 1;
        mb_copy_string(facts->large_error, sizeof facts->large_error, err.msg);
    }
    /* The workload starts from an empty pool, as without the probe. */
    mb_torch_empty_cache(MB_DEVICE_MPS);
    return 0;
}

void mb_torch_device_description(mb_device d, char *buf, size_t size) noexcept
{
    std::string desc = mb_device_name(d);
    mb_guard(nullptr, [&]() -> int {
        if (d == MB_DEVICE_CUDA) {
#if MB_TORCH_HAVE_CUDA
            if (torch::cuda::is_available())
                desc = at::cuda::getDeviceProperties(mb_cuda_index())->name;
#endif
        } else if (d == MB_DEVICE_MPS) {
            /* The Metal device is part of the Apple SoC, whose name the CPU
             * brand string carries ("Apple M2 Pro"). */
            desc = mb_cpu_model_name() + " (MPS)";
        } else {
            desc = mb_cpu_model_name();
        }
        return 0;
    });
    mb_copy_string(buf, size, desc);
}

void mb_torch_set_threads(int n) noexcept
{
    if (n > 0)
        mb_guard(nullptr, [&]() -> int {
            at::set_num_threads(n);
            return 0;
        });
}

int mb_torch_get_threads(void) noexcept
{
    return at::get_num_threads();
}

} /* extern "C" */

/* The C API over libtorch (torch_api.h).  This is the only translation unit
 * of the project that includes torch headers, so that the rest stays C and
 * compiles in seconds.
 *
 * It must compile against three libtorch flavours: Debian 12's 1.13 (CPU
 * only, but shipping the c10/cuda headers without the CUDA libraries), a
 * torch 2.x CUDA wheel, and Homebrew's torch 2.x with MPS.  Version- and
 * backend-specific calls are therefore behind MB_TORCH_HAVE_* macros defined
 * just below, never behind the mere presence of a header. */

/* torch/script.h first: libtorch 1.13's functional headers are not
 * self-contained and need the ATen types it brings in. */
#include <torch/script.h>

#include <torch/cuda.h>
#include <torch/nn/functional/normalization.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <c10/core/InferenceMode.h>

/* CMake defines MB_TORCH_CUDA only when Torch's CUDA libraries exist (see
 * CMakeLists.txt); the headers must be there too. */
#if defined(MB_TORCH_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>) && \
    __has_include(<ATen/cuda/CUDAContext.h>)
#define MB_TORCH_HAVE_CUDA 1
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#else
#define MB_TORCH_HAVE_CUDA 0
#endif

/* at::detail::getMPSHooks() with deviceSynchronize, emptyCache, the memory
 * counters and setMemoryFraction arrived in torch 2.0 (the torch.mps module);
 * getRecommendedMaxMemory in 2.5. */
#if TORCH_VERSION_MAJOR >= 2 && __has_include(<ATen/detail/MPSHooksInterface.h>)
#define MB_TORCH_HAVE_MPS_HOOKS 1
#include <ATen/detail/MPSHooksInterface.h>
#if TORCH_VERSION_MAJOR > 2 || TORCH_VERSION_MINOR >= 5
#define MB_TORCH_HAVE_MPS_RECOMMENDED_MAX 1
#else
#define MB_TORCH_HAVE_MPS_RECOMMENDED_MAX 0
#endif
#else
#define MB_TORCH_HAVE_MPS_HOOKS 0
#define MB_TORCH_HAVE_MPS_RECOMMENDED_MAX 0
#endif

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>
#if defined(__APPLE__)
#include <objc/message.h>
#include <objc/runtime.h>
#include <sys/sysctl.h>
/* Metal.framework's C entry point; its header is Objective-C only. */
extern "C" void *MTLCreateSystemDefaultDevice(void);
#include <sys/types.h>
#endif

/* mb_error.h has no extern "C" block of its own; torch_api.h includes it
 * first, so it must be seen here with C linkage before that happens. */
extern "C" {
#include "mb_error.h"
}
#include "torch_api.h"
#include "mb_cxx_guard.hpp"

namespace F = torch::nn::functional;

namespace {

constexpr uint64_t MB_DEFAULT_SEED = 20240601;

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

bool mb_is_oom_message(const char *m)
{
    return std::strncmp(m, "MPS backend out of memory", 25) == 0 ||
           std::strncmp(m, "CUDA out of memory", 18) == 0 ||
           std::strstr(m, "DefaultCPUAllocator: can't allocate memory") != nullptr;
}

/* libtorch's exceptions as mb_err codes, then the shared translation for the
 * rest.  Messages are libtorch's own, minus the backtrace, because the worker
 * parses the MPS OOM text.  Called inside a catch block (mb_cxx_guard). */
int mb_torch_translate(mb_err *err) noexcept
{
    int rc;
    try {
        throw;
    } catch (const c10::OutOfMemoryError &e) {
        rc = mb_err_set(err, MB_EOOM, "%s", e.what_without_backtrace());
    } catch (const c10::Error &e) {
        const char *m = e.what_without_backtrace();
        rc = mb_err_set(err, mb_is_oom_message(m) ? MB_EOOM : MB_ETORCH, "%s", m);
    } catch (...) {
        rc = mb_cxx_translate(err, MB_ETORCH, MB_EOOM, nullptr);
    }
    /* libtorch messages often end with a newline; mb_err promises none. */
    if (err != nullptr) {
        size_t len = std::strlen(err->msg);
        while (len > 0 && (err->msg[len - 1] == '\n' || err->msg[len - 1] == ' '))
            err->msg[--len] = '\0';
    }
    return rc;
}

/* Runs body so that no C++ exception ever crosses the C boundary. */
template <class Body>
int mb_guard(mb_err *err, Body &&body) noexcept
{
    return mb_cxx_guard(err, std::forward<Body>(body), mb_torch_translate);
}

void mb_copy_string(char *buf, size_t size, const std::string &s)
{
    if (buf == nullptr || size == 0)
        return;
    std::snprintf(buf, size, "%s", s.c_str());
}

torch::nn::Conv2d mb_conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad)
{
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

/* A torchvision ResNet block: BasicBlock (two 3x3 convs) or Bottleneck
 * (1x1, 3x3, 1x1 with expansion 4) with the stride on the 3x3 conv, as in
 * torchvision's "v1.5" models, so FLOPs and layer structure match. */
struct MbBlock : torch::nn::Module {
    MbBlock(int64_t in, int64_t planes, int64_t stride, bool bottleneck)
        : bottleneck_(bottleneck)
    {
        int64_t out = bottleneck ? planes * 4 : planes;
        if (bottleneck) {
            conv1 = register_module("conv1", mb_conv(in, planes, 1, 1, 0));
            conv2 = register_module("conv2", mb_conv(planes, planes, 3, stride, 1));
            conv3 = register_module("conv3", mb_conv(planes, out, 1, 1, 0));
            bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
        } else {
            conv1 = register_module("conv1", mb_conv(in, planes, 3, stride, 1));
            conv2 = register_module("conv2", mb_conv(planes, planes, 3, 1, 1));
        }
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
        bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
        if (stride != 1 || in != out) {
            down = register_module("downsample_conv", mb_conv(in, out, 1, stride, 0));
            down_bn = register_module("downsample_bn", torch::nn::BatchNorm2d(out));
        }
    }

    at::Tensor forward(const at::Tensor &x)
    {
        at::Tensor y = torch::relu(bn1->forward(conv1->forward(x)));
        y = bn2->forward(conv2->forward(y));
        if (bottleneck_)
            y = bn3->forward(conv3->forward(torch::relu(y)));
        at::Tensor identity = down ? down_bn->forward(down->forward(x)) : x;
        return torch::relu(y + identity);
    }

    bool bottleneck_;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, down{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, down_bn{nullptr};
};

/* A stem, a chain of blocks, and global average pooling: the embedding is
 * the pooled feature vector (a classifier head would only add a matmul). */
struct MbNet : torch::nn::Module {
    at::Tensor forward(const at::Tensor &x)
    {
        at::Tensor y = stem->forward(x);
        for (auto &b : blocks)
            y = b->forward(y);
        return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    }

    torch::nn::Sequential stem{nullptr};
    std::vector<std::shared_ptr<MbBlock>> blocks;
};

std::shared_ptr<MbNet> mb_make_tiny()
{
    auto net = std::make_shared<MbNet>();
    net->stem = net->register_module(
        "stem", torch::nn::Sequential(mb_conv(3, 16, 3, 2, 1), torch::nn::ReLU(),
                                      mb_conv(16, 32, 3, 2, 1), torch::nn::ReLU(),
                                      mb_conv(32, 64, 3, 2, 1), torch::nn::ReLU()));
    return net;
}

std::shared_ptr<MbNet> mb_make_resnet(const int (&layers)[4], bool bottleneck)
{
    auto net = std::make_shared<MbNet>();
    net->stem = net->register_module(
        "stem", torch::nn::Sequential(
                    mb_conv(3, 64, 7, 2, 3), torch::nn::BatchNorm2d(64), torch::nn::ReLU(),
                    torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1))));
    int64_t in = 64;
    for (int stage = 0; stage < 4; stage++) {
        int64_t planes = int64_t{64} << stage;
        for (int i = 0; i < layers[stage]; i++) {
            int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
            auto block = std::make_shared<MbBlock>(in, planes, stride, bottleneck);
            net->blocks.push_back(net->register_module(
                "layer" + std::to_string(stage + 1) + "_" + std::to_string(i), block));
            in = bottleneck ? planes * 4 : planes;
        }
    }
    return net;
}

/* torchvision's initialisation: He-normal (fan_out) convs and identity
 * BatchNorm, so that random-weight activations keep a sane scale through
 * fifty layers.  Running statistics keep their defaults, mean 0 and var 1. */
void mb_init_like_torchvision(MbNet &net)
{
    torch::NoGradGuard no_grad;
    for (auto &mod : net.modules(/*include_self=*/false)) {
        if (auto *conv = mod->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined())
                torch::nn::init::zeros_(conv->bias);
        } else if (auto *bn = mod->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        }
    }
}

std::shared_ptr<MbNet> mb_make_builtin(const std::string &name)
{
    static const int resnet18[4] = {2, 2, 2, 2};
    static const int resnet50[4] = {3, 4, 6, 3};
    std::shared_ptr<MbNet> net;
    if (name == "tiny")
        net = mb_make_tiny();
    else if (name == "resnet18")
        net = mb_make_resnet(resnet18, false);
    else if (name == "resnet50")
        net = mb_make_resnet(resnet50, true);
    else
        return nullptr;
    mb_init_like_torchvision(*net);
    return net;
}

} /* namespace */

struct mb_torch_model {
    mb_device kind = MB_DEVICE_CPU;
    c10::Device device{c10::kCPU};
    c10::ScalarType dtype = c10::kFloat;
    bool channels_last = false;
    int64_t dim = 0;
    std::shared_ptr<MbNet> net;                 /* a built-in model, or */
    std::unique_ptr<torch::jit::Module> script; /* a TorchScript one */
    at::Tensor bench_input;                     /* mb_torch_model_time_forward's batch */
#if MB_TORCH_HAVE_CUDA
    /* Host to device copies run on their own stream, so that the copy of
     * batch k+1 overlaps the forward pass of batch k on the compute stream. */
    std::optional<c10::cuda::CUDAStream> copy_stream;
#endif
};

/* One submitted batch.  On CUDA the events time the copy and the forward
 * pass on the GPU itself, so that no synchronize is needed between them. */
struct mb_torch_inflight {
    int64_t n = 0;
    at::Tensor host_out;  /* [n, dim] float32, pinned on CUDA */
    double transfer_ms = 0.0;
    double forward_ms = 0.0;
#if MB_TORCH_HAVE_CUDA
    bool events = false;
    at::cuda::CUDAEvent copy_start{cudaEventDefault}, copy_end{cudaEventDefault};
    at::cuda::CUDAEvent forward_start{cudaEventDefault}, done{cudaEventDefault};
#endif
};

namespace {

/* Resize, cast, layout, forward: everything between the device copy of the
 * input and the raw [n, d] output. */
at::Tensor mb_forward(mb_torch_model &m, at::Tensor x, int resize_to)
{
    if (resize_to > 0) {
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{resize_to, resize_to})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    }
    if (m.dtype != c10::kFloat)
        x = x.to(m.dtype);
    if (m.channels_last)
        x = x.contiguous(at::MemoryFormat::ChannelsLast);

    at::Tensor y;
    if (m.net) {
        y = m.net->forward(x);
    } else {
        c10::IValue out = m.script->forward({x});
        if (out.isTuple() && !out.toTuple()->elements().empty())
            out = out.toTuple()->elements()[0];
        TORCH_CHECK(out.isTensor(), "TorchScript model output is a ", out.tagKind(),
                    ", expected a tensor [n, d] or [n, d, 1, 1]");
        y = out.toTensor();
    }
    if (y.dim() == 4 && y.size(2) == 1 && y.size(3) == 1)
        y = y.flatten(1);
    TORCH_CHECK(y.dim() == 2 && y.size(0) == x.size(0), "model output has shape ", y.sizes(),
                " for a batch of ", x.size(0), ", expected [n, d] or [n, d, 1, 1]");
    return y;
}

/* Converts 4-D weights to channels-last so that convolutions do not convert
 * them again on every call. */
template <class Params>
void mb_params_channels_last(Params &&params)
{
    torch::NoGradGuard no_grad;
    for (at::Tensor p : params) {
        if (p.dim() == 4)
            p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
}

/* Returns 0 or the errno of opening path for reading. */
int mb_file_readable(const char *path)
{
    std::FILE *f = std::fopen(path, "rb");
    if (f == nullptr)
        return errno != 0 ? errno : EIO;
    std::fclose(f);
    return 0;
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

#if MB_TORCH_HAVE_CUDA
c10::DeviceIndex mb_cuda_index()
{
    return c10::cuda::current_device();
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

int mb_torch_model_load(const mb_model_options *opt, mb_torch_model **out, mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (opt == nullptr || opt->spec == nullptr || out == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_load: NULL argument");
    if (opt->device != MB_DEVICE_CPU && opt->device != MB_DEVICE_CUDA &&
        opt->device != MB_DEVICE_MPS)
        return mb_err_set(err, MB_EINVAL, "unknown device %d", static_cast<int>(opt->device));

    static const char prefix[] = "builtin:";
    std::string spec = opt->spec;
    bool builtin = spec.compare(0, sizeof prefix - 1, prefix) == 0;
    /* A missing file is the commonest mistake in a scenario; say so plainly
     * rather than through libtorch's archive-reader message. */
    int open_errno = builtin ? 0 : mb_file_readable(opt->spec);
    if (open_errno != 0)
        return mb_err_set(err, MB_ETORCH, "cannot open TorchScript model '%s': %s", opt->spec,
                          std::strerror(open_errno));

    std::unique_ptr<mb_torch_model> m(new mb_torch_model());
    m->kind = opt->device;
    m->device = mb_to_torch_device(opt->device);
    m->channels_last = opt->channels_last != 0;
    switch (opt->precision) {
    case MB_PRECISION_FP32:
        m->dtype = c10::kFloat;
        break;
    case MB_PRECISION_FP16:
        m->dtype = c10::kHalf;
        break;
    case MB_PRECISION_BF16:
        m->dtype = c10::kBFloat16;
        break;
    default:
        return mb_err_set(err, MB_EINVAL, "unknown precision %d",
                          static_cast<int>(opt->precision));
    }

    int rc = mb_guard(err, [&]() -> int {
#if MB_TORCH_HAVE_CUDA
        if (m->kind == MB_DEVICE_CUDA) {
            /* Batches of one shape repeat thousands of times: let cuDNN time
             * its algorithms once per shape and keep the fastest. */
            at::globalContext().setBenchmarkCuDNN(true);
            m->copy_stream.emplace(c10::cuda::getStreamFromPool(false, mb_cuda_index()));
        }
#endif
        int64_t probe_size = 224;
        if (builtin) {
            std::string name = spec.substr(sizeof prefix - 1);
            torch::manual_seed(opt->seed != 0 ? opt->seed : MB_DEFAULT_SEED);
            m->net = mb_make_builtin(name);
            if (!m->net)
                return mb_err_set(err, MB_EINVAL,
                                  "unknown built-in model '%s' (known: builtin:tiny, "
                                  "builtin:resnet18, builtin:resnet50)",
                                  opt->spec);
            for (auto &p : m->net->parameters())
                p.requires_grad_(false);
            m->net->eval();
            m->net->to(m->device, m->dtype);
            if (m->channels_last)
                mb_params_channels_last(m->net->parameters());
            /* Built-in models accept any input of 32x32 or more. */
            probe_size = 64;
        } else {
            m->script.reset(new torch::jit::Module(torch::jit::load(spec, m->device)));
            m->script->eval();
            m->script->to(m->device, m->dtype);
            if (m->channels_last)
                mb_params_channels_last(m->script->parameters());
        }
        /* One forward pass at load finds the embedding width of a TorchScript
         * model, and fails early (here, not in the first timed job) when the
         * device or the precision cannot run the model. */
        c10::InferenceMode guard;
        at::Tensor x = torch::zeros({1, 3, probe_size, probe_size},
                                    torch::TensorOptions().device(m->device));
        at::Tensor y = mb_forward(*m, x, 0);
        mb_sync(m->device);
        m->dim = y.size(1);
        return 0;
    });
    if (rc != 0)
        return rc;
    *out = m.release();
    return 0;
}

void mb_torch_model_free(mb_torch_model *m) noexcept
{
    try {
        delete m;
    } catch (...) {
        /* A destructor that throws leaves nothing to recover; the C caller
         * must not see the exception. */
    }
}

int mb_torch_model_dim(const mb_torch_model *m) noexcept
{
    return m != nullptr ? static_cast<int>(m->dim) : 0;
}

int mb_torch_model_embed(mb_torch_model *m, const float *nchw, int n, int h, int w,
                         int resize_to, float *out, mb_embed_timing *timing, mb_err *err) noexcept
{
    if (timing != nullptr)
        *timing = mb_embed_timing{0.0, 0.0};
    if (out == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_embed: NULL argument");
    mb_torch_inflight *f = nullptr;
    int rc = mb_torch_model_submit(m, nchw, n, h, w, resize_to, &f, err);
    if (rc != 0)
        return rc;
    return mb_torch_model_collect(m, f, out, timing, err);
}

int mb_torch_model_submit(mb_torch_model *m, const float *nchw, int n, int h, int w,
                          int resize_to, mb_torch_inflight **out, mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (m == nullptr || nchw == nullptr || out == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_submit: NULL argument");
    if (n <= 0 || h <= 0 || w <= 0 || resize_to < 0)
        return mb_err_set(err, MB_EINVAL, "bad batch shape n=%d h=%d w=%d resize_to=%d", n, h,
                          w, resize_to);

    std::unique_ptr<mb_torch_inflight> f(new mb_torch_inflight());
    f->n = n;
    int rc = mb_guard(err, [&]() -> int {
        using clock = std::chrono::steady_clock;
        c10::InferenceMode guard;
        /* from_blob wraps the caller's memory without copying; nothing below
         * writes to it (every step makes a new tensor). */
        at::Tensor host = torch::from_blob(const_cast<float *>(nchw), {n, 3, h, w},
                                           torch::TensorOptions().dtype(torch::kFloat));
#if MB_TORCH_HAVE_CUDA
        if (m->copy_stream) {
            c10::cuda::CUDAStream compute = c10::cuda::getCurrentCUDAStream(mb_cuda_index());
            at::Tensor x;
            {
                c10::cuda::CUDAStreamGuard on_copy(*m->copy_stream);
                f->copy_start.record(*m->copy_stream);
                x = host.to(torch::TensorOptions().device(m->device), /*non_blocking=*/true);
                f->copy_end.record(*m->copy_stream);
            }
            /* x was allocated on the copy stream: tell the caching allocator
             * that the compute stream uses it too, so that its memory is not
             * handed out again before the forward pass is done with it. */
            x.record_stream(compute);
            f->copy_end.block(compute);
            f->forward_start.record(compute);
            at::Tensor y = mb_forward(*m, x, resize_to);
            y = F::normalize(y.to(torch::kFloat), F::NormalizeFuncOptions().p(2).dim(1));
            TORCH_CHECK(y.size(1) == m->dim, "model output width ", y.size(1),
                        " differs from the width found at load, ", m->dim);
            f->host_out = torch::empty(
                {n, m->dim}, torch::TensorOptions().dtype(torch::kFloat).pinned_memory(true));
            f->host_out.copy_(y, /*non_blocking=*/true);
            f->done.record(compute);
            f->events = true;
            return 0;
        }
#endif
        mb_sync(m->device);
        auto t0 = clock::now();
        at::Tensor x = host.to(m->device);
        mb_sync(m->device);
        auto t1 = clock::now();

        at::Tensor y = mb_forward(*m, x, resize_to);
        y = F::normalize(y.to(torch::kFloat), F::NormalizeFuncOptions().p(2).dim(1));
        f->host_out = y.to(torch::kCPU).contiguous();
        mb_sync(m->device);
        TORCH_CHECK(f->host_out.size(1) == m->dim, "model output width ",
                    f->host_out.size(1), " differs from the width found at load, ", m->dim);
        auto t2 = clock::now();
        f->transfer_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        f->forward_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
        return 0;
    });
    if (rc != 0)
        return rc;
    *out = f.release();
    return 0;
}

int mb_torch_model_collect(mb_torch_model *m, mb_torch_inflight *f, float *out,
                           mb_embed_timing *timing, mb_err *err) noexcept
{
    if (timing != nullptr)
        *timing = mb_embed_timing{0.0, 0.0};
    std::unique_ptr<mb_torch_inflight> owned(f);
    if (m == nullptr || f == nullptr || out == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_collect: NULL argument");
    return mb_guard(err, [&]() -> int {
#if MB_TORCH_HAVE_CUDA
        if (f->events) {
            f->done.synchronize();
            f->transfer_ms = f->copy_start.elapsed_time(f->copy_end);
            f->forward_ms = f->forward_start.elapsed_time(f->done);
        }
#endif
        std::memcpy(out, f->host_out.data_ptr<float>(),
                    static_cast<size_t>(f->n) * static_cast<size_t>(m->dim) * sizeof(float));
        if (timing != nullptr) {
            timing->transfer_ms = f->transfer_ms;
            timing->forward_ms = f->forward_ms;
        }
        return 0;
    });
}

void mb_torch_inflight_free(mb_torch_inflight *f) noexcept
{
    mb_guard(nullptr, [&]() -> int {
#if MB_TORCH_HAVE_CUDA
        /* The copies may still be running into memory that dies here. */
        if (f != nullptr && f->events)
            f->done.synchronize();
#endif
        delete f;
        return 0;
    });
}

namespace {

/* Every host buffer starts with this header, so that mb_torch_host_free
 * knows how the memory was obtained without asking the caller. */
constexpr size_t MB_HOST_HEADER = 64;
enum : uint32_t { MB_HOST_PLAIN = 0x504c4149u, MB_HOST_PINNED = 0x50494e4eu };

} /* namespace */

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

int mb_torch_model_time_forward(mb_torch_model *m, int n, int h, int w, double *ms, mb_err *err) noexcept
{
    if (ms != nullptr)
        *ms = 0.0;
    if (m == nullptr || ms == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_time_forward: NULL argument");
    if (n <= 0 || h <= 0 || w <= 0)
        return mb_err_set(err, MB_EINVAL, "bad batch shape n=%d h=%d w=%d", n, h, w);
    return mb_guard(err, [&]() -> int {
        using clock = std::chrono::steady_clock;
        c10::InferenceMode guard;
        if (!m->bench_input.defined() || m->bench_input.size(0) != n ||
            m->bench_input.size(2) != h || m->bench_input.size(3) != w) {
            /* Random data, never zeros: zeros can run faster than photos do. */
            m->bench_input = at::Tensor();
            m->bench_input = torch::randn({n, 3, h, w}, torch::TensorOptions().device(m->device));
        }
        mb_sync(m->device);
        auto t0 = clock::now();
        at::Tensor y = mb_forward(*m, m->bench_input, 0);
        mb_sync(m->device);
        auto t1 = clock::now();
        *ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        return 0;
    });
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

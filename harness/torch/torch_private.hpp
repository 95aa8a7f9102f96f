/* What the files of the libtorch shim share (torch_api.h is the API they
 * implement together): the backend macros, the exception guard, the model
 * handle and the helpers that more than one file calls.  Only the shim's
 * own .cc files include it; they are the only translation units of the
 * project that include torch headers, so that the rest stays C and compiles
 * in seconds.
 *
 * The shim must compile against three libtorch flavours: Debian 12's 1.13
 * (CPU only, but shipping the c10/cuda headers without the CUDA libraries),
 * a torch 2.x CUDA wheel, and Homebrew's torch 2.x with MPS.  Version- and
 * backend-specific calls are therefore behind MB_TORCH_HAVE_* macros defined
 * just below, never behind the mere presence of a header. */
#ifndef MB_TORCH_PRIVATE_HPP
#define MB_TORCH_PRIVATE_HPP

/* torch/script.h first: libtorch 1.13's functional headers are not
 * self-contained and need the ATen types it brings in. */
#include <torch/script.h>

#include <torch/cuda.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
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

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

/* mb_error.h has no extern "C" block of its own; torch_api.h includes it
 * first, so it must be seen here with C linkage before that happens. */
extern "C" {
#include "mb_error.h"
}
#include "torch_api.h"
#include "mb_cxx_guard.hpp"

/* The shim's internal names live in a named namespace, not behind the C
 * side's mb__ prefix: C++ reserves every identifier with a double
 * underscore. */
namespace mb_torch_detail {

/* libtorch's exceptions as mb_err codes, then the shared translation for the
 * rest (torch_error.cc).  Called inside a catch block (mb_cxx_guard). */
int mb_torch_translate(mb_err *err) noexcept;

/* Runs body so that no C++ exception ever crosses the C boundary. */
template <class Body>
int mb_guard(mb_err *err, Body &&body) noexcept
{
    return mb_cxx_guard(err, std::forward<Body>(body), mb_torch_translate);
}

c10::Device mb_to_torch_device(mb_device d);

/* Kernels are queued asynchronously on CUDA and MPS: a clock read without a
 * synchronize measures the launch, not the work (torch_device.cc). */
void mb_sync(const c10::Device &dev);

#if MB_TORCH_HAVE_CUDA
inline c10::DeviceIndex mb_cuda_index()
{
    return c10::cuda::current_device();
}
#endif

struct MbBlock;

/* A stem, a chain of blocks, and global average pooling: the embedding is
 * the pooled feature vector (a classifier head would only add a matmul).
 * The built-in models of torch_net.cc. */
struct MbNet : torch::nn::Module {
    at::Tensor forward(const at::Tensor &x);

    torch::nn::Sequential stem{nullptr};
    std::vector<std::shared_ptr<MbBlock>> blocks;
};

/* builtin:NAME's network with torchvision's initialisation, drawn from
 * torch's global generator; nullptr for an unknown name. */
std::shared_ptr<MbNet> mb_make_builtin(const std::string &name);

} /* namespace mb_torch_detail */

struct mb_torch_model {
    mb_device kind = MB_DEVICE_CPU;
    c10::Device device{c10::kCPU};
    c10::ScalarType dtype = c10::kFloat;
    bool channels_last = false;
    int64_t dim = 0;
    std::shared_ptr<mb_torch_detail::MbNet> net; /* a built-in model, or */
    std::unique_ptr<torch::jit::Module> script;  /* a TorchScript one */
    at::Tensor bench_input;                      /* mb_torch_model_time_forward's batch */
#if MB_TORCH_HAVE_CUDA
    /* Host to device copies run on their own stream, so that the copy of
     * batch k+1 overlaps the forward pass of batch k on the compute stream. */
    std::optional<c10::cuda::CUDAStream> copy_stream;
#endif
};

namespace mb_torch_detail {

/* Resize, cast, layout, forward: everything between the device copy of the
 * input and the raw [n, d] output (torch_model.cc). */
at::Tensor mb_forward(mb_torch_model &m, at::Tensor x, int resize_to);

} /* namespace mb_torch_detail */

#endif

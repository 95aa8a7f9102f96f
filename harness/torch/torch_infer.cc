/* Running a loaded model on a batch: submit (the host to device copy and the
 * forward pass, queued), collect (the normalised embeddings and the timings)
 * and the input-free forward timing of the microbenchmark. */
#include "torch_private.hpp"

#include <torch/nn/functional/normalization.h>

#include <chrono>
#include <cstring>

namespace F = torch::nn::functional;

using namespace mb_torch_detail;

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

#if MB_TORCH_HAVE_CUDA
namespace {

/* Queues the forward pass of x (on the device) on the compute stream, and
 * the copy of its embeddings back to pinned memory, timed by f's events. */
void mb_forward_async(mb_torch_model &m, mb_torch_inflight &f, at::Tensor x, int resize_to,
                      c10::cuda::CUDAStream compute)
{
    f.forward_start.record(compute);
    at::Tensor y = mb_forward(m, x, resize_to);
    y = F::normalize(y.to(torch::kFloat), F::NormalizeFuncOptions().p(2).dim(1));
    TORCH_CHECK(y.size(1) == m.dim, "model output width ", y.size(1),
                " differs from the width found at load, ", m.dim);
    f.host_out = torch::empty({f.n, m.dim},
                              torch::TensorOptions().dtype(torch::kFloat).pinned_memory(true));
    f.host_out.copy_(y, /*non_blocking=*/true);
    f.done.record(compute);
    f.events = true;
}

} /* namespace */
#endif

extern "C" {

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

int mb_torch_model_submit_device(mb_torch_model *m, const float *device_nchw, int n, int h,
                                 int w, mb_torch_inflight **out, mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (m == nullptr || device_nchw == nullptr || out == nullptr || n <= 0 || h <= 0 || w <= 0)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_submit_device: bad argument");
#if MB_TORCH_HAVE_CUDA
    if (!m->copy_stream)
        return mb_err_set(err, MB_EINVAL, "a batch on the GPU needs a model on a CUDA device");
    std::unique_ptr<mb_torch_inflight> f(new mb_torch_inflight());
    f->n = n;
    int rc = mb_guard(err, [&]() -> int {
        c10::InferenceMode guard;
        c10::cuda::CUDAStream compute = c10::cuda::getCurrentCUDAStream(mb_cuda_index());
        auto on_device = torch::TensorOptions().dtype(torch::kFloat).device(m->device);
        at::Tensor x = torch::from_blob(const_cast<float *>(device_nchw), {n, 3, h, w}, on_device);
        /* No copy: the transfer's events enclose nothing. */
        f->copy_start.record(compute);
        f->copy_end.record(compute);
        mb_forward_async(*m, *f, x, 0, compute);
        return 0;
    });
    if (rc != 0)
        return rc;
    *out = f.release();
    return 0;
#else
    return mb_err_set(err, MB_EINVAL, "a batch on the GPU needs a libtorch with CUDA");
#endif
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
            mb_forward_async(*m, *f, x, resize_to, compute);
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

} /* extern "C" */

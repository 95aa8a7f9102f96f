/* gpu_decode.h with nvJPEG and libtorch's CUDA tensors.  Compiled only where
 * CMake found both (MB_HAVE_NVJPEG): this file assumes CUDA throughout. */
#include <torch/script.h>

#include <torch/nn/functional/upsampling.h>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/core/InferenceMode.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <nvjpeg.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include "mb_error.h"
}
#include "gpu_decode.h"
#include "mb_cxx_guard.hpp"

namespace F = torch::nn::functional;

struct mb_gpu_decoder {
    nvjpegHandle_t handle = nullptr;
    nvjpegJpegState_t state = nullptr;
    bool hardware = false;
    int initialized_for = 0;    /* the batch size nvjpegDecodeBatchedInitialize last saw */
    int max_batch = 0;
    c10::Device device{c10::kCUDA};
    std::optional<c10::cuda::CUDAStream> stream;  /* decoding and preprocessing */
    at::Tensor mean, inv_std;   /* [1,3,1,1] on the device */
};

struct mb_gpu_batch {
    at::Tensor x;               /* [n,3,side,side] float32 */
};

namespace {

const char *status_text(nvjpegStatus_t s)
{
    switch (s) {
    case NVJPEG_STATUS_SUCCESS: return "success";
    case NVJPEG_STATUS_NOT_INITIALIZED: return "not initialized";
    case NVJPEG_STATUS_INVALID_PARAMETER: return "invalid parameter";
    case NVJPEG_STATUS_BAD_JPEG: return "bad JPEG";
    case NVJPEG_STATUS_JPEG_NOT_SUPPORTED: return "JPEG not supported";
    case NVJPEG_STATUS_ALLOCATOR_FAILURE: return "allocator failure";
    case NVJPEG_STATUS_EXECUTION_FAILED: return "execution failed";
    case NVJPEG_STATUS_ARCH_MISMATCH: return "architecture mismatch";
    case NVJPEG_STATUS_INTERNAL_ERROR: return "internal error";
    case NVJPEG_STATUS_IMPLEMENTATION_NOT_SUPPORTED: return "implementation not supported";
    default: return "unknown status";
    }
}

/* c10::Error and the rest, as torch_api.cc's guard does, without the
 * OOM-text parsing that only the model's errors need. */
int translate(mb_err *err) noexcept
{
    try {
        throw;
    } catch (const c10::OutOfMemoryError &e) {
        return mb_err_set(err, MB_EOOM, "GPU decode: %s", e.what_without_backtrace());
    } catch (const c10::Error &e) {
        return mb_err_set(err, MB_ETORCH, "GPU decode: %s", e.what_without_backtrace());
    } catch (...) {
        return mb_cxx_translate(err, MB_ETORCH, MB_EOOM, "GPU decode");
    }
}

template <class Body>
int guard(mb_err *err, Body &&body) noexcept
{
    return mb_cxx_guard(err, std::forward<Body>(body), translate);
}

/* One decoded image [3,h,w] uint8 into row (a [3,side,side] view of the batch). */
void preprocess_into(const mb_gpu_decoder &d, const at::Tensor &rgb, at::Tensor row, int side)
{
    at::Tensor x = rgb.unsqueeze(0).to(torch::kFloat);
    if (x.size(2) != side || x.size(3) != side)
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{side, side})
                                  .mode(torch::kBilinear)
                                  .align_corners(false)
                                  .antialias(true));
    row.copy_(((x.div(255.0f) - d.mean) * d.inv_std).squeeze(0));
}

/* The batched decode of the JPEG rows.  Images of exactly side x side are
 * decoded straight into one uint8 batch (the common 224x224 case: one
 * conversion for all of them); others each into their own buffer. */
int decode_rows(mb_gpu_decoder &d, const unsigned char *const *jpegs, const size_t *lens,
                int n, int side, at::Tensor &x, mb_err *err)
{
    std::vector<int> rows;
    std::vector<const unsigned char *> data;
    std::vector<size_t> sizes;
    std::vector<nvjpegImage_t> dest;
    std::vector<at::Tensor> owned;
    at::Tensor same = torch::empty({n, 3, side, side},
                                   torch::TensorOptions().dtype(torch::kUInt8).device(d.device));
    std::vector<bool> in_same;
    for (int i = 0; i < n; i++) {
        if (jpegs[i] == nullptr)
            continue;
        int comps = 0, widths[NVJPEG_MAX_COMPONENT] = {0}, heights[NVJPEG_MAX_COMPONENT] = {0};
        nvjpegChromaSubsampling_t ss;
        nvjpegStatus_t st = nvjpegGetImageInfo(d.handle, jpegs[i], lens[i], &comps, &ss,
                                               widths, heights);
        if (st != NVJPEG_STATUS_SUCCESS)
            return mb_err_set(err, MB_EIMAGE, "nvJPEG cannot read image %d of the batch: %s", i,
                              status_text(st));
        at::Tensor out;
        bool fits = widths[0] == side && heights[0] == side;
        if (fits)
            out = same[i];
        else
            out = torch::empty({3, heights[0], widths[0]},
                               torch::TensorOptions().dtype(torch::kUInt8).device(d.device));
        nvjpegImage_t img{};
        for (int c = 0; c < 3; c++) {
            img.channel[c] = out[c].data_ptr<unsigned char>();
            img.pitch[c] = static_cast<size_t>(widths[0]);
        }
        rows.push_back(i);
        data.push_back(jpegs[i]);
        sizes.push_back(lens[i]);
        dest.push_back(img);
        owned.push_back(out);
        in_same.push_back(fits);
    }
    if (rows.empty())
        return 0;
    int g = static_cast<int>(rows.size());
    nvjpegStatus_t st = NVJPEG_STATUS_SUCCESS;
    if (d.initialized_for != g) {
        st = nvjpegDecodeBatchedInitialize(d.handle, d.state, g, 1, NVJPEG_OUTPUT_RGB);
        d.initialized_for = st == NVJPEG_STATUS_SUCCESS ? g : 0;
    }
    if (st == NVJPEG_STATUS_SUCCESS)
        st = nvjpegDecodeBatched(d.handle, d.state, data.data(), sizes.data(), dest.data(),
                                 d.stream->stream());
    if (st != NVJPEG_STATUS_SUCCESS)
        return mb_err_set(err, MB_EIMAGE, "nvJPEG refused the batch of %d images: %s", g,
                          status_text(st));
    /* Rows decoded at the model's size convert together; the rest one by one. */
    bool all_same = true;
    for (size_t k = 0; k < rows.size(); k++)
        all_same = all_same && in_same[k];
    if (all_same && g == n) {
        x.copy_((same.to(torch::kFloat).div(255.0f) - d.mean) * d.inv_std);
        return 0;
    }
    for (size_t k = 0; k < rows.size(); k++)
        preprocess_into(d, owned[k], x[rows[k]], side);
    return 0;
}

} /* namespace */

extern "C" {

int mb_gpu_decode_built(char *reason, size_t reason_size) noexcept
{
    if (reason != nullptr && reason_size > 0)
        reason[0] = '\0';
    return 1;
}

int mb_gpu_decoder_new(mb_device device, int max_batch, mb_gpu_decoder **out,
                       mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (out == nullptr || max_batch <= 0)
        return mb_err_set(err, MB_EINVAL, "mb_gpu_decoder_new: bad argument");
    if (device != MB_DEVICE_CUDA)
        return mb_err_set(err, MB_EINVAL, "GPU decoding needs the CUDA device (this worker runs "
                          "on %s)", mb_device_name(device));
    std::unique_ptr<mb_gpu_decoder> d(new mb_gpu_decoder());
    d->max_batch = max_batch;
    int rc = guard(err, [&]() -> int {
        d->device = c10::Device(c10::kCUDA, c10::cuda::current_device());
        /* The hardware engines first (A100, H100, H200...); the hybrid
         * backend, Huffman on the host, where the card has none. */
        nvjpegStatus_t st = nvjpegCreateEx(NVJPEG_BACKEND_HARDWARE, nullptr, nullptr, 0,
                                           &d->handle);
        d->hardware = st == NVJPEG_STATUS_SUCCESS;
        if (!d->hardware)
            st = nvjpegCreateEx(NVJPEG_BACKEND_DEFAULT, nullptr, nullptr, 0, &d->handle);
        if (st != NVJPEG_STATUS_SUCCESS)
            return mb_err_set(err, MB_ETORCH, "nvJPEG did not start: %s", status_text(st));
        st = nvjpegJpegStateCreate(d->handle, &d->state);
        if (st != NVJPEG_STATUS_SUCCESS)
            return mb_err_set(err, MB_ETORCH, "nvJPEG state: %s", status_text(st));
        d->stream.emplace(c10::cuda::getStreamFromPool(false, d->device.index()));
        auto opts = torch::TensorOptions().dtype(torch::kFloat).device(d->device);
        d->mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}).to(opts);
        d->inv_std = (1.0f / torch::tensor({0.229f, 0.224f, 0.225f})).view({1, 3, 1, 1}).to(opts);
        return 0;
    });
    if (rc != 0) {
        mb_gpu_decoder_free(d.release());
        return rc;
    }
    *out = d.release();
    return 0;
}

void mb_gpu_decoder_free(mb_gpu_decoder *d) noexcept
{
    if (d == nullptr)
        return;
    /* Whatever the stream still runs reads nvJPEG's buffers: wait for it;
     * a failure here leaves nothing to report to. */
    mb_cxx_best_effort([&]() {
        if (d->stream)
            d->stream->synchronize();
    });
    if (d->state != nullptr)
        nvjpegJpegStateDestroy(d->state);
    if (d->handle != nullptr)
        nvjpegDestroy(d->handle);
    delete d;
}

const char *mb_gpu_decoder_backend(const mb_gpu_decoder *d) noexcept
{
    return d != nullptr && d->hardware ? "hardware" : "hybrid";
}

int mb_gpu_decode_batch(mb_gpu_decoder *d, const unsigned char *const *jpegs,
                        const size_t *lens, const float *host_rows, int n, int side,
                        mb_gpu_batch **out, mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (d == nullptr || jpegs == nullptr || lens == nullptr || out == nullptr || n <= 0 ||
        n > d->max_batch || side <= 0)
        return mb_err_set(err, MB_EINVAL, "mb_gpu_decode_batch: bad argument");
    std::unique_ptr<mb_gpu_batch> b(new mb_gpu_batch());
    int rc = guard(err, [&]() -> int {
        c10::InferenceMode inference;
        c10::cuda::CUDAStream compute = c10::cuda::getCurrentCUDAStream(d->device.index());
        at::cuda::CUDAEvent ready;
        /* The previous batch's decode is done before its nvJPEG state is
         * used again, as torchvision's batched decode synchronizes its
         * stream before each batch: whether nvJPEG allows a state to be
         * reused while a batch decoded with it is still in flight is not
         * documented where we looked.  Measured on an H200 (issue 18,
         * results/reference/gpu-h200/README.md): the 12 MP NaN jobs came
         * from the heap policy in the CUDA worker, not from the missing
         * wait (276 jobs without it came back finite), and the wait costs
         * 6.9% [3.7, 11.4] of 12 MP decode: auto throughput.  Two states
         * used in turn, each waiting for its own previous batch, would keep
         * the guarantee without the cost; not built yet. */
        d->stream->synchronize();
        {
            c10::cuda::CUDAStreamGuard on_decode(*d->stream);
            b->x = torch::empty({n, 3, side, side},
                                torch::TensorOptions().dtype(torch::kFloat).device(d->device));
            for (int i = 0; i < n; i++) {
                if (jpegs[i] != nullptr)
                    continue;
                if (host_rows == nullptr)
                    return mb_err_set(err, MB_EINVAL, "row %d has neither a JPEG nor host pixels",
                                      i);
                at::Tensor host = torch::from_blob(
                    const_cast<float *>(host_rows) + static_cast<size_t>(i) * 3u * side * side,
                    {3, side, side}, torch::TensorOptions().dtype(torch::kFloat));
                b->x[i].copy_(host, /*non_blocking=*/true);
            }
            int drc = decode_rows(*d, jpegs, lens, n, side, b->x, err);
            if (drc != 0)
                return drc;
            ready.record(*d->stream);
        }
        /* The batch was made on the decoding stream and is read on the
         * compute stream: order the two, and keep the allocator from handing
         * its memory out before the compute stream is done with it. */
        ready.block(compute);
        b->x.record_stream(compute);
        return 0;
    });
    if (rc != 0)
        return rc;
    *out = b.release();
    return 0;
}

const float *mb_gpu_batch_data(const mb_gpu_batch *b) noexcept
{
    return b != nullptr ? b->x.data_ptr<float>() : nullptr;
}

int mb_gpu_batch_to_host(const mb_gpu_batch *b, float *out, size_t floats, mb_err *err) noexcept
{
    if (b == nullptr || out == nullptr || floats != static_cast<size_t>(b->x.numel()))
        return mb_err_set(err, MB_EINVAL, "mb_gpu_batch_to_host: bad argument");
    return guard(err, [&]() -> int {
        at::Tensor host = b->x.to(torch::kCPU).contiguous();
        std::memcpy(out, host.data_ptr<float>(), floats * sizeof(float));
        return 0;
    });
}

void mb_gpu_batch_free(mb_gpu_batch *b) noexcept
{
    /* record_stream keeps the memory from reuse until the compute stream's
     * queued work is done; dropping the tensor cannot fail in a way that
     * leaves anything to report. */
    mb_cxx_best_effort([&]() { delete b; });
}

} /* extern "C" */

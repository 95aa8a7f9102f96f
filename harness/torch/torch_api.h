/* A small C API over libtorch.  The torch_*.cc files beside it are the only
 * files in the project that include torch headers.  Every function is
 * MB_NOEXCEPT: its body runs through the shared guard (core/mb_cxx_guard.hpp),
 * which catches c10::OutOfMemoryError, c10::Error, std::exception and
 * anything else at the boundary and reports through the caller's mb_err
 * (code MB_EOOM for out-of-memory, MB_ETORCH otherwise, message verbatim from
 * libtorch). */
#ifndef MB_TORCH_API_H
#define MB_TORCH_API_H

#include <stddef.h>
#include <stdint.h>

#include "mb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MB_DEVICE_CPU = 0, MB_DEVICE_CUDA, MB_DEVICE_MPS } mb_device;

typedef enum { MB_PRECISION_FP32 = 0, MB_PRECISION_FP16, MB_PRECISION_BF16 } mb_precision;

/* "2.3.1" or "1.13.1". */
const char *mb_torch_version(void) MB_NOEXCEPT;
/* "cpu" | "cuda" | "mps" <-> enum; -1 when unknown. */
int mb_device_parse(const char *name) MB_NOEXCEPT;
const char *mb_device_name(mb_device d) MB_NOEXCEPT;

/* Whether the device can really be used: compiled in, present, and a small
 * probe allocation plus a kernel succeed.  Returns 1 usable, 0 not (reason
 * filled, e.g. "not compiled with CUDA", "MPS allocation failed: ..."). */
int mb_torch_device_usable(mb_device d, char *reason, size_t reason_size) MB_NOEXCEPT;
/* What the MPS probe found, judged by mb_mps_classify (harness/core/
 * mps_device.h).  Strings are empty when absent. */
typedef struct mb_mps_facts {
    char device_name[128];      /* MTLDevice.name, e.g. "Apple M2 Pro", "Apple Paravirtual device" */
    uint64_t working_set;       /* recommendedMaxWorkingSetSize in bytes; 0 unknown */
    int small_failed;           /* the small probe of mb_torch_device_usable */
    char small_error[512];
    int large_tried;
    int large_failed;           /* 1.25 GiB held in 256 MiB steps, then a kernel */
    char large_error[512];
} mb_mps_facts;

/* Probes MPS for mb_mps_classify: the Metal device's name (macOS only),
 * recommendedMaxWorkingSetSize (torch >= 2.5), the small probe, and with
 * try_large the large one, which holds more than the hosted runners' cap of
 * about 1 GiB (actions/runner-images#11899) and then empties the cache.
 * Returns 0 with *facts filled, or -1 when MPS is not compiled in or not
 * present (reason in facts->small_error). */
int mb_torch_mps_probe(int try_large, mb_mps_facts *facts) MB_NOEXCEPT;
/* Human-readable device description, e.g. "NVIDIA H100 80GB HBM3" or the CPU model. */
void mb_torch_device_description(mb_device d, char *buf, size_t size) MB_NOEXCEPT;

void mb_torch_set_threads(int n) MB_NOEXCEPT;
int mb_torch_get_threads(void) MB_NOEXCEPT;

typedef struct mb_torch_model mb_torch_model;

typedef struct mb_model_options {
    const char *spec;        /* "builtin:tiny" | "builtin:resnet18" | "builtin:resnet50" | TorchScript path */
    mb_device device;
    mb_precision precision;
    int channels_last;
    uint64_t seed;           /* weights of built-in models; default 0 means 20240601 */
} mb_model_options;

/* Loads the model onto the device, in eval / inference mode.  *out is freed
 * with mb_torch_model_free. */
int mb_torch_model_load(const mb_model_options *opt, mb_torch_model **out, mb_err *err) MB_NOEXCEPT;
void mb_torch_model_free(mb_torch_model *m) MB_NOEXCEPT;
/* Embedding width (e.g. 2048 for resnet50); known after load. */
int mb_torch_model_dim(const mb_torch_model *m) MB_NOEXCEPT;

typedef struct mb_embed_timing {
    double transfer_ms;      /* host -> device copy, synchronized */
    double forward_ms;       /* forward + L2 normalize + copy back, synchronized */
} mb_embed_timing;

/* Embeds n images given as float32 NCHW (already normalized) host memory of
 * shape [n,3,h,w].  Writes n*dim floats to out, each row L2-normalized.
 * If resize_to > 0 the batch is resized on the device to resize_to x resize_to
 * (bilinear) before the forward pass. */
int mb_torch_model_embed(mb_torch_model *m, const float *nchw, int n, int h, int w,
                         int resize_to, float *out, mb_embed_timing *timing, mb_err *err) MB_NOEXCEPT;

/* The asynchronous half of mb_torch_model_embed, so that a caller can
 * prepare batch k+1 on the host while batch k runs.  submit queues the host
 * to device copy (on a copy stream, from pinned memory where nchw came from
 * mb_torch_host_alloc), the forward pass and the copy back, and returns; on
 * the CPU and MPS it does the whole work before returning.  nchw must stay
 * unchanged until the matching collect returns.  *out is consumed by exactly
 * one mb_torch_model_collect, which waits for the batch, writes n*dim floats
 * to out and the batch's device times to timing (CUDA: event times of the
 * copy and of the forward pass on the GPU), and frees the handle whatever it
 * returns; mb_torch_inflight_free releases a handle that will not be
 * collected (NULL accepted). */
typedef struct mb_torch_inflight mb_torch_inflight;
int mb_torch_model_submit(mb_torch_model *m, const float *nchw, int n, int h, int w,
                          int resize_to, mb_torch_inflight **out, mb_err *err) MB_NOEXCEPT;
int mb_torch_model_collect(mb_torch_model *m, mb_torch_inflight *f, float *out,
                           mb_embed_timing *timing, mb_err *err) MB_NOEXCEPT;
void mb_torch_inflight_free(mb_torch_inflight *f) MB_NOEXCEPT;
/* mb_torch_model_submit for a batch already on the GPU: device_nchw is
 * [n,3,h,w] float32 CUDA memory, ready for the forward pass once the work
 * already queued on the current stream is done (gpu_decode.h's batches
 * are), and kept by the caller until the matching collect returns.  The
 * timing's transfer_ms is 0.  MB_EINVAL on a model not on CUDA. */
int mb_torch_model_submit_device(mb_torch_model *m, const float *device_nchw, int n, int h,
                                 int w, mb_torch_inflight **out, mb_err *err) MB_NOEXCEPT;

/* Host memory for batches: page-locked on CUDA, so that copies to the device
 * are asynchronous DMA transfers, and 64-byte aligned plain memory elsewhere
 * (or when pinning fails).  Returns NULL when no memory is left.  Free with
 * mb_torch_host_free, which accepts NULL. */
void *mb_torch_host_alloc(mb_device d, size_t bytes) MB_NOEXCEPT;
void mb_torch_host_free(void *p) MB_NOEXCEPT;

/* Forward pass alone on an [n,3,h,w] batch of random data already on the
 * device (kept between calls of the same shape), synchronized before and
 * after: the model's ceiling, without decoding or copies.  *ms is the
 * wall time of one pass. */
int mb_torch_model_time_forward(mb_torch_model *m, int n, int h, int w, double *ms, mb_err *err) MB_NOEXCEPT;

/* Memory of the device, for one job.  Fields a device lacks are 0. */
typedef struct mb_device_memory {
    uint64_t peak_allocated;   /* CUDA: peak allocated since reset; MPS: current allocated */
    uint64_t peak_reserved;    /* CUDA: peak reserved since reset; MPS: driver allocated */
    uint64_t recommended_max;  /* MPS: recommendedMaxWorkingSetSize, where the torch version has it */
} mb_device_memory;
void mb_torch_memory(mb_device d, mb_device_memory *out) MB_NOEXCEPT;
void mb_torch_memory_reset_peak(mb_device d) MB_NOEXCEPT;
/* Frees cached device memory (CUDA/MPS empty_cache); no-op on the CPU. */
void mb_torch_empty_cache(mb_device d) MB_NOEXCEPT;
/* CUDA: per-process memory fraction; MPS: setMemoryFraction.  0 or error. */
int mb_torch_set_memory_fraction(mb_device d, double fraction, mb_err *err) MB_NOEXCEPT;
/* Total device memory in bytes, 0 where unknown. */
uint64_t mb_torch_device_total_memory(mb_device d) MB_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif

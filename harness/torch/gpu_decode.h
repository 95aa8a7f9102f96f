/* JPEG decoding on the GPU with nvJPEG, straight into the model's input: a
 * batch of JPEG files is decoded by nvJPEG's batched decoder (the hardware
 * engines of an H100/H200 where the card has them, else the hybrid
 * GPU/CPU backend), resized on the GPU (bilinear with antialiasing, as
 * mb_image_resize) and normalized (ImageNet mean and std, as
 * mb_image_to_chw) into one [n,3,side,side] float32 tensor that never
 * visits the host.  Rows the host decoded (images nvJPEG does not take:
 * jpeg_info.h) are copied in from a host batch.
 *
 * Built from gpu_decode.cc where CMake finds nvJPEG and a libtorch with CUDA
 * (MB_HAVE_NVJPEG), else from gpu_decode_none.c, whose functions fail with
 * the reason.  Every function is MB_NOEXCEPT. */
#ifndef MB_GPU_DECODE_H
#define MB_GPU_DECODE_H

#include <stddef.h>

#include "mb_error.h"
#include "torch_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_gpu_decoder mb_gpu_decoder;
typedef struct mb_gpu_batch mb_gpu_batch;

/* 1 when this build has nvJPEG; 0 with why not in reason. */
int mb_gpu_decode_built(char *reason, size_t reason_size) MB_NOEXCEPT;

/* A decoder on the current CUDA device, for batches of up to max_batch
 * images.  MB_EINVAL with the reason when the build has no nvJPEG or the
 * device is not CUDA; MB_ETORCH when nvJPEG cannot start. */
int mb_gpu_decoder_new(mb_device device, int max_batch, mb_gpu_decoder **out,
                       mb_err *err) MB_NOEXCEPT;
void mb_gpu_decoder_free(mb_gpu_decoder *d) MB_NOEXCEPT;
/* "hardware" (the NVJPG engines) or "hybrid". */
const char *mb_gpu_decoder_backend(const mb_gpu_decoder *d) MB_NOEXCEPT;

/* Decodes n images into a batch of side x side.  Row i comes from
 * jpegs[i] (lens[i] bytes, a JPEG that mb_jpeg_gpu_decodable accepts) or,
 * where jpegs[i] is NULL, from host_rows + i*3*side*side (float CHW,
 * already normalized; pinned memory keeps that copy asynchronous; NULL when
 * every row is a JPEG).  The work is queued on the decoder's stream and the
 * current stream waits for it, so a forward pass queued next on the current
 * stream sees the batch (mb_torch_model_submit_device).  jpegs and
 * host_rows may be reused once this returns.  MB_EIMAGE when nvJPEG
 * refuses the batch (the caller decodes it on the host instead). */
int mb_gpu_decode_batch(mb_gpu_decoder *d, const unsigned char *const *jpegs,
                        const size_t *lens, const float *host_rows, int n, int side,
                        mb_gpu_batch **out, mb_err *err) MB_NOEXCEPT;
/* The batch: [n,3,side,side] float32 on the device. */
const float *mb_gpu_batch_data(const mb_gpu_batch *b) MB_NOEXCEPT;
/* Copies the batch to host memory (n*3*side*side floats) and waits: for
 * tests and the decode benchmark. */
int mb_gpu_batch_to_host(const mb_gpu_batch *b, float *out, size_t floats,
                         mb_err *err) MB_NOEXCEPT;
/* Frees the batch once the work queued on the current stream is done with
 * it (NULL accepted). */
void mb_gpu_batch_free(mb_gpu_batch *b) MB_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif

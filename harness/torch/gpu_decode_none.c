/* gpu_decode.h for builds without nvJPEG: the decoder never starts, and says
 * why, so that `decode: gpu` fails with a reason and `auto` means host. */
#include "gpu_decode.h"

#include <stdio.h>

#define MB_NO_NVJPEG "this worker was built without nvJPEG (it needs a libtorch with CUDA and " \
                     "the CUDA toolkit's nvjpeg)"

int mb_gpu_decode_built(char *reason, size_t reason_size)
{
    if (reason != NULL && reason_size > 0)
        snprintf(reason, reason_size, "%s", MB_NO_NVJPEG);
    return 0;
}

int mb_gpu_decoder_new(mb_device device, int max_batch, mb_gpu_decoder **out, mb_err *err)
{
    (void)device;
    (void)max_batch;
    if (out != NULL)
        *out = NULL;
    return mb_err_set(err, MB_EINVAL, "%s", MB_NO_NVJPEG);
}

void mb_gpu_decoder_free(mb_gpu_decoder *d)
{
    (void)d;
}

const char *mb_gpu_decoder_backend(const mb_gpu_decoder *d)
{
    (void)d;
    return "none";
}

int mb_gpu_decode_batch(mb_gpu_decoder *d, const unsigned char *const *jpegs, const size_t *lens,
                        const float *host_rows, int n, int side, mb_gpu_batch **out, mb_err *err)
{
    (void)d, (void)jpegs, (void)lens, (void)host_rows, (void)n, (void)side;
    if (out != NULL)
        *out = NULL;
    return mb_err_set(err, MB_EINVAL, "%s", MB_NO_NVJPEG);
}

const float *mb_gpu_batch_data(const mb_gpu_batch *b)
{
    (void)b;
    return NULL;
}

int mb_gpu_batch_to_host(const mb_gpu_batch *b, float *out, size_t floats, mb_err *err)
{
    (void)b, (void)out, (void)floats;
    return mb_err_set(err, MB_EINVAL, "%s", MB_NO_NVJPEG);
}

void mb_gpu_batch_free(mb_gpu_batch *b)
{
    (void)b;
}

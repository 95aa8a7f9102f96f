/* What a JPEG's frame header declares, read from the markers without
 * decoding: enough to tell whether nvJPEG's batched decoder (the hardware
 * engine of an H100/H200) takes the image, or the host must decode it. */
#ifndef MB_JPEG_INFO_H
#define MB_JPEG_INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

typedef struct mb_jpeg_info {
    int width, height;
    int components;     /* 1 grey, 3 YCbCr (or RGB), 4 CMYK/YCCK */
    int precision;      /* bits per sample, 8 or 12 */
    int sof;            /* the frame marker's second byte: 0xC0 baseline, 0xC2 progressive... */
    bool ends_with_eoi; /* the data's last marker is EOI: a cut file is not */
} mb_jpeg_info;

/* Reads the markers up to the first frame header (SOFn).  MB_EIMAGE with a
 * reason when the data is not a JPEG or ends before a frame header. */
int mb_jpeg_read_info(const unsigned char *data, size_t len, mb_jpeg_info *out, mb_err *err);

/* Whether the GPU decodes it: sequential Huffman (baseline or extended,
 * SOF0/SOF1), 8-bit, three components, within MB_IMAGE_MAX_PIXELS, and not
 * cut short.  Anything else (progressive, arithmetic, lossless, 12-bit, grey,
 * CMYK, truncated) is the host's, whose decoder names what is wrong: nvJPEG
 * may decode a truncated file into grey rows without a word. */
bool mb_jpeg_gpu_decodable(const mb_jpeg_info *info);

#endif

/* Image decoding and preprocessing for the worker: JPEG through libjpeg-turbo
 * (with DCT-domain scaled decoding when the source is much larger than the
 * target), PNG through libpng; bilinear resize; ImageNet normalization into
 * float CHW.  The format comes from the file's magic bytes, not its name. */
#ifndef MB_IMAGE_H
#define MB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "mb_error.h"

typedef struct mb_image {
    int width, height;
    unsigned char *rgb;      /* width*height*3 bytes, interleaved RGB */
} mb_image;

/* Decompression-bomb guard: images declaring more pixels are refused. */
#define MB_IMAGE_MAX_PIXELS (100u * 1000u * 1000u)

/* Decodes a JPEG or PNG file into out (free with mb_image_free; out->rgb is
 * NULL after a failure).  PNG transparency is dropped, not composited.  When
 * min_w/min_h are > 0 the JPEG decoder may scale down in the DCT domain as
 * long as the result stays at least min_w x min_h (so quality for the final
 * resize is kept).  Errors:
 * MB_EIMAGE with a reason naming the file ("truncated JPEG", "bad PNG CRC",
 * "not a JPEG or PNG file", "image of 100000x100000 exceeds the pixel limit"),
 * MB_EIO when the file cannot be read. */
int mb_image_decode_file(const char *path, int min_w, int min_h, mb_image *out, mb_err *err);
int mb_image_decode_memory(const unsigned char *data, size_t len, const char *name,
                           int min_w, int min_h, mb_image *out, mb_err *err);
/* Reads only the header: width and height as declared.  The pixel limit is
 * not applied here, so a bomb reports its claimed size; decoding refuses it. */
int mb_image_probe_file(const char *path, int *width, int *height, mb_err *err);
void mb_image_free(mb_image *img);

/* Bilinear resize of src to w x h into dst (allocated; free with
 * mb_image_free).  Like PIL's BILINEAR: half-pixel centres, edges clamped,
 * and when shrinking the triangle filter widens with the scale factor so
 * every source pixel contributes (antialiasing). */
int mb_image_resize(const mb_image *src, int w, int h, mb_image *dst, mb_err *err);

/* Writes img as float32 CHW with ImageNet mean/std normalization into
 * out[3*h*w]. */
void mb_image_to_chw(const mb_image *img, float *out);

#endif

#include "jpeg_info.h"

#include <stdint.h>

#include "image.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Frame markers: C0-CF except C4 (DHT), C8 (JPG) and CC (DAC). */
static bool is_sof(unsigned char m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

int mb_jpeg_read_info(const unsigned char *data, size_t len, mb_jpeg_info *out, mb_err *err)
{
    *out = (mb_jpeg_info){0};
    if (len < 4 || data[0] != 0xFF || data[1] != 0xD8)
        return mb_err_set(err, MB_EIMAGE, "not a JPEG (no SOI marker)");
    size_t i = 2;
    while (i + 4 <= len) {
        if (data[i] != 0xFF)
            return mb_err_set(err, MB_EIMAGE, "bad JPEG marker at byte %zu", i);
        unsigned char m = data[i + 1];
        if (m == 0xFF) {        /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  /* no length */
            i += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA)
            break;              /* EOI or scan data before any frame header */
        unsigned seg = be16(data + i + 2);
        if (seg < 2 || i + 2 + seg > len)
            return mb_err_set(err, MB_EIMAGE, "truncated JPEG segment at byte %zu", i);
        if (is_sof(m)) {
            if (seg < 8)
                return mb_err_set(err, MB_EIMAGE, "JPEG frame header too short");
            const unsigned char *f = data + i + 4;
            out->sof = m;
            out->precision = f[0];
            out->height = (int)be16(f + 1);
            out->width = (int)be16(f + 3);
            out->components = f[5];
            /* Encoders may pad after EOI; a few trailing zero bytes are fine. */
            size_t end = len;
            while (end > i && len - end < 64 && data[end - 1] == 0x00)
                end--;
            out->ends_with_eoi = end >= 2 && data[end - 2] == 0xFF && data[end - 1] == 0xD9;
            return 0;
        }
        i += 2 + seg;
    }
    return mb_err_set(err, MB_EIMAGE, "no JPEG frame header");
}

bool mb_jpeg_gpu_decodable(const mb_jpeg_info *info)
{
    return (info->sof == 0xC0 || info->sof == 0xC1) && info->precision == 8 &&
           info->components == 3 && info->ends_with_eoi && info->width > 0 && info->height > 0 &&
           (uint64_t)info->width * (uint64_t)info->height <= MB_IMAGE_MAX_PIXELS;
}

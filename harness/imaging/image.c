/* Image decoding and preprocessing.  Decoding works on a whole file held in
 * memory: JPEGs through the TurboJPEG API, PNGs through libpng's classic API
 * (which lets us keep PIL's "drop the alpha channel" semantics and apply the
 * pixel limit right after the header).  Resizing is a separable triangle
 * filter with precomputed fixed-point coefficients, the same scheme PIL uses
 * for BILINEAR, so results match the Python reference pipeline closely. */
#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <turbojpeg.h>

#include "mb_util.h"

/* How much of a file the prober reads first.  JPEG headers that carry large
 * EXIF or ICC segments can exceed this; the prober then reads the rest. */
#define MB_PROBE_PREFIX (256u * 1024u)

static const unsigned char mb_png_magic[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};

typedef enum { MB_KIND_UNKNOWN = 0, MB_KIND_JPEG, MB_KIND_PNG } mb_kind;

static mb_kind sniff(const unsigned char *data, size_t len)
{
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return MB_KIND_JPEG;
    if (len >= sizeof mb_png_magic && memcmp(data, mb_png_magic, sizeof mb_png_magic) == 0)
        return MB_KIND_PNG;
    return MB_KIND_UNKNOWN;
}

static const char *display_name(const char *name)
{
    return name != NULL ? name : "<memory>";
}

static int check_pixel_limit(const char *name, long long w, long long h, mb_err *err)
{
    if (w <= 0 || h <= 0)
        return mb_err_set(err, MB_EIMAGE, "%s: image has no pixels (%lldx%lld)",
                          display_name(name), w, h);
    if ((unsigned long long)w * (unsigned long long)h > MB_IMAGE_MAX_PIXELS)
        return mb_err_set(err, MB_EIMAGE, "%s: image of %lldx%lld exceeds the pixel limit of %u",
                          display_name(name), w, h, MB_IMAGE_MAX_PIXELS);
    return 0;
}

/* Reads at most max bytes of path (all of it when max is 0).  A single
 * allocation sized from fstat keeps the hot path free of realloc copies. */
static int read_file(const char *path, size_t max, unsigned char **data, size_t *len,
                     size_t *file_size, mb_err *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return mb_err_set(err, MB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return mb_err_set(err, MB_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mb_err_set(err, MB_EIO, "%s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > (unsigned long long)SIZE_MAX / 2) {
        close(fd);
        return mb_err_set(err, MB_EIMAGE, "%s: file too large", path);
    }
    size_t want = (size_t)st.st_size;
    if (file_size != NULL)
        *file_size = want;
    if (max > 0 && want > max)
        want = max;
    /* One spare byte so a zero-byte file still gets a valid buffer. */
    unsigned char *buf = malloc(want + 1);
    if (buf == NULL) {
        close(fd);
        return mb_err_set(err, MB_ENOMEM, "%s: cannot allocate %zu bytes", path, want);
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return mb_err_set(err, MB_EIO, "%s: read failed: %s", path, strerror(e));
        }
        if (n == 0)
            break;  /* The file shrank while we read it; decode what is there. */
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

/* ---- JPEG ---- */

/* Picks the smallest DCT scaling factor (at most 1/1) whose output is still
 * at least min_w x min_h.  A non-positive bound does not constrain. */
static tjscalingfactor pick_scale(int w, int h, int min_w, int min_h)
{
    tjscalingfactor best = {1, 1};
    if (min_w <= 0 && min_h <= 0)
        return best;
    int n = 0;
    tjscalingfactor *sf = tjGetScalingFactors(&n);
    if (sf == NULL)
        return best;
    long long best_area = (long long)w * h;
    for (int i = 0; i < n; i++) {
        if (sf[i].num > sf[i].denom)
            continue;
        int sw = TJSCALED(w, sf[i]);
        int sh = TJSCALED(h, sf[i]);
        if ((min_w > 0 && sw < min_w) || (min_h > 0 && sh < min_h))
            continue;
        long long area = (long long)sw * sh;
        if (area < best_area) {
            best_area = area;
            best = sf[i];
        }
    }
    return best;
}

/* Adobe writes CMYK JPEGs inverted (0 = full ink), which is what virtually
 * every CMYK JPEG in the wild is, so R = C * K / 255 and so on. */
static void cmyk_to_rgb(const unsigned char *cmyk, unsigned char *rgb, size_t pixels)
{
    for (size_t i = 0; i < pixels; i++) {
        unsigned k = cmyk[4 * i + 3];
        for (int c = 0; c < 3; c++)
            rgb[3 * i + (size_t)c] = (unsigned char)((cmyk[4 * i + (size_t)c] * k + 127) / 255);
    }
}

/* libjpeg's warnings after which rows are missing or made up (JWRN_JPEG_EOF,
 * JWRN_HIT_MARKER, JWRN_HUFF_BAD_CODE, JWRN_MUST_RESYNC, JWRN_NOT_SEQUENTIAL). */
static bool jpeg_warning_loses_data(const char *why)
{
    static const char *const lossy[] = {"premature end", "bad huffman code", "resync",
                                        "invalid sos parameters"};
    char lower[256];
    size_t n = 0;
    for (; why[n] != '\0' && n + 1 < sizeof lower; n++)
        lower[n] = (char)tolower((unsigned char)why[n]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof lossy / sizeof lossy[0]; i++)
        if (strstr(lower, lossy[i]) != NULL)
            return true;
    return false;
}

static int decode_jpeg(const unsigned char *data, size_t len, const char *name, int min_w,
                       int min_h, mb_image *out, mb_err *err)
{
    const char *nm = display_name(name);
    tjhandle tj = tjInitDecompress();
    if (tj == NULL)
        return mb_err_set(err, MB_ENOMEM, "%s: cannot start the JPEG decoder: %s", nm,
                          tjGetErrorStr2(NULL));
    int rc = 0;
    unsigned char *pixels = NULL;
    unsigned char *cmyk = NULL;
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)len, &w, &h, &subsamp, &colorspace) != 0) {
        rc = mb_err_set(err, MB_EIMAGE, "%s: bad JPEG header: %s", nm, tjGetErrorStr2(tj));
        goto done;
    }
    rc = check_pixel_limit(name, w, h, err);
    if (rc != 0)
        goto done;
    tjscalingfactor sf = pick_scale(w, h, min_w, min_h);
    int sw = TJSCALED(w, sf);
    int sh = TJSCALED(h, sf);
    size_t npix = (size_t)sw * (size_t)sh;
    int is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    pixels = malloc(npix * 3);
    if (is_cmyk)
        cmyk = malloc(npix * 4);
    if (pixels == NULL || (is_cmyk && cmyk == NULL)) {
        rc = mb_err_set(err, MB_ENOMEM, "%s: cannot allocate a %dx%d image", nm, sw, sh);
        goto done;
    }
    /* Flags 0: accurate integer DCT and fancy upsampling, as PIL decodes. */
    int ret = tjDecompress2(tj, data, (unsigned long)len, is_cmyk ? cmyk : pixels, sw, 0, sh,
                            is_cmyk ? TJPF_CMYK : TJPF_RGB, 0);
    if (ret != 0) {
        const char *why = tjGetErrorStr2(tj);
        if (tjGetErrorCode(tj) == TJERR_FATAL) {
            rc = mb_err_set(err, MB_EIMAGE, "%s: corrupt JPEG: %s", nm, why);
            goto done;
        }
        /* libjpeg-turbo decodes a truncated file to the end with grey rows
         * and only warns ("Premature end of JPEG file"; "Corrupt JPEG data:
         * premature end of data segment" when the cut is closed with an end
         * marker).  A benchmark must not time half an image, so a warning
         * that means lost data is an error; others (such as stray bytes
         * before a marker) are common in real photos and the image is
         * usable. */
        if (jpeg_warning_loses_data(why)) {
            rc = mb_err_set(err, MB_EIMAGE, "%s: truncated JPEG (%s)", nm, why);
            goto done;
        }
    }
    if (is_cmyk)
        cmyk_to_rgb(cmyk, pixels, npix);
    out->width = sw;
    out->height = sh;
    out->rgb = pixels;
    pixels = NULL;
done:
    free(pixels);
    free(cmyk);
    tjDestroy(tj);
    return rc;
}

/* ---- PNG ---- */

typedef struct mb_png_ctx {
    const unsigned char *data;
    size_t len;
    size_t pos;
    char msg[256];
    jmp_buf jmp;
} mb_png_ctx;

static void png_read_cb(png_structp png, png_bytep dst, size_t n)
{
    mb_png_ctx *ctx = png_get_io_ptr(png);
    if (ctx->len - ctx->pos < n)
        png_error(png, "unexpected end of file");
    memcpy(dst, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

static void png_error_cb(png_structp png, png_const_charp msg)
{
    mb_png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg != NULL ? msg : "unknown libpng error");
    longjmp(ctx->jmp, 1);
}

/* Warnings (unknown chunks, odd gamma values) do not make an image unusable;
 * staying quiet keeps worker logs readable. */
static void png_warning_cb(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static int png_failure(const mb_png_ctx *ctx, const char *nm, mb_err *err)
{
    if (strstr(ctx->msg, "CRC") != NULL)
        return mb_err_set(err, MB_EIMAGE, "%s: bad PNG CRC (%s)", nm, ctx->msg);
    if (strstr(ctx->msg, "unexpected end of file") != NULL ||
        strstr(ctx->msg, "Not enough image data") != NULL)
        return mb_err_set(err, MB_EIMAGE, "%s: truncated PNG (%s)", nm, ctx->msg);
    return mb_err_set(err, MB_EIMAGE, "%s: corrupt PNG: %s", nm, ctx->msg);
}

/* The context lives in the caller's frame, not in the function that calls
 * setjmp, because the callbacks change it between setjmp and longjmp. */
static int decode_png_ctx(mb_png_ctx *ctx, const char *name, mb_image *out, mb_err *err)
{
    const char *nm = display_name(name);
    /* Everything the error path reads is volatile: longjmp may clobber
     * non-volatile locals changed after setjmp. */
    png_structp volatile png = NULL;
    png_infop volatile info = NULL;
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile int rc = 0;

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, png_error_cb, png_warning_cb);
    if (png == NULL)
        return mb_err_set(err, MB_ENOMEM, "%s: cannot start the PNG decoder", nm);
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_structp p = png;
        png_destroy_read_struct(&p, NULL, NULL);
        return mb_err_set(err, MB_ENOMEM, "%s: cannot start the PNG decoder", nm);
    }
    if (setjmp(ctx->jmp) != 0) {
        rc = png_failure(ctx, nm, err);
        goto done;
    }
    png_set_read_fn(png, ctx, png_read_cb);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    rc = check_pixel_limit(name, (long long)w, (long long)h, err);
    if (rc != 0)
        goto done;
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    /* The transforms give 8-bit RGB from every PNG flavour.  Transparency
     * (alpha channel or tRNS) is dropped, not composited, as PIL's
     * convert("RGB") does in the reference pipeline. */
    if (depth == 16)
        png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if ((color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_rowbytes(png, info) != (size_t)w * 3) {
        rc = mb_err_set(err, MB_EIMAGE, "%s: unsupported PNG layout (%d channels)", nm,
                        (int)png_get_channels(png, info));
        goto done;
    }
    pixels = malloc((size_t)w * h * 3);
    rows = malloc(sizeof(png_bytep) * h);
    if (pixels == NULL || rows == NULL) {
        rc = mb_err_set(err, MB_ENOMEM, "%s: cannot allocate a %ux%u image", nm, (unsigned)w,
                        (unsigned)h);
        goto done;
    }
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = pixels + (size_t)y * w * 3;
    png_read_image(png, rows);
    /* Reading to IEND verifies the CRC of the last IDAT chunk. */
    png_read_end(png, NULL);
    out->width = (int)w;
    out->height = (int)h;
    out->rgb = pixels;
    pixels = NULL;
done:;
    png_structp p = png;
    png_infop i = info;
    png_destroy_read_struct(&p, &i, NULL);
    free(rows);
    free(pixels);
    return rc;
}

static int decode_png(const unsigned char *data, size_t len, const char *name, mb_image *out,
                      mb_err *err)
{
    mb_png_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.data = data;
    ctx.len = len;
    return decode_png_ctx(&ctx, name, out, err);
}

/* ---- public decoding ---- */

int mb_image_decode_memory(const unsigned char *data, size_t len, const char *name, int min_w,
                           int min_h, mb_image *out, mb_err *err)
{
    if (out == NULL || (data == NULL && len > 0))
        return mb_err_set(err, MB_EINVAL, "mb_image_decode_memory: NULL argument");
    out->width = 0;
    out->height = 0;
    out->rgb = NULL;
    if (len == 0)
        return mb_err_set(err, MB_EIMAGE, "%s: empty file", display_name(name));
    switch (sniff(data, len)) {
    case MB_KIND_JPEG:
        return decode_jpeg(data, len, name, min_w, min_h, out, err);
    case MB_KIND_PNG:
        return decode_png(data, len, name, out, err);
    default:
        return mb_err_set(err, MB_EIMAGE, "%s: not a JPEG or PNG file", display_name(name));
    }
}

int mb_image_decode_file(const char *path, int min_w, int min_h, mb_image *out, mb_err *err)
{
    if (path == NULL || out == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_image_decode_file: NULL argument");
    out->width = 0;
    out->height = 0;
    out->rgb = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, 0, &data, &len, NULL, err);
    if (rc != 0)
        return rc;
    rc = mb_image_decode_memory(data, len, path, min_w, min_h, out, err);
    free(data);
    return rc;
}

static uint32_t read_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The prober reports what the header declares and does not apply the pixel
 * limit: callers that group files by size should see a bomb's claimed size,
 * and decoding still refuses it with a clear reason. */
static int probe_memory(const unsigned char *data, size_t len, const char *path, int *width,
                        int *height, mb_err *err)
{
    if (len == 0)
        return mb_err_set(err, MB_EIMAGE, "%s: empty file", path);
    switch (sniff(data, len)) {
    case MB_KIND_PNG: {
        /* IHDR is always the first chunk: length, type, width, height. */
        if (len < 24 || memcmp(data + 12, "IHDR", 4) != 0)
            return mb_err_set(err, MB_EIMAGE, "%s: bad PNG header", path);
        uint32_t w = read_be32(data + 16), h = read_be32(data + 20);
        if (w == 0 || h == 0 || w > INT_MAX || h > INT_MAX)
            return mb_err_set(err, MB_EIMAGE, "%s: bad PNG size %ux%u", path, (unsigned)w,
                              (unsigned)h);
        *width = (int)w;
        *height = (int)h;
        return 0;
    }
    case MB_KIND_JPEG: {
        tjhandle tj = tjInitDecompress();
        if (tj == NULL)
            return mb_err_set(err, MB_ENOMEM, "%s: cannot start the JPEG decoder", path);
        int subsamp = 0, colorspace = 0;
        int rc = 0;
        if (tjDecompressHeader3(tj, data, (unsigned long)len, width, height, &subsamp,
                                &colorspace) != 0)
            rc = mb_err_set(err, MB_EIMAGE, "%s: bad JPEG header: %s", path,
                            tjGetErrorStr2(tj));
        tjDestroy(tj);
        return rc;
    }
    default:
        return mb_err_set(err, MB_EIMAGE, "%s: not a JPEG or PNG file", path);
    }
}

int mb_image_probe_file(const char *path, int *width, int *height, mb_err *err)
{
    if (path == NULL || width == NULL || height == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_image_probe_file: NULL argument");
    unsigned char *data = NULL;
    size_t len = 0, file_size = 0;
    int rc = read_file(path, MB_PROBE_PREFIX, &data, &len, &file_size, err);
    if (rc != 0)
        return rc;
    rc = probe_memory(data, len, path, width, height, err);
    if (rc == MB_EIMAGE && file_size > len) {
        /* The header did not fit in the prefix; try again with the file. */
        free(data);
        rc = read_file(path, 0, &data, &len, NULL, err);
        if (rc != 0)
            return rc;
        rc = probe_memory(data, len, path, width, height, err);
    }
    free(data);
    return rc;
}

void mb_image_free(mb_image *img)
{
    if (img == NULL)
        return;
    free(img->rgb);
    img->rgb = NULL;
    img->width = 0;
    img->height = 0;
}

/* ---- resize ---- */

/* Fixed-point precision of the filter coefficients, as in PIL: 22 bits keep
 * 255 * 2^22 inside an int32 accumulator. */
#define MB_RS_BITS 22

/* Coefficients of one pass: for output index i, taps [first[i], first[i] +
 * count[i]) of the source, with weights coef[i * max_taps + k]. */
typedef struct mb_rs_table {
    int *first;
    int *count;
    int32_t *coef;
    int max_taps;
} mb_rs_table;

static void rs_table_free(mb_rs_table *t)
{
    free(t->first);
    free(t->count);
    free(t->coef);
}

/* A triangle filter whose support widens with the downscale factor, so
 * shrinking averages every source pixel (antialiasing) while enlarging is
 * plain bilinear interpolation with half-pixel centres. */
static int rs_table_build(int in_size, int out_size, mb_rs_table *t)
{
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = filterscale;  /* The triangle's radius is 1 source pixel, scaled. */
    int max_taps = (int)(support * 2.0) + 2;
    t->max_taps = max_taps;
    t->first = malloc(sizeof(int) * (size_t)out_size);
    t->count = malloc(sizeof(int) * (size_t)out_size);
    t->coef = malloc(sizeof(int32_t) * (size_t)out_size * (size_t)max_taps);
    double *w = malloc(sizeof(double) * (size_t)max_taps);
    if (t->first == NULL || t->count == NULL || t->coef == NULL || w == NULL) {
        free(w);
        rs_table_free(t);
        return -1;
    }
    for (int i = 0; i < out_size; i++) {
        double center = (i + 0.5) * scale;
        int lo = (int)(center - support + 0.5);
        int hi = (int)(center + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > in_size)
            hi = in_size;
        if (hi - lo > max_taps)
            hi = lo + max_taps;
        double total = 0.0;
        int n = hi - lo;
        for (int k = 0; k < n; k++) {
            double d = (lo + k + 0.5 - center) / filterscale;
            double v = 1.0 - (d < 0 ? -d : d);
            w[k] = v > 0.0 ? v : 0.0;
            total += w[k];
        }
        int32_t *c = t->coef + (size_t)i * (size_t)max_taps;
        for (int k = 0; k < n; k++) {
            double v = total > 0.0 ? w[k] / total : (k == 0 ? 1.0 : 0.0);
            double fixed = v * (double)(1 << MB_RS_BITS);
            c[k] = (int32_t)(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
        }
        t->first[i] = lo;
        t->count[i] = n;
    }
    free(w);
    return 0;
}

static unsigned char rs_clip(int32_t acc)
{
    acc >>= MB_RS_BITS;
    if (acc < 0)
        return 0;
    if (acc > 255)
        return 255;
    return (unsigned char)acc;
}

static void rs_horizontal(const unsigned char *src, int src_w, int rows, unsigned char *dst,
                          int dst_w, const mb_rs_table *t)
{
    for (int y = 0; y < rows; y++) {
        const unsigned char *s = src + (size_t)y * (size_t)src_w * 3;
        unsigned char *d = dst + (size_t)y * (size_t)dst_w * 3;
        for (int x = 0; x < dst_w; x++) {
            const int32_t *c = t->coef + (size_t)x * (size_t)t->max_taps;
            const unsigned char *p = s + (size_t)t->first[x] * 3;
            int32_t r = 1 << (MB_RS_BITS - 1), g = r, b = r;
            for (int k = 0; k < t->count[x]; k++) {
                r += p[3 * k] * c[k];
                g += p[3 * k + 1] * c[k];
                b += p[3 * k + 2] * c[k];
            }
            d[3 * x] = rs_clip(r);
            d[3 * x + 1] = rs_clip(g);
            d[3 * x + 2] = rs_clip(b);
        }
    }
}

/* src holds rows [row0, ...) of the horizontally resized image. */
static void rs_vertical(const unsigned char *src, int row0, int w, unsigned char *dst,
                        int dst_h, const mb_rs_table *t)
{
    size_t stride = (size_t)w * 3;
    for (int y = 0; y < dst_h; y++) {
        const int32_t *c = t->coef + (size_t)y * (size_t)t->max_taps;
        const unsigned char *s = src + (size_t)(t->first[y] - row0) * stride;
        unsigned char *d = dst + (size_t)y * stride;
        for (size_t x = 0; x < stride; x++) {
            int32_t acc = 1 << (MB_RS_BITS - 1);
            for (int k = 0; k < t->count[y]; k++)
                acc += s[(size_t)k * stride + x] * c[k];
            d[x] = rs_clip(acc);
        }
    }
}

int mb_image_resize(const mb_image *src, int w, int h, mb_image *dst, mb_err *err)
{
    if (src == NULL || dst == NULL || src->rgb == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_image_resize: NULL argument");
    if (w <= 0 || h <= 0 || src->width <= 0 || src->height <= 0)
        return mb_err_set(err, MB_EINVAL, "mb_image_resize: bad size %dx%d -> %dx%d",
                          src->width, src->height, w, h);
    if ((unsigned long long)w * (unsigned long long)h > MB_IMAGE_MAX_PIXELS)
        return mb_err_set(err, MB_EINVAL, "mb_image_resize: %dx%d exceeds the pixel limit", w,
                          h);
    dst->width = 0;
    dst->height = 0;
    dst->rgb = NULL;
    size_t out_bytes = (size_t)w * (size_t)h * 3;
    unsigned char *out = malloc(out_bytes);
    if (out == NULL)
        return mb_err_set(err, MB_ENOMEM, "cannot allocate a %dx%d image", w, h);
    if (w == src->width && h == src->height) {
        memcpy(out, src->rgb, out_bytes);
        dst->width = w;
        dst->height = h;
        dst->rgb = out;
        return 0;
    }
    mb_rs_table th = {0}, tv = {0};
    unsigned char *mid = NULL;
    if (rs_table_build(src->width, w, &th) != 0 || rs_table_build(src->height, h, &tv) != 0) {
        rs_table_free(&th);
        free(out);
        return mb_err_set(err, MB_ENOMEM, "cannot allocate resize tables");
    }
    /* Only the source rows the vertical pass reads go through the
     * horizontal pass. */
    int row0 = tv.first[0];
    int row1 = tv.first[h - 1] + tv.count[h - 1];
    int rows = row1 - row0;
    mid = malloc((size_t)w * (size_t)rows * 3);
    if (mid == NULL) {
        rs_table_free(&th);
        rs_table_free(&tv);
        free(out);
        return mb_err_set(err, MB_ENOMEM, "cannot allocate a %dx%d image", w, rows);
    }
    rs_horizontal(src->rgb + (size_t)row0 * (size_t)src->width * 3, src->width, rows, mid, w,
                  &th);
    rs_vertical(mid, row0, w, out, h, &tv);
    free(mid);
    rs_table_free(&th);
    rs_table_free(&tv);
    dst->width = w;
    dst->height = h;
    dst->rgb = out;
    return 0;
}

/* ---- normalization ---- */

void mb_image_to_chw(const mb_image *img, float *out)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f};
    static const float stdev[3] = {0.229f, 0.224f, 0.225f};
    /* A table per channel turns the per-pixel divide into one load; it is
     * cheap enough to rebuild per call and keeps the function reentrant. */
    float lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            lut[c][v] = ((float)v / 255.0f - mean[c]) / stdev[c];
    size_t plane = (size_t)img->width * (size_t)img->height;
    float *r = out, *g = out + plane, *b = out + 2 * plane;
    const unsigned char *p = img->rgb;
    for (size_t i = 0; i < plane; i++) {
        r[i] = lut[0][p[3 * i]];
        g[i] = lut[1][p[3 * i + 1]];
        b[i] = lut[2][p[3 * i + 2]];
    }
}

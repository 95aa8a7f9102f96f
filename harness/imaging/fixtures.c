/* Deterministic fixture images.  The generator uses integer arithmetic only
 * and its own PRNG, so a (w, h, seed) gives the same pixels on every machine
 * and compiler; the encoders (libjpeg-turbo, libpng with zlib) then give the
 * same bytes for the same library versions. */
#include "fixtures.h"
#include "fixtures_private.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>
#include <turbojpeg.h>

#include "image.h"
#include "mb_util.h"

/* Pixel values while generating are 255 * 16 at most: four fraction bits
 * keep blends and lighting from banding before the final rounding. */
#define MB_GEN_ONE 16
#define MB_GEN_MAX (255 * MB_GEN_ONE)

#define MB_JPEG_QUALITY 90

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A uniform integer in [lo, hi]; the modulo bias is irrelevant here. */
static bool (*fixture_cancelled)(void);

void mb_fixture_set_cancel(bool (*cancelled)(void))
{
    fixture_cancelled = cancelled;
}

static bool cancelled_now(void)
{
    return fixture_cancelled != NULL && fixture_cancelled();
}

static int rng_int(uint64_t *state, int lo, int hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int)(splitmix64(state) % span);
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

typedef struct mb_gen_shape {
    int ellipse;            /* 1: ellipse, 0: axis-aligned rectangle */
    int cx, cy, rx, ry;
    int x0, x1, y0, y1;     /* bounding box including the soft edge */
    int64_t ax, ay;         /* ellipse: 2^40 / r^2, so d2 is 65536 on the rim */
    int64_t edge_d2;        /* ellipse: half-width of the soft rim in d2 units */
    int64_t inv_edge;       /* rectangle: 65536 / edge width in pixels */
    int color[3];           /* in MB_GEN units */
    int alpha;              /* opacity, 0..256 */
    int shade;              /* highlight towards the top, MB_GEN units */
    int tex_sx, tex_sy;     /* stripe direction, 8 fraction bits */
    int tex_bits;           /* stripe period is 1 << tex_bits pixels */
    int tex_amp;            /* stripe amplitude, MB_GEN units */
} mb_gen_shape;

static void shape_init(mb_gen_shape *s, uint64_t *rng, int w, int h)
{
    int m = w < h ? w : h;
    int rmin = m / 25 > 1 ? m / 25 : 1;
    int rmax = m * 3 / 10 > rmin ? m * 3 / 10 : rmin;
    s->ellipse = rng_int(rng, 0, 2) != 0;
    s->cx = rng_int(rng, 0, w - 1);
    s->cy = rng_int(rng, 0, h - 1);
    s->rx = rng_int(rng, rmin, rmax);
    s->ry = rng_int(rng, rmin, rmax);
    int edge_px = rng_int(rng, 1, 1 + m / 80);
    int r_small = s->rx < s->ry ? s->rx : s->ry;
    s->ax = ((int64_t)1 << 40) / ((int64_t)s->rx * s->rx);
    s->ay = ((int64_t)1 << 40) / ((int64_t)s->ry * s->ry);
    s->edge_d2 = (int64_t)65536 * 2 * edge_px / r_small;
    if (s->edge_d2 > 32768)
        s->edge_d2 = 32768;
    if (s->edge_d2 < 1)
        s->edge_d2 = 1;
    s->inv_edge = 65536 / edge_px;
    /* The rim reaches at most sqrt(1.5) of the radius; 5/4 covers it. */
    int ex = s->ellipse ? s->rx / 4 + 2 : edge_px + 1;
    int ey = s->ellipse ? s->ry / 4 + 2 : edge_px + 1;
    s->x0 = clamp_int(s->cx - s->rx - ex, 0, w - 1);
    s->x1 = clamp_int(s->cx + s->rx + ex, 0, w - 1);
    s->y0 = clamp_int(s->cy - s->ry - ey, 0, h - 1);
    s->y1 = clamp_int(s->cy + s->ry + ey, 0, h - 1);
    for (int c = 0; c < 3; c++)
        s->color[c] = rng_int(rng, 15, 240) * MB_GEN_ONE;
    s->alpha = rng_int(rng, 150, 256);
    s->shade = rng_int(rng, 0, 40) * MB_GEN_ONE;
    s->tex_sx = rng_int(rng, -256, 256);
    s->tex_sy = rng_int(rng, -256, 256);
    s->tex_bits = rng_int(rng, 2, 5);
    s->tex_amp = rng_int(rng, 0, 3) == 0 ? 0 : rng_int(rng, 2, 14) * MB_GEN_ONE;
}

/* Coverage of the shape at (x, y), 0..256. */
static int shape_coverage(const mb_gen_shape *s, int x, int64_t dy_term)
{
    int64_t dx = x - s->cx;
    if (s->ellipse) {
        int64_t d2 = (dx * dx * s->ax + dy_term) >> 24;
        if (d2 <= 65536 - s->edge_d2)
            return 256;
        if (d2 >= 65536 + s->edge_d2)
            return 0;
        return (int)((65536 + s->edge_d2 - d2) * 128 / s->edge_d2);
    }
    int64_t adx = dx < 0 ? -dx : dx;
    int cov_x = clamp_int((int)((s->rx - adx) * s->inv_edge / 256) + 128, 0, 256);
    /* dy_term carries the rectangle's vertical coverage. */
    int cov_y = (int)dy_term;
    return cov_x < cov_y ? cov_x : cov_y;
}

static int shape_texture(const mb_gen_shape *s, int x, int y)
{
    if (s->tex_amp == 0)
        return 0;
    uint64_t phase = (uint64_t)((int64_t)x * s->tex_sx + (int64_t)y * s->tex_sy) >> 8;
    int period = 1 << s->tex_bits;
    int p = (int)(phase & (uint64_t)(period - 1));
    int tri = 2 * p - period;
    if (tri < 0)
        tri = -tri;
    return ((tri * 2 * s->tex_amp) >> s->tex_bits) - s->tex_amp;
}

/* Value noise: random values on a grid of cell x cell pixels, bilinearly
 * interpolated.  Two scales of it stand in for the fine detail of real
 * scenes (foliage, fabric, gravel) that makes photos cost what they cost to
 * encode and decode.  The grid rows around the current image row are kept,
 * each value a hash of its cell, so memory stays one row per grid. */
typedef struct mb_gen_grain {
    int cell_bits;          /* cell is 1 << cell_bits pixels */
    int amp;                /* amplitude, MB_GEN units */
    int cols;
    int row_y;              /* grid row held in top; -1 before the first */
    uint64_t salt;
    int *top, *bottom;
} mb_gen_grain;

/* 0..511; the caller centres it. */
static int grain_value(const mb_gen_grain *g, int gx, int gy)
{
    uint64_t s = g->salt ^ ((uint64_t)(uint32_t)gx << 32) ^ (uint32_t)gy;
    return (int)(splitmix64(&s) & 0x1ff);
}

static int grain_init(mb_gen_grain *g, int w, int cell_bits, int amp, uint64_t salt)
{
    g->cell_bits = cell_bits;
    g->amp = amp;
    g->cols = (w >> cell_bits) + 2;
    g->row_y = -1;
    g->salt = salt;
    g->top = malloc(sizeof(int) * (size_t)g->cols);
    g->bottom = malloc(sizeof(int) * (size_t)g->cols);
    return g->top != NULL && g->bottom != NULL ? 0 : -1;
}

static void grain_free(mb_gen_grain *g)
{
    free(g->top);
    free(g->bottom);
}

/* Adds the grain of image row y to row (luma only, so all channels). */
static void grain_add_row(mb_gen_grain *g, int *row, int w, int y)
{
    int gy = y >> g->cell_bits;
    if (gy != g->row_y) {
        for (int i = 0; i < g->cols; i++) {
            g->top[i] = grain_value(g, i, gy);
            g->bottom[i] = grain_value(g, i, gy + 1);
        }
        g->row_y = gy;
    }
    int cell = 1 << g->cell_bits;
    int fy = y & (cell - 1);
    for (int x = 0; x < w; x++) {
        int gx = x >> g->cell_bits;
        int fx = x & (cell - 1);
        int a = g->top[gx] * (cell - fy) + g->bottom[gx] * fy;
        int b = g->top[gx + 1] * (cell - fy) + g->bottom[gx + 1] * fy;
        int v = ((a * (cell - fx) + b * fx) >> (2 * g->cell_bits)) - 256;
        int d = v * g->amp / 256;
        for (int c = 0; c < 3; c++)
            row[3 * x + c] = clamp_int(row[3 * x + c] + d, 0, MB_GEN_MAX);
    }
}

/* One picture's random choices, drawn once from its seed, in the order that
 * keeps every fixture's pixels what they have always been. */
typedef struct mb_gen_scene {
    int c0[3], c1[3];       /* the gradient's two colours */
    int gx, gy;             /* its direction */
    int64_t tmin, tscale;   /* its position mapped to 0..4096 */
    int lx, ly;             /* the light's centre */
    int64_t light_inv;      /* the light's falloff */
    int n_shapes;
    mb_gen_shape *shapes;
    int luma_noise;
    mb_gen_grain fine, coarse;
} mb_gen_scene;

static void scene_free(mb_gen_scene *sc)
{
    grain_free(&sc->fine);
    grain_free(&sc->coarse);
    free(sc->shapes);
}

static int scene_init(mb_gen_scene *sc, int w, int h, uint64_t *rng)
{
    memset(sc, 0, sizeof *sc);
    sc->n_shapes = rng_int(rng, 6, 12);
    sc->shapes = calloc((size_t)sc->n_shapes, sizeof *sc->shapes);
    if (sc->shapes == NULL)
        return -1;
    for (int c = 0; c < 3; c++) {
        sc->c0[c] = rng_int(rng, 30, 225) * MB_GEN_ONE;
        sc->c1[c] = rng_int(rng, 30, 225) * MB_GEN_ONE;
    }
    int gx = sc->gx = rng_int(rng, 200, 1000) * (rng_int(rng, 0, 1) ? 1 : -1);
    int gy = sc->gy = rng_int(rng, -1000, 1000);
    int64_t corners[4] = {0, (int64_t)(w - 1) * gx, (int64_t)(h - 1) * gy,
                          (int64_t)(w - 1) * gx + (int64_t)(h - 1) * gy};
    int64_t tmin = corners[0], tmax = corners[0];
    for (int i = 1; i < 4; i++) {
        tmin = corners[i] < tmin ? corners[i] : tmin;
        tmax = corners[i] > tmax ? corners[i] : tmax;
    }
    int64_t trange = tmax - tmin > 0 ? tmax - tmin : 1;
    sc->tmin = tmin;
    sc->tscale = ((int64_t)4096 << 16) / trange;

    int lx = sc->lx = rng_int(rng, 0, w - 1), ly = sc->ly = rng_int(rng, 0, h - 1);
    int64_t fx = lx > w - 1 - lx ? lx : w - 1 - lx;
    int64_t fy = ly > h - 1 - ly ? ly : h - 1 - ly;
    int64_t dmax2 = fx * fx + fy * fy > 0 ? fx * fx + fy * fy : 1;
    int64_t vignette = rng_int(rng, 40, 110);
    sc->light_inv = (vignette << 32) / dmax2;

    for (int i = 0; i < sc->n_shapes; i++)
        shape_init(&sc->shapes[i], rng, w, h);
    sc->luma_noise = rng_int(rng, 8, 12);
    int fine_ok = grain_init(&sc->fine, w, 1, rng_int(rng, 8, 20) * MB_GEN_ONE, splitmix64(rng));
    int coarse_ok = grain_init(&sc->coarse, w, 4, rng_int(rng, 10, 25) * MB_GEN_ONE,
                               splitmix64(rng));
    return fine_ok == 0 && coarse_ok == 0 ? 0 : -1;
}

/* Blends the shapes that cross image row y over the row. */
static void shapes_add_row(const mb_gen_scene *sc, int *row, int y)
{
    for (int i = 0; i < sc->n_shapes; i++) {
        const mb_gen_shape *s = &sc->shapes[i];
        if (y < s->y0 || y > s->y1)
            continue;
        int64_t dy = y - s->cy;
        int64_t dy_term;
        if (s->ellipse) {
            dy_term = dy * dy * s->ay;
        } else {
            int64_t ady = dy < 0 ? -dy : dy;
            dy_term = clamp_int((int)((s->ry - ady) * s->inv_edge / 256) + 128, 0, 256);
        }
        /* Lighter towards the top of the shape, like a lit object. */
        int shade = (int)(-(int64_t)s->shade * dy / s->ry);
        for (int x = s->x0; x <= s->x1; x++) {
            int cov = shape_coverage(s, x, dy_term);
            if (cov == 0)
                continue;
            int a = (cov * s->alpha) >> 8;
            int tex = shape_texture(s, x, y);
            for (int c = 0; c < 3; c++) {
                int target = clamp_int(s->color[c] + shade + tex, 0, MB_GEN_MAX);
                row[3 * x + c] = (row[3 * x + c] * (256 - a) + target * a) >> 8;
            }
        }
    }
}

/* Lights image row y and adds the sensor noise, writing its bytes to out. */
static void light_and_noise_row(const mb_gen_scene *sc, const int *row, unsigned char *out,
                                int w, int y, uint64_t *rng)
{
    int64_t ddy = y - sc->ly;
    for (int x = 0; x < w; x++) {
        int64_t ddx = x - sc->lx;
        int light = 256 - (int)(((ddx * ddx + ddy * ddy) * sc->light_inv) >> 32);
        uint64_t r = splitmix64(rng);
        /* Sums of two uniform bytes approximate sensor noise's bell
         * shape; luma noise is shared, chroma noise is weaker. */
        int luma = ((int)(r & 0xff) + (int)((r >> 8) & 0xff) - 255) * sc->luma_noise;
        for (int c = 0; c < 3; c++) {
            int chroma = (int)((r >> (16 + 8 * c)) & 0xff) - 128;
            int v = ((row[3 * x + c] * light) >> 8) + luma / 16 + chroma / 8;
            v = clamp_int(v, 0, MB_GEN_MAX);
            out[3 * x + c] = (unsigned char)((v + MB_GEN_ONE / 2) / MB_GEN_ONE);
        }
    }
}

/* Renders the picture: a two-colour gradient, soft shapes with stripes and
 * highlights, grain at two scales, a vignette-like light falloff, then luma
 * and chroma noise. */
static unsigned char *generate(int w, int h, uint32_t seed)
{
    unsigned char *rgb = malloc((size_t)w * (size_t)h * 3);
    int *row = malloc(sizeof(int) * (size_t)w * 3);
    uint64_t rng = 0x6d62666978747572ull ^ ((uint64_t)seed << 17) ^ seed;
    mb_gen_scene sc;
    if (rgb == NULL || row == NULL || scene_init(&sc, w, h, &rng) != 0)
        goto fail;
    for (int y = 0; y < h; y++) {
        /* A 12-megapixel fixture takes seconds: an interrupt is heard
         * every 64 rows, well within a second. */
        if ((y & 63) == 0 && fixture_cancelled != NULL && fixture_cancelled())
            goto fail;
        for (int x = 0; x < w; x++) {
            int64_t t = (((int64_t)x * sc.gx + (int64_t)y * sc.gy - sc.tmin) * sc.tscale) >> 16;
            for (int c = 0; c < 3; c++)
                row[3 * x + c] = (int)((sc.c0[c] * (4096 - t) + sc.c1[c] * t) >> 12);
        }
        shapes_add_row(&sc, row, y);
        grain_add_row(&sc.fine, row, w, y);
        grain_add_row(&sc.coarse, row, w, y);
        light_and_noise_row(&sc, row, rgb + (size_t)y * (size_t)w * 3, w, y, &rng);
    }
    scene_free(&sc);
    free(row);
    return rgb;
fail:
    if (rgb != NULL && row != NULL)
        scene_free(&sc);
    free(rgb);
    free(row);
    return NULL;
}

unsigned char *mb__fixture_pixels(int w, int h, uint32_t seed)
{
    if (w <= 0 || h <= 0 || (unsigned long long)w * (unsigned long long)h > MB_IMAGE_MAX_PIXELS)
        return NULL;
    return generate(w, h, seed);
}

/* ---- encoders ---- */

static int encode_jpeg(const unsigned char *rgb, int w, int h, unsigned char **buf, size_t *len,
                       mb_err *err)
{
    tjhandle tj = tjInitCompress();
    if (tj == NULL)
        return mb_err_set(err, MB_ENOMEM, "cannot start the JPEG encoder: %s",
                          tjGetErrorStr2(NULL));
    unsigned char *jpeg = NULL;
    unsigned long size = 0;
    int rc = 0;
    if (tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &jpeg, &size, TJSAMP_420, MB_JPEG_QUALITY, 0) !=
        0) {
        rc = mb_err_set(err, MB_EIMAGE, "JPEG encoding failed: %s", tjGetErrorStr2(tj));
        tjFree(jpeg);
    } else {
        /* Copied so that callers free every buffer with free(). */
        *buf = malloc(size);
        if (*buf == NULL) {
            rc = mb_err_set(err, MB_ENOMEM, "cannot allocate %lu bytes", size);
        } else {
            memcpy(*buf, jpeg, size);
            *len = size;
        }
        tjFree(jpeg);
    }
    tjDestroy(tj);
    return rc;
}

typedef struct mb_png_sink {
    unsigned char *buf;
    size_t len, cap;
    char msg[256];
    jmp_buf jmp;
} mb_png_sink;

static void sink_write(png_structp png, png_bytep data, size_t n)
{
    mb_png_sink *s = png_get_io_ptr(png);
    if (s->cap - s->len < n) {
        size_t cap = s->cap > 0 ? s->cap : 65536;
        while (cap - s->len < n)
            cap *= 2;
        unsigned char *nb = realloc(s->buf, cap);
        if (nb == NULL)
            png_error(png, "out of memory");
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

static void sink_error(png_structp png, png_const_charp msg)
{
    mb_png_sink *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg != NULL ? msg : "unknown libpng error");
    longjmp(s->jmp, 1);
}

static void sink_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* level is the zlib level; chunk is the largest IDAT payload.  The sink is
 * the caller's, since the callbacks change it between setjmp and longjmp. */
static int encode_png_sink(mb_png_sink *sink, const unsigned char *rgb, int w, int h, int level,
                           size_t chunk, mb_err *err)
{
    png_structp volatile png = NULL;
    png_infop volatile info = NULL;
    png_bytep *volatile rows = NULL;
    volatile int rc = 0;
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, sink_error, sink_warning);
    if (png == NULL)
        return mb_err_set(err, MB_ENOMEM, "cannot start the PNG encoder");
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_structp p = png;
        png_destroy_write_struct(&p, NULL);
        return mb_err_set(err, MB_ENOMEM, "cannot start the PNG encoder");
    }
    if (setjmp(sink->jmp) != 0) {
        rc = mb_err_set(err, MB_EIMAGE, "PNG encoding failed: %s", sink->msg);
        goto done;
    }
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    if (rows == NULL) {
        rc = mb_err_set(err, MB_ENOMEM, "cannot allocate PNG rows");
        goto done;
    }
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)(rgb + (size_t)y * (size_t)w * 3);
    png_set_write_fn(png, sink, sink_write, sink_flush);
    png_set_compression_level(png, level);
    png_set_compression_buffer_size(png, chunk);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
done:;
    png_structp p = png;
    png_infop i = info;
    png_destroy_write_struct(&p, &i);
    free(rows);
    return rc;
}

static int encode_png(const unsigned char *rgb, int w, int h, int level, size_t chunk,
                      unsigned char **buf, size_t *len, mb_err *err)
{
    mb_png_sink sink;
    memset(&sink, 0, sizeof sink);
    int rc = encode_png_sink(&sink, rgb, w, h, level, chunk, err);
    if (rc != 0) {
        free(sink.buf);
        return rc;
    }
    *buf = sink.buf;
    *len = sink.len;
    return 0;
}

/* Generates and encodes one image into a heap buffer. */
static int render(int w, int h, uint32_t seed, mb_image_format fmt, int png_level,
                  size_t png_chunk, unsigned char **buf, size_t *len, mb_err *err)
{
    if (w <= 0 || h <= 0)
        return mb_err_set(err, MB_EINVAL, "fixture size %dx%d is not positive", w, h);
    if ((unsigned long long)w * (unsigned long long)h > MB_IMAGE_MAX_PIXELS)
        return mb_err_set(err, MB_EINVAL, "fixture size %dx%d exceeds the pixel limit", w, h);
    if (fmt != MB_FORMAT_JPEG && fmt != MB_FORMAT_PNG)
        return mb_err_set(err, MB_EINVAL, "unknown fixture format %d", (int)fmt);
    unsigned char *rgb = generate(w, h, seed);
    if (rgb == NULL && cancelled_now())
        return mb_err_set(err, MB_EIO, "interrupted while generating %dx%d fixtures", w, h);
    if (rgb == NULL)
        return mb_err_set(err, MB_ENOMEM, "cannot allocate a %dx%d fixture", w, h);
    int rc = fmt == MB_FORMAT_JPEG ? encode_jpeg(rgb, w, h, buf, len, err)
                                   : encode_png(rgb, w, h, png_level, png_chunk, buf, len, err);
    free(rgb);
    return rc;
}

static int write_atomic(const char *path, const void *data, size_t len, mb_err *err)
{
    return mb_write_file_atomic(path, data, len, err);
}

/* Noisy photo-like pixels barely compress at any zlib level, and level 1
 * writes a 12-megapixel PNG several times faster than the default 6 with a
 * file of about the same size; 8 KiB IDAT chunks are libpng's default. */
#define MB_PNG_LEVEL 1
#define MB_PNG_CHUNK 8192

int mb_fixture_write(const char *path, int w, int h, uint32_t seed, mb_image_format fmt,
                     mb_err *err)
{
    if (path == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_fixture_write: NULL path");
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = render(w, h, seed, fmt, MB_PNG_LEVEL, MB_PNG_CHUNK, &buf, &len, err);
    if (rc == 0)
        rc = write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* The seed depends only on the size and index, so a fixture folder can be
 * deleted and regenerated into the same bytes. */
static uint32_t fixture_seed(int w, int h, int i)
{
    uint64_t s = ((uint64_t)(uint32_t)w << 40) ^ ((uint64_t)(uint32_t)h << 20) ^ (uint32_t)i;
    return (uint32_t)(splitmix64(&s) >> 32);
}

void mb_fixture_paths_free(char **paths, int count)
{
    if (paths == NULL)
        return;
    for (int i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
}

int mb_fixture_ensure(const char *dir, int w, int h, mb_image_format fmt, int count,
                      char ***paths, mb_err *err)
{
    if (dir == NULL || paths == NULL || count < 0)
        return mb_err_set(err, MB_EINVAL, "mb_fixture_ensure: bad argument");
    *paths = NULL;
    int e = mb_mkdir_p(dir, 0755, err);
    if (e != 0)
        return e;
    char **list = mb_calloc(count > 0 ? (size_t)count : 1, sizeof(char *));
    const char *ext = fmt == MB_FORMAT_PNG ? "png" : "jpg";
    for (int i = 0; i < count; i++) {
        list[i] = mb_asprintf("%s/%dx%d-%d.%s", dir, w, h, i, ext);
        struct stat st;
        /* Files are renamed into place whole, so one that exists is
         * complete; only missing ones cost generation time. */
        if (stat(list[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
            continue;
        int rc = mb_fixture_write(list[i], w, h, fixture_seed(w, h, i), fmt, err);
        if (rc != 0) {
            mb_fixture_paths_free(list, i + 1);
            return rc;
        }
    }
    *paths = list;
    return 0;
}

/* ---- broken images ---- */

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Offset of the first chunk of the given type, or 0 when there is none. */
static size_t find_png_chunk(const unsigned char *png, size_t len, const char *type)
{
    size_t pos = 8;
    while (pos + 12 <= len) {
        uint32_t n = get_be32(png + pos);
        if (memcmp(png + pos + 4, type, 4) == 0)
            return pos;
        if ((size_t)n > len - pos - 12)
            break;
        pos += 12 + (size_t)n;
    }
    return 0;
}

/* Offset just past the JPEG start-of-scan header, or 0. */
static size_t find_jpeg_scan(const unsigned char *jpeg, size_t len)
{
    for (size_t i = 2; i + 3 < len; i++) {
        if (jpeg[i] == 0xff && jpeg[i + 1] == 0xda)
            return i + 2 + (((size_t)jpeg[i + 2] << 8) | jpeg[i + 3]);
    }
    return 0;
}

int mb_fixture_write_corrupt_set(const char *dir, mb_err *err)
{
    if (dir == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_fixture_write_corrupt_set: NULL dir");
    int e = mb_mkdir_p(dir, 0755, err);
    if (e != 0)
        return e;
    unsigned char *jpeg = NULL, *png = NULL, *raw = NULL, *tiny = NULL;
    size_t jpeg_len = 0, png_len = 0, raw_len = 0, tiny_len = 0;
    char *path = NULL;
    int rc = render(160, 120, 0x1badf00du, MB_FORMAT_JPEG, 0, 0, &jpeg, &jpeg_len, err);
    if (rc == 0)
        rc = render(64, 48, 0x1badf00du, MB_FORMAT_PNG, 9, MB_PNG_CHUNK, &png, &png_len, err);
    /* Stored (level 0) deflate blocks in 512-byte IDAT chunks: a flipped
     * pixel byte in the first chunk leaves the deflate stream decodable, so
     * the decoder meets the chunk CRC mismatch before anything else. */
    if (rc == 0)
        rc = render(32, 24, 0x0badc0deu, MB_FORMAT_PNG, 0, 512, &raw, &raw_len, err);
    if (rc == 0)
        rc = render(8, 8, 0x00b0b0b0u, MB_FORMAT_PNG, 9, MB_PNG_CHUNK, &tiny, &tiny_len, err);
    if (rc != 0)
        goto done;

    size_t scan = find_jpeg_scan(jpeg, jpeg_len);
    size_t cut = jpeg_len / 2;
    if (scan == 0 || cut <= scan)
        cut = scan + (jpeg_len - scan) / 2;
    size_t idat = find_png_chunk(raw, raw_len, "IDAT");
    /* Chunk data starts 8 bytes into the chunk; in it, the zlib header (2),
     * the stored block header (5) and row 0's filter byte (1) come first. */
    size_t flip = idat + 8 + 2 + 5 + 1 + 2;
    if (idat == 0 || get_be32(raw + idat) < 16 || memcmp(tiny + 12, "IHDR", 4) != 0) {
        rc = mb_err_set(err, MB_EIMAGE, "unexpected layout of the generated fixture images");
        goto done;
    }
    raw[flip] ^= 0x5a;
    /* The bomb keeps a correct IHDR CRC so it reaches the pixel limit
     * rather than failing the CRC check. */
    put_be32(tiny + 16, 100000);
    put_be32(tiny + 20, 100000);
    put_be32(tiny + 29, crc32_png(tiny + 12, 17));

    static const char text[] = "This is plain text, not a JPEG.\n";
    struct {
        const char *name;
        const unsigned char *data;
        size_t len;
    } files[] = {
        {"truncated.jpg", jpeg, cut},
        {"empty.jpg", jpeg, 0},
        {"wrong-extension.png", jpeg, jpeg_len},
        {"png-named.jpg", png, png_len},
        {"bad-crc.png", raw, raw_len},
        {"bomb.png", tiny, tiny_len},
        {"text.jpg", (const unsigned char *)text, sizeof text - 1},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0] && rc == 0; i++) {
        path = mb_asprintf("%s/%s", dir, files[i].name);
        rc = write_atomic(path, files[i].data, files[i].len, err);
        free(path);
        path = NULL;
    }
done:
    free(jpeg);
    free(png);
    free(raw);
    free(tiny);
    return rc;
}

/* Tests of the imaging module: decoding, resizing, normalization, fixture
 * generation and the broken-image set.  Every test writes into its own
 * mkdtemp folder, removed by the teardown. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mb_test_main.h"
#include <png.h>

#include "fixtures.h"
#include "fixtures_private.h"
#include "image.h"
#include "mb_util.h"

typedef struct test_dir {
    char path[64];
} test_dir;

static int setup_dir(void **state)
{
    test_dir *d = mb_calloc(1, sizeof *d);
    snprintf(d->path, sizeof d->path, "/tmp/mb-imaging-XXXXXX");
    if (mkdtemp(d->path) == NULL) {
        free(d);
        return -1;
    }
    *state = d;
    return 0;
}

/* The folders hold only files, so one level of unlinking is enough. */
static int teardown_dir(void **state)
{
    test_dir *d = *state;
    DIR *dir = opendir(d->path);
    if (dir != NULL) {
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = mb_asprintf("%s/%s", d->path, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(dir);
    }
    rmdir(d->path);
    free(d);
    return 0;
}

static char *in_dir(void **state, const char *name)
{
    const test_dir *d = *state;
    return mb_asprintf("%s/%s", d->path, name);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    char *data = mb_read_file(path, len, NULL);
    assert_non_null(data);
    return (unsigned char *)data;
}

static void test_png_round_trip_is_exact(void **state)
{
    char *path = in_dir(state, "a.png");
    mb_err err = {0};
    assert_int_equal(mb_fixture_write(path, 97, 61, 7, MB_FORMAT_PNG, &err), 0);
    mb_image img;
    assert_int_equal(mb_image_decode_file(path, 0, 0, &img, &err), 0);
    assert_int_equal(img.width, 97);
    assert_int_equal(img.height, 61);
    unsigned char *want = mb__fixture_pixels(97, 61, 7);
    assert_non_null(want);
    assert_memory_equal(img.rgb, want, 97 * 61 * 3);
    /* A lower bound must not make a PNG smaller: only JPEG scales. */
    mb_image small;
    assert_int_equal(mb_image_decode_file(path, 10, 10, &small, &err), 0);
    assert_int_equal(small.width, 97);
    int w = 0, h = 0;
    assert_int_equal(mb_image_probe_file(path, &w, &h, &err), 0);
    assert_int_equal(w, 97);
    assert_int_equal(h, 61);
    free(want);
    mb_image_free(&small);
    mb_image_free(&img);
    free(path);
}

static void test_jpeg_round_trip_is_close(void **state)
{
    char *path = in_dir(state, "a.jpg");
    mb_err err = {0};
    assert_int_equal(mb_fixture_write(path, 160, 120, 11, MB_FORMAT_JPEG, &err), 0);
    mb_image img;
    assert_int_equal(mb_image_decode_file(path, 0, 0, &img, &err), 0);
    assert_int_equal(img.width, 160);
    assert_int_equal(img.height, 120);
    unsigned char *want = mb__fixture_pixels(160, 120, 11);
    assert_non_null(want);
    double sum = 0;
    size_t n = 160 * 120 * 3;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)img.rgb[i] - (int)want[i]);
    /* Quality 90 with 4:2:0 chroma: a few levels on average. */
    assert_true(sum / (double)n < 6.0);
    free(want);
    mb_image_free(&img);
    free(path);
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    unsigned char *da = slurp(a, &la), *db = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

static void test_generation_is_deterministic(void **state)
{
    mb_err err = {0};
    const char *names[] = {"1.jpg", "2.jpg", "1.png", "2.png", "3.jpg"};
    char *p[5];
    for (int i = 0; i < 5; i++)
        p[i] = in_dir(state, names[i]);
    assert_int_equal(mb_fixture_write(p[0], 300, 200, 42, MB_FORMAT_JPEG, &err), 0);
    assert_int_equal(mb_fixture_write(p[1], 300, 200, 42, MB_FORMAT_JPEG, &err), 0);
    assert_int_equal(mb_fixture_write(p[2], 300, 200, 42, MB_FORMAT_PNG, &err), 0);
    assert_int_equal(mb_fixture_write(p[3], 300, 200, 42, MB_FORMAT_PNG, &err), 0);
    assert_int_equal(mb_fixture_write(p[4], 300, 200, 43, MB_FORMAT_JPEG, &err), 0);
    assert_same_file(p[0], p[1]);
    assert_same_file(p[2], p[3]);
    size_t la = 0, lb = 0;
    unsigned char *da = slurp(p[0], &la), *db = slurp(p[4], &lb);
    assert_true(la != lb || memcmp(da, db, la) != 0);
    free(da);
    free(db);
    for (int i = 0; i < 5; i++)
        free(p[i]);
}

static void test_dct_scaled_decode(void **state)
{
    const test_dir *d = *state;
    mb_err err = {0};
    char **paths = NULL;
    double t0 = mb_now_ms();
    assert_int_equal(mb_fixture_ensure(d->path, 4032, 3024, MB_FORMAT_JPEG, 1, &paths, &err), 0);
    double t_gen = mb_now_ms() - t0;
    struct stat st;
    assert_int_equal(stat(paths[0], &st), 0);
    /* A photo-sized file, as a 12-megapixel camera gives at quality 90. */
    assert_true(st.st_size > 1000 * 1000);
    assert_true(st.st_size < 12 * 1000 * 1000);

    size_t len = 0;
    unsigned char *data = slurp(paths[0], &len);
    mb_image full, scaled;
    t0 = mb_now_ms();
    assert_int_equal(mb_image_decode_memory(data, len, paths[0], 0, 0, &full, &err), 0);
    double t_full = mb_now_ms() - t0;
    t0 = mb_now_ms();
    assert_int_equal(mb_image_decode_memory(data, len, paths[0], 224, 224, &scaled, &err), 0);
    double t_scaled = mb_now_ms() - t0;
    assert_int_equal(full.width, 4032);
    assert_int_equal(full.height, 3024);
    assert_true(scaled.width >= 224 && scaled.height >= 224);
    assert_true(scaled.width < full.width && scaled.height < full.height);
    /* 1/8 is the smallest factor and still leaves 504x378. */
    assert_int_equal(scaled.width, 504);
    assert_int_equal(scaled.height, 378);

    /* A bound just above 1/8 of the height needs the next factor up. */
    mb_image mid;
    assert_int_equal(mb_image_decode_memory(data, len, paths[0], 0, 379, &mid, &err), 0);
    assert_true(mid.height >= 379 && mid.height < full.height);

    mb_image resized;
    t0 = mb_now_ms();
    assert_int_equal(mb_image_resize(&scaled, 224, 224, &resized, &err), 0);
    double t_resize = mb_now_ms() - t0;
    mb_image resized_full;
    t0 = mb_now_ms();
    assert_int_equal(mb_image_resize(&full, 224, 224, &resized_full, &err), 0);
    double t_resize_full = mb_now_ms() - t0;
    float *chw = malloc(sizeof(float) * 3 * 224 * 224);
    assert_non_null(chw);
    t0 = mb_now_ms();
    mb_image_to_chw(&resized, chw);
    double t_chw = mb_now_ms() - t0;

    /* Both routes to 224x224 must give nearly the same picture. */
    double diff = 0;
    for (size_t i = 0; i < 224 * 224 * 3; i++)
        diff += abs((int)resized.rgb[i] - (int)resized_full.rgb[i]);
    diff /= 224.0 * 224.0 * 3.0;
    assert_true(diff < 4.0);

    print_message("4032x3024 JPEG: %.2f MB, generated in %.0f ms; decode full %.1f ms, "
                  "DCT-scaled to %dx%d %.1f ms; resize to 224 from scaled %.2f ms, from full "
                  "%.1f ms (mean diff %.2f); to_chw %.3f ms\n",
                  (double)st.st_size / 1e6, t_gen, t_full, scaled.width, scaled.height,
                  t_scaled, t_resize, t_resize_full, diff, t_chw);
    free(chw);
    free(data);
    mb_image_free(&full);
    mb_image_free(&scaled);
    mb_image_free(&mid);
    mb_image_free(&resized);
    mb_image_free(&resized_full);
    mb_fixture_paths_free(paths, 1);
}

static mb_image make_image(int w, int h)
{
    mb_image img = {w, h, mb_calloc((size_t)w * (size_t)h * 3, 1)};
    return img;
}

static void test_resize_constant_stays_constant(void **state)
{
    (void)state;
    mb_err err = {0};
    mb_image src = make_image(37, 23);
    for (size_t i = 0; i < 37 * 23; i++) {
        src.rgb[3 * i] = 200;
        src.rgb[3 * i + 1] = 17;
        src.rgb[3 * i + 2] = 255;
    }
    const int sizes[][2] = {{224, 224}, {5, 3}, {37, 23}, {1, 1}, {100, 7}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        mb_image dst;
        assert_int_equal(mb_image_resize(&src, sizes[k][0], sizes[k][1], &dst, &err), 0);
        assert_int_equal(dst.width, sizes[k][0]);
        assert_int_equal(dst.height, sizes[k][1]);
        for (size_t i = 0; i < (size_t)dst.width * (size_t)dst.height; i++) {
            assert_int_equal(dst.rgb[3 * i], 200);
            assert_int_equal(dst.rgb[3 * i + 1], 17);
            assert_int_equal(dst.rgb[3 * i + 2], 255);
        }
        mb_image_free(&dst);
    }
    mb_image_free(&src);
}

static void test_resize_2x2_to_4x4(void **state)
{
    (void)state;
    mb_err err = {0};
    /* Grey levels a b / c d in every channel. */
    mb_image src = make_image(2, 2);
    const int v[4] = {0, 80, 160, 240};
    for (int i = 0; i < 4; i++)
        memset(src.rgb + 3 * i, v[i], 3);
    mb_image dst;
    assert_int_equal(mb_image_resize(&src, 4, 4, &dst, &err), 0);
    /* Half-pixel centres: output samples sit at 0.25, 0.75, 1.25, 1.75 of
     * the source grid, edges clamp, so weights are 1, 3/4, 1/4, 0. */
    const double w[4] = {1.0, 0.75, 0.25, 0.0};
    for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 4; x++) {
            double top = w[x] * v[0] + (1 - w[x]) * v[1];
            double bottom = w[x] * v[2] + (1 - w[x]) * v[3];
            double want = w[y] * top + (1 - w[y]) * bottom;
            int got = dst.rgb[3 * (y * 4 + x)];
            assert_true(fabs(got - want) <= 1.0);
            assert_int_equal(dst.rgb[3 * (y * 4 + x) + 1], got);
        }
    }
    assert_int_equal(dst.rgb[0], 0);
    assert_int_equal(dst.rgb[3 * 1], 20);
    assert_int_equal(dst.rgb[3 * 2], 60);
    assert_int_equal(dst.rgb[3 * 15], 240);
    mb_image_free(&dst);
    mb_image_free(&src);
}

static void test_resize_downscale_antialiases(void **state)
{
    (void)state;
    mb_err err = {0};
    mb_image src = make_image(4, 1);
    const int v[4] = {0, 100, 200, 250};
    for (int i = 0; i < 4; i++)
        memset(src.rgb + 3 * i, v[i], 3);
    mb_image dst;
    assert_int_equal(mb_image_resize(&src, 2, 1, &dst, &err), 0);
    /* The triangle widens to two source pixels: for output 0 the weights
     * are 3/4, 3/4, 1/4 over pixels 0..2, normalised (PIL's BILINEAR). */
    assert_int_equal(dst.rgb[0], 71);
    assert_int_equal(dst.rgb[3], 207);
    mb_image_free(&dst);

    assert_int_equal(mb_image_resize(&src, 0, 1, &dst, &err), MB_EINVAL);
    mb_image_free(&src);
}

static void test_to_chw_normalizes(void **state)
{
    (void)state;
    mb_image img = make_image(2, 1);
    memset(img.rgb, 255, 3);                      /* white pixel */
    img.rgb[3] = 0;
    img.rgb[4] = 128;
    img.rgb[5] = 64;
    float out[6];
    mb_image_to_chw(&img, out);
    const double mean[3] = {0.485, 0.456, 0.406}, sd[3] = {0.229, 0.224, 0.225};
    const int px1[3] = {0, 128, 64};
    for (int c = 0; c < 3; c++) {
        assert_true(fabs(out[c * 2] - (1.0 - mean[c]) / sd[c]) < 1e-5);
        assert_true(fabs(out[c * 2 + 1] - (px1[c] / 255.0 - mean[c]) / sd[c]) < 1e-5);
    }
    assert_true(fabs(out[0] - 2.2489083) < 1e-5);
    assert_true(fabs(out[1] - (-2.1179039)) < 1e-5);
    mb_image_free(&img);
}

static void expect_image_error(const char *path, const char *reason)
{
    mb_err err = {0};
    mb_image img = {1, 1, NULL};
    int rc = mb_image_decode_file(path, 224, 224, &img, &err);
    if (rc != MB_EIMAGE || strstr(err.msg, reason) == NULL || strstr(err.msg, path) == NULL)
        fail_msg("%s: want MB_EIMAGE with \"%s\", got %s \"%s\"", path, reason,
                 mb_err_name(rc), err.msg);
    assert_null(img.rgb);
}

static void check_corrupt_set(const char *dir)
{
    char *p = mb_asprintf("%s/truncated.jpg", dir);
    expect_image_error(p, "truncated JPEG");
    free(p);
    p = mb_asprintf("%s/empty.jpg", dir);
    expect_image_error(p, "empty file");
    free(p);
    p = mb_asprintf("%s/bad-crc.png", dir);
    expect_image_error(p, "bad PNG CRC");
    free(p);
    /* The pixel limit is checked on the header: had the decoder tried to
     * allocate the 30 GB image, the error would be MB_ENOMEM (or a crash),
     * not this reason. */
    p = mb_asprintf("%s/bomb.png", dir);
    expect_image_error(p, "100000x100000 exceeds the pixel limit");
    int w = 0, h = 0;
    mb_err err = {0};
    assert_int_equal(mb_image_probe_file(p, &w, &h, &err), 0);
    assert_int_equal(w, 100000);
    free(p);
    p = mb_asprintf("%s/text.jpg", dir);
    expect_image_error(p, "not a JPEG or PNG file");
    free(p);

    mb_image img;
    p = mb_asprintf("%s/wrong-extension.png", dir);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    assert_int_equal(img.width, 160);
    assert_int_equal(img.height, 120);
    mb_image_free(&img);
    free(p);
    p = mb_asprintf("%s/png-named.jpg", dir);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    assert_int_equal(img.width, 64);
    assert_int_equal(img.height, 48);
    mb_image_free(&img);
    free(p);
}

static void test_corrupt_set(void **state)
{
    const test_dir *d = *state;
    mb_err err = {0};
    assert_int_equal(mb_fixture_write_corrupt_set(d->path, &err), 0);
    check_corrupt_set(d->path);
}

/* The committed copies must behave like freshly generated ones. */
static void test_committed_corrupt_set(void **state)
{
    (void)state;
    check_corrupt_set(MB_SOURCE_DIR "/fixtures/images/corrupt");
}

static void test_truncated_png(void **state)
{
    char *path = in_dir(state, "t.png");
    mb_err err = {0};
    assert_int_equal(mb_fixture_write(path, 64, 64, 3, MB_FORMAT_PNG, &err), 0);
    size_t len = 0;
    unsigned char *data = slurp(path, &len);
    mb_image img;
    int rc = mb_image_decode_memory(data, len / 2, NULL, 0, 0, &img, &err);
    assert_int_equal(rc, MB_EIMAGE);
    assert_non_null(strstr(err.msg, "truncated PNG"));
    assert_non_null(strstr(err.msg, "<memory>"));
    free(data);
    free(path);
}

static void test_missing_file_is_io_error(void **state)
{
    char *path = in_dir(state, "does-not-exist.jpg");
    mb_err err = {0};
    mb_image img;
    assert_int_equal(mb_image_decode_file(path, 0, 0, &img, &err), MB_EIO);
    assert_non_null(strstr(err.msg, path));
    int w, h;
    assert_int_equal(mb_image_probe_file(path, &w, &h, &err), MB_EIO);
    free(path);
}

/* Writes a PNG of another flavour through libpng's simplified API. */
static void write_png_flavour(const char *path, int w, int h, png_uint_32 format,
                              const void *pixels, const void *colormap, int colors)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)w;
    im.height = (png_uint_32)h;
    im.format = format;
    im.colormap_entries = (png_uint_32)colors;
    assert_true(png_image_write_to_file(&im, path, 0, pixels, 0, colormap) != 0);
}

static void test_png_flavours_become_rgb(void **state)
{
    mb_err err = {0};
    mb_image img;
    char *p = in_dir(state, "rgba.png");
    const unsigned char rgba[8] = {10, 20, 30, 0, 200, 100, 50, 255};
    write_png_flavour(p, 2, 1, PNG_FORMAT_RGBA, rgba, NULL, 0);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    const unsigned char want_rgba[6] = {10, 20, 30, 200, 100, 50};
    assert_memory_equal(img.rgb, want_rgba, 6);
    mb_image_free(&img);
    free(p);

    p = in_dir(state, "gray.png");
    const unsigned char gray[2] = {7, 250};
    write_png_flavour(p, 2, 1, PNG_FORMAT_GRAY, gray, NULL, 0);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    const unsigned char want_gray[6] = {7, 7, 7, 250, 250, 250};
    assert_memory_equal(img.rgb, want_gray, 6);
    mb_image_free(&img);
    free(p);

    p = in_dir(state, "rgb16.png");
    const uint16_t rgb16[3] = {0x1234, 0xff00, 0x00ff};
    write_png_flavour(p, 1, 1, PNG_FORMAT_RGB | PNG_FORMAT_FLAG_LINEAR, rgb16, NULL, 0);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    assert_int_equal(img.width, 1);
    mb_image_free(&img);
    free(p);

    p = in_dir(state, "palette.png");
    const unsigned char idx[2] = {1, 0};
    const unsigned char cmap[6] = {1, 2, 3, 90, 80, 70};
    write_png_flavour(p, 2, 1, PNG_FORMAT_RGB_COLORMAP, idx, cmap, 2);
    assert_int_equal(mb_image_decode_file(p, 0, 0, &img, &err), 0);
    const unsigned char want_pal[6] = {90, 80, 70, 1, 2, 3};
    assert_memory_equal(img.rgb, want_pal, 6);
    mb_image_free(&img);
    free(p);
}

static void test_ensure_writes_only_missing(void **state)
{
    const test_dir *d = *state;
    mb_err err = {0};
    char **paths = NULL;
    assert_int_equal(mb_fixture_ensure(d->path, 64, 48, MB_FORMAT_JPEG, 3, &paths, &err), 0);
    ino_t inode[3];
    for (int i = 0; i < 3; i++) {
        char *want = mb_asprintf("%s/64x48-%d.jpg", d->path, i);
        assert_string_equal(paths[i], want);
        free(want);
        struct stat st;
        assert_int_equal(stat(paths[i], &st), 0);
        inode[i] = st.st_ino;
    }
    size_t len1 = 0;
    unsigned char *before = slurp(paths[1], &len1);
    assert_int_equal(unlink(paths[1]), 0);
    mb_fixture_paths_free(paths, 3);

    /* Every write renames a new file into place, so an unchanged inode
     * means the file was left alone. */
    assert_int_equal(mb_fixture_ensure(d->path, 64, 48, MB_FORMAT_JPEG, 3, &paths, &err), 0);
    struct stat st;
    assert_int_equal(stat(paths[0], &st), 0);
    assert_true(st.st_ino == inode[0]);
    assert_int_equal(stat(paths[2], &st), 0);
    assert_true(st.st_ino == inode[2]);
    size_t len2 = 0;
    unsigned char *after = slurp(paths[1], &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    free(before);
    free(after);
    mb_fixture_paths_free(paths, 3);

    /* Only the requested files are written: 3 JPEGs and nothing else. */
    DIR *dir = opendir(d->path);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        n += e->d_name[0] != '.';
    closedir(dir);
    assert_int_equal(n, 3);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_png_round_trip_is_exact, setup_dir, teardown_dir),
    cmocka_unit_test_setup_teardown(test_jpeg_round_trip_is_close, setup_dir, teardown_dir),
    cmocka_unit_test_setup_teardown(test_generation_is_deterministic, setup_dir,
                                    teardown_dir),
    cmocka_unit_test_setup_teardown(test_dct_scaled_decode, setup_dir, teardown_dir),
    cmocka_unit_test(test_resize_constant_stays_constant),
    cmocka_unit_test(test_resize_2x2_to_4x4),
    cmocka_unit_test(test_resize_downscale_antialiases),
    cmocka_unit_test(test_to_chw_normalizes),
    cmocka_unit_test_setup_teardown(test_corrupt_set, setup_dir, teardown_dir),
    cmocka_unit_test(test_committed_corrupt_set),
    cmocka_unit_test_setup_teardown(test_truncated_png, setup_dir, teardown_dir),
    cmocka_unit_test_setup_teardown(test_missing_file_is_io_error, setup_dir, teardown_dir),
    cmocka_unit_test_setup_teardown(test_png_flavours_become_rgb, setup_dir, teardown_dir),
    cmocka_unit_test_setup_teardown(test_ensure_writes_only_missing, setup_dir,
                                    teardown_dir),
};

MB_TEST_MAIN("imaging", tests, NULL, NULL)

/* The JPEG frame-header reader that decides, per image, whether nvJPEG's
 * batched decoder gets it or the host decodes it: every flavour that the GPU
 * does not take must say so, whatever markers come before the frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mb_test_main.h"
#include <turbojpeg.h>

#include "jpeg_info.h"

/* A w x h JPEG of a smooth gradient in the given flavour; free with tjFree. */
static unsigned char *make_jpeg(int w, int h, int pixel_format, int subsamp, int flags,
                                unsigned long *len)
{
    int ps = tjPixelSize[pixel_format];
    unsigned char *pixels = malloc((size_t)w * (size_t)h * (size_t)ps);
    assert_non_null(pixels);
    for (int i = 0; i < w * h * ps; i++)
        pixels[i] = (unsigned char)(i * 7 / ps % 251);
    tjhandle tj = tjInitCompress();
    assert_non_null(tj);
    unsigned char *jpeg = NULL;
    *len = 0;
    assert_int_equal(tjCompress2(tj, pixels, w, 0, h, pixel_format, &jpeg, len, subsamp, 90,
                                 flags), 0);
    tjDestroy(tj);
    free(pixels);
    return jpeg;
}

static void check(int pixel_format, int subsamp, int flags, int sof, int components,
                  bool gpu)
{
    unsigned long len;
    unsigned char *jpeg = make_jpeg(64, 48, pixel_format, subsamp, flags, &len);
    mb_jpeg_info info;
    mb_err err;
    assert_int_equal(mb_jpeg_read_info(jpeg, len, &info, &err), 0);
    assert_int_equal(info.width, 64);
    assert_int_equal(info.height, 48);
    assert_int_equal(info.precision, 8);
    assert_int_equal(info.sof, sof);
    assert_int_equal(info.components, components);
    assert_int_equal(mb_jpeg_gpu_decodable(&info), gpu);
    assert_true(info.ends_with_eoi);
    /* Cut in half, the same image is the host's, which reports it. */
    assert_int_equal(mb_jpeg_read_info(jpeg, len / 2, &info, &err), 0);
    assert_false(info.ends_with_eoi);
    assert_false(mb_jpeg_gpu_decodable(&info));
    tjFree(jpeg);
}

static void test_baseline_colour_goes_to_the_gpu(void **state)
{
    (void)state;
    check(TJPF_RGB, TJSAMP_420, 0, 0xC0, 3, true);
    check(TJPF_RGB, TJSAMP_444, 0, 0xC0, 3, true);
}

static void test_other_flavours_stay_on_the_host(void **state)
{
    (void)state;
    check(TJPF_RGB, TJSAMP_420, TJFLAG_PROGRESSIVE, 0xC2, 3, false);
    check(TJPF_CMYK, TJSAMP_444, 0, 0xC0, 4, false);
    check(TJPF_GRAY, TJSAMP_GRAY, 0, 0xC0, 1, false);
}

static void test_sizes_and_markers(void **state)
{
    (void)state;
    /* SOF1 (extended sequential) with an APP segment before it. */
    unsigned char sof1[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xFF,
                            0xC1, 0x00, 0x11, 0x08, 0x0B, 0xD0, 0x0F, 0xC0, 0x03};
    mb_jpeg_info info;
    mb_err err;
    assert_int_equal(mb_jpeg_read_info(sof1, sizeof sof1, &info, &err), MB_EIMAGE);
    unsigned char full[sizeof sof1 + 9] = {0};
    memcpy(full, sof1, sizeof sof1);
    full[sizeof sof1 + 6] = 0xFF;   /* EOI, then a byte of padding */
    full[sizeof sof1 + 7] = 0xD9;
    assert_int_equal(mb_jpeg_read_info(full, sizeof full, &info, &err), 0);
    assert_int_equal(info.sof, 0xC1);
    assert_int_equal(info.width, 4032);
    assert_int_equal(info.height, 3024);
    assert_true(mb_jpeg_gpu_decodable(&info));
    /* A decompression bomb's header stays with the host, which refuses it. */
    info.width = info.height = 60000;
    assert_false(mb_jpeg_gpu_decodable(&info));
    info = (mb_jpeg_info){.sof = 0xC0, .precision = 12, .components = 3, .width = 8, .height = 8,
                          .ends_with_eoi = true};
    assert_false(mb_jpeg_gpu_decodable(&info));
}

static void test_not_a_jpeg(void **state)
{
    (void)state;
    mb_jpeg_info info;
    mb_err err;
    const unsigned char text[] = "hello, world";
    assert_int_equal(mb_jpeg_read_info(text, sizeof text, &info, &err), MB_EIMAGE);
    assert_non_null(strstr(err.msg, "not a JPEG"));
    const unsigned char cut[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0x00, 0x00};
    assert_int_equal(mb_jpeg_read_info(cut, sizeof cut, &info, &err), MB_EIMAGE);
    assert_non_null(strstr(err.msg, "truncated"));
    const unsigned char scan_first[] = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02};
    assert_int_equal(mb_jpeg_read_info(scan_first, sizeof scan_first, &info, &err), MB_EIMAGE);
    assert_non_null(strstr(err.msg, "no JPEG frame header"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_baseline_colour_goes_to_the_gpu),
    cmocka_unit_test(test_other_flavours_stay_on_the_host),
    cmocka_unit_test(test_sizes_and_markers),
    cmocka_unit_test(test_not_a_jpeg),
};

MB_TEST_MAIN("jpeg_info", tests, NULL, NULL)

/* GPU JPEG decoding (gpu_decode.h): refused with a reason where it cannot
 * run, and on a CUDA machine the same pixels, within a tolerance, as the
 * host's decode -> resize -> normalize, for JPEG rows and host rows mixed in
 * one batch. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mb_test_main.h"

#include "fixtures.h"
#include "gpu_decode.h"
#include "image.h"
#include "mb_util.h"
#include "torch_api.h"

enum { SIDE = 224 };

static void test_refused_off_cuda(void **state)
{
    (void)state;
    mb_gpu_decoder *d = (mb_gpu_decoder *)1;
    mb_err err;
    assert_int_equal(mb_gpu_decoder_new(MB_DEVICE_CPU, 8, &d, &err), MB_EINVAL);
    assert_null(d);
    char reason[256];
    const char *expected = mb_gpu_decode_built(reason, sizeof reason) ? "needs the CUDA device"
                                                                     : "built without nvJPEG";
    if (strstr(err.msg, expected) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, expected);
}

/* The host's pixels for one file: what the worker's decode pool writes. */
static void host_row(const char *path, float *out)
{
    mb_image img = {0}, sized = {0};
    mb_err err;
    assert_int_equal(mb_image_decode_file(path, SIDE, SIDE, &img, &err), 0);
    if (img.width != SIDE || img.height != SIDE) {
        assert_int_equal(mb_image_resize(&img, SIDE, SIDE, &sized, &err), 0);
        mb_image_free(&img);
    } else {
        sized = img;
    }
    mb_image_to_chw(&sized, out);
    mb_image_free(&sized);
}

static void remove_dir(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    while (dir != NULL && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = mb_asprintf("%s/%s", path, e->d_name);
        unlink(p);
        free(p);
    }
    if (dir != NULL)
        closedir(dir);
    rmdir(path);
}

static void test_cuda_gpu_decode_matches_host(void **state)
{
    (void)state;
    if (!mb_test_machine_has_cuda())
        MB_SKIP("no cuda on this machine");
    char reason[256];
    if (!mb_gpu_decode_built(reason, sizeof reason))
        MB_SKIP("%s", reason);
    char dir[] = "/tmp/mb-gpudecode-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* Both paths of the decoder: images of the model's size (one batch
     * conversion) and larger ones (resized one by one). */
    char **small = NULL, **large = NULL;
    mb_err err;
    assert_int_equal(mb_fixture_ensure(dir, SIDE, SIDE, MB_FORMAT_JPEG, 3, &small, &err), 0);
    assert_int_equal(mb_fixture_ensure(dir, 1600, 1200, MB_FORMAT_JPEG, 3, &large, &err), 0);
    const char *paths[6] = {small[0], small[1], small[2], large[0], large[1], large[2]};
    enum { N = 6 };
    size_t row = 3u * SIDE * SIDE;
    float *want = mb_calloc(N * row, sizeof *want);
    float *got = mb_calloc(N * row, sizeof *got);
    const unsigned char *jpegs[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        host_row(paths[i], want + (size_t)i * row);
        jpegs[i] = (const unsigned char *)mb_read_file(paths[i], &lens[i], NULL);
        assert_non_null(jpegs[i]);
    }
    /* Row 4 comes from the host, as an image nvJPEG does not take would. */
    const unsigned char *row4 = jpegs[4];
    jpegs[4] = NULL;
    mb_gpu_decoder *d = NULL;
    if (mb_gpu_decoder_new(MB_DEVICE_CUDA, N, &d, &err) != 0)
        fail_msg("%s", err.msg);
    mb_gpu_batch *b = NULL;
    if (mb_gpu_decode_batch(d, jpegs, lens, want, N, SIDE, &b, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(mb_gpu_batch_to_host(b, got, N * row, &err), 0);
    for (int i = 0; i < N; i++) {
        double sum = 0, worst = 0;
        for (size_t k = 0; k < row; k++) {
            double diff = fabs((double)got[(size_t)i * row + k] - want[(size_t)i * row + k]);
            sum += diff;
            worst = diff > worst ? diff : worst;
        }
        /* Normalized units: 0.05 is about 3 grey levels.  Decoders differ in
         * IDCT and chroma upsampling, and the host decodes large images
         * DCT-scaled, so only the mean is tight. */
        printf("gpu decode (%s backend): %s mean |diff| %.4f, max %.4f\n",
               mb_gpu_decoder_backend(d), paths[i], sum / (double)row, worst);
        if (i == 4)
            assert_true(worst == 0.0);
        assert_true(sum / (double)row < 0.05);
        assert_true(worst < 1.5);
    }
    mb_gpu_batch_free(b);
    mb_gpu_decoder_free(d);
    free((void *)row4);
    for (int i = 0; i < N; i++)
        free((void *)jpegs[i]);
    free(want);
    free(got);
    mb_fixture_paths_free(small, 3);
    mb_fixture_paths_free(large, 3);
    remove_dir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_refused_off_cuda),
    cmocka_unit_test(test_cuda_gpu_decode_matches_host),
};

MB_TEST_MAIN("gpu_decode", tests, NULL, NULL)

/* Tests of the libtorch C API: the built-in models, the embedding pipeline,
 * the TorchScript fixture against its stored reference, the error model, and
 * the CUDA / MPS paths where such a device is usable (skipped visibly
 * otherwise). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "mb_test_main.h"
#include <jansson.h>

#include "heap_policy.h"
#include "torch_api.h"

#define FIXTURE_DIR MB_SOURCE_DIR "/fixtures/models"

/* A deterministic, image-like batch: each image gets its own pattern. */
static float *make_batch(int n, int h, int w, int first_image)
{
    size_t per = (size_t)3 * (size_t)h * (size_t)w;
    float *x = malloc((size_t)n * per * sizeof *x);
    assert_non_null(x);
    for (int k = 0; k < n; k++) {
        int img = first_image + k;
        for (size_t i = 0; i < per; i++)
            x[(size_t)k * per + i] = (float)sin(0.013 * (double)i * (img + 1) + img) * 1.5f;
    }
    return x;
}

static mb_torch_model *load(const char *spec, mb_device d, mb_precision p, int channels_last)
{
    mb_model_options opt = {spec, d, p, channels_last, 0};
    mb_torch_model *m = NULL;
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_torch_model_load(&opt, &m, &err);
    if (rc != 0)
        print_message("load %s failed: %s: %s\n", spec, mb_err_name(rc), err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

/* Embeds n images and returns n*dim floats (freed by the caller). */
static float *embed(mb_torch_model *m, const float *x, int n, int h, int w, int resize_to)
{
    int dim = mb_torch_model_dim(m);
    float *out = calloc((size_t)n * (size_t)dim, sizeof *out);
    assert_non_null(out);
    mb_embed_timing t;
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_torch_model_embed(m, x, n, h, w, resize_to, out, &t, &err);
    if (rc != 0)
        print_message("embed failed: %s: %s\n", mb_err_name(rc), err.msg);
    assert_int_equal(rc, 0);
    assert_true(t.transfer_ms >= 0.0);
    assert_true(t.forward_ms > 0.0);
    return out;
}

static void assert_rows_normalized(const float *e, int n, int dim)
{
    for (int r = 0; r < n; r++) {
        double s = 0.0;
        for (int j = 0; j < dim; j++)
            s += (double)e[r * dim + j] * e[r * dim + j];
        if (fabs(sqrt(s) - 1.0) > 1e-5)
            fail_msg("row %d has norm %.9f", r, sqrt(s));
    }
}

static void assert_close(const float *a, const float *b, size_t count, double tol)
{
    for (size_t i = 0; i < count; i++) {
        if (fabs((double)a[i] - (double)b[i]) > tol)
            fail_msg("element %zu: %.9g vs %.9g (tolerance %g)", i, a[i], b[i], tol);
    }
}

static double cosine(const float *a, const float *b, int dim)
{
    double dot = 0.0;
    for (int j = 0; j < dim; j++)
        dot += (double)a[j] * b[j];
    return dot; /* both rows are unit vectors */
}

static void test_version_and_names(void **state)
{
    (void)state;
    const char *v = mb_torch_version();
    assert_non_null(v);
    assert_true(strlen(v) >= 3);
    print_message("libtorch %s, %d threads\n", v, mb_torch_get_threads());
    for (int d = MB_DEVICE_CPU; d <= MB_DEVICE_MPS; d++)
        assert_int_equal(mb_device_parse(mb_device_name((mb_device)d)), d);
    assert_int_equal(mb_device_parse("tpu"), -1);
    assert_int_equal(mb_device_parse(NULL), -1);
}

static void test_cpu_usable_and_described(void **state)
{
    (void)state;
    char reason[256] = "x";
    assert_int_equal(mb_torch_device_usable(MB_DEVICE_CPU, reason, sizeof reason), 1);
    assert_string_equal(reason, "");
    char desc[256];
    mb_torch_device_description(MB_DEVICE_CPU, desc, sizeof desc);
    assert_true(strlen(desc) > 0);
    print_message("cpu: %s\n", desc);
    assert_true(mb_torch_device_total_memory(MB_DEVICE_CPU) > 0);
}

static void test_threads(void **state)
{
    (void)state;
    int before = mb_torch_get_threads();
    mb_torch_set_threads(2);
    assert_int_equal(mb_torch_get_threads(), 2);
    mb_torch_set_threads(0); /* ignored */
    assert_int_equal(mb_torch_get_threads(), 2);
    mb_torch_set_threads(before);
}

static void test_tiny_embeds_normalized_rows(void **state)
{
    (void)state;
    mb_torch_model *m = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(m);
    assert_true(dim > 0);
    float *x = make_batch(3, 32, 40, 0);
    float *e = embed(m, x, 3, 32, 40, 0);
    assert_rows_normalized(e, 3, dim);
    /* Different images must not collapse onto one embedding. */
    assert_true(cosine(e, e + dim, dim) < 0.999999);
    free(e);
    free(x);
    mb_torch_model_free(m);
}

static void test_tiny_deterministic(void **state)
{
    (void)state;
    mb_torch_model *a = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    mb_torch_model *b = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(a);
    assert_int_equal(mb_torch_model_dim(b), dim);
    float *x = make_batch(2, 32, 32, 5);
    float *ea = embed(a, x, 2, 32, 32, 0);
    float *eb = embed(b, x, 2, 32, 32, 0);
    assert_memory_equal(ea, eb, (size_t)2 * (size_t)dim * sizeof(float));
    free(ea);
    free(eb);
    free(x);
    mb_torch_model_free(a);
    mb_torch_model_free(b);
}

static void test_seed_changes_weights(void **state)
{
    (void)state;
    mb_model_options opt = {"builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0, 12345};
    mb_torch_model *other = NULL;
    assert_int_equal(mb_torch_model_load(&opt, &other, NULL), 0);
    mb_torch_model *def = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(def);
    float *x = make_batch(1, 32, 32, 0);
    float *e1 = embed(def, x, 1, 32, 32, 0);
    float *e2 = embed(other, x, 1, 32, 32, 0);
    assert_true(cosine(e1, e2, dim) < 0.9999);
    free(e1);
    free(e2);
    free(x);
    mb_torch_model_free(def);
    mb_torch_model_free(other);
}

static void test_batch_of_one_equals_batch_of_four(void **state)
{
    (void)state;
    mb_torch_model *m = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(m);
    float *batch = make_batch(4, 48, 48, 0);
    float *eb = embed(m, batch, 4, 48, 48, 0);
    for (int k = 0; k < 4; k++) {
        float *one = make_batch(1, 48, 48, k);
        float *e1 = embed(m, one, 1, 48, 48, 0);
        assert_close(e1, eb + (size_t)k * (size_t)dim, (size_t)dim, 1e-5);
        free(e1);
        free(one);
    }
    free(eb);
    free(batch);
    mb_torch_model_free(m);
}

static void test_channels_last_matches(void **state)
{
    (void)state;
    mb_torch_model *a = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    mb_torch_model *b = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 1);
    int dim = mb_torch_model_dim(a);
    float *x = make_batch(2, 32, 32, 3);
    float *ea = embed(a, x, 2, 32, 32, 0);
    float *eb = embed(b, x, 2, 32, 32, 0);
    assert_close(ea, eb, (size_t)2 * (size_t)dim, 1e-5);
    free(ea);
    free(eb);
    free(x);
    mb_torch_model_free(a);
    mb_torch_model_free(b);
}

static void test_device_resize(void **state)
{
    (void)state;
    mb_torch_model *m = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(m);
    float *x = make_batch(2, 30, 50, 1);
    float *e = embed(m, x, 2, 30, 50, 64);
    assert_rows_normalized(e, 2, dim);
    /* Resizing to the input's own size is the identity. */
    float *sq = make_batch(2, 32, 32, 1);
    float *r0 = embed(m, sq, 2, 32, 32, 0);
    float *r32 = embed(m, sq, 2, 32, 32, 32);
    assert_close(r0, r32, (size_t)2 * (size_t)dim, 1e-5);
    free(r0);
    free(r32);
    free(sq);
    free(e);
    free(x);
    mb_torch_model_free(m);
}

static void test_resnet18_and_resnet50_widths(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int dim;
    } cases[] = {{"builtin:resnet18", 512}, {"builtin:resnet50", 2048}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_torch_model *m = load(cases[i].spec, MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
        assert_int_equal(mb_torch_model_dim(m), cases[i].dim);
        float *x = make_batch(1, 64, 64, 2);
        float *e = embed(m, x, 1, 64, 64, 0);
        assert_rows_normalized(e, 1, cases[i].dim);
        for (int j = 0; j < cases[i].dim; j++)
            assert_true(isfinite(e[j]));
        free(e);
        free(x);
        mb_torch_model_free(m);
    }
}

static long minor_faults(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_minflt;
}

/* The heap policy reaches libtorch's own allocations: with freed memory kept
 * (heap_policy.h), a warm CPU forward of ResNet-18 at batch 16 on 224x224,
 * whose first activations (51 MB each) glibc would otherwise map afresh on
 * every pass, faults in no new page.  Without the policy it takes tens of
 * thousands of faults.  Faults are counted by the kernel, not timed. */
static void test_warm_forward_faults_nothing_in(void **state)
{
    (void)state;
    if (!mb_heap_keep_freed())
        MB_SKIP("this libc has no mallopt: the heap policy does not apply");
    mb_torch_model *m = load("builtin:resnet18", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    mb_err err;
    double ms;
    /* The first two passes grow the heap to the forward's peak (the second
     * can still find its blocks laid out differently from the first). */
    for (int i = 0; i < 2; i++)
        assert_int_equal(mb_torch_model_time_forward(m, 16, 224, 224, &ms, &err), 0);
    long before = minor_faults();
    assert_int_equal(mb_torch_model_time_forward(m, 16, 224, 224, &ms, &err), 0);
    long warm = minor_faults() - before;
    print_message("minor faults of a warm forward: %ld\n", warm);
    assert_true(warm < 1000);
    mb_torch_model_free(m);
}

static void test_missing_script_is_torch_error(void **state)
{
    (void)state;
    const char *path = MB_SOURCE_DIR "/fixtures/models/does-not-exist.pt";
    mb_model_options opt = {path, MB_DEVICE_CPU, MB_PRECISION_FP32, 0, 0};
    mb_torch_model *m = (mb_torch_model *)&opt; /* must be reset to NULL */
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_torch_model_load(&opt, &m, &err), MB_ETORCH);
    assert_null(m);
    assert_int_equal(err.code, MB_ETORCH);
    assert_non_null(strstr(err.msg, path));
    print_message("expected error: %s\n", err.msg);
}

static void test_corrupt_script_is_torch_error(void **state)
{
    (void)state;
    /* The reference JSON is a readable file but not a TorchScript archive:
     * libtorch itself must reject it, and the C boundary must not crash. */
    mb_model_options opt = {FIXTURE_DIR "/tiny_script.reference.json", MB_DEVICE_CPU,
                            MB_PRECISION_FP32, 0, 0};
    mb_torch_model *m = NULL;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_torch_model_load(&opt, &m, &err), MB_ETORCH);
    assert_null(m);
    assert_true(strlen(err.msg) > 0);
    assert_int_not_equal(err.msg[strlen(err.msg) - 1], '\n');
    print_message("expected error: %.200s\n", err.msg);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mb_model_options opt = {"builtin:resnet34", MB_DEVICE_CPU, MB_PRECISION_FP32, 0, 0};
    mb_torch_model *m = NULL;
    mb_err err;
    mb_err_clear(&err);
    assert_int_equal(mb_torch_model_load(&opt, &m, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "resnet34"));
    assert_int_equal(mb_torch_model_load(NULL, &m, &err), MB_EINVAL);

    m = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    float x[3 * 8 * 8] = {0};
    float out[64];
    assert_int_equal(mb_torch_model_embed(m, NULL, 1, 8, 8, 0, out, NULL, &err), MB_EINVAL);
    assert_int_equal(mb_torch_model_embed(m, x, 0, 8, 8, 0, out, NULL, &err), MB_EINVAL);
    assert_int_equal(mb_torch_set_memory_fraction(MB_DEVICE_CPU, 0.5, &err), MB_EINVAL);
    mb_torch_model_free(m);
    mb_torch_model_free(NULL);
}

static void test_script_fixture_matches_reference(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *ref = json_load_file(FIXTURE_DIR "/tiny_script.reference.json", 0, &jerr);
    if (ref == NULL)
        fail_msg("reference: %s:%d: %s", jerr.source, jerr.line, jerr.text);
    json_t *in = json_object_get(ref, "input");
    int n = (int)json_integer_value(json_object_get(in, "n"));
    int c = (int)json_integer_value(json_object_get(in, "c"));
    int h = (int)json_integer_value(json_object_get(in, "h"));
    int w = (int)json_integer_value(json_object_get(in, "w"));
    int dim = (int)json_integer_value(json_object_get(ref, "dim"));
    json_t *rows = json_object_get(ref, "embedding");
    assert_int_equal(c, 3);
    assert_true(n > 0 && dim > 0);
    assert_int_equal((int)json_array_size(rows), n);

    /* The recipe stored in the JSON: x[i] = ((i * 37) % 101) / 50 - 1. */
    size_t count = (size_t)n * 3 * (size_t)h * (size_t)w;
    float *x = malloc(count * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < count; i++)
        x[i] = (float)((long)((i * 37) % 101)) / 50.0f - 1.0f;

    mb_torch_model *m = load(FIXTURE_DIR "/tiny_script.pt", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    assert_int_equal(mb_torch_model_dim(m), dim);
    float *e = embed(m, x, n, h, w, 0);
    for (int r = 0; r < n; r++) {
        json_t *row = json_array_get(rows, (size_t)r);
        assert_int_equal((int)json_array_size(row), dim);
        for (int j = 0; j < dim; j++) {
            double want = json_number_value(json_array_get(row, (size_t)j));
            if (fabs(e[r * dim + j] - want) > 1e-5)
                fail_msg("row %d col %d: got %.9g, reference %.9g", r, j, e[r * dim + j], want);
        }
    }
    free(e);
    free(x);
    mb_torch_model_free(m);
    json_decref(ref);
}

/* Whether the device is there is decided by an independent probe of the
 * machine; where it is there, the shim must find it usable, and not doing
 * so fails the test instead of skipping it. */
static void require_device(mb_device d)
{
    bool present = d == MB_DEVICE_CUDA  ? mb_test_machine_has_cuda()
                   : d == MB_DEVICE_MPS ? mb_test_machine_has_mps()
                                        : true;
    if (!present)
        MB_SKIP("no %s on this machine", mb_device_name(d));
    char reason[512];
    if (!mb_torch_device_usable(d, reason, sizeof reason))
        fail_msg("%s is on this machine but not usable: %s", mb_device_name(d), reason);
}

static void test_cuda(void **state)
{
    (void)state;
    require_device(MB_DEVICE_CUDA);
    char desc[256];
    mb_torch_device_description(MB_DEVICE_CUDA, desc, sizeof desc);
    print_message("cuda: %s, %llu bytes\n", desc,
                  (unsigned long long)mb_torch_device_total_memory(MB_DEVICE_CUDA));
    assert_true(mb_torch_device_total_memory(MB_DEVICE_CUDA) > 0);

    mb_torch_model *cpu = load("builtin:resnet18", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    mb_torch_model *gpu = load("builtin:resnet18", MB_DEVICE_CUDA, MB_PRECISION_FP32, 0);
    float *x = make_batch(2, 64, 64, 0);
    float *ec = embed(cpu, x, 2, 64, 64, 0);
    mb_torch_memory_reset_peak(MB_DEVICE_CUDA);
    float *eg = embed(gpu, x, 2, 64, 64, 0);
    mb_device_memory mem;
    mb_torch_memory(MB_DEVICE_CUDA, &mem);
    print_message("cuda peak allocated %llu, reserved %llu\n",
                  (unsigned long long)mem.peak_allocated, (unsigned long long)mem.peak_reserved);
    assert_true(mem.peak_allocated > 0);
    assert_true(mem.peak_reserved >= mem.peak_allocated);
    /* cuDNN may use TF32 for convolutions: same direction, not same bits. */
    for (int r = 0; r < 2; r++)
        assert_true(cosine(ec + r * 512, eg + r * 512, 512) > 0.999);
    free(ec);
    free(eg);

    mb_torch_model *half = load("builtin:resnet18", MB_DEVICE_CUDA, MB_PRECISION_FP16, 1);
    float *eh = embed(half, x, 2, 64, 64, 0);
    assert_rows_normalized(eh, 2, 512);
    free(eh);
    mb_torch_model_free(half);

    /* A cap of 1% of the card, then a batch resized on the device to 4096
     * pixels a side: out of memory, reported as MB_EOOM, and the model works
     * again once the cap is lifted. */
    mb_err err;
    mb_err_clear(&err);
    mb_torch_empty_cache(MB_DEVICE_CUDA);
    assert_int_equal(mb_torch_set_memory_fraction(MB_DEVICE_CUDA, 0.01, &err), 0);
    float big_out[4 * 512];
    float *small = make_batch(4, 64, 64, 0);
    int rc = mb_torch_model_embed(gpu, small, 4, 64, 64, 4096, big_out, NULL, &err);
    print_message("capped embed: %s: %.300s\n", mb_err_name(rc), err.msg);
    assert_int_equal(rc, MB_EOOM);
    assert_int_equal(mb_torch_set_memory_fraction(MB_DEVICE_CUDA, 1.0, &err), 0);
    mb_torch_empty_cache(MB_DEVICE_CUDA);
    float *again = embed(gpu, x, 2, 64, 64, 0);
    assert_rows_normalized(again, 2, 512);
    free(again);
    free(small);
    free(x);
    mb_torch_model_free(gpu);
    mb_torch_model_free(cpu);
}

/* Two batches in flight at once (submit, submit, collect, collect) give what
 * one synchronous embed each gives, from host memory of mb_torch_host_alloc;
 * on CUDA that memory is pinned and the copies asynchronous. */
static void check_submit_collect(mb_device d, const char *spec, double tol)
{
    mb_torch_model *m = load(spec, d, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(m);
    size_t per = (size_t)2 * 3 * 64 * 64;
    float *ref_x = make_batch(4, 64, 64, 0);
    float *a = mb_torch_host_alloc(d, per * sizeof(float));
    float *b = mb_torch_host_alloc(d, per * sizeof(float));
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, ref_x, per * sizeof(float));
    memcpy(b, ref_x + per, per * sizeof(float));
    float *ref = embed(m, ref_x, 4, 64, 64, 0);
    mb_err err;
    mb_err_clear(&err);
    mb_torch_inflight *fa = NULL, *fb = NULL;
    assert_int_equal(mb_torch_model_submit(m, a, 2, 64, 64, 0, &fa, &err), 0);
    assert_int_equal(mb_torch_model_submit(m, b, 2, 64, 64, 0, &fb, &err), 0);
    float *out = calloc((size_t)4 * (size_t)dim, sizeof *out);
    mb_embed_timing t;
    assert_int_equal(mb_torch_model_collect(m, fa, out, &t, &err), 0);
    assert_true(t.forward_ms > 0.0);
    assert_int_equal(mb_torch_model_collect(m, fb, out + 2 * dim, &t, &err), 0);
    assert_close(ref, out, (size_t)4 * (size_t)dim, tol);
    /* A handle that is never collected is released without a leak. */
    assert_int_equal(mb_torch_model_submit(m, a, 2, 64, 64, 0, &fa, &err), 0);
    mb_torch_inflight_free(fa);
    mb_torch_inflight_free(NULL);
    double ms = 0;
    assert_int_equal(mb_torch_model_time_forward(m, 2, 64, 64, &ms, &err), 0);
    assert_true(ms > 0.0);
    mb_torch_host_free(a);
    mb_torch_host_free(b);
    mb_torch_host_free(NULL);
    free(out);
    free(ref);
    free(ref_x);
    mb_torch_model_free(m);
}

static void test_submit_collect_cpu(void **state)
{
    (void)state;
    check_submit_collect(MB_DEVICE_CPU, "builtin:tiny", 1e-5);
}

/* Half precision and channels-last on CUDA: the embeddings keep their
 * direction, cosine >= 0.999 against fp32 for every image, on ResNet-50 at
 * 224x224 (the size the benchmarks use). */
static void test_cuda_precisions(void **state)
{
    (void)state;
    require_device(MB_DEVICE_CUDA);
    check_submit_collect(MB_DEVICE_CUDA, "builtin:resnet18", 1e-2);
    const int n = 4, side = 224;
    float *x = make_batch(n, side, side, 3);
    mb_torch_model *fp32 = load("builtin:resnet50", MB_DEVICE_CUDA, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(fp32);
    float *ref = embed(fp32, x, n, side, side, 0);
    mb_torch_model_free(fp32);
    static const struct { mb_precision p; int cl; const char *name; } variants[] = {
        {MB_PRECISION_FP32, 1, "fp32 channels-last"},
        {MB_PRECISION_FP16, 0, "fp16"},
        {MB_PRECISION_FP16, 1, "fp16 channels-last"},
        {MB_PRECISION_BF16, 0, "bf16"},
        {MB_PRECISION_BF16, 1, "bf16 channels-last"},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        mb_torch_model *m = load("builtin:resnet50", MB_DEVICE_CUDA, variants[v].p, variants[v].cl);
        float *e = embed(m, x, n, side, side, 0);
        assert_rows_normalized(e, n, dim);
        double worst = 1.0;
        for (int r = 0; r < n; r++)
            worst = fmin(worst, cosine(ref + r * dim, e + r * dim, dim));
        print_message("resnet50 %s vs fp32: worst cosine %.6f\n", variants[v].name, worst);
        assert_true(worst >= 0.999);
        free(e);
        mb_torch_model_free(m);
    }
    free(ref);
    free(x);
}

static void test_mps(void **state)
{
    (void)state;
    require_device(MB_DEVICE_MPS);
    char desc[256];
    mb_torch_device_description(MB_DEVICE_MPS, desc, sizeof desc);
    print_message("mps: %s\n", desc);
    mb_torch_model *cpu = load("builtin:tiny", MB_DEVICE_CPU, MB_PRECISION_FP32, 0);
    mb_torch_model *gpu = load("builtin:tiny", MB_DEVICE_MPS, MB_PRECISION_FP32, 0);
    int dim = mb_torch_model_dim(cpu);
    float *x = make_batch(2, 64, 64, 0);
    float *ec = embed(cpu, x, 2, 64, 64, 0);
    float *eg = embed(gpu, x, 2, 64, 64, 48);
    assert_rows_normalized(eg, 2, dim);
    free(eg);
    eg = embed(gpu, x, 2, 64, 64, 0);
    for (int r = 0; r < 2; r++)
        assert_true(cosine(ec + r * dim, eg + r * dim, dim) > 0.999);
    mb_device_memory mem;
    mb_torch_memory(MB_DEVICE_MPS, &mem);
    print_message("mps allocated %llu, driver %llu, recommended max %llu\n",
                  (unsigned long long)mem.peak_allocated, (unsigned long long)mem.peak_reserved,
                  (unsigned long long)mem.recommended_max);
    mb_torch_empty_cache(MB_DEVICE_MPS);
    free(ec);
    free(eg);
    free(x);
    mb_torch_model_free(gpu);
    mb_torch_model_free(cpu);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_version_and_names),
    cmocka_unit_test(test_cpu_usable_and_described),
    cmocka_unit_test(test_threads),
    cmocka_unit_test(test_tiny_embeds_normalized_rows),
    cmocka_unit_test(test_tiny_deterministic),
    cmocka_unit_test(test_seed_changes_weights),
    cmocka_unit_test(test_batch_of_one_equals_batch_of_four),
    cmocka_unit_test(test_channels_last_matches),
    cmocka_unit_test(test_device_resize),
    cmocka_unit_test(test_resnet18_and_resnet50_widths),
    cmocka_unit_test(test_warm_forward_faults_nothing_in),
    cmocka_unit_test(test_missing_script_is_torch_error),
    cmocka_unit_test(test_corrupt_script_is_torch_error),
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_script_fixture_matches_reference),
    cmocka_unit_test(test_submit_collect_cpu),
    cmocka_unit_test(test_cuda),
    cmocka_unit_test(test_cuda_precisions),
    cmocka_unit_test(test_mps),
};

MB_TEST_MAIN("torch", tests, NULL, NULL)

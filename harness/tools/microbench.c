/* mpsbench-microbench: the worker's stages one at a time, through Google
 * Benchmark (the C API in gbench_c.h), so that an end-to-end figure can be
 * read against its parts:
 *   forward/<precision>/batch:<n>     the model alone on data already on the
 *                                     device (the ceiling), per batch size;
 *   decode/<w>x<h>/<full|dct>         one JPEG, at full size or DCT-scaled to
 *                                     no less than the model's input;
 *   preprocess/<w>x<h>/<full|dct>     bilinear resize of that decoded image
 *                                     to the input size, then normalization.
 * Device work is synchronized before every clock read (manual time).  The
 * JSON is Google Benchmark's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "gbench_c.h"
#include "heap_policy.h"
#include "image.h"
#include "mb_opts.h"
#include "mb_exit.h"
#include "mb_util.h"
#include "torch_api.h"

enum { MAX_LIST = 16, FIXTURES = 8 };

typedef struct bench_config {
    const char *out;
    const char *device;
    const char *model;
    const char *filter;
    const char *cache;
    int input_size;
    int batches[MAX_LIST];
    int n_batches;
    int precisions[MAX_LIST];
    int n_precisions;
    bool channels_last;
    bool quiet;
    int iterations;         /* forward passes timed per case; 0: Google Benchmark's choice */
} bench_config;

typedef struct forward_case {
    mb_torch_model *model;
    int batch;
    int side;
    char *error;            /* set when the model could not be loaded */
} forward_case;

typedef struct image_case {
    char **paths;
    int n_paths;
    int min_side;           /* 0: full-size decode */
    int side;               /* preprocess target */
    mb_image *decoded;      /* preprocess only: images decoded once, up front */
} image_case;

enum {
    OPT_OUT = 1, OPT_DEVICE, OPT_MODEL, OPT_BATCHES, OPT_PRECISIONS, OPT_FILTER, OPT_CACHE,
    OPT_INPUT, OPT_CL, OPT_QUIET, OPT_HELP, OPT_ITERATIONS
};

static const mb_opt bench_opts[] = {
    {"out", 'o', 1, OPT_OUT},
    {"device", 0, 1, OPT_DEVICE},
    {"model", 0, 1, OPT_MODEL},
    {"batches", 0, 1, OPT_BATCHES},
    {"precisions", 0, 1, OPT_PRECISIONS},
    {"filter", 0, 1, OPT_FILTER},
    {"image-cache", 0, 1, OPT_CACHE},
    {"input-size", 0, 1, OPT_INPUT},
    {"channels-last", 0, 0, OPT_CL},
    {"iterations", 0, 1, OPT_ITERATIONS},
    {"quiet", 'q', 0, OPT_QUIET},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-microbench [--out FILE.json] [--device auto|cuda|mps|cpu]\n"
          "         [--model SPEC] [--batches 1,2,4,...] [--precisions fp32,fp16,bf16]\n"
          "         [--input-size N] [--channels-last] [--filter REGEX] [--iterations N]\n"
          "         [--image-cache DIR] [--quiet]\n",
          f);
}

static const char *const precision_names[] = {"fp32", "fp16", "bf16"};

/* Splits "a,b,c" into up to MAX_LIST items; each is checked by item(). */
static int parse_list(const char *opt, const char *text, int *out, int *n,
                      int (*item)(const char *s, size_t len), mb_err *err)
{
    *n = 0;
    const char *p = text;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        int v = len > 0 && len < 16 ? item(p, len) : -1;
        if (v < 0 || *n == MAX_LIST)
            return mb_err_set(err, MB_EUSAGE, "option --%s: bad list '%s'", opt, text);
        out[(*n)++] = v;
        p += len;
        if (*p == ',')
            p++;
    }
    return *n > 0 ? 0 : mb_err_set(err, MB_EUSAGE, "option --%s: empty list", opt);
}

static int batch_item(const char *s, size_t len)
{
    char buf[16];
    memcpy(buf, s, len);
    buf[len] = '\0';
    long v;
    return mb_parse_long(buf, &v) == 0 && v >= 1 && v <= 4096 ? (int)v : -1;
}

static int precision_item(const char *s, size_t len)
{
    for (int i = 0; i < 3; i++)
        if (strlen(precision_names[i]) == len && strncmp(s, precision_names[i], len) == 0)
            return i;
    return -1;
}

static int parse_args(int argc, char **argv, bench_config *c, mb_err *err)
{
    memset(c, 0, sizeof *c);
    c->device = "auto";
    c->model = "builtin:resnet50";
    c->input_size = 224;
    static const int default_batches[] = {1, 2, 4, 8, 16, 32, 64};
    memcpy(c->batches, default_batches, sizeof default_batches);
    c->n_batches = 7;
    c->precisions[0] = MB_PRECISION_FP32;
    c->precisions[1] = MB_PRECISION_FP16;
    c->precisions[2] = MB_PRECISION_BF16;
    c->n_precisions = 3;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    for (;;) {
        int id;
        if (mb_opt_next(&it, bench_opts, &id, err) != 0)
            return MB_EUSAGE;
        if (id == MB_OPT_END)
            break;
        long n;
        int rc = 0;
        switch (id) {
        case MB_OPT_POSITIONAL:
            return mb_err_set(err, MB_EUSAGE, "unexpected argument '%s'", it.arg);
        case OPT_OUT: c->out = it.arg; break;
        case OPT_DEVICE: c->device = it.arg; break;
        case OPT_MODEL: c->model = it.arg; break;
        case OPT_FILTER: c->filter = it.arg; break;
        case OPT_CACHE: c->cache = it.arg; break;
        case OPT_CL: c->channels_last = true; break;
        case OPT_ITERATIONS:
            if (mb_parse_long(it.arg, &n) != 0 || n < 1 || n > 100000)
                return mb_err_set(err, MB_EUSAGE, "option --iterations: expected 1..100000, got '%s'",
                                  it.arg);
            c->iterations = (int)n;
            break;
        case OPT_QUIET: c->quiet = true; break;
        case OPT_HELP: usage(stdout); exit(0);
        case OPT_BATCHES:
            rc = parse_list("batches", it.arg, c->batches, &c->n_batches, batch_item, err);
            break;
        case OPT_PRECISIONS:
            rc = parse_list("precisions", it.arg, c->precisions, &c->n_precisions,
                            precision_item, err);
            break;
        case OPT_INPUT:
            if (mb_parse_long(it.arg, &n) != 0 || n < 32 || n > 4096)
                return mb_err_set(err, MB_EUSAGE, "option --input-size: expected 32..4096");
            c->input_size = (int)n;
            break;
        }
        if (rc != 0)
            return rc;
    }
    if (strcmp(c->device, "auto") != 0 && mb_device_parse(c->device) < 0)
        return mb_err_set(err, MB_EUSAGE, "option --device: unknown device '%s'", c->device);
    return 0;
}

/* The best usable device: CUDA, then MPS, then the CPU. */
static mb_device pick_device(const char *name)
{
    if (strcmp(name, "auto") != 0)
        return (mb_device)mb_device_parse(name);
    const mb_device order[] = {MB_DEVICE_CUDA, MB_DEVICE_MPS};
    for (size_t i = 0; i < 2; i++) {
        char reason[256];
        if (mb_torch_device_usable(order[i], reason, sizeof reason))
            return order[i];
    }
    return MB_DEVICE_CPU;
}

static void bench_forward(mb_gb_state *st, void *arg)
{
    forward_case *fc = arg;
    if (fc->error != NULL) {
        mb_gb_skip_with_error(st, fc->error);
        return;
    }
    mb_err err;
    double ms;
    /* The first pass at a new shape lets cuDNN pick its algorithms; it is
     * not what a warm worker sees. */
    if (mb_torch_model_time_forward(fc->model, fc->batch, fc->side, fc->side, &ms, &err) != 0) {
        mb_gb_skip_with_error(st, err.msg);
        return;
    }
    int64_t images = 0;
    while (mb_gb_keep_running(st)) {
        if (mb_torch_model_time_forward(fc->model, fc->batch, fc->side, fc->side, &ms, &err) != 0) {
            mb_gb_skip_with_error(st, err.msg);
            return;
        }
        mb_gb_set_iteration_time(st, ms / 1000.0);
        images += fc->batch;
    }
    mb_gb_set_counter(st, "images_per_second", (double)images, MB_GB_COUNTER_RATE);
    mb_gb_set_counter(st, "batch_size", fc->batch, 0);
}

static void bench_decode(mb_gb_state *st, void *arg)
{
    image_case *ic = arg;
    int64_t i = 0;
    while (mb_gb_keep_running(st)) {
        mb_image img;
        mb_err err;
        double t0 = mb_now_ms();
        int rc = mb_image_decode_file(ic->paths[i % ic->n_paths], ic->min_side, ic->min_side,
                                      &img, &err);
        double t1 = mb_now_ms();
        if (rc != 0) {
            mb_gb_skip_with_error(st, err.msg);
            return;
        }
        mb_gb_set_iteration_time(st, (t1 - t0) / 1000.0);
        if (i == 0) {
            mb_gb_set_counter(st, "decoded_width", img.width, 0);
            mb_gb_set_counter(st, "decoded_height", img.height, 0);
        }
        mb_image_free(&img);
        i++;
    }
    mb_gb_set_counter(st, "images_per_second", (double)i, MB_GB_COUNTER_RATE);
}

static void bench_preprocess(mb_gb_state *st, void *arg)
{
    image_case *ic = arg;
    float *chw = mb_calloc((size_t)3 * (size_t)ic->side * (size_t)ic->side, sizeof *chw);
    int64_t i = 0;
    while (mb_gb_keep_running(st)) {
        const mb_image *src = &ic->decoded[i % ic->n_paths];
        mb_image sized = *src;
        mb_err err;
        double t0 = mb_now_ms();
        if (src->width != ic->side || src->height != ic->side) {
            if (mb_image_resize(src, ic->side, ic->side, &sized, &err) != 0) {
                mb_gb_skip_with_error(st, err.msg);
                break;
            }
        }
        mb_image_to_chw(&sized, chw);
        double t1 = mb_now_ms();
        if (sized.rgb != src->rgb)
            mb_image_free(&sized);
        mb_gb_set_iteration_time(st, (t1 - t0) / 1000.0);
        i++;
    }
    mb_gb_set_counter(st, "images_per_second", (double)i, MB_GB_COUNTER_RATE);
    free(chw);
}

static char *default_cache(void)
{
    const char *env = getenv("MPSBENCH_CACHE");
    if (env != NULL && *env != '\0')
        return mb_asprintf("%s/images/jpeg", env);
    const char *home = getenv("HOME");
    return mb_asprintf("%s/.cache/mpsbench/images/jpeg", home && *home ? home : "/tmp");
}

/* Says which device, library, threads and heap policy the figures are about,
 * in the JSON's context and (unless --quiet) on stderr. */
static void describe_device(const bench_config *c, mb_device dev, bool heap_kept)
{
    char desc[256];
    mb_torch_device_description(dev, desc, sizeof desc);
    mb_gb_add_context("mpsbench_device", mb_device_name(dev));
    mb_gb_add_context("mpsbench_device_description", desc);
    mb_gb_add_context("mpsbench_torch_version", mb_torch_version());
    mb_gb_add_context("mpsbench_model", c->model);
    mb_gb_add_context("mpsbench_heap_keeps_freed", heap_kept ? "true" : "false");
    if (!c->quiet)
        fprintf(stderr, "mpsbench-microbench: %s (%s), torch %s, %d threads, heap %s\n",
                mb_device_name(dev), desc, mb_torch_version(), mb_torch_get_threads(),
                heap_kept ? "keeps freed memory" : "as the libc left it");
}

/* Loads one model per precision into models[] and registers a forward case
 * per precision and batch size; returns the cases (a model that does not
 * load leaves its cases an error to report). */
static forward_case *register_forward(const bench_config *c, mb_device dev,
                                      mb_torch_model **models)
{
    /* On a CPU one pass can outlast Google Benchmark's minimum time, and one
     * sample is no figure: --iterations fixes the count. */
    mb_gb_options forward_opts = {.use_manual_time = true, .unit = MB_GB_MS};
    forward_opts.iterations = c->iterations;
    forward_case *fcs = mb_calloc((size_t)(c->n_precisions * c->n_batches), sizeof *fcs);
    for (int p = 0; p < c->n_precisions; p++) {
        mb_model_options mo = {.spec = c->model, .device = dev,
                               .precision = (mb_precision)c->precisions[p],
                               .channels_last = c->channels_last};
        char *load_error = NULL;
        mb_err err;
        if (mb_torch_model_load(&mo, &models[p], &err) != 0)
            load_error = mb_strdup(err.msg);
        for (int b = 0; b < c->n_batches; b++) {
            forward_case *fc = &fcs[p * c->n_batches + b];
            *fc = (forward_case){models[p], c->batches[b], c->input_size,
                                 load_error ? mb_strdup(load_error) : NULL};
            char *name = mb_asprintf("forward/%s/batch:%d", precision_names[c->precisions[p]],
                                     c->batches[b]);
            mb_gb_register(name, bench_forward, fc, &forward_opts, NULL);
            free(name);
        }
        free(load_error);
    }
    return fcs;
}

enum { IMAGE_SIZES = 3 };

/* Generates (or finds in cache) the fixtures of each size and registers a
 * decode and a preprocess case per size, at full size and DCT-scaled. */
static int register_images(const bench_config *c, const char *cache,
                           image_case ics[IMAGE_SIZES][2], mb_err *err)
{
    /* Image stages run on one core, as one decoding thread of the worker. */
    static const int sizes[IMAGE_SIZES][2] = {{224, 224}, {1024, 768}, {4032, 3024}};
    mb_gb_options manual = {.use_manual_time = true, .unit = MB_GB_MS};
    int rc = mb_mkdir_p(cache, 0755, err);
    for (int s = 0; s < IMAGE_SIZES && rc == 0; s++) {
        char **paths = NULL;
        rc = mb_fixture_ensure(cache, sizes[s][0], sizes[s][1], MB_FORMAT_JPEG, FIXTURES, &paths,
                               err);
        if (rc != 0) {
            fprintf(stderr, "mpsbench-microbench: fixtures: %s\n", err->msg);
            break;
        }
        for (int mode = 0; mode < 2; mode++) {
            image_case *ic = &ics[s][mode];
            ic->paths = paths;
            ic->n_paths = FIXTURES;
            ic->min_side = mode == 1 ? c->input_size : 0;
            ic->side = c->input_size;
            ic->decoded = mb_calloc(FIXTURES, sizeof *ic->decoded);
            for (int i = 0; i < FIXTURES && rc == 0; i++)
                rc = mb_image_decode_file(paths[i], ic->min_side, ic->min_side, &ic->decoded[i],
                                          err);
            const char *how = mode == 1 ? "dct" : "full";
            char *name = mb_asprintf("decode/%dx%d/%s", sizes[s][0], sizes[s][1], how);
            mb_gb_register(name, bench_decode, ic, &manual, NULL);
            free(name);
            name = mb_asprintf("preprocess/%dx%d/%s", sizes[s][0], sizes[s][1], how);
            mb_gb_register(name, bench_preprocess, ic, &manual, NULL);
            free(name);
        }
    }
    return rc;
}

static void free_images(image_case ics[IMAGE_SIZES][2])
{
    for (int s = 0; s < IMAGE_SIZES; s++) {
        for (int mode = 0; mode < 2; mode++) {
            for (int i = 0; ics[s][mode].decoded != NULL && i < FIXTURES; i++)
                mb_image_free(&ics[s][mode].decoded[i]);
            free(ics[s][mode].decoded);
        }
        mb_fixture_paths_free(ics[s][0].paths, FIXTURES);
    }
}

int main(int argc, char **argv)
{
    bench_config c;
    mb_err err;
    if (parse_args(argc, argv, &c, &err) != 0) {
        fprintf(stderr, "mpsbench-microbench: %s\n", err.msg);
        usage(stderr);
        return mb_exit_code(MB_EUSAGE, NULL);
    }
    mb_device dev = pick_device(c.device);
    char reason[512];
    if (!mb_torch_device_usable(dev, reason, sizeof reason)) {
        fprintf(stderr, "mpsbench-microbench: %s\n", reason);
        return mb_exit_code(MB_EDEVICE, NULL);
    }
    /* As the worker does (worker_main.c), so that this forward is the one a
     * worker runs. */
    bool heap_kept = mb_heap_keep_freed_for(dev == MB_DEVICE_CPU, false);
    mb_torch_set_threads(mb_cpu_count());
    describe_device(&c, dev, heap_kept);

    mb_torch_model *models[MAX_LIST] = {0};
    forward_case *fcs = register_forward(&c, dev, models);
    char *cache = c.cache ? mb_strdup(c.cache) : default_cache();
    image_case ics[IMAGE_SIZES][2];
    memset(ics, 0, sizeof ics);
    if (register_images(&c, cache, ics, &err) != 0) {
        fprintf(stderr, "mpsbench-microbench: %s\n", err.msg);
        return mb_exit_code(MB_EIO, NULL);
    }

    mb_gb_run_options ro = {.json_out = c.out, .console = !c.quiet, .filter = c.filter};
    int ran = mb_gb_run(&ro, &err);
    if (ran < 0)
        fprintf(stderr, "mpsbench-microbench: %s\n", err.msg);

    free_images(ics);
    for (int i = 0; i < c.n_precisions * c.n_batches; i++)
        free(fcs[i].error);
    free(fcs);
    for (int p = 0; p < c.n_precisions; p++)
        mb_torch_model_free(models[p]);
    free(cache);
    return mb_exit_code(ran < 0 ? MB_EIO : MB_OK, NULL);
}

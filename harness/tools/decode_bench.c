/* mpsbench-decode-bench: what one image costs to decode and preprocess into
 * the model's input, on the host and with nvJPEG, for issue 18's 12 MP
 * ceiling.  Files are read into memory first, so neither side counts the
 * disk.
 *
 *   host, 1 thread   libjpeg-turbo with DCT scaling, resize, normalize: ms
 *                    per image on one thread (the worker's per-image cost)
 *   host, T threads  the same on T threads: images/s of the decode pool
 *   gpu              mb_gpu_decode_batch in batches of B (nvJPEG's batched
 *                    decoder, GPU resize and normalize), waited for at the
 *                    end: images/s, and the host time of the call per image
 *   both             the host threads and the GPU at once, on halves of the
 *                    images: whether the two add up
 *
 * Usage: mpsbench-decode-bench [--size 4032x3024] [--images 128] [--distinct 16]
 *        [--batch 32] [--side 224] [--threads N] [--dir DIR] [--json FILE]
 * The images are `distinct` generated fixtures (those of `mpsbench run` when
 * dir is its image cache), each used images/distinct times. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "gpu_decode.h"
#include "image.h"
#include "mb_exit.h"
#include "mb_opts.h"
#include "mb_util.h"
#include "torch_api.h"

typedef struct bench {
    int w, h, n, distinct, batch, side, threads;
    const char *dir, *json;
    unsigned char **data;
    size_t *lens;
    char **paths;
} bench;

typedef struct host_share {
    const bench *b;
    int first, step, last;
    float *rows;       /* one row per thread */
    int failed;
} host_share;

static int host_one(const bench *b, int i, float *row)
{
    mb_image img = {0}, sized = {0};
    mb_err err;
    if (mb_image_decode_memory(b->data[i], b->lens[i], b->paths[i % b->distinct], b->side,
                               b->side, &img, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    int rc = mb_image_resize(&img, b->side, b->side, &sized, &err);
    mb_image_free(&img);
    if (rc == 0)
        mb_image_to_chw(&sized, row);
    mb_image_free(&sized);
    return rc;
}

static void *host_worker(void *arg)
{
    host_share *s = arg;
    for (int i = s->first; i < s->last; i += s->step)
        if (host_one(s->b, i, s->rows) != 0)
            s->failed = 1;
    return NULL;
}

/* images [first, last) on `threads` threads; returns the wall ms. */
static double host_run(const bench *b, int first, int last, int threads)
{
    pthread_t *t = mb_calloc((size_t)threads, sizeof *t);
    host_share *s = mb_calloc((size_t)threads, sizeof *s);
    double t0 = mb_now_ms();
    for (int k = 0; k < threads; k++) {
        s[k] = (host_share){b, first + k, threads, last,
                            mb_calloc(3u * (size_t)b->side * (size_t)b->side, sizeof(float)), 0};
        pthread_create(&t[k], NULL, host_worker, &s[k]);
    }
    int failed = 0;
    for (int k = 0; k < threads; k++) {
        pthread_join(t[k], NULL);
        failed |= s[k].failed;
        free(s[k].rows);
    }
    double ms = mb_now_ms() - t0;
    free(t);
    free(s);
    return failed ? -1 : ms;
}

typedef struct gpu_share {
    const bench *b;
    mb_gpu_decoder *d;
    int first, last;
    double call_ms, wall_ms;
    int rc;
    mb_err err;
} gpu_share;

/* images [first, last) in batches, then one copy back that waits for all. */
static void *gpu_run(void *arg)
{
    gpu_share *g = arg;
    const bench *b = g->b;
    mb_err err;
    mb_gpu_batch *last = NULL;
    double t0 = mb_now_ms();
    g->call_ms = 0;
    for (int i = g->first; i < g->last && g->rc == 0; i += b->batch) {
        int n = g->last - i < b->batch ? g->last - i : b->batch;
        double c0 = mb_now_ms();
        mb_gpu_batch *out = NULL;
        g->rc = mb_gpu_decode_batch(g->d, (const unsigned char *const *)b->data + i, b->lens + i,
                                    NULL, n, b->side, &out, &err);
        g->call_ms += mb_now_ms() - c0;
        mb_gpu_batch_free(last);
        last = out;
    }
    if (g->rc == 0 && last != NULL) {
        size_t floats = (size_t)((g->last - g->first - 1) % b->batch + 1) * 3u *
                        (size_t)b->side * (size_t)b->side;
        float *host = mb_calloc(floats, sizeof *host);
        g->rc = mb_gpu_batch_to_host(last, host, floats, &err);
        free(host);
    }
    if (g->rc != 0)
        g->err = err;
    mb_gpu_batch_free(last);
    g->wall_ms = mb_now_ms() - t0;
    return NULL;
}

enum { OPT_SIZE = 1, OPT_IMAGES, OPT_BATCH, OPT_SIDE, OPT_THREADS, OPT_DIR, OPT_JSON,
       OPT_DISTINCT };

static int parse(int argc, char **argv, bench *b)
{
    static const mb_opt opts[] = {
        {"size", 0, 1, OPT_SIZE},       {"images", 0, 1, OPT_IMAGES}, {"batch", 0, 1, OPT_BATCH},
        {"side", 0, 1, OPT_SIDE},       {"threads", 0, 1, OPT_THREADS},
        {"dir", 0, 1, OPT_DIR},         {"json", 0, 1, OPT_JSON},
        {"distinct", 0, 1, OPT_DISTINCT}, {NULL, 0, 0, 0},
    };
    *b = (bench){.w = 4032, .h = 3024, .n = 128, .distinct = 16, .batch = 32, .side = 224,
                 .threads = mb_cpu_count(), .dir = "/tmp/mpsbench-decode-bench"};
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    mb_err err;
    for (;;) {
        int c;
        if (mb_opt_next(&it, opts, &c, &err) != 0) {
            fprintf(stderr, "mpsbench-decode-bench: %s\n", err.msg);
            return MB_EUSAGE;
        }
        if (c == MB_OPT_END)
            break;
        long v;
        if (c == OPT_SIZE && mb_parse_size(it.arg, &b->w, &b->h) == 0)
            continue;
        if (c == OPT_DIR || c == OPT_JSON) {
            *(c == OPT_DIR ? &b->dir : &b->json) = it.arg;
            continue;
        }
        if (c != OPT_SIZE && c != MB_OPT_POSITIONAL && mb_parse_long(it.arg, &v) == 0 && v > 0 &&
            v <= 100000) {
            int *field = c == OPT_IMAGES ? &b->n : c == OPT_BATCH ? &b->batch
                         : c == OPT_SIDE ? &b->side : c == OPT_DISTINCT ? &b->distinct
                         : &b->threads;
            *field = (int)v;
            continue;
        }
        fprintf(stderr, "mpsbench-decode-bench: bad argument '%s'\n", it.arg ? it.arg : "");
        return MB_EUSAGE;
    }
    return 0;
}

static int load_images(bench *b)
{
    mb_err err;
    if (b->distinct > b->n)
        b->distinct = b->n;
    if (mb_mkdir_p(b->dir, 0755, &err) != 0 ||
        mb_fixture_ensure(b->dir, b->w, b->h, MB_FORMAT_JPEG, b->distinct, &b->paths, &err) != 0) {
        fprintf(stderr, "fixtures in %s: %s\n", b->dir, err.msg);
        return MB_EIMAGE;
    }
    b->data = mb_calloc((size_t)b->n, sizeof *b->data);
    b->lens = mb_calloc((size_t)b->n, sizeof *b->lens);
    for (int i = 0; i < b->distinct; i++) {
        b->data[i] = (unsigned char *)mb_read_file(b->paths[i], &b->lens[i], &err);
        if (b->data[i] == NULL) {
            fprintf(stderr, "%s\n", err.msg);
            return MB_EIMAGE;
        }
    }
    for (int i = b->distinct; i < b->n; i++) {
        b->data[i] = b->data[i % b->distinct];
        b->lens[i] = b->lens[i % b->distinct];
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench b;
    int rc = parse(argc, argv, &b);
    if (rc != 0 || (rc = load_images(&b)) != 0)
        return mb_exit_code(rc, NULL);
    host_run(&b, 0, b.threads < b.n ? b.threads : b.n, b.threads);  /* warm-up */
    double one = host_run(&b, 0, b.n < 16 ? b.n : 16, 1);
    int n_one = b.n < 16 ? b.n : 16;
    double many = host_run(&b, 0, b.n, b.threads);
    printf("%dx%d JPEG -> %dx%d, %d images (%d distinct)\n", b.w, b.h, b.side, b.side, b.n,
           b.distinct);
    printf("host, 1 thread:   %.2f ms per image\n", one / n_one);
    printf("host, %d threads: %.1f images/s\n", b.threads, b.n * 1000.0 / many);
    FILE *json = b.json ? fopen(b.json, "w") : NULL;
    if (json != NULL)
        fprintf(json, "{\"size\": \"%dx%d\", \"side\": %d, \"images\": %d, \"batch\": %d, "
                "\"threads\": %d, \"host_ms_per_image_1_thread\": %.3f, "
                "\"host_images_per_s\": %.2f",
                b.w, b.h, b.side, b.n, b.batch, b.threads, one / n_one, b.n * 1000.0 / many);
    mb_gpu_decoder *d = NULL;
    mb_err err;
    if (mb_gpu_decoder_new(MB_DEVICE_CUDA, 65536, &d, &err) != 0) {
        printf("gpu: not measured: %s\n", err.msg);
    } else {
        gpu_share g = {&b, d, 0, b.batch < b.n ? b.batch : b.n, 0, 0, 0, {0}};
        gpu_run(&g);   /* warm-up: nvJPEG's buffers, the allocator */
        g = (gpu_share){&b, d, 0, b.n, 0, 0, 0, {0}};
        gpu_run(&g);
        if (g.rc != 0) {
            printf("gpu: failed: %s\n", g.err.msg);
            rc = MB_EIMAGE;
        } else {
            printf("gpu (%s backend), batch %d: %.1f images/s, host time in the call %.2f ms "
                   "per image\n", mb_gpu_decoder_backend(d), b.batch, b.n * 1000.0 / g.wall_ms,
                   g.call_ms / b.n);
            /* Both at once: the GPU on the first half, the host threads on the rest. */
            gpu_share half = {&b, d, 0, b.n / 2, 0, 0, 0, {0}};
            pthread_t t;
            double t0 = mb_now_ms();
            pthread_create(&t, NULL, gpu_run, &half);
            host_run(&b, b.n / 2, b.n, b.threads > 1 ? b.threads - 1 : 1);
            pthread_join(t, NULL);
            double both = mb_now_ms() - t0;
            printf("both (gpu on %d, %d host threads on %d): %.1f images/s\n", b.n / 2,
                   b.threads > 1 ? b.threads - 1 : 1, b.n - b.n / 2, b.n * 1000.0 / both);
            if (json != NULL)
                fprintf(json, ", \"gpu_backend\": \"%s\", \"gpu_images_per_s\": %.2f, "
                        "\"gpu_host_ms_per_image\": %.3f, \"both_images_per_s\": %.2f",
                        mb_gpu_decoder_backend(d), b.n * 1000.0 / g.wall_ms, g.call_ms / b.n,
                        b.n * 1000.0 / both);
        }
        mb_gpu_decoder_free(d);
    }
    if (json != NULL) {
        fputs("}\n", json);
        fclose(json);
    }
    for (int i = 0; i < b.distinct; i++)
        free(b.data[i]);
    free(b.data);
    free(b.lens);
    mb_fixture_paths_free(b.paths, b.distinct);
    return mb_exit_code(rc, NULL);
}

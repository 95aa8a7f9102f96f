#include "pipeline.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode_split.h"
#include "env_policy.h"
#include "gpu_decode.h"
#include "handoff.h"
#include "host_memory.h"
#include "image.h"
#include "jpeg_info.h"
#include "mb_util.h"
#include "thread_pool.h"

/* Batches decoded ahead of the one the device needs next.  Two keep the pool
 * busy across batch boundaries (the stragglers of one batch overlap the
 * first images of the next); more only add host memory. */
enum { LOOKAHEAD = 2, N_SLOTS = LOOKAHEAD + 2 };

/* Larger batches run one stage after the other in a single buffer: they are
 * memory tests (the OOM frontier), and four buffers of them would move the
 * frontier that such a test looks for. */
#define MB_OVERLAP_MAX_BATCH_BYTES ((size_t)256 << 20)

/* A file larger than this is not read whole for nvJPEG (the host decoder,
 * which reads it too, reports it). */
#define MB_GPU_MAX_FILE_BYTES ((size_t)256 << 20)

typedef struct image_task {
    struct mb_batch_slot *slot;
    int index;
} image_task;

/* One batch on its way through the pipeline.  start_batch fills the first
 * part and queues one task per image; the tasks write their image into the
 * batch and their figures under mu; the device side waits on done. */
struct mb_batch_slot {
    const mb_job *job;
    size_t first;
    int n;
    int side;               /* host resize to side x side; 0 keeps the native size */
    bool busy;              /* tasks queued and not yet waited for */
    float *host;            /* NCHW batch, pinned on CUDA */
    size_t host_floats;
    mb_image *images;       /* native size: decoded images, assembled by the device side */
    image_task *tasks;
    int cap;                /* length of images and tasks */
    mb_latch done;
    pthread_mutex_t mu;
    double decode_ms, preprocess_ms;
    int err_index;          /* the first failing image wins, as in a sequential loop */
    int err_code;
    char *err_msg;
    int h, w;
    mb_torch_inflight *inflight;
    /* Decoding on the GPU: the tasks read each file into jpegs[i] (NULL for
     * a row they decoded on the host); the device side decodes them into
     * gpu_batch, which lives until the batch is collected. */
    bool gpu;
    bool split;             /* decode: auto, the host pool sharing the batch */
    double host_share;      /* of the JPEG rows nvJPEG could take, the host's */
    double pool_wait_ms;    /* the device side's wait for this batch's tasks */
    unsigned char **jpegs;
    size_t *lens;
    int gpu_rows;
    struct mb_gpu_batch *gpu_batch;
};

void mb_pipeline_init(mb_pipeline *p, mb_torch_model *model, mb_device device)
{
    memset(p, 0, sizeof *p);
    p->model = model;
    p->device = device;
    p->dim = mb_torch_model_dim(model);
    /* The seed service's knobs: empty the device cache every N batches. */
    p->cleanup_enabled = mb_env_truthy(getenv("GPU_MEMORY_CLEANUP_ENABLED"));
    long interval = 10;
    const char *text = getenv("GPU_MEMORY_CLEANUP_INTERVAL");
    if (text != NULL && (mb_parse_long(text, &interval) != 0 || interval < 1))
        interval = 10;
    p->cleanup_interval = (int)interval;
    /* The service's batch-size knob wins over the job's, as in the service. */
    long batch = 0;
    text = getenv("GPU_BATCH_SIZE");
    if (text != NULL && mb_parse_long(text, &batch) == 0 && batch > 0 && batch <= 65536)
        p->forced_batch_size = (int)batch;
    p->host_share = MB_SPLIT_START;
    /* torch_api.h: on the CPU and MPS submit runs the forward pass itself. */
    p->submit_queues = device == MB_DEVICE_CUDA;
    p->slots = mb_calloc(N_SLOTS, sizeof *p->slots);
    for (int i = 0; i < N_SLOTS; i++) {
        mb_latch_init(&p->slots[i].done);
        pthread_mutex_init(&p->slots[i].mu, NULL);
    }
}

/* The seed's figure: 67108914.49 GiB of "other allocations". */
#define GARBAGE_OTHER_ALLOCATIONS (67108914.49 * 1073741824.0)

static void format_size(double bytes, char *buf, size_t size)
{
    /* c10::format_size's units, powers of 1024 named KB/MB/GB. */
    if (bytes <= 1024)
        snprintf(buf, size, "%.0f bytes", bytes);
    else if (bytes <= 1048576.0)
        snprintf(buf, size, "%.2f KB", bytes / 1024.0);
    else if (bytes <= 1073741824.0)
        snprintf(buf, size, "%.2f MB", bytes / 1048576.0);
    else
        snprintf(buf, size, "%.2f GB", bytes / 1073741824.0);
}

/* MPSHeapAllocatorImpl's check, as the allocator makes it when the high
 * watermark ratio is not 0: allocated + other + requested must stay within
 * ratio x recommendedMaxWorkingSetSize.  The ratio comes from the
 * environment exactly as PyTorch reads it (default 1.7 on unified memory; a
 * value strtod cannot read counts as 0).  On a device without Metal the
 * device's total memory stands in for the recommended working set. */
static int emulated_mps_check(mb_pipeline *p, double request_bytes, mb_err *err)
{
    const char *text = getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    double ratio = text ? strtod(text, NULL) : 1.7;
    if (ratio == 0.0)
        return 0;
    mb_device_memory mem = {0};
    mb_torch_memory(p->device, &mem);
    double recommended = mem.recommended_max ? (double)mem.recommended_max
                                             : (double)mb_torch_device_total_memory(p->device);
    double allocated = p->device == MB_DEVICE_CPU ? (double)mb_host_current_rss()
                                                  : (double)mem.peak_allocated;
    double max_allowed = ratio * recommended;
    if (allocated + GARBAGE_OTHER_ALLOCATIONS + request_bytes <= max_allowed)
        return 0;
    char a[32], o[32], m[32], t[32];
    format_size(allocated, a, sizeof a);
    format_size(GARBAGE_OTHER_ALLOCATIONS, o, sizeof o);
    format_size(max_allowed, m, sizeof m);
    format_size(request_bytes, t, sizeof t);
    return mb_err_set(err, MB_EOOM,
                      "MPS backend out of memory (MPS allocated: %s, other allocations: %s, max "
                      "allowed: %s). Tried to allocate %s on private pool. Use "
                      "PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0 to disable upper limit for memory "
                      "allocations (may cause system failure). [emulated by mpsbench fault "
                      "injection]",
                      a, o, m, t);
}

/* Frees what a GPU batch holds: the files read and the decoded batch. */
static void slot_release_gpu(struct mb_batch_slot *s)
{
    for (int i = 0; s->jpegs != NULL && i < s->cap; i++) {
        free(s->jpegs[i]);
        s->jpegs[i] = NULL;
    }
    mb_gpu_batch_free(s->gpu_batch);
    s->gpu_batch = NULL;
}

void mb_pipeline_free(mb_pipeline *p)
{
    mb_pool_free(p->pool);
    p->pool = NULL;
    for (int i = 0; p->slots != NULL && i < N_SLOTS; i++) {
        struct mb_batch_slot *s = &p->slots[i];
        mb_torch_inflight_free(s->inflight);
        slot_release_gpu(s);
        free(s->jpegs);
        free(s->lens);
        mb_torch_host_free(s->host);
        free(s->images);
        free(s->tasks);
        free(s->err_msg);
        mb_latch_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
    }
    free(p->slots);
    p->slots = NULL;
    mb_gpu_decoder_free(p->gpu);
    p->gpu = NULL;
    free(p->gpu_unavailable);
    p->gpu_unavailable = NULL;
}

static void fail(mb_result *r, mb_job_status status, const char *msg)
{
    r->status = status;
    free(r->error);
    r->error = mb_strdup(msg);
}

/* Grows the slot's host buffer; the old contents need not survive. */
static int slot_host_buffer(mb_pipeline *p, struct mb_batch_slot *s, size_t floats)
{
    if (floats <= s->host_floats)
        return 0;
    mb_torch_host_free(s->host);
    s->host_floats = 0;
    s->host = mb_torch_host_alloc(p->device, floats * sizeof(float));
    if (s->host == NULL)
        return MB_EOOM;
    s->host_floats = floats;
    return 0;
}

static void slot_set_error(struct mb_batch_slot *s, int index, int code, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    if (index < s->err_index) {
        free(s->err_msg);
        s->err_msg = mb_strdup(msg);
        s->err_index = index;
        s->err_code = code;
    }
    pthread_mutex_unlock(&s->mu);
}

/* One image on the host: decode (data is the file already read, or NULL),
 * then either resize and normalize straight into its place in the batch, or
 * keep it for the device side to assemble.  *pre_ms: the time after decoding. */
static int host_image(struct mb_batch_slot *s, int index, const char *path,
                      const unsigned char *data, size_t len, double *pre_ms, mb_err *err)
{
    int side = s->side;
    mb_image img = {0};
    /* DCT-scaled decoding may shrink a large JPEG, but never below the size
     * the model will see. */
    int rc = data != NULL ? mb_image_decode_memory(data, len, path, side, side, &img, err)
                          : mb_image_decode_file(path, side, side, &img, err);
    double t1 = mb_now_ms();
    if (rc == 0 && side > 0) {
        mb_image sized = img;
        if (img.width != side || img.height != side) {
            rc = mb_image_resize(&img, side, side, &sized, err);
            mb_image_free(&img);
        }
        if (rc == 0) {
            mb_image_to_chw(&sized, s->host + (size_t)index * 3u * (size_t)side * (size_t)side);
            mb_image_free(&sized);
        }
        *pre_ms = mb_now_ms() - t1;
    } else if (rc == 0) {
        s->images[index] = img;
    }
    return rc;
}

/* One image for the GPU: read it, and keep it for nvJPEG when its frame
 * header says nvJPEG takes it and the row is not the host's share; else
 * (progressive, CMYK, grey, cut short, unreadable) decode it here. */
static int gpu_image(struct mb_batch_slot *s, int index, const char *path, double *pre_ms,
                     mb_err *err)
{
    size_t len = 0;
    unsigned char *data =
        (unsigned char *)mb_read_file_max(path, MB_GPU_MAX_FILE_BYTES, &len, NULL);
    if (data == NULL)
        return host_image(s, index, path, NULL, 0, pre_ms, err);
    mb_jpeg_info info;
    mb_err ignored;
    if (mb_jpeg_read_info(data, len, &info, &ignored) == 0 && mb_jpeg_gpu_decodable(&info) &&
        !(s->split && (mb_split_host_row(s->host_share, index) ||
                       mb_split_small_image(info.width, info.height, s->side)))) {
        s->jpegs[index] = data;
        s->lens[index] = len;
        return 0;
    }
    int rc = host_image(s, index, path, data, len, pre_ms, err);
    free(data);
    return rc;
}

static void image_task_run(void *arg)
{
    image_task *t = arg;
    struct mb_batch_slot *s = t->slot;
    const char *path = s->job->images[s->first + (size_t)t->index];
    mb_err err;
    double pre = 0;
    double t0 = mb_now_ms();
    int rc = s->gpu ? gpu_image(s, t->index, path, &pre, &err)
                    : host_image(s, t->index, path, NULL, 0, &pre, &err);
    double total = mb_now_ms() - t0;
    if (rc != 0)
        slot_set_error(s, t->index, rc, err.msg);
    pthread_mutex_lock(&s->mu);
    s->decode_ms += total - pre;
    s->preprocess_ms += pre;
    pthread_mutex_unlock(&s->mu);
    mb_latch_count_down(&s->done);
}

/* How a job runs: its batches, where they are decoded and whether they
 * overlap.  The same for a prefetched job as when it runs. */
typedef struct job_shape {
    int batch_size;
    mb_decode_mode decode;
    bool gpu;               /* nvJPEG decodes (some of) its batches */
    bool split;             /* auto: the host pool shares each batch */
    int side;               /* host resize side, 0 = native size */
    bool overlap;           /* batch buffers of their own, decoded ahead */
    int n_slots;
    size_t lookahead, n_batches;
    int resize_to;
} job_shape;

/* Queues the images of batch b on the pool (or runs them here when there is
 * no pool), as the job's shape says, with the current host/nvJPEG share. */
static void start_batch(mb_pipeline *p, const mb_job *job, const job_shape *js, size_t b,
                        struct mb_batch_slot *s)
{
    int batch_size = js->batch_size, side = js->side;
    s->job = job;
    s->first = b * (size_t)batch_size;
    size_t left = job->n_images - s->first;
    s->n = left < (size_t)batch_size ? (int)left : batch_size;
    s->side = side;
    s->decode_ms = s->preprocess_ms = 0;
    s->err_index = INT_MAX;
    s->err_code = 0;
    free(s->err_msg);
    s->err_msg = NULL;
    s->h = s->w = 0;
    if (s->n > s->cap) {
        slot_release_gpu(s);
        free(s->images);
        free(s->tasks);
        free(s->jpegs);
        free(s->lens);
        s->images = mb_calloc((size_t)s->n, sizeof *s->images);
        s->tasks = mb_calloc((size_t)s->n, sizeof *s->tasks);
        s->jpegs = mb_calloc((size_t)s->n, sizeof *s->jpegs);
        s->lens = mb_calloc((size_t)s->n, sizeof *s->lens);
        s->cap = s->n;
    }
    memset(s->images, 0, (size_t)s->n * sizeof *s->images);
    s->gpu = js->gpu;
    s->split = js->split;
    s->host_share = p->host_share;
    s->gpu_rows = 0;
    s->busy = true;
    if (side > 0 &&
        slot_host_buffer(p, s, (size_t)s->n * 3u * (size_t)side * (size_t)side) != 0) {
        char *msg = mb_asprintf("cannot allocate a host batch of %d images of %dx%d", s->n,
                                side, side);
        slot_set_error(s, 0, MB_EOOM, msg);
        free(msg);
        mb_latch_reset(&s->done, 0);
        return;
    }
    mb_latch_reset(&s->done, s->n);
    for (int i = 0; i < s->n; i++) {
        s->tasks[i] = (image_task){s, i};
        mb_pool_submit(p->pool, image_task_run, &s->tasks[i]);
    }
}

/* Waits for the batch's images and, at native size, assembles the batch:
 * native input and device resizing need images of one size, which this
 * checks in image order.  Adds the batch's CPU times to r; on failure fills
 * r's status and error. */
static int wait_batch(mb_pipeline *p, struct mb_batch_slot *s, mb_result *r)
{
    double wait_start = mb_now_ms();
    mb_latch_wait(&s->done);
    s->pool_wait_ms = mb_now_ms() - wait_start;
    s->busy = false;
    r->decode_ms += s->decode_ms;
    r->preprocess_ms += s->preprocess_ms;
    int rc = 0;
    if (s->side > 0) {
        s->h = s->w = s->side;
        for (int i = 0; s->gpu && i < s->n; i++)
            s->gpu_rows += s->jpegs[i] != NULL;
    } else {
        double t0 = mb_now_ms();
        for (int i = 0; i < s->n && rc == 0; i++) {
            const mb_image *img = &s->images[i];
            if (img->rgb == NULL)
                break;
            if (i == 0) {
                s->h = img->height;
                s->w = img->width;
                if (slot_host_buffer(p, s, (size_t)s->n * 3u * (size_t)s->h * (size_t)s->w) != 0) {
                    char *msg = mb_asprintf("cannot allocate a host batch of %d images of %dx%d",
                                            s->n, s->w, s->h);
                    fail(r, MB_JOB_OOM, msg);
                    free(msg);
                    rc = MB_EOOM;
                }
            } else if (img->height != s->h || img->width != s->w) {
                char *msg = mb_asprintf("%s: image is %dx%d but its batch is %dx%d; native input "
                                        "and device resizing need images of one size",
                                        s->job->images[s->first + (size_t)i], img->width,
                                        img->height, s->w, s->h);
                fail(r, MB_JOB_ERROR, msg);
                free(msg);
                rc = MB_EIMAGE;
            }
            if (rc == 0)
                mb_image_to_chw(img, s->host + (size_t)i * 3u * (size_t)s->h * (size_t)s->w);
        }
        r->preprocess_ms += mb_now_ms() - t0;
        for (int i = 0; i < s->n; i++)
            mb_image_free(&s->images[i]);
    }
    if (rc == 0 && s->err_msg != NULL) {
        fail(r, s->err_code == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, s->err_msg);
        rc = s->err_code;
    }
    return rc;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* What the device side accumulates over a job. */
typedef struct job_totals {
    float *emb;             /* one batch of embeddings */
    double checksum;
} job_totals;

/* A row with NaN or infinity fails the job, naming its image and where it
 * was decoded (before the slot lets go of its JPEGs, which say so): a model
 * that overflows gives every row, a decoding fault one image.  The fault
 * injection poisons one image's row first, to test exactly this. */
static int check_finite_rows(const mb_pipeline *p, const struct mb_batch_slot *s, float *emb,
                             mb_result *r)
{
    size_t dim = (size_t)p->dim;
    size_t poisoned = (size_t)s->job->fault_nan_image;
    if (poisoned > s->first && poisoned <= s->first + (size_t)s->n)
        emb[(poisoned - 1 - s->first) * dim] = NAN;
    int first_bad = -1, bad = 0;
    for (int i = 0; i < s->n; i++) {
        const float *row = emb + (size_t)i * dim;
        size_t k = 0;
        while (k < dim && isfinite(row[k]))
            k++;
        if (k == dim)
            continue;
        if (bad++ == 0)
            first_bad = i;
    }
    if (bad > 0) {
        bool by_nvjpeg = s->gpu_batch != NULL && s->jpegs[first_bad] != NULL;
        char *msg = mb_asprintf("%s: the model produced non-finite embedding values (NaN or "
                                "infinity) for this image (decoded %s); %d of the %d images of "
                                "its batch (images %zu to %zu of the job) gave such values",
                                s->job->images[s->first + (size_t)first_bad],
                                by_nvjpeg ? "by nvJPEG" : "on the host", bad, s->n,
                                s->first + 1, s->first + (size_t)s->n);
        fail(r, MB_JOB_ERROR, msg);
        free(msg);
        return MB_ETORCH;
    }
    return 0;
}

/* Waits for a submitted batch and folds it into the result. */
static int collect_batch(mb_pipeline *p, struct mb_batch_slot *s, job_totals *tot, mb_result *r)
{
    mb_embed_timing t = {0};
    mb_err err;
    int rc = mb_torch_model_collect(p->model, s->inflight, tot->emb, &t, &err);
    s->inflight = NULL;
    r->transfer_ms += t.transfer_ms;
    r->forward_ms += t.forward_ms;
    if (rc != 0) {
        slot_release_gpu(s);
        fail(r, rc == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, err.msg);
        /* Free what the failed batch left cached so the next job starts clean. */
        mb_torch_empty_cache(p->device);
        return rc;
    }
    rc = check_finite_rows(p, s, tot->emb, r);
    slot_release_gpu(s);
    if (rc != 0)
        return rc;
    /* The checksum weights by position in the whole job, not the batch, so
     * it is the same at every batch size. */
    size_t floats = (size_t)s->n * (size_t)p->dim;
    tot->checksum += mb_embedding_checksum(tot->emb, floats, s->first * (size_t)p->dim);
    if (r->embeddings != NULL)
        memcpy(r->embeddings + s->first * (size_t)p->dim, tot->emb, floats * sizeof(float));
    r->images += s->n;
    r->batches++;
    if (p->cleanup_enabled && ++p->batches_since_cleanup >= p->cleanup_interval) {
        mb_torch_empty_cache(p->device);
        p->batches_since_cleanup = 0;
    }
    return 0;
}

/* A batch nvJPEG refused: its JPEG rows decoded here on the host instead,
 * so that a corrupt image fails the job with the host decoder's reason. */
static int host_fallback(struct mb_batch_slot *s, mb_result *r, mb_err *err)
{
    double t0 = mb_now_ms();
    double pre = 0;
    int rc = 0;
    for (int i = 0; i < s->n && rc == 0; i++) {
        if (s->jpegs[i] == NULL)
            continue;
        double one = 0;
        rc = host_image(s, i, s->job->images[s->first + (size_t)i], s->jpegs[i], s->lens[i], &one,
                        err);
        pre += one;
    }
    r->decode_ms += mb_now_ms() - t0 - pre;
    r->preprocess_ms += pre;
    s->gpu_rows = 0;
    return rc;
}

/* Queues the batch's device work: nvJPEG and the forward pass on the GPU, or
 * the host batch's copy and the forward pass.  decode_ms gets the host time
 * of the batched nvJPEG call (the engines' time is not on the host). */
static int submit_batch(mb_pipeline *p, struct mb_batch_slot *s, int resize_to, mb_result *r,
                        mb_err *err)
{
    if (s->gpu && s->gpu_rows > 0) {
        double t0 = mb_now_ms();
        int rc = mb_gpu_decode_batch(p->gpu, (const unsigned char *const *)s->jpegs, s->lens,
                                     s->host, s->n, s->side, &s->gpu_batch, err);
        r->decode_ms += mb_now_ms() - t0;
        if (rc == 0) {
            r->gpu_images += s->gpu_rows;
            return mb_torch_model_submit_device(p->model, mb_gpu_batch_data(s->gpu_batch), s->n,
                                                s->side, s->side, &s->inflight, err);
        }
        if (rc != MB_EIMAGE || (rc = host_fallback(s, r, err)) != 0)
            return rc;
    }
    return mb_torch_model_submit(p->model, s->host, s->n, s->h, s->w, resize_to, &s->inflight,
                                 err);
}

/* Where this job's images are decoded: the job's decode mode against what
 * the worker has.  The GPU decodes into the model's input size, so native
 * input stays on the host.  MB_EINVAL with the reason for a `gpu` job the
 * worker cannot serve. */
static int resolve_decode(mb_pipeline *p, const mb_job *job, mb_decode_mode *out, mb_err *err)
{
    *out = MB_DECODE_HOST;
    if (job->decode == MB_DECODE_HOST)
        return 0;
    bool want_gpu = job->decode == MB_DECODE_GPU;
    if (job->input_size <= 0) {
        if (want_gpu)
            return mb_err_set(err, MB_EINVAL, "decode: gpu needs an input_size (native-size "
                              "input is decoded on the host)");
        return 0;
    }
    if (p->gpu == NULL && p->gpu_unavailable == NULL) {
        mb_err why;
        if (mb_gpu_decoder_new(p->device, 65536, &p->gpu, &why) != 0)
            p->gpu_unavailable = mb_strdup(why.msg);
    }
    if (p->gpu == NULL) {
        if (want_gpu)
            return mb_err_set(err, MB_EINVAL, "decode: gpu: %s", p->gpu_unavailable);
        return 0;
    }
    *out = MB_DECODE_GPU;
    return 0;
}

static int job_shape_of(mb_pipeline *p, const mb_job *job, job_shape *js, mb_err *err)
{
    js->batch_size = p->forced_batch_size ? p->forced_batch_size : job->batch_size;
    if (resolve_decode(p, job, &js->decode, err) != 0)
        return MB_EINVAL;
    js->gpu = js->decode == MB_DECODE_GPU;
    /* auto shares the batches with the host pool; gpu is nvJPEG alone. */
    js->split = js->gpu && job->decode == MB_DECODE_AUTO;
    /* nvJPEG's batches come out at the model's size, whatever resize_on says. */
    js->side = job->input_size > 0 && (!job->resize_on_device || js->gpu) ? job->input_size : 0;
    js->overlap = js->side > 0 && (size_t)js->batch_size * 3u * (size_t)js->side *
                                          (size_t)js->side * sizeof(float) <=
                                      MB_OVERLAP_MAX_BATCH_BYTES;
    js->n_slots = js->overlap ? N_SLOTS : 1;
    js->lookahead = js->overlap ? LOOKAHEAD : 0;
    js->n_batches = (job->n_images + (size_t)js->batch_size - 1) / (size_t)js->batch_size;
    js->resize_to = job->resize_on_device && js->side == 0 ? job->input_size : 0;
    return 0;
}

/* Batch b of a job whose batches start at slot `base`: a prefetched job
 * starts after the slot of the batch still on the device. */
static struct mb_batch_slot *slot_of(mb_pipeline *p, const job_shape *js, int base, size_t b)
{
    return &p->slots[js->overlap ? ((size_t)base + b) % N_SLOTS : 0];
}

/* Batches decoded ahead of a failure still hold tasks on the pool, which
 * write into the slots and read the job: waits for them and frees what they
 * made.  Only the job's own: a prefetched job's slots stay queued. */
static void drain_slots(mb_pipeline *p, const mb_job *job)
{
    for (int i = 0; i < N_SLOTS; i++) {
        struct mb_batch_slot *s = &p->slots[i];
        if (!s->busy || s->job != job)
            continue;
        mb_latch_wait(&s->done);
        s->busy = false;
        for (int j = 0; j < s->n; j++)
            mb_image_free(&s->images[j]);
        slot_release_gpu(s);
    }
}

bool mb_pipeline_prefetch(mb_pipeline *p, const mb_job *next)
{
    job_shape js;
    mb_err ignored;
    if (p->prefetched != NULL || p->pool == NULL || job_shape_of(p, next, &js, &ignored) != 0 ||
        !js.overlap)
        return false;
    /* The batches the job's own loop would start first: as many as there
     * are free slots, the one on the device excepted. */
    size_t n = js.n_batches < js.lookahead + 1 ? js.n_batches : js.lookahead + 1;
    for (size_t b = 0; b < n; b++)
        start_batch(p, next, &js, b, slot_of(p, &js, p->next_slot_base, b));
    p->prefetched = next;
    p->prefetched_started = n;
    return true;
}

void mb_pipeline_forget(mb_pipeline *p)
{
    if (p->prefetched != NULL)
        drain_slots(p, p->prefetched);
    p->prefetched = NULL;
    p->prefetched_started = 0;
}

/* The job's first batch, before the wait for its images: whether they are
 * decoded, and so where the previous job's result goes out (handoff.h).
 * Returns true when it goes behind the submit; else it has gone now. */
static bool first_batch_handoff(mb_pipeline *p, struct mb_batch_slot *s, double start,
                                mb_result *r)
{
    r->gap_setup_ms = mb_now_ms() - start;
    r->first_batch_ready = mb_latch_done(&s->done);
    mb_sent when = mb_handoff_moment(r->first_batch_ready, p->submit_queues);
    if (when == MB_SENT_BEFORE_NEXT_WAIT && p->on_handoff != NULL)
        p->on_handoff(p->tail_ctx, when);
    return when == MB_SENT_BEHIND_NEXT_SUBMIT;
}

/* The job's end: the tail stage of the gap before the next one starts at
 * tail_start, after its last batch came back. */
static void finish_job(mb_pipeline *p, const mb_job *job, double start, double tail_start,
                       job_totals *tot, mb_result *r)
{
    drain_slots(p, job);
    free(tot->emb);
    r->checksum = tot->checksum;
    mb_device_memory mem = {0};
    mb_torch_memory(p->device, &mem);
    r->peak_allocated_bytes = mem.peak_allocated;
    r->peak_reserved_bytes = mem.peak_reserved;
    r->peak_rss_bytes = mb_host_peak_rss();
    if (job->fault_slowdown > 0)
        sleep_ms((mb_now_ms() - start) * job->fault_slowdown);
    double end = mb_now_ms();
    r->wall_ms = end - start;
    r->gap_tail_ms = end - tail_start;  /* the worker moves it to the next job's gap */
}

void mb_pipeline_run(mb_pipeline *p, const mb_job *job, mb_result *r)
{
    double start = mb_now_ms();
    r->status = MB_JOB_OK;
    r->embedding_dim = p->dim;
    /* A job prefetched for another that never ran (cannot happen through the
     * worker) must not keep tasks on slots this job reuses. */
    if (p->prefetched != NULL && p->prefetched != job)
        mb_pipeline_forget(p);
    size_t started = p->prefetched == job ? p->prefetched_started : 0;
    int base = p->prefetched == job ? p->next_slot_base : 0;
    r->prefetched = p->prefetched == job;
    p->prefetched = NULL;
    mb_host_reset_peak_rss();
    mb_torch_memory_reset_peak(p->device);
    if (p->pool == NULL)
        p->pool = mb_pool_new(p->decode_threads > 0 ? p->decode_threads : mb_cpu_count());
    job_shape js;
    mb_err derr;
    if (job_shape_of(p, job, &js, &derr) != 0) {
        fail(r, MB_JOB_ERROR, derr.msg);
        r->wall_ms = mb_now_ms() - start;
        return;
    }
    r->batch_size = js.batch_size;
    r->decode = js.decode;
    job_totals tot = {.emb = mb_calloc((size_t)js.batch_size * (size_t)p->dim, sizeof(float))};
    if (job->return_embeddings) {
        r->n_embeddings = job->n_images * (size_t)p->dim;
        r->embeddings = mb_calloc(r->n_embeddings, sizeof(float));
    }
    /* The batch whose device work is queued but not collected. */
    struct mb_batch_slot *pending = NULL;
    bool handoff_behind = false;
    for (size_t k = 0; k < js.n_batches; k++) {
        while (started < js.n_batches && started <= k + js.lookahead) {
            start_batch(p, job, &js, started, slot_of(p, &js, base, started));
            started++;
        }
        struct mb_batch_slot *s = slot_of(p, &js, base, k);
        if (k == 0)
            handoff_behind = first_batch_handoff(p, s, start, r);
        int rc = wait_batch(p, s, r);
        if (k == 0)
            r->gap_first_batch_ms = s->pool_wait_ms;
        mb_err err;
        bool device_failed = false;
        if (rc == 0 && p->emulate_mps_accounting) {
            rc = emulated_mps_check(p, 4.0 * 3.0 * s->n * s->h * s->w, &err);
            device_failed = rc != 0;
        }
        double device_t0 = mb_now_ms();
        if (rc == 0) {
            rc = submit_batch(p, s, js.resize_to, r, &err);
            device_failed = rc != 0;
            if (rc == 0 && k == 0 && handoff_behind && p->on_handoff != NULL)
                p->on_handoff(p->tail_ctx, MB_SENT_BEHIND_NEXT_SUBMIT);
        }
        /* The batch before this one comes first in the job, and its result
         * first in the checksum, whatever happened to this one. */
        int prev_rc = 0;
        if (pending != NULL) {
            prev_rc = collect_batch(p, pending, &tot, r);
            pending = NULL;
        }
        if (js.split && rc == 0)
            p->host_share = mb_split_next(p->host_share, s->pool_wait_ms,
                                          mb_now_ms() - device_t0);
        if (device_failed && prev_rc == 0) {
            fail(r, rc == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, err.msg);
            mb_torch_empty_cache(p->device);
        }
        if (rc != 0 || prev_rc != 0) {
            mb_torch_inflight_free(s->inflight);
            s->inflight = NULL;
            slot_release_gpu(s);
            break;
        }
        if (js.overlap) {
            pending = s;
        } else if (collect_batch(p, s, &tot, r) != 0) {
            break;
        }
    }
    if (pending != NULL && p->on_tail != NULL) {
        /* The last batch is on the device: the next job may start decoding
         * in the slots after it (batches 0..n-2 are collected). */
        p->next_slot_base = (int)(((size_t)base + js.n_batches) % N_SLOTS);
        p->on_tail(p->tail_ctx);
    }
    if (pending != NULL)
        collect_batch(p, pending, &tot, r);
    finish_job(p, job, start, mb_now_ms(), &tot, r);
}

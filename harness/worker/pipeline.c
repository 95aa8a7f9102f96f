#include "pipeline.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env_policy.h"
#include "host_memory.h"
#include "image.h"
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

void mb_pipeline_free(mb_pipeline *p)
{
    mb_pool_free(p->pool);
    p->pool = NULL;
    for (int i = 0; p->slots != NULL && i < N_SLOTS; i++) {
        struct mb_batch_slot *s = &p->slots[i];
        mb_torch_inflight_free(s->inflight);
        mb_torch_host_free(s->host);
        free(s->images);
        free(s->tasks);
        free(s->err_msg);
        mb_latch_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
    }
    free(p->slots);
    p->slots = NULL;
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

/* One image: decode, then either resize and normalize straight into its
 * place in the batch, or keep it for the device side to assemble. */
static void image_task_run(void *arg)
{
    image_task *t = arg;
    struct mb_batch_slot *s = t->slot;
    const char *path = s->job->images[s->first + (size_t)t->index];
    int side = s->side;
    mb_err err;
    mb_image img = {0};
    double t0 = mb_now_ms();
    /* DCT-scaled decoding may shrink a large JPEG, but never below the size
     * the model will see. */
    int rc = mb_image_decode_file(path, side, side, &img, &err);
    double t1 = mb_now_ms();
    double pre = 0;
    if (rc == 0 && side > 0) {
        mb_image sized = img;
        if (img.width != side || img.height != side) {
            rc = mb_image_resize(&img, side, side, &sized, &err);
            mb_image_free(&img);
        }
        if (rc == 0) {
            mb_image_to_chw(&sized, s->host + (size_t)t->index * 3u * (size_t)side * (size_t)side);
            mb_image_free(&sized);
        }
        pre = mb_now_ms() - t1;
    } else if (rc == 0) {
        s->images[t->index] = img;
    }
    if (rc != 0)
        slot_set_error(s, t->index, rc, err.msg);
    pthread_mutex_lock(&s->mu);
    s->decode_ms += t1 - t0;
    s->preprocess_ms += pre;
    pthread_mutex_unlock(&s->mu);
    mb_latch_count_down(&s->done);
}

/* Queues the images of batch b on the pool (or runs them here when there is
 * no pool). */
static void start_batch(mb_pipeline *p, const mb_job *job, int batch_size, size_t b, int side,
                        struct mb_batch_slot *s)
{
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
        free(s->images);
        free(s->tasks);
        s->images = mb_calloc((size_t)s->n, sizeof *s->images);
        s->tasks = mb_calloc((size_t)s->n, sizeof *s->tasks);
        s->cap = s->n;
    }
    memset(s->images, 0, (size_t)s->n * sizeof *s->images);
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
    mb_latch_wait(&s->done);
    s->busy = false;
    r->decode_ms += s->decode_ms;
    r->preprocess_ms += s->preprocess_ms;
    int rc = 0;
    if (s->side > 0) {
        s->h = s->w = s->side;
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
        fail(r, rc == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, err.msg);
        /* Free what the failed batch left cached so the next job starts clean. */
        mb_torch_empty_cache(p->device);
        return rc;
    }
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

void mb_pipeline_run(mb_pipeline *p, const mb_job *job, mb_result *r)
{
    double start = mb_now_ms();
    r->status = MB_JOB_OK;
    r->embedding_dim = p->dim;
    int batch_size = p->forced_batch_size ? p->forced_batch_size : job->batch_size;
    r->batch_size = batch_size;
    mb_host_reset_peak_rss();
    mb_torch_memory_reset_peak(p->device);
    if (p->pool == NULL)
        p->pool = mb_pool_new(p->decode_threads > 0 ? p->decode_threads : mb_cpu_count());
    job_totals tot = {.emb = mb_calloc((size_t)batch_size * (size_t)p->dim, sizeof(float))};
    if (job->return_embeddings) {
        r->n_embeddings = job->n_images * (size_t)p->dim;
        r->embeddings = mb_calloc(r->n_embeddings, sizeof(float));
    }
    int side = job->input_size > 0 && !job->resize_on_device ? job->input_size : 0;
    bool overlap = side > 0 && (size_t)batch_size * 3u * (size_t)side * (size_t)side *
                                       sizeof(float) <= MB_OVERLAP_MAX_BATCH_BYTES;
    int n_slots = overlap ? N_SLOTS : 1;
    size_t lookahead = overlap ? LOOKAHEAD : 0;
    size_t n_batches = (job->n_images + (size_t)batch_size - 1) / (size_t)batch_size;
    int resize_to = job->resize_on_device ? job->input_size : 0;
    size_t started = 0;
    /* The batch whose device work is queued but not collected. */
    struct mb_batch_slot *pending = NULL;
    for (size_t k = 0; k < n_batches; k++) {
        while (started < n_batches && started <= k + lookahead) {
            start_batch(p, job, batch_size, started, side, &p->slots[started % (size_t)n_slots]);
            started++;
        }
        struct mb_batch_slot *s = &p->slots[k % (size_t)n_slots];
        int rc = wait_batch(p, s, r);
        mb_err err;
        bool device_failed = false;
        if (rc == 0 && p->emulate_mps_accounting) {
            rc = emulated_mps_check(p, 4.0 * 3.0 * s->n * s->h * s->w, &err);
            device_failed = rc != 0;
        }
        if (rc == 0) {
            rc = mb_torch_model_submit(p->model, s->host, s->n, s->h, s->w, resize_to,
                                       &s->inflight, &err);
            device_failed = rc != 0;
        }
        /* The batch before this one comes first in the job, and its result
         * first in the checksum, whatever happened to this one. */
        int prev_rc = 0;
        if (pending != NULL) {
            prev_rc = collect_batch(p, pending, &tot, r);
            pending = NULL;
        }
        if (device_failed && prev_rc == 0) {
            fail(r, rc == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, err.msg);
            mb_torch_empty_cache(p->device);
        }
        if (rc != 0 || prev_rc != 0) {
            mb_torch_inflight_free(s->inflight);
            s->inflight = NULL;
            break;
        }
        if (overlap) {
            pending = s;
        } else if (collect_batch(p, s, &tot, r) != 0) {
            break;
        }
    }
    if (pending != NULL)
        collect_batch(p, pending, &tot, r);
    /* Batches decoded ahead of a failure still hold tasks on the pool, which
     * write into the slots and read the job: wait for them. */
    for (int i = 0; i < n_slots; i++) {
        struct mb_batch_slot *s = &p->slots[i];
        if (!s->busy)
            continue;
        mb_latch_wait(&s->done);
        s->busy = false;
        for (int j = 0; j < s->n; j++)
            mb_image_free(&s->images[j]);
    }
    free(tot.emb);
    r->checksum = tot.checksum;
    mb_device_memory mem = {0};
    mb_torch_memory(p->device, &mem);
    r->peak_allocated_bytes = mem.peak_allocated;
    r->peak_reserved_bytes = mem.peak_reserved;
    r->peak_rss_bytes = mb_host_peak_rss();
    if (job->fault_slowdown > 0)
        sleep_ms((mb_now_ms() - start) * job->fault_slowdown);
    r->wall_ms = mb_now_ms() - start;
}

#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env_policy.h"
#include "host_memory.h"
#include "image.h"
#include "mb_util.h"

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
    free(p->batch);
    p->batch = NULL;
}

static float *batch_buffer(mb_pipeline *p, size_t floats)
{
    if (floats > p->batch_floats) {
        free(p->batch);
        p->batch = mb_calloc(floats, sizeof(float));
        p->batch_floats = floats;
    }
    return p->batch;
}

static void fail(mb_result *r, mb_job_status status, const char *msg)
{
    r->status = status;
    free(r->error);
    r->error = mb_strdup(msg);
}

/* Decodes and preprocesses images [first, first+n) of the job into the batch
 * buffer.  Host resizing makes every image side x side; native input and
 * device resizing need images of one size, which this checks. */
static int load_batch(mb_pipeline *p, const mb_job *job, size_t first, int n, int *h_out,
                      int *w_out, mb_result *r)
{
    int side = job->input_size;
    bool host_resize = side > 0 && !job->resize_on_device;
    int h = 0, w = 0;
    float *buf = NULL;
    for (int i = 0; i < n; i++) {
        const char *path = job->images[first + (size_t)i];
        mb_err err;
        mb_image img = {0};
        double t0 = mb_now_ms();
        /* DCT-scaled decoding may shrink a large JPEG, but never below the
         * size the model will see. */
        int min_side = host_resize ? side : 0;
        int rc = mb_image_decode_file(path, min_side, min_side, &img, &err);
        double t1 = mb_now_ms();
        r->decode_ms += t1 - t0;
        if (rc != 0) {
            fail(r, MB_JOB_ERROR, err.msg);
            return rc;
        }
        mb_image sized = img;
        if (host_resize && (img.width != side || img.height != side)) {
            rc = mb_image_resize(&img, side, side, &sized, &err);
            mb_image_free(&img);
            if (rc != 0) {
                fail(r, MB_JOB_ERROR, err.msg);
                return rc;
            }
        }
        if (i == 0) {
            h = sized.height;
            w = sized.width;
            buf = batch_buffer(p, (size_t)n * 3u * (size_t)h * (size_t)w);
        } else if (sized.height != h || sized.width != w) {
            char *msg = mb_asprintf("%s: image is %dx%d but its batch is %dx%d; native input and "
                                    "device resizing need images of one size",
                                    path, sized.width, sized.height, w, h);
            fail(r, MB_JOB_ERROR, msg);
            free(msg);
            mb_image_free(&sized);
            return MB_EIMAGE;
        }
        mb_image_to_chw(&sized, buf + (size_t)i * 3u * (size_t)h * (size_t)w);
        mb_image_free(&sized);
        r->preprocess_ms += mb_now_ms() - t1;
    }
    *h_out = h;
    *w_out = w;
    return 0;
}

static void sleep_ms(double ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0)
        ;
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
    float *emb = mb_calloc((size_t)batch_size * (size_t)p->dim, sizeof(float));
    if (job->return_embeddings) {
        r->n_embeddings = job->n_images * (size_t)p->dim;
        r->embeddings = mb_calloc(r->n_embeddings, sizeof(float));
    }
    double checksum = 0;
    for (size_t first = 0; first < job->n_images; first += (size_t)batch_size) {
        size_t left = job->n_images - first;
        int n = left < (size_t)batch_size ? (int)left : batch_size;
        int h, w;
        if (load_batch(p, job, first, n, &h, &w, r) != 0)
            break;
        mb_embed_timing t = {0};
        mb_err err;
        int resize_to = job->resize_on_device ? job->input_size : 0;
        int rc = 0;
        if (p->emulate_mps_accounting)
            rc = emulated_mps_check(p, 4.0 * 3.0 * n * h * w, &err);
        if (rc == 0)
            rc = mb_torch_model_embed(p->model, p->batch, n, h, w, resize_to, emb, &t, &err);
        r->transfer_ms += t.transfer_ms;
        r->forward_ms += t.forward_ms;
        if (rc != 0) {
            fail(r, rc == MB_EOOM ? MB_JOB_OOM : MB_JOB_ERROR, err.msg);
            /* Free what the failed batch left cached so the next job starts clean. */
            mb_torch_empty_cache(p->device);
            break;
        }
        /* The checksum weights by position in the whole job, not the batch,
         * so it is the same at every batch size. */
        checksum += mb_embedding_checksum(emb, (size_t)n * (size_t)p->dim, first * (size_t)p->dim);
        if (r->embeddings != NULL)
            memcpy(r->embeddings + first * (size_t)p->dim, emb,
                   (size_t)n * (size_t)p->dim * sizeof(float));
        r->images += n;
        r->batches++;
        if (p->cleanup_enabled && ++p->batches_since_cleanup >= p->cleanup_interval) {
            mb_torch_empty_cache(p->device);
            p->batches_since_cleanup = 0;
        }
    }
    free(emb);
    r->checksum = checksum;
    mb_device_memory mem = {0};
    mb_torch_memory(p->device, &mem);
    r->peak_allocated_bytes = mem.peak_allocated;
    r->peak_reserved_bytes = mem.peak_reserved;
    r->peak_rss_bytes = mb_host_peak_rss();
    if (job->fault_slowdown > 0)
        sleep_ms((mb_now_ms() - start) * job->fault_slowdown);
    r->wall_ms = mb_now_ms() - start;
}

/* One job through the embedding pipeline: decode -> preprocess -> batch ->
 * forward on the device -> L2 normalize, with per-stage times, memory and
 * a checksum.  A failing job is a result with a status, never a crash.
 *
 * The images of a batch are decoded and preprocessed on a thread pool, up to
 * two batches ahead of the device, into pinned host buffers; the device side
 * submits batch k and only then collects batch k-1, so that on CUDA the copy
 * of one batch overlaps the forward pass of the one before.  Every image is
 * preprocessed by the same code into its own place in the batch, so the
 * embeddings are the same, bit for bit, as when the stages run one after
 * the other.
 *
 * With `decode: gpu` (or auto where the worker has nvJPEG on CUDA) the pool
 * only reads the files and checks their frame headers; the device side
 * decodes the batch with nvJPEG into the model's input on the GPU
 * (gpu_decode.h).  Images nvJPEG does not take are decoded on the pool as
 * usual and copied into their rows; a batch nvJPEG refuses is decoded on
 * the host, where a corrupt image fails the job with the host's reason. */
#ifndef MB_PIPELINE_H
#define MB_PIPELINE_H

#include "protocol.h"
#include "torch_api.h"

struct mb_pool;
struct mb_batch_slot;
struct mb_gpu_decoder;

typedef struct mb_pipeline {
    mb_torch_model *model;
    mb_device device;
    int dim;
    int decode_threads;     /* decoding threads; 0 = one per core (set before the first job) */
    struct mb_pool *pool;   /* started by the first job */
    struct mb_batch_slot *slots;  /* batch buffers, reused from job to job */
    bool cleanup_enabled;   /* GPU_MEMORY_CLEANUP_ENABLED */
    int cleanup_interval;   /* GPU_MEMORY_CLEANUP_INTERVAL, in batches */
    long batches_since_cleanup;
    int forced_batch_size;  /* GPU_BATCH_SIZE, 0 = use the job's */
    /* Fault injection: run the MPS allocator's watermark check before every
     * forward pass, with the seed's garbage "other allocations" figure. */
    bool emulate_mps_accounting;
    /* nvJPEG, started by the first job that decodes on the GPU; once a start
     * fails, why (and `decode: auto` means the host from then on). */
    struct mb_gpu_decoder *gpu;
    char *gpu_unavailable;
    /* `decode: auto` on the GPU: the share of each batch the pool decodes on
     * the host meanwhile, tuned batch by batch (decode_split.h). */
    double host_share;
    /* Overlap between jobs (issue 18): once a job's last batch is on the
     * device, before the pipeline waits for it, on_tail(tail_ctx) may take
     * the next job and hand it to mb_pipeline_prefetch, which queues its
     * first batches on the pool in slots the running job no longer uses, so
     * the next job's first forward does not wait for its decoding. */
    void (*on_tail)(void *ctx);
    /* Once per job, where the worker sends the previous job's result
     * (handoff.h): before the wait for the first batch
     * (MB_SENT_BEFORE_NEXT_WAIT), or right after that batch's submit
     * (MB_SENT_BEHIND_NEXT_SUBMIT). */
    void (*on_handoff)(void *ctx, mb_sent when);
    void *tail_ctx;         /* both hooks' argument */
    bool submit_queues;     /* submit returns once the work is queued (CUDA) */
    const mb_job *prefetched;   /* the job whose first batches are queued */
    size_t prefetched_started;  /* how many */
    int next_slot_base;         /* where the next job's batches start in slots */
} mb_pipeline;

void mb_pipeline_init(mb_pipeline *p, mb_torch_model *model, mb_device device);
void mb_pipeline_free(mb_pipeline *p);
/* Runs the job and fills r (status, times, memory, checksum, the gap's
 * tail, setup, first_batch stages and first_batch_ready).  A job given to mb_pipeline_prefetch
 * must be the next one run (or given to mb_pipeline_forget), and must live
 * until then. */
void mb_pipeline_run(mb_pipeline *p, const mb_job *job, mb_result *r);
/* From on_tail only: queues the first batches of the next job.  False when
 * the job does not overlap (no batch buffers of its own size, a decode
 * mode the worker cannot serve): it then runs from the start as usual. */
bool mb_pipeline_prefetch(mb_pipeline *p, const mb_job *next);
/* Waits for and drops the prefetched job's batches (a worker that stops
 * before running it). */
void mb_pipeline_forget(mb_pipeline *p);

#endif

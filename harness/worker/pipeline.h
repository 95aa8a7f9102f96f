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
 * the other. */
#ifndef MB_PIPELINE_H
#define MB_PIPELINE_H

#include "protocol.h"
#include "torch_api.h"

struct mb_pool;
struct mb_batch_slot;

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
} mb_pipeline;

void mb_pipeline_init(mb_pipeline *p, mb_torch_model *model, mb_device device);
void mb_pipeline_free(mb_pipeline *p);
/* Runs the job and fills r (status, times, memory, checksum...). */
void mb_pipeline_run(mb_pipeline *p, const mb_job *job, mb_result *r);

#endif

/* One job through the embedding pipeline: decode -> preprocess -> batch ->
 * forward on the device -> L2 normalize, with per-stage times, memory and
 * a checksum.  A failing job is a result with a status, never a crash. */
#ifndef MB_PIPELINE_H
#define MB_PIPELINE_H

#include "protocol.h"
#include "torch_api.h"

typedef struct mb_pipeline {
    mb_torch_model *model;
    mb_device device;
    int dim;
    float *batch;           /* reusable host buffer for one batch, NCHW */
    size_t batch_floats;
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

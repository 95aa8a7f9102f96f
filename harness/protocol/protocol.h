/* Job and result messages, as JSON documents carried in Redis stream
 * entries.  harness/queue/PROTOCOL.md is the normative description; this
 * codec is its C implementation.  Decoding never trusts its input: every
 * field is type-checked and bounded, and a bad message is MB_EPROTO. */
#ifndef MB_PROTOCOL_H
#define MB_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mb_error.h"

#define MB_PROTOCOL_VERSION 1
/* Bounds applied when decoding, so a hostile message cannot make a worker
 * allocate without limit. */
#define MB_JOB_MAX_IMAGES 100000
#define MB_MSG_MAX_BYTES (64u * 1024u * 1024u)

/* Where a job's JPEGs are decoded: on the host (libjpeg-turbo on the decode
 * pool), on the GPU (nvJPEG, a worker built with it on a CUDA device), or
 * auto: the GPU where the worker can, else the host. */
typedef enum { MB_DECODE_AUTO = 0, MB_DECODE_HOST, MB_DECODE_GPU } mb_decode_mode;
const char *mb_decode_mode_name(mb_decode_mode m);
int mb_decode_mode_parse(const char *name);   /* -1 when unknown */

/* When the worker sent a result, relative to the next job it had taken
 * ahead (PROTOCOL.md, `sent`).  UNKNOWN: an older worker did not say. */
typedef enum {
    MB_SENT_UNKNOWN = 0,
    MB_SENT_AT_ONCE,            /* no next job in hand when the job ended */
    MB_SENT_BEFORE_NEXT_WAIT,   /* before the wait for the next job's first batch */
    MB_SENT_BEHIND_NEXT_SUBMIT, /* held until that batch was submitted to the device */
    MB_SENT_AFTER_NEXT,         /* the next job ended (failed) before reaching the device */
} mb_sent;
const char *mb_sent_name(mb_sent s);
int mb_sent_parse(const char *name);        /* -1 when unknown */

typedef struct mb_job {
    char *id;               /* unique within a run, e.g. "c3.r1.j7" */
    char *cell;             /* benchmark name of the cell, for the record */
    char **images;          /* absolute paths */
    size_t n_images;
    int batch_size;         /* images per forward pass */
    int input_size;         /* model input side; 0 = native size */
    bool resize_on_device;
    mb_decode_mode decode;  /* "decode", absent = auto */
    bool return_embeddings; /* include the embeddings in the result (tests) */
    /* Fault injection, for testing the harness itself; all off by default. */
    double fault_slowdown;  /* extra fraction of time to sleep, e.g. 0.1 */
    int fault_nan_image;    /* 1-based: this image's embedding becomes NaN; 0 = off */
} mb_job;

typedef enum {
    MB_JOB_OK = 0,
    MB_JOB_OOM,             /* device or host out of memory */
    MB_JOB_ERROR,           /* bad image, model error... the worker lives on */
    MB_JOB_CRASHED,         /* the worker died with the job in flight */
    MB_JOB_TIMEOUT,         /* no result within run.timeout; worker killed */
    MB_JOB_SKIPPED,         /* the device is unusable; never ran */
    MB_JOB_INTERRUPTED,     /* in flight when the run stopped (signal, Redis gone) */
    MB_JOB_STATUS_COUNT
} mb_job_status;

const char *mb_job_status_name(mb_job_status s);
int mb_job_status_parse(const char *name);   /* -1 when unknown */

typedef struct mb_result {
    char *job_id;
    char *worker_id;
    mb_job_status status;
    char *error;            /* verbatim message; NULL when ok */
    int images;             /* images embedded */
    int batches;
    int batch_size;         /* the batch size used (GPU_BATCH_SIZE may override the job's) */
    double decode_ms, preprocess_ms, transfer_ms, forward_ms;
    double wall_ms;         /* worker-side, from dequeue to result */
    uint64_t peak_rss_bytes;        /* host */
    uint64_t peak_allocated_bytes;  /* device (CUDA peak / MPS current) */
    uint64_t peak_reserved_bytes;   /* device (CUDA reserved / MPS driver) */
    mb_decode_mode decode;  /* where the job's images were decoded: host or gpu
                               (auto only in a result from an older worker) */
    int gpu_images;         /* of them, decoded by nvJPEG (the rest: host fallback) */
    /* The gap by stage: what the worker ran on the device's path between the
     * previous job's last forward and this job's first (PROTOCOL.md).  The
     * previous job's part (its tail after the last batch, its result's
     * hand-off) comes in this job's result, since it ends after that result
     * is sent; all 0 in the worker's first job.  has_gap: the worker sent
     * them (older workers do not). */
    bool has_gap;
    bool prefetched;        /* taken from the queue during the previous job's last batch */
    double gap_tail_ms;     /* previous job: after its last batch came back (peaks, slowdown) */
    double gap_handoff_ms;  /* previous job: result encoded, XADD, XACK */
    double gap_dequeue_ms;  /* this job: XREADGROUP and decoding, where not prefetched */
    double gap_setup_ms;    /* this job: from its start to the wait for its first batch */
    double gap_first_batch_ms;  /* this job: the wait for its first batch's images */
    /* This job: its first batch was decoded before that wait (1) or not (0);
     * -1 from a worker that did not say. */
    int first_batch_ready;
    /* When this result was sent (the worker's hand-off, PROTOCOL.md), and
     * how long it waited in the worker after its job ended, until its XADD. */
    mb_sent sent;
    double held_ms;
    double checksum;        /* sum over embeddings of value * (1 + index % 7) */
    int embedding_dim;
    float *embeddings;      /* images * embedding_dim, only if requested */
    size_t n_embeddings;
} mb_result;

/* Encoders return a heap string (free()); decoders fill *out, which the
 * caller releases with the matching _clear (safe on zeroed structs). */
char *mb_job_encode(const mb_job *job);
int mb_job_decode(const char *json, size_t len, mb_job *out, mb_err *err);
void mb_job_clear(mb_job *job);

char *mb_result_encode(const mb_result *r);
int mb_result_decode(const char *json, size_t len, mb_result *out, mb_err *err);
void mb_result_clear(mb_result *r);

/* The checksum the worker reports: sum of emb[k] * (1 + (offset + k) % 7).
 * Order-sensitive, so a swapped image or dimension changes it; `offset` lets a
 * job be summed batch by batch with the same result at every batch size. */
double mb_embedding_checksum(const float *emb, size_t n, size_t offset);

#endif

/* State shared by the run module's files: the run, its cells and its
 * supervised worker.  Lifecycle: mb_run creates a run_ctx, each cell gets a
 * cell_state that outlives Google Benchmark's calls, and the worker slot is
 * reused by consecutive cells with the same worker_key. */
#ifndef MB_RUN_PRIVATE_H
#define MB_RUN_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include "oom.h"
#include "protocol.h"
#include "queue.h"
#include "run.h"
#include "scenario.h"
#include "process.h"

/* One job as the harness saw it: the worker's result plus harness timing. */
typedef struct job_record {
    mb_result result;
    int repetition;         /* 0-based; -1 for warm-up jobs */
    int batch_size;         /* as asked (frontier probes vary it) */
    double latency_ms;      /* harness side: enqueue -> result received */
    double reported_at_ms;  /* wall clock (Unix ms) when the harness recorded it */
    mb_oom_info oom;        /* parsed from the error text, whoever the worker */
    bool paravirtual_limit; /* an OOM on a paravirtual MPS device: its cap, not an MPS OOM */
} job_record;

typedef enum { CELL_PASS = 0, CELL_FAIL, CELL_SKIPPED } cell_verdict;

typedef struct cell_state {
    struct run_ctx *run;
    const struct worker_backend *backend;
    const mb_scenario *scenario;
    const mb_cell *cell;
    char *bench_name;       /* "<scenario>/<cell name>" */
    char **images;          /* job image pool (borrowed from the image set) */
    size_t n_images;
    size_t next_image;
    int repetition;         /* repetitions started */
    bool warmed_up;
    bool stop_early;        /* an OOM/crash already decided this cell */
    job_record *records;
    size_t n_records, cap_records;
    double *rep_images_per_s;   /* per completed repetition */
    size_t n_reps;
    int counts[MB_JOB_SKIPPED + 1];
    char *skip_reason;      /* device unusable */
    bool paravirtual;       /* ran on a paravirtual MPS device */
    char *first_error;
    cell_verdict verdict;
    char *verdict_reason;
    /* adaptive repetitions */
    bool adaptive_stopped;
    int reps_saved;
    double rep_seconds;     /* measured time of the repetitions that ran */
    double final_halfwidth; /* relative half-width of the median's 95% CI */
    /* the baseline comparison (run --baseline), if any */
    const struct mb_compare_cell *compared;
    /* search: batch_size frontier */
    bool frontier;
    int largest_ok_batch;   /* 0 when even batch 1 failed */
    int first_failing_batch;/* 0 when nothing failed up to the maximum */
} cell_state;

/* The worker process serving the current worker_key. */
typedef struct worker_slot {
    const struct worker_backend *backend;
    char *key;
    const mb_scenario *scenario;    /* faults and the model are per scenario */
    char *jobs_stream;
    char *hello_key;
    char *worker_id;
    char *log_path;
    mb_proc proc;
    int restarts;
    bool unusable;          /* the device probe failed */
    char *unusable_reason;
    bool paravirtual;       /* ready on a paravirtual MPS device (run.allow_paravirtual_mps) */
    char *hello;            /* the hello record as JSON */
} worker_slot;

/* Every hello record seen, kept for run.json. */
typedef struct hello_log {
    char **records;
    size_t n;
} hello_log;

typedef struct run_ctx {
    const mb_run_config *cfg;
    char *dir;
    char *ns;               /* key namespace in Redis */
    mb_queue *q;
    char *results_stream;
    char last_result_id[64];
    worker_slot worker;
    int worker_seq;         /* streams and ids per worker configuration */
    int next_job;
    cell_state *cells;
    size_t n_cells;
    size_t current_cell;
    char *torch_version;
    char *devices_json;     /* the probe's answer */
    long redis_pid;         /* the embedded redis-server, 0 with --redis */
    hello_log hellos;
    struct mb_compare_report *compare;  /* run --baseline */
    char *plot_error;       /* charts not made, and why */
    bool infra_failed;
    mb_err infra_err;
    volatile int *interrupted;
} run_ctx;

/* A kind of worker the harness can drive.  The runner only speaks to this
 * table; workers.c implements it for mpsbench-worker over the Redis Streams
 * protocol.  Every backend runs its worker as a child process in
 * run->worker.proc, which the runner watches for crashes. */
typedef struct worker_backend {
    const char *name;
    /* Starts the worker serving the cell unless the running one can. */
    int (*ensure)(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err);
    void (*stop)(run_ctx *run);
    /* Enqueues a job; *ticket identifies it for abandon(). */
    int (*submit)(run_ctx *run, const mb_job *job, char **ticket, mb_err *err);
    /* Waits up to block_ms for the next answer: 1 with *out filled, 0 when
     * none came, < 0 on an infrastructure error. */
    int (*next_result)(run_ctx *run, int block_ms, mb_result *out, mb_err *err);
    /* The harness has reported the job itself (crashed, timeout): make sure
     * no worker picks it up later. */
    void (*abandon)(run_ctx *run, const char *ticket);
} worker_backend;

/* workers.c */
extern const worker_backend mb_native_backend;
const worker_backend *mb_backend_for(const mb_scenario *s);
/* Stops whatever worker the run holds, of any backend. */
void mb_worker_stop(run_ctx *run);

/* rq_backend.c: the backend for scenarios whose worker axis names rq (it
 * hands their native cells on to mb_native_backend), or NULL. */
extern const worker_backend mb_rq_backend;
const worker_backend *mb_rq_backend_for(const mb_scenario *s);

/* worker_compare.c: the "native vs rq" table (images/s of both worker
 * kinds per image size and their ratio), as Markdown for summary.md, or
 * NULL when no scenario of the run has both kinds.  Heap string. */
char *mb_worker_compare_table(const run_ctx *run);
/* Prints that table to out (nothing when there is none). */
void mb_worker_compare_print(const run_ctx *run, FILE *out);

/* report.c */
int mb_report_write_run_json(const run_ctx *run, const char *status, mb_err *err);
int mb_report_write_summary(const run_ctx *run, mb_err *err);
int mb_report_write_junit(const run_ctx *run, mb_err *err);

#endif

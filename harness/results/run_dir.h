/* The run directory as one typed model: run.json read back into structs,
 * validated on the way in, so that the reports, the exports, the charts,
 * compare and the CLI read the same figures and none of them walks the
 * JSON by hand.  The runner fills the same model with plain values (the
 * cells with every job, the contrasts with their gates, the header) and
 * run_dir_write.c composes and writes the document (DESIGN.md section 4,
 * "The run directory"): no file outside results/ builds run.json's keys,
 * and the format stamp and the atomic replace live here, next to the
 * reader that checks them.  What the model does not read back (the device
 * probe's and workers' records as they came, the schedule's rounds) is
 * passed to the writer as mb_res_parts.
 *
 * A failed repetition has no throughput: it is a NAN in `reps` and is left
 * out of `ips`, so no reader can take a failed cell for a fast one.  A
 * figure run.json does not hold is NAN (numbers) or NULL (text), never a
 * made-up 0. */
#ifndef MB_RUN_DIR_H
#define MB_RUN_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

/* The one run.json format this reader and the writer speak. */
#define MB_RES_FORMAT 1

typedef struct mb_res_kv {
    char *key;
    char *value;
} mb_res_kv;

/* The worker's gap by stage before a job (PROTOCOL.md, issue 18): whether
 * it took the job during the previous one's last batch, the time, in ms, of
 * each stage between the two, and whether the job's first batch was
 * decoded before the worker waited for it. */
typedef struct mb_res_gap {
    bool prefetched;
    double tail_ms, handoff_ms, dequeue_ms, setup_ms, first_batch_ms;
    int first_batch_ready;  /* 1, 0, or -1 where the worker did not say */
} mb_res_gap;

/* One job record (warm-up jobs included: repetition < 0). */
typedef struct mb_res_job {
    char *id, *worker;      /* "" when not recorded */
    char *status;           /* "ok", "oom", "error", "crashed", "timeout", "interrupted", "skipped" */
    int repetition;         /* -1 for a warm-up job */
    int batch_size;         /* 0 when not recorded */
    int batch_size_used;    /* the batch the worker used, when not batch_size; else 0 */
    int images, batches, embedding_dim;                         /* 0 when not recorded */
    double latency_ms;      /* NAN when not recorded */
    double wall_ms, decode_ms, preprocess_ms, transfer_ms, forward_ms;  /* 0 when not recorded */
    double checksum;        /* 0 when not recorded */
    double peak_rss_bytes, peak_allocated_bytes, peak_reserved_bytes;  /* 0 when not recorded */
    double reported_at_ms;  /* since the run started; 0 when not recorded */
    char *decode;           /* the decode path asked for when not "auto", or NULL */
    int gpu_images;         /* images nvJPEG decoded (with decode only) */
    bool has_gap;           /* the worker reported `gap` */
    mb_res_gap gap;
    /* When the worker sent the result (PROTOCOL.md's `sent`, or NULL where
     * it did not say) and how long it held it after the job ended (NAN). */
    char *sent;
    double held_ms;
    char *error;            /* the worker's message, or NULL */
    char *oom_kind;         /* "cuda", "mps", "cpu", "paravirtual_limit"; NULL: no OOM */
    /* What the OOM message says, in bytes; -1 where it does not say. */
    double oom_allocated, oom_other, oom_max_allowed, oom_tried;
} mb_res_job;

/* One repetition of a cell, in the order run.json lists them. */
typedef struct mb_res_rep {
    int round;
    double images_per_second;   /* NAN: the repetition failed */
} mb_res_rep;

/* The cell's verdict against a baseline or its A/B partner. */
typedef struct mb_res_verdict {
    char *verdict;          /* "regression", "no_change", ... */
    char *test;             /* or NULL */
    char *reason;           /* or NULL */
    double baseline_median, current_median;                     /* NAN when absent */
    double change, ci_low, ci_high, p_value, mde, threshold;    /* NAN when absent */
} mb_res_verdict;

/* An adaptive cell (run.target_ci): how many repetitions it could stop
 * after and what stopping early saved. */
typedef struct mb_res_adaptive {
    int min, max;
    double target_ci;
    bool stopped_early;
    int repetitions_saved;
    double seconds_saved;
} mb_res_adaptive;

typedef struct mb_res_cell {
    char *name;             /* "<scenario>/<cell>", as in results.json */
    char *scenario;         /* "" when not recorded */
    char *device;           /* "" when not recorded */
    char *model;            /* "" when not recorded */
    char *precision;        /* "fp32" when not recorded */
    char *side;             /* "baseline" or "candidate" (A/B); NULL when not recorded */
    char *verdict;          /* "pass", "fail", "skipped"; "fail" when not recorded */
    char *reason;           /* or NULL */
    char *skip_reason;      /* or NULL */
    char *expect_oom;       /* "never", "allowed", "expected" */
    bool watermark_fix;
    int batch_size;         /* 0 for a frontier search */
    int image_width, image_height;     /* 0: the images as they are */
    int images_per_job;     /* 0 when not recorded */
    int input_size;         /* the model's input side; 0 when not recorded */
    double memory_limit_bytes;         /* 0: none */
    double expect_regression;          /* NAN when not recorded */
    int n_ok, n_oom, n_crashed, n_timeout, n_error;     /* the job counts */
    int n_skipped, n_interrupted;
    mb_res_kv *axes;
    size_t n_axes;
    mb_res_kv *env;
    size_t n_env;
    double *ips;            /* the successful repetitions' images per second */
    size_t n_ips;
    mb_res_rep *reps;       /* every repetition, failed ones included (NULL in old files) */
    size_t n_reps;
    mb_res_job *jobs;
    size_t n_jobs;
    bool compared;          /* `baseline` holds a verdict */
    mb_res_verdict baseline;
    bool adaptive;          /* `adapt` holds its adaptive stop */
    mb_res_adaptive adapt;
    bool frontier;          /* the cell is a frontier search */
    int largest_batch;      /* frontier: the largest batch that fit */
    int first_failing_batch;    /* frontier: the first that did not; 0: none failed */
} mb_res_cell;

/* A worker's hello record, as far as the reports describe it. */
typedef struct mb_res_worker {
    char *device_description;   /* or NULL */
    char *model;                /* or NULL */
} mb_res_worker;

/* A contrast's max_cost gate: the cost of one side, bounded. */
typedef struct mb_res_gate {
    char *verdict;          /* "pass", "fail", "inconclusive" */
    char *summary;          /* the gate's sentence, or NULL */
    char *reason;           /* why it is inconclusive, or NULL */
    double max_cost, cost, cost_low, cost_high, mde, rounds;    /* NAN when absent */
} mb_res_gate;

/* A paired contrast: an axis compared within rounds. */
typedef struct mb_res_contrast {
    char *name, *axis, *verdict, *summary;      /* NULL when absent */
    char *reason;           /* why it is not comparable, or NULL */
    double change, ci_low, ci_high, p_value, mde, threshold, rounds;    /* NAN when absent */
    bool gated;             /* the scenario bounds its cost: `gate` holds it */
    mb_res_gate gate;
} mb_res_contrast;

/* A process of the run, recorded so that a later run can stop what a
 * harness killed outright left behind (run/leftovers.c). */
typedef struct mb_res_process {
    char *role;             /* "harness", "redis", "worker" */
    long pid;
    unsigned long long start;   /* its start time, as mb_proc_start_time gives it */
} mb_res_process;

/* The whole run: the header, the cells with their jobs and the contrasts
 * (written by mb_res_run_write, read back by mb_res_run_load), and, read
 * back only, the workers. */
typedef struct mb_res_run {
    char *path;             /* the run.json read */
    char *dir;              /* the run directory */
    char *status;           /* "passed", "failed", "incomplete", "running" */
    char *written_at;       /* "" when not recorded */
    bool has_machine;
    char *os, *release, *arch, *hostname;       /* "" when not recorded */
    int cpus;
    char **scenarios;       /* the scenario files, as given */
    size_t n_scenarios;
    char *torch_version;    /* or NULL */
    long jobs_enqueued;     /* -1 when not recorded */
    char *order;            /* "interleaved" or "sequential"; NULL when not recorded */
    char *seed;             /* the order's seed, decimal (64 bits); NULL when not recorded */
    int max_live_workers;
    char *fallback;         /* why the order fell back to sequential, or NULL */
    long override_jobs, override_warmup_jobs, override_repetitions;  /* -1: not given */
    bool redis_external;    /* --redis: a server the run did not start */
    long redis_pid;         /* the embedded server's pid, 0 when none */
    bool has_harness;
    mb_res_process harness;
    mb_res_process *processes;  /* the children, each from the moment it was up */
    size_t n_processes;
    bool any_compared;      /* some cell holds a verdict */
    mb_res_worker *workers;
    size_t n_workers;
    mb_res_contrast *contrasts;
    size_t n_contrasts;
    mb_res_cell *cells;
    size_t n_cells;
} mb_res_run;

/* Reads RUN_DIR/run.json.  MB_EIO when it cannot be read; MB_EINVAL when it
 * is not valid JSON, not format MB_RES_FORMAT, or a field has the wrong type,
 * with err->msg naming the file and the field ("DIR/run.json: cells[2].jobs[0]
 * .status: a string is expected").  *out is cleared on failure; free with
 * mb_res_run_free (NULL-safe). */
int mb_res_run_load(const char *run_dir, mb_res_run *out, mb_err *err);
/* The same for a run.json at any path. */
int mb_res_run_load_file(const char *path, mb_res_run *out, mb_err *err);
void mb_res_run_free(mb_res_run *run);

/* True when the run did not end: interrupted ("incomplete") or its harness
 * died while it ran (still "running"). */
bool mb_res_run_unfinished(const mb_res_run *run);

/* The cell named name, or NULL. */
const mb_res_cell *mb_res_run_cell(const mb_res_run *run, const char *name);

/* The parts of run.json that are the runner's records kept as they came
 * (the probe's and the workers' JSON), or that the model does not read
 * back (the schedule's rounds), as plain values.  mb_res_run_write takes
 * each; NULL or 0 is an empty array, or null for the devices. */
typedef struct mb_res_parts {
    const char *devices;            /* the device probe's answer, JSON text */
    char *const *hellos;            /* the workers' hello records as they came: JSON
                                     * text, kept as a string when it is not JSON */
    size_t n_hellos;
    const char *const *ran;         /* schedule.rounds: the cell names in the order
                                     * they ran, a NULL closing each round */
    size_t n_ran;
    const char *const *fresh_workers;   /* schedule.fresh_workers: cell names */
    size_t n_fresh_workers;
} mb_res_parts;

/* Writes run.json at path: the header fields of run (status, written_at,
 * machine, scenarios, torch_version, jobs_enqueued, the schedule's order,
 * seed, max_live_workers and fallback, overrides, redis, harness,
 * processes), its cells with their jobs and its contrasts with their
 * gates, with the parts, format MB_RES_FORMAT.  The runner rewrites it
 * as the run goes ("running"), so it is replaced atomically
 * (mb_write_file_atomic): a reader, or a harness killed mid-write, sees the
 * previous whole file or the new one.  MB_EIO with the path named. */
int mb_res_run_write(const char *path, const mb_res_run *run, const mb_res_parts *parts,
                     mb_err *err);
/* Marks the run.json at path, left "running" by a harness that died,
 * incomplete: status "incomplete" and "stopped_by_a_later_run":
 * stopped_by (the processes a later run stopped, "" for none).  Every
 * other key of the file is kept as it is, keys the model does not read
 * included, and the file is rewritten like mb_res_run_write's: format
 * stamped, replaced atomically.  MB_EIO when it cannot be read or written,
 * MB_EINVAL when it is not a JSON object; the path named. */
int mb_res_run_mark_incomplete(const char *path, const char *stopped_by, mb_err *err);
/* A header with nothing recorded: the numbers that mean "absent" set. */
void mb_res_run_init(mb_res_run *run);

/* Where RUN_DIR's run.json is (heap). */
char *mb_res_run_json_path(const char *run_dir);
/* The run.json beside a file (a results.json): "DIR/run.json", or
 * "run.json" for a bare file name (heap). */
char *mb_res_run_json_beside(const char *file);

#endif

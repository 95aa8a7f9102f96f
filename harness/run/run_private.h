/* State shared by the run module's files: the run, its cells and its
 * supervised worker.  Lifecycle: mb_run creates a run_ctx, each cell gets a
 * cell_state that outlives Google Benchmark's calls, and the worker slot is
 * reused by consecutive cells with the same worker_key.  Not part of the
 * module's interface: its functions are mb__ (DESIGN.md section 4). */
#ifndef MB_RUN_PRIVATE_H
#define MB_RUN_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include "contrast_gate.h"
#include "oom.h"
#include "protocol.h"
#include "queue.h"
#include "run.h"
#include "scenario.h"
#include "process.h"
#include "progress.h"
#include "watermark.h"
#include "workerclient.h"

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

/* CELL_INCOMPLETE: the run stopped (a signal, Redis gone) before the cell
 * finished, and nothing it ran failed: neither a pass nor a failure. */
typedef enum { CELL_PASS = 0, CELL_FAIL, CELL_SKIPPED, CELL_INCOMPLETE } cell_verdict;

/* One repetition of a cell as it ran.  The schedule runs repetitions in
 * rounds (schedule.c); Google Benchmark, which owns repetitions, aggregates
 * and results.json, is then fed these records afterwards (replay in
 * record.c), so its output is what it always was while the order in which
 * repetitions ran is ours. */
typedef enum { REP_PENDING = 0, REP_OK, REP_FAILED, REP_NOT_NEEDED } rep_outcome;
#define MB_REP_MAX_COUNTERS 20
typedef struct rep_record {
    rep_outcome outcome;
    int round;              /* the round it ran in; -1 when it never ran */
    char *error;            /* REP_FAILED: what Google Benchmark reports */
    double *job_seconds;    /* REP_OK: each measured job's time, in order */
    size_t n_jobs;
    const char *counter_names[MB_REP_MAX_COUNTERS];
    double counter_values[MB_REP_MAX_COUNTERS];
    int counter_flags[MB_REP_MAX_COUNTERS];
    size_t n_counters;
    double images_per_s;    /* REP_OK */
} rep_record;

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
    rep_record *reps;       /* one per planned repetition */
    int n_planned;
    int n_replayed;         /* repetitions handed to Google Benchmark */
    bool warmed_up;
    unsigned long warmed_on;    /* the worker process (worker_slot.generation) it warmed up on */
    bool warming;               /* its warm-up jobs are running */
    bool fresh_worker;          /* each repetition on a new worker process (schedule.c) */
    bool stop_early;        /* an OOM/crash already decided this cell */
    bool cut_short;         /* the run stopped before the cell finished */
    job_record *records;
    size_t n_records, cap_records;
    double *rep_images_per_s;   /* per completed repetition */
    size_t n_reps;
    int counts[MB_JOB_STATUS_COUNT];
    char *skip_reason;      /* device unusable */
    bool paravirtual;       /* ran on a paravirtual MPS device */
    char *first_error;
    /* images.dir photos that cannot be read ("N photo(s) ...: path: why; ...") */
    char *unreadable;
    size_t n_unreadable;
    cell_verdict verdict;
    char *verdict_reason;
    /* adaptive repetitions */
    bool adaptive_stopped;
    int reps_saved;
    double rep_seconds;     /* measured time of the repetitions that ran */
    double final_halfwidth; /* relative half-width of the median's 95% CI */
    /* A/B runs: the candidate side's twin of a baseline-side cell, and back */
    bool candidate;
    struct cell_state *partner;
    /* the baseline comparison (run --baseline), if any */
    const struct mb_compare_cell *compared;
    /* search: batch_size frontier */
    bool frontier;
    int largest_ok_batch;   /* 0 when even batch 1 failed */
    int first_failing_batch;/* 0 when nothing failed up to the maximum */
} cell_state;

/* A worker process serving one worker_key: the current one, or a parked
 * one (interleaved rounds). */
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
    int seq;                /* the run's number for this worker configuration */
    struct rq_state *rq;    /* the RQ backend's own state (rq_backend.c), else NULL */
    unsigned long generation; /* which process start of the run this is; 0: none counted */
} worker_slot;

/* The order the repetitions ran in, for run.json. */
typedef struct run_schedule {
    mb_order order;         /* as run: interleaved unless asked or forced */
    unsigned long long seed;
    int max_live_workers;
    char *fallback;         /* why the run went sequential, or NULL */
    int rounds;
    int *ran;               /* cell indices in the order they ran; -1 ends a round */
    size_t n_ran, cap_ran;
} run_schedule;

/* A child process of the run (redis-server, a worker) as run.json names
 * it, so that a later run can tell whether it is still the same process. */
typedef struct run_child {
    char role[16];          /* "redis", "worker" */
    long pid;               /* also its process group */
    unsigned long long start;   /* mb_proc_start_time */
} run_child;

/* Workers kept alive while another serves (interleaved rounds). */
#define MB_MAX_PARKED 63

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
    worker_slot worker;     /* the worker serving the cell that runs now */
    worker_slot parked[MB_MAX_PARKED];
    size_t n_parked;
    run_schedule schedule;
    int worker_seq;         /* streams and ids per worker configuration */
    unsigned long worker_starts; /* native worker processes started so far */
    int next_job;           /* jobs enqueued so far: ids j0 .. j<next_job - 1> */
    cell_state *cells;
    size_t n_cells;
    size_t current_cell;
    mb_progress_state progress; /* what stderr shows while the run runs */
    char *torch_version;
    char *devices_json;     /* the probe's answer */
    long redis_pid;         /* the embedded redis-server, 0 with --redis */
    hello_log hellos;
    run_child *children;    /* every child started, for run.json */
    size_t n_children;
    struct mb_compare_report *compare;  /* run --baseline, or the A/B verdicts */
    struct mb_compare_report *contrasts;/* cells that differ in one axis, paired */
    char **contrast_axes;   /* parallel to contrasts->cells: the axis compared */
    /* Parallel to contrasts->cells: each contrast's max_cost gate; a
     * max_cost of NAN when the scenario gave the axis none. */
    mb_contrast_gate *contrast_gates;
    /* A/B runs: the candidate side's scenarios and cells (shallow copies
     * with their own worker key, environment, faults and worker path) */
    mb_scenario **candidate_scenarios;
    mb_cell **candidate_cells;
    size_t n_candidates;
    char *plot_error;       /* charts not made, and why */
    bool infra_failed;
    mb_err infra_err;
    volatile int *interrupted;
} run_ctx;

/* A kind of worker the harness can drive.  The runner only speaks to this
 * table (setup.c picks one per cell by its worker kind); native_backend.c
 * and rq_backend.c implement it.  Every backend runs its worker as a child process in
 * run->worker.proc, which the runner watches for crashes. */
typedef struct worker_backend {
    const char *name;
    /* Starts the worker serving the cell unless the running one can. */
    int (*ensure)(run_ctx *run, const mb_cell *cell, const mb_scenario *s, mb_err *err);
    /* Stops the slot's worker (the current one or a parked one) and
     * empties the slot. */
    void (*stop)(run_ctx *run, struct worker_slot *w);
    /* Enqueues a job; *ticket identifies it for abandon(). */
    int (*submit)(run_ctx *run, const mb_job *job, char **ticket, mb_err *err);
    /* Waits up to block_ms for the next answer: 1 with *out filled, 0 when
     * none came, < 0 on an infrastructure error. */
    int (*next_result)(run_ctx *run, int block_ms, mb_result *out, mb_err *err);
    /* The harness has reported the job itself (crashed, timeout): make sure
     * no worker picks it up later. */
    void (*abandon)(run_ctx *run, const char *ticket);
} worker_backend;

/* native_backend.c: mpsbench-worker over the Redis Streams protocol. */
extern const worker_backend mb_native_backend;
/* rq_backend.c: the service's own Python `rq worker`. */
extern const worker_backend mb_rq_backend;

/* worker_slots.c */
/* Frees a slot's strings and zeroes it (its process must be stopped). */
void mb__slot_clear(worker_slot *w);
/* Stops whatever worker the run holds, of any backend. */
void mb__slot_stop(run_ctx *run);
/* Before a cell runs: makes the worker for its worker key the current one.
 * The current worker is parked (kept alive, of any backend, at most
 * schedule.max_live_workers in all, the longest parked stopped first) or
 * stopped, and a parked worker with the cell's key becomes current again.
 * backend->ensure then starts one if none is there. */
void mb__slot_select(run_ctx *run, const cell_state *cs);
/* Stops the current worker and every parked one. */
void mb__slot_stop_all(run_ctx *run);
/* Stops the process serving cs (live or parked): its next repetition
 * starts a fresh one. */
void mb__slot_retire(run_ctx *run, const cell_state *cs);
/* Adds a started worker's hello record to run.json's list and rewrites
 * run.json, so the worker's pid is recorded while it runs. */
void mb__hello_log_add(run_ctx *run, const char *hello, long pid);

/* leftovers.c: run.json's "harness" and "processes", and the leftovers of
 * an earlier run found in the run directory. */
void mb__leftovers_note_child(run_ctx *run, const char *role, long pid);
struct mb_res_run;
void mb__leftovers_fill(const run_ctx *run, struct mb_res_run *h);
/* When dir/run.json says "running" and its harness is gone: stops its
 * children that are still the same processes, marks it incomplete, and
 * says so on stderr (unless quiet). */
void mb__leftovers_reap(const char *dir, bool quiet);

/* worker_compare.c: the "native vs rq" table (images/s of both worker
 * kinds per image size and their ratio), as Markdown for summary.md, or
 * NULL when no scenario of the run has both kinds.  Heap string. */
char *mb__worker_compare_table(const run_ctx *run);
/* Prints that table to out (nothing when there is none). */
void mb__worker_compare_print(const run_ctx *run, FILE *out);

/* stop.c: true once mb_run_request_stop (the CLI's SIGINT/SIGTERM
 * handler) asked the run to stop. */
bool mb__run_interrupted(void);

/* setup.c: the steps before the first job (each returns an mb_err code). */
int mb__load_scenarios(const mb_run_config *cfg, mb_scenario **scenarios, mb_err *err);
/* --out must name a folder that is empty or absent, unless --force. */
int mb__check_out_dir(const mb_run_config *cfg, mb_err *err);
/* Every distinct model loads (mpsbench-worker --check-model), else exit 2. */
int mb__check_models(const mb_run_config *cfg, mb_scenario **scenarios, size_t n, mb_err *err);
/* results/runs/<time>-<first scenario's name> (heap). */
char *mb__default_run_dir(const mb_scenario *first);
/* Asks a worker which devices it can use; run->devices_json keeps the answer. */
int mb__probe_devices(run_ctx *run, mb_err *err);
/* The usable devices of the probe, comma-separated (heap). */
char *mb__usable_devices(const run_ctx *run);
bool mb__axis_has(const mb_scenario *s, const char *axis, const char *value);
/* Expands the scenarios into run->cells, with their images and backends. */
struct mb_image_set;
int mb__prepare_cells(run_ctx *run, mb_scenario **scenarios, size_t n_scenarios,
                     mb_cell **cell_arrays, size_t *cell_counts, struct mb_image_set *images,
                     mb_err *err);
void mb__free_cells(run_ctx *run);
/* The machine, the torch version and the scenarios, for Google Benchmark's context. */
void mb__add_context(const run_ctx *run, mb_scenario **scenarios, size_t n);
unsigned long long mb__seed_from_clock(void);

/* jobs.c: the job flow of one cell. */
typedef struct inflight_job {
    char *id;
    char *entry_id;
    int batch_size;
    double submitted_ms;
} inflight_job;
/* Submits one job of per_job images in batches of batch_size. */
int mb__submit_sized_job(cell_state *cs, int per_job, int batch_size, inflight_job *out,
                        mb_err *err);
/* Submits the cell's next job (its own images per job and batch size). */
int mb__submit_job(cell_state *cs, inflight_job *out, mb_err *err);
void mb__inflight_clear(inflight_job *j);
/* Waits for the oldest in-flight job's result; 1 with *lost set when the
 * worker died or the job timed out (the jobs are recorded as lost). */
int mb__await_result(cell_state *cs, inflight_job *jobs, int *n_inflight, bool *lost,
                    mb_result *out, double *latency_ms, int *batch_size, mb_err *err);
/* Records one result against the cell (repetition -1: warm-up). */
void mb__record_result(cell_state *cs, mb_result *r, double latency_ms, int batch_size,
                      int repetition);
/* Waits for every in-flight job. */
int mb__drain(cell_state *cs, inflight_job *jobs, int *n_inflight, int repetition, mb_err *err);
/* The cell's warm-up jobs, before its first repetition. */
int mb__run_warmup(cell_state *cs, mb_err *err);

/* execute.c: runs the cell's next repetition (warm-up first when it is the
 * cell's first) and fills its rep_record.  round is recorded with it. */
void mb__execute_repetition(cell_state *cs, int round);
/* execute.c: true when the cell needs no more repetitions: all planned ones
 * ran, it was skipped or decided by a failure, or adaptive repetitions met
 * their target (checked here). */
bool mb__cell_done(cell_state *cs);
/* frontier.c: the batch-size frontier search, as the cell's one repetition. */
void mb__execute_frontier(cell_state *cs, rep_record *rec);

/* record.c: what a repetition recorded, and the cell's line. */
/* The live progress line (a terminal) or nothing. */
void mb__progress(const cell_state *cs, const char *what);
void mb__rep_counter(rep_record *rec, const char *name, double value, int flags);
/* Marks the repetition failed with prefix + what as Google Benchmark's error. */
void mb__rep_fail(rep_record *rec, const char *prefix, const char *what);
/* The cell's line on stderr once it is decided or finished. */
void mb__report_cell(const cell_state *cs, const char *error);
/* An infrastructure failure: the run stops, the repetition fails. */
void mb__infra_failure(cell_state *cs, rep_record *rec, const mb_err *err);
/* record.c: Google Benchmark's function for every cell: replays the
 * recorded repetitions (arg is the cell_state). */
struct mb_gb_state;
void mb__replay_cell(struct mb_gb_state *gb, void *arg);
/* The cell's verdict from its jobs, its expectations and what never ran. */
void mb__decide_cell(cell_state *cs);

/* schedule.c: runs every planned repetition of every cell, interleaved in
 * seeded random rounds or one cell after another, then gives the
 * repetitions that never ran their records. */
void mb__schedule_run(run_ctx *run);

/* ab.c: the candidate side of an A/B run (run->cfg->candidate_*): a twin of
 * every cell.  MB_EUSAGE for a --candidate-fault that does not parse. */
int mb__ab_add_candidates(run_ctx *run, size_t n_base, mb_err *err);
void mb__ab_free(run_ctx *run);
/* The A/B verdicts (a report named after the baseline side's cells), and
 * the contrasts of cells that differ in one axis; both paired by round. */
struct mb_compare_report *mb__ab_report(const run_ctx *run);
void mb__contrasts_make(run_ctx *run);
/* Whether cs will be one side of a contrast (same rule as mb__contrasts_make). */
bool mb__cell_contrasted(const run_ctx *run, const cell_state *cs);
/* "watermark fix on vs off, cpu 224x224 batch 8: -0.4% [-1.1%, +0.3%], no
 * cost detectable above 1.2%": one line per contrast (heap). */
char *mb__contrast_sentence(const run_ctx *run, size_t i);
/* The same with name (NULL: the contrast's full cell name) in front. */
char *mb__contrast_sentence_named(const run_ctx *run, size_t i, const char *name);
/* The gate of contrast i, or NULL when it has none. */
const mb_contrast_gate *mb__contrast_gate_of(const run_ctx *run, size_t i);
/* Counts the gates that failed or could not decide into the outcome (an
 * inconclusive one fails the run under --fail-on-inconclusive, as
 * mb_outcome_failed says).  Prints a notice for each gate that did not
 * pass (unless quiet). */
void mb__contrast_gates_count(const run_ctx *run, mb_outcome *outcome);
/* The gates' section of compare.md: after the comparison's table, or the
 * whole file when the run compared nothing else; nothing without gates. */
int mb__contrast_gates_publish(const run_ctx *run, mb_err *err);
void mb__contrasts_free(run_ctx *run);
/* A gate as run.json records it (results/run_dir.h): max_cost, verdict,
 * cost and its interval, mde, rounds, reason and the sentence. */
struct mb_res_gate;
void mb__contrast_gate_fill(const mb_contrast_gate *g, struct mb_res_gate *out);

/* report.c */
int mb__report_write_run_json(const run_ctx *run, const char *status, mb_err *err);
int mb__report_write_summary(const run_ctx *run, mb_err *err);

#endif

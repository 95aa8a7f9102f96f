/* The scenario model: what a scenario YAML file says, validated, with every
 * value's source position kept so later errors can still name file:line:col.
 * Loading knows YAML (libyaml) and nothing of Redis, torch or gnuplot. */
#ifndef MB_SCENARIO_H
#define MB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image_format.h"
#include "mb_error.h"

typedef struct mb_pos {
    int line;   /* 1-based; 0 when the value was not in the file (a default) */
    int column; /* 1-based */
} mb_pos;

/* One axis of the matrix: "worker", "device", "watermark_fix", "image_size",
 * "batch_size", "precision", "exec", or "env.NAME".  Values are kept as the
 * strings the file spelled (normalised: "on"/"off" for booleans,
 * "WxH" for sizes), so overrides can match them textually. */
typedef struct mb_axis {
    char *name;
    char **values;
    mb_pos *value_pos;
    size_t n_values;
    mb_pos pos;
} mb_axis;

typedef struct mb_kv {
    char *key;
    char *value;
    mb_pos pos;
} mb_kv;

typedef enum { MB_OOM_NEVER = 0, MB_OOM_ALLOWED, MB_OOM_EXPECTED } mb_oom_expect;
typedef enum { MB_EXEC_PERSISTENT = 0, MB_EXEC_FORK_PER_JOB } mb_exec_mode;
/* How repetitions are scheduled: interleaved runs them in rounds, one
 * repetition of every cell per round in a freshly shuffled order, so that
 * drift of the machine spreads over every cell instead of biasing the ones
 * that ran last; sequential runs every repetition of a cell before the next
 * cell. */
typedef enum { MB_ORDER_INTERLEAVED = 0, MB_ORDER_SEQUENTIAL } mb_order;
/* When a repetition gets a worker process of its own (run.fresh_workers):
 * auto, the two sides of an A/B pair and the cells of a contrast; always,
 * every cell; never, workers live across rounds. */
typedef enum { MB_FRESH_AUTO = 0, MB_FRESH_ALWAYS, MB_FRESH_NEVER } mb_fresh_workers;
typedef enum { MB_ON_OOM_CONTINUE = 0, MB_ON_OOM_EXIT } mb_on_oom;
typedef enum { MB_RESIZE_HOST = 0, MB_RESIZE_DEVICE } mb_resize_on;
/* Where the worker decodes JPEGs; the same order as protocol.h's
 * mb_decode_mode, which run/jobs.c copies it into. */
typedef enum { MB_SCENARIO_DECODE_AUTO = 0, MB_SCENARIO_DECODE_HOST, MB_SCENARIO_DECODE_GPU } mb_scenario_decode;
/* Which program serves the jobs: mpsbench-worker over the queue protocol,
 * or the service's own Python RQ worker (harness/queue/PROTOCOL.md, "The RQ
 * worker"). */
typedef enum { MB_WORKER_NATIVE = 0, MB_WORKER_RQ } mb_worker_kind;

typedef struct mb_expect {
    mb_oom_expect oom;      /* default never */
    double regression;      /* fraction, default 0.05 */
} mb_expect;

typedef struct mb_run_opts {
    int jobs;               /* measured jobs per repetition, default 10 */
    int warmup_jobs;        /* default 1 */
    int repetitions;        /* default 5: against a baseline of 5, a Mann-Whitney test
                               reaches p < 0.05 even when the samples overlap a
                               little (with 3 it never can); the maximum when
                               adaptive */
    /* Adaptive repetitions (`repetitions: {min, max, target_ci}`): after
     * repetitions_min, a cell stops once the 95% confidence interval of its
     * median throughput is within +-target_ci of the median.  target_ci 0
     * means a fixed count (repetitions_min == repetitions). */
    int repetitions_min;
    double target_ci;
    double timeout_s;       /* per job, default 120 */
    uint64_t memory_limit;  /* bytes, 0 = none */
    mb_exec_mode exec;
    mb_on_oom on_oom;
    int threads;            /* intra-op threads, 0 = all cores */
    int decode_threads;     /* the worker's decode pool, 0 = all cores */
    int inflight;           /* jobs queued ahead per worker, default 1 */
    mb_order order;         /* default interleaved */
    int max_live_workers;   /* worker processes kept alive across rounds, default 4 */
    mb_fresh_workers fresh_workers; /* default auto */
    /* Run MPS cells on a hosted runner's paravirtual GPU instead of
     * skipping them; every OOM there is labelled a paravirtual-device
     * limit, never an MPS OOM (harness/core/mps_device.h). */
    bool allow_paravirtual_mps;
    int max_cells;          /* run.max_cells: a larger matrix needs --yes, default 2000 */
} mb_run_opts;

/* One `overrides:` entry: when every `when` pair matches a cell's axis
 * values, its expect/run settings replace the scenario's for that cell. */
typedef struct mb_override {
    mb_kv *when;
    size_t n_when;
    mb_expect expect;
    bool has_oom, has_regression;
    mb_pos pos;
} mb_override;

typedef struct mb_images {
    char *dir;              /* user photos (absolute or resolved against the
                               scenario's folder), NULL = generated fixtures */
    int per_job;            /* images per job, default 32 */
    mb_image_format format; /* for generated fixtures */
    bool as_is;             /* images.dir: take files as they are instead of
                               grouping them by size */
    bool allow_unreadable;  /* images.allow_unreadable: photos that cannot be
                               read are listed but do not fail the cell */
    mb_pos dir_pos;         /* where images.dir is written, for messages */
} mb_images;

/* Fault injection, for testing the harness itself (`fault:`); all off by
 * default and never meant for real measurements. */
typedef struct mb_fault {
    bool emulate_mps_accounting; /* the MPS watermark check with the seed's garbage
                                    "other allocations": fix-off cells OOM on any device */
    int crash_after_jobs;        /* > 0: the worker kills itself (SIGKILL) as it takes job N+1 */
    int hang_after_jobs;         /* > 0: the worker stops answering as it takes job N+1 */
    double slowdown;             /* each job takes this fraction longer */
} mb_fault;

/* `search: {batch_size: frontier, max_batch_size: N}`: instead of measuring
 * the batch_size axis, find the largest batch that fits (doubling, then
 * bisecting) for every other combination of axes. */
typedef struct mb_search {
    bool batch_frontier;
    int max_batch_size;          /* default 1024 */
} mb_search;

/* `worker:` — how the RQ worker is started and what it runs.  The kind
 * itself is the "worker" axis (worker.kind is a one-value axis, as run.exec
 * is), so one scenario can run both kinds on the same images. */
typedef struct mb_worker_opts {
    char **command;         /* argv with {redis}, {queue}, {name}, {class}
                               placeholders; a relative program path is
                               resolved against the scenario's folder */
    size_t n_command;
    char *function;         /* dotted path of the job function */
    char *queue;            /* queue name (the run adds its namespace) */
    char **pythonpath;      /* resolved folders put first on PYTHONPATH */
    size_t n_pythonpath;
    /* The native worker executable, when not the run's own (the candidate
     * side of an A/B run); borrowed, NULL = mpsbench-worker. */
    const char *native_path;
} mb_worker_opts;

typedef struct mb_scenario {
    char *path;             /* as given */
    char *dir;              /* folder of the file, for resolving paths */
    char *name;
    char *model;            /* "builtin:tiny|resnet18|resnet50" or a resolved file path */
    mb_pos model_pos;       /* where `model:` is written ({0,0}: the default) */
    int input_size;         /* model input side in pixels; 0 = native */
    mb_resize_on resize_on;
    mb_scenario_decode decode;
    mb_images images;
    mb_axis *axes;          /* worker-config axes first (worker, device,
                               watermark_fix, exec, precision, env.*), then
                               image_size, batch_size */
    size_t n_axes;
    mb_run_opts run;
    mb_expect expect;
    mb_override *overrides;
    size_t n_overrides;
    char **require;         /* devices that must be usable (skip -> failure) */
    size_t n_require;
    /* Axes whose cells are compared round by round (`contrasts:`); the
     * watermark fix and the worker kind always are. */
    char **contrasts;
    size_t n_contrasts;
    /* Parallel to contrasts: the `max_cost` gate of each ({axis: NAME,
     * max_cost: 2%}), a fraction; NAN when the contrast only informs. */
    double *contrast_max_cost;
    mb_fault fault;
    mb_search search;
    mb_worker_opts worker;
} mb_scenario;

/* Scenario files are read with this cap. */
#define MB_SCENARIO_MAX_BYTES (1024 * 1024)
/* A matrix larger than run.max_cells (this by default) needs --yes. */
#define MB_SCENARIO_MAX_CELLS_DEFAULT 2000

/* Loads and validates a scenario.  On failure returns MB_ESCENARIO with
 * err->msg = "file:line:column: key: reason". */
int mb_scenario_load(const char *path, mb_scenario **out, mb_err *err);
/* The same from memory; `name` stands for the file in messages and `dir`
 * for resolving relative paths. */
int mb_scenario_load_string(const char *text, size_t len, const char *name,
                            const char *dir, mb_scenario **out, mb_err *err);
void mb_scenario_free(mb_scenario *s);

/* The reference of every scenario key (key, type, default, accepted
 * values, meaning) as a Markdown table, generated from the loader's schema
 * table (heap).  The README's scenario reference is this text. */
char *mb_scenario_reference_markdown(void);
/* The lines between the README's markers (MB_SCENARIO_REFERENCE_BEGIN's
 * line and MB_SCENARIO_REFERENCE_END's line), or NULL when either is
 * missing (heap). */
char *mb_scenario_reference_section(const char *readme);
/* readme with that section replaced by the generated reference, or NULL
 * when a marker is missing (heap). */
char *mb_scenario_reference_splice(const char *readme);
#define MB_SCENARIO_REFERENCE_BEGIN "<!-- BEGIN scenario-keys"
#define MB_SCENARIO_REFERENCE_END "<!-- END scenario-keys -->"

/* The axis called name, or NULL. */
const mb_axis *mb_scenario_axis(const mb_scenario *s, const char *name);
/* Replaces (or adds) an axis with values from a comma-separated list, as
 * `mpsbench run --device cuda,cpu` does.  Validates like the loader. */
int mb_scenario_set_axis(mb_scenario *s, const char *name, const char *csv, mb_err *err);

/* One point of the matrix with everything a run needs, overrides applied. */
typedef struct mb_cell {
    size_t index;
    char *name;             /* Google Benchmark name, e.g.
                               "embed/device:cpu/fix:on/image:224x224/batch:8" */
    char **values;          /* parallel to scenario axes */
    mb_worker_kind worker_kind;
    const char *device;     /* "cpu" | "cuda" | "mps" | "auto" */
    bool watermark_fix;
    int batch_size;
    int image_width, image_height;  /* 0,0 for images.dir taken as is */
    char *precision;        /* "fp32" | "fp16" | "bf16" */
    mb_kv *env;             /* env.* axes, in axis order */
    size_t n_env;
    mb_expect expect;
    mb_run_opts run;
    char *worker_key;       /* equal for cells one worker process can serve:
                               worker kind, device, fix, exec, precision, env,
                               threads, memory_limit */
} mb_cell;

/* Cartesian product of the axes, in axis order (so cells sharing a worker are
 * contiguous), with overrides applied.  *cells is an array of *n. */
int mb_matrix_expand(const mb_scenario *s, mb_cell **cells, size_t *n, mb_err *err);
void mb_cells_free(mb_cell *cells, size_t n);

#endif

/* results.json read back: a Google Benchmark JSON file (as `mpsbench run`
 * writes it, or a stored baseline with its history) loaded and checked
 * once, reduced to what compare's rule, the baseline's machine key and the
 * charts need.  A failed repetition has no row (README, results.json), so
 * its failure comes from the run.json beside a run directory's own
 * results.json (run_dir.h); any other file's failures are its own rows.  A
 * failure is never a throughput. */
#ifndef MB_RESULTS_FILE_H
#define MB_RESULTS_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

/* One repetition's row (run_type "iteration"), as the charts read it. */
typedef struct mb_res_gb_row {
    bool error;             /* error_occurred: a failed repetition (older files) */
    char *error_message;    /* or NULL */
    int iterations;         /* jobs in the repetition; 1 when not recorded */
    int oom_count;
    double images_per_second;           /* NAN when absent */
    double real_time;                   /* ms per job; 0 when absent */
    double stage_ms[4];     /* decode, preprocess, transfer, forward; 0 when absent */
    double peak_rss_bytes, peak_device_bytes;   /* 0 when absent */
} mb_res_gb_row;

/* One cell of a results file: its successful repetitions' throughputs and
 * what went wrong with the others. */
typedef struct mb_res_gb_cell {
    char *name;             /* without "/iterations:..." */
    char *device;           /* the name's "device:" part, or NULL */
    double *ips;            /* images_per_second of each successful repetition */
    size_t n_ips;
    size_t n_failed;        /* failed repetitions: rows with error_occurred (older
                             * files), or from the run.json beside a run's
                             * results.json */
    char *first_error;      /* the first of their messages, or NULL */
    size_t n_no_counter;    /* successful rows without images_per_second */
    mb_res_gb_row *rows;    /* every repetition row of the file, in order */
    size_t n_rows;
} mb_res_gb_cell;

typedef struct mb_res_gb_file {
    char *path;             /* the file read (a directory resolved to its results.json) */
    char *text;             /* its bytes, NUL-terminated */
    size_t len;
    char *torch_version;    /* from context.mpsbench_devices, or NULL */
    bool has_context;       /* the file has a "context" object */
    char *os;               /* context.os, or NULL */
    char *machine;          /* context.machine (the architecture), or NULL */
    long num_cpus;          /* context.num_cpus, or 0 */
    void *devices;          /* json_t *: the probe's "devices" object, or NULL */
    void *probe;            /* json_t *: the parsed probe that owns it */
    mb_res_gb_cell *cells;     /* in order of first appearance */
    size_t n_cells;
} mb_res_gb_file;

/* A run directory means its results.json; anything else is taken as a file.
 * Returns a heap string. */
char *mb_res_results_path(const char *path);

/* The run.json that speaks for a results file (heap), or NULL: only a run
 * directory's own results.json has one, DIR/run.json beside it, whether or
 * not it exists.  Any other file in a run folder (a stored
 * baseline-results.json, a copy, another program's Google Benchmark JSON)
 * is not that run's: its thresholds, its failures and whether it finished
 * are not in that run.json. */
char *mb_res_gb_run_json(const char *results_path);

/* Loads and checks path.  Any fault (unreadable, not JSON, not Google
 * Benchmark's shape, a counter that is not a number, a probe that is not
 * JSON) fails with err_code and a message that starts with the path.  On
 * failure *out is left cleared. */
int mb_res_gb_load(const char *path, int err_code, mb_res_gb_file *out, mb_err *err);
void mb_res_gb_clear(mb_res_gb_file *f);
const mb_res_gb_cell *mb_res_gb_find(const mb_res_gb_file *f, const char *name);

/* The runs a stored baseline holds: `mpsbench baseline update` keeps the
 * file a valid results.json of its latest run and adds
 *   "mpsbench_history": {"format": 1, "runs": [
 *       {"added": ISO time, "source": path, "context": {...},
 *        "benchmarks": [...]}, ...]}
 * oldest run first, the latest last.  A file without it is a plain results
 * file: is_history false and no runs. */
typedef struct mb_res_gb_history {
    bool is_history;
    mb_res_gb_file *runs;      /* each with its path, context and cells */
    size_t n_runs;
} mb_res_gb_history;

/* Reads the history of an already loaded file f.  A history that is present
 * but malformed fails with err_code and a message naming f and the run. */
int mb_res_gb_load_history(const mb_res_gb_file *f, int err_code, mb_res_gb_history *out, mb_err *err);
void mb_res_gb_history_clear(mb_res_gb_history *h);

/* The probe's description of a device ("AMD EPYC, 2 CPUs" for the CPU, the
 * GPU's name otherwise), heap string; NULL when the file does not say. */
char *mb_res_gb_device_description(const mb_res_gb_file *f, const char *device);

#endif

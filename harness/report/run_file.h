/* run.json read back: the numbers every report and export is rendered from.
 * `mpsbench run` writes run.json first and renders junit.xml and the
 * exports from it, and `mpsbench report` does the same for an existing run
 * directory, so both give the same files.  A figure run.json cannot give
 * (no successful repetition, no measured job) is NAN, never a made-up 0. */
#ifndef MB_RUN_FILE_H
#define MB_RUN_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"
#include "run_dir.h"

typedef struct mb_rf_cell {
    char *name;             /* "<scenario>/<cell>", as in results.json */
    char *scenario;
    char *device;
    bool watermark_fix;
    int batch_size;         /* 0 for a frontier search */
    char *image;            /* "1024x768", or "as is" */
    char *verdict;          /* "pass", "fail", "skipped" */
    char *reason;           /* or NULL */
    char *skip_reason;      /* or NULL */
    char *expect_oom;       /* "never", "allowed", "expected" */
    bool frontier;
    int n_ok, n_oom, n_crashed, n_timeout, n_error;
    size_t n_jobs;          /* every job record, warm-up included */
    size_t n_reps, n_failed_reps;
    double images_per_second;           /* median over successful repetitions */
    double latency_p50_ms, latency_p90_ms, latency_p99_ms;  /* measured ok jobs */
    double peak_rss_bytes, peak_device_bytes;               /* NAN when none */
    double seconds;         /* the jobs' latencies added up */
    bool compared;          /* the run compared this cell with a baseline */
    char *compare_verdict;  /* "regression", ... */
    double change, ci_low, ci_high, p_value, threshold;
    char *compare_reason;
} mb_rf_cell;

typedef struct mb_run_file {
    mb_res_run run;         /* the whole run.json, as results/ reads it */
    char *dir;
    char *status;           /* "passed", "failed", "incomplete", "running" */
    char *written_at;
    char *hostname;
    char *torch_version;    /* or NULL */
    bool any_compared;      /* the run had a baseline (or was an A/B run) */
    mb_rf_cell *cells;
    size_t n_cells;
} mb_run_file;

/* Reads RUN_DIR/run.json (mb_res_run_load).  MB_EIO when it cannot be read,
 * MB_EINVAL when it is not a valid run.json, the file and field named.  *out is cleared on failure; free with
 * mb_run_file_free (NULL-safe). */
int mb_run_file_load(const char *run_dir, mb_run_file *out, mb_err *err);
void mb_run_file_free(mb_run_file *f);

#endif

/* `mpsbench run`: scenario files -> cells -> jobs through Redis -> a real
 * worker per worker configuration -> Google Benchmark -> a run directory
 * (results.json, run.json, junit.xml, summary.md, logs/). */
#ifndef MB_RUN_H
#define MB_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

typedef struct mb_run_config {
    const char **scenarios;     /* scenario file paths */
    size_t n_scenarios;
    const char *out_dir;        /* run directory; NULL = results/runs/<time>-<name> */
    const char *devices;        /* --device cuda,cpu: replaces every scenario's device axis */
    const char *redis_url;      /* --redis URL; NULL = embedded redis-server */
    const char *baseline;       /* --baseline FILE: compare within the run */
    bool threshold_set;         /* --threshold: overrides expect.regression */
    double threshold;
    bool fail_on_inconclusive;  /* --fail-on-inconclusive: an inconclusive cell is exit 1 */
    bool no_charts;             /* --no-charts */
    const char *worker_path;    /* mpsbench-worker executable */
    const char *image_cache;    /* where generated fixture images live */
    bool seed_set;              /* --seed: the interleaved order's seed */
    unsigned long long seed;    /* otherwise one is drawn and recorded */
    bool progress;              /* live progress line (a terminal) */
    bool quiet;
} mb_run_config;

/* Runs everything and returns the CLI exit code (0 all expectations met,
 * 1 an expectation failed, 2 bad scenario, 3 infrastructure); err says why
 * for 2 and 3.  *run_dir_out (may be NULL) receives the run directory. */
int mb_run(const mb_run_config *cfg, char **run_dir_out, mb_err *err);

#endif

/* `mpsbench run`: scenario files -> cells -> jobs through Redis -> a real
 * worker per worker configuration -> Google Benchmark -> a run directory
 * (results.json, run.json, junit.xml, summary.md, logs/). */
#ifndef MB_RUN_H
#define MB_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"
#include "mb_outcome.h"

/* Command-line values that replace the scenario's run: settings in every
 * cell (--jobs, --warmup-jobs, --repetitions).  Recorded in run.json's
 * "overrides"; benchmark names do not carry them, so histories keep their
 * names. */
typedef struct mb_run_overrides {
    bool jobs_set, warmup_jobs_set, repetitions_set;
    int jobs;               /* 1 .. 100000 */
    int warmup_jobs;        /* 0 .. 100000 */
    int repetitions;        /* 1 .. 1000; a fixed count, adaptive off */
} mb_run_overrides;

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
    bool assume_no_drift;       /* --assume-no-drift: judge a plain results.json baseline on
                                   the repetitions alone (mb_compare_options) */
    bool no_charts;             /* --no-charts */
    const char *worker_path;    /* mpsbench-worker executable */
    const char *image_cache;    /* where generated fixture images live */
    /* A/B of two workers in one run: every cell runs on both sides,
     * interleaved, and each is judged on the paired per-round ratios.  The
     * candidate is another worker executable (a native mpsbench-worker
     * build, or for the RQ kind a Python interpreter), or the same worker
     * with other environment variables or faults (KEY=VALUE, as the
     * scenario's fault: keys). */
    const char *candidate_worker;
    const char **candidate_env;     /* NAME=VALUE */
    size_t n_candidate_env;
    const char **candidate_fault;   /* KEY=VALUE */
    size_t n_candidate_fault;
    bool seed_set;              /* --seed: the interleaved order's seed */
    unsigned long long seed;    /* otherwise one is drawn and recorded */
    bool force;                 /* --force: a non-empty --out folder may be reused */
    bool yes;                   /* --yes: run a matrix above run.max_cells */
    /* --filter REGEX (POSIX ERE, repeatable): only the cells whose
     * benchmark name matches one of them run. */
    const char **filters;
    size_t n_filters;
    mb_run_overrides overrides;
    bool list;                  /* --list: print the cells, run nothing */
    bool progress;              /* live progress line (a terminal) */
    bool quiet;
} mb_run_config;

/* Runs everything.  Returns 0 or the MB_E* code that ended or spoiled the
 * run (err says why), and fills *outcome (may be NULL) with what the run
 * judged: failed cells, OOMs, gates, verdicts, an interrupt (err then says
 * where the partial results are).  The CLI turns both into the exit code
 * (mb_exit_code, core/mb_exit.h).  *run_dir_out (may be NULL) receives the run
 * directory. */
int mb_run(const mb_run_config *cfg, char **run_dir_out, mb_outcome *outcome, mb_err *err);

/* Asks the run in progress (or the next one) to stop: the jobs in flight
 * are recorded as interrupted, the cells not finished as incomplete, and
 * the reports are written.  Async-signal-safe: the library installs no
 * signal handler; the program's SIGINT/SIGTERM handler calls this, before
 * mb_run starts so that an interrupt during set-up is heard too.  The
 * program should also ignore SIGPIPE, so that a Redis connection dying
 * under a write is an error to report rather than the harness's death. */
void mb_run_request_stop(void);

#endif

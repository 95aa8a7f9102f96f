/* The detector benchmark's shared parts: its configuration, the rounds it
 * measured, and the figures its analysis gives, used by the measurement
 * and analysis (bench_detector.c) and the report (detector_report.c). */
#ifndef MB_BENCH_DETECTOR_H
#define MB_BENCH_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "detector_logic.h"
#include "mb_error.h"
#include "process.h"
#include "queue.h"
#include "redis_server.h"

/* Pair 0 is A/A', pair 1 A against 5% slower, pair 2 against 10%. */
#define N_PAIRS 3
#define N_SIDES 2
#define MAX_REP_COUNTS 16
#define MAX_SESSIONS 256

enum { MODE_SEQUENTIAL, MODE_AB, MODE_HISTORY, N_MODES };

extern const char *const mb_det_mode_names[N_MODES];

typedef struct det_config {
    int rounds;                 /* per session */
    int sessions;
    int jobs;                   /* per repetition */
    int warmup_jobs;            /* per worker */
    int per_job;                /* images per job */
    int batch;
    int width, height;
    int input_size;
    int threads;
    int history_runs;           /* K */
    double threshold;
    double slowdown[N_PAIRS];
    int rep_counts[MAX_REP_COUNTS];
    int n_rep_counts;
    int resamples;
    bool modes[N_MODES];
    const char *json_path;
    const char *worker;
    const char *model;
} det_config;

/* One round of one session: images per second and seconds of each pair's
 * two repetitions. */
typedef struct det_round {
    int session;
    double a[N_PAIRS], b[N_PAIRS];
    double sec_a[N_PAIRS], sec_b[N_PAIRS];
} det_round;

typedef struct det {
    det_config cfg;
    char *tmp;
    mb_redis_server redis;
    mb_queue *q;
    char *jobs_key[N_SIDES], *results_key, *hello_key;
    char results_last[64];
    mb_proc worker[N_SIDES];
    char **images;
    long next_job;
    det_round *rounds;
    size_t n_rounds;
    size_t first[MAX_SESSIONS], len[MAX_SESSIONS];  /* rounds of each session */
    double load_start[3], load_end[3];
    double seconds;
    bool interrupted;           /* cut short: only the finished sessions count */
} det;

typedef struct det_figures {
    mb_det_tally tally[N_PAIRS];
    double mde;                 /* median MDE of the A/A trials */
} det_figures;

typedef struct mode_result {
    det_figures resampled, disjoint;
    double minutes;
} mode_result;

/* The noise each design sees: the median over sessions of the CV of a
 * session's A repetitions (sequential within a run), the CV of the
 * sessions' medians (between runs: sequential and history), and the
 * median over sessions of the standard deviation of log(A'/A) (ab). */
typedef struct det_noise {
    double within, between, paired;
} det_noise;

/* What a sequential or history run measures of a condition in a round: the
 * baseline's A, or the slowed candidate (B of pair 1 or 2; for A/A trials
 * the current run is A again, from another session). */
static inline double seq_value(const det_round *r, int cond)
{
    return cond == 0 ? r->a[0] : r->b[cond];
}

/* The tables on stdout, and the JSON file (--json). */
void mb_det_print_report(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS]);
int mb_det_write_json(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS], mb_err *err);

#endif

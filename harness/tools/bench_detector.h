/* The detector benchmark's shared parts: its configuration, the rounds it
 * measured (or read back), and the figures its analysis gives.  The
 * program is four files with one job each:
 *   bench_detector.c     options, the measurement on real workers, main;
 *   detector_analysis.c  the designs' verdicts on the rounds (the rates);
 *   detector_report.c    the tables on stdout and the JSON file;
 *   detector_replay.c    the raw rounds file (--rounds-out, --replay);
 *   detector_live.c      the fresh design measured live: new workers every
 *                        round, and the variants that look for the cause of
 *                        a worker process's lasting offset. */
#ifndef MB_BENCH_DETECTOR_H
#define MB_BENCH_DETECTOR_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
#define MAX_VARIANTS 8
#define MAX_STREAMS 64

/* ab_fresh and fresh come last so that the other designs keep their seeds
 * (and figures) from before they were added.  fresh is measured on its
 * own (live rounds, not sessions), so `--mode all` leaves it out. */
enum { MODE_SEQUENTIAL, MODE_AB, MODE_HISTORY, MODE_AB_FRESH, MODE_FRESH, N_MODES };

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
    double alpha;               /* the verdicts' significance level (--alpha) */
    double slowdown[N_PAIRS];
    int rep_counts[MAX_REP_COUNTS];
    int n_rep_counts;
    int resamples;
    bool modes[N_MODES];
    const char *json_path;
    const char *worker;
    const char *model;
    const char *machine_note;   /* --machine-note: how the machine was shared or pinned */
    const char *rounds_path;    /* --rounds-out: the raw rounds, saved before the analysis */
    const char *replay_path;    /* --replay: analyse such a file instead of measuring */
    char *replay_paths[MAX_STREAMS]; /* fresh: several, each one stream (owned) */
    int n_replay;
    int variants[MAX_VARIANTS]; /* fresh: indexes into mb_det_variants, rounds rotate */
    int n_variants;
    double max_seconds;         /* fresh: start no round after this long (0: no bound) */
    bool counts_given;          /* --repetitions given (else the design's defaults) */
} det_config;

/* One round of one session: images per second and seconds of each pair's
 * two repetitions.  A live round of the fresh design is a session of its
 * own (two new workers) and also records its variant and what its two
 * workers cost before measuring: start (spawn to hello) and warm-up. */
typedef struct det_round {
    int session;
    double a[N_PAIRS], b[N_PAIRS];
    double sec_a[N_PAIRS], sec_b[N_PAIRS];
    int variant;
    double start_sec, warm_sec;
    int stream;                 /* replayed: which --replay file (CPU slice) */
} det_round;

/* A way of starting the fresh design's workers (detector_live.c), each
 * testing one suspected cause of a process's lasting offset. */
typedef struct det_variant {
    const char *name;
    const char *what;
    const char *env[4];         /* NAME=VALUE pairs added to the environment */
    const char *extra[3];       /* worker options, NULL-terminated */
    bool no_aslr;               /* Linux: personality(ADDR_NO_RANDOMIZE) */
    bool no_thp;                /* Linux: prctl(PR_SET_THP_DISABLE) */
} det_variant;

extern const det_variant mb_det_variants[];
extern const int mb_det_n_variants;
/* The variant's index, or -1. */
int mb_det_variant_find(const char *name);
/* Sets (on) or clears (off) the variant's process attributes on this
 * process, which a worker spawned in between inherits (no_aslr, no_thp);
 * 0, or -1 with errno where the system refuses or lacks them. */
int mb_det_variant_attributes(const det_variant *v, bool on);

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
    json_t *machine;            /* replayed: the measuring machine's block */
    json_t *streams;            /* replayed fresh rounds: per file, its machine */
    int n_streams;              /* 1 when measured live */
} det;

typedef struct det_figures {
    mb_det_tally tally[N_PAIRS];
    double mde;                 /* median MDE of the A/A trials */
} det_figures;

typedef struct mode_result {
    det_figures resampled, disjoint;
    double minutes;
} mode_result;

/* What a sequential or history run measures of a condition in a round: the
 * baseline's A, or the slowed candidate (B of pair 1 or 2; for A/A trials
 * the current run is A again, from another session). */
static inline double seq_value(const det_round *r, int cond)
{
    return cond == 0 ? r->a[0] : r->b[cond];
}

/* detector_analysis.c: the resampled and disjoint verdicts of one design
 * at n repetitions; for the fresh design, of one variant's live rounds. */
void mb_det_analyse(const det *d, int mode, int n, mode_result *out);
void mb_det_analyse_fresh(const det *d, int variant, int n, mode_result *out);

/* bench_detector.c: a worker of one side started (with a variant's
 * changes, -1 for none) and awaited; one round of the three pairs on the
 * two workers d->worker[] (the signal flag is the program's). */
int mb_det_start_worker(det *d, const char *id, int side, int variant, mb_err *err);
int mb_det_run_job(det *d, int side, double slowdown, int *images, mb_err *err);
int mb_det_run_round(det *d, int session, uint64_t *rng, det_round *r, mb_err *err);
extern volatile sig_atomic_t mb_det_interrupted;

/* detector_live.c: the fresh design's live rounds, each with two new
 * workers, the variants in a shuffled rotation. */
int mb_det_measure_live(det *d, mb_err *err);

/* detector_report.c: the tables on stdout, the JSON file (--json), and the
 * machine block both carry (the replayed one, or this machine's). */
void mb_det_print_report(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS]);
/* The fresh design's report: res[v][i] is variant v at the i-th count. */
void mb_det_print_fresh(const det *d, mode_result res[MAX_VARIANTS][MAX_REP_COUNTS]);
int mb_det_write_fresh_json(const det *d, mode_result res[MAX_VARIANTS][MAX_REP_COUNTS],
                            mb_err *err);
int mb_det_write_json(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS], mb_err *err);
json_t *mb_det_machine_json(const det *d);

/* detector_replay.c: saves the rounds measured to cfg.rounds_path; reads
 * cfg.replay_path into the rounds, the sessions' spans and the measurement's
 * configuration, as the measurement leaves them.  *meta stays referenced
 * by the caller (cfg.model points into it). */
int mb_det_save_rounds(const det *d, mb_err *err);
int mb_det_replay(det *d, json_t **meta, mb_err *err);

#endif

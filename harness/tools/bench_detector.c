/* mpsbench-bench-detector: how often each regression design of compare.h
 * cries wolf, and how often it catches a real slowdown, measured on real
 * worker processes (the tiny model on the CPU) rather than on synthetic
 * noise.
 *
 * It starts a throwaway redis-server and, in turn, several sessions, each
 * standing for one `mpsbench run` and each with two worker processes, side
 * A (the baseline build) and side B (the candidate).  A session measures
 * rounds; a round holds three pairs in a shuffled order, and a pair is one
 * repetition on A with no slowdown and one on B, back to back in a random
 * order, as the runner's A/B rounds do: B with no slowdown (A', for A/A),
 * with the worker's injected fault_slowdown of 5%, and of 10%.  A
 * repetition is N jobs, images over wall time, one job in flight.
 *
 * Then, for each repetition count n under study, three designs judge the
 * same measurements:
 *   sequential  today's two-file rule: n consecutive rounds' A (or the
 *               slowed B) of one session against n rounds' A of another
 *               session, mb_compare_samples;
 *   ab          n consecutive rounds of one session, A against B of the
 *               same pair, mb_compare_paired;
 *   history     the medians of K sessions' windows of A as a stored
 *               baseline against n rounds of another session,
 *               mb_compare_history.
 * A/A trials give the false-alarm rate, the 5% and 10% trials the
 * detection rates.  Disjoint trials (every window used once) give honest
 * but coarse counts; resampled trials (random windows, many more, not
 * independent) a smoother estimate of the same rates. */
#ifdef __linux__
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#endif
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "detector_logic.h"
#include "detector_rounds.h"
#include "fixtures.h"
#include "mb_opts.h"
#include "mb_util.h"
#include "process.h"
#include "protocol.h"
#include "queue.h"
#include "redis_server.h"
#include "stats.h"

/* Pair 0 is A/A', pair 1 A against 5% slower, pair 2 against 10%. */
#define N_PAIRS 3
#define N_SIDES 2
#define MAX_REP_COUNTS 16
#define MAX_SESSIONS 256

enum { MODE_SEQUENTIAL, MODE_AB, MODE_HISTORY, N_MODES };

static const char *const mode_names[N_MODES] = {"sequential", "ab", "history"};

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
    const char *machine_note;   /* --machine-note: how the machine was shared or pinned */
    const char *rounds_path;    /* --rounds-out: the raw rounds, saved before the analysis */
    const char *replay_path;    /* --replay: analyse such a file instead of measuring */
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
    json_t *machine;            /* replayed: the measuring machine's block */
} det;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- the measurement ------------------------------------------------------ */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void read_load(double out[3])
{
    out[0] = out[1] = out[2] = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL)
        return;
    if (fscanf(f, "%lf %lf %lf", &out[0], &out[1], &out[2]) != 3)
        out[0] = out[1] = out[2] = NAN;
    fclose(f);
}

static int start_worker(det *d, int session, int side, mb_err *err)
{
    char id[32], threads[16], log_name[64];
    snprintf(id, sizeof id, "det%d%c", session, side ? 'b' : 'a');
    snprintf(threads, sizeof threads, "%d", d->cfg.threads);
    snprintf(log_name, sizeof log_name, "worker-%s.log", id);
    char *log = mb_asprintf("%s/%s", d->tmp, log_name);
    const char *argv[] = {
        d->cfg.worker, "--redis", mb_queue_url(d->q), "--jobs", d->jobs_key[side],
        "--results", d->results_key, "--id", id, "--hello-key", d->hello_key,
        "--device", "cpu", "--model", d->cfg.model, "--threads", threads, NULL,
    };
    mb_queue_del(d->q, d->hello_key, NULL);
    int rc = mb_spawn((char *const *)argv, NULL, log, &d->worker[side], err);
    free(log);
    if (rc != 0)
        return rc;
    for (int i = 0; i < 3000 && !interrupted; i++) {
        char *hello = NULL;
        mb_queue_get(d->q, d->hello_key, &hello, NULL);
        if (hello != NULL) {
            bool ready = strstr(hello, "\"state\":\"ready\"") != NULL;
            free(hello);
            if (ready)
                return 0;
            return mb_err_set(err, MB_EWORKER, "the worker is not ready: see %s", d->tmp);
        }
        if (!mb_proc_alive(&d->worker[side]))
            return mb_err_set(err, MB_EWORKER, "the worker exited: see %s", d->tmp);
        sleep_ms(20);
    }
    return mb_err_set(err, MB_ETIMEOUT, "the worker did not say hello");
}

/* One job on one side's worker, submitted and awaited, as the runner does
 * with inflight 1. */
static int run_job(det *d, int side, double slowdown, int *images, mb_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "d.%ld", d->next_job++);
    mb_job job = {
        .id = id, .cell = "detector", .images = d->images, .n_images = (size_t)d->cfg.per_job,
        .batch_size = d->cfg.batch, .input_size = d->cfg.input_size,
        .fault_slowdown = slowdown,
    };
    char *payload = mb_job_encode(&job);
    int rc = mb_queue_add(d->q, d->jobs_key[side], "job", payload, strlen(payload), NULL, err);
    free(payload);
    if (rc != 0)
        return rc;
    double deadline = mb_now_ms() + 120000;
    while (mb_now_ms() < deadline && !interrupted) {
        char *text = NULL;
        size_t len = 0;
        int got = mb_queue_read(d->q, d->results_key, d->results_last, "result", 200, &text,
                                &len, err);
        if (got < 0)
            return got;
        if (got == 0) {
            if (!mb_proc_alive(&d->worker[side]))
                return mb_err_set(err, MB_EWORKER, "the worker died: see %s", d->tmp);
            continue;
        }
        mb_result r = {0};
        rc = mb_result_decode(text, len, &r, err);
        free(text);
        if (rc != 0)
            return rc;
        bool mine = strcmp(r.job_id, id) == 0;
        bool ok = r.status == MB_JOB_OK;
        *images = r.images;
        if (mine && !ok)
            mb_err_set(err, MB_EWORKER, "job %s: %s: %s", id, mb_job_status_name(r.status),
                       r.error ? r.error : "");
        mb_result_clear(&r);
        if (mine)
            return ok ? 0 : MB_EWORKER;
    }
    return mb_err_set(err, MB_ETIMEOUT, "no result for job %s", id);
}

/* Images per second of one repetition: its images over its wall time. */
static int run_repetition(det *d, int side, double slowdown, double *ips, double *seconds,
                          mb_err *err)
{
    double start = mb_now_ms();
    long images = 0;
    for (int j = 0; j < d->cfg.jobs; j++) {
        int n = 0;
        int rc = run_job(d, side, slowdown, &n, err);
        if (rc != 0)
            return rc;
        images += n;
    }
    *seconds = (mb_now_ms() - start) / 1000.0;
    *ips = *seconds > 0 ? (double)images / *seconds : 0;
    return 0;
}

/* One round: the three pairs in a shuffled order, each pair's two sides
 * back to back in a random order. */
static int run_round(det *d, int session, uint64_t *rng, det_round *r, mb_err *err)
{
    int order[N_PAIRS] = {0, 1, 2};
    for (int i = N_PAIRS - 1; i > 0; i--) {
        int j = (int)mb_det_rng_below(rng, (size_t)i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    r->session = session;
    int rc = 0;
    for (int k = 0; rc == 0 && k < N_PAIRS; k++) {
        int p = order[k];
        int first = (int)mb_det_rng_below(rng, 2);
        for (int i = 0; rc == 0 && i < N_SIDES; i++) {
            int side = i == 0 ? first : 1 - first;
            if (side == 0)
                rc = run_repetition(d, 0, 0, &r->a[p], &r->sec_a[p], err);
            else
                rc = run_repetition(d, 1, d->cfg.slowdown[p], &r->b[p], &r->sec_b[p], err);
        }
    }
    return rc;
}

/* Measures the sessions in turn.  On SIGINT or SIGTERM the session in
 * progress is dropped whole and the finished ones are reported, so that a
 * long measurement cut short still says what it saw. */
static int measure(det *d, mb_err *err)
{
    uint64_t rng = 42;
    double start = mb_now_ms();
    int done = 0;
    d->rounds = mb_calloc((size_t)d->cfg.sessions * (size_t)d->cfg.rounds, sizeof(det_round));
    for (int s = 0; s < d->cfg.sessions && !interrupted; s++) {
        int rc = 0;
        for (int side = 0; rc == 0 && side < N_SIDES; side++)
            rc = start_worker(d, s, side, err);
        for (int w = 0; rc == 0 && w < d->cfg.warmup_jobs; w++) {
            int n;
            for (int side = 0; rc == 0 && side < N_SIDES; side++)
                rc = run_job(d, side, 0, &n, err);
        }
        d->first[s] = d->n_rounds;
        for (int i = 0; rc == 0 && i < d->cfg.rounds && !interrupted; i++) {
            rc = run_round(d, s, &rng, &d->rounds[d->n_rounds], err);
            if (rc == 0)
                d->n_rounds++;
        }
        for (int side = 0; side < N_SIDES; side++)
            mb_proc_stop(&d->worker[side], 5000);
        if (interrupted) {
            d->n_rounds = d->first[s];
            break;
        }
        if (rc != 0)
            return rc;
        d->len[s] = d->n_rounds - d->first[s];
        done = s + 1;
        fprintf(stderr, "\rsession %d/%d done (%zu rounds, %.0f s)   ", s + 1,
                d->cfg.sessions, d->n_rounds, (mb_now_ms() - start) / 1000);
        fflush(stderr);
    }
    fputc('\n', stderr);
    if (!interrupted)
        return 0;
    d->interrupted = true;
    if (done < 2)
        return mb_err_set(err, MB_EINVAL, "interrupted before two sessions finished");
    fprintf(stderr, "interrupted: reporting the %d finished sessions\n", done);
    d->cfg.sessions = done;
    if (d->cfg.history_runs + 1 > done)
        d->cfg.modes[MODE_HISTORY] = false;
    return 0;
}

/* ---- the analysis ----------------------------------------------------------- */

/* What a sequential or history run measures of a condition in a round: the
 * baseline's A, or the slowed candidate (B of pair 1 or 2; for A/A trials
 * the current run is A again, from another session). */
static double seq_value(const det_round *r, int cond)
{
    return cond == 0 ? r->a[0] : r->b[cond];
}

static void fill_seq(const det *d, size_t s, size_t start, int n, int cond, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = seq_value(&d->rounds[d->first[s] + start + (size_t)i], cond);
}

typedef struct trial_buf {
    double *x, *y, *medians;
    double *mdes;               /* of the A/A trials */
    size_t n_mdes, cap_mdes;
} trial_buf;

typedef struct det_figures {
    mb_det_tally tally[N_PAIRS];
    double mde;                 /* median MDE of the A/A trials */
} det_figures;

typedef struct mode_result {
    det_figures resampled, disjoint;
    double minutes;
} mode_result;

static void note_mde(trial_buf *t, double mde)
{
    if (isnan(mde))
        return;
    if (t->n_mdes == t->cap_mdes) {
        t->cap_mdes = t->cap_mdes ? 2 * t->cap_mdes : 256;
        t->mdes = mb_realloc(t->mdes, t->cap_mdes * sizeof(double));
    }
    t->mdes[t->n_mdes++] = mde;
}

static void finish_mde(trial_buf *t, det_figures *f)
{
    f->mde = t->n_mdes ? mb_stats_median(t->mdes, t->n_mdes) : NAN;
    t->n_mdes = 0;
}

/* One verdict of a mode, its inputs already in t->x (baseline side: the A
 * values, or for history the K run medians in t->medians) and t->y. */
static void judge(const det *d, int mode, int cond, int n, trial_buf *t, det_figures *f)
{
    mb_compare_cell c;
    memset(&c, 0, sizeof c);
    double thr = d->cfg.threshold;
    if (mode == MODE_SEQUENTIAL)
        mb_compare_samples(t->x, (size_t)n, t->y, (size_t)n, thr, NULL, &c);
    else if (mode == MODE_AB)
        mb_compare_paired(t->x, t->y, (size_t)n, thr, NULL, &c);
    else
        mb_compare_history(t->medians, (size_t)d->cfg.history_runs, t->y, (size_t)n, thr,
                           NULL, &c);
    mb_det_tally_add(&f->tally[cond], c.verdict);
    if (cond == 0)
        note_mde(t, c.mde);
    free(c.reason);
}

static void fill_ab(const det *d, size_t s, size_t start, int n, int cond, double *a,
                    double *b)
{
    for (int i = 0; i < n; i++) {
        const det_round *r = &d->rounds[d->first[s] + start + (size_t)i];
        a[i] = r->a[cond];
        b[i] = r->b[cond];
    }
}

static void history_medians(const det *d, const size_t *sessions, const size_t *starts, int n,
                            trial_buf *t)
{
    for (int k = 0; k < d->cfg.history_runs; k++) {
        fill_seq(d, sessions[k], starts[k], n, 0, t->x);
        t->medians[k] = mb_stats_median(t->x, (size_t)n);
    }
}

/* Resampled trials: random sessions, random windows of n rounds. */
static void resampled(const det *d, int mode, int n, uint64_t *rng, trial_buf *t,
                      det_figures *f)
{
    size_t S = (size_t)d->cfg.sessions;
    size_t K = (size_t)d->cfg.history_runs;
    size_t hs[MAX_SESSIONS], hw[MAX_SESSIONS];
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (int i = 0; i < d->cfg.resamples; i++) {
            size_t sb = mb_det_rng_below(rng, S);
            size_t wb = mb_det_random_window(rng, d->len[sb], (size_t)n);
            if (wb >= d->len[sb])
                continue;
            if (mode == MODE_AB) {
                fill_ab(d, sb, wb, n, cond, t->x, t->y);
            } else if (mode == MODE_SEQUENTIAL) {
                size_t sa = mb_det_rng_below(rng, S - 1);
                sa += sa >= sb;
                size_t wa = mb_det_random_window(rng, d->len[sa], (size_t)n);
                if (wa >= d->len[sa])
                    continue;
                fill_seq(d, sa, wa, n, 0, t->x);
                fill_seq(d, sb, wb, n, cond, t->y);
            } else {
                if (!mb_det_pick_sessions(rng, S, sb, K, hs))
                    continue;
                bool ok = true;
                for (size_t k = 0; k < K; k++) {
                    hw[k] = mb_det_random_window(rng, d->len[hs[k]], (size_t)n);
                    ok = ok && hw[k] < d->len[hs[k]];
                }
                if (!ok)
                    continue;
                history_medians(d, hs, hw, n, t);
                fill_seq(d, sb, wb, n, cond, t->y);
            }
            judge(d, mode, cond, n, t, f);
        }
        if (cond == 0)
            finish_mde(t, f);
    }
}

/* Disjoint trials.  Windows are listed level by level (window 0 of every
 * session, then window 1, ...), so that neighbours come from different
 * sessions.  sequential: A/A pairs windows (0,1), (2,3)...; an A/B trial
 * takes window i's A against window i + 1's slowed B, so every window
 * serves once per column.  ab: every window is one trial per column.
 * history: window i is the new run, the baseline the same level's windows
 * of the K sessions after it (cyclically); new runs are disjoint, baselines
 * are shared between trials. */
static void disjoint(const det *d, int mode, int n, trial_buf *t, det_figures *f)
{
    size_t S = (size_t)d->cfg.sessions;
    size_t K = (size_t)d->cfg.history_runs;
    size_t max = 0;
    for (size_t s = 0; s < S; s++)
        max += mb_det_disjoint_windows(d->len[s], (size_t)n);
    size_t *ws = mb_calloc(max + 1, sizeof(size_t));
    size_t *wl = mb_calloc(max + 1, sizeof(size_t));
    size_t count = 0;
    for (size_t level = 0;; level++) {
        bool any = false;
        for (size_t s = 0; s < S; s++) {
            if (level >= mb_det_disjoint_windows(d->len[s], (size_t)n))
                continue;
            ws[count] = s;
            wl[count++] = level;
            any = true;
        }
        if (!any)
            break;
    }
    size_t hs[MAX_SESSIONS], hw[MAX_SESSIONS];
    for (int cond = 0; cond < N_PAIRS; cond++) {
        for (size_t i = 0; i < count; i++) {
            size_t start = wl[i] * (size_t)n;
            if (mode == MODE_AB) {
                fill_ab(d, ws[i], start, n, cond, t->x, t->y);
            } else if (mode == MODE_SEQUENTIAL) {
                size_t j = cond == 0 ? i + 1 : (i + 1) % count;
                if ((cond == 0 && (i % 2 == 1 || j >= count)) || ws[i] == ws[j])
                    continue;
                fill_seq(d, ws[i], start, n, 0, t->x);
                fill_seq(d, ws[j], wl[j] * (size_t)n, n, cond, t->y);
            } else {
                if (S < K + 1)
                    break;
                bool ok = true;
                for (size_t k = 0; k < K; k++) {
                    hs[k] = (ws[i] + 1 + k) % S;
                    hw[k] = start;
                    ok = ok && start + (size_t)n <= d->len[hs[k]];
                }
                if (!ok)
                    continue;
                history_medians(d, hs, hw, n, t);
                fill_seq(d, ws[i], start, n, cond, t->y);
            }
            judge(d, mode, cond, n, t, f);
        }
        if (cond == 0)
            finish_mde(t, f);
    }
    free(ws);
    free(wl);
}

/* Mean seconds of a repetition on side A and on side B. */
static void rep_seconds(const det *d, double *a, double *b)
{
    double sa = 0, sb = 0;
    for (size_t i = 0; i < d->n_rounds; i++)
        for (int p = 0; p < N_PAIRS; p++) {
            sa += d->rounds[i].sec_a[p];
            sb += d->rounds[i].sec_b[p];
        }
    size_t m = d->n_rounds * N_PAIRS;
    *a = m ? sa / (double)m : NAN;
    *b = m ? sb / (double)m : NAN;
}

/* Measuring time of the run that gets a verdict: n rounds of both sides
 * for ab; n repetitions of the new run for sequential and history, whose
 * baseline is measured once and stored.  Worker start and warm-up are left
 * out. */
static double minutes_per_verdict(const det *d, int mode, int n)
{
    double a, b;
    rep_seconds(d, &a, &b);
    return (mode == MODE_AB ? n * (a + b) : n * (a + b) / 2) / 60.0;
}

static void analyse(const det *d, int mode, int n, mode_result *out)
{
    memset(out, 0, sizeof *out);
    trial_buf t;
    memset(&t, 0, sizeof t);
    t.x = mb_calloc((size_t)n, sizeof(double));
    t.y = mb_calloc((size_t)n, sizeof(double));
    t.medians = mb_calloc((size_t)d->cfg.history_runs + 1, sizeof(double));
    uint64_t rng = 7 + (uint64_t)mode * 1000 + (uint64_t)n;
    resampled(d, mode, n, &rng, &t, &out->resampled);
    disjoint(d, mode, n, &t, &out->disjoint);
    out->minutes = minutes_per_verdict(d, mode, n);
    free(t.x);
    free(t.y);
    free(t.medians);
    free(t.mdes);
}

/* The change of condition cond's B against its A, paired round by round
 * (mb_det_paired_change): for cond 0 the difference between the two worker
 * processes (A/A'), for 1 and 2 what the injected slowdown did. */
static double paired_change(const det *d, int cond)
{
    double *a = mb_calloc(d->n_rounds + 1, sizeof(double));
    double *b = mb_calloc(d->n_rounds + 1, sizeof(double));
    for (size_t i = 0; i < d->n_rounds; i++) {
        a[i] = d->rounds[i].a[cond];
        b[i] = d->rounds[i].b[cond];
    }
    double change = mb_det_paired_change(a, b, d->n_rounds);
    free(a);
    free(b);
    return change;
}

static double median_of(const det *d, int cond)
{
    double *v = mb_calloc(d->n_rounds + 1, sizeof(double));
    for (size_t i = 0; i < d->n_rounds; i++)
        v[i] = seq_value(&d->rounds[i], cond);
    double m = mb_stats_median(v, d->n_rounds);
    free(v);
    return m;
}

/* The noise each design sees: the median over sessions of the CV of a
 * session's A repetitions (sequential within a run), the CV of the
 * sessions' medians (between runs: sequential and history), and the
 * median over sessions of the standard deviation of log(A'/A) (ab). */
typedef struct det_noise {
    double within, between, paired;
} det_noise;

static det_noise noise(const det *d)
{
    double cvs[MAX_SESSIONS], medians[MAX_SESSIONS], sds[MAX_SESSIONS];
    int m = 0;
    double *v = mb_calloc(d->n_rounds + 1, sizeof(double));
    double *l = mb_calloc(d->n_rounds + 1, sizeof(double));
    for (int s = 0; s < d->cfg.sessions; s++) {
        size_t len = d->len[s];
        if (len < 2)
            continue;
        for (size_t i = 0; i < len; i++) {
            const det_round *r = &d->rounds[d->first[s] + i];
            v[i] = r->a[0];
            l[i] = log(r->b[0] / r->a[0]);
        }
        cvs[m] = mb_stats_cv(v, len);
        medians[m] = mb_stats_median(v, len);
        double mean = mb_stats_mean(l, len), ss = 0;
        for (size_t i = 0; i < len; i++)
            ss += (l[i] - mean) * (l[i] - mean);
        sds[m++] = sqrt(ss / (double)(len - 1));
    }
    free(v);
    free(l);
    det_noise n = {NAN, NAN, NAN};
    if (m > 0) {
        n.within = mb_stats_median(cvs, (size_t)m);
        n.paired = mb_stats_median(sds, (size_t)m);
    }
    if (m > 1)
        n.between = mb_stats_cv(medians, (size_t)m);
    return n;
}

/* ---- the report ------------------------------------------------------------- */

static json_t *machine_json(const det *d);

static void pct(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isinf(v))
        snprintf(buf, size, "inf");
    else
        snprintf(buf, size, "%.1f%%", 100 * v);
}

/* "1.2% <=3.4%" for a rate and its upper bound. */
static void rate_cell(char *buf, size_t size, const mb_det_tally *t)
{
    char r[16], u[16];
    pct(r, sizeof r, mb_det_rate(t));
    pct(u, sizeof u, mb_det_upper95(t));
    snprintf(buf, size, "%s <=%s", r, u);
}

static void count_cell(char *buf, size_t size, const mb_det_tally *t)
{
    char r[16];
    pct(r, sizeof r, mb_det_rate(t));
    snprintf(buf, size, "%zu/%zu %s", t->alarms, t->trials, r);
}

static const char *const mode_titles[N_MODES] = {
    "sequential: one run's repetitions against another session's (Mann-Whitney, two files)",
    "ab: A and B in the same rounds of one session, each its own worker (Wilcoxon signed-rank "
    "on per-round ratios)",
    "history: a stored baseline of K sessions' medians against a new session (prediction "
    "interval)",
};

static void print_mode(const det *d, int mode, const mode_result *res)
{
    printf("\n%s\n", mode_titles[mode]);
    if (mode == MODE_HISTORY)
        printf("K = %d runs in the baseline\n", d->cfg.history_runs);
    printf("%4s  %-15s %-15s %-15s %7s %7s %6s  |  %-13s %-13s %-13s\n", "reps",
           "false alarms", "detect 5%", "detect 10%", "inconc.", "MDE", "min",
           "disjoint: FA", "detect 5%", "detect 10%");
    for (int i = 0; i < d->cfg.n_rep_counts; i++) {
        const mode_result *r = &res[i];
        char c[N_PAIRS][40], dj[N_PAIRS][40], inc[16], mde[16];
        for (int k = 0; k < N_PAIRS; k++) {
            rate_cell(c[k], sizeof c[k], &r->resampled.tally[k]);
            count_cell(dj[k], sizeof dj[k], &r->disjoint.tally[k]);
        }
        pct(inc, sizeof inc, mb_det_inconclusive_rate(&r->resampled.tally[0]));
        pct(mde, sizeof mde, r->resampled.mde);
        printf("%4d  %-15s %-15s %-15s %7s %7s %6.2f  |  %-13s %-13s %-13s\n",
               d->cfg.rep_counts[i], c[0], c[1], c[2], inc, mde, r->minutes, dj[0], dj[1],
               dj[2]);
    }
}

static void report(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS])
{
    const det_config *c = &d->cfg;
    double base = median_of(d, 0);
    det_noise nz = noise(d);
    char w[16], b[16], p[16];
    pct(w, sizeof w, nz.within);
    pct(b, sizeof b, nz.between);
    pct(p, sizeof p, nz.paired);
    printf("\nDetector benchmark: %s on the CPU (%d thread(s)), %dx%d JPEG, %d images/job, "
           "batch %d, input %d, %d jobs per repetition\n", c->model, c->threads, c->width,
           c->height, c->per_job, c->batch, c->input_size, c->jobs);
    printf("Rule: regression = p < %g AND median throughput change < -%g%%; inconclusive "
           "(MDE above the threshold) counts as no alarm\n",
           MB_COMPARE_DEFAULT_ALPHA, 100 * c->threshold);
    printf("Measured: %zu rounds (6 repetitions each) over %d sessions of two workers in "
           "%.0f s; %.0f images/s; load average %.2f at start, %.2f at end\n",
           d->n_rounds, c->sessions, d->seconds, base, d->load_start[0], d->load_end[0]);
    json_t *machine = machine_json(d);
    json_t *note = json_object_get(machine, "note");
    printf("Machine: %s, %d CPUs%s%s\n", json_string_value(json_object_get(machine, "cpu_model")),
           (int)json_integer_value(json_object_get(machine, "cores")), note ? "; " : "",
           note ? json_string_value(note) : "");
    json_decref(machine);
    printf("Noise: CV %s within a session, %s between sessions; sd of log(A'/A) per round "
           "%s\n", w, b, p);
    printf("A/A' (two workers, no slowdown): median per-round change %+.1f%%\n",
           100 * paired_change(d, 0));
    for (int k = 1; k < N_PAIRS; k++)
        printf("Injected slowdown %.0f%%: median per-round change %+.1f%% (paired B/A); "
               "%+.1f%% between the sides' overall medians\n", 100 * c->slowdown[k],
               100 * paired_change(d, k), 100 * (median_of(d, k) / base - 1));
    for (int m = 0; m < N_MODES; m++)
        if (c->modes[m])
            print_mode(d, m, res[m]);
    printf("\nRates over %d resampled trials per column (random windows of consecutive "
           "rounds; overlapping, so not independent), with the upper end of the two-sided "
           "95%% Clopper-Pearson interval; disjoint trials beside them use every window "
           "once.  min: minutes of measuring per verdict.\n", c->resamples);
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *figures_json(const det_figures *f, double minutes, bool resampled)
{
    static const char *const keys[N_PAIRS] = {"false_alarm", "detect_5", "detect_10"};
    json_t *o = json_object();
    for (int k = 0; k < N_PAIRS; k++) {
        char key[48];
        const mb_det_tally *t = &f->tally[k];
        snprintf(key, sizeof key, "%s%s", keys[k], k == 0 ? "_rate" : "");
        json_object_set_new(o, key, num(mb_det_rate(t)));
        snprintf(key, sizeof key, "%s_trials", keys[k]);
        json_object_set_new(o, key, json_integer((json_int_t)t->trials));
        snprintf(key, sizeof key, "%s_alarms", keys[k]);
        json_object_set_new(o, key, json_integer((json_int_t)t->alarms));
        snprintf(key, sizeof key, "%s_upper95", keys[k]);
        json_object_set_new(o, key, num(mb_det_upper95(t)));
        snprintf(key, sizeof key, "%s_inconclusive_rate", keys[k]);
        json_object_set_new(o, key, num(mb_det_inconclusive_rate(t)));
    }
    json_object_set_new(o, "inconclusive_rate", num(mb_det_inconclusive_rate(&f->tally[0])));
    json_object_set_new(o, "mde_median", num(f->mde));
    json_object_set_new(o, "minutes_per_verdict", num(minutes));
    json_object_set_new(o, "resampled", json_boolean(resampled));
    return o;
}

/* The CPUs this process (and the workers it starts, which inherit the
 * mask) may run on, as `taskset` set them; NULL where the system has no
 * affinity call (macOS). */
static json_t *cpus_allowed(void)
{
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set))
            json_array_append_new(a, json_integer(i));
    return a;
#else
    return NULL;
#endif
}

static json_t *machine_json(const det *d)
{
    if (d->machine != NULL)
        return json_incref(d->machine);
    json_t *o = json_object();
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon != NULL) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    }
    if (f != NULL)
        fclose(f);
    json_object_set_new(o, "cpu_model", json_string(model));
    json_object_set_new(o, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_t *allowed = cpus_allowed();
    if (allowed != NULL) {
        json_object_set_new(o, "cpus_allowed_count", json_integer((json_int_t)json_array_size(allowed)));
        json_object_set_new(o, "cpus_allowed", allowed);
    }
    json_t *ls = json_array(), *le = json_array();
    for (int i = 0; i < 3; i++) {
        json_array_append_new(ls, num(d->load_start[i]));
        json_array_append_new(le, num(d->load_end[i]));
    }
    json_object_set_new(o, "load_average_start", ls);
    json_object_set_new(o, "load_average_end", le);
    if (d->cfg.machine_note != NULL)
        json_object_set_new(o, "note", json_string(d->cfg.machine_note));
    return o;
}

static json_t *config_json(const det *d, int primary)
{
    const det_config *c = &d->cfg;
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(c->model));
    json_object_set_new(o, "threads", json_integer(c->threads));
    json_object_set_new(o, "image_width", json_integer(c->width));
    json_object_set_new(o, "image_height", json_integer(c->height));
    json_object_set_new(o, "images_per_job", json_integer(c->per_job));
    json_object_set_new(o, "batch", json_integer(c->batch));
    json_object_set_new(o, "input_size", json_integer(c->input_size));
    json_object_set_new(o, "jobs_per_repetition", json_integer(c->jobs));
    json_object_set_new(o, "warmup_jobs", json_integer(c->warmup_jobs));
    json_object_set_new(o, "sessions", json_integer(c->sessions));
    json_object_set_new(o, "rounds_per_session", json_integer(c->rounds));
    json_object_set_new(o, "history_runs", json_integer(c->history_runs));
    json_object_set_new(o, "threshold", json_real(c->threshold));
    json_object_set_new(o, "alpha", json_real(MB_COMPARE_DEFAULT_ALPHA));
    json_object_set_new(o, "repetitions", json_integer(primary));
    json_t *counts = json_array();
    for (int i = 0; i < c->n_rep_counts; i++)
        json_array_append_new(counts, json_integer(c->rep_counts[i]));
    json_object_set_new(o, "repetition_counts", counts);
    json_object_set_new(o, "resamples", json_integer(c->resamples));
    json_object_set_new(o, "upper95", json_string("upper end of the two-sided 95% "
                                                  "Clopper-Pearson interval (a one-sided "
                                                  "97.5% bound)"));
    json_object_set_new(o, "inconclusive", json_string("counted as no alarm and not "
                                                       "detected; reported on its own"));
    json_object_set_new(o, "minutes_per_verdict", json_string(
        "measuring time of the run that gets the verdict: n rounds of both sides (ab), n "
        "repetitions of the new run (sequential, history: the baseline is stored)"));
    return o;
}

static int write_json(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS], mb_err *err)
{
    const det_config *c = &d->cfg;
    json_t *root = json_object();
    json_object_set_new(root, "machine", machine_json(d));
    json_object_set_new(root, "config", config_json(d, c->rep_counts[0]));
    det_noise nz = noise(d);
    double base = median_of(d, 0);
    json_t *m = json_object();
    json_object_set_new(m, "rounds", json_integer((json_int_t)d->n_rounds));
    json_object_set_new(m, "seconds", num(d->seconds));
    json_object_set_new(m, "interrupted", json_boolean(d->interrupted));
    json_object_set_new(m, "images_per_second", num(base));
    json_object_set_new(m, "change_aa", num(paired_change(d, 0)));
    json_object_set_new(m, "change_5", num(paired_change(d, 1)));
    json_object_set_new(m, "change_10", num(paired_change(d, 2)));
    json_object_set_new(m, "change_5_unpaired", num(median_of(d, 1) / base - 1));
    json_object_set_new(m, "change_10_unpaired", num(median_of(d, 2) / base - 1));
    json_object_set_new(m, "change", json_string(
        "change_*: median over rounds of B/A of the same pair, minus 1 (aa: no slowdown); "
        "*_unpaired: median of the slowed B over median of A, minus 1"));
    json_object_set_new(m, "cv_within_session", num(nz.within));
    json_object_set_new(m, "cv_between_sessions", num(nz.between));
    json_object_set_new(m, "sd_log_ratio_per_round", num(nz.paired));
    json_object_set_new(root, "measured", m);
    json_t *modes = json_object();
    for (int k = 0; k < N_MODES; k++) {
        if (!c->modes[k])
            continue;
        json_t *o = figures_json(&res[k][0].resampled, res[k][0].minutes, true);
        json_object_set_new(o, "repetitions", json_integer(c->rep_counts[0]));
        json_object_set_new(o, "disjoint",
                            figures_json(&res[k][0].disjoint, res[k][0].minutes, false));
        json_t *by = json_object();
        for (int i = 0; i < c->n_rep_counts; i++) {
            char key[16];
            snprintf(key, sizeof key, "%d", c->rep_counts[i]);
            json_t *e = figures_json(&res[k][i].resampled, res[k][i].minutes, true);
            json_object_set_new(e, "disjoint",
                                figures_json(&res[k][i].disjoint, res[k][i].minutes, false));
            json_object_set_new(by, key, e);
        }
        json_object_set_new(o, "by_repetitions", by);
        json_object_set_new(modes, mode_names[k], o);
    }
    json_object_set_new(root, "modes", modes);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    int rc = 0;
    if (text == NULL || mb_write_file_atomic(c->json_path, text, strlen(text)) != 0)
        rc = mb_err_set(err, MB_EIO, "option --json: cannot write %s", c->json_path);
    free(text);
    return rc;
}

/* ---- raw rounds: saved after measuring, read back by --replay ----------------- */

/* A row: the session, then a[], b[], sec_a[], sec_b[] of the pairs. */
#define ROW_WIDTH (1 + 4 * N_PAIRS)

static json_t *measurement_meta(const det *d)
{
    const det_config *c = &d->cfg;
    json_t *m = json_object();
    json_object_set_new(m, "machine", machine_json(d));
    json_object_set_new(m, "model", json_string(c->model));
    json_object_set_new(m, "sessions", json_integer(c->sessions));
    json_object_set_new(m, "rounds_per_session", json_integer(c->rounds));
    json_object_set_new(m, "jobs_per_repetition", json_integer(c->jobs));
    json_object_set_new(m, "warmup_jobs", json_integer(c->warmup_jobs));
    json_object_set_new(m, "images_per_job", json_integer(c->per_job));
    json_object_set_new(m, "batch", json_integer(c->batch));
    json_object_set_new(m, "image_width", json_integer(c->width));
    json_object_set_new(m, "image_height", json_integer(c->height));
    json_object_set_new(m, "input_size", json_integer(c->input_size));
    json_object_set_new(m, "threads", json_integer(c->threads));
    json_t *slow = json_array();
    for (int p = 0; p < N_PAIRS; p++)
        json_array_append_new(slow, json_real(c->slowdown[p]));
    json_object_set_new(m, "slowdown", slow);
    json_object_set_new(m, "seconds", json_real(d->seconds));
    json_object_set_new(m, "interrupted", json_boolean(d->interrupted));
    return m;
}

static int save_rounds(const det *d, mb_err *err)
{
    double *rows = mb_calloc(d->n_rounds * ROW_WIDTH + 1, sizeof(double));
    for (size_t i = 0; i < d->n_rounds; i++) {
        const det_round *r = &d->rounds[i];
        double *row = &rows[i * ROW_WIDTH];
        row[0] = r->session;
        for (int p = 0; p < N_PAIRS; p++) {
            row[1 + p] = r->a[p];
            row[1 + N_PAIRS + p] = r->b[p];
            row[1 + 2 * N_PAIRS + p] = r->sec_a[p];
            row[1 + 3 * N_PAIRS + p] = r->sec_b[p];
        }
    }
    json_t *meta = measurement_meta(d);
    int rc = mb_det_rounds_save(d->cfg.rounds_path, meta, rows, d->n_rounds, ROW_WIDTH, err);
    json_decref(meta);
    free(rows);
    return rc;
}

static int meta_int(json_t *meta, const char *key, int *out)
{
    json_t *v = json_object_get(meta, key);
    if (json_is_integer(v))
        *out = (int)json_integer_value(v);
    return json_is_integer(v) ? 0 : -1;
}

/* Takes the measurement's configuration from meta; the analysis options
 * stay the command's. */
static int replay_config(det *d, json_t *meta, mb_err *err)
{
    det_config *c = &d->cfg;
    static const char *const keys[] = {"rounds_per_session", "jobs_per_repetition",
                                       "warmup_jobs", "images_per_job", "batch", "image_width",
                                       "image_height", "input_size", "threads"};
    int *fields[] = {&c->rounds, &c->jobs, &c->warmup_jobs, &c->per_job, &c->batch,
                     &c->width, &c->height, &c->input_size, &c->threads};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (meta_int(meta, keys[k], fields[k]) != 0)
            return mb_err_set(err, MB_EINVAL, "%s: meta.%s: missing or not a whole number",
                              c->replay_path, keys[k]);
    json_t *model = json_object_get(meta, "model"), *slow = json_object_get(meta, "slowdown");
    d->machine = json_incref(json_object_get(meta, "machine"));
    if (!json_is_string(model) || json_array_size(slow) != N_PAIRS || d->machine == NULL)
        return mb_err_set(err, MB_EINVAL, "%s: meta: model, slowdown[%d] and machine are "
                          "required", c->replay_path, N_PAIRS);
    c->model = json_string_value(model);
    for (int p = 0; p < N_PAIRS; p++)
        c->slowdown[p] = json_number_value(json_array_get(slow, (size_t)p));
    for (int i = 0; i < 3; i++) {
        json_t *ls = json_array_get(json_object_get(d->machine, "load_average_start"), (size_t)i);
        json_t *le = json_array_get(json_object_get(d->machine, "load_average_end"), (size_t)i);
        d->load_start[i] = json_is_number(ls) ? json_number_value(ls) : NAN;
        d->load_end[i] = json_is_number(le) ? json_number_value(le) : NAN;
    }
    d->seconds = json_number_value(json_object_get(meta, "seconds"));
    d->interrupted = json_is_true(json_object_get(meta, "interrupted"));
    return 0;
}

/* Reads --replay's file into the rounds and the sessions' spans, as
 * measure() leaves them.  meta stays referenced by the caller (cfg.model
 * points into it). */
static int replay(det *d, json_t **meta, mb_err *err)
{
    double *rows;
    size_t n;
    int rc = mb_det_rounds_load(d->cfg.replay_path, meta, &rows, &n, ROW_WIDTH, err);
    if (rc == 0)
        rc = replay_config(d, *meta, err);
    if (rc != 0)
        return rc;
    d->rounds = mb_calloc(n + 1, sizeof(det_round));
    int sessions = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const double *row = &rows[i * ROW_WIDTH];
        int s = (int)row[0];
        if (s < 0 || s >= MAX_SESSIONS || s < sessions - 1 || (size_t)s > (size_t)sessions) {
            rc = mb_err_set(err, MB_EINVAL, "%s: rounds[%zu]: session %d out of order",
                            d->cfg.replay_path, i, s);
            break;
        }
        if (s == sessions)
            d->first[sessions++] = i;
        det_round *r = &d->rounds[i];
        r->session = s;
        for (int p = 0; p < N_PAIRS; p++) {
            r->a[p] = row[1 + p];
            r->b[p] = row[1 + N_PAIRS + p];
            r->sec_a[p] = row[1 + 2 * N_PAIRS + p];
            r->sec_b[p] = row[1 + 3 * N_PAIRS + p];
        }
        d->len[s]++;
        d->n_rounds++;
    }
    free(rows);
    d->cfg.sessions = sessions;
    if (rc == 0 && sessions < 2)
        rc = mb_err_set(err, MB_EINVAL, "%s: fewer than two sessions", d->cfg.replay_path);
    if (rc == 0 && d->cfg.history_runs + 1 > sessions)
        d->cfg.modes[MODE_HISTORY] = false;
    return rc;
}

/* ---- options ------------------------------------------------------------------ */

enum {
    OPT_ROUNDS = 1, OPT_SESSIONS, OPT_JOBS, OPT_PER_JOB, OPT_BATCH, OPT_SIZE, OPT_INPUT,
    OPT_THREADS, OPT_THRESHOLD, OPT_COUNTS, OPT_RESAMPLES, OPT_WORKER, OPT_MODEL, OPT_MODE,
    OPT_JSON, OPT_HISTORY, OPT_NOTE, OPT_ROUNDS_OUT, OPT_REPLAY, OPT_HELP
};

static const mb_opt det_opts[] = {
    {"rounds", 0, 1, OPT_ROUNDS},
    {"sessions", 0, 1, OPT_SESSIONS},
    {"jobs", 0, 1, OPT_JOBS},
    {"per-job", 0, 1, OPT_PER_JOB},
    {"batch", 0, 1, OPT_BATCH},
    {"size", 0, 1, OPT_SIZE},
    {"input-size", 0, 1, OPT_INPUT},
    {"threads", 0, 1, OPT_THREADS},
    {"threshold", 0, 1, OPT_THRESHOLD},
    {"repetitions", 0, 1, OPT_COUNTS},
    {"resamples", 0, 1, OPT_RESAMPLES},
    {"worker", 0, 1, OPT_WORKER},
    {"model", 0, 1, OPT_MODEL},
    {"mode", 0, 1, OPT_MODE},
    {"json", 0, 1, OPT_JSON},
    {"history-runs", 0, 1, OPT_HISTORY},
    {"machine-note", 0, 1, OPT_NOTE},
    {"rounds-out", 0, 1, OPT_ROUNDS_OUT},
    {"replay", 0, 1, OPT_REPLAY},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-bench-detector [--mode sequential|ab|history|all] [--json FILE]\n"
          "         [--sessions N] [--rounds N] [--jobs N] [--per-job N] [--batch N]\n"
          "         [--size WxH] [--input-size N] [--threads N] [--threshold PCT]\n"
          "         [--repetitions 10,6,15] [--resamples N] [--history-runs K]\n"
          "         [--worker PATH] [--model SPEC] [--machine-note TEXT]\n"
          "         [--rounds-out FILE] [--replay FILE]\n"
          "Measures the false-alarm and detection rates of the three regression designs\n"
          "(two files, A/B rounds, a history baseline) on real worker processes (CPU).\n"
          "Each of --sessions sessions starts two workers and measures --rounds rounds of\n"
          "six repetitions; --repetitions lists the repetition (round) counts judged, the\n"
          "first being the one the JSON's top-level figures are for.  --machine-note goes\n"
          "into the JSON's machine block as is: say there how the machine was shared or\n"
          "pinned (the CPUs the process may use are recorded by themselves on Linux).\n"
          "--rounds-out saves the raw rounds as soon as they are measured; --replay FILE\n"
          "analyses such a file instead of measuring (the measuring machine's block, the\n"
          "configuration of the measurement and its time come from the file; the analysis\n"
          "options --repetitions, --resamples, --history-runs, --mode from the command).\n", f);
}

static int parse_int(const char *name, const char *text, int min, int *out, mb_err *err)
{
    long v;
    if (mb_parse_long(text, &v) != 0 || v < min || v > 1000000)
        return mb_err_set(err, MB_EUSAGE, "option --%s: '%s' is not a whole number >= %d",
                          name, text, min);
    *out = (int)v;
    return 0;
}

static int parse_counts(const char *text, det_config *c, mb_err *err)
{
    c->n_rep_counts = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *item = mb_strndup(p, len);
        int rc = c->n_rep_counts < MAX_REP_COUNTS
                     ? parse_int("repetitions", item, 2, &c->rep_counts[c->n_rep_counts++], err)
                     : mb_err_set(err, MB_EUSAGE, "option --repetitions: at most %d values",
                                  MAX_REP_COUNTS);
        free(item);
        if (rc != 0)
            return rc;
        p += len;
        if (*p == ',')
            p++;
    }
    return c->n_rep_counts > 0 ? 0 : mb_err_set(err, MB_EUSAGE, "option --repetitions: empty");
}

static int parse_mode(const char *text, det_config *c, mb_err *err)
{
    bool all = strcmp(text, "all") == 0;
    bool any = all;
    for (int m = 0; m < N_MODES; m++) {
        c->modes[m] = all || strcmp(text, mode_names[m]) == 0;
        any = any || c->modes[m];
    }
    return any ? 0 : mb_err_set(err, MB_EUSAGE, "option --mode: '%s' is not sequential, ab, "
                                "history or all", text);
}

static int parse_args(int argc, char **argv, det_config *c, bool *help, mb_err *err)
{
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    for (;;) {
        int id, rc = 0;
        if ((rc = mb_opt_next(&it, det_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            rc = mb_err_set(err, MB_EUSAGE, "unexpected argument '%s'", it.arg);
            break;
        case OPT_ROUNDS: rc = parse_int("rounds", it.arg, 2, &c->rounds, err); break;
        case OPT_SESSIONS: rc = parse_int("sessions", it.arg, 2, &c->sessions, err); break;
        case OPT_JOBS: rc = parse_int("jobs", it.arg, 1, &c->jobs, err); break;
        case OPT_PER_JOB: rc = parse_int("per-job", it.arg, 1, &c->per_job, err); break;
        case OPT_BATCH: rc = parse_int("batch", it.arg, 1, &c->batch, err); break;
        case OPT_INPUT: rc = parse_int("input-size", it.arg, 0, &c->input_size, err); break;
        case OPT_THREADS: rc = parse_int("threads", it.arg, 0, &c->threads, err); break;
        case OPT_RESAMPLES: rc = parse_int("resamples", it.arg, 0, &c->resamples, err); break;
        case OPT_HISTORY:
            rc = parse_int("history-runs", it.arg, MB_COMPARE_HISTORY_MIN_RUNS,
                           &c->history_runs, err);
            break;
        case OPT_NOTE: c->machine_note = it.arg; break;
        case OPT_ROUNDS_OUT: c->rounds_path = it.arg; break;
        case OPT_REPLAY: c->replay_path = it.arg; break;
        case OPT_COUNTS: rc = parse_counts(it.arg, c, err); break;
        case OPT_MODE: rc = parse_mode(it.arg, c, err); break;
        case OPT_JSON: c->json_path = it.arg; break;
        case OPT_WORKER: c->worker = it.arg; break;
        case OPT_MODEL: c->model = it.arg; break;
        case OPT_SIZE:
            if (mb_parse_size(it.arg, &c->width, &c->height) != 0)
                rc = mb_err_set(err, MB_EUSAGE, "option --size: '%s' is not WxH", it.arg);
            break;
        case OPT_THRESHOLD:
            if (mb_parse_fraction(it.arg, &c->threshold) != 0 || c->threshold < 0 ||
                c->threshold >= 1)
                rc = mb_err_set(err, MB_EUSAGE, "option --threshold: '%s' is not a "
                                "percentage", it.arg);
            break;
        case OPT_HELP: *help = true; return 0;
        }
        if (rc != 0)
            return rc;
    }
    if (c->sessions > MAX_SESSIONS)
        return mb_err_set(err, MB_EUSAGE, "option --sessions: at most %d", MAX_SESSIONS);
    if (c->modes[MODE_HISTORY] && c->history_runs + 1 > c->sessions)
        return mb_err_set(err, MB_EUSAGE, "option --history-runs: %d runs need at least %d "
                          "sessions", c->history_runs, c->history_runs + 1);
    for (int i = 0; i < c->n_rep_counts; i++)
        if (c->rep_counts[i] > c->rounds)
            return mb_err_set(err, MB_EUSAGE, "option --repetitions: %d is more than the %d "
                              "rounds of a session", c->rep_counts[i], c->rounds);
    return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static int setup(det *d, mb_err *err)
{
    d->tmp = mb_strdup("/tmp/mb-detector-XXXXXX");
    if (mkdtemp(d->tmp) == NULL)
        return mb_err_set(err, MB_EIO, "mkdtemp: cannot create a temp folder");
    char *log = mb_asprintf("%s/redis.log", d->tmp);
    int rc = mb_redis_server_start(log, &d->redis, err);
    free(log);
    if (rc == 0)
        rc = mb_queue_connect(d->redis.url, 5000, &d->q, err);
    if (rc != 0)
        return rc;
    d->jobs_key[0] = mb_key_jobs("detector", "a");
    d->jobs_key[1] = mb_key_jobs("detector", "b");
    d->results_key = mb_key_results("detector");
    d->hello_key = mb_key_worker("detector", "hello");
    snprintf(d->results_last, sizeof d->results_last, "0-0");
    for (int side = 0; rc == 0 && side < N_SIDES; side++)
        rc = mb_queue_create_group(d->q, d->jobs_key[side], "workers", err);
    if (rc != 0)
        return rc;
    char *images = mb_asprintf("%s/images", d->tmp);
    rc = mb_fixture_ensure(images, d->cfg.width, d->cfg.height, MB_FORMAT_JPEG,
                           d->cfg.per_job, &d->images, err);
    free(images);
    return rc;
}

static void teardown(det *d)
{
    for (int side = 0; side < N_SIDES; side++)
        mb_proc_stop(&d->worker[side], 5000);
    mb_queue_free(d->q);
    mb_redis_server_stop(&d->redis);
    if (d->tmp != NULL) {
        char *argv[] = {"rm", "-rf", d->tmp, NULL};
        mb_proc p;
        if (mb_spawn(argv, NULL, NULL, &p, NULL) == 0)
            mb_proc_wait(&p, 10000);
    }
    if (d->images != NULL)
        mb_fixture_paths_free(d->images, d->cfg.per_job);
    free(d->rounds);
    free(d->tmp);
    for (int side = 0; side < N_SIDES; side++)
        free(d->jobs_key[side]);
    free(d->results_key);
    free(d->hello_key);
}

static char *default_worker(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    if (slash == NULL)
        return mb_strdup("mpsbench-worker");
    return mb_asprintf("%.*s/mpsbench-worker", (int)(slash - argv0), argv0);
}

int main(int argc, char **argv)
{
    static det d;
    static mode_result res[N_MODES][MAX_REP_COUNTS];
    /* The defaults: the tiny model at smoke.yaml's input size with 64
     * images per job, so that one job takes tens of milliseconds on a 2-core
     * machine and timer jitter is small beside it; 3 jobs per repetition;
     * 8 sessions of 40 rounds, a few minutes in all.  The repetition counts
     * are the A/B runner's useful range: 6 is the scenarios' default (and
     * the fewest rounds at which the signed-rank test can reach p < 0.05),
     * 10 the one the JSON's top-level figures are for. */
    d.cfg = (det_config){
        .rounds = 40, .sessions = 8, .jobs = 3, .warmup_jobs = 2,
        .per_job = 64, .batch = 8, .width = 224, .height = 224, .input_size = 64,
        .threads = 1, .history_runs = 5, .threshold = MB_COMPARE_DEFAULT_THRESHOLD,
        .slowdown = {0, 0.05, 0.10}, .rep_counts = {10, 6, 15}, .n_rep_counts = 3,
        .resamples = 2000, .modes = {true, true, true}, .model = "builtin:tiny",
    };
    mb_err err;
    mb_err_clear(&err);
    bool help = false;
    if (parse_args(argc, argv, &d.cfg, &help, &err) != 0) {
        fprintf(stderr, "mpsbench-bench-detector: %s\n", err.msg);
        usage(stderr);
        return MB_EXIT_USAGE;
    }
    if (help) {
        usage(stdout);
        return MB_EXIT_OK;
    }
    char *worker = d.cfg.worker ? NULL : default_worker(argv[0]);
    if (worker != NULL)
        d.cfg.worker = worker;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    json_t *meta = NULL;
    int rc;
    if (d.cfg.replay_path != NULL) {
        rc = replay(&d, &meta, &err);
    } else {
        read_load(d.load_start);
        double start = mb_now_ms();
        rc = setup(&d, &err);
        if (rc == 0)
            rc = measure(&d, &err);
        d.seconds = (mb_now_ms() - start) / 1000.0;
        read_load(d.load_end);
        if (rc == 0 && d.cfg.rounds_path != NULL)
            rc = save_rounds(&d, &err);
    }
    if (rc == 0) {
        for (int m = 0; m < N_MODES; m++)
            for (int i = 0; d.cfg.modes[m] && i < d.cfg.n_rep_counts; i++)
                analyse(&d, m, d.cfg.rep_counts[i], &res[m][i]);
        report(&d, res);
        if (d.cfg.json_path != NULL)
            rc = write_json(&d, res, &err);
    }
    if (rc != 0)
        fprintf(stderr, "mpsbench-bench-detector: %s\n", err.msg);
    teardown(&d);
    json_decref(d.machine);
    json_decref(meta);
    free(worker);
    return rc == 0 ? MB_EXIT_OK : mb_err_exit_code(rc);
}

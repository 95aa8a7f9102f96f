/* mpsbench-bench-detector: how often the regression rule of compare.h cries
 * wolf, and how often it catches a real slowdown, measured on real worker
 * processes (the tiny model on the CPU) rather than on synthetic noise.
 *
 * It starts a throwaway redis-server and, in turn, several worker
 * processes ("sessions", each standing for one `mpsbench run`).  In every
 * session it measures repetitions of N jobs exactly as the runner does
 * (images of the repetition over its wall time, one job in flight) under
 * three conditions, interleaved in a shuffled order each round so that
 * drift touches all of them alike: no slowdown, and the worker's injected
 * fault_slowdown of 5% and 10%.  Then, for each repetition count under
 * study, it cuts each session's repetitions into groups (one group = one
 * run's repetitions of a cell), pairs groups of different sessions, and
 * applies mb_compare_decide: A/A pairs give the false-alarm rate, A/B pairs
 * the detection rates.  Disjoint pairs give honest but coarse counts;
 * resampled pairs (random groups, many more of them, not independent) give
 * a smoother estimate of the same rates. */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "fixtures.h"
#include "mb_opts.h"
#include "mb_util.h"
#include "process.h"
#include "protocol.h"
#include "queue.h"
#include "redis_server.h"
#include "stats.h"


#define N_CONDITIONS 3
#define MAX_REP_COUNTS 16

typedef struct det_config {
    int reps_per_condition;     /* over all sessions */
    int sessions;
    int jobs;                   /* per repetition */
    int warmup_jobs;            /* per session */
    int per_job;                /* images per job */
    int batch;
    int width, height;
    int input_size;
    int threads;
    double threshold;
    double slowdown[N_CONDITIONS];
    int rep_counts[MAX_REP_COUNTS];
    int n_rep_counts;
    int resamples;
    const char *worker;
    const char *model;
} det_config;

typedef struct det_sample {
    double ips;
    int session;
} det_sample;

typedef struct det {
    det_config cfg;
    char *tmp;
    mb_redis_server redis;
    mb_queue *q;
    char *jobs_key, *results_key, *hello_key;
    char results_last[64];
    mb_proc worker;
    char **images;
    long next_job;
    det_sample *samples[N_CONDITIONS];
    int n_samples[N_CONDITIONS];
} det;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* splitmix64: a small generator with a fixed seed, so that a rerun shuffles
 * and resamples the same way. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* ---- the measurement ------------------------------------------------------ */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start_worker(det *d, int session, mb_err *err)
{
    char id[32], threads[16], log_name[64];
    snprintf(id, sizeof id, "det%d", session);
    snprintf(threads, sizeof threads, "%d", d->cfg.threads);
    snprintf(log_name, sizeof log_name, "worker-%d.log", session);
    char *log = mb_asprintf("%s/%s", d->tmp, log_name);
    const char *argv[] = {
        d->cfg.worker, "--redis", mb_queue_url(d->q), "--jobs", d->jobs_key,
        "--results", d->results_key, "--id", id, "--hello-key", d->hello_key,
        "--device", "cpu", "--model", d->cfg.model, "--threads", threads, NULL,
    };
    mb_queue_del(d->q, d->hello_key, NULL);
    int rc = mb_spawn((char *const *)argv, NULL, log, &d->worker, err);
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
        if (!mb_proc_alive(&d->worker))
            return mb_err_set(err, MB_EWORKER, "the worker exited: see %s", d->tmp);
        sleep_ms(20);
    }
    return mb_err_set(err, MB_ETIMEOUT, "the worker did not say hello");
}

/* One job, submitted and awaited, as the runner does with inflight 1. */
static int run_job(det *d, double slowdown, int *images, mb_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "d.%ld", d->next_job++);
    mb_job job = {
        .id = id, .cell = "detector", .images = d->images, .n_images = (size_t)d->cfg.per_job,
        .batch_size = d->cfg.batch, .input_size = d->cfg.input_size,
        .fault_slowdown = slowdown,
    };
    char *payload = mb_job_encode(&job);
    int rc = mb_queue_add(d->q, d->jobs_key, "job", payload, strlen(payload), NULL, err);
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
            if (!mb_proc_alive(&d->worker))
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
static int run_repetition(det *d, double slowdown, double *ips, mb_err *err)
{
    double start = mb_now_ms();
    long images = 0;
    for (int j = 0; j < d->cfg.jobs; j++) {
        int n = 0;
        int rc = run_job(d, slowdown, &n, err);
        if (rc != 0)
            return rc;
        images += n;
    }
    double seconds = (mb_now_ms() - start) / 1000.0;
    *ips = seconds > 0 ? (double)images / seconds : 0;
    return 0;
}

static void add_sample(det *d, int cond, double ips, int session)
{
    d->samples[cond] = mb_realloc(d->samples[cond],
                                  (size_t)(d->n_samples[cond] + 1) * sizeof(det_sample));
    d->samples[cond][d->n_samples[cond]++] = (det_sample){ips, session};
}

static int measure(det *d, mb_err *err)
{
    uint64_t rng = 42;
    int rounds_per_session = (d->cfg.reps_per_condition + d->cfg.sessions - 1) /
                             d->cfg.sessions;
    for (int s = 0; s < d->cfg.sessions && !interrupted; s++) {
        int rc = start_worker(d, s, err);
        for (int w = 0; rc == 0 && w < d->cfg.warmup_jobs; w++) {
            int n;
            rc = run_job(d, 0, &n, err);
        }
        for (int round = 0; rc == 0 && round < rounds_per_session && !interrupted; round++) {
            int order[N_CONDITIONS] = {0, 1, 2};
            for (int i = N_CONDITIONS - 1; i > 0; i--) {
                int j = (int)rng_below(&rng, (size_t)i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int k = 0; rc == 0 && k < N_CONDITIONS; k++) {
                double ips;
                rc = run_repetition(d, d->cfg.slowdown[order[k]], &ips, err);
                if (rc == 0)
                    add_sample(d, order[k], ips, s);
            }
        }
        mb_proc_stop(&d->worker, 5000);
        if (rc != 0)
            return rc;
        fprintf(stderr, "\rsession %d/%d done (%d repetitions per condition)   ", s + 1,
                d->cfg.sessions, d->n_samples[0]);
        fflush(stderr);
    }
    fputc('\n', stderr);
    return interrupted ? mb_err_set(err, MB_EINVAL, "interrupted") : 0;
}

/* ---- the analysis ----------------------------------------------------------- */

/* Groups of n consecutive repetitions of one condition within one session,
 * listed session by session in turn (s0 g0, s1 g0, ..., s0 g1, ...), so that
 * neighbours in the list come from different sessions. */
typedef struct groups {
    double *values;             /* n per group */
    int *session;
    size_t count;
    int n;
} groups;

static void make_groups(const det *d, int cond, int n, groups *g)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    int sessions = d->cfg.sessions;
    size_t max_groups = (size_t)d->n_samples[cond] / (size_t)n + 1;
    g->values = mb_calloc(max_groups * (size_t)n, sizeof(double));
    g->session = mb_calloc(max_groups, sizeof(int));
    int *per_session = mb_calloc((size_t)sessions, sizeof(int));
    for (int i = 0; i < d->n_samples[cond]; i++)
        per_session[d->samples[cond][i].session]++;
    for (int level = 0;; level++) {
        bool any = false;
        for (int s = 0; s < sessions; s++) {
            if ((level + 1) * n > per_session[s])
                continue;
            any = true;
            int seen = 0;
            size_t k = 0;
            for (int i = 0; i < d->n_samples[cond] && k < (size_t)n; i++) {
                if (d->samples[cond][i].session != s)
                    continue;
                if (seen++ >= level * n)
                    g->values[g->count * (size_t)n + k++] = d->samples[cond][i].ips;
            }
            g->session[g->count++] = s;
        }
        if (!any)
            break;
    }
    free(per_session);
}

static void groups_free(groups *g)
{
    free(g->values);
    free(g->session);
}

typedef struct rates {
    int pairs, alarms;          /* disjoint pairs and regressions among them */
    double resampled;           /* regression rate over resampled pairs */
    double mde;                 /* median MDE of the pairs */
} rates;

/* Disjoint pairs: A/A takes neighbours (0,1), (2,3)...; A/B pairs group i of
 * the baseline with group i + 1 of the other condition, a different
 * session, so every group serves once. */
static void disjoint_pairs(const det *d, const groups *a, const groups *b, bool same,
                           rates *r)
{
    int n = a->n;
    double *mdes = mb_calloc(a->count + 1, sizeof(double));
    size_t n_mde = 0;
    size_t pairs = same ? a->count / 2 : (a->count < b->count ? a->count : b->count);
    for (size_t p = 0; p < pairs; p++) {
        const double *x = same ? a->values + 2 * p * (size_t)n : a->values + p * (size_t)n;
        size_t j = same ? 2 * p + 1 : (p + 1) % b->count;
        const double *y = b->values + j * (size_t)n;
        mb_verdict v = mb_compare_decide(x, (size_t)n, y, (size_t)n, d->cfg.threshold, 0,
                                         NULL, NULL);
        r->pairs++;
        r->alarms += v == MB_VERDICT_REGRESSION;
        mdes[n_mde++] = mb_stats_mde(mb_stats_pooled_cv(x, (size_t)n, y, (size_t)n),
                                     (size_t)n, (size_t)n, MB_COMPARE_DEFAULT_ALPHA,
                                     MB_COMPARE_DEFAULT_POWER);
    }
    r->mde = n_mde ? mb_stats_median(mdes, n_mde) : NAN;
    free(mdes);
}

/* Draws n distinct repetitions of a condition from one session. */
static bool draw(const det *d, int cond, int session, int n, uint64_t *rng, double *out)
{
    int *idx = mb_calloc((size_t)d->n_samples[cond] + 1, sizeof(int));
    int m = 0;
    for (int i = 0; i < d->n_samples[cond]; i++)
        if (d->samples[cond][i].session == session)
            idx[m++] = i;
    bool ok = m >= n;
    for (int k = 0; ok && k < n; k++) {
        int j = k + (int)rng_below(rng, (size_t)(m - k));
        int t = idx[k];
        idx[k] = idx[j];
        idx[j] = t;
        out[k] = d->samples[cond][idx[k]].ips;
    }
    free(idx);
    return ok;
}

static double resampled_rate(const det *d, int cond, int n, uint64_t *rng)
{
    double *x = mb_calloc((size_t)n, sizeof(double));
    double *y = mb_calloc((size_t)n, sizeof(double));
    int tried = 0, alarms = 0;
    for (int i = 0; i < d->cfg.resamples; i++) {
        int sa = (int)rng_below(rng, (size_t)d->cfg.sessions);
        int sb = (int)rng_below(rng, (size_t)d->cfg.sessions - 1);
        if (sb >= sa)
            sb++;
        if (!draw(d, 0, sa, n, rng, x) || !draw(d, cond, sb, n, rng, y))
            continue;
        tried++;
        alarms += mb_compare_decide(x, (size_t)n, y, (size_t)n, d->cfg.threshold, 0, NULL,
                                    NULL) == MB_VERDICT_REGRESSION;
    }
    free(x);
    free(y);
    return tried ? (double)alarms / tried : NAN;
}

static double condition_median(const det *d, int cond)
{
    double *v = mb_calloc((size_t)d->n_samples[cond] + 1, sizeof(double));
    for (int i = 0; i < d->n_samples[cond]; i++)
        v[i] = d->samples[cond][i].ips;
    double m = mb_stats_median(v, (size_t)d->n_samples[cond]);
    free(v);
    return m;
}

/* The noise a run sees: the median over sessions of the CV of a session's
 * baseline repetitions, and the CV of the sessions' medians. */
static void noise(const det *d, double *within, double *between)
{
    double cvs[256], medians[256];
    int n = 0;
    double *v = mb_calloc((size_t)d->n_samples[0] + 1, sizeof(double));
    for (int s = 0; s < d->cfg.sessions && n < 256; s++) {
        size_t m = 0;
        for (int i = 0; i < d->n_samples[0]; i++)
            if (d->samples[0][i].session == s)
                v[m++] = d->samples[0][i].ips;
        if (m < 2)
            continue;
        cvs[n] = mb_stats_cv(v, m);
        medians[n++] = mb_stats_median(v, m);
    }
    free(v);
    *within = n ? mb_stats_median(cvs, (size_t)n) : NAN;
    *between = n > 1 ? mb_stats_cv(medians, (size_t)n) : NAN;
}

static void pct(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isinf(v))
        snprintf(buf, size, "inf");
    else
        snprintf(buf, size, "%.1f%%", 100 * v);
}

static void report(const det *d, double seconds)
{
    const det_config *c = &d->cfg;
    double base = condition_median(d, 0);
    double within, between;
    noise(d, &within, &between);
    char w[16], b[16];
    pct(w, sizeof w, within);
    pct(b, sizeof b, between);
    printf("\nDetector benchmark: %s on the CPU (%d thread(s)), %dx%d JPEG, %d images/job, "
           "batch %d, input %d, %d jobs per repetition\n", c->model, c->threads, c->width,
           c->height, c->per_job, c->batch, c->input_size, c->jobs);
    printf("Rule: regression = Mann-Whitney p < %g AND median throughput change < -%g%%\n",
           MB_COMPARE_DEFAULT_ALPHA, 100 * c->threshold);
    printf("Measured: %d repetitions per condition over %d worker sessions in %.0f s; "
           "%.0f images/s; noise: CV %s within a session, %s between sessions\n",
           d->n_samples[0], c->sessions, seconds, base, w, b);
    for (int k = 1; k < N_CONDITIONS; k++)
        printf("Injected slowdown %.0f%%: median throughput change %+.1f%%\n",
               100 * c->slowdown[k], 100 * (condition_median(d, k) / base - 1));
    printf("\n%5s  %-22s  %-22s  %-22s  %-26s  %8s\n", "reps", "false alarms (A/A)",
           "detected, 5% slower", "detected, 10% slower", "resampled: FA / 5% / 10%",
           "MDE@80%");
    uint64_t rng = 7;
    for (int i = 0; i < c->n_rep_counts; i++) {
        int n = c->rep_counts[i];
        groups g[N_CONDITIONS];
        for (int k = 0; k < N_CONDITIONS; k++)
            make_groups(d, k, n, &g[k]);
        rates aa = {0}, ab[N_CONDITIONS] = {{0}};
        disjoint_pairs(d, &g[0], &g[0], true, &aa);
        for (int k = 1; k < N_CONDITIONS; k++)
            if (g[0].count > 0 && g[k].count > 0)
                disjoint_pairs(d, &g[0], &g[k], false, &ab[k]);
        double rs[N_CONDITIONS];
        for (int k = 0; k < N_CONDITIONS; k++)
            rs[k] = resampled_rate(d, k, n, &rng);
        char cells[N_CONDITIONS][48], rs_text[64], r0[16], r1[16], r2[16], mde[16];
        const rates *all[N_CONDITIONS] = {&aa, &ab[1], &ab[2]};
        for (int k = 0; k < N_CONDITIONS; k++)
            snprintf(cells[k], sizeof cells[k], "%d/%d (%.1f%%)", all[k]->alarms,
                     all[k]->pairs, all[k]->pairs ? 100.0 * all[k]->alarms / all[k]->pairs : 0);
        pct(r0, sizeof r0, rs[0]);
        pct(r1, sizeof r1, rs[1]);
        pct(r2, sizeof r2, rs[2]);
        snprintf(rs_text, sizeof rs_text, "%s / %s / %s", r0, r1, r2);
        pct(mde, sizeof mde, aa.mde);
        printf("%5d  %-22s  %-22s  %-22s  %-26s  %8s\n", n, cells[0], cells[1], cells[2],
               rs_text, mde);
        for (int k = 0; k < N_CONDITIONS; k++)
            groups_free(&g[k]);
    }
    printf("\nDisjoint pairs: every group of repetitions is used once per column, baseline "
           "and current from different worker sessions.\nResampled: %d random pairs per "
           "cell (overlapping, so not independent; a smoother estimate of the same rate).\n",
           c->resamples);
}

/* ---- options ------------------------------------------------------------------ */

enum {
    OPT_REPS = 1, OPT_SESSIONS, OPT_JOBS, OPT_PER_JOB, OPT_BATCH, OPT_SIZE, OPT_INPUT,
    OPT_THREADS, OPT_THRESHOLD, OPT_COUNTS, OPT_RESAMPLES, OPT_WORKER, OPT_MODEL, OPT_HELP
};

static const mb_opt det_opts[] = {
    {"reps", 0, 1, OPT_REPS},
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
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-bench-detector [--reps N] [--sessions N] [--jobs N] [--per-job N]\n"
          "         [--batch N] [--size WxH] [--input-size N] [--threads N]\n"
          "         [--threshold PCT] [--repetitions 3,5,8] [--resamples N]\n"
          "         [--worker PATH] [--model SPEC]\n"
          "Measures the false-alarm and detection rates of `mpsbench compare` on real\n"
          "worker processes (CPU).  --reps is the number of repetitions measured per\n"
          "condition (no slowdown, 5%, 10%) over all sessions.\n", f);
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

static int parse_args(int argc, char **argv, det_config *c, bool *help, mb_err *err)
{
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    for (;;) {
        int id, rc = 0;
        if ((rc = mb_opt_next(&it, det_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            return 0;
        switch (id) {
        case MB_OPT_POSITIONAL:
            rc = mb_err_set(err, MB_EUSAGE, "unexpected argument '%s'", it.arg);
            break;
        case OPT_REPS: rc = parse_int("reps", it.arg, 4, &c->reps_per_condition, err); break;
        case OPT_SESSIONS: rc = parse_int("sessions", it.arg, 2, &c->sessions, err); break;
        case OPT_JOBS: rc = parse_int("jobs", it.arg, 1, &c->jobs, err); break;
        case OPT_PER_JOB: rc = parse_int("per-job", it.arg, 1, &c->per_job, err); break;
        case OPT_BATCH: rc = parse_int("batch", it.arg, 1, &c->batch, err); break;
        case OPT_INPUT: rc = parse_int("input-size", it.arg, 0, &c->input_size, err); break;
        case OPT_THREADS: rc = parse_int("threads", it.arg, 0, &c->threads, err); break;
        case OPT_RESAMPLES: rc = parse_int("resamples", it.arg, 0, &c->resamples, err); break;
        case OPT_COUNTS: rc = parse_counts(it.arg, c, err); break;
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
    d->jobs_key = mb_key_jobs("detector", "w1");
    d->results_key = mb_key_results("detector");
    d->hello_key = mb_key_worker("detector", "hello");
    snprintf(d->results_last, sizeof d->results_last, "0-0");
    rc = mb_queue_create_group(d->q, d->jobs_key, "workers", err);
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
    mb_proc_stop(&d->worker, 5000);
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
    for (int k = 0; k < N_CONDITIONS; k++)
        free(d->samples[k]);
    free(d->tmp);
    free(d->jobs_key);
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
    det d;
    memset(&d, 0, sizeof d);
    /* The defaults are the scenario defaults (10 jobs per repetition, one
     * warm-up) on the first image size of scenarios/default.yaml, with the
     * tiny model at smoke.yaml's input size, so that a repetition takes about
     * a tenth of a second on a 2-core machine and the whole benchmark a few
     * minutes. */
    d.cfg = (det_config){
        .reps_per_condition = 240, .sessions = 6, .jobs = 10, .warmup_jobs = 2,
        .per_job = 16, .batch = 8, .width = 224, .height = 224, .input_size = 64,
        .threads = 1, .threshold = MB_COMPARE_DEFAULT_THRESHOLD,
        .slowdown = {0, 0.05, 0.10}, .rep_counts = {3, 4, 5, 6, 8, 10}, .n_rep_counts = 6,
        .resamples = 4000, .model = "builtin:tiny",
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
    double start = mb_now_ms();
    int rc = setup(&d, &err);
    if (rc == 0)
        rc = measure(&d, &err);
    if (rc == 0)
        report(&d, (mb_now_ms() - start) / 1000.0);
    else
        fprintf(stderr, "mpsbench-bench-detector: %s\n", err.msg);
    teardown(&d);
    free(worker);
    return rc == 0 ? MB_EXIT_OK : mb_err_exit_code(rc);
}

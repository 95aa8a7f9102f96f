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
 *               mb_compare_history;
 *   ab_fresh    the runner's fresh workers per round (run.fresh_workers):
 *               n rounds, each of another session (distinct sessions, a
 *               random round of each), A against B, mb_compare_paired.  A
 *               session's two workers differ by a fixed offset for their
 *               whole life; across sessions that offset is per-round noise,
 *               as it is with a new worker every round.  n <= sessions.
 * A/A trials give the false-alarm rate, the 5% and 10% trials the
 * detection rates.  Disjoint trials (every window used once) give honest
 * but coarse counts; resampled trials (random windows, many more, not
 * independent) a smoother estimate of the same rates.
 *
 * This file holds the options, the measurement (workers started and fed
 * through workerclient/, as the runner does) and main; the analysis, the
 * report and the raw rounds file are beside it (bench_detector.h). */
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_detector.h"
#include "compare.h"
#include "detector_logic.h"
#include "fixtures.h"
#include "mb_opts.h"
#include "mb_exit.h"
#include "mb_util.h"
#include "process.h"
#include "protocol.h"
#include "queue.h"
#include "redis_server.h"
#include "workerclient.h"

volatile sig_atomic_t mb_det_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    mb_det_interrupted = 1;
}

/* ---- the measurement ------------------------------------------------------ */

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

/* A worker of one side started as the runner starts it (workerclient/),
 * with the changes of variant v (-1: none): its environment entries, its
 * extra options, and its process attributes, set on this process only
 * around the spawn so the worker inherits them. */
int mb_det_start_worker(det *d, const char *id, int side, int v, mb_err *err)
{
    const det_variant *var = v >= 0 ? &mb_det_variants[v] : NULL;
    char *log = mb_asprintf("%s/worker-%s.log", d->tmp, id);
    mb_worker_spec spec = {
        .path = d->cfg.worker, .redis_url = mb_queue_url(d->q), .jobs_stream = d->jobs_key[side],
        .results_stream = d->results_key, .id = id, .hello_key = d->hello_key,
        .device = "cpu", .model = d->cfg.model, .threads = d->cfg.threads,
        .extra = var != NULL && var->extra[0] != NULL ? var->extra : NULL,
    };
    mb_env env = {0};
    if (var != NULL && var->env[0] != NULL) {
        mb_env_from_current(&env);
        for (int k = 0; k + 1 < 4 && var->env[k] != NULL; k += 2)
            mb_env_set(&env, var->env[k], var->env[k + 1]);
    }
    int rc = 0;
    if (var != NULL && mb_det_variant_attributes(var, true) != 0)
        rc = mb_err_set(err, MB_EINVAL, "variant %s: this system cannot set its process "
                        "attribute", var->name);
    if (rc == 0)
        rc = mb_worker_start(d->q, &spec, env.vars, log, &d->worker[side], err);
    if (var != NULL)
        mb_det_variant_attributes(var, false);
    mb_env_free(&env);
    char *hello = NULL;
    if (rc == 0)
        rc = mb_worker_await_hello(d->q, d->hello_key, &d->worker[side], id, log, 60000,
                                   &mb_det_interrupted, &hello, err);
    free(log);
    if (rc == 0 && !mb_worker_hello_ready(hello))
        rc = mb_err_set(err, MB_EWORKER, "the worker is not ready: see %s", d->tmp);
    free(hello);
    return rc;
}

/* One job on one side's worker, submitted and awaited, as the runner does
 * with inflight 1. */
int mb_det_run_job(det *d, int side, double slowdown, int *images, mb_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "d.%ld", d->next_job++);
    mb_job job = {
        .id = id, .cell = "detector", .images = d->images, .n_images = (size_t)d->cfg.per_job,
        .batch_size = d->cfg.batch, .input_size = d->cfg.input_size,
        .fault_slowdown = slowdown,
    };
    int rc = mb_worker_submit(d->q, d->jobs_key[side], &job, NULL, err);
    if (rc != 0)
        return rc;
    double deadline = mb_now_ms() + 120000;
    while (mb_now_ms() < deadline && !mb_det_interrupted) {
        mb_result r = {0};
        int got = mb_worker_next_result(d->q, d->results_key, d->results_last, 200, &r, err);
        if (got < 0)
            return got;
        if (got == 0) {
            if (!mb_proc_alive(&d->worker[side]))
                return mb_err_set(err, MB_EWORKER, "the worker died: see %s", d->tmp);
            continue;
        }
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
        int rc = mb_det_run_job(d, side, slowdown, &n, err);
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
int mb_det_run_round(det *d, int session, uint64_t *rng, det_round *r, mb_err *err)
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
    for (int s = 0; s < d->cfg.sessions && !mb_det_interrupted; s++) {
        int rc = 0;
        for (int side = 0; rc == 0 && side < N_SIDES; side++) {
            char id[32];
            snprintf(id, sizeof id, "det%d%c", s, side ? 'b' : 'a');
            rc = mb_det_start_worker(d, id, side, -1, err);
        }
        for (int w = 0; rc == 0 && w < d->cfg.warmup_jobs; w++) {
            int n;
            for (int side = 0; rc == 0 && side < N_SIDES; side++)
                rc = mb_det_run_job(d, side, 0, &n, err);
        }
        d->first[s] = d->n_rounds;
        for (int i = 0; rc == 0 && i < d->cfg.rounds && !mb_det_interrupted; i++) {
            rc = mb_det_run_round(d, s, &rng, &d->rounds[d->n_rounds], err);
            if (rc == 0)
                d->n_rounds++;
        }
        for (int side = 0; side < N_SIDES; side++)
            mb_worker_stop(d->q, &d->worker[side], d->hello_key, 5000);
        if (mb_det_interrupted) {
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
    if (!mb_det_interrupted)
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

/* ---- options ------------------------------------------------------------------ */

enum {
    OPT_ROUNDS = 1, OPT_SESSIONS, OPT_JOBS, OPT_PER_JOB, OPT_BATCH, OPT_SIZE, OPT_INPUT,
    OPT_THREADS, OPT_THRESHOLD, OPT_COUNTS, OPT_RESAMPLES, OPT_WORKER, OPT_MODEL, OPT_MODE,
    OPT_JSON, OPT_HISTORY, OPT_NOTE, OPT_ROUNDS_OUT, OPT_REPLAY, OPT_VARIANTS, OPT_MAX_SECONDS,
    OPT_ALPHA, OPT_HELP
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
    {"alpha", 0, 1, OPT_ALPHA},
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
    {"variants", 0, 1, OPT_VARIANTS},
    {"max-seconds", 0, 1, OPT_MAX_SECONDS},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-bench-detector [--mode sequential|ab|ab_fresh|history|all|fresh]\n"
          "         [--json FILE] [--sessions N] [--rounds N] [--jobs N] [--per-job N]\n"
          "         [--batch N] [--size WxH] [--input-size N] [--threads N] [--threshold PCT]\n"
          "         [--alpha P]\n"
          "         [--repetitions 10,6,15] [--resamples N] [--history-runs K]\n"
          "         [--worker PATH] [--model SPEC] [--machine-note TEXT]\n"
          "         [--rounds-out FILE] [--replay FILE[,FILE...]]... [--variants LIST]\n"
          "         [--max-seconds S]\n"
          "Measures the false-alarm and detection rates of the three regression designs\n"
          "(two files, A/B rounds, a history baseline) on real worker processes (CPU),\n"
          "and ab_fresh: A/B rounds each from another session, standing for a fresh\n"
          "worker per round (judged at repetition counts up to the sessions only).\n"
          "Each of --sessions sessions starts two workers and measures --rounds rounds of\n"
          "six repetitions; --repetitions lists the repetition (round) counts judged, the\n"
          "first being the one the JSON's top-level figures are for.  --machine-note goes\n"
          "into the JSON's machine block as is: say there how the machine was shared or\n"
          "pinned (the CPUs the process may use are recorded by themselves on Linux).\n"
          "--rounds-out saves the raw rounds as soon as they are measured; --replay FILE\n"
          "analyses such a file instead of measuring (the measuring machine's block, the\n"
          "configuration of the measurement and its time come from the file; the analysis\n"
          "options --repetitions, --resamples, --history-runs, --mode, --threshold and\n"
          "--alpha from the command).  --alpha: the verdicts' significance level (0.01).\n"
          "Several --replay files of live rounds (repeat the option or list them) are\n"
          "streams measured side by side on disjoint CPUs: pooled, a verdict's window\n"
          "never spans two of them.\n"
          "--mode fresh measures the runner's fresh workers live instead: every round\n"
          "starts, warms up and stops a new pair of workers (--rounds rounds of each\n"
          "variant; --repetitions defaults to 16,24,40,64,96 consecutive rounds a verdict;\n"
          "--max-seconds stops starting rounds after S seconds).  --variants (default:\n"
          "default) rotates through ways of starting the workers, to find what sets a\n"
          "worker process's lasting offset:\n", f);
    for (int i = 0; i < mb_det_n_variants; i++)
        fprintf(f, "  %-9s %s\n", mb_det_variants[i].name, mb_det_variants[i].what);
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
        c->modes[m] = all || strcmp(text, mb_det_mode_names[m]) == 0;
        any = any || c->modes[m];
    }
    /* fresh is measured on its own: "all" is the session designs. */
    c->modes[MODE_FRESH] = strcmp(text, mb_det_mode_names[MODE_FRESH]) == 0;
    return any ? 0 : mb_err_set(err, MB_EUSAGE, "option --mode: '%s' is not sequential, ab, "
                                "ab_fresh, history, all or fresh", text);
}

static int parse_variants(const char *text, det_config *c, mb_err *err)
{
    c->n_variants = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *item = mb_strndup(p, len);
        int v = mb_det_variant_find(item);
        int rc = 0;
        if (v < 0)
            rc = mb_err_set(err, MB_EUSAGE, "option --variants: no variant '%s' (see --help)",
                            item);
        for (int k = 0; rc == 0 && k < c->n_variants; k++)
            if (c->variants[k] == v)
                rc = mb_err_set(err, MB_EUSAGE, "option --variants: '%s' twice", item);
        if (rc == 0 && c->n_variants == MAX_VARIANTS)
            rc = mb_err_set(err, MB_EUSAGE, "option --variants: at most %d", MAX_VARIANTS);
        free(item);
        if (rc != 0)
            return rc;
        c->variants[c->n_variants++] = v;
        p += len;
        if (*p == ',')
            p++;
    }
    return c->n_variants > 0 ? 0 : mb_err_set(err, MB_EUSAGE, "option --variants: empty");
}

/* --replay FILE, repeated or a comma-separated list: each file is one
 * stream of live rounds (its own CPU slice), pooled by the analysis. */
static int parse_replay(const char *text, det_config *c, mb_err *err)
{
    for (const char *p = text; *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == 0)
            return mb_err_set(err, MB_EUSAGE, "option --replay: an empty file name in '%s'",
                              text);
        if (c->n_replay == MAX_STREAMS)
            return mb_err_set(err, MB_EUSAGE, "option --replay: at most %d files", MAX_STREAMS);
        c->replay_paths[c->n_replay++] = mb_strndup(p, len);
        p += len;
        if (*p == ',')
            p++;
    }
    c->replay_path = c->n_replay > 0 ? c->replay_paths[0] : NULL;
    return c->replay_path != NULL ? 0 : mb_err_set(err, MB_EUSAGE, "option --replay: empty");
}

/* What only the fresh design takes, and its default repetition counts. */
static void fresh_counts(det_config *c)
{
    if (!c->counts_given) {
        /* 8 is the fewest rounds that can reach p < 0.01; the busy-machine
         * streams (README) needed 64-96 to find a 5% slowdown. */
        static const int fresh_counts[] = {16, 24, 40, 64, 96};
        c->n_rep_counts = 0;
        for (size_t i = 0; i < sizeof fresh_counts / sizeof fresh_counts[0]; i++)
            if (fresh_counts[i] <= c->rounds)
                c->rep_counts[c->n_rep_counts++] = fresh_counts[i];
        if (c->n_rep_counts == 0)
            c->rep_counts[c->n_rep_counts++] = c->rounds;
    }
}

static int check_fresh(det_config *c, bool variants_given, mb_err *err)
{
    if (!c->modes[MODE_FRESH])
        return variants_given || c->max_seconds > 0
                   ? mb_err_set(err, MB_EUSAGE, "options --variants and --max-seconds are for "
                                "--mode fresh")
                   : 0;
    fresh_counts(c);
    return 0;
}

static int parse_args(int argc, char **argv, det_config *c, bool *help, mb_err *err)
{
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    bool variants_given = false;
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
        case OPT_REPLAY: rc = parse_replay(it.arg, c, err); break;
        case OPT_COUNTS:
            c->counts_given = true;
            rc = parse_counts(it.arg, c, err);
            break;
        case OPT_VARIANTS:
            variants_given = true;
            rc = parse_variants(it.arg, c, err);
            break;
        case OPT_MAX_SECONDS: {
            int s = 0;
            rc = parse_int("max-seconds", it.arg, 1, &s, err);
            c->max_seconds = s;
            break;
        }
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
        case OPT_ALPHA:
            /* An analysis option, like --repetitions: a replay takes it
             * from the command, so one set of rounds can be judged at
             * several levels. */
            if (mb_parse_double(it.arg, &c->alpha) != 0 || !(c->alpha > 0 && c->alpha < 1))
                rc = mb_err_set(err, MB_EUSAGE, "option --alpha: '%s' is not a level "
                                "between 0 and 1 (e.g. 0.01)", it.arg);
            break;
        case OPT_HELP: *help = true; return 0;
        }
        if (rc != 0)
            return rc;
    }
    if (c->sessions > MAX_SESSIONS)
        return mb_err_set(err, MB_EUSAGE, "option --sessions: at most %d", MAX_SESSIONS);
    int frc = check_fresh(c, variants_given, err);
    if (frc != 0)
        return frc;
    if (c->modes[MODE_HISTORY] && c->history_runs + 1 > c->sessions)
        return mb_err_set(err, MB_EUSAGE, "option --history-runs: %d runs need at least %d "
                          "sessions", c->history_runs, c->history_runs + 1);
    /* A replay's rounds are those in its files, not --rounds: a window
     * longer than a stream is simply not there to judge. */
    for (int i = 0; c->n_replay == 0 && i < c->n_rep_counts; i++)
        if (c->rep_counts[i] > c->rounds)
            return mb_err_set(err, MB_EUSAGE, "option --repetitions: %d is more than the %d "
                              "rounds of a session", c->rep_counts[i], c->rounds);
    return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static int setup(det *d, mb_err *err)
{
    int rc = mb_redis_server_start_scratch("mb-detector", &d->tmp, &d->redis, err);
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
    mb_remove_tree(d->tmp);
    if (d->images != NULL)
        mb_fixture_paths_free(d->images, d->cfg.per_job);
    free(d->rounds);
    free(d->tmp);
    for (int side = 0; side < N_SIDES; side++)
        free(d->jobs_key[side]);
    free(d->results_key);
    free(d->hello_key);
}

/* The designs' verdicts at every repetition count, the tables and the
 * JSON; the fresh design per variant. */
static int analyse_and_report(det *d, mb_err *err)
{
    static mode_result res[N_MODES][MAX_REP_COUNTS];
    static mode_result fresh[MAX_VARIANTS][MAX_REP_COUNTS];
    const det_config *c = &d->cfg;
    if (c->modes[MODE_FRESH]) {
        for (int v = 0; v < c->n_variants; v++)
            for (int i = 0; i < c->n_rep_counts; i++)
                mb_det_analyse_fresh(d, v, c->rep_counts[i], &fresh[v][i]);
        mb_det_print_fresh(d, fresh);
        return c->json_path != NULL ? mb_det_write_fresh_json(d, fresh, err) : 0;
    }
    for (int m = 0; m < N_MODES; m++)
        for (int i = 0; c->modes[m] && i < c->n_rep_counts; i++)
            mb_det_analyse(d, m, c->rep_counts[i], &res[m][i]);
    mb_det_print_report(d, res);
    return c->json_path != NULL ? mb_det_write_json(d, res, err) : 0;
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
    /* The defaults: the tiny model at smoke.yaml's input size with 64
     * images per job, so that one job takes tens of milliseconds on a 2-core
     * machine and timer jitter is small beside it; 3 jobs per repetition;
     * 8 sessions of 40 rounds, a few minutes in all.  The repetition counts
     * the session designs' historical range (6 is the default scenario's
     * repetitions, 10 the one the JSON's top-level figures are for); at
     * p < 0.01 the signed-rank test needs 8 rounds or more to judge at all. */
    d.cfg = (det_config){
        .rounds = 40, .sessions = 8, .jobs = 3, .warmup_jobs = 2,
        .per_job = 64, .batch = 8, .width = 224, .height = 224, .input_size = 64,
        .threads = 1, .history_runs = 5, .threshold = MB_COMPARE_DEFAULT_THRESHOLD,
        .alpha = MB_COMPARE_DEFAULT_ALPHA,
        .slowdown = {0, 0.05, 0.10}, .rep_counts = {10, 6, 15}, .n_rep_counts = 3,
        .resamples = 2000, .modes = {true, true, true, true, false}, .model = "builtin:tiny",
        .variants = {0}, .n_variants = 1,
    };
    mb_err err;
    mb_err_clear(&err);
    bool help = false;
    if (parse_args(argc, argv, &d.cfg, &help, &err) != 0) {
        fprintf(stderr, "mpsbench-bench-detector: %s\n", err.msg);
        usage(stderr);
        return mb_exit_code(MB_EUSAGE, NULL);
    }
    if (help) {
        usage(stdout);
        return mb_exit_code(MB_OK, NULL);
    }
    char *worker = d.cfg.worker ? NULL : default_worker(argv[0]);
    if (worker != NULL)
        d.cfg.worker = worker;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    json_t *meta = NULL;
    d.n_streams = 1;
    int rc;
    if (d.cfg.replay_path != NULL) {
        rc = mb_det_replay(&d, &meta, &err);
        if (rc == 0 && d.cfg.modes[MODE_FRESH])
            fresh_counts(&d.cfg);
    } else {
        read_load(d.load_start);
        double start = mb_now_ms();
        rc = setup(&d, &err);
        if (rc == 0)
            rc = d.cfg.modes[MODE_FRESH] ? mb_det_measure_live(&d, &err) : measure(&d, &err);
        d.seconds = (mb_now_ms() - start) / 1000.0;
        read_load(d.load_end);
        if (rc == 0 && d.cfg.rounds_path != NULL)
            rc = mb_det_save_rounds(&d, &err);
    }
    if (rc == 0)
        rc = analyse_and_report(&d, &err);
    if (rc != 0)
        fprintf(stderr, "mpsbench-bench-detector: %s\n", err.msg);
    teardown(&d);
    json_decref(d.machine);
    json_decref(d.streams);
    json_decref(meta);
    for (int i = 0; i < d.cfg.n_replay; i++)
        free(d.cfg.replay_paths[i]);
    free(worker);
    return mb_exit_code(rc, NULL);
}

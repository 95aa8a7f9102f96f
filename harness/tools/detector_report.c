/* The detector benchmark's report: the tables on stdout and the JSON
 * file, from the rounds measured and the figures of the analysis, and the
 * figures only the report uses (the median per condition, the paired
 * change, the noise each design sees), with the machine block. */
#ifdef __linux__
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#endif
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_detector.h"
#include "compare.h"
#include "detector_logic.h"
#include "mb_util.h"
#include "stats.h"

const char *const mb_det_mode_names[N_MODES] = {"sequential", "ab", "history", "ab_fresh",
                                                "fresh"};

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
    "ab_fresh: A and B paired per round, each round from another session, as fresh workers per "
    "round would be (Wilcoxon signed-rank on per-round ratios; n <= sessions)",
    "fresh: A and B each a new worker every round, measured live; a verdict is n consecutive "
    "live rounds (Wilcoxon signed-rank on per-round ratios)",
};

static void print_table(const det *d, const mode_result *res)
{
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

static void print_mode(const det *d, int mode, const mode_result *res)
{
    printf("\n%s\n", mode_titles[mode]);
    if (mode == MODE_HISTORY)
        printf("K = %d runs in the baseline\n", d->cfg.history_runs);
    print_table(d, res);
}

/* compare.h's rule, as the verdicts below apply it. */
static void print_rule(const det_config *c)
{
    printf("Rule: regression = p < %g AND median throughput change < 0 AND its 95%% interval "
           "reaches below -%g%%; inconclusive (MDE above the threshold) counts as no alarm\n",
           c->alpha, 100 * c->threshold);
}

void mb_det_print_report(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS])
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
    print_rule(c);
    printf("Measured: %zu rounds (6 repetitions each) over %d sessions of two workers in "
           "%.0f s; %.0f images/s; load average %.2f at start, %.2f at end\n",
           d->n_rounds, c->sessions, d->seconds, base, d->load_start[0], d->load_end[0]);
    json_t *machine = mb_det_machine_json(d);
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
           "once.  ab_fresh draws one random round of each of n random sessions instead of "
           "a window (its disjoint trials use every round once) and has no trials when n is "
           "over the sessions.  min: minutes of measuring per verdict.\n", c->resamples);
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

json_t *mb_det_machine_json(const det *d)
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
    json_object_set_new(o, "alpha", json_real(c->alpha));
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

/* Writes the report's JSON document (taking root) to path, atomically. */
static int write_json(json_t *root, const char *path, mb_err *err)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    int rc = 0;
    if (text == NULL)
        rc = mb_err_set(err, MB_ENOMEM, "option --json: cannot encode %s", path);
    else
        rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int mb_det_write_json(const det *d, mode_result res[N_MODES][MAX_REP_COUNTS], mb_err *err)
{
    const det_config *c = &d->cfg;
    json_t *root = json_object();
    json_object_set_new(root, "machine", mb_det_machine_json(d));
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
        json_object_set_new(modes, mb_det_mode_names[k], o);
    }
    json_object_set_new(root, "modes", modes);
    return write_json(root, c->json_path, err);
}

/* ---- the fresh design, measured live ---------------------------------------- */

/* What the live rounds of one variant show: throughput, the paired changes,
 * the split of A's spread into the process's lasting offset and the noise
 * within a process (A's three repetitions of a round share one process),
 * the per-round sd of log(A'/A), and what a round's workers cost. */
typedef struct live_stats {
    size_t rounds;
    double ips, change[N_PAIRS], offset, within, sd_log;
    double start, warm, rep;    /* seconds: both workers' start, warm-up; one repetition */
} live_stats;

static live_stats live_stats_of(const det *d, int v)
{
    live_stats st;
    memset(&st, 0, sizeof st);
    size_t n = d->n_rounds;
    double *a = mb_calloc(N_PAIRS * n + 1, sizeof(double));
    double *b = mb_calloc(n + 1, sizeof(double));
    double *l = mb_calloc(n + 1, sizeof(double));
    double *pa = mb_calloc(n + 1, sizeof(double));
    double reps = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const det_round *r = &d->rounds[i];
        if (r->variant != v)
            continue;
        for (int p = 0; p < N_PAIRS; p++) {
            a[m * N_PAIRS + p] = r->a[p];
            reps += r->sec_a[p] + r->sec_b[p];
        }
        l[m] = log(r->b[0] / r->a[0]);
        st.start += r->start_sec;
        st.warm += r->warm_sec;
        m++;
    }
    st.rounds = m;
    for (int p = 0; p < N_PAIRS; p++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (d->rounds[i].variant == v) {
                pa[k] = d->rounds[i].a[p];
                b[k++] = d->rounds[i].b[p];
            }
        st.change[p] = mb_det_paired_change(pa, b, m);
        if (p == 0)
            st.ips = m ? mb_stats_median(pa, m) : NAN;
    }
    mb_det_offset_split(a, m, N_PAIRS, &st.within, &st.offset);
    st.sd_log = m > 1 ? mb_stats_stddev(l, m) : NAN;
    st.start = m ? st.start / (double)m : NAN;
    st.warm = m ? st.warm / (double)m : NAN;
    st.rep = m ? reps / (double)(2 * N_PAIRS * m) : NAN;
    free(a);
    free(b);
    free(l);
    free(pa);
    return st;
}

/* A signed change "+1.2%" (kind 'c'), seconds "0.43s" ('s') or a whole
 * number ('n'); "-" for NaN (a variant without rounds). */
static void fmt(char *buf, size_t size, char kind, double v)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (kind == 'c')
        snprintf(buf, size, "%+.1f%%", 100 * v);
    else if (kind == 's')
        snprintf(buf, size, "%.2fs", v);
    else
        snprintf(buf, size, "%.0f", v);
}

/* The fresh design's verdicts per rounds-per-verdict N.  The headline is
 * the independent verdicts: disjoint windows of N consecutive rounds of one
 * stream, each round in one verdict only; the resampled figures (random,
 * overlapping windows: many, smooth, not independent) follow, labelled. */
static void print_fresh_table(const det *d, const mode_result *res)
{
    printf("%4s  %-24s %7s  %-22s %-17s %-17s %7s %6s\n", "N", "verdicts", "windows",
           "false alarms", "detect 5%", "detect 10%", "MDE", "min");
    for (int i = 0; i < d->cfg.n_rep_counts; i++) {
        const det_figures *f[2] = {&res[i].disjoint, &res[i].resampled};
        for (int k = 0; k < 2; k++) {
            char fa[48], d5[48], d10[48], u[16], mde[16];
            count_cell(fa, sizeof fa, &f[k]->tally[0]);
            pct(u, sizeof u, mb_det_upper95(&f[k]->tally[0]));
            snprintf(fa + strlen(fa), sizeof fa - strlen(fa), " <=%s", u);
            count_cell(d5, sizeof d5, &f[k]->tally[1]);
            count_cell(d10, sizeof d10, &f[k]->tally[2]);
            pct(mde, sizeof mde, f[k]->mde);
            if (k == 0)
                printf("%4d  %-24s %7zu  %-22s %-17s %-17s %7s %6.2f\n", d->cfg.rep_counts[i],
                       "independent (disjoint)", f[k]->tally[0].trials, fa, d5, d10, mde,
                       res[i].minutes);
            else
                printf("%4s  %-24s %7s  %-22s %-17s %-17s %7s\n", "", "resampled (overlap)",
                       "", fa, d5, d10, mde);
        }
    }
}

/* Which streams were pooled, where each ran, and what its note says. */
static void print_streams(const det *d)
{
    if (d->n_streams < 2 || d->streams == NULL)
        return;
    printf("Streams: %d measured side by side, each on its own CPUs, pooled; a verdict's "
           "window never spans two streams\n", d->n_streams);
    size_t i;
    json_t *s;
    json_array_foreach(d->streams, i, s) {
        json_t *m = json_object_get(s, "machine");
        char *cpus = json_dumps(json_object_get(m, "cpus_allowed"), JSON_COMPACT);
        json_t *note = json_object_get(m, "note");
        printf("  stream %zu: %lld rounds, CPUs %s%s%s\n", i,
               (long long)json_integer_value(json_object_get(s, "rounds")),
               cpus ? cpus : "?", note ? "; " : "", note ? json_string_value(note) : "");
        free(cpus);
    }
}

void mb_det_print_fresh(const det *d, mode_result res[MAX_VARIANTS][MAX_REP_COUNTS])
{
    const det_config *c = &d->cfg;
    printf("\nDetector benchmark, fresh workers measured live: %s on the CPU (%d thread(s)), "
           "%dx%d JPEG, %d images/job, batch %d, input %d, %d jobs per repetition, %d warm-up "
           "jobs per worker\n", c->model, c->threads, c->width, c->height, c->per_job, c->batch,
           c->input_size, c->jobs, c->warmup_jobs);
    print_rule(c);
    printf("Measured: %zu live rounds (two new workers and 6 repetitions each) in %.0f s%s%s; "
           "load average %.2f at start, %.2f at end\n", d->n_rounds, d->seconds,
           d->n_streams > 1 ? " (the longest of the streams)" : "",
           d->interrupted ? " (cut short)" : "", d->load_start[0], d->load_end[0]);
    json_t *machine = mb_det_machine_json(d);
    json_t *note = json_object_get(machine, "note");
    printf("Machine: %s, %d CPUs%s%s\n", json_string_value(json_object_get(machine, "cpu_model")),
           (int)json_integer_value(json_object_get(machine, "cores")), note ? "; " : "",
           note ? json_string_value(note) : "");
    json_decref(machine);
    print_streams(d);
    printf("\n%-9s %6s %7s %8s %8s %8s  %8s %8s %8s  %7s %7s %7s\n", "variant", "rounds",
           "img/s", "A/A'", "5%", "10%", "offset", "within", "sd A'/A", "start", "warm",
           "rep");
    for (int v = 0; v < c->n_variants; v++) {
        live_stats st = live_stats_of(d, v);
        char o[16], w[16], sl[16], ips[24], ch[N_PAIRS][16], t[3][16];
        pct(o, sizeof o, st.offset);
        pct(w, sizeof w, st.within);
        pct(sl, sizeof sl, st.sd_log);
        fmt(ips, sizeof ips, 'n', st.ips);
        for (int p = 0; p < N_PAIRS; p++)
            fmt(ch[p], sizeof ch[p], 'c', st.change[p]);
        fmt(t[0], sizeof t[0], 's', st.start);
        fmt(t[1], sizeof t[1], 's', st.warm);
        fmt(t[2], sizeof t[2], 's', st.rep);
        printf("%-9s %6zu %7s %8s %8s %8s  %8s %8s %8s  %7s %7s %7s\n",
               mb_det_variants[c->variants[v]].name, st.rounds, ips, ch[0], ch[1], ch[2], o, w,
               sl, t[0], t[1], t[2]);
    }
    printf("A/A', 5%%, 10%%: median per-round change of B against A.  offset: sd of a worker "
           "process's lasting offset; within: sd inside one process (from A's three "
           "repetitions per round); sd A'/A: sd of log(A'/A) per round.  start, warm: both "
           "workers' start (spawn to hello) and warm-up per round; rep: one repetition.\n");
    for (int v = 0; v < c->n_variants; v++) {
        const det_variant *var = &mb_det_variants[c->variants[v]];
        printf("\n%s [%s: %s]\n", mode_titles[MODE_FRESH], var->name, var->what);
        print_fresh_table(d, res[v]);
    }
    printf("\nindependent: every disjoint window of N consecutive live rounds of one stream "
           "is one verdict (windows = verdicts per column); resampled: %d random windows per "
           "column, overlapping, so not independent.  k/n and the rate, with <= the upper end "
           "of the two-sided 95%% Clopper-Pearson interval (a one-sided 97.5%% bound).  MDE: "
           "median over the A/A verdicts.  min: minutes per cell, both workers' start and "
           "warm-up included.\n", c->resamples);
}

static json_t *by_counts_json(const det *d, const mode_result *res)
{
    json_t *o = figures_json(&res[0].resampled, res[0].minutes, true);
    json_object_set_new(o, "repetitions", json_integer(d->cfg.rep_counts[0]));
    json_object_set_new(o, "disjoint", figures_json(&res[0].disjoint, res[0].minutes, false));
    json_t *by = json_object();
    for (int i = 0; i < d->cfg.n_rep_counts; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", d->cfg.rep_counts[i]);
        json_t *e = figures_json(&res[i].resampled, res[i].minutes, true);
        json_object_set_new(e, "disjoint", figures_json(&res[i].disjoint, res[i].minutes, false));
        json_object_set_new(by, key, e);
    }
    json_object_set_new(o, "by_repetitions", by);
    return o;
}

static json_t *live_stats_json(const live_stats *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "rounds", json_integer((json_int_t)st->rounds));
    json_object_set_new(o, "images_per_second", num(st->ips));
    json_object_set_new(o, "change_aa", num(st->change[0]));
    json_object_set_new(o, "change_5", num(st->change[1]));
    json_object_set_new(o, "change_10", num(st->change[2]));
    json_object_set_new(o, "process_offset_sd", num(st->offset));
    json_object_set_new(o, "within_process_sd", num(st->within));
    json_object_set_new(o, "sd_log_ratio_per_round", num(st->sd_log));
    json_object_set_new(o, "start_seconds_per_round", num(st->start));
    json_object_set_new(o, "warmup_seconds_per_round", num(st->warm));
    json_object_set_new(o, "seconds_per_repetition", num(st->rep));
    return o;
}

/* modes.fresh: the first variant's figures (the workers as the runner
 * starts them, when --variants leads with default); variants: each
 * variant's figures with its live statistics. */
int mb_det_write_fresh_json(const det *d, mode_result res[MAX_VARIANTS][MAX_REP_COUNTS],
                            mb_err *err)
{
    const det_config *c = &d->cfg;
    json_t *root = json_object();
    json_object_set_new(root, "machine", mb_det_machine_json(d));
    json_t *cfg = config_json(d, c->rep_counts[0]);
    json_object_set_new(cfg, "design", json_string("fresh"));
    json_object_set_new(cfg, "minutes_per_verdict", json_string(
        "per A/B cell with fresh workers: n rounds of both workers' start, warm-up and one "
        "repetition each"));
    json_object_set_new(root, "config", cfg);
    json_t *m = json_object();
    json_object_set_new(m, "rounds", json_integer((json_int_t)d->n_rounds));
    json_object_set_new(m, "seconds", num(d->seconds));
    json_object_set_new(m, "interrupted", json_boolean(d->interrupted));
    json_object_set_new(m, "offset", json_string(
        "process_offset_sd: sd of log throughput between worker processes beyond what the "
        "within-process noise explains (random-effects ANOVA on A's three repetitions per "
        "round); within_process_sd: sd of log throughput inside one process"));
    json_object_set_new(m, "streams", json_integer(d->n_streams));
    json_object_set_new(root, "measured", m);
    if (d->streams != NULL)
        json_object_set(root, "streams", d->streams);
    json_t *modes = json_object();
    json_t *fresh = by_counts_json(d, res[0]);
    json_object_set_new(fresh, "headline", json_string(
        "disjoint: independent verdicts, every window of N consecutive rounds of one stream "
        "once (no window spans two streams); the top-level figures are the resampled ones "
        "(overlapping windows, not independent)"));
    json_object_set_new(modes, mb_det_mode_names[MODE_FRESH], fresh);
    json_object_set_new(root, "modes", modes);
    json_t *vars = json_object();
    for (int v = 0; v < c->n_variants; v++) {
        const det_variant *var = &mb_det_variants[c->variants[v]];
        live_stats st = live_stats_of(d, v);
        json_t *o = live_stats_json(&st);
        json_object_set_new(o, "what", json_string(var->what));
        json_object_set_new(o, "verdicts", by_counts_json(d, res[v]));
        json_object_set_new(vars, var->name, o);
    }
    json_object_set_new(root, "variants", vars);
    return write_json(root, c->json_path, err);
}

/* The detector benchmark's raw rounds file (compare/detector_rounds.h):
 * written as soon as the measurement ends (--rounds-out), so that a lent
 * machine's time goes to measuring only, and read back by --replay, which
 * then analyses the rounds with the measuring machine's block and the
 * measurement's configuration from the file. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_detector.h"
#include "detector_rounds.h"
#include "mb_util.h"

/* A row: the session, then a[], b[], sec_a[], sec_b[] of the pairs.  A
 * live round of the fresh design (meta.design "fresh"; its session is its
 * index) adds its variant (a position in meta.variants), its workers'
 * start and warm-up seconds. */
#define ROW_WIDTH (1 + 4 * N_PAIRS)
#define LIVE_WIDTH (ROW_WIDTH + 3)

static bool is_fresh(const det *d)
{
    return d->cfg.modes[MODE_FRESH];
}

static json_t *measurement_meta(const det *d)
{
    const det_config *c = &d->cfg;
    json_t *m = json_object();
    json_object_set_new(m, "machine", mb_det_machine_json(d));
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
    if (is_fresh(d)) {
        json_object_set_new(m, "design", json_string("fresh"));
        json_t *names = json_array();
        for (int v = 0; v < c->n_variants; v++)
            json_array_append_new(names, json_string(mb_det_variants[c->variants[v]].name));
        json_object_set_new(m, "variants", names);
    }
    return m;
}

int mb_det_save_rounds(const det *d, mb_err *err)
{
    size_t width = is_fresh(d) ? LIVE_WIDTH : ROW_WIDTH;
    double *rows = mb_calloc(d->n_rounds * width + 1, sizeof(double));
    for (size_t i = 0; i < d->n_rounds; i++) {
        const det_round *r = &d->rounds[i];
        double *row = &rows[i * width];
        row[0] = r->session;
        for (int p = 0; p < N_PAIRS; p++) {
            row[1 + p] = r->a[p];
            row[1 + N_PAIRS + p] = r->b[p];
            row[1 + 2 * N_PAIRS + p] = r->sec_a[p];
            row[1 + 3 * N_PAIRS + p] = r->sec_b[p];
        }
        if (width == LIVE_WIDTH) {
            row[ROW_WIDTH] = r->variant;
            row[ROW_WIDTH + 1] = r->start_sec;
            row[ROW_WIDTH + 2] = r->warm_sec;
        }
    }
    json_t *meta = measurement_meta(d);
    int rc = mb_det_rounds_save(d->cfg.rounds_path, meta, rows, d->n_rounds, width, err);
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

/* A fresh measurement's variants, by name, into the configuration; the
 * file decides the design, whatever --mode said. */
static int replay_design(det *d, json_t *meta, mb_err *err)
{
    det_config *c = &d->cfg;
    json_t *design = json_object_get(meta, "design");
    bool fresh = json_is_string(design) && strcmp(json_string_value(design), "fresh") == 0;
    if (!fresh) {
        if (c->modes[MODE_FRESH])
            return mb_err_set(err, MB_EINVAL, "%s: holds sessions, not live rounds: analyse "
                              "it with another --mode than fresh", c->replay_path);
        return 0;
    }
    for (int m = 0; m < N_MODES; m++)
        c->modes[m] = m == MODE_FRESH;
    json_t *names = json_object_get(meta, "variants");
    size_t n = json_array_size(names);
    if (n == 0 || n > MAX_VARIANTS)
        return mb_err_set(err, MB_EINVAL, "%s: meta.variants: 1 to %d names expected",
                          c->replay_path, MAX_VARIANTS);
    for (size_t k = 0; k < n; k++) {
        const char *name = json_string_value(json_array_get(names, k));
        int v = name != NULL ? mb_det_variant_find(name) : -1;
        if (v < 0)
            return mb_err_set(err, MB_EINVAL, "%s: meta.variants[%zu]: not a variant this "
                              "program knows", c->replay_path, k);
        c->variants[k] = v;
    }
    c->n_variants = (int)n;
    return 0;
}

/* Live rounds of stream `stream` appended: any order of sessions, each
 * variant a known position. */
static int replay_live(det *d, const char *path, int stream, const double *rows, size_t n,
                       mb_err *err)
{
    d->rounds = mb_realloc(d->rounds, (d->n_rounds + n + 1) * sizeof(det_round));
    for (size_t i = 0; i < n; i++) {
        const double *row = &rows[i * LIVE_WIDTH];
        det_round *r = &d->rounds[d->n_rounds];
        memset(r, 0, sizeof *r);
        r->session = (int)row[0];
        r->stream = stream;
        r->variant = (int)row[ROW_WIDTH];
        if (r->variant < 0 || r->variant >= d->cfg.n_variants)
            return mb_err_set(err, MB_EINVAL, "%s: rounds[%zu]: variant %d out of range",
                              path, i, r->variant);
        for (int p = 0; p < N_PAIRS; p++) {
            r->a[p] = row[1 + p];
            r->b[p] = row[1 + N_PAIRS + p];
            r->sec_a[p] = row[1 + 2 * N_PAIRS + p];
            r->sec_b[p] = row[1 + 3 * N_PAIRS + p];
        }
        r->start_sec = row[ROW_WIDTH + 1];
        r->warm_sec = row[ROW_WIDTH + 2];
        d->n_rounds++;
    }
    return 0;
}

/* A further stream's file: live rounds measured as the first file's were
 * (same configuration and variants), so that pooling them is one
 * measurement spread over several CPU slices. */
static int same_measurement(const char *path, json_t *first, json_t *meta, mb_err *err)
{
    static const char *const keys[] = {"design", "variants", "model", "slowdown",
                                       "jobs_per_repetition", "warmup_jobs", "images_per_job",
                                       "batch", "image_width", "image_height", "input_size",
                                       "threads"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!json_equal(json_object_get(first, keys[k]), json_object_get(meta, keys[k])))
            return mb_err_set(err, MB_EINVAL, "%s: meta.%s differs from the first --replay "
                              "file's: streams pooled must be one measurement", path, keys[k]);
    return 0;
}

/* Every --replay file of live rounds, each a stream, pooled: the first
 * gives the configuration; each stream's machine block (with its note:
 * the CPUs it was pinned to, its neighbours) goes to d->streams, and its
 * measuring time to d->seconds (the longest: they ran side by side). */
static int replay_streams(det *d, json_t *first, mb_err *err)
{
    d->streams = json_array();
    int rc = 0;
    for (int i = 0; rc == 0 && i < d->cfg.n_replay; i++) {
        const char *path = d->cfg.replay_paths[i];
        json_t *meta = NULL;
        double *rows = NULL;
        size_t n = 0;
        rc = mb_det_rounds_load(path, &meta, &rows, &n, LIVE_WIDTH, err);
        if (rc == 0 && i > 0)
            rc = same_measurement(path, first, meta, err);
        if (rc == 0)
            rc = replay_live(d, path, i, rows, n, err);
        if (rc == 0) {
            json_t *s = json_object();
            json_object_set_new(s, "file", json_string(path));
            json_object_set_new(s, "rounds", json_integer((json_int_t)n));
            json_object_set(s, "machine", json_object_get(meta, "machine"));
            json_object_set(s, "seconds", json_object_get(meta, "seconds"));
            json_object_set(s, "interrupted", json_object_get(meta, "interrupted"));
            json_array_append_new(d->streams, s);
            double sec = json_number_value(json_object_get(meta, "seconds"));
            d->seconds = sec > d->seconds ? sec : d->seconds;
            d->interrupted = d->interrupted || json_is_true(json_object_get(meta, "interrupted"));
        }
        free(rows);
        json_decref(meta);
    }
    d->n_streams = d->cfg.n_replay;
    if (rc == 0 && d->n_rounds < 2)
        rc = mb_err_set(err, MB_EINVAL, "%s: fewer than two live rounds", d->cfg.replay_path);
    return rc;
}

/* Reads --replay's file into the rounds and the sessions' spans, as
 * measure() leaves them (or mb_det_measure_live, for live rounds).  meta
 * stays referenced by the caller (cfg.model points into it). */
int mb_det_replay(det *d, json_t **meta, mb_err *err)
{
    double *rows;
    size_t n;
    json_t *peek = json_load_file(d->cfg.replay_path, 0, NULL);
    json_t *design = json_object_get(json_object_get(peek, "meta"), "design");
    bool fresh = json_is_string(design) && strcmp(json_string_value(design), "fresh") == 0;
    json_decref(peek);
    if (!fresh && d->cfg.n_replay > 1)
        return mb_err_set(err, MB_EUSAGE, "option --replay: several files are for live rounds "
                          "(--mode fresh); %s holds sessions", d->cfg.replay_path);
    int rc = mb_det_rounds_load(d->cfg.replay_path, meta, &rows, &n,
                                fresh ? LIVE_WIDTH : ROW_WIDTH, err);
    if (rc == 0)
        rc = replay_config(d, *meta, err);
    if (rc == 0)
        rc = replay_design(d, *meta, err);
    if (rc != 0)
        return rc;
    if (fresh) {
        free(rows);
        return replay_streams(d, *meta, err);
    }
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

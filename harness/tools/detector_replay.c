/* The detector benchmark's raw rounds file (compare/detector_rounds.h):
 * written as soon as the measurement ends (--rounds-out), so that a lent
 * machine's time goes to measuring only, and read back by --replay, which
 * then analyses the rounds with the measuring machine's block and the
 * measurement's configuration from the file. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "bench_detector.h"
#include "detector_rounds.h"
#include "mb_util.h"

/* A row: the session, then a[], b[], sec_a[], sec_b[] of the pairs. */
#define ROW_WIDTH (1 + 4 * N_PAIRS)

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
    return m;
}

int mb_det_save_rounds(const det *d, mb_err *err)
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
int mb_det_replay(det *d, json_t **meta, mb_err *err)
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

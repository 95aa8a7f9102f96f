/* run.json -> mb_run_file: the per-cell figures the reports and exports
 * need, derived the way summary.md derives them (latency percentiles over
 * the measured jobs that succeeded, peaks over every job). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_file.h"
#include "stats.h"

static char *dup_or_null(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? mb_strdup(s) : NULL;
}

static char *dup_or(json_t *o, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(o, key));
    return mb_strdup(s ? s : fallback);
}

static double num_or(json_t *o, const char *key, double fallback)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

static void read_jobs(mb_rf_cell *c, json_t *jobs)
{
    size_t n = json_array_size(jobs), n_lat = 0, i;
    double *lat = mb_calloc(n + 1, sizeof *lat);
    json_t *job;
    c->n_jobs = n;
    c->peak_rss_bytes = c->peak_device_bytes = NAN;
    json_array_foreach(jobs, i, job) {
        double latency = num_or(job, "latency_ms", 0);
        c->seconds += latency / 1000.0;
        const char *status = json_string_value(json_object_get(job, "status"));
        bool measured = num_or(job, "repetition", -1) >= 0;
        if (measured && status != NULL && strcmp(status, "ok") == 0)
            lat[n_lat++] = latency;
        double rss = num_or(job, "peak_rss_bytes", 0), dev = num_or(job, "peak_allocated_bytes", 0);
        if (rss > 0 && !(rss <= c->peak_rss_bytes))
            c->peak_rss_bytes = rss;
        if (dev > 0 && !(dev <= c->peak_device_bytes))
            c->peak_device_bytes = dev;
    }
    c->latency_p50_ms = n_lat ? mb_stats_percentile(lat, n_lat, 50) : NAN;
    c->latency_p90_ms = n_lat ? mb_stats_percentile(lat, n_lat, 90) : NAN;
    c->latency_p99_ms = n_lat ? mb_stats_percentile(lat, n_lat, 99) : NAN;
    free(lat);
}

static void read_cell(mb_rf_cell *c, json_t *o)
{
    c->name = dup_or(o, "name", "?");
    c->scenario = dup_or(o, "scenario", "?");
    c->device = dup_or(o, "device", "?");
    c->watermark_fix = json_is_true(json_object_get(o, "watermark_fix"));
    c->batch_size = (int)num_or(o, "batch_size", 0);
    int w = (int)num_or(o, "image_width", 0), h = (int)num_or(o, "image_height", 0);
    c->image = w > 0 ? mb_asprintf("%dx%d", w, h) : mb_strdup("as is");
    c->verdict = dup_or(o, "verdict", "fail");
    c->reason = dup_or_null(o, "reason");
    c->skip_reason = dup_or_null(o, "skip_reason");
    c->expect_oom = dup_or(o, "expect_oom", "never");
    c->frontier = json_object_get(o, "frontier") != NULL;
    json_t *counts = json_object_get(o, "counts");
    c->n_ok = (int)num_or(counts, "ok", 0);
    c->n_oom = (int)num_or(counts, "oom", 0);
    c->n_crashed = (int)num_or(counts, "crashed", 0);
    c->n_timeout = (int)num_or(counts, "timeout", 0);
    c->n_error = (int)num_or(counts, "error", 0);
    json_t *ips = json_object_get(o, "images_per_second");
    size_t n = json_array_size(ips), i;
    json_t *v;
    double *x = mb_calloc(n + 1, sizeof *x);
    json_array_foreach(ips, i, v)
        x[c->n_reps++] = json_number_value(v);
    c->images_per_second = c->n_reps ? mb_stats_median(x, c->n_reps) : NAN;
    free(x);
    json_array_foreach(json_object_get(o, "repetitions"), i, v)
        c->n_failed_reps += json_is_null(json_object_get(v, "images_per_second"));
    read_jobs(c, json_object_get(o, "jobs"));
    json_t *cmp = json_object_get(o, "baseline");
    if (json_is_object(cmp)) {
        c->compared = true;
        c->compare_verdict = dup_or(cmp, "verdict", "not_comparable");
        c->change = num_or(cmp, "change", NAN);
        c->ci_low = num_or(cmp, "ci_low", NAN);
        c->ci_high = num_or(cmp, "ci_high", NAN);
        c->p_value = num_or(cmp, "p_value", NAN);
        c->threshold = num_or(cmp, "threshold", NAN);
        c->compare_reason = dup_or_null(cmp, "reason");
    }
}

int mb_run_file_load(const char *run_dir, mb_run_file *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    char *path = mb_asprintf("%s/run.json", run_dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    int rc = 0;
    if (root == NULL) {
        rc = mb_err_set(err, jerr.line > 0 ? MB_EINVAL : MB_EIO, "%s: %s", path, jerr.text);
    } else if (!json_is_array(json_object_get(root, "cells"))) {
        rc = mb_err_set(err, MB_EINVAL, "%s: not a run.json (no \"cells\" array)", path);
    } else {
        out->dir = mb_strdup(run_dir);
        out->status = dup_or(root, "status", "incomplete");
        out->written_at = dup_or(root, "written_at", "");
        out->hostname = dup_or(json_object_get(root, "machine"), "hostname", "");
        out->torch_version = dup_or_null(root, "torch_version");
        json_t *cells = json_object_get(root, "cells");
        out->n_cells = json_array_size(cells);
        out->cells = mb_calloc(out->n_cells + 1, sizeof *out->cells);
        for (size_t i = 0; i < out->n_cells; i++) {
            read_cell(&out->cells[i], json_array_get(cells, i));
            out->any_compared |= out->cells[i].compared;
        }
    }
    json_decref(root);
    free(path);
    return rc;
}

void mb_run_file_free(mb_run_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_cells; i++) {
        mb_rf_cell *c = &f->cells[i];
        free(c->name);
        free(c->scenario);
        free(c->device);
        free(c->image);
        free(c->verdict);
        free(c->reason);
        free(c->skip_reason);
        free(c->expect_oom);
        free(c->compare_verdict);
        free(c->compare_reason);
    }
    free(f->cells);
    free(f->dir);
    free(f->status);
    free(f->written_at);
    free(f->hostname);
    free(f->torch_version);
    memset(f, 0, sizeof *f);
}

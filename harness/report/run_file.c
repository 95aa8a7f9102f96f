/* mb_res_run -> mb_run_file: the per-cell figures the reports and exports
 * need, derived the way summary.md derives them (latency percentiles over
 * the measured jobs that succeeded, peaks over every job).  The reading and
 * its checks are results/'s. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_file.h"
#include "stats.h"

static char *dup_or_null(const char *s)
{
    return s ? mb_strdup(s) : NULL;
}

static void derive_jobs(mb_rf_cell *c, const mb_res_cell *rc)
{
    size_t n_lat = 0;
    double *lat = mb_calloc(rc->n_jobs + 1, sizeof *lat);
    c->n_jobs = rc->n_jobs;
    c->peak_rss_bytes = c->peak_device_bytes = NAN;
    for (size_t i = 0; i < rc->n_jobs; i++) {
        const mb_res_job *job = &rc->jobs[i];
        double latency = isfinite(job->latency_ms) ? job->latency_ms : 0;
        c->seconds += latency / 1000.0;
        if (job->repetition >= 0 && strcmp(job->status, "ok") == 0)
            lat[n_lat++] = latency;
        double rss = job->peak_rss_bytes, dev = job->peak_allocated_bytes;
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

static void derive_cell(mb_rf_cell *c, const mb_res_cell *rc)
{
    c->name = mb_strdup(rc->name);
    c->scenario = mb_strdup(*rc->scenario ? rc->scenario : "?");
    c->device = mb_strdup(*rc->device ? rc->device : "?");
    c->watermark_fix = rc->watermark_fix;
    c->batch_size = rc->batch_size;
    c->image = rc->image_width > 0 ? mb_asprintf("%dx%d", rc->image_width, rc->image_height)
                                   : mb_strdup("as is");
    c->verdict = mb_strdup(rc->verdict);
    c->reason = dup_or_null(rc->reason);
    c->skip_reason = dup_or_null(rc->skip_reason);
    c->expect_oom = mb_strdup(rc->expect_oom);
    c->frontier = rc->frontier;
    c->n_ok = rc->n_ok;
    c->n_oom = rc->n_oom;
    c->n_crashed = rc->n_crashed;
    c->n_timeout = rc->n_timeout;
    c->n_error = rc->n_error;
    c->n_reps = rc->n_ips;
    c->images_per_second = rc->n_ips ? mb_stats_median(rc->ips, rc->n_ips) : NAN;
    for (size_t i = 0; i < rc->n_reps; i++)
        c->n_failed_reps += isnan(rc->reps[i].images_per_second);
    derive_jobs(c, rc);
    if (rc->compared) {
        const mb_res_verdict *v = &rc->baseline;
        c->compared = true;
        c->compare_verdict = mb_strdup(v->verdict);
        c->change = v->change;
        c->ci_low = v->ci_low;
        c->ci_high = v->ci_high;
        c->p_value = v->p_value;
        c->threshold = v->threshold;
        c->compare_reason = dup_or_null(v->reason);
    }
}

int mb_run_file_load(const char *run_dir, mb_run_file *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = mb_res_run_load(run_dir, &out->run, err);
    if (rc != 0)
        return rc;
    const mb_res_run *run = &out->run;
    out->dir = mb_strdup(run_dir);
    out->status = mb_strdup(run->status);
    out->written_at = mb_strdup(run->written_at);
    out->hostname = mb_strdup(run->hostname);
    out->torch_version = dup_or_null(run->torch_version);
    out->any_compared = run->any_compared;
    out->n_cells = run->n_cells;
    out->cells = mb_calloc(out->n_cells + 1, sizeof *out->cells);
    for (size_t i = 0; i < out->n_cells; i++)
        derive_cell(&out->cells[i], &run->cells[i]);
    return 0;
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
    mb_res_run_free(&f->run);
    free(f->cells);
    free(f->dir);
    free(f->status);
    free(f->written_at);
    free(f->hostname);
    free(f->torch_version);
    memset(f, 0, sizeof *f);
}

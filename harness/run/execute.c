/* Executing one repetition of a cell: pick its worker, warm up, run its
 * jobs, and fill its rep_record (each job's time and the counters Google
 * Benchmark will report), or say why it failed or did not run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench_c.h"
#include "mb_util.h"
#include "mps_device.h"
#include "run_private.h"
#include "stats.h"

typedef struct rep_stats {
    double images, seconds;
    double *latencies;
    size_t n_latencies;
    double decode_ms, preprocess_ms, transfer_ms, forward_ms;
    double gpu_images;      /* images nvJPEG decoded */
    double peak_rss, peak_device;
    int ok, failed, oom;
} rep_stats;

static void rep_add(rep_stats *st, const job_record *rec)
{
    const mb_result *r = &rec->result;
    st->latencies[st->n_latencies++] = rec->latency_ms;
    st->images += r->images;
    st->decode_ms += r->decode_ms;
    st->preprocess_ms += r->preprocess_ms;
    st->transfer_ms += r->transfer_ms;
    st->forward_ms += r->forward_ms;
    st->gpu_images += r->gpu_images;
    if ((double)r->peak_rss_bytes > st->peak_rss)
        st->peak_rss = (double)r->peak_rss_bytes;
    if ((double)r->peak_allocated_bytes > st->peak_device)
        st->peak_device = (double)r->peak_allocated_bytes;
    if (r->status == MB_JOB_OK)
        st->ok++;
    else
        st->failed++;
    if (r->status == MB_JOB_OOM)
        st->oom++;
}

static void set_counters(rep_record *rec, cell_state *cs, const rep_stats *st)
{
    double per_job = st->n_latencies ? 1.0 / (double)st->n_latencies : 0;
    double ips = st->seconds > 0 ? st->images / st->seconds : 0;
    mb__rep_counter(rec, "images_per_second", ips, MB_GB_COUNTER_DEFAULT);
    const double *lat = st->latencies;
    size_t n_lat = st->n_latencies;
    mb__rep_counter(rec, "latency_p50_ms", mb_stats_percentile(lat, n_lat, 50), 0);
    mb__rep_counter(rec, "latency_p90_ms", mb_stats_percentile(lat, n_lat, 90), 0);
    mb__rep_counter(rec, "latency_p99_ms", mb_stats_percentile(lat, n_lat, 99), 0);
    mb__rep_counter(rec, "decode_ms", st->decode_ms * per_job, 0);
    mb__rep_counter(rec, "preprocess_ms", st->preprocess_ms * per_job, 0);
    mb__rep_counter(rec, "transfer_ms", st->transfer_ms * per_job, 0);
    mb__rep_counter(rec, "forward_ms", st->forward_ms * per_job, 0);
    /* Where the images were decoded: 1 all by nvJPEG, 0 all on the host. */
    mb__rep_counter(rec, "gpu_decoded_fraction", st->images > 0 ? st->gpu_images / st->images : 0,
                   0);
    mb__rep_counter(rec, "peak_rss_bytes", st->peak_rss, 0);
    mb__rep_counter(rec, "peak_device_bytes", st->peak_device, 0);
    mb__rep_counter(rec, "oom_count", st->oom, 0);
    mb__rep_counter(rec, "batch_size", cs->cell->batch_size, 0);
    mb__rep_counter(rec, "images_per_job", cs->scenario->images.per_job, 0);
    rec->images_per_s = ips;
    if (st->failed == 0) {
        cs->rep_images_per_s = mb_realloc(cs->rep_images_per_s,
                                          (cs->n_reps + 1) * sizeof *cs->rep_images_per_s);
        cs->rep_images_per_s[cs->n_reps++] = ips;
    }
}

/* Adaptive repetitions: once the minimum has run, stop as soon as the 95%
 * confidence interval of the median throughput is within the target.  The
 * order-statistic interval needs at least 6 repetitions to exist at 95%. */
static bool adaptive_target_met(cell_state *cs)
{
    const mb_run_opts *run = &cs->cell->run;
    if (run->target_ci <= 0 || cs->n_reps < (size_t)run->repetitions_min)
        return false;
    cs->final_halfwidth = mb_stats_median_rel_halfwidth(cs->rep_images_per_s, cs->n_reps, 0.95);
    if (!(cs->final_halfwidth <= run->target_ci))
        return false;
    cs->adaptive_stopped = true;
    mb__report_cell(cs, NULL);
    return true;
}

/* "MPS unusable (...)": device names as people write them. */
static const char *device_label(const char *device)
{
    if (strcmp(device, "mps") == 0)
        return "MPS";
    if (strcmp(device, "cuda") == 0)
        return "CUDA";
    if (strcmp(device, "cpu") == 0)
        return "CPU";
    return device;
}

bool mb__cell_done(cell_state *cs)
{
    if (cs->repetition >= cs->n_planned || cs->skip_reason != NULL || cs->stop_early ||
        cs->adaptive_stopped)
        return true;
    return !cs->frontier && adaptive_target_met(cs);
}

/* Makes the cell's worker current (starting it if need be) and warms the
 * cell up before its first repetition.  False when the repetition was
 * settled here instead: a failure, a skip, or the frontier search. */
static bool ready_to_measure(cell_state *cs, rep_record *rec)
{
    run_ctx *run = cs->run;
    mb_err err;
    mb__slot_select(run, cs);
    if (cs->backend->ensure(run, cs->cell, cs->scenario, &err) != 0) {
        mb__infra_failure(cs, rec, &err);
        return false;
    }
    cs->paravirtual = run->worker.paravirtual;
    if (run->worker.unusable) {
        cs->skip_reason = mb_asprintf("%s unusable (%s)", device_label(cs->cell->device),
                                      run->worker.unusable_reason);
        mb__rep_fail(rec, "skipped: ", cs->skip_reason);
        mb__report_cell(cs, rec->error);
        return false;
    }
    if (cs->frontier) {
        mb__execute_frontier(cs, rec);
        return false;
    }
    /* Warm-up on every new worker process: a fresh process (run.fresh_workers,
     * a restart, a parked one stopped) starts cold again. */
    if (!cs->warmed_up || cs->warmed_on != run->worker.generation) {
        mb__progress(cs, "warming up");
        cs->warming = true;
        int wrc = mb__run_warmup(cs, &err);
        cs->warming = false;
        if (wrc != 0) {
            mb__infra_failure(cs, rec, &err);
            return false;
        }
        cs->warmed_up = true;
        cs->warmed_on = run->worker.generation;
    }
    return true;
}

void mb__execute_repetition(cell_state *cs, int round)
{
    run_ctx *run = cs->run;
    run->current_cell = (size_t)(cs - run->cells);
    rep_record *rec = &cs->reps[cs->repetition++];
    rec->round = round;
    mb_err err;
    if (run->infra_failed || mb__run_interrupted()) {
        mb__rep_fail(rec, "not run: the run was stopped", "");
        cs->cut_short = true;
        return;
    }
    if (!ready_to_measure(cs, rec))
        return;

    int repetition = cs->repetition - 1;
    int64_t total = cs->cell->run.jobs;
    int depth = cs->cell->run.inflight > 0 ? cs->cell->run.inflight : 1;
    inflight_job *jobs = mb_calloc((size_t)depth, sizeof *jobs);
    int n_inflight = 0;
    int64_t submitted = 0, answered = 0;
    rep_stats st = {0};
    st.latencies = mb_calloc((size_t)total + 1, sizeof(double));
    rec->job_seconds = mb_calloc((size_t)total, sizeof *rec->job_seconds);
    bool failed = false;
    int rc = 0;
    double t_prev = mb_now_ms();
    while (n_inflight < depth && submitted < total && rc == 0) {
        rc = mb__submit_job(cs, &jobs[n_inflight], &err);
        if (rc == 0) {
            n_inflight++;
            submitted++;
        }
    }
    while (rc == 0 && answered < total) {
        mb_result r;
        double latency;
        int batch;
        bool lost;
        rc = mb__await_result(cs, jobs, &n_inflight, &lost, &r, &latency, &batch, &err);
        if (rc != 0)
            break;
        double now = mb_now_ms();
        rec->job_seconds[rec->n_jobs++] = (now - t_prev) / 1000.0;
        answered++;
        st.seconds += (now - t_prev) / 1000.0;
        t_prev = now;
        if (lost) {
            failed = true;
            break;
        }
        mb__record_result(cs, &r, latency, batch, repetition);
        rep_add(&st, &cs->records[cs->n_records - 1]);
        if (cs->records[cs->n_records - 1].result.status != MB_JOB_OK) {
            failed = true;
            break;
        }
        char what[96];
        snprintf(what, sizeof what, "rep %d/%d  job %d/%lld", repetition + 1,
                 cs->cell->run.repetitions, st.ok, (long long)total);
        mb__progress(cs, what);
        if (submitted < total) {
            rc = mb__submit_job(cs, &jobs[n_inflight], &err);
            if (rc == 0) {
                n_inflight++;
                submitted++;
            }
        }
    }
    if (rc == 0)
        rc = mb__drain(cs, jobs, &n_inflight, repetition, &err);
    for (int i = 0; i < n_inflight; i++)
        mb__inflight_clear(&jobs[i]);
    free(jobs);
    if (rc != 0) {
        mb__infra_failure(cs, rec, &err);
        mb__report_cell(cs, err.msg);
    } else if (failed) {
        /* One OOM or crash decides the cell; repeating it would only
         * repeat the failure at great cost. */
        cs->stop_early = true;
        mb__rep_fail(rec, "", cs->first_error);
        mb__report_cell(cs, cs->first_error);
    } else {
        rec->outcome = REP_OK;
        set_counters(rec, cs, &st);
        cs->rep_seconds += st.seconds;
        if (repetition + 1 == cs->n_planned)
            mb__report_cell(cs, NULL);
    }
    free(st.latencies);
}

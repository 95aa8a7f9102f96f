/* The run: prepare the run directory and Redis, expand the scenarios into
 * cells, register one Google Benchmark per cell, and let Google Benchmark
 * drive the repetitions while each iteration is one queued job. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "exports.h"
#include "gbench_c.h"
#include "image_set.h"
#include "mb_util.h"
#include "mps_device.h"
#include "plot.h"
#include "redis_server.h"
#include "run_private.h"
#include "stats.h"

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

bool mb_run_interrupted(void)
{
    return interrupted != 0;
}

/* ---- job flow ---------------------------------------------------------- */

typedef struct inflight_job {
    char *id;
    char *entry_id;
    int batch_size;
    double submitted_ms;
} inflight_job;

static job_record *add_record(cell_state *cs)
{
    if (cs->n_records == cs->cap_records) {
        cs->cap_records = cs->cap_records ? cs->cap_records * 2 : 32;
        cs->records = mb_realloc(cs->records, cs->cap_records * sizeof *cs->records);
    }
    job_record *rec = &cs->records[cs->n_records++];
    memset(rec, 0, sizeof *rec);
    return rec;
}

static void note_error(cell_state *cs, const char *msg)
{
    if (cs->first_error == NULL && msg != NULL)
        cs->first_error = mb_strdup(msg);
}

/* Sends one job of per_job images at batch_size (the cell's, unless a
 * frontier probe asks for another). */
static int submit_sized_job(cell_state *cs, int per_job, int batch_size, inflight_job *out,
                            mb_err *err)
{
    run_ctx *run = cs->run;
    mb_job job = {0};
    /* Ids are contiguous over the run and taken only by jobs that reached
     * the queue, so run.json's jobs_enqueued says which ids must each
     * appear once: an oracle the tests hold the records against. */
    job.id = mb_asprintf("j%d", run->next_job);
    job.cell = cs->bench_name;
    job.images = mb_calloc((size_t)per_job, sizeof *job.images);
    for (int i = 0; i < per_job; i++)
        job.images[i] = cs->images[cs->next_image++ % cs->n_images];
    job.n_images = (size_t)per_job;
    job.batch_size = batch_size;
    job.input_size = cs->scenario->input_size;
    job.resize_on_device = cs->scenario->resize_on == MB_RESIZE_DEVICE;
    job.fault_slowdown = cs->scenario->fault.slowdown;
    out->batch_size = batch_size;
    out->submitted_ms = mb_now_ms();
    int rc = cs->backend->submit(run, &job, &out->entry_id, err);
    if (rc == 0)
        run->next_job++;
    free(job.images);
    out->id = job.id;
    return rc;
}

static int submit_job(cell_state *cs, inflight_job *out, mb_err *err)
{
    return submit_sized_job(cs, cs->scenario->images.per_job, cs->cell->batch_size, out, err);
}

static void inflight_clear(inflight_job *j)
{
    free(j->id);
    free(j->entry_id);
    memset(j, 0, sizeof *j);
}

/* Records a result the harness made up for a job the worker never answered. */
static void record_lost(cell_state *cs, const inflight_job *j, mb_job_status status,
                        const char *why)
{
    job_record *rec = add_record(cs);
    rec->repetition = cs->warming ? -1 : cs->repetition - 1;
    rec->batch_size = j->batch_size;
    rec->latency_ms = mb_now_ms() - j->submitted_ms;
    rec->reported_at_ms = mb_wall_ms();
    mb_oom_parse(NULL, &rec->oom);
    rec->result.job_id = mb_strdup(j->id);
    rec->result.worker_id = mb_strdup(cs->run->worker.worker_id);
    rec->result.status = status;
    rec->result.error = mb_strdup(why);
    cs->counts[status]++;
    note_error(cs, why);
}

/* The run stops with jobs in flight (a signal, Redis gone): each is
 * recorded as interrupted, so that every enqueued job is accounted for. */
static void record_stopped(cell_state *cs, inflight_job *jobs, int *n_inflight, const char *why)
{
    for (int i = 0; i < *n_inflight; i++) {
        record_lost(cs, &jobs[i], MB_JOB_INTERRUPTED, why);
        inflight_clear(&jobs[i]);
    }
    *n_inflight = 0;
}

/* Waits for the result of the oldest in-flight job.  Results arrive in
 * order from one worker, so anything else on the stream is stale (from a
 * job whose worker was replaced) and is ignored.  When the worker dies or
 * the job times out, every in-flight job is recorded as crashed/timeout,
 * the worker is restarted, and 1 is returned with *lost set. */
static int await_result(cell_state *cs, inflight_job *jobs, int *n_inflight, bool *lost,
                        mb_result *out, double *latency_ms, int *batch_size, mb_err *err)
{
    run_ctx *run = cs->run;
    *lost = false;
    double timeout_ms = cs->cell->run.timeout_s * 1000.0;
    for (;;) {
        if (interrupted) {
            record_stopped(cs, jobs, n_inflight, "the run was interrupted before this job's result came");
            return mb_err_set(err, MB_EWORKER, "interrupted");
        }
        mb_result r;
        int got = cs->backend->next_result(run, 100, &r, err);
        if (got < 0) {
            char *why = mb_asprintf("the run stopped before this job's result came: %s", err->msg);
            record_stopped(cs, jobs, n_inflight, why);
            free(why);
            return err->code;
        }
        if (got == 1) {
            if (strcmp(r.job_id, jobs[0].id) != 0) {
                mb_result_clear(&r);
                continue;
            }
            *latency_ms = mb_now_ms() - jobs[0].submitted_ms;
            *batch_size = jobs[0].batch_size;
            mb_oom_info oom;
            if (cs->cell->run.on_oom == MB_ON_OOM_EXIT &&
                (r.status == MB_JOB_OOM || mb_oom_parse(r.error, &oom) != MB_OOM_NONE)) {
                /* The worker exits after answering, as asked; wait for it so
                 * the next job goes to a fresh worker instead of racing the
                 * exit and being reported as crashed. */
                mb_proc_wait(&run->worker.proc, 10000);
            }
            *out = r;
            inflight_clear(&jobs[0]);
            memmove(jobs, jobs + 1, (size_t)(*n_inflight - 1) * sizeof *jobs);
            (*n_inflight)--;
            return 0;
        }
        bool dead = !mb_proc_alive(&run->worker.proc);
        bool late = mb_now_ms() - jobs[0].submitted_ms > timeout_ms;
        if (!dead && !late)
            continue;
        char why[256];
        mb_job_status status;
        if (dead) {
            char how[160];
            mb_proc_describe_exit(&run->worker.proc, how, sizeof how);
            snprintf(why, sizeof why, "worker %s %s with the job in flight",
                     run->worker.worker_id, how);
            status = MB_JOB_CRASHED;
        } else {
            snprintf(why, sizeof why, "no result within %.0f s; worker %s killed",
                     cs->cell->run.timeout_s, run->worker.worker_id);
            status = MB_JOB_TIMEOUT;
            mb_proc_stop(&run->worker.proc, 0);
        }
        for (int i = 0; i < *n_inflight; i++) {
            record_lost(cs, &jobs[i], status, why);
            /* Reported, not re-queued: no worker may pick it up again. */
            cs->backend->abandon(run, jobs[i].entry_id);
            inflight_clear(&jobs[i]);
        }
        *n_inflight = 0;
        *lost = true;
        return cs->backend->ensure(run, cs->cell, cs->scenario, err);
    }
}

/* Records a worker's answer.  OOMs are classified from the text, so a
 * worker that reports a memory error as a plain error (the RQ worker, an
 * exception wrapped by the service) is still counted as an OOM. */
static void record_result(cell_state *cs, mb_result *r, double latency_ms, int batch_size,
                          int repetition)
{
    job_record *rec = add_record(cs);
    rec->result = *r;
    rec->repetition = repetition;
    rec->batch_size = batch_size;
    rec->latency_ms = latency_ms;
    rec->reported_at_ms = mb_wall_ms();
    if (mb_oom_parse(r->error, &rec->oom) != MB_OOM_NONE && r->status == MB_JOB_ERROR)
        rec->result.status = r->status = MB_JOB_OOM;
    cs->counts[r->status]++;
    /* On a hosted runner's paravirtual GPU an OOM is the runner's cap of
     * about 1 GiB (actions/runner-images#11899): never report it as an MPS
     * OOM, which no real Mac would have given. */
    rec->paravirtual_limit = cs->paravirtual && r->status == MB_JOB_OOM;
    if (rec->paravirtual_limit) {
        char *label = mb_asprintf(MB_MPS_PARAVIRTUAL_LIMIT " (not an MPS OOM): %s",
                                  r->error ? r->error : "out of memory");
        note_error(cs, label);
        free(label);
    } else if (r->status != MB_JOB_OK) {
        note_error(cs, r->error);
    }
    memset(r, 0, sizeof *r);
}

/* Drains in-flight jobs after an early exit from the measured loop so that
 * every enqueued job is accounted for before the next cell starts. */
static int drain(cell_state *cs, inflight_job *jobs, int *n_inflight, int repetition, mb_err *err)
{
    while (*n_inflight > 0) {
        mb_result r;
        double latency;
        int batch;
        bool lost;
        int rc = await_result(cs, jobs, n_inflight, &lost, &r, &latency, &batch, err);
        if (rc != 0)
            return rc;
        if (!lost)
            record_result(cs, &r, latency, batch, repetition);
    }
    return 0;
}

static int run_warmup(cell_state *cs, mb_err *err)
{
    for (int i = 0; i < cs->cell->run.warmup_jobs; i++) {
        inflight_job job[1] = {{0}};
        int n = 1;
        if (submit_job(cs, &job[0], err) != 0)
            return err->code;
        mb_result r;
        double latency;
        int batch;
        bool lost;
        int rc = await_result(cs, job, &n, &lost, &r, &latency, &batch, err);
        if (rc != 0)
            return rc;
        if (lost)
            return 0;
        record_result(cs, &r, latency, batch, -1);
    }
    return 0;
}

/* ---- one Google Benchmark function per cell ---------------------------- */

typedef struct rep_stats {
    double images, seconds;
    double *latencies;
    size_t n_latencies;
    double decode_ms, preprocess_ms, transfer_ms, forward_ms;
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

static void rep_counter(rep_record *rec, const char *name, double value, int flags)
{
    if (rec->n_counters >= MB_REP_MAX_COUNTERS)
        return;
    rec->counter_names[rec->n_counters] = name;
    rec->counter_values[rec->n_counters] = value;
    rec->counter_flags[rec->n_counters] = flags;
    rec->n_counters++;
}

static void set_counters(rep_record *rec, cell_state *cs, const rep_stats *st)
{
    double per_job = st->n_latencies ? 1.0 / (double)st->n_latencies : 0;
    double ips = st->seconds > 0 ? st->images / st->seconds : 0;
    rep_counter(rec, "images_per_second", ips, MB_GB_COUNTER_DEFAULT);
    rep_counter(rec, "latency_p50_ms", mb_stats_percentile(st->latencies, st->n_latencies, 50), 0);
    rep_counter(rec, "latency_p90_ms", mb_stats_percentile(st->latencies, st->n_latencies, 90), 0);
    rep_counter(rec, "latency_p99_ms", mb_stats_percentile(st->latencies, st->n_latencies, 99), 0);
    rep_counter(rec, "decode_ms", st->decode_ms * per_job, 0);
    rep_counter(rec, "preprocess_ms", st->preprocess_ms * per_job, 0);
    rep_counter(rec, "transfer_ms", st->transfer_ms * per_job, 0);
    rep_counter(rec, "forward_ms", st->forward_ms * per_job, 0);
    rep_counter(rec, "peak_rss_bytes", st->peak_rss, 0);
    rep_counter(rec, "peak_device_bytes", st->peak_device, 0);
    rep_counter(rec, "oom_count", st->oom, 0);
    rep_counter(rec, "batch_size", cs->cell->batch_size, 0);
    rep_counter(rec, "images_per_job", cs->scenario->images.per_job, 0);
    rec->images_per_s = ips;
    if (st->failed == 0) {
        cs->rep_images_per_s = mb_realloc(cs->rep_images_per_s,
                                          (cs->n_reps + 1) * sizeof *cs->rep_images_per_s);
        cs->rep_images_per_s[cs->n_reps++] = ips;
    }
}

static void progress(const cell_state *cs, const char *what)
{
    const run_ctx *run = cs->run;
    if (run->cfg->quiet)
        return;
    if (run->cfg->progress) {
        fprintf(stderr, "\r\033[K[%zu/%zu] %s  %s", run->current_cell + 1, run->n_cells,
                cs->bench_name, what);
        fflush(stderr);
    }
}

/* A repetition that failed or never ran, with the message Google Benchmark
 * will report for it. */
static void rep_fail(rep_record *rec, const char *prefix, const char *what)
{
    rec->outcome = REP_FAILED;
    free(rec->error);
    rec->error = mb_asprintf("%s%s", prefix, what != NULL ? what : "failed");
}

static void report_cell(const cell_state *cs, const char *error);

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
    report_cell(cs, NULL);
    return true;
}

/* One line per finished cell, replacing the live progress line. */
static void report_cell(const cell_state *cs, const char *error)
{
    const run_ctx *run = cs->run;
    if (run->cfg->quiet)
        return;
    if (run->cfg->progress)
        fputs("\r\033[K", stderr);
    if (error != NULL)
        fprintf(stderr, "%-64s  %.160s%s\n", cs->bench_name, error, strlen(error) > 160 ? "…" : "");
    else if (cs->frontier && cs->first_failing_batch > 0)
        fprintf(stderr, "%-64s  largest batch that fits: %d (%d does not)\n", cs->bench_name,
                cs->largest_ok_batch, cs->first_failing_batch);
    else if (cs->frontier)
        fprintf(stderr, "%-64s  largest batch that fits: %d (the search maximum)\n",
                cs->bench_name, cs->largest_ok_batch);
    else if (cs->n_reps > 0 && cs->adaptive_stopped)
        fprintf(stderr, "%-64s  %9.2f img/s (median of %zu; CI within ±%.1f%%, %d not needed)\n",
                cs->bench_name, mb_stats_median(cs->rep_images_per_s, cs->n_reps), cs->n_reps,
                cs->final_halfwidth * 100, cs->cell->run.repetitions - (int)cs->n_reps);
    else if (cs->n_reps > 0)
        fprintf(stderr, "%-64s  %9.2f img/s (median of %zu)\n", cs->bench_name,
                mb_stats_median(cs->rep_images_per_s, cs->n_reps), cs->n_reps);
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

/* One probe of the frontier search: one job of `batch` images in a single
 * forward pass.  1 when it fit; 0 when it did not (an OOM, or a worker that
 * died, which under a cap is the kernel's OOM killer); < 0 on an
 * infrastructure failure. */
static int probe_batch(cell_state *cs, int batch, mb_err *err)
{
    inflight_job job[1] = {{0}};
    int n = 1;
    if (submit_sized_job(cs, batch, batch, &job[0], err) != 0)
        return err->code;
    mb_result r;
    double latency;
    int b;
    bool lost;
    int rc = await_result(cs, job, &n, &lost, &r, &latency, &b, err);
    if (rc != 0)
        return rc;
    if (lost)
        return 0;
    record_result(cs, &r, latency, b, 0);
    return cs->records[cs->n_records - 1].result.status == MB_JOB_OK ? 1 : 0;
}

/* The largest batch that fits, as Lightning's batch-size finder looks for
 * it: double from 1 until a batch fails (or the maximum fits), then bisect
 * between the last batch that fit and the first that failed. */
static int find_frontier(cell_state *cs, int *probes, mb_err *err)
{
    int max = cs->scenario->search.max_batch_size;
    int lo = 0, hi = 0, rc;
    for (int b = 1; b <= max; b *= 2) {
        char what[64];
        snprintf(what, sizeof what, "probing batch %d", b);
        progress(cs, what);
        if ((rc = probe_batch(cs, b, err)) < 0)
            return rc;
        (*probes)++;
        if (rc == 1) {
            lo = b;
        } else {
            hi = b;
            break;
        }
    }
    if (hi == 0 && lo < max) {
        if ((rc = probe_batch(cs, max, err)) < 0)
            return rc;
        (*probes)++;
        if (rc == 1)
            lo = max;
        else
            hi = max;
    }
    while (hi != 0 && hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        char what[64];
        snprintf(what, sizeof what, "bisecting: batch %d", mid);
        progress(cs, what);
        if ((rc = probe_batch(cs, mid, err)) < 0)
            return rc;
        (*probes)++;
        if (rc == 1)
            lo = mid;
        else
            hi = mid;
    }
    cs->largest_ok_batch = lo;
    cs->first_failing_batch = hi;
    return 0;
}

/* The run cannot go on (Redis gone, a worker that cannot start). */
static void infra_failure(cell_state *cs, rep_record *rec, const mb_err *err)
{
    cs->cut_short = true;
    cs->run->infra_failed = true;
    cs->run->infra_err = *err;
    rep_fail(rec, "", err->msg);
}

static void execute_frontier(cell_state *cs, rep_record *rec)
{
    run_ctx *run = cs->run;
    mb_err err;
    /* Each search starts from a fresh worker, so memory one search left
     * cached or fragmented does not lower the next one's frontier. */
    mb_worker_stop(run);
    if (cs->backend->ensure(run, cs->cell, cs->scenario, &err) != 0) {
        infra_failure(cs, rec, &err);
        report_cell(cs, err.msg);
        return;
    }
    double t0 = mb_now_ms();
    int probes = 0;
    if (find_frontier(cs, &probes, &err) != 0) {
        infra_failure(cs, rec, &err);
        report_cell(cs, err.msg);
        return;
    }
    rec->outcome = REP_OK;
    rec->job_seconds = mb_calloc(1, sizeof *rec->job_seconds);
    rec->job_seconds[0] = (mb_now_ms() - t0) / 1000.0;
    rec->n_jobs = 1;
    rep_counter(rec, "largest_batch", cs->largest_ok_batch, 0);
    rep_counter(rec, "first_failing_batch", cs->first_failing_batch, 0);
    rep_counter(rec, "probes", probes, 0);
    rep_counter(rec, "memory_limit_bytes", (double)cs->cell->run.memory_limit, 0);
    report_cell(cs, NULL);
}

bool mb_cell_done(cell_state *cs)
{
    if (cs->repetition >= cs->n_planned || cs->skip_reason != NULL || cs->stop_early ||
        cs->adaptive_stopped)
        return true;
    return !cs->frontier && adaptive_target_met(cs);
}

void mb_execute_repetition(cell_state *cs, int round)
{
    run_ctx *run = cs->run;
    run->current_cell = (size_t)(cs - run->cells);
    rep_record *rec = &cs->reps[cs->repetition++];
    rec->round = round;
    mb_err err;
    if (run->infra_failed || interrupted) {
        rep_fail(rec, "not run: the run was stopped", "");
        cs->cut_short = true;
        return;
    }
    mb_worker_select(run, cs);
    if (cs->backend->ensure(run, cs->cell, cs->scenario, &err) != 0) {
        infra_failure(cs, rec, &err);
        return;
    }
    cs->paravirtual = run->worker.paravirtual;
    if (run->worker.unusable) {
        cs->skip_reason = mb_asprintf("%s unusable (%s)", device_label(cs->cell->device),
                                      run->worker.unusable_reason);
        rep_fail(rec, "skipped: ", cs->skip_reason);
        report_cell(cs, rec->error);
        return;
    }
    if (cs->frontier) {
        execute_frontier(cs, rec);
        return;
    }
    /* Warm-up on every new worker process: a fresh process (run.fresh_workers,
     * a restart, a parked one stopped) starts cold again. */
    if (!cs->warmed_up || cs->warmed_on != run->worker.generation) {
        progress(cs, "warming up");
        cs->warming = true;
        int wrc = run_warmup(cs, &err);
        cs->warming = false;
        if (wrc != 0) {
            infra_failure(cs, rec, &err);
            return;
        }
        cs->warmed_up = true;
        cs->warmed_on = run->worker.generation;
    }

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
        rc = submit_job(cs, &jobs[n_inflight], &err);
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
        rc = await_result(cs, jobs, &n_inflight, &lost, &r, &latency, &batch, &err);
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
        record_result(cs, &r, latency, batch, repetition);
        rep_add(&st, &cs->records[cs->n_records - 1]);
        if (cs->records[cs->n_records - 1].result.status != MB_JOB_OK) {
            failed = true;
            break;
        }
        char what[96];
        snprintf(what, sizeof what, "rep %d/%d  job %d/%lld", repetition + 1,
                 cs->cell->run.repetitions, st.ok, (long long)total);
        progress(cs, what);
        if (submitted < total) {
            rc = submit_job(cs, &jobs[n_inflight], &err);
            if (rc == 0) {
                n_inflight++;
                submitted++;
            }
        }
    }
    if (rc == 0)
        rc = drain(cs, jobs, &n_inflight, repetition, &err);
    for (int i = 0; i < n_inflight; i++)
        inflight_clear(&jobs[i]);
    free(jobs);
    if (rc != 0) {
        infra_failure(cs, rec, &err);
        report_cell(cs, err.msg);
    } else if (failed) {
        /* One OOM or crash decides the cell; repeating it would only
         * repeat the failure at great cost. */
        cs->stop_early = true;
        rep_fail(rec, "", cs->first_error);
        report_cell(cs, cs->first_error);
    } else {
        rec->outcome = REP_OK;
        set_counters(rec, cs, &st);
        cs->rep_seconds += st.seconds;
        if (repetition + 1 == cs->n_planned)
            report_cell(cs, NULL);
    }
    free(st.latencies);
}

/* Google Benchmark calls this once per repetition of the cell, after the
 * schedule ran them all: each call hands it one recorded repetition, with
 * the jobs' measured times as its iterations' manual times. */
static void replay_cell(mb_gb_state *gb, void *arg)
{
    cell_state *cs = arg;
    if (cs->n_replayed >= cs->n_planned) {
        mb_gb_skip_with_error(gb, "not run");
        return;
    }
    const rep_record *rec = &cs->reps[cs->n_replayed++];
    if (rec->outcome == REP_NOT_NEEDED) {
        mb_gb_skip_unreported(gb);
        return;
    }
    if (rec->outcome != REP_OK || rec->n_jobs == 0) {
        mb_gb_skip_with_error(gb, rec->error != NULL ? rec->error : "not run");
        return;
    }
    size_t i = 0;
    while (mb_gb_keep_running(gb)) {
        mb_gb_set_iteration_time(gb, rec->job_seconds[i]);
        if (i + 1 < rec->n_jobs)
            i++;
    }
    for (size_t c = 0; c < rec->n_counters; c++)
        mb_gb_set_counter(gb, rec->counter_names[c], rec->counter_values[c], rec->counter_flags[c]);
}

/* ---- verdicts --------------------------------------------------------- */

static bool device_required(const mb_scenario *s, const char *device)
{
    for (size_t i = 0; i < s->n_require; i++)
        if (strcmp(s->require[i], device) == 0)
            return true;
    return false;
}

static void append_reason(cell_state *cs, const char *text)
{
    char *next = cs->verdict_reason == NULL ? mb_strdup(text)
                                            : mb_asprintf("%s; %s", cs->verdict_reason, text);
    free(cs->verdict_reason);
    cs->verdict_reason = next;
}

/* Unreadable photos are never left out in silence: they fail the cell
 * unless the scenario allows them, and are listed either way. */
static void account_unreadable(cell_state *cs)
{
    if (cs->unreadable == NULL || cs->verdict == CELL_SKIPPED)
        return;
    if (cs->scenario->images.allow_unreadable) {
        char *note = mb_asprintf("%s (left out: images.allow_unreadable)", cs->unreadable);
        append_reason(cs, note);
        free(note);
        return;
    }
    cs->verdict = CELL_FAIL;
    char *note = mb_asprintf("%s (set images.allow_unreadable: true to run without them)",
                             cs->unreadable);
    append_reason(cs, note);
    free(note);
}

/* A cell that stopped early (its first failed job, an interrupt) says how
 * many of its planned measured jobs never ran. */
static void account_never_ran(cell_state *cs)
{
    if (cs->frontier || cs->skip_reason != NULL)
        return;
    long long ran = 0;
    for (size_t i = 0; i < cs->n_records; i++)
        ran += cs->records[i].repetition >= 0;
    long long planned_reps = 0;
    for (int r = 0; r < cs->n_planned; r++)
        planned_reps += cs->reps[r].outcome != REP_NOT_NEEDED;
    long long planned = planned_reps * cs->cell->run.jobs;
    if (ran >= planned)
        return;
    char *note = mb_asprintf("%lld of %lld planned jobs never ran (%s)", planned - ran, planned,
                             cs->stop_early ? "the cell stops at its first failed job"
                             : interrupted ? "the run was interrupted"
                             : "the run stopped");
    append_reason(cs, note);
    free(note);
}

static void decide(cell_state *cs)
{
    const mb_expect *ex = &cs->cell->expect;
    int oom = cs->counts[MB_JOB_OOM];
    int broken = cs->counts[MB_JOB_CRASHED] + cs->counts[MB_JOB_TIMEOUT] + cs->counts[MB_JOB_ERROR];
    free(cs->verdict_reason);
    cs->verdict_reason = NULL;
    if (cs->skip_reason == NULL && cs->frontier) {
        int errors = cs->counts[MB_JOB_ERROR] + cs->counts[MB_JOB_TIMEOUT];
        cs->verdict = errors == 0 && cs->largest_ok_batch > 0 ? CELL_PASS : CELL_FAIL;
        if (errors > 0)
            cs->verdict_reason = mb_asprintf("%d probe(s) failed for another reason than memory: %s",
                                             errors, cs->first_error);
        else if (cs->largest_ok_batch == 0)
            cs->verdict_reason = mb_asprintf("even batch 1 does not fit: %s", cs->first_error);
        else if (cs->first_failing_batch == 0)
            cs->verdict_reason = mb_asprintf("largest batch %d: the search maximum fits",
                                             cs->largest_ok_batch);
        else
            cs->verdict_reason = mb_asprintf("largest batch %d (batch %d does not fit)",
                                             cs->largest_ok_batch, cs->first_failing_batch);
        return;
    }
    if (cs->skip_reason != NULL) {
        bool required = device_required(cs->scenario, cs->cell->device);
        cs->verdict = required ? CELL_FAIL : CELL_SKIPPED;
        cs->verdict_reason = mb_asprintf("%s%s", required ? "required device " : "", cs->skip_reason);
    } else if (cs->n_records == 0 && cs->cut_short) {
        cs->verdict = CELL_INCOMPLETE;
        cs->verdict_reason = mb_strdup("not run: the run stopped before this cell's turn");
    } else if (cs->n_records == 0) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_strdup("no job ran");
    } else if (broken == 0 && oom > 0 && cs->paravirtual) {
        /* The cell says nothing about MPS: neither a pass nor a failure. */
        cs->verdict = CELL_SKIPPED;
        cs->verdict_reason = mb_asprintf("%d job(s) hit the %s: %s", oom,
                                         MB_MPS_PARAVIRTUAL_LIMIT, cs->first_error);
    } else if (broken > 0) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_asprintf("%d job(s) failed: %s", broken, cs->first_error);
    } else if (oom > 0 && ex->oom == MB_OOM_NEVER) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_asprintf("unexpected OOM: %s", cs->first_error);
    } else if (cs->cut_short) {
        /* What ran was fine, but not all of it ran: never a pass. */
        cs->verdict = CELL_INCOMPLETE;
        cs->verdict_reason = mb_asprintf("the run stopped before this cell finished (%zu of %d "
                                         "repetitions ran)", cs->n_reps, cs->n_planned);
    } else if (oom == 0 && ex->oom == MB_OOM_EXPECTED) {
        cs->verdict = CELL_FAIL;
        cs->verdict_reason = mb_strdup("an OOM was expected but every job fit");
    } else {
        cs->verdict = CELL_PASS;
        if (oom > 0)
            cs->verdict_reason = mb_asprintf("OOM (%s): %s",
                                             ex->oom == MB_OOM_EXPECTED ? "expected" : "allowed",
                                             cs->first_error);
    }
    account_unreadable(cs);
    account_never_ran(cs);
}

/* ---- set-up ------------------------------------------------------------ */

/* A seed for the interleaved order when none is given: differs from run to
 * run, and is recorded in run.json so that an order can be replayed. */
static unsigned long long seed_from_clock(void)
{
    unsigned long long t = (unsigned long long)(mb_wall_ms() * 1000.0);
    return t ^ ((unsigned long long)getpid() << 32);
}

static char *default_run_dir(const mb_scenario *first)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return mb_asprintf("results/runs/%s-%s-%ld", stamp, first ? first->name : "run", (long)getpid());
}

/* Runs `mpsbench-worker --probe` once, for device: auto. */
static int probe_devices(run_ctx *run, mb_err *err)
{
    char *out = mb_asprintf("%s/logs/probe.json", run->dir);
    char *argv[] = {(char *)run->cfg->worker_path, "--probe", NULL};
    mb_proc p;
    unlink(out);
    int rc = mb_spawn(argv, NULL, out, &p, err);
    if (rc == 0 && !mb_proc_wait(&p, 120000)) {
        mb_proc_stop(&p, 1000);
        rc = mb_err_set(err, MB_EWORKER, "device probe did not finish within 120 s");
    }
    char *text = rc == 0 ? mb_read_file(out, NULL) : NULL;
    free(out);
    if (rc != 0)
        return rc;
    /* libtorch may log before the probe's one JSON line. */
    const char *start = text ? strstr(text, "{\"torch_version\"") : NULL;
    json_t *o = start ? json_loads(start, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    free(text);
    if (o == NULL)
        return mb_err_set(err, MB_EWORKER, "the device probe gave no answer; see %s/logs/probe.json",
                          run->dir);
    run->devices_json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return 0;
}

/* "cuda,cpu": the usable devices, GPU first, as device: auto means. */
static char *usable_devices(const run_ctx *run)
{
    json_t *o = json_loads(run->devices_json, 0, NULL);
    json_t *devices = json_object_get(o, "devices");
    const char *order[] = {"cuda", "mps", "cpu"};
    char *csv = mb_strdup("");
    for (size_t i = 0; i < 3; i++) {
        if (json_is_true(json_object_get(json_object_get(devices, order[i]), "usable"))) {
            char *next = mb_asprintf("%s%s%s", csv, *csv ? "," : "", order[i]);
            free(csv);
            csv = next;
        }
    }
    json_decref(o);
    return csv;
}

static bool axis_has(const mb_scenario *s, const char *axis, const char *value)
{
    const mb_axis *a = mb_scenario_axis(s, axis);
    for (size_t i = 0; a != NULL && i < a->n_values; i++)
        if (strcmp(a->values[i], value) == 0)
            return true;
    return false;
}

static void add_context(const run_ctx *run, mb_scenario **scenarios, size_t n)
{
    struct utsname u;
    if (uname(&u) == 0) {
        mb_gb_add_context("os", u.sysname);
        mb_gb_add_context("os_release", u.release);
        mb_gb_add_context("machine", u.machine);
        mb_gb_add_context("hostname", u.nodename);
    }
    char *names = mb_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = mb_asprintf("%s%s%s", names, i ? "," : "", scenarios[i]->name);
        free(names);
        names = next;
    }
    mb_gb_add_context("mpsbench_scenarios", names);
    free(names);
    mb_gb_add_context("mpsbench_run_dir", run->dir);
    if (run->devices_json)
        mb_gb_add_context("mpsbench_devices", run->devices_json);
}

/* Photos of images.dir that cannot be read: listed in the cell's verdict
 * (run.json, summary.md), and failing it unless images.allow_unreadable. */
static void note_unreadable(cell_state *cs, mb_image_set *images)
{
    const char **why = NULL;
    size_t n = mb_image_set_unreadable(images, cs->scenario->images.dir, &why);
    if (n > 0) {
        mb_strbuf b = {0};
        mb_strbuf_printf(&b, "%zu photo(s) in images.dir cannot be read", n);
        for (size_t k = 0; k < n; k++)
            mb_strbuf_printf(&b, "%s %s", k == 0 ? ":" : ";", why[k]);
        cs->n_unreadable = n;
        cs->unreadable = b.s;
    }
    free(why);
}

/* A large matrix says what it is about to cost before it starts. */
#define MB_RUN_ANNOUNCE_CELLS 200
/* A guess for the estimate: a ResNet-50 job of 32 images on a laptop CPU
 * takes seconds, on a GPU a fraction of one.  Stated in the message. */
#define MB_RUN_GUESS_S_PER_IMAGE 0.05

static void announce_size(mb_scenario **scenarios, size_t n_scenarios, mb_cell **cell_arrays,
                          const size_t *cell_counts, size_t total)
{
    double images = 0;
    for (size_t i = 0; i < n_scenarios; i++)
        for (size_t j = 0; j < cell_counts[i]; j++) {
            const mb_run_opts *r = &cell_arrays[i][j].run;
            images += (double)(r->warmup_jobs + (int64_t)r->repetitions * r->jobs) *
                      scenarios[i]->images.per_job;
        }
    double hours = images * MB_RUN_GUESS_S_PER_IMAGE / 3600.0;
    fprintf(stderr, "mpsbench: %zu cells, %.0f images to embed: about %.1f hours at %.0f ms an "
            "image (the time a CPU takes; a GPU is faster)\n", total, images, hours,
            MB_RUN_GUESS_S_PER_IMAGE * 1000);
}

static int prepare_cells(run_ctx *run, mb_scenario **scenarios, size_t n_scenarios,
                         mb_cell **cell_arrays, size_t *cell_counts, mb_image_set *images,
                         mb_err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n_scenarios; i++) {
        int rc = mb_matrix_expand(scenarios[i], &cell_arrays[i], &cell_counts[i], err);
        if (rc != 0)
            return rc;
        total += cell_counts[i];
        if (cell_counts[i] > (size_t)scenarios[i]->run.max_cells && !run->cfg->yes)
            return mb_err_set(err, MB_EUSAGE, "%s: the matrix has %zu cells, more than "
                              "run.max_cells (%d); pass --yes or raise run.max_cells to run it",
                              scenarios[i]->path, cell_counts[i], scenarios[i]->run.max_cells);
    }
    if (total > MB_RUN_ANNOUNCE_CELLS && !run->cfg->quiet)
        announce_size(scenarios, n_scenarios, cell_arrays, cell_counts, total);
    bool ab = run->cfg->candidate_worker != NULL || run->cfg->n_candidate_env > 0 ||
              run->cfg->n_candidate_fault > 0;
    /* An A/B run adds a candidate twin of every cell (ab.c). */
    run->cells = mb_calloc(ab ? 2 * total : total, sizeof *run->cells);
    for (size_t i = 0; i < n_scenarios; i++) {
        bool frontier = scenarios[i]->search.batch_frontier;
        const mb_axis *batch_axis = mb_scenario_axis(scenarios[i], "batch_size");
        for (size_t j = 0; j < cell_counts[i]; j++) {
            const mb_cell *cell = &cell_arrays[i][j];
            /* A frontier search replaces the batch axis: one search per
             * combination of the other axes. */
            if (frontier && batch_axis != NULL &&
                cell->values[batch_axis - scenarios[i]->axes] != NULL &&
                strcmp(cell->values[batch_axis - scenarios[i]->axes], batch_axis->values[0]) != 0)
                continue;
            cell_state *cs = &run->cells[run->n_cells++];
            cs->run = run;
            cs->scenario = scenarios[i];
            cs->backend = mb_backend_for(scenarios[i]);
            cs->cell = cell;
            cs->frontier = frontier;
            cs->n_planned = frontier ? 1 : cell->run.repetitions;
            cs->reps = mb_calloc((size_t)cs->n_planned, sizeof *cs->reps);
            if (frontier) {
                const char *batch = strstr(cell->name, "/batch:");
                int len = batch ? (int)(batch - cell->name) : (int)strlen(cell->name);
                cs->bench_name = mb_asprintf("%s/%.*s/batch:frontier", scenarios[i]->name, len,
                                             cell->name);
            } else {
                cs->bench_name = mb_asprintf("%s/%s", scenarios[i]->name, cell->name);
            }
            if (!run->cfg->quiet && !run->cfg->progress && cs->cell->image_width > 1000 &&
                j == 0)
                fprintf(stderr, "mpsbench: preparing images for %s\n", scenarios[i]->name);
            int rc = mb_image_set_for_cell(images, scenarios[i], cs->cell, &cs->images,
                                           &cs->n_images, err);
            if (rc != 0)
                return rc;
            if (scenarios[i]->images.dir != NULL)
                note_unreadable(cs, images);
        }
    }
    if (ab)
        return mb_ab_add_candidates(run, run->n_cells, err);
    return 0;
}

static void free_cells(run_ctx *run)
{
    for (size_t i = 0; i < run->n_cells; i++) {
        cell_state *cs = &run->cells[i];
        for (size_t j = 0; j < cs->n_records; j++)
            mb_result_clear(&cs->records[j].result);
        free(cs->records);
        free(cs->rep_images_per_s);
        for (int k = 0; k < cs->n_planned; k++) {
            free(cs->reps[k].error);
            free(cs->reps[k].job_seconds);
        }
        free(cs->reps);
        free(cs->bench_name);
        free(cs->skip_reason);
        free(cs->first_error);
        free(cs->verdict_reason);
        free(cs->unreadable);
    }
    free(run->cells);
    mb_ab_free(run);
    mb_contrasts_free(run);
    for (size_t i = 0; i < run->hellos.n; i++)
        free(run->hellos.records[i]);
    free(run->hellos.records);
    free(run->schedule.ran);
    free(run->schedule.fallback);
}

static int load_scenarios(const mb_run_config *cfg, mb_scenario **scenarios, mb_err *err)
{
    for (size_t i = 0; i < cfg->n_scenarios; i++) {
        int rc = mb_scenario_load(cfg->scenarios[i], &scenarios[i], err);
        if (rc == 0 && cfg->devices != NULL)
            rc = mb_scenario_set_axis(scenarios[i], "device", cfg->devices, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Ties each cell to its verdict in run->compare, saves the comparison
 * beside results.json (compare.json, compare.md) and prints its table. */
static int publish_comparison(run_ctx *run, mb_err *err)
{
    for (size_t i = 0; i < run->n_cells; i++)
        for (size_t j = 0; j < run->compare->n_cells; j++)
            if (strcmp(run->compare->cells[j].cell, run->cells[i].bench_name) == 0)
                run->cells[i].compared = &run->compare->cells[j];
    char *json = mb_asprintf("%s/compare.json", run->dir);
    char *md = mb_asprintf("%s/compare.md", run->dir);
    int rc = mb_compare_save_json(run->compare, json, err);
    if (rc == 0)
        rc = mb_compare_save_markdown(run->compare, md, err);
    free(json);
    free(md);
    if (rc == 0 && !run->cfg->quiet)
        mb_compare_write_table(stderr, run->compare);
    return rc;
}

/* The paired contrasts, as sentences on the terminal. */
static void print_contrasts(const run_ctx *run)
{
    if (run->cfg->quiet || run->contrasts == NULL || run->contrasts->n_cells == 0)
        return;
    fprintf(stderr, "Contrasts (paired by round; change of the first side against the second):\n");
    for (size_t i = 0; i < run->contrasts->n_cells; i++) {
        char *line = mb_contrast_sentence(run, i);
        fprintf(stderr, "  %s\n", line);
        free(line);
    }
}

/* Compares results.json with the baseline (run --baseline), saves the
 * comparison beside it and ties each cell to its verdict. */
static int compare_with_baseline(run_ctx *run, mb_err *err)
{
    mb_compare_options opt = {0};
    opt.threshold_set = run->cfg->threshold_set;
    opt.threshold = run->cfg->threshold;
    opt.assume_no_drift = run->cfg->assume_no_drift;
    char *run_json = mb_asprintf("%s/run.json", run->dir);
    char *results = mb_asprintf("%s/results.json", run->dir);
    opt.run_json = run_json;
    int rc = mb_compare_files(run->cfg->baseline, results, &opt, &run->compare, err);
    free(run_json);
    free(results);
    if (rc != 0)
        return rc;
    return publish_comparison(run, err);
}

/* Charts at the end of every run; a missing gnuplot costs the charts only. */
static int draw_charts(run_ctx *run, mb_err *err)
{
    mb_plot_options opt = {0};
    opt.baseline = run->cfg->baseline;
    mb_plot_report rep = {0};
    int rc = mb_plot_run_dir(run->dir, &opt, &rep, err);
    if (rc == 0 && !run->cfg->quiet)
        fprintf(stderr, "mpsbench: %zu of %zu charts in %s (the others: see charts/index.md)\n",
                rep.n_made, rep.n_charts, rep.out_dir);
    if (rc != 0)
        run->plot_error = mb_strdup(err->msg);
    mb_plot_report_free(&rep);
    return rc;
}

/* Verdicts, the baseline comparison, then every report and chart.  Runs for
 * complete and incomplete runs alike, so a run that died still leaves valid
 * files; returns the exit code. */
static int finish_run(run_ctx *run, int exit_code, mb_err *err)
{
    bool complete = exit_code == MB_EXIT_OK;
    for (size_t i = 0; i < run->n_cells; i++) {
        decide(&run->cells[i]);
        if (run->cells[i].verdict == CELL_FAIL && exit_code == MB_EXIT_OK)
            exit_code = MB_EXIT_EXPECTATION;
    }
    mb_contrasts_make(run);
    if (!run->cfg->quiet)
        mb_worker_compare_print(run, stderr);
    print_contrasts(run);
    /* A contrast's max_cost gate is an expectation like any other. */
    exit_code = mb_contrast_gates_exit(run, exit_code);
    const char *status = !complete ? "incomplete"
                       : exit_code == MB_EXIT_OK ? "passed" : "failed";
    mb_err werr;
    int rc = mb_report_write_run_json(run, status, &werr);
    bool ab = run->n_candidates > 0;
    if (rc == 0 && complete && (run->cfg->baseline != NULL || ab)) {
        mb_err cerr;
        int outcome;
        int crc = 0;
        if (ab) {
            run->compare = mb_ab_report(run);
            crc = publish_comparison(run, &cerr);
        } else {
            crc = compare_with_baseline(run, &cerr);
        }
        if (crc != 0) {
            *err = cerr;
            exit_code = mb_err_exit_code(cerr.code);
            status = "incomplete";
        } else if ((outcome = mb_compare_outcome(run->compare, run->cfg->fail_on_inconclusive,
                                                 &cerr)) != 0) {
            /* A regression (or an inconclusive cell under
             * --fail-on-inconclusive) is 1; a baseline with no cell in
             * common is 2, saying why. */
            if (outcome < 0) {
                *err = cerr;
                exit_code = mb_err_exit_code(outcome);
            } else {
                exit_code = MB_EXIT_EXPECTATION;
            }
            status = "failed";
        }
    }
    if (rc == 0)
        rc = mb_report_write_run_json(run, status, &werr);
    if (rc == 0)
        rc = mb_report_write_summary(run, &werr);
    /* Charts before the rendered reports: report.html inlines them. */
    if (rc == 0 && !run->cfg->no_charts) {
        mb_err perr;
        if (draw_charts(run, &perr) != 0) {
            fprintf(stderr, "mpsbench: no charts: %s\n", perr.msg);
            if (exit_code == MB_EXIT_OK) {
                *err = perr;
                exit_code = MB_EXIT_INFRA;
            }
        }
    }
    /* junit.xml, the exports and report.html come from the run.json just
     * written, as `mpsbench report` renders them again later. */
    if (rc == 0)
        rc = mb_report_render_dir(run->dir, &werr);
    if (rc != 0) {
        *err = werr;
        return MB_EXIT_INFRA;
    }
    return exit_code;
}

/* --out '' would write into the current folder's root or '/'; a folder
 * that holds files would mix two runs' reports and charts. */
static int check_out_dir(const mb_run_config *cfg, mb_err *err)
{
    if (cfg->out_dir == NULL)
        return 0;
    if (cfg->out_dir[0] == '\0')
        return mb_err_set(err, MB_EUSAGE, "option --out: empty folder name");
    DIR *d = opendir(cfg->out_dir);
    if (d == NULL)
        return 0;
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty && !cfg->force)
        return mb_err_set(err, MB_EUSAGE, "option --out: %s is not empty (a run there would "
                          "mix its files with another's); pass --force to reuse it",
                          cfg->out_dir);
    return 0;
}

/* Loads every distinct model file once, with `mpsbench-worker --check-model`
 * (the harness does not link libtorch), before any benchmark worker starts:
 * a file libtorch cannot load is a scenario mistake (exit 2) that names the
 * key and the path, not a worker failure in the middle of the matrix. */
static int check_models(const mb_run_config *cfg, mb_scenario **scenarios, size_t n,
                        mb_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const mb_scenario *s = scenarios[i];
        if (strncmp(s->model, "builtin:", 8) == 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(scenarios[j]->model, s->model) == 0;
        if (seen)
            continue;
        const char *tmp = getenv("TMPDIR");
        char *log = mb_asprintf("%s/mpsbench-check-model-%ld-%zu.txt",
                                tmp != NULL && *tmp ? tmp : "/tmp", (long)getpid(), i);
        char *argv[] = {(char *)cfg->worker_path, "--check-model", s->model, NULL};
        mb_proc p;
        unlink(log);
        int rc = mb_spawn(argv, NULL, log, &p, err);
        double t0 = mb_now_ms();
        while (rc == 0 && !mb_proc_wait(&p, 100)) {
            if (interrupted || mb_now_ms() - t0 > 120000) {
                mb_proc_stop(&p, 500);
                rc = mb_err_set(err, interrupted ? MB_EIO : MB_EWORKER, "%s model '%s'",
                                interrupted ? "interrupted while checking"
                                            : "120 s were not enough to load", s->model);
            }
        }
        char *text = rc == 0 ? mb_read_file_max(log, 65536, NULL) : NULL;
        unlink(log);
        free(log);
        if (rc != 0) {
            free(text);
            return rc;
        }
        int code = WIFEXITED(p.exit_status) ? WEXITSTATUS(p.exit_status) : -1;
        const char *why = text != NULL ? strstr(text, "not loadable: ") : NULL;
        if (code == MB_EXIT_USAGE && why != NULL) {
            why += strlen("not loadable: ");
            char *nl = strchr(text, '\n');
            if (nl != NULL && nl > why)
                *nl = '\0';
            rc = mb_err_set(err, MB_ESCENARIO, "%s:%d:%d: model: '%s' is not a TorchScript model "
                            "libtorch can load: %s", s->path, s->model_pos.line,
                            s->model_pos.column, s->model, why);
        } else if (code != 0) {
            char how[160];
            mb_proc_describe_exit(&p, how, sizeof how);
            rc = mb_err_set(err, MB_EWORKER, "mpsbench-worker --check-model %s %s", s->model, how);
        }
        free(text);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int mb_run(const mb_run_config *cfg, char **run_dir_out, mb_err *err)
{
    mb_err_clear(err);
    mb_scenario **scenarios = mb_calloc(cfg->n_scenarios, sizeof *scenarios);
    mb_cell **cell_arrays = mb_calloc(cfg->n_scenarios, sizeof *cell_arrays);
    size_t *cell_counts = mb_calloc(cfg->n_scenarios, sizeof *cell_counts);
    run_ctx run = {0};
    run.cfg = cfg;
    mb_redis_server server = {0};
    mb_image_set *images = NULL;
    int exit_code = MB_EXIT_OK;
    /* Handlers first: every set-up step (models, folder walks, fixtures)
     * checks the flag, so an interrupt is heard within a second. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A Redis connection that dies under a write must be an error to
     * report, not a SIGPIPE that kills the harness before it can say so. */
    signal(SIGPIPE, SIG_IGN);
    int rc = load_scenarios(cfg, scenarios, err);
    if (rc == 0)
        rc = check_out_dir(cfg, err);
    if (rc == 0)
        rc = check_models(cfg, scenarios, cfg->n_scenarios, err);
    if (rc != 0) {
        exit_code = mb_err_exit_code(rc);
        goto out;
    }

    run.dir = cfg->out_dir ? mb_strdup(cfg->out_dir) : default_run_dir(scenarios[0]);
    char *logs = mb_asprintf("%s/logs", run.dir);
    rc = mb_mkdir_p(logs, 0755);
    free(logs);
    if (rc != 0) {
        rc = mb_err_set(err, MB_EIO, "cannot create run directory %s: %s", run.dir, strerror(-rc));
        exit_code = MB_EXIT_INFRA;
        goto out;
    }
    if (run_dir_out != NULL)
        *run_dir_out = mb_strdup(run.dir);


    if (cfg->redis_url != NULL) {
        rc = mb_queue_connect(cfg->redis_url, 5000, &run.q, err);
    } else {
        char *log = mb_asprintf("%s/logs/redis.log", run.dir);
        rc = mb_redis_server_start(log, &server, err);
        free(log);
        run.redis_pid = (long)server.proc.pid;
        if (rc == 0)
            rc = mb_queue_connect(server.url, 5000, &run.q, err);
    }
    if (rc != 0) {
        /* A URL that does not parse is bad usage (2); a Redis that does not
         * answer is infrastructure (3). */
        exit_code = mb_err_exit_code(rc);
        goto out;
    }
    run.ns = mb_asprintf("%lx%ld", (unsigned long)time(NULL), (long)getpid());
    run.results_stream = mb_key_results(run.ns);
    snprintf(run.last_result_id, sizeof run.last_result_id, "0-0");

    bool need_probe = false;
    for (size_t i = 0; i < cfg->n_scenarios; i++)
        need_probe |= axis_has(scenarios[i], "device", "auto");
    if ((rc = probe_devices(&run, err)) != 0 && need_probe) {
        exit_code = MB_EXIT_INFRA;
        goto out;
    }
    if (need_probe) {
        char *usable = usable_devices(&run);
        for (size_t i = 0; i < cfg->n_scenarios && rc == 0; i++)
            if (axis_has(scenarios[i], "device", "auto"))
                rc = mb_scenario_set_axis(scenarios[i], "device", usable, err);
        free(usable);
        if (rc != 0) {
            exit_code = mb_err_exit_code(rc);
            goto out;
        }
    }

    const char *cache = cfg->image_cache;
    images = mb_image_set_new(cache);
    mb_image_set_set_cancel(images, mb_run_interrupted);
    if ((rc = prepare_cells(&run, scenarios, cfg->n_scenarios, cell_arrays, cell_counts, images,
                            err)) != 0) {
        exit_code = mb_err_exit_code(rc);
        goto out;
    }
    mb_report_write_run_json(&run, "running", NULL);

    mb_gb_clear();
    for (size_t i = 0; i < run.n_cells; i++) {
        cell_state *cs = &run.cells[i];
        mb_gb_options opt = {
            .iterations = cs->frontier ? 1 : cs->cell->run.jobs,
            .repetitions = cs->frontier ? 1 : cs->cell->run.repetitions,
            .use_manual_time = true,
            .unit = MB_GB_MS,
        };
        if ((rc = mb_gb_register(cs->bench_name, replay_cell, cs, &opt, err)) != 0) {
            exit_code = MB_EXIT_INFRA;
            goto out;
        }
    }
    add_context(&run, scenarios, cfg->n_scenarios);
    run.schedule.seed = cfg->seed_set ? cfg->seed : seed_from_clock();
    mb_schedule_run(&run);
    char *json_tmp = mb_asprintf("%s/results.json.partial", run.dir);
    char *json_out = mb_asprintf("%s/results.json", run.dir);
    mb_gb_run_options ro = {.json_out = json_tmp};
    rc = mb_gb_run(&ro, err);
    if (cfg->progress && !cfg->quiet)
        fputs("\r\033[K", stderr);
    /* Google Benchmark writes its JSON as it goes; the file only becomes
     * results.json once complete, so a dead run never leaves half a file
     * under the name tools read. */
    if (rc >= 0 && rename(json_tmp, json_out) != 0)
        rc = mb_err_set(err, MB_EIO, "cannot write %s", json_out);
    free(json_tmp);
    free(json_out);
    mb_worker_stop_all(&run);
    if (rc < 0) {
        exit_code = MB_EXIT_INFRA;
        goto out;
    }
    if (run.infra_failed) {
        *err = run.infra_err;
        exit_code = MB_EXIT_INFRA;
    } else if (interrupted) {
        mb_err_set(err, MB_EWORKER, "interrupted; partial results are in %s", run.dir);
        exit_code = MB_EXIT_INFRA;
    }

out:
    if (run.dir != NULL && run.cells != NULL)
        exit_code = finish_run(&run, exit_code, err);
    mb_worker_stop_all(&run);
    if (run.q != NULL && cfg->redis_url != NULL) {
        /* A shared Redis keeps nothing of ours once the run is over. */
        char *pattern = mb_asprintf("mb:%s:*", run.ns);
        mb_queue_delete_matching(run.q, pattern, NULL);
        free(pattern);
    }
    mb_queue_free(run.q);
    mb_redis_server_stop(&server);
    mb_image_set_free(images);
    free_cells(&run);
    for (size_t i = 0; i < cfg->n_scenarios; i++) {
        mb_cells_free(cell_arrays[i], cell_counts[i]);
        mb_scenario_free(scenarios[i]);
    }
    free(cell_arrays);
    free(cell_counts);
    free(scenarios);
    free(run.dir);
    free(run.ns);
    free(run.results_stream);
    free(run.torch_version);
    free(run.devices_json);
    free(run.plot_error);
    mb_compare_report_free(run.compare);
    return exit_code;
}

/* The job flow of one cell: jobs submitted to the cell's worker (through
 * its backend), their results awaited with a watchdog, and every job
 * recorded once: its result, or why it was lost (crashed, timeout,
 * interrupted).  Warm-up jobs run here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "mps_device.h"
#include "run_private.h"

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
int mb__submit_sized_job(cell_state *cs, int per_job, int batch_size, inflight_job *out,
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
    job.decode = (mb_decode_mode)cs->scenario->decode;  /* the same order */
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

int mb__submit_job(cell_state *cs, inflight_job *out, mb_err *err)
{
    return mb__submit_sized_job(cs, cs->scenario->images.per_job, cs->cell->batch_size, out, err);
}

void mb__inflight_clear(inflight_job *j)
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
        mb__inflight_clear(&jobs[i]);
    }
    *n_inflight = 0;
}

/* Waits for the result of the oldest in-flight job.  Results arrive in
 * order from one worker, so anything else on the stream is stale (from a
 * job whose worker was replaced) and is ignored.  When the worker dies or
 * the job times out, every in-flight job is recorded as crashed/timeout,
 * the worker is restarted, and 1 is returned with *lost set. */
int mb__await_result(cell_state *cs, inflight_job *jobs, int *n_inflight, bool *lost,
                    mb_result *out, double *latency_ms, int *batch_size, mb_err *err)
{
    run_ctx *run = cs->run;
    *lost = false;
    double timeout_ms = cs->cell->run.timeout_s * 1000.0;
    for (;;) {
        if (mb__run_interrupted()) {
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
            mb__inflight_clear(&jobs[0]);
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
            mb__inflight_clear(&jobs[i]);
        }
        *n_inflight = 0;
        *lost = true;
        return cs->backend->ensure(run, cs->cell, cs->scenario, err);
    }
}

/* Records a worker's answer.  OOMs are classified from the text, so a
 * worker that reports a memory error as a plain error (the RQ worker, an
 * exception wrapped by the service) is still counted as an OOM. */
void mb__record_result(cell_state *cs, mb_result *r, double latency_ms, int batch_size,
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
int mb__drain(cell_state *cs, inflight_job *jobs, int *n_inflight, int repetition, mb_err *err)
{
    while (*n_inflight > 0) {
        mb_result r;
        double latency;
        int batch;
        bool lost;
        int rc = mb__await_result(cs, jobs, n_inflight, &lost, &r, &latency, &batch, err);
        if (rc != 0)
            return rc;
        if (!lost)
            mb__record_result(cs, &r, latency, batch, repetition);
    }
    return 0;
}

int mb__run_warmup(cell_state *cs, mb_err *err)
{
    for (int i = 0; i < cs->cell->run.warmup_jobs; i++) {
        inflight_job job[1] = {{0}};
        int n = 1;
        if (mb__submit_job(cs, &job[0], err) != 0)
            return err->code;
        mb_result r;
        double latency;
        int batch;
        bool lost;
        int rc = mb__await_result(cs, job, &n, &lost, &r, &latency, &batch, err);
        if (rc != 0)
            return rc;
        if (lost)
            return 0;
        mb__record_result(cs, &r, latency, batch, -1);
    }
    return 0;
}

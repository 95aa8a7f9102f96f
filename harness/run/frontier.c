/* The batch-size frontier search (`search: {batch_size: frontier}`): the
 * largest batch that fits, found by doubling, then bisecting, each probe
 * one job in a single forward pass on a fresh worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench_c.h"
#include "mb_util.h"
#include "mps_device.h"
#include "run_private.h"

/* One probe of the frontier search: one job of `batch` images in a single
 * forward pass.  1 when it fit; 0 when it did not (an OOM, or a worker that
 * died, which under a cap is the kernel's OOM killer); < 0 on an
 * infrastructure failure. */
static int probe_batch(cell_state *cs, int batch, mb_err *err)
{
    inflight_job job[1] = {{0}};
    int n = 1;
    if (mb__submit_sized_job(cs, batch, batch, &job[0], err) != 0)
        return err->code;
    mb_result r;
    double latency;
    int b;
    bool lost;
    int rc = mb__await_result(cs, job, &n, &lost, &r, &latency, &b, err);
    if (rc != 0)
        return rc;
    if (lost)
        return 0;
    mb__record_result(cs, &r, latency, b, 0);
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
        mb__progress(cs, what);
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
        mb__progress(cs, what);
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

void mb__execute_frontier(cell_state *cs, rep_record *rec)
{
    run_ctx *run = cs->run;
    mb_err err;
    /* Each search starts from a fresh worker, so memory one search left
     * cached or fragmented does not lower the next one's frontier. */
    mb__slot_stop(run);
    if (cs->backend->ensure(run, cs->cell, cs->scenario, &err) != 0) {
        mb__infra_failure(cs, rec, &err);
        mb__report_cell(cs, err.msg);
        return;
    }
    double t0 = mb_now_ms();
    int probes = 0;
    if (find_frontier(cs, &probes, &err) != 0) {
        mb__infra_failure(cs, rec, &err);
        mb__report_cell(cs, err.msg);
        return;
    }
    rec->outcome = REP_OK;
    rec->job_seconds = mb_calloc(1, sizeof *rec->job_seconds);
    rec->job_seconds[0] = (mb_now_ms() - t0) / 1000.0;
    rec->n_jobs = 1;
    mb__rep_counter(rec, "largest_batch", cs->largest_ok_batch, 0);
    mb__rep_counter(rec, "first_failing_batch", cs->first_failing_batch, 0);
    mb__rep_counter(rec, "probes", probes, 0);
    mb__rep_counter(rec, "memory_limit_bytes", (double)cs->cell->run.memory_limit, 0);
    mb__report_cell(cs, NULL);
}

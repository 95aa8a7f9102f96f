/* The fresh design measured live (--mode fresh): every round starts a new
 * pair of workers, A and B, through workerclient/ as the runner's
 * `run.fresh_workers` does, warms each up, measures the round's three pairs
 * (A/A', 5% and 10% slower) and stops them.  Each round records what its
 * workers cost before measuring (start to hello, warm-up), so the report
 * can say the minutes a cell costs.
 *
 * The variants (--variants) look for the cause of the lasting offset a
 * worker process carries: each starts the workers with one suspected cause
 * held fixed (one decode thread, OpenMP threads bound to CPUs, no address
 * randomisation, no transparent huge pages, two intra-op threads).  Rounds
 * rotate through the variants in a shuffled order per block, so drift of
 * the machine falls on all of them alike; a variant whose per-process
 * offset (mb_det_offset_split) vanishes names the cause. */
#ifdef __linux__
#include <sys/personality.h>
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench_detector.h"
#include "mb_util.h"
#include "workerclient.h"

const det_variant mb_det_variants[] = {
    {.name = "default", .what = "the workers as the runner starts them"},
    {.name = "decode1", .what = "one decode thread (--decode-threads 1) instead of one per CPU",
     .extra = {"--decode-threads", "1", NULL}},
    {.name = "bind", .what = "OpenMP threads bound to CPUs (OMP_PROC_BIND=true, "
                             "OMP_PLACES=cores)",
     .env = {"OMP_PROC_BIND", "true", "OMP_PLACES", "cores"}},
    {.name = "noaslr", .what = "the same address layout in every process "
                               "(personality ADDR_NO_RANDOMIZE; Linux)",
     .no_aslr = true},
    {.name = "nothp", .what = "no transparent huge pages (prctl PR_SET_THP_DISABLE; Linux)",
     .no_thp = true},
    {.name = "threads2", .what = "two intra-op threads (--threads 2)",
     .extra = {"--threads", "2", NULL}},
};
const int mb_det_n_variants = (int)(sizeof mb_det_variants / sizeof mb_det_variants[0]);

int mb_det_variant_find(const char *name)
{
    for (int i = 0; i < mb_det_n_variants; i++)
        if (strcmp(mb_det_variants[i].name, name) == 0)
            return i;
    return -1;
}

int mb_det_variant_attributes(const det_variant *v, bool on)
{
#ifdef __linux__
    /* The persona before the spawn, restored after it: the detector itself
     * may run under `setarch -R`. */
    static int saved = -1;
    if (v->no_aslr) {
        if (on) {
            saved = personality(0xffffffff);
            if (saved == -1 || personality((unsigned long)saved | ADDR_NO_RANDOMIZE) == -1)
                return -1;
        } else if (saved != -1 && personality((unsigned long)saved) == -1) {
            return -1;
        }
    }
    if (v->no_thp && prctl(PR_SET_THP_DISABLE, on ? 1 : 0, 0, 0, 0) != 0)
        return -1;
    return 0;
#else
    (void)on;
    if (v->no_aslr || v->no_thp) {
        errno = ENOSYS;
        return -1;
    }
    return 0;
#endif
}

/* One live round of variant v (a position in cfg.variants): two new
 * workers started and warmed up, the three pairs measured, both stopped. */
static int live_round(det *d, int v, uint64_t *rng, det_round *r, mb_err *err)
{
    int var = d->cfg.variants[v];
    double t0 = mb_now_ms();
    int rc = 0;
    for (int side = 0; rc == 0 && side < N_SIDES; side++) {
        char id[40];
        snprintf(id, sizeof id, "live%zu%c", d->n_rounds, side ? 'b' : 'a');
        rc = mb_det_start_worker(d, id, side, var, err);
    }
    double t1 = mb_now_ms();
    for (int w = 0; rc == 0 && w < d->cfg.warmup_jobs; w++) {
        int n;
        for (int side = 0; rc == 0 && side < N_SIDES; side++)
            rc = mb_det_run_job(d, side, 0, &n, err);
    }
    double t2 = mb_now_ms();
    if (rc == 0)
        rc = mb_det_run_round(d, (int)d->n_rounds, rng, r, err);
    /* Both told to stop before either is awaited: their exits (the end of a
     * blocking read, libtorch's teardown) overlap instead of adding up, a
     * cost of this tool's loop that a verdict does not include. */
    for (int side = 0; side < N_SIDES; side++)
        if (mb_proc_alive(&d->worker[side]))
            kill(d->worker[side].pid, SIGTERM);
    for (int side = 0; side < N_SIDES; side++)
        mb_worker_stop(d->q, &d->worker[side], d->hello_key, 5000);
    r->variant = v;
    r->start_sec = (t1 - t0) / 1000.0;
    r->warm_sec = (t2 - t1) / 1000.0;
    return rc;
}

/* --rounds blocks, each one round of every variant in a shuffled order.
 * A signal or --max-seconds ends the measurement between rounds; the
 * finished rounds are reported (each is complete on its own). */
int mb_det_measure_live(det *d, mb_err *err)
{
    const det_config *c = &d->cfg;
    d->rounds = mb_calloc((size_t)c->rounds * (size_t)c->n_variants + 1, sizeof(det_round));
    uint64_t rng = 42;
    double start = mb_now_ms();
    bool out_of_time = false;
    int rc = 0;
    for (int block = 0; rc == 0 && block < c->rounds && !out_of_time; block++) {
        int order[MAX_VARIANTS];
        for (int k = 0; k < c->n_variants; k++)
            order[k] = k;
        for (int i = c->n_variants - 1; i > 0; i--) {
            int j = (int)mb_det_rng_below(&rng, (size_t)i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int k = 0; rc == 0 && k < c->n_variants; k++) {
            double elapsed = (mb_now_ms() - start) / 1000.0;
            out_of_time = mb_det_interrupted || (c->max_seconds > 0 && elapsed > c->max_seconds);
            if (out_of_time)
                break;
            rc = live_round(d, order[k], &rng, &d->rounds[d->n_rounds], err);
            if (rc == 0)
                d->n_rounds++;
            /* Saved after every round: a stream cut short (SIGINT, then
             * SIGKILL from a time limit) keeps the rounds it measured. */
            d->seconds = (mb_now_ms() - start) / 1000;
            if (rc == 0 && c->rounds_path != NULL)
                rc = mb_det_save_rounds(d, err);
            fprintf(stderr, "\rlive round %zu/%d (%.0f s)   ", d->n_rounds,
                    c->rounds * c->n_variants, (mb_now_ms() - start) / 1000);
            fflush(stderr);
        }
    }
    fputc('\n', stderr);
    if (mb_det_interrupted) {
        d->interrupted = true;
        rc = 0;
        fprintf(stderr, "interrupted: reporting the %zu finished rounds\n", d->n_rounds);
    } else if (out_of_time) {
        fprintf(stderr, "--max-seconds reached: reporting the %zu finished rounds\n",
                d->n_rounds);
    }
    if (rc == 0 && d->n_rounds < 2)
        rc = mb_err_set(err, MB_EINVAL, "fewer than two live rounds finished");
    return rc;
}

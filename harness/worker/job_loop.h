/* The worker's job loop (job_loop.c): consume jobs until asked to stop. */
#ifndef MB_JOB_LOOP_H
#define MB_JOB_LOOP_H

#include <signal.h>
#include <stdbool.h>

#include "pipeline.h"
#include "queue.h"

typedef struct mb_job_loop_config {
    const char *jobs_stream, *results_stream, *group, *worker_id;
    bool fork_per_job;      /* exec: fork_per_job (no overlap between jobs) */
    bool exit_on_oom;       /* --on-oom exit (no overlap: it must not take a job it drops) */
    int fault_crash_after, fault_hang_after;    /* fault injection, 0 = off */
    volatile sig_atomic_t *stop;    /* set by SIGTERM/SIGINT */
} mb_job_loop_config;

/* Creates the consumer group and serves jobs until *stop (answering any
 * job already taken).  0, or the exit code (mb_exit_code) of MB_EREDIS,
 * or of MB_EOOM (an OOM under --on-oom exit). */
int mb_job_loop_run(mb_queue *q, const mb_job_loop_config *c, mb_pipeline *pipeline);

#endif

/* The worker's job loop: take a job from the stream, run it through the
 * pipeline (or a forked work-horse), answer it, acknowledge it.
 *
 * Overlap between jobs (issue 18).  On a GPU the device idled between the
 * last forward of job k and the first of job k+1 while the worker sent
 * k's result, read k+1 and decoded its first batch.  Now, once k's last
 * batch is on the device (the pipeline's on_tail hook), the loop takes k+1
 * with a non-blocking XREADGROUP and queues its first batches on the decode
 * pool.  k's result goes out when k+1 reaches its first batch (on_handoff):
 * right after that batch's submit where holding it costs the client
 * nothing the device would not wait anyway, else before the wait for the
 * batch (handoff.h); or right after k+1 when neither comes.  Each result
 * says when it went out and how long it waited (sent, held_ms).  Results
 * keep the order jobs were taken in, each job gets exactly one, and a
 * worker that dies holding two jobs has both reported by the harness,
 * which counts every job it queued without an answer as in flight. */
#include "job_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mb_exit.h"
#include "mb_util.h"
#include "protocol.h"

static int send_result(mb_queue *q, const mb_job_loop_config *c, mb_result *r)
{
    r->worker_id = (char *)c->worker_id;
    char *payload = mb_result_encode(r);
    r->worker_id = NULL;
    mb_err err;
    int rc = mb_queue_add(q, c->results_stream, "result", payload, strlen(payload), NULL, &err);
    free(payload);
    if (rc != 0)
        fprintf(stderr, "mpsbench-worker: cannot send result: %s\n", err.msg);
    return rc;
}

/* Reads everything from fd until EOF. */
static char *read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = mb_calloc(cap, 1);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = mb_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* exec: fork_per_job, as stock RQ does with its work-horse: the job runs in a
 * child forked from the worker that already holds the model and the device.
 * On MPS this is the suspected cause of the garbage memory accounting, which
 * is why it is an axis.  The child sends its result through a pipe; a child
 * that dies without one becomes a `crashed` result, and the worker lives on. */
static void run_forked(mb_pipeline *pipeline, const mb_job *job, mb_result *r)
{
    int fds[2];
    if (pipe(fds) != 0) {
        r->status = MB_JOB_ERROR;
        r->error = mb_asprintf("pipe failed: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        r->status = MB_JOB_ERROR;
        r->error = mb_asprintf("fork failed: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        mb_pipeline_run(pipeline, job, r);
        char *text = mb_result_encode(r);
        size_t left = strlen(text);
        const char *p = text;
        while (left > 0) {
            ssize_t n = write(fds[1], p, left);
            if (n <= 0)
                _exit(3);
            p += n;
            left -= (size_t)n;
        }
        _exit(0);
    }
    close(fds[1]);
    char *text = read_all(fds[0]);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    mb_result child;
    mb_err err;
    char *job_id = r->job_id;
    if (text[0] != '\0' && mb_result_decode(text, strlen(text), &child, &err) == 0) {
        free(child.job_id);
        child.job_id = job_id;
        *r = child;
    } else {
        r->status = MB_JOB_CRASHED;
        if (WIFSIGNALED(status))
            r->error = mb_asprintf("work-horse killed by signal %d%s", WTERMSIG(status),
                                   WTERMSIG(status) == SIGKILL ? ", likely out of memory" : "");
        else
            r->error = mb_asprintf("work-horse exited with status %d without a result",
                                   WEXITSTATUS(status));
    }
    free(text);
}

/* Fault injection: what happens when the worker takes job number `n`
 * (1-based) from the queue: with a prefetch, while job n-1 still runs, so
 * that a crash there loses both jobs in hand (the harness reports both). */
static void inject_faults(const mb_job_loop_config *c, long n)
{
    if (c->fault_crash_after > 0 && n > c->fault_crash_after) {
        fprintf(stderr, "mpsbench-worker: fault injection: crashing in job %ld\n", n);
        raise(SIGKILL);
    }
    if (c->fault_hang_after > 0 && n > c->fault_hang_after) {
        fprintf(stderr, "mpsbench-worker: fault injection: hanging in job %ld\n", n);
        for (;;)
            pause();
    }
}

/* One entry taken from the jobs stream, decoded or not. */
typedef struct taken_job {
    char *entry_id, *payload;
    size_t len;
    bool decoded;
    mb_job job;
    char *malformed;        /* why it could not be decoded */
} taken_job;

static void taken_free(taken_job *t)
{
    if (t == NULL)
        return;
    if (t->decoded)
        mb_job_clear(&t->job);
    free(t->entry_id);
    free(t->payload);
    free(t->malformed);
    free(t);
}

/* The consume loop's state, shared with the pipeline's tail hook. */
typedef struct consumer {
    mb_queue *q;
    const mb_job_loop_config *c;
    mb_pipeline *pipeline;
    long jobs_taken;
    taken_job *prefetched;  /* taken during the previous job's last batch */
    /* The previous job's result, held back until the prefetched job
     * reaches its first batch (hand_off). */
    mb_result unsent;
    taken_job *unsent_job;
    double unsent_since;    /* when its job ended */
    double handoff_ms;      /* the last hand-off's time, for the next job's gap */
    int infra_error;        /* a Redis failure in a hook, for the loop to report */
} consumer;

/* XREADGROUP (block_ms < 0: only what is already there) and decode.
 * Returns 1 with *out, 0 when nothing came, <0 on a Redis error. */
static int take_job(consumer *cs, int block_ms, taken_job **out)
{
    *out = NULL;
    taken_job *t = mb_calloc(1, sizeof *t);
    mb_err err;
    int got = mb_queue_read_group(cs->q, cs->c->jobs_stream, cs->c->group, cs->c->worker_id, "job",
                                  block_ms, &t->entry_id, &t->payload, &t->len, &err);
    if (got <= 0) {
        if (got < 0)
            fprintf(stderr, "mpsbench-worker: %s\n", err.msg);
        taken_free(t);
        return got;
    }
    if (mb_job_decode(t->payload, t->len, &t->job, &err) == 0) {
        t->decoded = true;
        inject_faults(cs->c, ++cs->jobs_taken);
    } else {
        t->malformed = mb_strdup(err.msg);
    }
    *out = t;
    return 1;
}

/* The pipeline's tail hook: while this job's last batch runs on the device,
 * take the next job if the harness has queued one and start decoding its
 * first batches.  Taking it is safe by the protocol: the entry stays pending
 * for this worker until answered, and the harness counts every job it
 * queued and has no answer for as in flight, so a worker that dies now has
 * both jobs reported as crashed (PROTOCOL.md, Crashes).  Not when the
 * worker is about to stop: it answers what it takes. */
static void prefetch_next(void *ctx)
{
    consumer *cs = ctx;
    if (*cs->c->stop || cs->prefetched != NULL)
        return;
    taken_job *t = NULL;
    int got = take_job(cs, -1, &t);
    if (got < 0)
        cs->infra_error = mb_exit_code(MB_EREDIS, NULL);
    if (got <= 0)
        return;
    cs->prefetched = t;
    if (t->decoded)
        mb_pipeline_prefetch(cs->pipeline, &t->job);
}

/* Sends the held-back result and acknowledges its entry (the result goes
 * before the ack, so a job is never acknowledged unanswered).  The result
 * carries when it went out and how long it waited after its job ended, so
 * that holding it is a measured latency cost. */
static void hand_off(void *ctx, mb_sent when)
{
    consumer *cs = ctx;
    if (cs->unsent_job == NULL)
        return;
    double t0 = mb_now_ms();
    cs->unsent.sent = when;
    cs->unsent.held_ms = t0 - cs->unsent_since;
    mb_err err;
    int rc = send_result(cs->q, cs->c, &cs->unsent);
    if (rc == 0 && mb_queue_ack(cs->q, cs->c->jobs_stream, cs->c->group, cs->unsent_job->entry_id,
                                &err) != 0)
        rc = mb_exit_code(MB_EREDIS, NULL);
    if (rc != 0)
        cs->infra_error = mb_exit_code(MB_EREDIS, NULL);
    cs->handoff_ms = mb_now_ms() - t0;
    mb_result_clear(&cs->unsent);
    taken_free(cs->unsent_job);
    cs->unsent_job = NULL;
}

/* Runs one taken job into r (a malformed one is answered, not dropped: the
 * harness learns which entry was bad and why). */
static void run_job(consumer *cs, taken_job *t, mb_result *r)
{
    if (!t->decoded) {
        r->job_id = mb_asprintf("entry:%s", t->entry_id);
        r->status = MB_JOB_ERROR;
        r->error = mb_asprintf("malformed job: %s", t->malformed);
        return;
    }
    r->job_id = mb_strdup(t->job.id);
    if (cs->c->fork_per_job)
        run_forked(cs->pipeline, &t->job, r);
    else
        mb_pipeline_run(cs->pipeline, &t->job, r);
}

int mb_job_loop_run(mb_queue *q, const mb_job_loop_config *c, mb_pipeline *pipeline)
{
    mb_err err;
    if (mb_queue_create_group(q, c->jobs_stream, c->group, &err) != 0) {
        fprintf(stderr, "mpsbench-worker: %s\n", err.msg);
        return mb_exit_code(MB_EREDIS, NULL);
    }
    consumer cs = {.q = q, .c = c, .pipeline = pipeline};
    /* Overlap between jobs only in a persistent worker that outlives an
     * OOM: a forked work-horse cannot share the decode pool, and a worker
     * that exits on an OOM must not take a job it will not answer. */
    if (!c->fork_per_job && !c->exit_on_oom) {
        pipeline->on_tail = prefetch_next;
        pipeline->on_handoff = hand_off;
        pipeline->tail_ctx = &cs;
    }
    double prev_tail_ms = 0;
    int status = 0;
    /* A prefetched job is answered even after SIGTERM: it was taken. */
    while ((!*c->stop || cs.prefetched != NULL) && status == 0) {
        double t0 = mb_now_ms();
        taken_job *t = cs.prefetched;
        cs.prefetched = NULL;
        if (t == NULL) {
            int got = take_job(&cs, 500, &t);
            if (got < 0) {
                status = mb_exit_code(MB_EREDIS, NULL);
                break;
            }
            if (got == 0)
                continue;
        }
        double dequeue_ms = mb_now_ms() - t0;
        mb_result r = {0};
        run_job(&cs, t, &r);
        double ended = mb_now_ms();
        /* The previous result, if this job failed before its first batch
         * reached the device: results go out in the order jobs were taken. */
        hand_off(&cs, MB_SENT_AFTER_NEXT);
        /* The gap before this job: the previous job's tail and hand-off, and
         * this job's own dequeue (the read itself, where not prefetched). */
        double tail_ms = r.gap_tail_ms;
        r.has_gap = true;
        r.gap_tail_ms = prev_tail_ms;
        r.gap_handoff_ms = cs.handoff_ms;
        r.gap_dequeue_ms = dequeue_ms;
        prev_tail_ms = tail_ms;
        bool oom = r.status == MB_JOB_OOM;
        cs.unsent = r;
        cs.unsent_job = t;
        cs.unsent_since = ended;
        /* With the next job taken, this result goes out when that job
         * reaches its first batch (on_handoff); else now. */
        if (cs.prefetched == NULL)
            hand_off(&cs, MB_SENT_AT_ONCE);
        if (cs.infra_error != 0) {
            status = mb_exit_code(MB_EREDIS, NULL);
        } else if (oom && c->exit_on_oom) {
            fputs("mpsbench-worker: out of memory; exiting as --on-oom exit asks\n", stderr);
            status = mb_exit_code(MB_EOOM, NULL);
        }
    }
    /* Only on an infrastructure failure: the job stays pending, and the
     * harness reports it with the worker's exit. */
    if (cs.prefetched != NULL) {
        mb_pipeline_forget(pipeline);
        taken_free(cs.prefetched);
    }
    mb_result_clear(&cs.unsent);
    taken_free(cs.unsent_job);
    pipeline->on_tail = NULL;
    pipeline->on_handoff = NULL;
    return status;
}


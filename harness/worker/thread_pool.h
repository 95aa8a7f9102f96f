/* A fixed pool of POSIX threads running tasks in FIFO order, and a latch to
 * wait for a group of tasks.  The worker decodes and preprocesses the images
 * of a batch on it while the device runs the previous batch.
 *
 * Lifecycle: mb_pool_new starts the threads; mb_pool_free runs what is still
 * queued, then joins them.  A pool belongs to the process that made it: after
 * fork() its threads do not exist in the child, so the child must not submit
 * to it (mb_pool_usable says whether it may). */
#ifndef MB_THREAD_POOL_H
#define MB_THREAD_POOL_H

#include <pthread.h>
#include <stdbool.h>

typedef void (*mb_task_fn)(void *arg);

typedef struct mb_pool mb_pool;

/* Starts `threads` threads (at least 1).  Returns NULL when not one thread
 * could start; callers then run tasks inline. */
mb_pool *mb_pool_new(int threads);
/* Runs the queued tasks, joins the threads and frees the pool; NULL accepted. */
void mb_pool_free(mb_pool *p);
/* Number of threads. */
int mb_pool_size(const mb_pool *p);
/* Whether this process may submit to p: false for NULL and in a forked child. */
bool mb_pool_usable(const mb_pool *p);
/* Queues fn(arg).  With a pool that is NULL or not usable here, runs fn(arg)
 * in the caller before returning, so that callers need no second code path. */
void mb_pool_submit(mb_pool *p, mb_task_fn fn, void *arg);

/* Counts tasks down to zero; mb_latch_wait blocks until then. */
typedef struct mb_latch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int left;
} mb_latch;

void mb_latch_init(mb_latch *l);
void mb_latch_destroy(mb_latch *l);
/* Sets the count; only while nobody waits on or counts down the latch. */
void mb_latch_reset(mb_latch *l, int count);
void mb_latch_count_down(mb_latch *l);
void mb_latch_wait(mb_latch *l);
/* Whether the count is down to zero, without waiting. */
bool mb_latch_done(mb_latch *l);

#endif

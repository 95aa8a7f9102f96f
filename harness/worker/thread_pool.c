#include "thread_pool.h"

#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "mb_util.h"

typedef struct task {
    mb_task_fn fn;
    void *arg;
} task;

struct mb_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* A ring buffer of queued tasks that grows when full. */
    task *ring;
    size_t cap, head, count;
    bool stopping;
    pid_t owner;
    int n_threads;
    pthread_t *threads;
};

static void *pool_main(void *arg)
{
    mb_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->count == 0)
            break;
        task t = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_mutex_unlock(&p->mu);
        t.fn(t.arg);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

mb_pool *mb_pool_new(int threads)
{
    if (threads < 1)
        threads = 1;
    mb_pool *p = mb_calloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->cap = 64;
    p->ring = mb_calloc(p->cap, sizeof *p->ring);
    p->owner = getpid();
    p->threads = mb_calloc((size_t)threads, sizeof *p->threads);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, pool_main, p) != 0)
            break;
        p->n_threads++;
    }
    if (p->n_threads == 0) {
        mb_pool_free(p);
        return NULL;
    }
    return p;
}

void mb_pool_free(mb_pool *p)
{
    if (p == NULL)
        return;
    if (mb_pool_usable(p)) {
        pthread_mutex_lock(&p->mu);
        p->stopping = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int i = 0; i < p->n_threads; i++)
            pthread_join(p->threads[i], NULL);
    }
    /* In a forked child the threads never existed: only the memory is freed. */
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->ring);
    free(p);
}

int mb_pool_size(const mb_pool *p)
{
    return p != NULL ? p->n_threads : 0;
}

bool mb_pool_usable(const mb_pool *p)
{
    return p != NULL && p->n_threads > 0 && p->owner == getpid();
}

void mb_pool_submit(mb_pool *p, mb_task_fn fn, void *arg)
{
    if (!mb_pool_usable(p)) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (p->count == p->cap) {
        size_t cap = p->cap * 2;
        task *ring = mb_calloc(cap, sizeof *ring);
        for (size_t i = 0; i < p->count; i++)
            ring[i] = p->ring[(p->head + i) % p->cap];
        free(p->ring);
        p->ring = ring;
        p->cap = cap;
        p->head = 0;
    }
    p->ring[(p->head + p->count) % p->cap] = (task){fn, arg};
    p->count++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void mb_latch_init(mb_latch *l)
{
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->left = 0;
}

void mb_latch_destroy(mb_latch *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

void mb_latch_reset(mb_latch *l, int count)
{
    pthread_mutex_lock(&l->mu);
    l->left = count;
    pthread_mutex_unlock(&l->mu);
}

void mb_latch_count_down(mb_latch *l)
{
    pthread_mutex_lock(&l->mu);
    if (--l->left <= 0)
        pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void mb_latch_wait(mb_latch *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->left > 0)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

bool mb_latch_done(mb_latch *l)
{
    pthread_mutex_lock(&l->mu);
    bool done = l->left <= 0;
    pthread_mutex_unlock(&l->mu);
    return done;
}

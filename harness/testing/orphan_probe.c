/* A stand-in for a test binary that dies without cleaning up: it starts a
 * redis-server and a worker through the mb_testing fixture, prints their
 * pids and its temp folder, and sleeps until it is killed.  test_orphans
 * SIGKILLs it and checks that the fixture's children did not outlive it. */
#include <stdio.h>
#include <unistd.h>

#include "mb_testing.h"

int main(void)
{
    mb_test_env t;
    if (!mb_test_env_start(&t))
        return 77;
    if (!mb_test_start_worker(&t, "builtin:tiny", NULL)) {
        fprintf(stderr, "orphan_probe: the worker did not start\n");
        mb_test_env_stop(&t);
        return 1;
    }
    printf("tmp %s\nredis %ld\nworker %ld\nready\n", t.tmp, (long)t.redis.proc.pid,
           (long)t.worker.pid);
    fflush(stdout);
    for (;;)
        pause();
}

/* mb_cpu_count apart from mb_util.c: sched_getaffinity and CPU_COUNT need
 * _GNU_SOURCE, which this file alone defines. */
#ifdef __linux__
#define _GNU_SOURCE
#include <sched.h>
#endif
#include <unistd.h>

#include "mb_util.h"

int mb_cpu_count(void)
{
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int allowed = CPU_COUNT(&set);
        if (allowed >= 1)
            return allowed;
    }
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

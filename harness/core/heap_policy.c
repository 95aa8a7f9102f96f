/* mb_heap_keep_freed: glibc's mallopt, where there is one. */
#include <stdlib.h> /* defines __GLIBC__ on glibc */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "heap_policy.h"

bool mb_heap_keep_freed(void)
{
#if defined(__GLIBC__)
    /* M_MMAP_MAX 0: every block comes from the heap (a thread's arena that
     * cannot grow falls back to the main one); M_TRIM_THRESHOLD -1: the
     * heap's free top is never given back. */
    int no_mmap = mallopt(M_MMAP_MAX, 0);
    int no_trim = mallopt(M_TRIM_THRESHOLD, -1);
    return no_mmap == 1 && no_trim == 1;
#else
    return false;
#endif
}

bool mb_heap_keep_freed_for(bool cpu_forward, bool memory_limited)
{
    if (!cpu_forward || memory_limited)
        return false;
    return mb_heap_keep_freed();
}

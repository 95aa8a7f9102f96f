/* mb_heap_keep_freed: a block freed and allocated again costs no new page
 * faults.  Page faults are counted by the kernel, not timed, so the check
 * holds on a loaded machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "heap_policy.h"
#include "mb_test_main.h"

/* Above glibc's largest mmap threshold (32 MiB on 64-bit systems): by
 * default such a block is a fresh mapping every time, its pages faulted in
 * again by the first write. */
enum { BLOCK_BYTES = 64 << 20 };

static long minor_faults(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_minflt;
}

/* Allocates the block, writes one byte per page through a volatile pointer
 * (which the compiler may not drop) and frees it; returns the minor faults
 * that took. */
static long faults_of_one_use(long page)
{
    long before = minor_faults();
    volatile char *block = malloc(BLOCK_BYTES);
    assert_non_null((void *)block);
    for (long i = 0; i < BLOCK_BYTES; i += page)
        block[i] = (char)i;
    free((void *)block);
    return minor_faults() - before;
}

static void test_freed_block_is_reused_without_faults(void **state)
{
    (void)state;
    if (!mb_heap_keep_freed())
        MB_SKIP("this libc has no mallopt: the heap policy does not apply");
    long page = sysconf(_SC_PAGESIZE);
    long pages = BLOCK_BYTES / page;
    /* The first use grows the heap: its faults are the block's pages. */
    long first = faults_of_one_use(page);
    long again = faults_of_one_use(page);
    print_message("faults: first use %ld, again %ld (%ld pages)\n", first, again, pages);
    assert_true(first >= pages / 2);
    assert_true(again < pages / 10);
}

/* Only an uncapped CPU forward keeps its freed memory: elsewhere the
 * policy is not even set (on glibc a set policy would say true). */
static void test_policy_only_for_an_uncapped_cpu_forward(void **state)
{
    (void)state;
    assert_false(mb_heap_keep_freed_for(false, false));
    assert_false(mb_heap_keep_freed_for(true, true));
    assert_false(mb_heap_keep_freed_for(false, true));
    bool here = mb_heap_keep_freed();
    assert_true(mb_heap_keep_freed_for(true, false) == here);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_policy_only_for_an_uncapped_cpu_forward),
    cmocka_unit_test(test_freed_block_is_reused_without_faults),
};

MB_TEST_MAIN("heap_policy", tests, NULL, NULL)

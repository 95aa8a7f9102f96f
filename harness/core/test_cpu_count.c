/* mb_cpu_count follows the affinity mask (taskset, a container's cpuset):
 * a worker pinned to one CPU sizes its pools for one, not for the machine. */
#ifdef __linux__
#define _GNU_SOURCE
#include <sched.h>
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"
#include "mb_util.h"

static void test_count_follows_affinity(void **state)
{
    (void)state;
#ifdef __linux__
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    assert_int_equal(mb_cpu_count(), CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    int pinned = mb_cpu_count();
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    assert_int_equal(pinned, 1);
#else
    MB_SKIP("no affinity mask to follow: not Linux");
#endif
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_count_follows_affinity),
};

MB_TEST_MAIN("cpu_count", tests, NULL, NULL)

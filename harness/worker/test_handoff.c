/* The previous job's result is held behind the next job's first submit only
 * when that costs its client nothing the device would not wait anyway. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_test_main.h"

#include "handoff.h"

static void test_held_only_behind_a_queued_ready_batch(void **state)
{
    (void)state;
    /* CUDA, first batch decoded: the hand-off overlaps the forward. */
    assert_int_equal(mb_handoff_moment(true, true), MB_SENT_BEHIND_NEXT_SUBMIT);
    /* Still decoding: the result goes out while the pool finishes. */
    assert_int_equal(mb_handoff_moment(false, true), MB_SENT_BEFORE_NEXT_WAIT);
    /* CPU or MPS: the submit runs the forward, which the result would wait for. */
    assert_int_equal(mb_handoff_moment(true, false), MB_SENT_BEFORE_NEXT_WAIT);
    assert_int_equal(mb_handoff_moment(false, false), MB_SENT_BEFORE_NEXT_WAIT);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_held_only_behind_a_queued_ready_batch),
};

MB_TEST_MAIN("handoff", tests, NULL, NULL)

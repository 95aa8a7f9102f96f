/* The host/nvJPEG split of `decode: auto`: the share moves toward the side
 * that waits, stays in bounds, and spreads the host's rows evenly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_test_main.h"

#include "decode_split.h"

static void test_share_follows_the_wait(void **state)
{
    (void)state;
    /* The pool kept up: it takes more. */
    assert_true(mb_split_next(0.5, 0.0, 100.0) > 0.5);
    /* The device side waited for the pool: it takes less. */
    assert_true(mb_split_next(0.5, 10.0, 100.0) < 0.5);
    /* A wait of 1% is noise, not a pool behind. */
    assert_true(mb_split_next(0.5, 1.0, 100.0) > 0.5);
}

static void test_share_stays_in_bounds(void **state)
{
    (void)state;
    double s = MB_SPLIT_START;
    for (int i = 0; i < 1000; i++)
        s = mb_split_next(s, 0.0, 10.0);
    assert_true(s == MB_SPLIT_MAX);
    for (int i = 0; i < 1000; i++)
        s = mb_split_next(s, 50.0, 10.0);
    assert_true(s == 0.0);
}

static void test_rows_spread_evenly(void **state)
{
    (void)state;
    const double shares[] = {0.0, 0.25, 0.34, 0.5, 0.75};
    const int want[] = {0, 8, 10, 16, 24};
    for (size_t k = 0; k < sizeof shares / sizeof shares[0]; k++) {
        int host = 0, run = 0, longest = 0;
        for (int i = 0; i < 32; i++) {
            bool h = mb_split_host_row(shares[k], i);
            host += h;
            run = h ? run + 1 : 0;
            longest = run > longest ? run : longest;
        }
        assert_int_equal(host, want[k]);
        /* Spread, not bunched: never 4 host rows in a row below 0.75. */
        assert_true(longest <= 3);
    }
}

static void test_small_images_stay_on_the_host(void **state)
{
    (void)state;
    /* At the model's size and up to four times its area: the host. */
    assert_true(mb_split_small_image(224, 224, 224));
    assert_true(mb_split_small_image(448, 448, 224));
    assert_true(mb_split_small_image(100, 80, 224));
    /* Larger: the share decides (1024x768 is 15.7 times 224x224). */
    assert_false(mb_split_small_image(449, 448, 224));
    assert_false(mb_split_small_image(1024, 768, 224));
    assert_false(mb_split_small_image(4032, 3024, 224));
    /* 12 MP against a larger input is still large. */
    assert_false(mb_split_small_image(4032, 3024, 512));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_small_images_stay_on_the_host),
    cmocka_unit_test(test_share_follows_the_wait),
    cmocka_unit_test(test_share_stays_in_bounds),
    cmocka_unit_test(test_rows_spread_evenly),
};

MB_TEST_MAIN("decode_split", tests, NULL, NULL)

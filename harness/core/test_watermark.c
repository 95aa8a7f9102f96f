/* The one watermark rule (core/watermark.h), as every worker kind gets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include "watermark.h"

static void fix_on_sets_zero_when_absent(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(true, NULL, NULL, false, &w);
    assert_true(w.high_set);
    assert_string_equal(w.high, "0.0");
    assert_false(w.high_was_explicit);
    /* HIGH = 0.0 is checked against the upper bound: LOW stays PyTorch's. */
    assert_false(w.low_set);
    assert_false(w.low_lowered);
}

/* os.environ.setdefault: the user's value wins, for every worker kind. */
static void fix_on_keeps_a_value_already_there(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(true, "1.3", "1.2", false, &w);
    assert_string_equal(w.high, "1.3");
    assert_true(w.high_was_explicit);
    assert_string_equal(w.low, "1.2");
    assert_false(w.low_lowered);
}

/* Fix off: the variable is absent, whatever the shell held. */
static void fix_off_removes_an_inherited_high(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(false, "1.3", "1.2", false, &w);
    assert_false(w.high_set);
    assert_string_equal(w.high, "");
    /* An explicit LOW is the user's business; PyTorch judges it. */
    assert_true(w.low_set);
    assert_string_equal(w.low, "1.2");
}

/* ...unless it was given on purpose (a scenario's env axis). */
static void fix_off_keeps_a_high_given_on_purpose(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(false, "0.5", NULL, true, &w);
    assert_true(w.high_set);
    assert_string_equal(w.high, "0.5");
    assert_false(w.high_was_explicit);
    /* LOW follows a HIGH below PyTorch's default LOW. */
    assert_true(w.low_set);
    assert_string_equal(w.low, "0.5");
    assert_true(w.low_lowered);
}

static void fix_off_without_high_leaves_both_absent(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(false, NULL, NULL, true, &w);
    assert_false(w.high_set);
    assert_false(w.low_set);
}

static void explicit_low_is_left_to_pytorch(void **state)
{
    (void)state;
    mb_watermark w;
    mb_watermark_rule(true, "0.5", "0.9", false, &w);
    assert_string_equal(w.low, "0.9");
    assert_false(w.low_lowered);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fix_on_sets_zero_when_absent),
    cmocka_unit_test(fix_on_keeps_a_value_already_there),
    cmocka_unit_test(fix_off_removes_an_inherited_high),
    cmocka_unit_test(fix_off_keeps_a_high_given_on_purpose),
    cmocka_unit_test(fix_off_without_high_leaves_both_absent),
    cmocka_unit_test(explicit_low_is_left_to_pytorch),
};

MB_TEST_MAIN("watermark rule", tests, NULL, NULL)

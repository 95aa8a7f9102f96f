/* The environment policy: the seed's fix with setdefault semantics, and the
 * LOW ratio kept consistent with an explicit HIGH. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <stdlib.h>
#include <string.h>

#include "env_policy.h"

#define HIGH "PYTORCH_MPS_HIGH_WATERMARK_RATIO"
#define LOW "PYTORCH_MPS_LOW_WATERMARK_RATIO"

static int clean_env(void **state)
{
    (void)state;
    unsetenv(HIGH);
    unsetenv(LOW);
    unsetenv("FORCE_CPU");
    return 0;
}

static void fix_on_sets_zero(void **state)
{
    (void)state;
    mb_env_policy p;
    mb_env_policy_apply(&p, true);
    assert_string_equal(getenv(HIGH), "0.0");
    assert_string_equal(p.high_ratio, "0.0");
    assert_false(p.high_was_explicit);
    /* HIGH = 0.0 is checked against the upper bound: LOW stays PyTorch's. */
    assert_null(getenv(LOW));
    assert_false(p.low_lowered);
}

static void explicit_value_wins_over_the_fix(void **state)
{
    (void)state;
    setenv(HIGH, "1.7", 1);
    mb_env_policy p;
    mb_env_policy_apply(&p, true);
    assert_string_equal(getenv(HIGH), "1.7");
    assert_true(p.high_was_explicit);
    assert_null(getenv(LOW));
}

static void fix_off_leaves_the_variable_absent(void **state)
{
    (void)state;
    mb_env_policy p;
    mb_env_policy_apply(&p, false);
    assert_null(getenv(HIGH));
    assert_string_equal(p.high_ratio, "");
}

static void low_follows_a_small_explicit_high(void **state)
{
    (void)state;
    setenv(HIGH, "0.5", 1);
    mb_env_policy p;
    mb_env_policy_apply(&p, false);
    assert_string_equal(getenv(LOW), "0.5");
    assert_string_equal(p.low_ratio, "0.5");
    assert_true(p.low_lowered);
}

static void explicit_low_is_left_to_pytorch(void **state)
{
    (void)state;
    setenv(HIGH, "0.5", 1);
    setenv(LOW, "0.9", 1);
    mb_env_policy p;
    mb_env_policy_apply(&p, false);
    assert_string_equal(getenv(LOW), "0.9");
    assert_false(p.low_lowered);
}

static void force_cpu_is_read(void **state)
{
    (void)state;
    setenv("FORCE_CPU", "True", 1);
    mb_env_policy p;
    mb_env_policy_apply(&p, true);
    assert_true(p.force_cpu);
    assert_true(mb_env_truthy("yes") && mb_env_truthy("1") && mb_env_truthy("ON"));
    assert_false(mb_env_truthy("false") || mb_env_truthy("0") || mb_env_truthy(NULL));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(fix_on_sets_zero, clean_env),
    cmocka_unit_test_setup(explicit_value_wins_over_the_fix, clean_env),
    cmocka_unit_test_setup(fix_off_leaves_the_variable_absent, clean_env),
    cmocka_unit_test_setup(low_follows_a_small_explicit_high, clean_env),
    cmocka_unit_test_setup(explicit_low_is_left_to_pytorch, clean_env),
    cmocka_unit_test_setup(force_cpu_is_read, clean_env),
};

MB_TEST_MAIN("environment policy", tests, NULL, NULL)

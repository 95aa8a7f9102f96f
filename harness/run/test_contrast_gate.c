/* The max_cost gate of a contrast (run/contrast_gate.h) on synthetic
 * per-round ratios: pass only when the whole interval of the cost is within
 * the bound, fail only when the whole interval is beyond it, inconclusive
 * otherwise. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include "contrast_gate.h"
#include "mb_util.h"

/* Twelve rounds whose ratios are `centre` spread by +-spread. */
static void rounds(double centre, double spread, double *r)
{
    static const double wobble[12] = {-1, 1, -0.5, 0.5, 0, -0.8, 0.8, -0.2, 0.2, 1, -1, 0.1};
    for (size_t i = 0; i < 12; i++)
        r[i] = centre + spread * wobble[i];
}

static void equal_sides_pass_a_two_percent_bound(void **state)
{
    (void)state;
    double r[12];
    rounds(1.0, 0.004, r);
    mb_contrast_gate g;
    mb_contrast_gate_judge(r, 12, 0.02, &g);
    assert_int_equal(g.verdict, MB_GATE_PASS);
    assert_true(g.cost_high <= 0.02);
    assert_true(g.cost_low <= g.cost && g.cost <= g.cost_high);
    assert_null(g.reason);
    assert_int_equal(g.rounds, 12);
    mb_contrast_gate_clear(&g);
}

/* The other side 20% slower in every round: beyond 2% with confidence. */
static void a_clear_slowdown_fails(void **state)
{
    (void)state;
    double r[12];
    rounds(0.8, 0.01, r);
    mb_contrast_gate g;
    mb_contrast_gate_judge(r, 12, 0.02, &g);
    assert_int_equal(g.verdict, MB_GATE_FAIL);
    assert_true(g.cost_low > 0.02);
    assert_true(fabs(g.cost - 0.2) < 0.011);
    char *text = mb_contrast_gate_sentence(&g);
    assert_non_null(strstr(text, "the other side costs at most 2.0%: measured +20."));
    assert_non_null(strstr(text, "FAIL"));
    free(text);
    mb_contrast_gate_clear(&g);
}

/* Faster is never a cost: a gain passes even a bound of zero. */
static void a_gain_passes_a_zero_bound(void **state)
{
    (void)state;
    double r[12];
    rounds(1.3, 0.01, r);
    mb_contrast_gate g;
    mb_contrast_gate_judge(r, 12, 0.0, &g);
    assert_int_equal(g.verdict, MB_GATE_PASS);
    assert_true(g.cost_high < -0.2);
    mb_contrast_gate_clear(&g);
}

/* A cost near the bound with noise wider than the gap: neither side of it
 * is shown, so the gate says so instead of guessing. */
static void noise_around_the_bound_is_inconclusive(void **state)
{
    (void)state;
    double r[12];
    rounds(0.98, 0.05, r);
    mb_contrast_gate g;
    mb_contrast_gate_judge(r, 12, 0.02, &g);
    assert_int_equal(g.verdict, MB_GATE_INCONCLUSIVE);
    assert_true(g.cost_low <= 0.02 && g.cost_high > 0.02);
    assert_non_null(g.reason);
    assert_non_null(strstr(g.reason, "straddles 2.0%"));
    assert_non_null(strstr(g.reason, "MDE"));
    char *text = mb_contrast_gate_sentence(&g);
    assert_non_null(strstr(text, "inconclusive (the interval straddles"));
    free(text);
    mb_contrast_gate_clear(&g);
    /* A median cost beyond the bound is not enough to fail either. */
    rounds(0.97, 0.05, r);
    mb_contrast_gate_judge(r, 12, 0.02, &g);
    assert_true(g.cost > 0.02);
    assert_int_equal(g.verdict, MB_GATE_INCONCLUSIVE);
    mb_contrast_gate_clear(&g);
}

/* The bounds are inclusive on the passing side: an interval that ends at
 * max_cost passes, one that starts at it does not fail. */
static void an_interval_ending_at_the_bound_passes(void **state)
{
    (void)state;
    double r[8];
    for (size_t i = 0; i < 8; i++)
        r[i] = 0.75;
    mb_contrast_gate g;
    mb_contrast_gate_judge(r, 8, 0.25, &g);
    assert_int_equal(g.verdict, MB_GATE_PASS);
    mb_contrast_gate_clear(&g);
    mb_contrast_gate_judge(r, 8, 0.24, &g);
    assert_int_equal(g.verdict, MB_GATE_FAIL);
    mb_contrast_gate_clear(&g);
}

static void too_few_rounds_or_bad_numbers_are_inconclusive(void **state)
{
    (void)state;
    double one[1] = {0.5};
    mb_contrast_gate g;
    mb_contrast_gate_judge(one, 1, 0.02, &g);
    assert_int_equal(g.verdict, MB_GATE_INCONCLUSIVE);
    assert_string_equal(g.reason, "1 round(s) in which both sides ran, 2 needed");
    mb_contrast_gate_clear(&g);
    double bad[3] = {0.5, 0.0, 0.5};
    mb_contrast_gate_judge(bad, 3, 0.02, &g);
    assert_int_equal(g.verdict, MB_GATE_INCONCLUSIVE);
    mb_contrast_gate_clear(&g);
    char *why = mb_strdup("skipped: no cuda");
    mb_contrast_gate_unmeasured(0.02, why, &g);
    g.side = mb_strdup("device=cuda");
    assert_int_equal(g.verdict, MB_GATE_INCONCLUSIVE);
    char *text = mb_contrast_gate_sentence(&g);
    assert_string_equal(text, "device=cuda costs at most 2.0%: not measured, inconclusive "
                              "(skipped: no cuda)");
    free(text);
    mb_contrast_gate_clear(&g);
    assert_string_equal(mb_gate_verdict_name(MB_GATE_FAIL), "fail");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(equal_sides_pass_a_two_percent_bound),
    cmocka_unit_test(a_clear_slowdown_fails),
    cmocka_unit_test(a_gain_passes_a_zero_bound),
    cmocka_unit_test(noise_around_the_bound_is_inconclusive),
    cmocka_unit_test(an_interval_ending_at_the_bound_passes),
    cmocka_unit_test(too_few_rounds_or_bad_numbers_are_inconclusive),
};

MB_TEST_MAIN("contrast max_cost gate", tests, NULL, NULL)

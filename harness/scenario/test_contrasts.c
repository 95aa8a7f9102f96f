/* `contrasts:` entries: axis names, and {axis, max_cost} gates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static int load_str(const char *yaml, mb_scenario **s, mb_err *err)
{
    mb_err_clear(err);
    return mb_scenario_load_string(yaml, strlen(yaml), "t.yaml", ".", s, err);
}

static void check_error(const char *yaml, const char *expected)
{
    mb_scenario *s = NULL;
    mb_err err;
    int rc = load_str(yaml, &s, &err);
    mb_scenario_free(s);
    assert_int_equal(rc, MB_ESCENARIO);
    assert_string_equal(err.msg, expected);
}

static void gates_and_plain_names_mix(void **state)
{
    (void)state;
    const char *yaml =
        "matrix: {device: [cpu], watermark_fix: [on, off], exec: [persistent, fork_per_job]}\n"
        "contrasts: [exec, {axis: watermark_fix, max_cost: 2%}]\n";
    mb_scenario *s = NULL;
    mb_err err;
    if (load_str(yaml, &s, &err) != 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_int_equal(s->n_contrasts, 2);
    assert_string_equal(s->contrasts[0], "exec");
    assert_true(isnan(s->contrast_max_cost[0]));
    assert_string_equal(s->contrasts[1], "watermark_fix");
    assert_true(fabs(s->contrast_max_cost[1] - 0.02) < 1e-12);
    mb_scenario_free(s);
}

static void bad_gates_name_their_key(void **state)
{
    (void)state;
    const char *m = "matrix: {device: [cpu], watermark_fix: [on, off]}\n";
    char yaml[512];
    snprintf(yaml, sizeof yaml, "%scontrasts: [{max_cost: 2%%}]\n", m);
    check_error(yaml, "t.yaml:2:13: contrasts[0]: missing 'axis' (the axis whose cells are "
                      "contrasted)");
    snprintf(yaml, sizeof yaml, "%scontrasts: [{axis: watermark_fix, max_cost: 2}]\n", m);
    check_error(yaml, "t.yaml:2:45: contrasts[0].max_cost: must be between 0% and 100%, got 2 "
                      "(write 2% for percent)");
    snprintf(yaml, sizeof yaml, "%scontrasts: [{axis: watermark_fix, max_cots: 2%%}]\n", m);
    check_error(yaml, "t.yaml:2:35: contrasts[0].max_cots: unknown key 'max_cots' (did you "
                      "mean 'max_cost'?)");
    snprintf(yaml, sizeof yaml, "%scontrasts: [watermark_fix, {axis: watermark_fix}]\n", m);
    check_error(yaml, "t.yaml:2:28: contrasts[1]: duplicate value 'watermark_fix' (first given "
                      "at line 2)");
    snprintf(yaml, sizeof yaml, "%scontrasts: {axis: watermark_fix}\n", m);
    check_error(yaml, "t.yaml:2:12: contrasts: expected a list, found a mapping (write "
                      "[{axis: ..., max_cost: ...}])");
    snprintf(yaml, sizeof yaml, "%scontrasts: [{axis: exec, max_cost: 1%%}]\n", m);
    check_error(yaml, "t.yaml:2:13: contrasts[0]: 'exec' is not an axis of the matrix");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(gates_and_plain_names_mix),
    cmocka_unit_test(bad_gates_name_their_key),
};

MB_TEST_MAIN("scenario contrasts and their gates", tests, NULL, NULL)

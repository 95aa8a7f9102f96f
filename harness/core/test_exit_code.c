/* mb_exit_code, the one place every program's exit code comes from: each
 * error code's row, each outcome field alone, and every combination of
 * the outcome's fields, against the table README's "Exit codes" states.
 * The expected rows are written out here, not derived from MB_ERRNO_MAP,
 * so that a row changed in the table is caught. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include "mb_exit.h"

static const struct {
    int code;
    int exit_code;
} error_rows[] = {
    {MB_EUSAGE, 2},   {MB_ESCENARIO, 2}, {MB_EBASELINE, 2}, {MB_EINVAL, 2},
    {MB_EIO, 3},      {MB_ENOMEM, 3},    {MB_EREDIS, 3},    {MB_EPROTO, 3},
    {MB_ESPAWN, 3},   {MB_EWORKER, 3},   {MB_ETIMEOUT, 3},  {MB_EGNUPLOT, 3},
    {MB_EDEVICE, 3},  {MB_ETORCH, 1},    {MB_EOOM, 1},      {MB_EIMAGE, 1},
};
#define N_ERROR_ROWS (sizeof error_rows / sizeof error_rows[0])

/* Every outcome field at its "bad" value: an error outranks all of them. */
static mb_outcome everything_went_wrong(void)
{
    return (mb_outcome){.cells_failed = 1, .ooms_expected = 1, .ooms_unexpected = 1,
                        .gates_failed = 1, .gates_inconclusive = 1, .regressions = 1,
                        .inconclusive = 1, .not_comparable = 1, .fail_on_inconclusive = true,
                        .interrupted = true, .device_unusable = true};
}

static void every_error_code_has_its_row(void **state)
{
    (void)state;
    /* The list above names every code of the table, once. */
    assert_int_equal(N_ERROR_ROWS, MB__ERRNO_END - MB__ERRNO_BASE - 1);
    mb_outcome bad = everything_went_wrong();
    for (size_t i = 0; i < N_ERROR_ROWS; i++) {
        int want = error_rows[i].exit_code;
        int got = mb_exit_code(error_rows[i].code, NULL);
        if (got != want)
            fail_msg("%s: exit %d, not %d", mb_err_name(error_rows[i].code), got, want);
        got = mb_exit_code(error_rows[i].code, &bad);
        if (got != want)
            fail_msg("%s with every outcome set: exit %d, not %d",
                     mb_err_name(error_rows[i].code), got, want);
    }
    /* A code outside the table is a bug's error: infrastructure, never 0. */
    assert_int_equal(mb_exit_code(-1, NULL), 3);
}

static void nothing_found_is_0(void **state)
{
    (void)state;
    mb_outcome none = {0};
    assert_int_equal(mb_exit_code(MB_OK, NULL), 0);
    assert_int_equal(mb_exit_code(MB_OK, &none), 0);
}

static void each_outcome_field_alone(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        mb_outcome o;
        int exit_code;
    } rows[] = {
        {"a failed cell", {.cells_failed = 2}, 1},
        {"an unexpected OOM", {.ooms_unexpected = 1}, 1},
        {"an expected OOM", {.ooms_expected = 5}, 0},
        {"a failed gate", {.gates_failed = 1}, 1},
        {"an inconclusive gate", {.gates_inconclusive = 1}, 0},
        {"an inconclusive gate, --fail-on-inconclusive",
         {.gates_inconclusive = 1, .fail_on_inconclusive = true}, 1},
        {"a regression", {.regressions = 1}, 1},
        {"an inconclusive cell", {.inconclusive = 3}, 0},
        {"an inconclusive cell, --fail-on-inconclusive",
         {.inconclusive = 1, .fail_on_inconclusive = true}, 1},
        {"--fail-on-inconclusive with nothing inconclusive", {.fail_on_inconclusive = true}, 0},
        {"a cell not comparable", {.not_comparable = 4}, 0},
        {"an interrupt", {.interrupted = true}, 3},
        {"the worker's device unusable", {.device_unusable = true}, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = mb_exit_code(MB_OK, &rows[i].o);
        if (got != rows[i].exit_code)
            fail_msg("%s: exit %d, not %d", rows[i].what, got, rows[i].exit_code);
    }
}

/* All 2^11 combinations of the fields (each zero or not): an interrupt is
 * 3 whatever else was found, then an unusable device 4; otherwise any
 * failure is 1. */
static void every_combination_of_the_outcome(void **state)
{
    (void)state;
    for (unsigned bits = 0; bits < 2048u; bits++) {
        mb_outcome o = {
            .cells_failed = bits & 1u,
            .ooms_expected = (bits >> 1) & 1u,
            .ooms_unexpected = (bits >> 2) & 1u,
            .gates_failed = (bits >> 3) & 1u,
            .gates_inconclusive = (bits >> 4) & 1u,
            .regressions = (bits >> 5) & 1u,
            .inconclusive = (bits >> 6) & 1u,
            .not_comparable = (bits >> 7) & 1u,
            .fail_on_inconclusive = (bits >> 8) & 1u,
            .interrupted = (bits >> 9) & 1u,
            .device_unusable = (bits >> 10) & 1u,
        };
        bool failed = o.cells_failed || o.ooms_unexpected || o.gates_failed || o.regressions ||
                      (o.fail_on_inconclusive && (o.inconclusive || o.gates_inconclusive));
        int want = o.interrupted ? 3 : o.device_unusable ? 4 : failed ? 1 : 0;
        int got = mb_exit_code(MB_OK, &o);
        if (got != want)
            fail_msg("outcome bits 0x%03x: exit %d, not %d", bits, got, want);
        assert_int_equal(mb_outcome_failed(&o), failed);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_error_code_has_its_row),
    cmocka_unit_test(nothing_found_is_0),
    cmocka_unit_test(each_outcome_field_alone),
    cmocka_unit_test(every_combination_of_the_outcome),
};

MB_TEST_MAIN("exit codes", tests, NULL, NULL)

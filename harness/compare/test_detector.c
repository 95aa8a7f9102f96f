/* The pure logic of the detector benchmark: windows of rounds, the draw of
 * a history baseline's sessions, and rates with their bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdbool.h>

#include "detector_logic.h"
#include "detector_rounds.h"
#include "mb_test_main.h"

/* Two pooled streams (5 and 7 rounds): no window spans the two; the
 * disjoint ones restart at each stream's first round. */
static void stream_windows_never_span_streams(void **state)
{
    (void)state;
    const int stream[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
    size_t m = sizeof stream / sizeof stream[0], out[12];
    size_t n = mb_det_stream_disjoint(stream, m, 3, out);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 5);
    assert_int_equal(out[2], 8);
    n = mb_det_stream_starts(stream, m, 3, out);
    assert_int_equal(n, 3 + 5);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(stream[out[k]], stream[out[k] + 2]);
    assert_int_equal(out[2], 2);
    assert_int_equal(out[3], 5);
    /* One stream is the old single file: len / n windows. */
    const int one[] = {4, 4, 4, 4, 4, 4, 4};
    assert_int_equal(mb_det_stream_disjoint(one, 7, 3, out), 2);
    assert_int_equal(mb_det_stream_disjoint(one, 7, 0, out), 0);
    assert_int_equal(mb_det_stream_starts(one, 7, 8, out), 0);
}

static void disjoint_windows_fit_whole(void **state)
{
    (void)state;
    assert_int_equal(mb_det_disjoint_windows(40, 10), 4);
    assert_int_equal(mb_det_disjoint_windows(39, 10), 3);
    assert_int_equal(mb_det_disjoint_windows(5, 6), 0);
    assert_int_equal(mb_det_disjoint_windows(5, 0), 0);
}

static void random_window_stays_inside(void **state)
{
    (void)state;
    uint64_t rng = 1;
    bool seen_first = false, seen_last = false;
    for (int i = 0; i < 2000; i++) {
        size_t w = mb_det_random_window(&rng, 12, 10);
        assert_true(w <= 2);
        seen_first = seen_first || w == 0;
        seen_last = seen_last || w == 2;
    }
    assert_true(seen_first && seen_last);
    assert_int_equal(mb_det_random_window(&rng, 10, 10), 0);
    assert_int_equal(mb_det_random_window(&rng, 9, 10), 9);
    assert_int_equal(mb_det_random_window(&rng, 9, 0), 9);
}

static void same_seed_same_draws(void **state)
{
    (void)state;
    uint64_t a = 42, b = 42;
    for (int i = 0; i < 100; i++)
        assert_int_equal(mb_det_rng_below(&a, 37), mb_det_rng_below(&b, 37));
    assert_int_equal(mb_det_rng_below(&a, 0), 0);
}

static void history_sessions_distinct_and_exclude_the_new_run(void **state)
{
    (void)state;
    uint64_t rng = 3;
    size_t out[8];
    for (int t = 0; t < 500; t++) {
        assert_true(mb_det_pick_sessions(&rng, 6, 2, 5, out));
        bool seen[6] = {false};
        for (int k = 0; k < 5; k++) {
            assert_true(out[k] < 6);
            assert_true(out[k] != 2);
            assert_false(seen[out[k]]);
            seen[out[k]] = true;
        }
    }
    assert_false(mb_det_pick_sessions(&rng, 5, 2, 5, out));
    assert_true(mb_det_pick_sessions(&rng, 5, 5, 5, out));
}

/* ab_fresh: n different sessions per verdict, one round of each, every
 * round inside its session; every session and every round index turns up
 * over many draws, and n over the sessions (or an empty session) is no
 * draw. */
static void fresh_draw_takes_one_round_of_distinct_sessions(void **state)
{
    (void)state;
    uint64_t rng = 5;
    const size_t len[9] = {30, 30, 30, 30, 30, 30, 30, 30, 3};
    size_t sessions[16], rounds[16]; /* n up to 10 below (9 written) */
    size_t session_hits[9] = {0}, round_hits[30] = {0};
    for (int t = 0; t < 2000; t++) {
        assert_true(mb_det_fresh_draw(&rng, len, 9, 6, sessions, rounds));
        bool seen[9] = {false};
        for (int k = 0; k < 6; k++) {
            assert_true(sessions[k] < 9);
            assert_false(seen[sessions[k]]);
            seen[sessions[k]] = true;
            assert_true(rounds[k] < len[sessions[k]]);
            session_hits[sessions[k]]++;
            round_hits[rounds[k]]++;
        }
    }
    for (int s = 0; s < 9; s++) /* 2000 * 6 / 9 = 1333 expected each */
        assert_true(session_hits[s] > 1000 && session_hits[s] < 1700);
    for (int r = 0; r < 30; r++)
        assert_true(round_hits[r] > 0);
    /* Draws differ from one verdict to the next. */
    size_t first[6], again[6];
    rng = 11;
    assert_true(mb_det_fresh_draw(&rng, len, 9, 6, first, rounds));
    assert_true(mb_det_fresh_draw(&rng, len, 9, 6, again, rounds));
    assert_memory_not_equal(first, again, sizeof first);
    assert_true(mb_det_fresh_draw(&rng, len, 9, 9, sessions, rounds));
    assert_false(mb_det_fresh_draw(&rng, len, 9, 10, sessions, rounds));
    assert_false(mb_det_fresh_draw(&rng, len, 9, 0, sessions, rounds));
    const size_t with_empty[3] = {4, 0, 4};
    assert_false(mb_det_fresh_draw(&rng, with_empty, 3, 3, sessions, rounds));
}

static void inconclusive_is_no_alarm_and_counted(void **state)
{
    (void)state;
    mb_det_tally t = {0};
    assert_true(isnan(mb_det_rate(&t)));
    assert_true(isnan(mb_det_upper95(&t)));
    mb_det_tally_add(&t, MB_VERDICT_REGRESSION);
    mb_det_tally_add(&t, MB_VERDICT_INCONCLUSIVE);
    mb_det_tally_add(&t, MB_VERDICT_NO_CHANGE);
    mb_det_tally_add(&t, MB_VERDICT_IMPROVEMENT);
    mb_det_tally_add(&t, MB_VERDICT_NOT_COMPARABLE);
    assert_int_equal(t.trials, 4);
    assert_int_equal(t.alarms, 1);
    assert_int_equal(t.inconclusive, 1);
    assert_int_equal(t.not_comparable, 1);
    assert_float_equal(mb_det_rate(&t), 0.25, 1e-12);
    assert_float_equal(mb_det_inconclusive_rate(&t), 0.25, 1e-12);
}

static void upper_bound_is_two_sided_clopper_pearson(void **state)
{
    (void)state;
    /* The figures quoted in stats.h: 0 of 300 and 3 of 300 at 95%. */
    mb_det_tally none = {.trials = 300, .alarms = 0};
    mb_det_tally three = {.trials = 300, .alarms = 3};
    assert_float_equal(mb_det_upper95(&none), 0.01222, 5e-5);
    assert_float_equal(mb_det_upper95(&three), 0.02892, 5e-5);
    mb_det_tally all = {.trials = 10, .alarms = 10};
    assert_float_equal(mb_det_upper95(&all), 1.0, 1e-12);
}

/* Two workers whose speeds differ by 20% and a machine that slows down by
 * half midway: a 5% slowdown of B in every round must read as -5%.  The
 * ratio of the sides' overall medians would mix in the drift and the
 * workers' difference; the paired median does not. */
static void paired_change_cancels_drift(void **state)
{
    (void)state;
    double a[8], b[8];
    for (int i = 0; i < 8; i++) {
        double machine = i < 4 ? 1000.0 : 500.0;
        a[i] = machine;
        b[i] = machine * 0.95;
    }
    assert_float_equal(mb_det_paired_change(a, b, 8), -0.05, 1e-12);
    /* B/A ratios 0.9, 1.0, 1.1 (odd count): the middle one, not the mean of
     * the values. */
    double a3[] = {100, 200, 1000}, b3[] = {90, 200, 1100};
    assert_float_equal(mb_det_paired_change(a3, b3, 3), 0.0, 1e-12);
    /* A pair with a missing side is skipped, not counted as a zero. */
    double a2[] = {100, 0, 100, 100}, b2[] = {110, 50, 110, 120};
    assert_float_equal(mb_det_paired_change(a2, b2, 4), 0.10, 1e-12);
    double none[] = {0};
    assert_true(isnan(mb_det_paired_change(none, none, 1)));
}

/* What --rounds-out writes, --replay reads back exactly; a file of another
 * shape is an error that names the place. */
static void rounds_file_round_trips(void **state)
{
    (void)state;
    char path[] = "/tmp/mb-det-rounds-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    double rows[] = {0, 1.5, 2.25, 1e-9, 1, 3.0, 4.0, 5e6};
    json_t *meta = json_pack("{s:s, s:i}", "model", "builtin:tiny", "sessions", 2);
    mb_err err;
    assert_int_equal(mb_det_rounds_save(path, meta, rows, 2, 4, &err), 0);
    json_t *back_meta;
    double *back;
    size_t n;
    assert_int_equal(mb_det_rounds_load(path, &back_meta, &back, &n, 4, &err), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 8; i++)
        assert_true(back[i] == rows[i]);
    assert_true(json_equal(meta, back_meta));
    free(back);
    json_decref(back_meta);
    assert_int_equal(mb_det_rounds_load(path, &back_meta, &back, &n, 5, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "rounds[0]: expected 5 numbers"));
    FILE *f = fopen(path, "w");
    fputs("{\"meta\": {}, \"rounds\": [[1, \"x\"]]}", f);
    fclose(f);
    assert_int_equal(mb_det_rounds_load(path, &back_meta, &back, &n, 2, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "rounds[0][1]: not a number"));
    json_decref(meta);
    unlink(path);
}

/* Four processes, each with its own lasting offset (exp(+-0.10) and
 * exp(+-0.05)) and the same within-process pattern (exp(+-0.02)): the split
 * gives the offsets' spread and the within spread back exactly; processes
 * that differ by no more than their within noise give no offset. */
static void offset_split_separates_process_from_round_noise(void **state)
{
    (void)state;
    const double offs[4] = {0.10, -0.10, 0.05, -0.05}, pat[3] = {0.02, 0, -0.02};
    double v[12];
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 3; k++)
            v[g * 3 + k] = 1000 * exp(offs[g] + pat[k]);
    double within, offset;
    mb_det_offset_split(v, 4, 3, &within, &offset);
    /* MSW = 4 * 0.0008 / 8 = 0.0004; MSB = 3 * 0.025 / 3 = 0.025;
     * offset^2 = (0.025 - 0.0004) / 3 = 0.0082. */
    assert_float_equal(within, 0.02, 1e-9);
    assert_float_equal(offset, sqrt(0.0082), 1e-9);
    /* The same values dealt across the groups (each group three processes'
     * values): the groups' means differ less than their values' spread
     * explains, so nothing is a lasting offset. */
    double mixed[12];
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 3; k++)
            mixed[g * 3 + k] = v[((g + k) % 4) * 3 + k];
    mb_det_offset_split(mixed, 4, 3, &within, &offset);
    assert_float_equal(offset, 0, 1e-12);
    assert_true(within > 0.05);
    mb_det_offset_split(v, 1, 3, &within, &offset);
    assert_true(isnan(within) && isnan(offset));
    v[4] = 0;
    mb_det_offset_split(v, 4, 3, &within, &offset);
    assert_true(isnan(offset));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(offset_split_separates_process_from_round_noise),
    cmocka_unit_test(rounds_file_round_trips),
    cmocka_unit_test(paired_change_cancels_drift),
    cmocka_unit_test(disjoint_windows_fit_whole),
    cmocka_unit_test(stream_windows_never_span_streams),
    cmocka_unit_test(random_window_stays_inside),
    cmocka_unit_test(same_seed_same_draws),
    cmocka_unit_test(history_sessions_distinct_and_exclude_the_new_run),
    cmocka_unit_test(fresh_draw_takes_one_round_of_distinct_sessions),
    cmocka_unit_test(inconclusive_is_no_alarm_and_counted),
    cmocka_unit_test(upper_bound_is_two_sided_clopper_pearson),
};

MB_TEST_MAIN("detector", tests, NULL, NULL)

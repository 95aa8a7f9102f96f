/* Which cells run and how: stable names whatever the overrides, the
 * overrides in every cell, --filter, and the frontier's one cell per
 * combination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell_select.h"
#include "mb_test_main.h"
#include "mb_util.h"

static mb_scenario *load(const char *yaml)
{
    char path[] = "/tmp/mb-cell-select-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    mb_scenario *s = NULL;
    mb_err err;
    int rc = mb_scenario_load(path, &s, &err);
    unlink(path);
    if (rc != 0)
        fail_msg("%s", err.msg);
    return s;
}

static const char *const adaptive_yaml =
    "name: sel\n"
    "model: builtin:tiny\n"
    "images: {sizes: [64x64], per_job: 2}\n"
    "matrix: {device: [cpu], batch_size: [1, 4]}\n"
    "run: {jobs: 7, warmup_jobs: 2, repetitions: {min: 6, max: 20, target_ci: 2%}}\n";

static void overrides_reach_every_cell_and_not_the_names(void **state)
{
    (void)state;
    mb_scenario *s = load(adaptive_yaml);
    mb_cell *plain = NULL, *over = NULL;
    size_t n_plain = 0, n_over = 0;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &plain, &n_plain, &err), 0);
    assert_int_equal(mb_matrix_expand(s, &over, &n_over, &err), 0);
    mb_run_overrides ov = {.jobs_set = true, .jobs = 3, .warmup_jobs_set = true,
                           .warmup_jobs = 0, .repetitions_set = true, .repetitions = 2};
    mb_cells_apply_overrides(&ov, over, n_over);
    assert_int_equal(n_over, 2);
    for (size_t i = 0; i < n_over; i++) {
        assert_int_equal(over[i].run.jobs, 3);
        assert_int_equal(over[i].run.warmup_jobs, 0);
        assert_int_equal(over[i].run.repetitions, 2);
        assert_int_equal(over[i].run.repetitions_min, 2);
        assert_true(over[i].run.target_ci == 0);
        /* The scenario's values stay in the cells nothing overrode. */
        assert_int_equal(plain[i].run.jobs, 7);
        char *a = mb_cell_bench_name(s, &plain[i], false);
        char *b = mb_cell_bench_name(s, &over[i], false);
        assert_string_equal(a, b);
        assert_null(strstr(a, "repeat"));
        assert_null(strstr(a, "iterations"));
        free(a);
        free(b);
    }
    /* Overrides not given change nothing. */
    mb_run_overrides none = {0};
    mb_cells_apply_overrides(&none, plain, n_plain);
    assert_int_equal(plain[0].run.jobs, 7);
    assert_int_equal(plain[0].run.warmup_jobs, 2);
    assert_int_equal(plain[0].run.repetitions, 20);
    mb_cells_free(plain, n_plain);
    mb_cells_free(over, n_over);
    mb_scenario_free(s);
}

static void filter_matches_names_as_posix_ere(void **state)
{
    (void)state;
    mb_cell_filter f;
    mb_err err;
    assert_int_equal(mb_cell_filter_init(&f, NULL, 0, &err), 0);
    assert_true(mb_cell_filter_match(&f, "anything"));
    mb_cell_filter_free(&f);
    const char *pats[] = {"batch:(4|8)$", "^other/"};
    assert_int_equal(mb_cell_filter_init(&f, pats, 2, &err), 0);
    assert_true(mb_cell_filter_match(&f, "sel/embed/device:cpu/batch:4"));
    assert_true(mb_cell_filter_match(&f, "other/embed/device:cpu/batch:1"));
    assert_false(mb_cell_filter_match(&f, "sel/embed/device:cpu/batch:1"));
    assert_false(mb_cell_filter_match(&f, "sel/embed/device:cpu/batch:48"));
    mb_cell_filter_free(&f);
    const char *bad[] = {"batch:(4"};
    assert_int_equal(mb_cell_filter_init(&f, bad, 1, &err), MB_EUSAGE);
    assert_non_null(strstr(err.msg, "option --filter"));
    assert_non_null(strstr(err.msg, "batch:(4"));
}

static void frontier_keeps_one_cell_per_combination(void **state)
{
    (void)state;
    mb_scenario *s = load("name: fr\n"
                          "model: builtin:tiny\n"
                          "images: {sizes: [64x64], per_job: 2}\n"
                          "matrix: {device: [cpu], batch_size: [1, 2, 4]}\n"
                          "search: {batch_size: frontier, max_batch_size: 8}\n");
    mb_cell *cells = NULL;
    size_t n = 0;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (mb_cell_frontier_twin(s, &cells[i]))
            continue;
        kept++;
        char *name = mb_cell_bench_name(s, &cells[i], true);
        assert_string_equal(name, "fr/embed/device:cpu/fix:on/image:64x64/batch:frontier");
        free(name);
    }
    assert_int_equal(kept, 1);
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

/* run.max_cells bounds the cells that run: what --filter keeps, the
 * frontier's one cell per combination, not the whole matrix. */
static void selected_count_follows_the_filter(void **state)
{
    (void)state;
    mb_scenario *s = load(adaptive_yaml);
    mb_cell *cells = NULL;
    size_t n = 0;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2);
    mb_cell_filter f;
    assert_int_equal(mb_cell_filter_init(&f, NULL, 0, &err), 0);
    assert_int_equal(mb_cells_selected(s, cells, n, &f), 2);
    mb_cell_filter_free(&f);
    const char *pats[] = {"batch:4$"};
    assert_int_equal(mb_cell_filter_init(&f, pats, 1, &err), 0);
    assert_int_equal(mb_cells_selected(s, cells, n, &f), 1);
    mb_cell_filter_free(&f);
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(selected_count_follows_the_filter),
    cmocka_unit_test(overrides_reach_every_cell_and_not_the_names),
    cmocka_unit_test(filter_matches_names_as_posix_ere),
    cmocka_unit_test(frontier_keeps_one_cell_per_combination),
};

MB_TEST_MAIN("cell selection", tests, NULL, NULL)

/* The schema table (schema.c): its defaults are the loader's, its matrix
 * rows are the axes axis.c accepts, and the README's scenario reference is
 * the text it generates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "schema.h"

#define README MB_SOURCE_DIR "/README.md"

static void readme_reference_is_generated(void **state)
{
    (void)state;
    char *readme = mb_read_file(README, NULL, NULL);
    assert_non_null(readme);
    char *section = mb_scenario_reference_section(readme);
    if (section == NULL)
        fail_msg("README.md has no '%s' ... '%s' section", MB_SCENARIO_REFERENCE_BEGIN,
                 MB_SCENARIO_REFERENCE_END);
    char *generated = mb_scenario_reference_markdown();
    if (strcmp(section, generated) != 0)
        fail_msg("README.md's scenario reference differs from the schema table "
                 "(harness/scenario/schema.c); regenerate it with: "
                 "build/bin/mpsbench-scenario-keys --write README.md");
    free(generated);
    free(section);
    free(readme);
}

/* Every key of every table has a row, nested ones by their dotted path. */
static void reference_has_a_row_per_key(void **state)
{
    (void)state;
    char *md = mb_scenario_reference_markdown();
    const char *rows[] = {
        "| `name` | string |  |",
        "| `run.jobs` | int | `10` | 1 to 100000 | measured jobs per repetition |",
        "| `run.repetitions.target_ci` | percent |  | above 0% to 100% |",
        "| `run.timeout` | duration | `120s` | above 0 to 24h (120s, 500ms) |",
        "| `expect.oom` | enum | `never` | never, allowed, expected |",
        "| `overrides[].expect.regression` | percent |  | 0% to 100% |",
        "| `contrasts[].max_cost` | percent |  | 0% to 100% |",
        "| `matrix.env.NAME` | list |",
        "| `fault.slowdown` | percent | `0%` | 0% to 10000% |",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strstr(md, rows[i]) == NULL)
            fail_msg("no row starting %s in:\n%s", rows[i], md);
    free(md);
}

static void every_default_parses_into_the_model(void **state)
{
    (void)state;
    mb_scenario *s = mb_calloc(1, sizeof *s);
    assert_int_equal(mb__apply_defaults(s), 0);
    assert_int_equal(s->run.jobs, 10);
    assert_int_equal(s->run.warmup_jobs, 1);
    assert_true(s->run.timeout_s == 120);
    assert_int_equal(s->run.max_cells, MB_SCENARIO_MAX_CELLS_DEFAULT);
    assert_int_equal(s->run.order, MB_ORDER_INTERLEAVED);
    assert_int_equal(s->images.per_job, 32);
    assert_int_equal(s->images.format, MB_FORMAT_JPEG);
    assert_true(fabs(s->expect.regression - 0.05) < 1e-12);
    assert_int_equal(s->search.max_batch_size, 1024);
    free(s);
}

/* The matrix rows document exactly the axes axis.c accepts. */
static void matrix_rows_are_the_axes(void **state)
{
    (void)state;
    assert_int_equal(mb__matrix_table.n, mb__n_axis_names + 1);
    for (size_t i = 0; i < mb__matrix_table.n; i++)
        assert_int_not_equal(mb__axis_kind_of(mb__matrix_table.keys[i].name, NULL),
                             MB__AXIS_UNKNOWN);
}

/* A row's own rule: target_ci is a fraction that must be above zero. */
static void positive_fraction_refuses_zero(void **state)
{
    (void)state;
    const char *yaml = "run: {repetitions: {min: 2, max: 3, target_ci: 0%}}\n";
    mb_scenario *s = NULL;
    mb_err err;
    assert_int_equal(mb_scenario_load_string(yaml, strlen(yaml), "t.yaml", ".", &s, &err),
                     MB_ESCENARIO);
    assert_string_equal(err.msg, "t.yaml:1:48: run.repetitions.target_ci: must be more than 0%");
}

/* A table's rows fit the `seen` bits of the read loop. */
static void tables_fit_the_read_loop(void **state)
{
    (void)state;
    const mb__table *tables[] = {&mb__root_table, &mb__expect_table, &mb__adaptive_table,
                                 &mb__contrast_table, &mb__override_table};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        assert_true(tables[i]->n <= MB__MAX_TABLE_KEYS);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(readme_reference_is_generated),
    cmocka_unit_test(reference_has_a_row_per_key),
    cmocka_unit_test(every_default_parses_into_the_model),
    cmocka_unit_test(matrix_rows_are_the_axes),
    cmocka_unit_test(tables_fit_the_read_loop),
    cmocka_unit_test(positive_fraction_refuses_zero),
};

MB_TEST_MAIN("scenario schema and its reference", tests, NULL, NULL)

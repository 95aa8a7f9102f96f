/* junit.xml's contrast gates, rendered from the typed model of run.json:
 * one [max_cost] case per gate, a failed gate a failure carrying the
 * gate's sentence, an inconclusive one a skip, a contrast without a gate
 * no case at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exports.h"
#include "mb_util.h"

#define GATE(name, verdict, summary)                                                         \
    "{\"name\": \"" name "\", \"axis\": \"watermark_fix\", \"verdict\": \"no_change\","       \
    " \"rounds\": 8, \"gate\": {\"verdict\": \"" verdict "\", \"summary\": \"" summary "\","  \
    " \"rounds\": 8, \"max_cost\": 0.02, \"cost\": 0.05, \"reason\": null}}"

static void contrast_gates_are_cases(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-test-junit-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = mb_asprintf("%s/run.json", dir);
    static const char text[] =
        "{\"format\": 1, \"status\": \"failed\", \"written_at\": \"2026-12-02T02:00:00Z\","
        " \"machine\": {\"hostname\": \"box\"}, \"cells\": [], \"contrasts\": ["
        GATE("s/a: on vs off", "fail", "the fix costs 5% [4%, 6%], more than 2%") ", "
        GATE("s/b: on vs off", "inconclusive", "too few rounds to tell") ", "
        GATE("s/c: on vs off", "pass", "the fix costs at most 1%") ", "
        "{\"name\": \"s/d: a vs b\", \"axis\": \"exec\", \"verdict\": \"no_change\"}]}";
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text), NULL), 0);
    mb_run_file f;
    mb_err err;
    mb_err_clear(&err);
    if (mb_run_file_load(dir, &f, &err) != 0)
        fail_msg("%s", err.msg);
    char *xml = mb_junit_render(&f);
    mb_run_file_free(&f);
    assert_non_null(xml);
    if (strstr(xml, "<testsuite name=\"contrast gates\" tests=\"3\" failures=\"1\" errors=\"0\" "
                    "skipped=\"1\"") == NULL ||
        strstr(xml, "name=\"s/a: on vs off [max_cost]\" time=\"0.000\">\n      <failure "
                    "type=\"max_cost\" message=\"the fix costs 5% [4%, 6%], more than 2%\"") == NULL ||
        strstr(xml, "name=\"s/b: on vs off [max_cost]\" time=\"0.000\">\n      <skipped "
                    "message=\"too few rounds to tell\"") == NULL ||
        strstr(xml, "<system-out>the fix costs at most 1%</system-out>") == NULL ||
        strstr(xml, "s/d: a vs b") != NULL ||
        strstr(xml, "<testsuites name=\"mpsbench\" tests=\"3\" failures=\"1\"") == NULL)
        fail_msg("unexpected junit.xml:\n%s", xml);
    free(xml);
    unlink(path);
    free(path);
    rmdir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(contrast_gates_are_cases),
};

MB_TEST_MAIN("report_junit", tests, NULL, NULL)

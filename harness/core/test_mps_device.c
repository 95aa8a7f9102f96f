/* The MPS device classification against recorded probe outputs
 * (fixtures/mps-probe/): the two error texts GitHub's hosted Apple-silicon
 * runners give, quoted from actions/runner-images#9918 and #11899, with and
 * without the device name, a real Mac, and a failure that is not about
 * memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <jansson.h>
#include <string.h>

#include "mps_device.h"

static const char *str_or_null(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Loads fixtures/mps-probe/NAME.json, classifies it, and checks the class
 * the fixture expects.  Returns the reason through reason. */
static void classify_fixture(const char *name, char *reason, size_t reason_size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/mps-probe/%s.json", MB_SOURCE_DIR, name);
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (o == NULL)
        fail_msg("%s: %s", path, jerr.text);
    json_t *ws = json_object_get(o, "recommended_max_working_set");
    const char *large = str_or_null(o, "large_probe");
    mb_mps_probe p = {
        .device_name = str_or_null(o, "metal_device"),
        .working_set = json_is_integer(ws) ? (double)json_integer_value(ws) : 0,
        .small_error = str_or_null(o, "probe_error"),
        .large_tried = large != NULL && strcmp(large, "not_run") != 0,
        .large_error = str_or_null(o, "large_probe_error"),
    };
    int want = mb_mps_class_parse(str_or_null(o, "expect"));
    assert_true(want >= 0);
    mb_mps_class got = mb_mps_classify(&p, reason, reason_size);
    if ((int)got != want)
        fail_msg("%s: classified %s, want %s (%s)", name, mb_mps_class_name(got),
                 mb_mps_class_name((mb_mps_class)want), reason);
    json_decref(o);
}

/* macos-14 arm64: the very first allocation fails. */
static void runner_images_9918(void **state)
{
    (void)state;
    char reason[1024];
    classify_fixture("runner-images-9918", reason, sizeof reason);
    assert_non_null(strstr(reason, "Apple Paravirtual device"));
    assert_non_null(strstr(reason, "recommendedMaxWorkingSetSize 4.66 GiB"));
}

static void runner_images_9918_by_behaviour(void **state)
{
    (void)state;
    char reason[1024];
    classify_fixture("runner-images-9918-unnamed", reason, sizeof reason);
    assert_non_null(strstr(reason, "first, small MPS allocation"));
    assert_non_null(strstr(reason, "Tried to allocate 256 bytes on private pool"));
}

/* macos-15 arm64: a few bytes work, the ~1 GiB cap does not. */
static void runner_images_11899(void **state)
{
    (void)state;
    char reason[1024];
    classify_fixture("runner-images-11899", reason, sizeof reason);
    assert_non_null(strstr(reason, "Apple Paravirtual device"));
}

static void runner_images_11899_by_behaviour(void **state)
{
    (void)state;
    char reason[1024];
    classify_fixture("runner-images-11899-unnamed", reason, sizeof reason);
    assert_non_null(strstr(reason, "1.25 GiB in one tensor fails"));
    assert_non_null(strstr(reason, "MPS allocated: 1024.00 MB"));
}

static void real_mac_is_usable(void **state)
{
    (void)state;
    char reason[256] = "x";
    classify_fixture("real-mac", reason, sizeof reason);
    assert_string_equal(reason, "");
}

static void failure_not_about_memory_is_unusable(void **state)
{
    (void)state;
    char reason[512];
    classify_fixture("not-memory", reason, sizeof reason);
    assert_non_null(strstr(reason, "Placeholder storage"));
}

/* A working set that matches the cap is enough on its own; a real one is not. */
static void working_set_at_the_cap(void **state)
{
    (void)state;
    char reason[512];
    mb_mps_probe p = {.device_name = "Apple M1 (Virtual)", .working_set = 1.03 * 1073741824.0};
    assert_int_equal(mb_mps_classify(&p, reason, sizeof reason), MB_MPS_PARAVIRTUAL);
    assert_non_null(strstr(reason, "1.03 GiB"));
    p.working_set = 5.33 * 1073741824.0;
    assert_int_equal(mb_mps_classify(&p, reason, sizeof reason), MB_MPS_USABLE);
}

/* The large probe failing for another reason than memory is not a cap. */
static void large_probe_other_failure(void **state)
{
    (void)state;
    char reason[512];
    mb_mps_probe p = {.device_name = "Apple M3", .large_tried = 1,
                      .large_error = "MPSGraph does not support tensor dims larger than INT_MAX"};
    assert_int_equal(mb_mps_classify(&p, reason, sizeof reason), MB_MPS_UNUSABLE);
    /* A tiny buffer still gets a terminated prefix. */
    char tiny[8];
    assert_int_equal(mb_mps_classify(&p, tiny, sizeof tiny), MB_MPS_UNUSABLE);
    assert_int_equal(strlen(tiny), 7);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int c = MB_MPS_USABLE; c <= MB_MPS_UNUSABLE; c++)
        assert_int_equal(mb_mps_class_parse(mb_mps_class_name((mb_mps_class)c)), c);
    assert_int_equal(mb_mps_class_parse("capped"), -1);
    assert_int_equal(mb_mps_class_parse(NULL), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(runner_images_9918),
    cmocka_unit_test(runner_images_9918_by_behaviour),
    cmocka_unit_test(runner_images_11899),
    cmocka_unit_test(runner_images_11899_by_behaviour),
    cmocka_unit_test(real_mac_is_usable),
    cmocka_unit_test(failure_not_about_memory_is_unusable),
    cmocka_unit_test(working_set_at_the_cap),
    cmocka_unit_test(large_probe_other_failure),
    cmocka_unit_test(names_round_trip),
};

MB_TEST_MAIN("mps device classification", tests, NULL, NULL)

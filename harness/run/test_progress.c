/* The progress line's pure parts: the terminal width, cutting the name
 * (never the figures) so the line never wraps, and the ETA text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mb_test_main.h"
#include "mb_util.h"
#include "progress.h"

#define LONG_NAME "seed-options/embed/device:cuda/fix:on/exec:persistent/image:4032x3024/" \
                  "precision:fp16/env.PYTORCH_CUDA_ALLOC_CONF:expandable_segments/batch:32"

static void width_falls_back_to_columns_then_80(void **state)
{
    (void)state;
    int fd = open("/dev/null", O_WRONLY);
    assert_true(fd >= 0);
    char *saved = getenv("COLUMNS") ? mb_strdup(getenv("COLUMNS")) : NULL;
    setenv("COLUMNS", "123", 1);
    assert_int_equal(mb_progress_terminal_width(fd), 123);
    setenv("COLUMNS", "wide", 1);
    assert_int_equal(mb_progress_terminal_width(fd), 80);
    unsetenv("COLUMNS");
    assert_int_equal(mb_progress_terminal_width(fd), 80);
    if (saved != NULL)
        setenv("COLUMNS", saved, 1);
    free(saved);
    close(fd);
}

static void columns_count_code_points(void **state)
{
    (void)state;
    assert_int_equal(mb_progress_columns(""), 0);
    assert_int_equal(mb_progress_columns("abc"), 3);
    assert_int_equal(mb_progress_columns("a…b±"), 4);
}

/* At every width the line fits in width - 1 columns, keeps the counter and
 * the figures whole, and cuts only the name, keeping both of its ends. */
static void line_never_wraps_and_keeps_the_figures(void **state)
{
    (void)state;
    const char *what = "rep 3/5  job 12/32";
    for (int width = 60; width <= 300; width += 7) {
        char *line = mb_progress_format_line(width, "[17/240]", LONG_NAME, what, "ETA 1h02m");
        if (mb_progress_columns(line) > (size_t)width - 1)
            fail_msg("width %d: %zu columns: %s", width, mb_progress_columns(line), line);
        assert_non_null(strstr(line, "[17/240] "));
        assert_non_null(strstr(line, what));
        assert_non_null(strstr(line, "ETA 1h02m"));
        assert_non_null(strstr(line, "] se"));
        assert_non_null(strstr(line, "batch:32  "));
        if (width - 1 < (int)strlen(LONG_NAME) + 40)
            assert_non_null(strstr(line, "…"));
        free(line);
    }
    /* Room enough: the whole name, nothing cut. */
    char *line = mb_progress_format_line(400, "[1/2]", LONG_NAME, what, "ETA 5s");
    assert_non_null(strstr(line, LONG_NAME));
    assert_null(strstr(line, "…"));
    free(line);
}

/* A terminal too narrow for the figures drops the name, then cuts. */
static void narrow_terminal_still_fits(void **state)
{
    (void)state;
    for (int width = 1; width < 60; width++) {
        char *line = mb_progress_format_line(width, "[17/240]", LONG_NAME, "rep 3/5  job 12/32",
                                             "ETA 4s");
        assert_true(mb_progress_columns(line) <= (size_t)(width > 1 ? width - 1 : 0));
        free(line);
    }
}

static void eta_from_pace_and_its_text(void **state)
{
    (void)state;
    assert_true(mb_progress_eta_s(10, 0, 5) < 0);
    assert_true(mb_progress_eta_s(10, 2, 8) == 40);
    assert_true(mb_progress_eta_s(10, 4, 0) == 0);
    char buf[32];
    mb_progress_format_eta(-1, false, buf, sizeof buf);
    assert_string_equal(buf, "ETA ?");
    mb_progress_format_eta(44.6, false, buf, sizeof buf);
    assert_string_equal(buf, "ETA 45s");
    mb_progress_format_eta(200, false, buf, sizeof buf);
    assert_string_equal(buf, "ETA 3m20s");
    mb_progress_format_eta(3600 + 5 * 60 + 9, false, buf, sizeof buf);
    assert_string_equal(buf, "ETA 1h05m");
    /* Adaptive cells counted at their maximum: an upper bound, said so. */
    mb_progress_format_eta(200, true, buf, sizeof buf);
    assert_string_equal(buf, "ETA ≤3m20s");
    mb_progress_format_eta(44.6, true, buf, sizeof buf);
    assert_string_equal(buf, "ETA ≤45s");
}

/* A finished cell: cut to the width on a terminal, whole in a log. */
static void done_line_fits_or_is_whole(void **state)
{
    (void)state;
    const char *text = "  412.30 img/s (median of 5)";
    for (int width = 40; width <= 200; width += 9) {
        char *line = mb_progress_format_done(width, LONG_NAME, text);
        assert_true(mb_progress_columns(line) <= (size_t)width - 1);
        assert_non_null(strstr(line, ":32  "));
        free(line);
    }
    char *log = mb_progress_format_done(0, LONG_NAME, text);
    assert_non_null(strstr(log, LONG_NAME));
    assert_non_null(strstr(log, text));
    assert_null(strchr(log, '\r'));
    free(log);
    char *short_log = mb_progress_format_done(0, "smoke/x", "1.00 img/s");
    assert_int_equal(strlen(short_log), 64 + 2 + strlen("1.00 img/s"));
    free(short_log);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(width_falls_back_to_columns_then_80),
    cmocka_unit_test(columns_count_code_points),
    cmocka_unit_test(line_never_wraps_and_keeps_the_figures),
    cmocka_unit_test(narrow_terminal_still_fits),
    cmocka_unit_test(eta_from_pace_and_its_text),
    cmocka_unit_test(done_line_fits_or_is_whole),
};

MB_TEST_MAIN("progress line", tests, NULL, NULL)

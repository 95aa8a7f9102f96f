/* The image set's errors are the project's codes: a cache folder that
 * cannot be made is MB_EIO naming the folder and the cause, never a raw
 * -errno (Linux's errno 84-99 would read as MB_E* codes, and the exit code
 * would be a lie). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_set.h"
#include "mb_util.h"

static void unmakeable_cache_is_an_io_error(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-test-image-set-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* A regular file where the cache folder should be: mkdir -p fails
     * with ENOTDIR below it. */
    char *file = mb_asprintf("%s/cache", dir);
    assert_int_equal(mb_write_file_atomic(file, "x", 1, NULL), 0);

    mb_image_set *set = mb_image_set_new(file);
    mb_scenario s;
    memset(&s, 0, sizeof s);
    s.images.format = MB_FORMAT_JPEG;
    mb_cell cell;
    memset(&cell, 0, sizeof cell);
    cell.image_width = 32;
    cell.image_height = 24;
    char **paths = NULL;
    size_t n = 0;
    mb_err err;
    mb_err_clear(&err);
    int rc = mb_image_set_for_cell(set, &s, &cell, &paths, &n, &err);
    if (rc != MB_EIO)
        fail_msg("rc %d (%s), not MB_EIO: %s", rc, mb_err_name(rc), err.msg);
    assert_int_equal(err.code, MB_EIO);
    char *want = mb_asprintf("%s/jpeg: cannot create directory: Not a directory", file);
    assert_string_equal(err.msg, want);
    free(want);
    assert_int_equal(n, 0);

    mb_image_set_free(set);
    unlink(file);
    free(file);
    rmdir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(unmakeable_cache_is_an_io_error),
};

MB_TEST_MAIN("image set", tests, NULL, NULL)

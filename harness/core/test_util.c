/* mb_write_file_atomic: a reader never sees a partial file.  The old file
 * is replaced by a rename, never rewritten in place, so a reader that opened
 * it before the write still reads the old contents whole, and no temp file
 * is left behind.  The file helpers' errors: MB_EIO (or MB_EINVAL past a
 * read cap) with the path and the cause, never a raw -errno. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_files.h"
#include "mb_test_main.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb_util.h"

#define OLD_TEXT "the old contents, whole\n"
#define NEW_TEXT "new\n"

typedef struct fx {
    char *dir;
    char *path;
    int held;       /* a reader's descriptor of the old file, or -1 */
} fx;

static int setup(void **state)
{
    fx *f = mb_calloc(1, sizeof *f);
    f->held = -1;
    f->dir = mb_strdup("/tmp/mb-test-util-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->path = mb_asprintf("%s/file.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->held >= 0)
        close(f->held);
    mb_remove_tree(f->dir);
    free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_write_replaces_by_rename(void **state)
{
    fx *f = *state;
    assert_int_equal(mb_write_file_atomic(f->path, OLD_TEXT, strlen(OLD_TEXT), NULL), 0);
    struct stat before;
    assert_int_equal(stat(f->path, &before), 0);
    f->held = open(f->path, O_RDONLY);
    assert_true(f->held >= 0);

    assert_int_equal(mb_write_file_atomic(f->path, NEW_TEXT, strlen(NEW_TEXT), NULL), 0);

    /* A write in place would have truncated the file the reader holds. */
    char buf[64] = {0};
    ssize_t n = pread(f->held, buf, sizeof buf - 1, 0);
    assert_int_equal(n, (ssize_t)strlen(OLD_TEXT));
    assert_string_equal(buf, OLD_TEXT);
    struct stat after;
    assert_int_equal(stat(f->path, &after), 0);
    assert_true(after.st_ino != before.st_ino);

    size_t len = 0;
    char *text = mb_read_file(f->path, &len, NULL);
    assert_non_null(text);
    assert_string_equal(text, NEW_TEXT);
    free(text);
    assert_int_equal(entries(f->dir), 1);
}

static void test_write_into_missing_dir_fails(void **state)
{
    fx *f = *state;
    char *path = mb_asprintf("%s/missing/file.json", f->dir);
    mb_err err;
    int rc = mb_write_file_atomic(path, NEW_TEXT, strlen(NEW_TEXT), &err);
    /* The project's code, never a raw -errno (which overlaps MB_E*). */
    assert_int_equal(rc, MB_EIO);
    assert_int_equal(err.code, MB_EIO);
    char *want = mb_asprintf("%s: cannot write: No such file or directory", path);
    assert_string_equal(err.msg, want);
    free(want);
    free(path);
    assert_int_equal(entries(f->dir), 0);
}

/* mkdir -p below a regular file: the error names the folder that could
 * not be made and why. */
static void test_mkdir_below_a_file_names_path_and_cause(void **state)
{
    fx *f = *state;
    assert_int_equal(mb_write_file_atomic(f->path, OLD_TEXT, strlen(OLD_TEXT), NULL), 0);
    char *dir = mb_asprintf("%s/a/b", f->path);
    mb_err err;
    assert_int_equal(mb_mkdir_p(dir, 0755, &err), MB_EIO);
    char *want = mb_asprintf("%s/a: cannot create directory: Not a directory", f->path);
    assert_string_equal(err.msg, want);
    free(want);
    free(dir);
    /* An existing folder is success, and err may be NULL. */
    assert_int_equal(mb_mkdir_p(f->dir, 0755, NULL), 0);
}

static void test_read_failures_name_path_and_cause(void **state)
{
    fx *f = *state;
    mb_err err;
    size_t len = 99;
    assert_null(mb_read_file(f->path, &len, &err));
    assert_int_equal(err.code, MB_EIO);
    char *want = mb_asprintf("%s: cannot read: No such file or directory", f->path);
    assert_string_equal(err.msg, want);
    free(want);
    assert_int_equal(len, 99);

    assert_int_equal(mb_write_file_atomic(f->path, OLD_TEXT, strlen(OLD_TEXT), NULL), 0);
    assert_null(mb_read_file_max(f->path, 4, NULL, &err));
    assert_int_equal(err.code, MB_EINVAL);
    want = mb_asprintf("%s: larger than 4 bytes", f->path);
    assert_string_equal(err.msg, want);
    free(want);
    char *text = mb_read_file_max(f->path, strlen(OLD_TEXT), &len, &err);
    assert_non_null(text);
    assert_int_equal(len, strlen(OLD_TEXT));
    free(text);
}

/* mb_remove_tree: a folder with nested folders and files goes whole; a link
 * inside it goes, never what it points to; a plain file path is removed;
 * NULL and a missing path are nothing. */
static void test_remove_tree_removes_all_and_follows_no_link(void **state)
{
    fx *f = *state;
    char *outside = mb_asprintf("%s/outside", f->dir);
    char *kept = mb_asprintf("%s/kept.txt", outside);
    char *tree = mb_asprintf("%s/tree/a/b", f->dir);
    char *deep = mb_asprintf("%s/deep.txt", tree);
    char *link = mb_asprintf("%s/tree/a/link", f->dir);
    char *top = mb_asprintf("%s/tree", f->dir);
    assert_int_equal(mb_mkdir_p(outside, 0755, NULL), 0);
    assert_int_equal(mb_mkdir_p(tree, 0755, NULL), 0);
    assert_int_equal(mb_write_file_atomic(kept, "x", 1, NULL), 0);
    assert_int_equal(mb_write_file_atomic(deep, "y", 1, NULL), 0);
    assert_int_equal(symlink(outside, link), 0);

    mb_remove_tree(top);
    struct stat st;
    assert_int_not_equal(lstat(top, &st), 0);
    assert_int_equal(stat(kept, &st), 0);
    mb_remove_tree(kept);
    assert_int_not_equal(lstat(kept, &st), 0);
    assert_int_equal(stat(outside, &st), 0);
    mb_remove_tree(NULL);
    mb_remove_tree(top);
    free(outside);
    free(kept);
    free(tree);
    free(deep);
    free(link);
    free(top);
}

/* A write that failed is an error however it failed: in the flush itself
 * (its cause named), or earlier, when stdio dropped the data and kept only
 * the stream's error flag; a stream whose writes arrived is fine. */
static void test_flush_checked_sees_every_lost_write(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        MB_SKIP("no /dev/full on this system");
    mb_err err;
    fputs("lost\n", full);
    assert_int_equal(mb_flush_checked(full, "the list", &err), MB_EIO);
    assert_string_equal(err.msg, "the list: cannot write: No space left on device");
    fputs("lost\n", full);
    assert_int_not_equal(fflush(full), 0);
    assert_int_equal(mb_flush_checked(full, "the list", &err), MB_EIO);
    assert_string_equal(err.msg, "the list: cannot write: an earlier write failed, output "
                                 "was lost");
    fclose(full);

    FILE *fine = tmpfile();
    assert_non_null(fine);
    fputs("kept\n", fine);
    assert_int_equal(mb_flush_checked(fine, "a file", &err), 0);
    fclose(fine);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_write_replaces_by_rename),
    cmocka_unit_test(test_write_into_missing_dir_fails),
    cmocka_unit_test(test_mkdir_below_a_file_names_path_and_cause),
    cmocka_unit_test(test_read_failures_name_path_and_cause),
    cmocka_unit_test(test_remove_tree_removes_all_and_follows_no_link),
    cmocka_unit_test(test_flush_checked_sees_every_lost_write),
};

MB_TEST_MAIN_EACH("util", tests, setup, teardown)

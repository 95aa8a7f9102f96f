/* Small file and text helpers that tests of every kind share, unit tests
 * included: they need nothing but libc, so they live in mb_testmain. */
#ifndef MB_TEST_FILES_H
#define MB_TEST_FILES_H

/* Removes path and, for a folder, everything below it, without a shell
 * and without following links.  Quiet: a test's temp folder that cannot
 * be removed must not fail the test. */
void mb_test_remove_tree(const char *path);

/* How many times needle stands in text (overlapping ones counted). */
int mb_test_count(const char *text, const char *needle);

/* Runs the mpsbench of this build with args (NULL-terminated, without
 * argv[0]; at most 14), its stdout and stderr into out_path, and returns
 * its exit status; fails the test when it did not exit normally. */
int mb_test_run_mpsbench(const char *const *args, const char *out_path);

#endif

/* Small file and text helpers that tests of every kind share, unit tests
 * included: they need nothing but libc, so they live in mb_testmain. */
#ifndef MB_TEST_FILES_H
#define MB_TEST_FILES_H

/* How many times needle stands in text (overlapping ones counted). */
int mb_test_count(const char *text, const char *needle);

/* Runs the mpsbench of this build with args (NULL-terminated, without
 * argv[0]; at most 14), its stdout and stderr into out_path, and returns
 * its exit status; fails the test when it did not exit normally. */
int mb_test_run_mpsbench(const char *const *args, const char *out_path);
/* The same with stdout into stdout_path and stderr into stderr_path (NULL:
 * the same file as stdout). */
int mb_test_run_mpsbench_split(const char *const *args, const char *stdout_path,
                               const char *stderr_path);

#endif

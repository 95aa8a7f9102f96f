/* The main of every test binary, and skips that CTest can see.
 *
 * Each cmocka case is its own CTest test ("test_faults/redis_killed_mid_run"):
 * the build asks the binary for its cases (--list) and CTest runs one at a
 * time (--run NAME).  A case that skipped makes the process exit 77, which
 * CTest reports as "Skipped" by name; run without arguments, a binary whose
 * cases all skipped exits 77 too.
 *
 * Two kinds of skip:
 * - MB_SKIP("why"): this machine cannot run the case (no GPU, not Linux).
 *   Always a skip.
 * - MB_NEED(prerequisite, present): a tool the suite needs is missing
 *   (redis-server, gnuplot, ...).  A skip, except under MPSBENCH_STRICT=1,
 *   where it fails the case and names what is missing.  The prerequisites
 *   are listed once, in ci/setup.sh, which installs them and sets
 *   MPSBENCH_STRICT=1 on Debian.
 * A skip is decided by a probe of the machine made before the code under
 * test runs, never by that code's output. */
#ifndef MB_TEST_MAIN_H
#define MB_TEST_MAIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Records the reason, prints it, and skips the current case. */
#define MB_SKIP(...) do { mb_test_note_skip(__VA_ARGS__); skip(); } while (0)
/* Skips (or, under MPSBENCH_STRICT=1, fails) unless present. */
#define MB_NEED(prerequisite, present) \
    do { if (!(present)) { mb_test_missing(prerequisite); skip(); } } while (0)

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void mb_test_note_skip(const char *fmt, ...);
/* Fails the case under MPSBENCH_STRICT=1 (fail_msg does not return);
 * otherwise notes the skip. */
void mb_test_missing(const char *prerequisite);
/* True when MPSBENCH_STRICT is exactly "1". */
bool mb_test_strict(void);

/* Independent probes of the machine, sharing no code with the harness's
 * own device probe (a harness that called every device usable must not
 * fool the tests that check it does not). */
bool mb_test_machine_has_cuda(void);    /* a CUDA build of libtorch and /dev/nvidia0 */
bool mb_test_machine_has_mps(void);     /* macOS on Apple silicon with Metal */
/* How much longer than on an idle optimized build a test may allow things
 * to take: 4 under AddressSanitizer (every child is sanitized too, several
 * times slower, and CI runs the sanitized suite on a loaded 2-core
 * machine), else 1; MPSBENCH_TEST_TIME_SCALE (a number >= 1) multiplies it.
 * Limits that stand for "promptly" (a signal taking effect, a worker
 * stopping) are scaled by it; limits the README promises are not. */
double mb_test_time_scale(void);
/* An executable named name in PATH. */
bool mb_test_have_program(const char *name);

/* --list prints the case names; --run NAME runs one case; no argument
 * runs them all.  Exit 0 passed, 1 failed, 77 skipped, 2 bad usage.
 * group_setup and group_teardown run once around the cases; each_setup and
 * each_teardown around every case whose row names neither of its own (a
 * cmocka_unit_test row).  Any of the four may be NULL. */
int mb_test_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
                 size_t n_tests, CMFixtureFunction group_setup, CMFixtureFunction group_teardown,
                 CMFixtureFunction each_setup, CMFixtureFunction each_teardown);

/* The main of a test binary: setup and teardown run once, around the group. */
#define MB_TEST_MAIN(group, tests, setup, teardown)                                     \
    int main(int argc, char **argv)                                                      \
    {                                                                                    \
        return mb_test_main(argc, argv, group, tests, sizeof(tests) / sizeof((tests)[0]), \
                            setup, teardown, NULL, NULL);                                \
    }

/* The same where most cases share one fixture: setup and teardown run
 * around each case that names none of its own, so the table lists the
 * cases (cmocka_unit_test) and only the exceptions name theirs. */
#define MB_TEST_MAIN_EACH(group, tests, setup, teardown)                                \
    int main(int argc, char **argv)                                                      \
    {                                                                                    \
        return mb_test_main(argc, argv, group, tests, sizeof(tests) / sizeof((tests)[0]), \
                            NULL, NULL, setup, teardown);                                \
    }

#endif

#include "mb_test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Skips noted since the process started; a case runs alone under --run, so
 * any skip there is that case's. */
static int skips_noted;

void mb_test_note_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("SKIP: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
    skips_noted++;
}

bool mb_test_strict(void)
{
    const char *v = getenv("MPSBENCH_STRICT");
    return v != NULL && strcmp(v, "1") == 0;
}

void mb_test_missing(const char *prerequisite)
{
    if (mb_test_strict())
        fail_msg("missing prerequisite: %s (MPSBENCH_STRICT=1 turns this skip into a failure; "
                 "ci/setup.sh installs it)", prerequisite);
    mb_test_note_skip("missing prerequisite: %s", prerequisite);
}

double mb_test_time_scale(void)
{
    double scale = 1.0;
#if defined(__SANITIZE_ADDRESS__)
    scale = 4.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    scale = 4.0;
#endif
#endif
    const char *env = getenv("MPSBENCH_TEST_TIME_SCALE");
    double extra = env != NULL ? strtod(env, NULL) : 1.0;
    return extra >= 1.0 ? scale * extra : scale;
}

bool mb_test_have_program(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/bin:/bin";
    char candidate[4096];
    for (const char *dir = path; dir != NULL;) {
        const char *colon = strchr(dir, ':');
        int len = colon ? (int)(colon - dir) : (int)strlen(dir);
        snprintf(candidate, sizeof candidate, "%.*s/%s", len, dir, name);
        if (access(candidate, X_OK) == 0)
            return true;
        dir = colon ? colon + 1 : NULL;
    }
    return false;
}

bool mb_test_machine_has_cuda(void)
{
#if defined(MB_TORCH_HAS_CUDA)
    return access("/dev/nvidia0", F_OK) == 0;
#else
    return false;
#endif
}

bool mb_test_machine_has_mps(void)
{
#if defined(__APPLE__)
    struct utsname u;
    return uname(&u) == 0 && strcmp(u.machine, "arm64") == 0 &&
           access("/System/Library/Frameworks/Metal.framework", F_OK) == 0;
#else
    return false;
#endif
}

static const struct CMUnitTest *find_case(const struct CMUnitTest *tests, size_t n,
                                          const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tests[i].name, name) == 0)
            return &tests[i];
    return NULL;
}

int mb_test_main(int argc, char **argv, const char *group, const struct CMUnitTest *tests,
                 size_t n_tests, CMFixtureFunction group_setup, CMFixtureFunction group_teardown,
                 CMFixtureFunction each_setup, CMFixtureFunction each_teardown)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n_tests; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    const struct CMUnitTest *run = tests;
    size_t n_run = n_tests;
    if (argc == 3 && strcmp(argv[1], "--run") == 0) {
        run = find_case(tests, n_tests, argv[2]);
        if (run == NULL) {
            fprintf(stderr, "%s: no case named %s (--list names them)\n", argv[0], argv[2]);
            return 2;
        }
        n_run = 1;
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --run CASE]\n", argv[0]);
        return 2;
    }
    struct CMUnitTest *cases = malloc(n_run * sizeof *cases);
    if (cases == NULL)
        return 1;
    for (size_t i = 0; i < n_run; i++) {
        cases[i] = run[i];
        if (cases[i].setup_func == NULL && cases[i].teardown_func == NULL) {
            cases[i].setup_func = each_setup;
            cases[i].teardown_func = each_teardown;
        }
    }
    int failed = _cmocka_run_group_tests(group, cases, n_run, group_setup, group_teardown);
    free(cases);
    if (failed != 0)
        return 1;
    /* Every case skipped: tell CTest, which shows it as "Skipped". */
    if (skips_noted > 0 && (size_t)skips_noted >= n_run)
        return 77;
    return 0;
}

/* Baselines: the machine key, promotion, refusal to overwrite a corrupt
 * baseline, and that an update killed with SIGKILL at any moment leaves the
 * previous baseline byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "baseline_private.h"
#include "compare.h"
#include "mb_util.h"

#define FIXTURE(name) MB_SOURCE_DIR "/fixtures/compare/" name
#define KEY "cpu-amd-epyc-2c_linux_torch-1.13.0"

/* Paths a case needs are owned here, not by the case: a failed assertion
 * leaves the case through a longjmp, and teardown still frees them. */
typedef struct fx {
    char *dir;      /* private temp folder, the baselines' --dir */
    char *target;   /* the baseline an update of KEY installs in dir */
    char *staged;   /* the prefix of its staged files' names */
} fx;

static int setup(void **state)
{
    fx *f = mb_calloc(1, sizeof *f);
    f->dir = mb_strdup("/tmp/mb-test-baseline-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->target = mb_asprintf("%s/%s.json", f->dir, KEY);
    f->staged = mb_asprintf(".%s.json.staged.", KEY);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = mb_asprintf("%s/%s", f->dir, e->d_name);
        unlink(p);
        free(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(f->dir);
    free(f->dir);
    free(f->target);
    free(f->staged);
    free(f);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char *text = mb_read_file(path, len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    return text;
}

static bool same_bytes(const char *a_path, const char *b_path)
{
    size_t la, lb;
    char *a = slurp(a_path, &la), *b = slurp(b_path, &lb);
    bool same = la == lb && memcmp(a, b, la) == 0;
    free(a);
    free(b);
    return same;
}

static size_t count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    if (d != NULL)
        closedir(d);
    return n;
}

static void put_file(const char *path, const char *text)
{
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text)), 0);
}

static void test_key_from_parts(void **state)
{
    (void)state;
    const char *cpu[] = {"cpu"};
    const char *epyc[] = {"AMD EPYC"};
    char *key = mb_baseline_key_from(cpu, epyc, 1, 2, "Linux", "1.13.0");
    assert_string_equal(key, KEY);
    free(key);

    const char *two[] = {"cuda", "cpu"};
    const char *descs[] = {"NVIDIA H100 80GB HBM3", "Intel(R) Xeon(R) CPU @ 2.20GHz"};
    key = mb_baseline_key_from(two, descs, 2, 16, "Linux", "2.1.0+cu121");
    assert_string_equal(key, "cuda-nvidia-h100-80gb-hbm3_cpu-intel-r-xeon-r-cpu-2.20ghz-16c_"
                             "linux_torch-2.1.0-cu121");
    assert_true(mb_baseline_key_valid(key));
    free(key);

    const char *mps[] = {"mps"};
    key = mb_baseline_key_from(mps, NULL, 1, 0, "Darwin", NULL);
    assert_string_equal(key, "mps_darwin_torch-unknown");
    free(key);

    assert_true(mb_baseline_key_valid(KEY));
    assert_false(mb_baseline_key_valid(""));
    assert_false(mb_baseline_key_valid(".hidden"));
    assert_false(mb_baseline_key_valid("../escape"));
    assert_false(mb_baseline_key_valid("a/b"));
}

static void test_machine_key_of_results(void **state)
{
    (void)state;
    char *key = NULL;
    mb_err err;
    assert_int_equal(mb_baseline_machine_key(FIXTURE("baseline.json"), &key, &err), 0);
    assert_string_equal(key, KEY);
    free(key);
    assert_int_equal(mb_baseline_machine_key(FIXTURE("device.json"), &key, &err), 0);
    assert_string_equal(key, "cpu-intel-xeon-2c_linux_torch-1.13.0");
    free(key);
    assert_int_equal(mb_baseline_machine_key(FIXTURE("corrupt.json"), &key, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "corrupt.json"));
}

static void test_update_writes_the_results(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir};
    char *path = NULL;
    mb_err err;
    int rc = mb_baseline_update(FIXTURE("run-threshold"), &opt, &path, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    char *expected = mb_asprintf("%s/%s.json", f->dir, KEY);
    assert_string_equal(path, expected);
    assert_true(same_bytes(path, FIXTURE("run-threshold/results.json")));
    assert_int_equal(count_entries(f->dir, "."), 2);   /* "." and ".." only */

    /* The baseline is usable by compare at once. */
    mb_compare_report *r = NULL;
    assert_int_equal(mb_compare_files(path, FIXTURE("run-threshold"), NULL, &r, &err), 0);
    assert_int_equal(r->n_unchanged, 2);
    mb_compare_report_free(r);

    /* A valid baseline is replaced by the next update. */
    rc = mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err);
    assert_int_equal(rc, 0);
    assert_true(same_bytes(expected, FIXTURE("baseline.json")));
    free(expected);
    free(path);
}

static void test_update_rejects_corrupt_run(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir, .force = true};
    mb_err err;
    char *path = (char *)1;
    assert_int_equal(mb_baseline_update(FIXTURE("corrupt.json"), &opt, &path, &err),
                     MB_EINVAL);
    assert_null(path);
    assert_non_null(strstr(err.msg, "corrupt.json"));
    assert_int_equal(mb_baseline_update(FIXTURE("not-gbench.json"), &opt, NULL, &err),
                     MB_EINVAL);
    assert_int_equal(count_entries(f->dir, ""), 2);
}

static void test_update_refuses_corrupt_baseline(void **state)
{
    fx *f = *state;
    const char *target = f->target;
    put_file(target, "{\"benchmarks\": [");
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err),
                     MB_EBASELINE);
    assert_int_equal(mb_err_exit_code(err.code), 2);
    assert_non_null(strstr(err.msg, target));
    assert_non_null(strstr(err.msg, "--force"));
    char *text = slurp(target, NULL);
    assert_string_equal(text, "{\"benchmarks\": [");
    free(text);

    opt.force = true;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
    assert_true(same_bytes(target, FIXTURE("baseline.json")));
}

static void test_update_refuses_incomplete_run(void **state)
{
    fx *f = *state;
    char *run = mb_asprintf("%s/run", f->dir);
    assert_int_equal(mb_mkdir_p(run, 0755), 0);
    char *results = mb_asprintf("%s/results.json", run);
    char *run_json = mb_asprintf("%s/run.json", run);
    char *text = slurp(FIXTURE("baseline.json"), NULL);
    put_file(results, text);
    free(text);
    put_file(run_json, "{\"status\": \"incomplete\", \"cells\": []}");
    char *out = mb_asprintf("%s/baselines", f->dir);
    mb_baseline_options opt = {.dir = out, .key = "ci-box"};
    mb_err err;
    assert_int_equal(mb_baseline_update(run, &opt, NULL, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "incomplete"));
    opt.force = true;
    char *path = NULL;
    assert_int_equal(mb_baseline_update(run, &opt, &path, &err), 0);
    assert_non_null(strstr(path, "/baselines/ci-box.json"));
    unlink(path);
    rmdir(out);
    unlink(results);
    unlink(run_json);
    rmdir(run);
    free(path);
    free(out);
    free(run);
    free(results);
    free(run_json);

    opt.key = "../escape";
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err),
                     MB_EUSAGE);
}

static void kill_self(const char *staged, const char *final)
{
    (void)final;
    /* The staged file must be complete when the hook runs. */
    if (access(staged, R_OK) != 0)
        _exit(3);
    raise(SIGKILL);
}

/* The old baseline is byte-identical after a SIGKILL between staging the new
 * one and renaming it into place, and the next update cleans up. */
static void test_kill9_before_rename(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    const char *target = f->target;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mb__baseline_set_hook(kill_self);
        mb_baseline_update(FIXTURE("run-threshold"), &opt, NULL, &err);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);

    assert_true(same_bytes(target, FIXTURE("baseline.json")));
    char *key = NULL;
    assert_int_equal(mb_baseline_machine_key(target, &key, &err), 0);
    free(key);
    assert_int_equal(count_entries(f->dir, f->staged), 1);

    assert_int_equal(mb_baseline_update(FIXTURE("run-threshold"), &opt, NULL, &err), 0);
    assert_true(same_bytes(target, FIXTURE("run-threshold/results.json")));
    assert_int_equal(count_entries(f->dir, f->staged), 0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* The time from fork to the end of a child that makes one complete update:
 * what a killed child of test_kill9_anywhere does before its first update
 * is installed, fork included (under ASan a fork alone takes a while). */
static uint64_t one_update_ns(const mb_baseline_options *opt)
{
    uint64_t start = now_ns();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mb_err err;
        _exit(mb_baseline_update(FIXTURE("run-threshold"), opt, NULL, &err) == 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return now_ns() - start;
}

/* SIGKILL at arbitrary moments of a stream of updates: whatever the moment,
 * the baseline is one of the two versions, whole.
 *
 * The window the kills fall in is a multiple of one update measured here,
 * not a fixed time: a sanitized build on a loaded machine takes many times
 * longer per update than an optimized one on an idle machine, and a fixed
 * window too short for one update never sees the new version.  The kill
 * moments are spread over the whole window (one random moment in each of
 * ROUNDS equal slices), so half of them fall after twice the measured
 * time, late enough to land after updates even if the machine slows down
 * between the measurement and the kills. */
#define ROUNDS 30
#define WINDOW_UPDATES 4
static void test_kill9_anywhere(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    const char *target = f->target;
    uint64_t update_ns = 0;
    for (int i = 0; i < 3; i++) {
        uint64_t t = one_update_ns(&opt);
        if (t > update_ns)
            update_ns = t;
    }
    uint64_t window_ns = WINDOW_UPDATES * update_ns;
    print_message("one update: %.2f ms, kill window: %.2f ms\n", (double)update_ns / 1e6,
                  (double)window_ns / 1e6);
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
    uint64_t seed = 12345;
    int old_seen = 0, new_seen = 0;
    for (int round = 0; round < ROUNDS; round++) {
        seed = seed * UINT64_C(6364136223846793005) + 1;
        uint64_t slice = window_ns / ROUNDS;
        uint64_t at = (uint64_t)round * slice + (slice ? (seed >> 33) % slice : 0);
        uint64_t start = now_ns();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (int i = 0;; i++)
                mb_baseline_update(i % 2 ? FIXTURE("baseline.json") : FIXTURE("run-threshold"),
                                   &opt, NULL, &err);
        }
        /* Measured from before the fork, as one_update_ns is. */
        uint64_t spent = now_ns() - start;
        if (at > spent) {
            uint64_t left = at - spent;
            struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        bool is_old = same_bytes(target, FIXTURE("baseline.json"));
        bool is_new = same_bytes(target, FIXTURE("run-threshold/results.json"));
        assert_true(is_old || is_new);
        old_seen += is_old;
        new_seen += is_new;
    }
    print_message("kills that found the old version: %d, the new one: %d\n", old_seen,
                  new_seen);
    /* The first update of every child installs the new version, so seeing
     * it shows that kills landed after updates as well as before them. */
    assert_true(new_seen > 0);
}

static int run_cli(const char *const *args, const char *out_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        const char *argv[16] = {MB_BINARY_DIR "/bin/mpsbench"};
        size_t n = 1;
        for (; args[n - 1] != NULL && n < 15; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_cli(void **state)
{
    fx *f = *state;
    char *out = mb_asprintf("%s.out", f->dir);
    const char *update[] = {"baseline", "update", FIXTURE("run-threshold"), "--dir", f->dir,
                            NULL};
    assert_int_equal(run_cli(update, out), 0);
    char *text = slurp(out, NULL);
    char *expected = mb_asprintf("%s/%s.json\n", f->dir, KEY);
    assert_string_equal(text, expected);
    free(text);
    free(expected);

    const char *key[] = {"baseline", "key", FIXTURE("baseline.json"), NULL};
    assert_int_equal(run_cli(key, out), 0);
    text = slurp(out, NULL);
    assert_string_equal(text, KEY "\n");
    free(text);

    const char *corrupt[] = {"baseline", "update", FIXTURE("corrupt.json"), "--dir", f->dir,
                             NULL};
    assert_int_equal(run_cli(corrupt, out), 2);
    const char *usage[] = {"baseline", "frobnicate", NULL};
    assert_int_equal(run_cli(usage, out), 2);

    const char *target = f->target;
    put_file(target, "garbage");
    assert_int_equal(run_cli(update, out), 2);
    text = slurp(target, NULL);
    assert_string_equal(text, "garbage");
    free(text);
    const char *force[] = {"baseline", "update", FIXTURE("run-threshold"), "--dir", f->dir,
                           "--force", NULL};
    assert_int_equal(run_cli(force, out), 0);
    assert_true(same_bytes(target, FIXTURE("run-threshold/results.json")));
    unlink(out);
    free(out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_key_from_parts),
    cmocka_unit_test(test_machine_key_of_results),
    cmocka_unit_test_setup_teardown(test_update_writes_the_results, setup, teardown),
    cmocka_unit_test_setup_teardown(test_update_rejects_corrupt_run, setup, teardown),
    cmocka_unit_test_setup_teardown(test_update_refuses_corrupt_baseline, setup, teardown),
    cmocka_unit_test_setup_teardown(test_update_refuses_incomplete_run, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kill9_before_rename, setup, teardown),
    cmocka_unit_test_setup_teardown(test_kill9_anywhere, setup, teardown),
    cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
};

MB_TEST_MAIN("baseline", tests, NULL, NULL)

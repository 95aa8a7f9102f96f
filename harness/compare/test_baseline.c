/* Baselines: the machine key, promotion, refusal to overwrite a corrupt
 * baseline, and that an update killed with SIGKILL at any moment leaves the
 * previous baseline byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_files.h"
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

#include <jansson.h>

#include "baseline.h"
#include "baseline_private.h"
#include "compare.h"
#include "mb_exit.h"
#include "mb_util.h"

#define FIXTURE(name) MB_SOURCE_DIR "/fixtures/compare/" name
#define KEY "cpu-amd-epyc-2c_linux_torch-1.13.0"

/* What the comparison found, as the CLI's exit code reads it: MB_EINVAL
 * when nothing was comparable, else 1 when a cell failed (a regression, or
 * an inconclusive cell under fail_on_inconclusive), else 0. */
static int judged(const mb_compare_report *r, bool fail_on_inconclusive)
{
    mb_outcome o = {.fail_on_inconclusive = fail_on_inconclusive};
    int rc = mb_compare_outcome(r, &o, NULL);
    return rc != 0 ? rc : mb_outcome_failed(&o) ? 1 : 0;
}

typedef struct fx {
    char *dir;      /* private temp folder, the baselines' --dir */
} fx;

static int setup(void **state)
{
    fx *f = mb_calloc(1, sizeof *f);
    f->dir = mb_strdup("/tmp/mb-test-baseline-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mb_remove_tree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char *text = mb_read_file(path, len, NULL);
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
    assert_int_equal(mb_write_file_atomic(path, text, strlen(text), NULL), 0);
}

/* The runs a baseline holds (0 when the file has no history). */
static size_t history_runs(const char *path)
{
    json_t *root = json_load_file(path, 0, NULL);
    if (root == NULL)
        fail_msg("%s does not load", path);
    size_t n = json_array_size(json_object_get(json_object_get(root, "mpsbench_history"),
                                               "runs"));
    json_decref(root);
    return n;
}

/* True when the baseline's own benchmarks (its latest run) and its last
 * history entry are exactly those of the results file. */
static bool latest_is(const char *baseline, const char *results)
{
    json_t *b = json_load_file(baseline, 0, NULL), *r = json_load_file(results, 0, NULL);
    assert_non_null(b);
    assert_non_null(r);
    json_t *runs = json_object_get(json_object_get(b, "mpsbench_history"), "runs");
    json_t *last = json_array_get(runs, json_array_size(runs) - 1);
    bool same = json_equal(json_object_get(b, "benchmarks"), json_object_get(r, "benchmarks")) &&
                json_equal(json_object_get(last, "benchmarks"), json_object_get(r, "benchmarks"));
    json_decref(b);
    json_decref(r);
    return same;
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
    assert_int_equal(history_runs(path), 1);
    assert_true(latest_is(path, FIXTURE("run-threshold/results.json")));
    assert_int_equal(count_entries(f->dir, "."), 2);   /* "." and ".." only */

    /* The baseline is usable by compare at once, and says honestly that
     * one run tells nothing about the noise between runs. */
    mb_compare_report *r = NULL;
    assert_int_equal(mb_compare_files(path, FIXTURE("run-threshold"), NULL, &r, &err), 0);
    assert_int_equal(r->n_inconclusive, 2);
    assert_int_equal(r->baseline_runs, 1);
    assert_string_equal(r->cells[0].reason, "the baseline holds 1 run");
    assert_string_equal(r->cells[0].test, "history");
    assert_int_equal(judged(r, false), 0);
    mb_compare_report_free(r);

    /* The next update adds its run; the latest is the new one. */
    rc = mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(history_runs(expected), 2);
    assert_true(latest_is(expected, FIXTURE("baseline.json")));
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
    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    put_file(target, "{\"benchmarks\": [");
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err),
                     MB_EBASELINE);
    assert_int_equal(mb_exit_code(err.code, NULL), 2);
    assert_non_null(strstr(err.msg, target));
    assert_non_null(strstr(err.msg, "--force"));
    char *text = slurp(target, NULL);
    assert_string_equal(text, "{\"benchmarks\": [");
    free(text);

    opt.force = true;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
    assert_int_equal(history_runs(target), 1);
    assert_true(latest_is(target, FIXTURE("baseline.json")));
    free(target);
}

static void test_update_refuses_incomplete_run(void **state)
{
    fx *f = *state;
    char *run = mb_asprintf("%s/run", f->dir);
    assert_int_equal(mb_mkdir_p(run, 0755, NULL), 0);
    char *results = mb_asprintf("%s/results.json", run);
    char *run_json = mb_asprintf("%s/run.json", run);
    char *text = slurp(FIXTURE("baseline.json"), NULL);
    put_file(results, text);
    free(text);
    put_file(run_json, "{\"format\": 1, \"status\": \"incomplete\", \"cells\": []}");
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

/* An unfinished run's run.json holds back its own results.json only: the
 * same results under another name in that folder are not that run's. */
static void test_incomplete_run_json_only_for_own_results(void **state)
{
    fx *f = *state;
    char *run = mb_asprintf("%s/run", f->dir);
    assert_int_equal(mb_mkdir_p(run, 0755, NULL), 0);
    char *text = slurp(FIXTURE("baseline.json"), NULL);
    char *own = mb_asprintf("%s/results.json", run);
    char *copy = mb_asprintf("%s/copy.json", run);
    put_file(own, text);
    put_file(copy, text);
    free(text);
    char *run_json = mb_asprintf("%s/run.json", run);
    put_file(run_json, "{\"format\": 1, \"status\": \"incomplete\", \"cells\": []}");
    char *out = mb_asprintf("%s/baselines", f->dir);
    mb_baseline_options opt = {.dir = out, .key = "ci-box"};
    mb_err err;
    assert_int_equal(mb_baseline_update(own, &opt, NULL, &err), MB_EINVAL);
    assert_non_null(strstr(err.msg, "incomplete"));
    if (mb_baseline_update(copy, &opt, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    free(out);
    free(run_json);
    free(copy);
    free(own);
    free(run);
}

/* Each update adds a run and the oldest go beyond --keep; the history is
 * what a comparison against the baseline judges by. */
static void test_update_keeps_history(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    const char *runs[] = {FIXTURE("baseline.json"), FIXTURE("same.json"), FIXTURE("rerun.json")};
    for (size_t i = 0; i < 3; i++) {
        if (mb_baseline_update(runs[i], &opt, NULL, &err) != 0)
            fail_msg("%s", err.msg);
        assert_int_equal(history_runs(target), i + 1);
        assert_true(latest_is(target, runs[i]));
    }

    /* Three runs 0.3% apart: a 20% drop is a regression, a rerun is not. */
    mb_compare_report *r = NULL;
    assert_int_equal(mb_compare_files(target, FIXTURE("slower20.json"), NULL, &r, &err), 0);
    assert_int_equal(r->baseline_runs, 3);
    assert_int_equal(r->n_regressions, 2);
    assert_string_equal(r->cells[0].test, "history");
    assert_int_equal(r->cells[0].n_baseline, 3);
    assert_int_equal(judged(r, false), 1);
    char *text = mb_compare_json(r);
    assert_non_null(strstr(text, "\"test\": \"history\""));
    free(text);
    mb_compare_report_free(r);
    assert_int_equal(mb_compare_files(target, FIXTURE("same.json"), NULL, &r, &err), 0);
    assert_int_equal(r->n_unchanged, 2);
    assert_int_equal(judged(r, false), 0);
    mb_compare_report_free(r);

    /* --keep 2: the next update leaves the two newest. */
    opt.keep = 2;
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
    assert_int_equal(history_runs(target), 2);
    json_t *root = json_load_file(target, 0, NULL);
    json_t *h = json_object_get(json_object_get(root, "mpsbench_history"), "runs");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(h, 0), "source")),
                           "rerun.json"));
    assert_non_null(json_string_value(json_object_get(json_array_get(h, 1), "added")));
    json_decref(root);
    free(target);
}

/* A baseline of the old format, a plain results.json, is a history of one
 * run and becomes a real history on the next update. */
static void test_update_converts_old_format(void **state)
{
    fx *f = *state;
    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    char *text = slurp(FIXTURE("baseline.json"), NULL);
    put_file(target, text);
    free(text);
    mb_err err;
    /* Read as it is, it is a plain results file: the two-file rule, which
     * judges only when told to assume no drift between the runs. */
    mb_compare_report *r = NULL;
    assert_int_equal(mb_compare_files(target, FIXTURE("slower20.json"), NULL, &r, &err), 0);
    assert_string_equal(r->cells[0].test, "mann-whitney-u");
    assert_int_equal(r->n_regressions, 0);
    assert_int_equal(r->n_inconclusive, 2);
    mb_compare_report_free(r);
    mb_compare_options no_drift = {.assume_no_drift = true};
    assert_int_equal(mb_compare_files(target, FIXTURE("slower20.json"), &no_drift, &r, &err), 0);
    assert_int_equal(r->n_regressions, 2);
    mb_compare_report_free(r);

    mb_baseline_options opt = {.dir = f->dir};
    assert_int_equal(mb_baseline_update(FIXTURE("same.json"), &opt, NULL, &err), 0);
    assert_int_equal(history_runs(target), 2);
    assert_true(latest_is(target, FIXTURE("same.json")));
    json_t *root = json_load_file(target, 0, NULL);
    json_t *first = json_array_get(json_object_get(json_object_get(root, "mpsbench_history"),
                                                   "runs"), 0);
    json_t *old = json_load_file(FIXTURE("baseline.json"), 0, NULL);
    assert_true(json_equal(json_object_get(first, "benchmarks"), json_object_get(old, "benchmarks")));
    assert_true(json_is_null(json_object_get(first, "added")));
    json_decref(old);
    json_decref(root);

    assert_int_equal(mb_compare_files(target, FIXTURE("slower20.json"), NULL, &r, &err), 0);
    assert_int_equal(r->baseline_runs, 2);
    assert_int_equal(r->n_inconclusive, 2);
    assert_string_equal(r->cells[0].reason,
                        "the baseline holds 2 runs; its run-to-run noise needs 3");
    mb_compare_report_free(r);
    free(target);
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
    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
    char *before = mb_asprintf("%s/before.json", f->dir);
    size_t before_len;
    char *before_text = slurp(target, &before_len);
    assert_int_equal(mb_write_file_atomic(before, before_text, before_len, NULL), 0);
    free(before_text);

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

    assert_true(same_bytes(target, before));
    unlink(before);
    free(before);
    char *key = NULL;
    assert_int_equal(mb_baseline_machine_key(target, &key, &err), 0);
    free(key);
    char *prefix = mb_asprintf(".%s.json.staged.", KEY);
    assert_int_equal(count_entries(f->dir, prefix), 1);

    assert_int_equal(mb_baseline_update(FIXTURE("run-threshold"), &opt, NULL, &err), 0);
    assert_int_equal(history_runs(target), 2);
    assert_true(latest_is(target, FIXTURE("run-threshold/results.json")));
    assert_int_equal(count_entries(f->dir, prefix), 0);
    free(prefix);
    free(target);
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
 * the baseline is whole: a history of 1 to 10 runs whose latest is one of
 * the two results files.
 *
 * The window the kills fall in is a multiple of one update measured here
 * (with the history already at its full length, as during the kills), not
 * a fixed time: a sanitized build on a loaded machine takes many times
 * longer per update than an optimized one on an idle machine, and a window
 * too short for one update never sees the new version.  The kill moments
 * are spread over the whole window (one random moment in each of ROUNDS
 * equal slices), so half of them fall after twice the measured time. */
#define ROUNDS 30
#define WINDOW_UPDATES 4
static void test_kill9_anywhere(void **state)
{
    fx *f = *state;
    mb_baseline_options opt = {.dir = f->dir};
    mb_err err;
    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    for (int i = 0; i < MB_BASELINE_DEFAULT_KEEP; i++)
        assert_int_equal(mb_baseline_update(FIXTURE("baseline.json"), &opt, NULL, &err), 0);
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
        size_t runs = history_runs(target);
        assert_true(runs >= 1 && runs <= MB_BASELINE_DEFAULT_KEEP);
        bool is_old = latest_is(target, FIXTURE("baseline.json"));
        bool is_new = latest_is(target, FIXTURE("run-threshold/results.json"));
        assert_true(is_old || is_new);
        old_seen += is_old;
        new_seen += is_new;
    }
    print_message("kills that found the old version: %d, the new one: %d\n", old_seen, new_seen);
    /* The first update of every child installs the new version, so seeing
     * it shows that kills landed after updates as well as before them. */
    assert_true(new_seen > 0);
    free(target);
}

static void test_cli(void **state)
{
    fx *f = *state;
    char *out = mb_asprintf("%s.out", f->dir);
    const char *update[] = {"baseline", "update", FIXTURE("run-threshold"), "--dir", f->dir,
                            NULL};
    assert_int_equal(mb_test_run_mpsbench(update, out), 0);
    char *text = slurp(out, NULL);
    char *expected = mb_asprintf("%s/%s.json\n", f->dir, KEY);
    assert_string_equal(text, expected);
    free(text);
    free(expected);

    const char *key[] = {"baseline", "key", FIXTURE("baseline.json"), NULL};
    assert_int_equal(mb_test_run_mpsbench(key, out), 0);
    text = slurp(out, NULL);
    assert_string_equal(text, KEY "\n");
    free(text);

    const char *corrupt[] = {"baseline", "update", FIXTURE("corrupt.json"), "--dir", f->dir,
                             NULL};
    assert_int_equal(mb_test_run_mpsbench(corrupt, out), 2);
    const char *usage[] = {"baseline", "frobnicate", NULL};
    assert_int_equal(mb_test_run_mpsbench(usage, out), 2);

    char *target = mb_asprintf("%s/%s.json", f->dir, KEY);
    put_file(target, "garbage");
    assert_int_equal(mb_test_run_mpsbench(update, out), 2);
    text = slurp(target, NULL);
    assert_string_equal(text, "garbage");
    free(text);
    const char *force[] = {"baseline", "update", FIXTURE("run-threshold"), "--dir", f->dir,
                           "--force", NULL};
    assert_int_equal(mb_test_run_mpsbench(force, out), 0);
    assert_int_equal(history_runs(target), 1);
    assert_true(latest_is(target, FIXTURE("run-threshold/results.json")));

    const char *keep[] = {"baseline", "update", FIXTURE("baseline.json"), "--dir", f->dir,
                          "--keep", "1", NULL};
    assert_int_equal(mb_test_run_mpsbench(keep, out), 0);
    assert_int_equal(history_runs(target), 1);
    assert_true(latest_is(target, FIXTURE("baseline.json")));
    const char *bad_keep[] = {"baseline", "update", FIXTURE("baseline.json"), "--dir", f->dir,
                              "--keep", "0", NULL};
    assert_int_equal(mb_test_run_mpsbench(bad_keep, out), 2);
    unlink(out);
    free(out);
    free(target);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_key_from_parts),
    cmocka_unit_test(test_machine_key_of_results),
    cmocka_unit_test(test_update_writes_the_results),
    cmocka_unit_test(test_update_rejects_corrupt_run),
    cmocka_unit_test(test_update_refuses_corrupt_baseline),
    cmocka_unit_test(test_update_refuses_incomplete_run),
    cmocka_unit_test(test_incomplete_run_json_only_for_own_results),
    cmocka_unit_test(test_update_keeps_history),
    cmocka_unit_test(test_update_converts_old_format),
    cmocka_unit_test(test_kill9_before_rename),
    cmocka_unit_test(test_kill9_anywhere),
    cmocka_unit_test(test_cli),
};

MB_TEST_MAIN_EACH("baseline", tests, setup, teardown)

/* mpsbench-bench-detector as a program: several --replay streams pooled
 * into independent verdicts (synthetic rounds, no workers), and a live
 * stream cut by SIGINT keeping its rounds file (the real worker, CPU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detector_rounds.h"
#include "mb_test_files.h"
#include "mb_test_main.h"
#include "mb_util.h"
#include "process.h"

#define DETECTOR MB_BINARY_DIR "/bin/mpsbench-bench-detector"
#define LIVE_WIDTH 16

/* A stream's rounds file as detector_live.c writes it: n rounds of the
 * default variant, A and B equal (no change) so that every verdict is
 * no_change and the counts are the windows. */
static void write_stream(const char *path, size_t n, const char *cpus)
{
    json_t *meta = json_pack("{s:{s:s, s:i, s:s}, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
                             "s:i, s:i, s:[f,f,f], s:f, s:b, s:s, s:[s]}",
                             "machine", "cpu_model", "synthetic", "cores", 16, "note", cpus,
                             "model", "builtin:tiny", "sessions", 8, "rounds_per_session", 1000,
                             "jobs_per_repetition", 3, "warmup_jobs", 2, "images_per_job", 64,
                             "batch", 8, "image_width", 224, "image_height", 224, "input_size",
                             64, "threads", 1, "slowdown", 0.0, 0.05, 0.1, "seconds", 10.0,
                             "interrupted", 0, "design", "fresh", "variants", "default");
    double *rows = mb_calloc(n * LIVE_WIDTH, sizeof(double));
    for (size_t i = 0; i < n; i++) {
        double *r = &rows[i * LIVE_WIDTH];
        r[0] = (double)i;
        for (int p = 0; p < 3; p++) {
            r[1 + p] = r[4 + p] = 1000 + (double)(i % 7);
            r[7 + p] = r[10 + p] = 0.08;
        }
        r[14] = 0.9;
        r[15] = 0.1;
    }
    mb_err err;
    assert_int_equal(mb_det_rounds_save(path, meta, rows, n, LIVE_WIDTH, &err), 0);
    free(rows);
    json_decref(meta);
}

/* One stream of 8 rounds whose 10% pair's B is 10-16% slower in seven
 * rounds and 0.1% faster in the eighth: the signed-rank statistic is 1, an
 * exact two-sided p of 4/256 = 0.016, significant at 0.05 and not at 0.01. */
static void write_nearly_significant_stream(const char *path)
{
    write_stream(path, 8, "one stream");
    json_t *meta;
    double *rows;
    size_t n;
    mb_err err;
    assert_int_equal(mb_det_rounds_load(path, &meta, &rows, &n, LIVE_WIDTH, &err), 0);
    for (size_t i = 0; i < n; i++) {
        double *r = &rows[i * LIVE_WIDTH];
        r[4 + 2] = r[1 + 2] * (i < 7 ? exp(-0.10 - 0.01 * (double)i) : 1.001);
    }
    assert_int_equal(mb_det_rounds_save(path, meta, rows, n, LIVE_WIDTH, &err), 0);
    free(rows);
    json_decref(meta);
}

static int run_detector(char **argv, const char *log);

/* --alpha sets the verdicts' level on a replay: the same 8 rounds detect
 * the 10% slowdown at 0.05 and not at 0.01, and the JSON says the level. */
static void alpha_sets_the_level_of_a_replay(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-detalpha-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *in = mb_asprintf("%s/s.json", dir), *log = mb_asprintf("%s/log", dir);
    write_nearly_significant_stream(in);
    static const char *const levels[] = {"0.05", "0.01"};
    for (int k = 0; k < 2; k++) {
        char *out = mb_asprintf("%s/%d.json", dir, k);
        char *argv[] = {DETECTOR, "--replay", in, "--repetitions", "8", "--resamples", "20",
                        "--alpha", (char *)levels[k], "--json", out, NULL};
        assert_int_equal(run_detector(argv, log), 0);
        json_t *root = json_load_file(out, 0, NULL);
        assert_non_null(root);
        json_t *dj = json_object_get(json_object_get(json_object_get(root, "modes"), "fresh"),
                                     "disjoint");
        assert_int_equal(json_integer_value(json_object_get(dj, "detect_10_trials")), 1);
        assert_int_equal(json_integer_value(json_object_get(dj, "detect_10_alarms")),
                         k == 0 ? 1 : 0);
        assert_true(fabs(json_number_value(json_object_get(json_object_get(root, "config"),
                                                           "alpha")) - atof(levels[k])) < 1e-12);
        json_decref(root);
        free(out);
    }
    char *argv[] = {DETECTOR, "--replay", in, "--alpha", "2", NULL};
    int status = run_detector(argv, log); /* a wait status */
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    mb_remove_tree(dir);
    free(in);
    free(log);
}

static int run_detector(char **argv, const char *log)
{
    mb_proc p;
    mb_err err;
    assert_int_equal(mb_spawn(argv, NULL, log, &p, &err), 0);
    assert_true(mb_proc_wait(&p, 600000));
    return p.exit_status;
}

/* Streams of 10 and 11 rounds at 4 rounds per verdict: 2 + 2 independent
 * windows (pooled as one stream of 21 rounds it would be 5), and the JSON
 * names both streams with their notes. */
static void pooled_streams_count_disjoint_verdicts(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-detstreams-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *s0 = mb_asprintf("%s/s0.json", dir), *s1 = mb_asprintf("%s/s1.json", dir);
    char *out = mb_asprintf("%s/pooled.json", dir), *log = mb_asprintf("%s/log", dir);
    write_stream(s0, 10, "stream 0");
    write_stream(s1, 11, "stream 1");
    char *list = mb_asprintf("%s,%s", s0, s1);
    char *argv[] = {DETECTOR, "--replay", list, "--repetitions", "4", "--resamples", "20",
                    "--json", out, NULL};
    assert_int_equal(run_detector(argv, log), 0);
    json_t *root = json_load_file(out, 0, NULL);
    assert_non_null(root);
    json_t *fresh = json_object_get(json_object_get(root, "modes"), "fresh");
    json_t *dj = json_object_get(fresh, "disjoint");
    assert_int_equal(json_integer_value(json_object_get(dj, "false_alarm_trials")), 4);
    assert_int_equal(json_integer_value(json_object_get(dj, "false_alarm_alarms")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "measured"),
                                                        "streams")), 2);
    json_t *streams = json_object_get(root, "streams");
    assert_int_equal(json_array_size(streams), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            json_array_get(streams, 1), "machine"), "note")), "stream 1");
    json_decref(root);
    mb_remove_tree(dir);
    free(s0);
    free(s1);
    free(out);
    free(log);
    free(list);
}

/* A replay judges windows as long as its files allow, whatever --rounds
 * says (40 by default): 45 rounds at 44 a verdict are one window, and the
 * default counts of a replay keep those longer than 40, taken from the
 * files' rounds (all five listed; 16, 24 and 40 give windows here). */
static void replay_windows_follow_the_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-detlong-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *in = mb_asprintf("%s/s.json", dir), *log = mb_asprintf("%s/log", dir);
    char *out = mb_asprintf("%s/out.json", dir);
    write_stream(in, 45, "one stream");
    char *argv[] = {DETECTOR, "--replay", in, "--repetitions", "44", "--resamples", "20",
                    "--json", out, NULL};
    assert_int_equal(run_detector(argv, log), 0);
    json_t *root = json_load_file(out, 0, NULL);
    assert_non_null(root);
    json_t *dj = json_object_get(json_object_get(json_object_get(root, "modes"), "fresh"),
                                 "disjoint");
    assert_int_equal(json_integer_value(json_object_get(dj, "false_alarm_trials")), 1);
    json_decref(root);
    char *plain[] = {DETECTOR, "--replay", in, "--resamples", "20", "--json", out, NULL};
    assert_int_equal(run_detector(plain, log), 0);
    root = json_load_file(out, 0, NULL);
    assert_non_null(root);
    json_t *counts = json_object_get(json_object_get(root, "config"), "repetition_counts");
    if (json_array_size(counts) != 5 || json_integer_value(json_array_get(counts, 4)) != 96) {
        char *text = json_dumps(json_object_get(root, "config"), JSON_COMPACT);
        fail_msg("a replay's default counts: %s", text);
    }
    json_decref(root);
    mb_remove_tree(dir);
    free(in);
    free(log);
    free(out);
}

/* A live stream cut by SIGINT, as the device step's time bound cuts it,
 * leaves a rounds file that --replay reads: the rounds measured so far. */
static void cut_stream_keeps_valid_rounds(void **state)
{
    (void)state;
    char dir[] = "/tmp/mb-detcut-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *rounds = mb_asprintf("%s/rounds.json", dir), *log = mb_asprintf("%s/log", dir);
    char *argv[] = {DETECTOR, "--mode", "fresh", "--rounds", "1000", "--per-job", "8",
                    "--jobs", "1", "--rounds-out", rounds, "--resamples", "10", NULL};
    mb_proc p;
    mb_err err;
    assert_int_equal(mb_spawn(argv, NULL, log, &p, &err), 0);
    /* Waits for the first saved round (a generous bound, not a timing). */
    json_t *meta = NULL;
    double *rows = NULL;
    size_t n = 0;
    for (int i = 0; i < 6000 && n < 1 && mb_proc_alive(&p); i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (access(rounds, F_OK) == 0 &&
            mb_det_rounds_load(rounds, &meta, &rows, &n, LIVE_WIDTH, &err) == 0) {
            json_decref(meta);
            free(rows);
        }
    }
    assert_true(n >= 1);
    kill(p.pid, SIGINT);
    assert_true(mb_proc_wait(&p, 300000));
    assert_int_equal(mb_det_rounds_load(rounds, &meta, &rows, &n, LIVE_WIDTH, &err), 0);
    assert_true(n >= 1);
    assert_true(json_is_object(json_object_get(meta, "machine")));
    json_decref(meta);
    free(rows);
    mb_remove_tree(dir);
    free(rounds);
    free(log);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(pooled_streams_count_disjoint_verdicts),
    cmocka_unit_test(alpha_sets_the_level_of_a_replay),
    cmocka_unit_test(replay_windows_follow_the_files),
    cmocka_unit_test(cut_stream_keeps_valid_rounds),
};

MB_TEST_MAIN("bench_detector", tests, NULL, NULL)

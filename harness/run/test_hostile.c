/* Hostile inputs (issue 14), end to end through `mpsbench`: each one ends
 * with the documented exit code and message, bounded and interruptible,
 * leaves no process behind and, where a run started, a valid run.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixtures.h"
#include "image.h"
#include "mb_testing.h"
#include "mb_util.h"

typedef mb_test_fixture fixture;

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* `mpsbench run SCENARIO --out OUT` plus extra arguments (NULL-ended). */
static int run_cli(fixture *f, const char *scenario, const char *out, char **output, ...)
{
    const char *more[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, output);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 15)
        more[n++] = a;
    va_end(ap);
    more[n] = NULL;
    return mb_test_run_scenario(f, scenario, out, more, output);
}

/* The exit code, or the CLI's output when it is not the one wanted. */
#define EXPECT_EXIT(code, want, output)                                          \
    do {                                                                         \
        int got_ = (code);                                                       \
        if (got_ != (want))                                                      \
            fail_msg("exit %d, not %d:\n%s", got_, (want), *(output));           \
    } while (0)

static const char *cell_reason(json_t *run)
{
    const char *r = json_string_value(json_object_get(json_array_get(json_object_get(run, "cells"), 0),
                                                      "reason"));
    return r != NULL ? r : "";
}

static const char *cell_verdict(json_t *run)
{
    const char *v = json_string_value(json_object_get(json_array_get(json_object_get(run, "cells"), 0),
                                                      "verdict"));
    return v != NULL ? v : "";
}

static void expect_in(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, text);
}

/* A folder with one readable 64x48 photo. */
static char *photo_dir(fixture *f, const char *name)
{
    char *dir = mb_asprintf("%s/%s", f->env.tmp, name);
    assert_int_equal(mb_mkdir_p(dir, 0755, NULL), 0);
    char *good = mb_asprintf("%s/good.jpg", dir);
    mb_err err;
    assert_int_equal(mb_fixture_write(good, 64, 48, 7, MB_FORMAT_JPEG, &err), 0);
    free(good);
    return dir;
}

static char *scenario_for_dir(fixture *f, const char *file, const char *images)
{
    char *text = mb_asprintf("name: hostile\nmodel: builtin:tiny\ninput_size: 32\n"
                             "images: %s\n"
                             "matrix: {device: [cpu], batch_size: [2]}\n"
                             "run: {jobs: 3, warmup_jobs: 0, repetitions: 1, threads: 1}\n",
                             images);
    char *path = mb_test_write_file(&f->env, file, text);
    free(text);
    return path;
}

/* Item 1: a folder holding two symbolic links to itself.  The walk follows
 * no link to a folder it has seen (st_dev/st_ino), so the run ends, with
 * one photo. */
static void symlink_loop_in_images_dir_ends(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *dir = photo_dir(f, "d");
    char *a = mb_asprintf("%s/a", dir), *b = mb_asprintf("%s/b", dir);
    assert_int_equal(symlink(".", a), 0);
    assert_int_equal(symlink(".", b), 0);
    char *scenario = scenario_for_dir(f, "loop.yaml", "{dir: d, group_by_size: false, per_job: 2}");
    char *out = mb_asprintf("%s/loop", f->env.tmp);
    char *output = NULL;
    double t0 = mb_now_ms();
    int code = run_cli(f, scenario, out, &output, NULL);
    if (code != 0)
        fail_msg("exit %d:\n%s", code, output);
    assert_true(mb_now_ms() - t0 < 120000);
    json_t *run = mb_test_run_json(out, NULL);
    assert_string_equal(json_string_value(json_object_get(run, "status")), "passed");

    /* Item 6: the same run, once marked incomplete (or left running by a
     * killed harness), cannot pass a comparison: exit 3. */
    char *results = mb_asprintf("%s/results.json", out);
    char *run_path = mb_asprintf("%s/run.json", out);
    const char *statuses[] = {"incomplete", "running"};
    for (size_t i = 0; i < 2; i++) {
        json_object_set_new(run, "status", json_string(statuses[i]));
        assert_int_equal(json_dump_file(run, run_path, 0), 0);
        const char *args[] = {"compare", results, results, NULL};
        char *text = NULL;
        assert_int_equal(mb_test_run_cli(&f->env, args, &text), 3);
        expect_in(text, statuses[i]);
        expect_in(text, "cannot pass");
        free(text);
    }
    json_decref(run);
    free(run_path);
    free(results);
    free(output);
    free(out);
    free(scenario);
    free(a);
    free(b);
    free(dir);
}

/* Item 1/9: a walk is bounded: folders nested past the cap are refused with
 * the scenario's position of images.dir, exit 2, before any worker. */
static void deep_images_dir_is_refused(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *dir = mb_asprintf("%s/deep", f->env.tmp);
    for (int i = 0; i < 40; i++) {
        char *next = mb_asprintf("%s/x", dir);
        free(dir);
        dir = next;
    }
    assert_int_equal(mb_mkdir_p(dir, 0755, NULL), 0);
    char *scenario = scenario_for_dir(f, "deep.yaml", "{dir: deep, group_by_size: false}");
    char *out = mb_asprintf("%s/deep-run", f->env.tmp);
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, scenario, out, &output, NULL), 2, &output);
    expect_in(output, "deep.yaml:4:15: images.dir:");
    expect_in(output, "deeper than 32");
    free(output);

    /* An empty folder is a bad scenario too (2), not an infrastructure
     * failure. */
    char *empty = mb_asprintf("%s/empty", f->env.tmp);
    assert_int_equal(mb_mkdir_p(empty, 0755, NULL), 0);
    char *scenario2 = scenario_for_dir(f, "empty.yaml", "{dir: empty, group_by_size: false}");
    char *out2 = mb_asprintf("%s/empty-run", f->env.tmp);
    EXPECT_EXIT(run_cli(f, scenario2, out2, &output, NULL), 2, &output);
    expect_in(output, "empty.yaml:4:15: images.dir:");
    expect_in(output, "holds no .jpg");
    free(output);
    free(out2);
    free(scenario2);
    free(empty);
    free(out);
    free(scenario);
    free(dir);
}

/* Item 3: SIGTERM while 12-megapixel fixtures are being generated takes
 * effect within a second or two; run.json says incomplete and no child is
 * left. */
static void sigterm_during_fixture_generation(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = mb_test_write_file(&f->env, "big.yaml",
        "name: big\nmodel: builtin:tiny\ninput_size: 32\n"
        "images: {sizes: [4032x3024], per_job: 2}\n"
        "matrix: {device: [cpu], batch_size: [2]}\n"
        "run: {jobs: 2, warmup_jobs: 0, repetitions: 1, threads: 1}\n");
    char *out = mb_asprintf("%s/big", f->env.tmp);
    char *log = mb_asprintf("%s.log", out);
    const char *args[] = {"run", scenario, "--out", out, "--image-cache", f->cache, "--no-charts",
                          NULL};
    mb_proc p;
    assert_true(mb_test_start_cli(args, log, &p));
    /* Generation has started once the cache folder exists. */
    char *jpeg = mb_asprintf("%s/jpeg", f->cache);
    double deadline = mb_now_ms() + 60000;
    while (access(jpeg, F_OK) != 0 && mb_now_ms() < deadline && mb_proc_alive(&p))
        pause_ms(20);
    assert_true(mb_proc_alive(&p));
    pause_ms(300);
    pid_t kids[64];
    int n_kids = mb_test_children(p.pid, kids, 64);
    double t0 = mb_now_ms();
    assert_int_equal(kill(p.pid, SIGTERM), 0);
    double scale = mb_test_time_scale();
    assert_true(mb_proc_wait(&p, (int)(5000 * scale)));
    double took = mb_now_ms() - t0;
    printf("SIGTERM took effect in %.0f ms\n", took);
    /* Within a second or so on an optimized build (it took 64 s before
     * generation heard signals); sanitized builds get their margin. */
    assert_true(took < 2500 * scale);
    assert_true(WIFEXITED(p.exit_status));
    assert_int_equal(WEXITSTATUS(p.exit_status), 3);
    for (int i = 0; i < n_kids; i++)
        assert_true(mb_test_wait_pid_gone(kids[i], 2000));
    json_t *run = mb_test_run_json(out, NULL);
    assert_string_equal(json_string_value(json_object_get(run, "status")), "incomplete");
    json_decref(run);
    free(jpeg);
    free(log);
    free(out);
    free(scenario);
}

/* Item 4: --out '' is refused; a non-empty --out is refused unless --force. */
static void out_dir_checks(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = scenario_for_dir(f, "gen.yaml", "{sizes: [64x48], per_job: 2}");
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, scenario, "", &output, NULL), 2, &output);
    expect_in(output, "option --out: empty folder name");
    free(output);
    char *out = mb_asprintf("%s/used", f->env.tmp);
    assert_int_equal(mb_mkdir_p(out, 0755, NULL), 0);
    char *old = mb_test_write_file(&f->env, "used/compare.md", "an earlier run's\n");
    EXPECT_EXIT(run_cli(f, scenario, out, &output, NULL), 2, &output);
    expect_in(output, "is not empty");
    expect_in(output, "--force");
    free(output);
    EXPECT_EXIT(run_cli(f, scenario, out, &output, "--force", NULL), 0, &output);
    json_t *run = mb_test_run_json(out, NULL);
    json_decref(run);
    free(output);
    free(old);
    free(out);
    free(scenario);
}

/* Item 5: a model file that is not TorchScript is exit 2, naming the key,
 * its position and the path, before any benchmark worker starts. */
static void model_not_torchscript_is_refused(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *text = mb_test_write_file(&f->env, "text.pt", "not a model\n");
    char *empty = mb_test_write_file(&f->env, "empty.pt", "");
    const char *models[] = {"text.pt", "empty.pt"};
    for (size_t i = 0; i < 2; i++) {
        char *yaml = mb_asprintf("name: m\nmodel: %s\ninput_size: 32\n"
                                 "images: {sizes: [64x48], per_job: 2}\n"
                                 "matrix: {device: [cpu], batch_size: [2]}\n"
                                 "run: {jobs: 2, warmup_jobs: 0, repetitions: 1}\n", models[i]);
        char *scenario = mb_test_write_file(&f->env, "model.yaml", yaml);
        char *out = mb_asprintf("%s/model-%zu", f->env.tmp, i);
        char *output = NULL;
        EXPECT_EXIT(run_cli(f, scenario, out, &output, NULL), 2, &output);
        expect_in(output, "model.yaml:2:8: model:");
        expect_in(output, models[i]);
        expect_in(output, "not a TorchScript model");
        /* No benchmark worker ran: its log would be in the run folder. */
        char *logs = mb_asprintf("%s/logs/worker-w1.1.log", out);
        assert_int_not_equal(access(logs, F_OK), 0);
        free(logs);
        free(output);
        free(out);
        free(scenario);
        free(yaml);
    }
    free(text);
    free(empty);
}

/* Item 7: with images.sizes, photos that cannot be read fail the cell and
 * are listed; images.allow_unreadable lets the run pass, still listing
 * them.  Taken as they are, a cell that stops at its first failed job says
 * how many jobs never ran. */
static void unreadable_photos_are_listed(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *dir = photo_dir(f, "mixed");
    char *text = mb_test_write_file(&f->env, "mixed/text.jpg", "not an image\n");
    char *scenario = scenario_for_dir(f, "mixed.yaml", "{dir: mixed, sizes: [64x48], per_job: 1}");
    char *out = mb_asprintf("%s/mixed-run", f->env.tmp);
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, scenario, out, &output, NULL), 1, &output);
    json_t *run = mb_test_run_json(out, NULL);
    assert_string_equal(cell_verdict(run), "fail");
    expect_in(cell_reason(run), "1 photo(s) in images.dir cannot be read");
    expect_in(cell_reason(run), "text.jpg");
    char *summary_path = mb_asprintf("%s/summary.md", out);
    char *summary = mb_read_file(summary_path, NULL, NULL);
    assert_non_null(summary);
    expect_in(summary, "text.jpg");
    json_decref(run);
    free(summary);
    free(summary_path);
    free(output);

    char *allowed = scenario_for_dir(f, "allowed.yaml",
                                     "{dir: mixed, sizes: [64x48], per_job: 1, "
                                     "allow_unreadable: true}");
    char *out2 = mb_asprintf("%s/allowed-run", f->env.tmp);
    EXPECT_EXIT(run_cli(f, allowed, out2, &output, NULL), 0, &output);
    run = mb_test_run_json(out2, NULL);
    assert_string_equal(cell_verdict(run), "pass");
    expect_in(cell_reason(run), "text.jpg");
    json_decref(run);
    free(output);

    char *as_is = scenario_for_dir(f, "asis.yaml", "{dir: mixed, group_by_size: false, per_job: 1}");
    char *out3 = mb_asprintf("%s/asis-run", f->env.tmp);
    EXPECT_EXIT(run_cli(f, as_is, out3, &output, NULL), 1, &output);
    run = mb_test_run_json(out3, NULL);
    assert_string_equal(cell_verdict(run), "fail");
    expect_in(cell_reason(run), "never ran");
    json_decref(run);
    free(output);
    free(out3);
    free(as_is);
    free(out2);
    free(allowed);
    free(out);
    free(scenario);
    free(text);
    free(dir);
}

/* Item 8: a JPEG cut short and closed with an end marker fails its job with
 * libjpeg's reason instead of being benchmarked half grey. */
static void jpeg_cut_and_closed_fails_the_job(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *dir = mb_asprintf("%s/cut", f->env.tmp);
    assert_int_equal(mb_mkdir_p(dir, 0755, NULL), 0);
    char *big = mb_asprintf("%s/big.jpg.src", f->env.tmp);
    mb_err err;
    assert_int_equal(mb_fixture_write(big, 640, 480, 3, MB_FORMAT_JPEG, &err), 0);
    size_t len = 0;
    char *data = mb_read_file(big, &len, NULL);
    assert_true(len > 8000);
    memcpy(data + 8000, "\xff\xd9", 2);
    char *cut = mb_asprintf("%s/t.jpg", dir);
    assert_int_equal(mb_write_file_atomic(cut, data, 8002, NULL), 0);
    mb_image img = {0};
    assert_int_equal(mb_image_decode_file(cut, 0, 0, &img, &err), MB_EIMAGE);
    expect_in(err.msg, "premature end of data segment");
    char *scenario = scenario_for_dir(f, "cut.yaml", "{dir: cut, group_by_size: false, per_job: 1}");
    char *out = mb_asprintf("%s/cut-run", f->env.tmp);
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, scenario, out, &output, NULL), 1, &output);
    json_t *run = mb_test_run_json(out, NULL);
    expect_in(cell_reason(run), "premature end");
    json_decref(run);
    free(output);
    free(out);
    free(scenario);
    free(cut);
    free(data);
    free(big);
    free(dir);
}

/* Item 9: a Redis URL or port that does not parse is bad usage (2); a
 * Redis that does not answer stays infrastructure (3). */
static void redis_url_classes(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *scenario = scenario_for_dir(f, "r.yaml", "{sizes: [64x48], per_job: 2}");
    const struct {
        const char *url;
        int code;
        const char *says;
    } cases[] = {
        {"garbage", 2, "must start with redis://"},
        {"redis://127.0.0.1:99999", 2, "bad port"},
        {"unix:///nonexistent/redis.sock?password=x&colour=red", 2, "unknown parameter 'colour'"},
        {"unix:///nonexistent/redis.sock", 3, "cannot connect"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = mb_asprintf("%s/redis-%zu", f->env.tmp, i);
        char *output = NULL;
        int code = run_cli(f, scenario, out, &output, "--redis", cases[i].url, NULL);
        if (code != cases[i].code)
            fail_msg("--redis %s: exit %d, not %d:\n%s", cases[i].url, code, cases[i].code, output);
        expect_in(output, cases[i].says);
        free(output);
        free(out);
    }
    free(scenario);
}

/* A matrix of 2400 cells (env.A: 60 values, env.B: 40) on the CPU, with
 * images (a YAML flow mapping) when not NULL. */
static char *wide_scenario(fixture *f, const char *file, const char *images)
{
    mb_strbuf y = {0};
    mb_strbuf_add(&y, "name: wide\nmodel: builtin:tiny\n");
    if (images != NULL)
        mb_strbuf_printf(&y, "images: %s\n", images);
    mb_strbuf_add(&y, "matrix:\n  device: [cpu]\n  env.A: [");
    for (int i = 0; i < 60; i++)
        mb_strbuf_printf(&y, "%s%d", i ? ", " : "", i);
    mb_strbuf_add(&y, "]\n  env.B: [");
    for (int i = 0; i < 40; i++)
        mb_strbuf_printf(&y, "%s%d", i ? ", " : "", i);
    mb_strbuf_add(&y, "]\n");
    char *path = mb_test_write_file(&f->env, file, y.s);
    free(y.s);
    return path;
}

/* Item 9: input size limits.  The scenario file is read with a 1 MiB cap
 * (`mpsbench run /dev/zero` ends at once), and a matrix past run.max_cells
 * needs --yes, unless --filter brings it under. */
static void input_size_limits(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *out = mb_asprintf("%s/zero", f->env.tmp);
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, "/dev/zero", out, &output, NULL), 2, &output);
    expect_in(output, "/dev/zero: (file): larger than 1024 KiB");
    free(output);

    char *scenario = wide_scenario(f, "wide.yaml", NULL);
    char *out2 = mb_asprintf("%s/wide", f->env.tmp);
    EXPECT_EXIT(run_cli(f, scenario, out2, &output, NULL), 2, &output);
    expect_in(output, "2400 cells, more than run.max_cells (2000)");
    expect_in(output, "--yes");
    free(output);
    /* The bound is on the cells that run: a filter that keeps one runs. */
    char *out3 = mb_asprintf("%s/wide-filtered", f->env.tmp);
    EXPECT_EXIT(run_cli(f, scenario, out3, &output, "--filter", "env.A:7/env.B:3/", "--jobs",
                        "1", "--repetitions", "1", "--warmup-jobs", "0", NULL), 0, &output);
    /* One cell is no large run: the matrix's 2400 cells are not announced. */
    if (strstr(output, "images to embed") != NULL)
        fail_msg("a one-cell run announced its size:\n%s", output);
    free(output);
    free(out3);
    free(out2);
    free(scenario);
    free(out);
}

/* A run of more than 200 cells says its size before it starts, counting
 * the cells that run: here the 240 of the 2400 that --filter keeps, each of
 * one job of 2 images.  Its images.dir is empty, so the run ends (exit 2)
 * right after the announcement, starting no worker. */
static void size_announcement_counts_the_cells_that_run(void **state)
{
    fixture *f = *state;
    MB_TEST_NEED(f);
    char *empty = mb_asprintf("%s/no-photos", f->env.tmp);
    assert_int_equal(mb_mkdir_p(empty, 0755, NULL), 0);
    char *scenario = wide_scenario(f, "wide-empty.yaml", "{dir: no-photos, group_by_size: false, per_job: 2}");
    char *out = mb_asprintf("%s/wide-announced", f->env.tmp);
    char *output = NULL;
    EXPECT_EXIT(run_cli(f, scenario, out, &output, "--yes", "--filter", "env.A:[0-5]/",
                        "--jobs", "1", "--repetitions", "1", "--warmup-jobs", "0", NULL),
                2, &output);
    expect_in(output, "mpsbench: 240 of 2400 cells, 480 images to embed: about 1 min at 50 ms an image");
    expect_in(output, "holds no .jpg");
    free(output);
    free(out);
    free(scenario);
    free(empty);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(symlink_loop_in_images_dir_ends),
    cmocka_unit_test(deep_images_dir_is_refused),
    cmocka_unit_test(sigterm_during_fixture_generation),
    cmocka_unit_test(out_dir_checks),
    cmocka_unit_test(model_not_torchscript_is_refused),
    cmocka_unit_test(unreadable_photos_are_listed),
    cmocka_unit_test(jpeg_cut_and_closed_fails_the_job),
    cmocka_unit_test(redis_url_classes),
    cmocka_unit_test(input_size_limits),
    cmocka_unit_test(size_announcement_counts_the_cells_that_run),
};

MB_TEST_MAIN_EACH("hostile inputs (end to end)", tests,
                  mb_test_fixture_setup, mb_test_fixture_teardown)

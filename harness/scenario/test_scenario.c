/* Tests of the scenario loader and the matrix expansion.  Error messages are
 * compared whole, positions included: they are what a user acts on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "scenario.h"
#include "scenario_private.h"

#define FIXTURES MB_SOURCE_DIR "/fixtures/scenarios"

static int load_str(const char *yaml, mb_scenario **s, mb_err *err)
{
    mb_err_clear(err);
    return mb_scenario_load_string(yaml, strlen(yaml), "t.yaml", FIXTURES, s, err);
}

static mb_scenario *load_ok(const char *yaml)
{
    mb_scenario *s = NULL;
    mb_err err;
    int rc = load_str(yaml, &s, &err);
    if (rc != 0)
        fail_msg("unexpected error: %s", err.msg);
    assert_non_null(s);
    return s;
}

static void check_error(const char *yaml, const char *expected)
{
    mb_scenario *s = (mb_scenario *)1;
    mb_err err;
    int rc = load_str(yaml, &s, &err);
    if (rc == 0)
        mb_scenario_free(s);
    assert_int_equal(rc, MB_ESCENARIO);
    assert_null(s);
    assert_string_equal(err.msg, expected);
}

static const char *value(const mb_axis *a, size_t i)
{
    assert_non_null(a);
    assert_true(i < a->n_values);
    return a->values[i];
}

static void test_full_fixture(void **state)
{
    (void)state;
    mb_scenario *s = NULL;
    mb_err err;
    int rc = mb_scenario_load(FIXTURES "/full.yaml", &s, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);

    assert_string_equal(s->path, FIXTURES "/full.yaml");
    assert_string_equal(s->dir, FIXTURES);
    assert_string_equal(s->name, "full-fixture");
    assert_string_equal(s->model, FIXTURES "/data/model.pt");
    assert_int_equal(s->input_size, 256);
    assert_int_equal(s->resize_on, MB_RESIZE_DEVICE);
    assert_int_equal(s->decode, MB_SCENARIO_DECODE_GPU);
    assert_string_equal(s->images.dir, FIXTURES "/data/photos");
    assert_int_equal(s->images.per_job, 8);
    assert_int_equal(s->images.format, MB_FORMAT_PNG);
    assert_false(s->images.as_is);

    static const char *const order[] = {
        "device", "watermark_fix", "exec", "precision", "env.GPU_MEMORY_CLEANUP_ENABLED",
        "env.GPU_MEMORY_CLEANUP_INTERVAL", "image_size", "batch_size",
    };
    assert_int_equal(s->n_axes, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(s->axes[i].name, order[i]);

    const mb_axis *a = mb_scenario_axis(s, "device");
    assert_int_equal(a->n_values, 2);
    assert_string_equal(value(a, 0), "cpu");
    assert_string_equal(value(a, 1), "cuda");
    assert_int_equal(a->pos.line, 14);
    assert_int_equal(a->pos.column, 11);
    assert_int_equal(a->value_pos[1].line, 14);
    assert_int_equal(a->value_pos[1].column, 17);

    a = mb_scenario_axis(s, "watermark_fix");
    assert_string_equal(value(a, 0), "on");
    assert_string_equal(value(a, 1), "off");

    a = mb_scenario_axis(s, "batch_size");
    assert_int_equal(a->n_values, 3);
    assert_string_equal(value(a, 2), "32");

    a = mb_scenario_axis(s, "precision");
    assert_string_equal(value(a, 1), "bf16");

    a = mb_scenario_axis(s, "env.GPU_MEMORY_CLEANUP_ENABLED");
    assert_string_equal(value(a, 0), "false");
    assert_string_equal(value(a, 1), "true");
    a = mb_scenario_axis(s, "env.GPU_MEMORY_CLEANUP_INTERVAL");
    assert_int_equal(a->n_values, 1);
    assert_string_equal(value(a, 0), "5");

    a = mb_scenario_axis(s, "image_size");
    assert_int_equal(a->n_values, 2);
    assert_string_equal(value(a, 1), "1024x768");
    assert_int_equal(a->value_pos[0].line, 8);
    assert_int_equal(a->value_pos[0].column, 11);

    /* A scalar run.exec is a one-value exec axis. */
    a = mb_scenario_axis(s, "exec");
    assert_int_equal(a->n_values, 1);
    assert_string_equal(value(a, 0), "fork_per_job");

    assert_int_equal(s->run.jobs, 20);
    assert_int_equal(s->run.warmup_jobs, 2);
    assert_int_equal(s->run.repetitions, 5);
    assert_float_equal(s->run.timeout_s, 90.0, 1e-9);
    assert_true(s->run.memory_limit == 8ull * 1024 * 1024 * 1024);
    assert_int_equal(s->run.exec, MB_EXEC_FORK_PER_JOB);
    assert_int_equal(s->run.on_oom, MB_ON_OOM_EXIT);
    assert_int_equal(s->run.threads, 2);
    assert_int_equal(s->run.inflight, 3);
    assert_int_equal(s->run.order, MB_ORDER_SEQUENTIAL);
    assert_int_equal(s->run.max_live_workers, 2);

    assert_int_equal(s->expect.oom, MB_OOM_ALLOWED);
    assert_float_equal(s->expect.regression, 0.075, 1e-12);

    assert_int_equal(s->n_require, 1);
    assert_string_equal(s->require[0], "cpu");

    assert_int_equal(s->n_overrides, 2);
    const mb_override *ov = &s->overrides[0];
    assert_int_equal(ov->pos.line, 35);
    assert_int_equal(ov->pos.column, 5);
    assert_int_equal(ov->n_when, 2);
    assert_string_equal(ov->when[0].key, "watermark_fix");
    assert_string_equal(ov->when[0].value, "off");
    assert_string_equal(ov->when[1].key, "device");
    assert_string_equal(ov->when[1].value, "cuda");
    assert_true(ov->has_oom);
    assert_false(ov->has_regression);
    assert_int_equal(ov->expect.oom, MB_OOM_EXPECTED);
    ov = &s->overrides[1];
    assert_false(ov->has_oom);
    assert_true(ov->has_regression);
    assert_float_equal(ov->expect.regression, 0.10, 1e-12);
    assert_string_equal(ov->when[0].value, "32");

    mb_cell *cells;
    size_t n;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2 * 2 * 1 * 2 * 2 * 1 * 2 * 3);
    assert_string_equal(cells[0].name,
                        "embed/device:cpu/fix:on/exec:fork_per_job/precision:fp32/"
                        "env.GPU_MEMORY_CLEANUP_ENABLED:false/"
                        "env.GPU_MEMORY_CLEANUP_INTERVAL:5/image:224x224/batch:1");
    assert_string_equal(cells[0].worker_key,
                        "device=cpu;fix=on;exec=fork_per_job;precision=fp32;"
                        "env.GPU_MEMORY_CLEANUP_ENABLED=false;"
                        "env.GPU_MEMORY_CLEANUP_INTERVAL=5;threads=2;"
                        "decode_threads=0;memory_limit=8589934592;on_oom=exit");
    assert_int_equal(cells[0].n_env, 2);
    assert_string_equal(cells[0].env[0].key, "GPU_MEMORY_CLEANUP_ENABLED");
    assert_string_equal(cells[0].env[0].value, "false");
    assert_string_equal(cells[0].env[1].key, "GPU_MEMORY_CLEANUP_INTERVAL");
    assert_string_equal(cells[0].env[1].value, "5");
    assert_int_equal(cells[0].run.exec, MB_EXEC_FORK_PER_JOB);
    for (size_t k = 0; k < n; k++) {
        const mb_cell *c = &cells[k];
        mb_oom_expect oom = !c->watermark_fix && strcmp(c->device, "cuda") == 0
                                ? MB_OOM_EXPECTED : MB_OOM_ALLOWED;
        double regression = c->batch_size == 32 ? 0.10 : 0.075;
        assert_int_equal(c->expect.oom, oom);
        assert_float_equal(c->expect.regression, regression, 1e-12);
    }
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

/* fault: and search: are read and validated like everything else. */
static void test_fault_and_search(void **state)
{
    (void)state;
    mb_scenario *s = NULL;
    mb_err err;
    const char *yaml = "model: builtin:tiny\n"
                       "fault: {emulate_mps_accounting: yes, crash_after_jobs: 3,\n"
                       "        hang_after_jobs: 2, slowdown: 10%}\n"
                       "search: {batch_size: frontier, max_batch_size: 256}\n";
    assert_int_equal(mb_scenario_load_string(yaml, strlen(yaml), "f.yaml", ".", &s, &err), 0);
    assert_true(s->fault.emulate_mps_accounting);
    assert_int_equal(s->fault.crash_after_jobs, 3);
    assert_int_equal(s->fault.hang_after_jobs, 2);
    assert_true(s->fault.slowdown > 0.0999 && s->fault.slowdown < 0.1001);
    assert_true(s->search.batch_frontier);
    assert_int_equal(s->search.max_batch_size, 256);
    mb_scenario_free(s);
    const char *decode = "model: builtin:tiny\nrun: {decode_threads: 3}\n";
    assert_int_equal(mb_scenario_load_string(decode, strlen(decode), "d.yaml", ".", &s, &err), 0);
    assert_int_equal(s->run.decode_threads, 3);
    mb_cell *cells;
    size_t n_cells;
    assert_int_equal(mb_matrix_expand(s, &cells, &n_cells, &err), 0);
    assert_non_null(strstr(cells[0].worker_key, ";decode_threads=3;"));
    assert_false(s->run.allow_paravirtual_mps);
    assert_null(strstr(cells[0].worker_key, "paravirtual"));
    mb_cells_free(cells, n_cells);
    mb_scenario_free(s);
    /* run.allow_paravirtual_mps reaches the cells and separates workers. */
    const char *pv = "model: builtin:tiny\nrun: {allow_paravirtual_mps: true}\n";
    assert_int_equal(mb_scenario_load_string(pv, strlen(pv), "p.yaml", ".", &s, &err), 0);
    assert_true(s->run.allow_paravirtual_mps);
    assert_int_equal(mb_matrix_expand(s, &cells, &n_cells, &err), 0);
    assert_true(cells[0].run.allow_paravirtual_mps);
    assert_non_null(strstr(cells[0].worker_key, ";allow_paravirtual_mps"));
    mb_cells_free(cells, n_cells);
    mb_scenario_free(s);
    const char *adaptive = "model: builtin:tiny\nrun: {repetitions: {min: 5, max: 20, target_ci: 2%}}\n";
    assert_int_equal(mb_scenario_load_string(adaptive, strlen(adaptive), "a.yaml", ".", &s, &err), 0);
    assert_int_equal(s->run.repetitions, 20);
    assert_int_equal(s->run.repetitions_min, 5);
    assert_true(s->run.target_ci > 0.0199 && s->run.target_ci < 0.0201);
    mb_scenario_free(s);
    const char *inverted = "model: builtin:tiny\nrun:\n  repetitions: {min: 9, max: 4, target_ci: 2%}\n";
    assert_int_equal(mb_scenario_load_string(inverted, strlen(inverted), "a.yaml", ".", &s, &err),
                     MB_ESCENARIO);
    assert_non_null(strstr(err.msg, "a.yaml:3:16: run.repetitions: min (9) is more than max (4)"));
    const char *bad = "model: builtin:tiny\nsearch: {batch_size: bisect}\n";
    assert_int_equal(mb_scenario_load_string(bad, strlen(bad), "f.yaml", ".", &s, &err),
                     MB_ESCENARIO);
    assert_non_null(strstr(err.msg, "f.yaml:2:22: search.batch_size:"));
    const char *typo = "model: builtin:tiny\nfault: {crash_after: 3}\n";
    assert_int_equal(mb_scenario_load_string(typo, strlen(typo), "f.yaml", ".", &s, &err),
                     MB_ESCENARIO);
    assert_non_null(strstr(err.msg, "did you mean 'crash_after_jobs'"));
}

static void test_defaults(void **state)
{
    (void)state;
    mb_scenario *s = NULL;
    mb_err err;
    const char *yaml = "model: builtin:tiny\n";
    assert_int_equal(mb_scenario_load_string(yaml, strlen(yaml), "some/where/my-run.yaml", NULL,
                                             &s, &err), 0);
    assert_string_equal(s->name, "my-run");
    assert_string_equal(s->dir, "some/where");
    assert_string_equal(s->model, "builtin:tiny");
    assert_int_equal(s->input_size, 224);
    assert_int_equal(s->resize_on, MB_RESIZE_HOST);
    assert_int_equal(s->decode, MB_SCENARIO_DECODE_AUTO);
    assert_null(s->images.dir);
    assert_int_equal(s->images.per_job, 32);
    assert_int_equal(s->images.format, MB_FORMAT_JPEG);
    assert_false(s->images.as_is);
    assert_int_equal(s->run.jobs, 10);
    assert_int_equal(s->run.warmup_jobs, 1);
    assert_int_equal(s->run.repetitions, 5);
    assert_float_equal(s->run.timeout_s, 120.0, 1e-9);
    assert_true(s->run.memory_limit == 0);
    assert_int_equal(s->run.exec, MB_EXEC_PERSISTENT);
    assert_int_equal(s->run.on_oom, MB_ON_OOM_CONTINUE);
    assert_int_equal(s->run.threads, 0);
    assert_int_equal(s->run.inflight, 1);
    assert_int_equal(s->run.order, MB_ORDER_INTERLEAVED);
    assert_int_equal(s->run.max_live_workers, 4);
    assert_int_equal(s->expect.oom, MB_OOM_NEVER);
    assert_float_equal(s->expect.regression, 0.05, 1e-12);
    assert_int_equal(s->n_overrides, 0);
    assert_int_equal(s->n_require, 0);
    assert_false(s->fault.emulate_mps_accounting);
    assert_int_equal(s->fault.crash_after_jobs, 0);
    assert_int_equal(s->fault.hang_after_jobs, 0);
    assert_true(s->fault.slowdown == 0);
    assert_false(s->search.batch_frontier);
    assert_int_equal(s->search.max_batch_size, 1024);

    /* The four axes every scenario has, with their defaults and no position. */
    assert_int_equal(s->n_axes, 4);
    assert_string_equal(s->axes[0].name, "device");
    assert_string_equal(value(&s->axes[0], 0), "auto");
    assert_string_equal(s->axes[1].name, "watermark_fix");
    assert_string_equal(value(&s->axes[1], 0), "on");
    assert_string_equal(s->axes[2].name, "image_size");
    assert_string_equal(value(&s->axes[2], 0), "224x224");
    assert_string_equal(s->axes[3].name, "batch_size");
    assert_string_equal(value(&s->axes[3], 0), "16");
    assert_int_equal(s->axes[0].pos.line, 0);
    assert_int_equal(s->axes[0].value_pos[0].line, 0);
    assert_null(mb_scenario_axis(s, "precision"));
    assert_null(mb_scenario_axis(s, "exec"));

    mb_cell *cells;
    size_t n;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(cells[0].name, "embed/device:auto/fix:on/image:224x224/batch:16");
    assert_string_equal(cells[0].device, "auto");
    assert_true(cells[0].watermark_fix);
    assert_int_equal(cells[0].batch_size, 16);
    assert_int_equal(cells[0].image_width, 224);
    assert_int_equal(cells[0].image_height, 224);
    assert_string_equal(cells[0].precision, "fp32");
    assert_int_equal(cells[0].n_env, 0);
    mb_cells_free(cells, n);
    mb_scenario_free(s);

    s = load_ok("name: only-a-name\n");
    assert_string_equal(s->model, "builtin:resnet50");
    mb_scenario_free(s);
}

static void test_scalars_and_spellings(void **state)
{
    (void)state;
    mb_scenario *s = load_ok("input_size: native\n"
                             "matrix:\n"
                             "  device: CPU\n"
                             "  watermark_fix: [yes, false]\n"
                             "  batch_size: [\"08\", 16]\n"
                             "  image_size: 0640x480\n"
                             "  env.EMPTY: ''\n"
                             "require: mps\n"
                             "expect: {regression: 0.1}\n"
                             "run: {memory_limit: none, timeout: 500ms}\n");
    assert_int_equal(s->input_size, 0);
    assert_string_equal(value(mb_scenario_axis(s, "device"), 0), "cpu");
    assert_string_equal(value(mb_scenario_axis(s, "watermark_fix"), 0), "on");
    assert_string_equal(value(mb_scenario_axis(s, "watermark_fix"), 1), "off");
    assert_string_equal(value(mb_scenario_axis(s, "batch_size"), 0), "8");
    assert_string_equal(value(mb_scenario_axis(s, "image_size"), 0), "640x480");
    assert_string_equal(value(mb_scenario_axis(s, "env.EMPTY"), 0), "");
    assert_int_equal(s->n_require, 1);
    assert_string_equal(s->require[0], "mps");
    assert_float_equal(s->expect.regression, 0.1, 1e-12);
    assert_float_equal(s->run.timeout_s, 0.5, 1e-12);
    mb_scenario_free(s);

    /* Anchors and aliases are ordinary YAML and work. */
    s = load_ok("matrix: {device: &d [cpu, mps]}\nrequire: *d\n");
    assert_int_equal(s->n_require, 2);
    assert_string_equal(s->require[1], "mps");
    mb_scenario_free(s);
}

static void test_photos_as_is(void **state)
{
    (void)state;
    mb_scenario *s = NULL;
    mb_err err;
    assert_int_equal(mb_scenario_load(FIXTURES "/photos-as-is.yaml", &s, &err), 0);
    assert_true(s->images.as_is);
    assert_string_equal(s->images.dir, FIXTURES "/data/photos");
    const mb_axis *a = mb_scenario_axis(s, "image_size");
    assert_int_equal(a->n_values, 1);
    assert_string_equal(value(a, 0), "as-is");
    mb_cell *cells;
    size_t n;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cells[1].image_width, 0);
    assert_int_equal(cells[1].image_height, 0);
    assert_int_equal(cells[1].batch_size, 4);
    assert_string_equal(cells[1].name, "embed/device:cpu/fix:on/image:as-is/batch:4");
    mb_cells_free(cells, n);

    /* No sizes can be set on the command line for photos taken as they are. */
    assert_int_equal(mb_scenario_set_axis(s, "image_size", "224x224", &err), MB_ESCENARIO);
    assert_string_equal(err.msg, "command line: --image-size: the scenario takes its images "
                                 "as they are (images.group_by_size: false), so it has no sizes "
                                 "to choose");
    mb_scenario_free(s);
}

static void test_bad_fixtures(void **state)
{
    (void)state;
    const char *folder = FIXTURES "/bad";
    DIR *d = opendir(folder);
    assert_non_null(d);
    size_t checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char *path = mb_asprintf("%s/%s", folder, e->d_name);
        char *text = mb_read_file(path, NULL, NULL);
        assert_non_null(text);
        const char *prefix = "# expect: ";
        assert_true(strncmp(text, prefix, strlen(prefix)) == 0);
        const char *start = text + strlen(prefix);
        const char *eol = strchr(start, '\n');
        char *want_raw = mb_strndup(start, eol == NULL ? strlen(start) : (size_t)(eol - start));
        /* "{dir}" stands for the fixture folder, which depends on the checkout. */
        char *want;
        char *dir_mark = strstr(want_raw, "{dir}");
        if (dir_mark != NULL) {
            *dir_mark = '\0';
            want = mb_asprintf("%s:%s%s%s", path, want_raw, folder, dir_mark + 5);
        } else {
            want = mb_asprintf("%s:%s", path, want_raw);
        }
        mb_scenario *s = NULL;
        mb_err err;
        mb_err_clear(&err);
        int rc = mb_scenario_load(path, &s, &err);
        if (rc == 0)
            fail_msg("%s loaded without error", path);
        assert_int_equal(rc, MB_ESCENARIO);
        assert_null(s);
        assert_string_equal(err.msg, want);
        checked++;
        free(want);
        free(want_raw);
        free(text);
        free(path);
    }
    closedir(d);
    assert_true(checked >= 20);
}

static void test_type_errors(void **state)
{
    (void)state;
    check_error("", "t.yaml:1:1: (root): empty file (expected a mapping of scenario settings)");
    check_error("# only a comment\n",
                "t.yaml:1:1: (root): empty file (expected a mapping of scenario settings)");
    check_error("- a\n- b\n", "t.yaml:1:1: (root): expected a mapping, found a list");
    check_error("run: [1, 2]\n", "t.yaml:1:6: run: expected a mapping, found a list");
    check_error("run:\n  jobs: [3]\n", "t.yaml:2:9: run.jobs: expected a scalar, found a list");
    check_error("matrix: {device: {a: b}}\n",
                "t.yaml:1:18: matrix.device: expected a list or a scalar, found a mapping");
    check_error("matrix:\n  device: [cpu, {a: 1}]\n",
                "t.yaml:2:17: matrix.device[1]: expected a scalar, found a mapping");
    check_error("overrides: {when: {device: cpu}}\n",
                "t.yaml:1:12: overrides: expected a list, found a mapping");
    check_error("images: {sizes: [[1, 2]]}\n",
                "t.yaml:1:18: images.sizes[0]: expected a scalar, found a list");
    check_error("? [a, b]\n: 1\n", "t.yaml:1:3: (root): expected a scalar, found a list");
    check_error("name: \"a\\0b\"\n", "t.yaml:1:7: name: contains a NUL character");
    check_error("run:\n  jobs:\n", "t.yaml:2:8: run.jobs: missing value");
    /* A self-referencing alias is followed no further than the schema goes. */
    check_error("matrix: &m {device: *m}\n",
                "t.yaml:1:9: matrix.device: expected a list or a scalar, found a mapping");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    check_error("modle: builtin:tiny\n",
                "t.yaml:1:1: modle: unknown key 'modle' (did you mean 'model'?)");
    check_error("run: {repetitons: 5}\n",
                "t.yaml:1:7: run.repetitons: unknown key 'repetitons' (did you mean 'repetitions'?)");
    check_error("run: {warmup: 1}\n",
                "t.yaml:1:7: run.warmup: unknown key 'warmup' (did you mean 'warmup_jobs'?)");
    check_error("matrix:\n  batch: [1]\n",
                "t.yaml:2:3: matrix.batch: unknown key 'batch' (did you mean 'batch_size'?)");
    check_error("matrix: {devices: cpu}\n",
                "t.yaml:1:10: matrix.devices: unknown key 'devices' (did you mean 'device'?)");
    check_error("expect: {ooms: never}\n",
                "t.yaml:1:10: expect.ooms: unknown key 'ooms' (did you mean 'oom'?)");
    check_error("zzzzzzzz: 1\n",
                "t.yaml:1:1: zzzzzzzz: unknown key 'zzzzzzzz' (expected name, model, input_size, "
                "resize_on, decode, images, matrix, run, expect, require, overrides, fault, search, "
                "worker or contrasts)");
    check_error("matrix: {qqqqqqqq: 1}\n",
                "t.yaml:1:10: matrix.qqqqqqqq: unknown key 'qqqqqqqq' (expected device, "
                "watermark_fix, exec, precision, image_size, batch_size or worker or env.NAME)");
    check_error("matrix: {env.: [a]}\n",
                "t.yaml:1:10: matrix.env.: an environment axis needs a variable name, as in "
                "env.NAME");
    check_error("overrides:\n  - when: {device: auto}\n    expectt: {oom: allowed}\n",
                "t.yaml:3:5: overrides[0].expectt: unknown key 'expectt' (did you mean 'expect'?)");
}

static void test_duplicates(void **state)
{
    (void)state;
    check_error("name: a\nmodel: builtin:tiny\nname: b\n",
                "t.yaml:3:1: name: duplicate key (first given at line 1)");
    check_error("matrix:\n  env.X: [a]\n  env.X: [b]\n",
                "t.yaml:3:3: matrix.env.X: duplicate key (first given at line 2)");
    check_error("matrix:\n  batch_size: [8,\n    08]\n",
                "t.yaml:3:5: matrix.batch_size[1]: duplicate value '08' (first given at line 2)");
    check_error("matrix: {watermark_fix: [on, true]}\n",
                "t.yaml:1:30: matrix.watermark_fix[1]: duplicate value 'true' (first given at "
                "line 1)");
    check_error("overrides:\n  - when: {device: auto, device: auto}\n    expect: {oom: allowed}\n",
                "t.yaml:2:26: overrides[0].when.device: duplicate key (first given at line 2)");
}

static void test_value_errors(void **state)
{
    (void)state;
    check_error("run: {jobs: 0}\n", "t.yaml:1:13: run.jobs: must be a positive integer, got 0");
    check_error("run: {jobs: abc}\n", "t.yaml:1:13: run.jobs: expected an integer, got 'abc'");
    check_error("run: {jobs: 2.5}\n", "t.yaml:1:13: run.jobs: expected an integer, got '2.5'");
    check_error("run: {jobs: 99999999999999999999999}\n",
                "t.yaml:1:13: run.jobs: 99999999999999999999999 is absurd (at most 100000)");
    check_error("run: {warmup_jobs: -1}\n",
                "t.yaml:1:20: run.warmup_jobs: must be at least 0, got -1");
    check_error("run: {repetitions: 1001}\n",
                "t.yaml:1:20: run.repetitions: 1001 is absurd (at most 1000)");
    check_error("run: {inflight: 0}\n",
                "t.yaml:1:17: run.inflight: must be a positive integer, got 0");
    check_error("run: {threads: -2}\n", "t.yaml:1:16: run.threads: must be at least 0, got -2");
    check_error("run: {timeout: soon}\n",
                "t.yaml:1:16: run.timeout: expected a duration such as 120s or 500ms, got 'soon'");
    check_error("run: {timeout: 0}\n", "t.yaml:1:16: run.timeout: must be longer than zero, got 0");
    check_error("run: {timeout: 2d}\n",
                "t.yaml:1:16: run.timeout: expected a duration such as 120s or 500ms, got '2d'");
    check_error("run: {timeout: 25h}\n", "t.yaml:1:16: run.timeout: 25h is absurd (at most 24h)");
    check_error("run: {memory_limit: 8 potatoes}\n",
                "t.yaml:1:21: run.memory_limit: expected a size such as 8GiB or 512MiB (or none), "
                "got '8 potatoes'");
    check_error("run: {allow_paravirtual_mps: maybe}\n",
                "t.yaml:1:30: run.allow_paravirtual_mps: expected true or false, got 'maybe'");
    check_error("run: {on_oom: panic}\n",
                "t.yaml:1:15: run.on_oom: unknown on_oom action 'panic' (expected continue or exit)");
    check_error("run: {exec: [persistent]}\n",
                "t.yaml:1:13: run.exec: expected a scalar, found a list (a list of exec modes "
                "belongs in matrix.exec)");
    check_error("run: {exec: threads}\n",
                "t.yaml:1:13: run.exec: unknown exec mode 'threads' (expected persistent or "
                "fork_per_job)");
    check_error("expect: {oom: sometimes}\n",
                "t.yaml:1:15: expect.oom: unknown oom expectation 'sometimes' (expected never, "
                "allowed or expected)");
    check_error("expect: {regression: 5}\n",
                "t.yaml:1:22: expect.regression: must be between 0% and 100%, got 5 (write 5% "
                "for percent)");
    check_error("expect: {regression: 150%}\n",
                "t.yaml:1:22: expect.regression: must be between 0% and 100%, got 150%");
    /* A slowdown may exceed 100% (jobs five times slower is 400%), up to
     * 10000%. */
    check_error("matrix: {device: [cpu], exec: [persistent, fork_per_job]}\ncontrasts: [exce]\n",
                "t.yaml:2:13: contrasts[0]: 'exce' is not an axis of the matrix");
    check_error("matrix: {device: [cpu], batch_size: [1, 2]}\ncontrasts: [device]\n",
                "t.yaml:2:13: contrasts[0]: matrix.device has one value: nothing to contrast");
    check_error("matrix: {device: [cpu], batch_size: [1, 2]}\ncontrasts: batch_size\n",
                "t.yaml:2:12: contrasts[0]: batch_size is measured, not contrasted (contrast a "
                "worker setting: watermark_fix, worker, exec, device, precision or env.*)");
    check_error("run: {order: random}\n",
                "t.yaml:1:14: run.order: unknown order 'random' (expected interleaved or "
                "sequential)");
    check_error("run: {max_live_workers: 0}\n",
                "t.yaml:1:25: run.max_live_workers: must be a positive integer, got 0");
    check_error("fault: {slowdown: 20000%}\n",
                "t.yaml:1:19: fault.slowdown: must be between 0% and 10000%, got 20000%");
    check_error("expect: {regression: lots}\n",
                "t.yaml:1:22: expect.regression: expected a fraction such as 5% or 0.05, got "
                "'lots'");
    check_error("input_size: 0\n", "t.yaml:1:13: input_size: must be a positive integer, got 0");
    check_error("input_size: natve\n", "t.yaml:1:13: input_size: expected an integer, got 'natve'");
    check_error("resize_on: gpu\n",
                "t.yaml:1:12: resize_on: unknown resize_on 'gpu' (expected host or device)");
    check_error("decode: cuda\n",
                "t.yaml:1:9: decode: unknown decode 'cuda' (expected auto, host or gpu)");
    check_error("name: has space\n",
                "t.yaml:1:7: name: 'has space' may use only letters, digits, '-', '_' and '.'");
    check_error("images: {per_job: 0}\n",
                "t.yaml:1:19: images.per_job: must be a positive integer, got 0");
    check_error("images: {per_job: 10001}\n",
                "t.yaml:1:19: images.per_job: 10001 is absurd (at most 10000)");
    check_error("images: {format: gif}\n",
                "t.yaml:1:18: images.format: unknown image format 'gif' (expected jpeg or png)");
    check_error("images: {group_by_size: maybe}\n",
                "t.yaml:1:25: images.group_by_size: expected true or false, got 'maybe'");
    check_error("require: [cpu, auto]\n",
                "t.yaml:1:16: require[1]: 'auto' cannot be required (name mps, cuda or cpu)");
    check_error("require: [tpu]\n",
                "t.yaml:1:11: require[0]: unknown device 'tpu' (expected mps, cuda, cpu or auto)");
}

static void test_axis_errors(void **state)
{
    (void)state;
    check_error("matrix: {device: gpu}\n",
                "t.yaml:1:18: matrix.device: unknown device 'gpu' (expected mps, cuda, cpu or "
                "auto)");
    check_error("matrix:\n  device: [mps, gpu]\n",
                "t.yaml:2:17: matrix.device[1]: unknown device 'gpu' (expected mps, cuda, cpu or "
                "auto)");
    check_error("matrix: {watermark_fix: [on, maybe]}\n",
                "t.yaml:1:30: matrix.watermark_fix[1]: expected on or off (or true, false, yes, "
                "no), got 'maybe'");
    check_error("matrix: {batch_size: [1, -1]}\n",
                "t.yaml:1:26: matrix.batch_size[1]: must be a positive integer, got -1");
    check_error("matrix: {batch_size: [0]}\n",
                "t.yaml:1:23: matrix.batch_size[0]: must be a positive integer, got 0");
    check_error("matrix: {batch_size: 4097}\n",
                "t.yaml:1:22: matrix.batch_size: batch size 4097 is absurd (at most 4096)");
    check_error("matrix: {batch_size: eight}\n",
                "t.yaml:1:22: matrix.batch_size: expected a positive integer, got 'eight'");
    check_error("matrix: {precision: [fp64]}\n",
                "t.yaml:1:22: matrix.precision[0]: unknown precision 'fp64' (expected fp32, fp16 "
                "or bf16)");
    check_error("matrix: {exec: []}\n",
                "t.yaml:1:16: matrix.exec: empty list (give at least one value)");
    check_error("matrix: {device: ''}\n", "t.yaml:1:18: matrix.device: missing value");
    check_error("images: {sizes: [224x224, 12x]}\n",
                "t.yaml:1:27: images.sizes[1]: '12x' is not an image size WIDTHxHEIGHT such as "
                "1024x768");
    check_error("images: {sizes: [100000x10]}\n",
                "t.yaml:1:18: images.sizes[0]: image size 100000x10 is absurd (at most 32768 "
                "pixels a side)");
    check_error("images: {sizes: [0x10]}\n",
                "t.yaml:1:18: images.sizes[0]: image size 0x10 has a zero side");
    check_error("matrix: {env.lower-case: [a]}\n",
                "t.yaml:1:10: matrix.env.lower-case: not a valid environment variable name "
                "(letters, digits and '_', not starting with a digit)");
    check_error("matrix: {image_size: [224x224]}\nimages: {sizes: [64x64]}\n",
                "t.yaml:2:17: images.sizes: image sizes are already given by matrix.image_size "
                "(line 1)");
    check_error("run: {exec: persistent}\nmatrix: {exec: [persistent, fork_per_job]}\n",
                "t.yaml:2:16: matrix.exec: exec modes are already given by run.exec (line 1)");
    check_error("matrix: {exec: fork_per_job}\nrun: {exec: persistent}\n",
                "t.yaml:2:13: run.exec: exec modes are already given by matrix.exec (line 1)");
}

static void test_model_and_paths(void **state)
{
    (void)state;
    check_error("model: builtin:resnet101\n",
                "t.yaml:1:8: model: unknown builtin model 'resnet101' (expected builtin: "
                "followed by tiny, resnet18 or resnet50)");
    check_error("name: x\nmodel: nowhere/model.pt\n",
                "t.yaml:2:8: model: cannot use model file 'nowhere/model.pt' (" FIXTURES
                "/nowhere/model.pt: No such file or directory)");
    check_error("model: data\n",
                "t.yaml:1:8: model: model 'data' is not a regular file (" FIXTURES "/data)");
    check_error("images: {dir: no-photos}\n",
                "t.yaml:1:15: images.dir: cannot use 'no-photos' (" FIXTURES
                "/no-photos: No such file or directory)");
    check_error("images: {dir: full.yaml, sizes: [64x64]}\n",
                "t.yaml:1:15: images.dir: 'full.yaml' is not a folder (" FIXTURES "/full.yaml)");
    check_error("images: {dir: data/photos}\n",
                "t.yaml:1:15: images.dir: give images.sizes to group the photos by, or set "
                "images.group_by_size: false to take them as they are");
    check_error("images: {group_by_size: false}\n",
                "t.yaml:1:25: images.group_by_size: false needs images.dir (photos to take as "
                "they are)");
    check_error("images: {dir: data/photos, group_by_size: no, sizes: [64x64]}\n",
                "t.yaml:1:54: images.sizes: sizes cannot be chosen when images.group_by_size is "
                "false");

    mb_scenario *s = load_ok("model: " FIXTURES "/data/model.pt\n");
    assert_string_equal(s->model, FIXTURES "/data/model.pt");
    mb_scenario_free(s);

    mb_scenario *out = (mb_scenario *)1;
    mb_err err;
    assert_int_equal(mb_scenario_load("/nonexistent/x.yaml", &out, &err), MB_ESCENARIO);
    assert_null(out);
    assert_string_equal(err.msg,
                        "/nonexistent/x.yaml: (file): cannot read: No such file or directory");
}

static void test_yaml_errors(void **state)
{
    (void)state;
    check_error("matrix: {device: [cpu, mps}\n",
                "t.yaml:1:27: yaml: did not find expected ',' or ']' (while parsing a flow "
                "sequence at line 1, column 18)");
    check_error("run:\n  jobs: 3\n warmup_jobs: 1\n",
                "t.yaml:3:2: yaml: did not find expected key (while parsing a block mapping at "
                "line 1, column 1)");
    check_error("name: \"unterminated\n",
                "t.yaml:2:1: yaml: found unexpected end of stream (while scanning a quoted "
                "scalar at line 1, column 7)");
    check_error("name: \xff\n",
                "t.yaml:1:7: yaml: invalid leading UTF-8 octet");
    check_error("a: 1\n---\nb: 2\n", "t.yaml:2:1: yaml: a second document (a scenario file "
                                     "holds one)");

    /* Nesting is refused at the first level past the limit; the root
     * mapping is the first level, so that is the 32nd bracket. */
    char deep[200];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "name: ");
    for (int i = 0; i < 40; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    check_error(deep, "t.yaml:1:38: yaml: nested deeper than 32 levels");
}

static void test_override_errors(void **state)
{
    (void)state;
    check_error("overrides:\n  - expect: {oom: allowed}\n",
                "t.yaml:2:5: overrides[0]: missing 'when' (the axis values the override applies "
                "to)");
    check_error("overrides:\n  - when: {}\n    expect: {oom: allowed}\n",
                "t.yaml:2:11: overrides[0].when: empty (name at least one axis value)");
    check_error("overrides:\n  - when: {device: auto}\n",
                "t.yaml:2:5: overrides[0]: changes nothing (give expect.oom or "
                "expect.regression)");
    check_error("overrides:\n  - when: {device: auto}\n    expect: {}\n",
                "t.yaml:3:13: overrides[0]: changes nothing (give expect.oom or "
                "expect.regression)");
    check_error("overrides:\n  - when: {precision: fp16}\n    expect: {oom: allowed}\n",
                "t.yaml:2:12: overrides[0].when.precision: this scenario has no 'precision' axis "
                "(axes: device, watermark_fix, image_size, batch_size)");
    check_error("overrides:\n  - when: {colour: red}\n    expect: {oom: allowed}\n",
                "t.yaml:2:12: overrides[0].when.colour: 'colour' is not a matrix axis (axes: "
                "device, watermark_fix, image_size, batch_size)");
    check_error("matrix: {batch_size: [1, 8]}\n"
                "overrides:\n  - when: {batch_size: 16}\n    expect: {oom: allowed}\n",
                "t.yaml:3:24: overrides[0].when.batch_size: '16' is not a value of matrix axis "
                "'batch_size' (values: 1, 8)");
    check_error("overrides:\n  - when: {device: [auto]}\n    expect: {oom: allowed}\n",
                "t.yaml:2:20: overrides[0].when.device: expected a scalar, found a list");
    check_error("overrides:\n  - when: {device: auto}\n    expect: {oom: maybe}\n",
                "t.yaml:3:19: overrides[0].expect.oom: unknown oom expectation 'maybe' "
                "(expected never, allowed or expected)");
    check_error("overrides: [3]\n", "t.yaml:1:13: overrides[0]: expected a mapping, found a scalar");

    /* Overlap: both can match a cell and both set the same field. */
    check_error("matrix: {device: [mps, cpu], batch_size: [1, 8]}\n"
                "overrides:\n"
                "  - when: {device: mps}\n"
                "    expect: {regression: 10%}\n"
                "  - when: {batch_size: 8}\n"
                "    expect: {regression: 20%}\n",
                "t.yaml:5:5: overrides[1]: overlaps overrides[0] (line 3): a cell can match both "
                "and both set expect.regression");
    /* Overrides are matched after normalisation: "no" is "off". */
    check_error("matrix: {watermark_fix: [on, off]}\n"
                "overrides:\n"
                "  - when: {watermark_fix: off}\n"
                "    expect: {oom: allowed}\n"
                "  - when: {watermark_fix: \"no\"}\n"
                "    expect: {oom: expected}\n",
                "t.yaml:5:5: overrides[1]: overlaps overrides[0] (line 3): a cell can match both "
                "and both set expect.oom");
}

static void test_overrides_that_do_not_overlap(void **state)
{
    (void)state;
    /* Disjoint `when`s, or the same cells but different fields, are fine. */
    mb_scenario *s = load_ok("matrix: {device: [mps, cpu], watermark_fix: [on, off]}\n"
                             "overrides:\n"
                             "  - when: {device: mps, watermark_fix: off}\n"
                             "    expect: {oom: allowed}\n"
                             "  - when: {device: cpu, watermark_fix: off}\n"
                             "    expect: {oom: expected}\n"
                             "  - when: {watermark_fix: off}\n"
                             "    expect: {regression: 50%}\n");
    mb_cell *cells;
    size_t n;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 4);
    /* device outermost, then fix: mps/on, mps/off, cpu/on, cpu/off. */
    assert_string_equal(cells[0].name, "embed/device:mps/fix:on/image:224x224/batch:16");
    assert_int_equal(cells[0].expect.oom, MB_OOM_NEVER);
    assert_float_equal(cells[0].expect.regression, 0.05, 1e-12);
    assert_string_equal(cells[1].name, "embed/device:mps/fix:off/image:224x224/batch:16");
    assert_int_equal(cells[1].expect.oom, MB_OOM_ALLOWED);
    assert_float_equal(cells[1].expect.regression, 0.5, 1e-12);
    assert_int_equal(cells[2].expect.oom, MB_OOM_NEVER);
    assert_int_equal(cells[3].expect.oom, MB_OOM_EXPECTED);
    assert_float_equal(cells[3].expect.regression, 0.5, 1e-12);
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

static void test_expand_order(void **state)
{
    (void)state;
    mb_scenario *s = load_ok("matrix:\n"
                             "  batch_size: [1, 8]\n"
                             "  device: [cpu, mps]\n"
                             "  watermark_fix: [on, off]\n"
                             "  image_size: [224x224, 640x480]\n");
    assert_string_equal(s->axes[0].name, "device");
    assert_string_equal(s->axes[1].name, "watermark_fix");
    assert_string_equal(s->axes[2].name, "image_size");
    assert_string_equal(s->axes[3].name, "batch_size");
    mb_cell *cells;
    size_t n;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 16);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(cells[k].index, k);
    assert_string_equal(cells[0].name, "embed/device:cpu/fix:on/image:224x224/batch:1");
    assert_string_equal(cells[1].name, "embed/device:cpu/fix:on/image:224x224/batch:8");
    assert_string_equal(cells[2].name, "embed/device:cpu/fix:on/image:640x480/batch:1");
    assert_string_equal(cells[4].name, "embed/device:cpu/fix:off/image:224x224/batch:1");
    assert_string_equal(cells[8].name, "embed/device:mps/fix:on/image:224x224/batch:1");
    assert_string_equal(cells[15].name, "embed/device:mps/fix:off/image:640x480/batch:8");
    assert_string_equal(cells[15].device, "mps");
    assert_false(cells[15].watermark_fix);
    assert_int_equal(cells[15].image_width, 640);
    assert_int_equal(cells[15].image_height, 480);
    assert_int_equal(cells[15].batch_size, 8);
    assert_string_equal(cells[15].values[0], "mps");
    assert_string_equal(cells[15].values[1], "off");
    assert_string_equal(cells[15].values[2], "640x480");
    assert_string_equal(cells[15].values[3], "8");
    mb_cells_free(cells, n);
    mb_scenario_free(s);
}

/* worker: the kind is a one-value axis (or matrix.worker), outermost and
 * part of the worker key; the RQ settings have defaults that start a stock
 * `rq worker` on the reference job function. */
static void test_worker_kind(void **state)
{
    (void)state;
    mb_scenario *s = load_ok("matrix: {device: [cpu], batch_size: [1]}\n");
    assert_null(mb_scenario_axis(s, "worker"));
    assert_string_equal(s->worker.function, "embed_job.embed");
    assert_string_equal(s->worker.queue, "mpsbench");
    assert_int_equal(s->worker.n_command, 11);
    assert_string_equal(s->worker.command[0], "rq");
    assert_string_equal(s->worker.command[9], "rq.serializers.JSONSerializer");
    assert_string_equal(s->worker.command[10], "{queue}");
    mb_cell *cells;
    size_t n;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(cells[0].worker_kind, MB_WORKER_NATIVE);
    assert_null(strstr(cells[0].worker_key, "worker="));
    mb_cells_free(cells, n);
    mb_scenario_free(s);

    s = load_ok("worker: {kind: rq, function: pkg.jobs.embed, queue: embed-q,\n"
                "         command: [bin/rq, worker, -u, '{redis}', -w, '{class}', '{queue}'],\n"
                "         pythonpath: [data]}\n"
                "matrix: {device: [cpu], exec: [persistent, fork_per_job]}\n");
    assert_string_equal(s->axes[0].name, "worker");
    assert_string_equal(s->worker.function, "pkg.jobs.embed");
    assert_string_equal(s->worker.queue, "embed-q");
    assert_string_equal(s->worker.command[0], FIXTURES "/bin/rq");
    assert_string_equal(s->worker.command[3], "{redis}");
    assert_int_equal(s->worker.n_pythonpath, 1);
    assert_string_equal(s->worker.pythonpath[0], FIXTURES "/data");
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cells[0].worker_kind, MB_WORKER_RQ);
    assert_string_equal(cells[0].name, "embed/worker:rq/device:cpu/fix:on/exec:persistent/"
                                       "image:224x224/batch:16");
    assert_int_equal(strncmp(cells[0].worker_key, "worker=rq;device=cpu;", 21), 0);
    assert_string_not_equal(cells[0].worker_key, cells[1].worker_key);
    mb_cells_free(cells, n);
    mb_scenario_free(s);

    /* Both kinds side by side: every native cell, then every RQ cell. */
    s = load_ok("matrix: {batch_size: [1, 2], worker: [native, rq], device: [cpu]}\n");
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(cells[1].worker_kind, MB_WORKER_NATIVE);
    assert_int_equal(cells[2].worker_kind, MB_WORKER_RQ);
    assert_string_equal(cells[0].worker_key, cells[1].worker_key);
    assert_string_not_equal(cells[1].worker_key, cells[2].worker_key);
    mb_cells_free(cells, n);
    mb_scenario_free(s);

    check_error("worker: {kind: [native, rq]}\n",
                "t.yaml:1:16: worker.kind: expected a scalar, found a list (a list of worker "
                "kinds belongs in matrix.worker)");
    check_error("worker: {kind: python}\n",
                "t.yaml:1:16: worker.kind: unknown worker kind 'python' (expected native or rq)");
    check_error("worker: {kind: rq}\nmatrix: {worker: [native, rq]}\n",
                "t.yaml:2:18: matrix.worker: worker kinds are already given by worker.kind "
                "(line 1)");
    check_error("worker: {knd: rq}\n",
                "t.yaml:1:10: worker.knd: unknown key 'knd' (did you mean 'kind'?)");
    check_error("worker: {command: rq worker}\n",
                "t.yaml:1:19: worker.command: expected a list of arguments (no shell is used), "
                "found a scalar");
    check_error("worker: {command: [rq, worker, '{redis}']}\n",
                "t.yaml:1:19: worker.command: must contain {queue} (the harness fills in the "
                "Redis URL and the queue)");
    check_error("worker: {command: [rq, '{redis}', '{queue}', '{qeue}']}\n",
                "t.yaml:1:46: worker.command[3]: unknown placeholder in '{qeue}' (expected "
                "{redis}, {queue}, {name} or {class})");
    check_error("worker: {function: embed}\n",
                "t.yaml:1:20: worker.function: 'embed' is not a dotted path such as "
                "module.function");
    check_error("worker: {queue: 'a*b'}\n",
                "t.yaml:1:17: worker.queue: 'a*b' may use only letters, digits, '-', '_' "
                "and '.'");
    check_error("worker: {pythonpath: [nowhere]}\n",
                "t.yaml:1:23: worker.pythonpath[0]: cannot use 'nowhere' (" FIXTURES
                "/nowhere: No such file or directory)");
}

static void test_worker_key(void **state)
{
    (void)state;
    mb_scenario *s = load_ok("matrix:\n"
                             "  device: [cpu, cuda]\n"
                             "  precision: [fp32, fp16]\n"
                             "  env.PYTORCH_MPS_HIGH_WATERMARK_RATIO: ['0.0', 'a;b/c']\n"
                             "  image_size: [64x64, 128x128]\n"
                             "  batch_size: [1, 2, 4]\n"
                             "run: {threads: 1, memory_limit: 1GiB}\n");
    mb_cell *cells;
    size_t n;
    mb_err err;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2 * 2 * 2 * 2 * 3);
    /* Image and batch sizes vary fastest, so each worker's cells are
     * contiguous: 8 workers, 6 cells each. */
    size_t workers = 1;
    for (size_t k = 1; k < n; k++) {
        int same_group = k % 6 != 0;
        if (same_group)
            assert_string_equal(cells[k].worker_key, cells[k - 1].worker_key);
        else
            workers++;
        if (!same_group)
            assert_string_not_equal(cells[k].worker_key, cells[k - 1].worker_key);
    }
    assert_int_equal(workers, 8);
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < k; j++)
            if (k / 6 != j / 6)
                assert_string_not_equal(cells[k].worker_key, cells[j].worker_key);
    assert_string_equal(cells[0].worker_key,
                        "device=cpu;fix=on;exec=persistent;precision=fp32;"
                        "env.PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0;threads=1;"
                        "decode_threads=0;memory_limit=1073741824;on_oom=continue");
    /* Separators inside values are escaped in names and keys alike. */
    assert_string_equal(cells[6].name,
                        "embed/device:cpu/fix:on/precision:fp32/"
                        "env.PYTORCH_MPS_HIGH_WATERMARK_RATIO:a%3Bb%2Fc/image:64x64/batch:1");
    assert_string_equal(cells[6].worker_key,
                        "device=cpu;fix=on;exec=persistent;precision=fp32;"
                        "env.PYTORCH_MPS_HIGH_WATERMARK_RATIO=a%3Bb%2Fc;threads=1;"
                        "decode_threads=0;memory_limit=1073741824;on_oom=continue");
    assert_string_equal(cells[6].env[0].value, "a;b/c");
    assert_string_equal(cells[12].precision, "fp16");
    mb_cells_free(cells, n);
    mb_scenario_free(s);

    /* Different threads, memory limit or on_oom mean different workers. */
    const char *variants[] = {
        "run: {threads: 1}\n", "run: {threads: 2}\n", "run: {memory_limit: 1GiB}\n",
        "run: {on_oom: exit}\n", "run: {exec: fork_per_job}\n",
    };
    char *keys[5];
    for (size_t v = 0; v < 5; v++) {
        s = load_ok(variants[v]);
        assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
        keys[v] = mb_strdup(cells[0].worker_key);
        mb_cells_free(cells, n);
        mb_scenario_free(s);
    }
    for (size_t a = 0; a < 5; a++) {
        for (size_t b = 0; b < a; b++)
            assert_string_not_equal(keys[a], keys[b]);
    }
    for (size_t a = 0; a < 5; a++)
        free(keys[a]);
}

static void test_cell_limit(void **state)
{
    (void)state;
    /* 400 sizes x 300 batch sizes is more cells than any run can hold. */
    size_t cap = 64 * 1024, len = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    len += (size_t)snprintf(yaml + len, cap - len, "matrix:\n  image_size: [");
    for (int i = 1; i <= 400; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "%s%dx%d", i > 1 ? ", " : "", i, i);
    len += (size_t)snprintf(yaml + len, cap - len, "]\n  batch_size: [");
    for (int i = 1; i <= 300; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "%s%d", i > 1 ? ", " : "", i);
    snprintf(yaml + len, cap - len, "]\n");
    check_error(yaml, "t.yaml:2:3: matrix: more than 100000 cells");
    free(yaml);

    /* The limit holds for lists given on the command line too. */
    mb_scenario *s = load_ok("matrix: {batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n");
    char csv[16384];
    size_t k = 0;
    for (int i = 1; i <= 1000 && k < sizeof csv - 16; i++)
        k += (size_t)snprintf(csv + k, sizeof csv - k, "%s%dx1", i > 1 ? "," : "", i);
    mb_err err;
    assert_int_equal(mb_scenario_set_axis(s, "image_size", csv, &err), 0);
    assert_int_equal(mb_scenario_set_axis(s, "env.A", csv, &err), MB_ESCENARIO);
    assert_string_equal(err.msg,
                        "command line: --env.A: the matrix would have more than 100000 cells");
    assert_null(mb_scenario_axis(s, "env.A"));
    mb_scenario_free(s);
}

static void test_set_axis(void **state)
{
    (void)state;
    mb_scenario *s = load_ok("matrix:\n  device: [mps]\n  batch_size: [1, 2]\n"
                             "overrides:\n  - when: {device: mps}\n    expect: {oom: allowed}\n");
    mb_err err;
    assert_int_equal(mb_scenario_set_axis(s, "device", " cuda, CPU ", &err), 0);
    const mb_axis *a = mb_scenario_axis(s, "device");
    assert_int_equal(a->n_values, 2);
    assert_string_equal(a->values[0], "cuda");
    assert_string_equal(a->values[1], "cpu");
    assert_int_equal(a->pos.line, 0);
    assert_int_equal(a->value_pos[1].line, 0);
    assert_int_equal(a->value_pos[1].column, 0);
    assert_string_equal(s->axes[0].name, "device");

    /* A new axis lands in canonical order, before image_size and batch_size. */
    assert_int_equal(mb_scenario_set_axis(s, "exec", "fork_per_job", &err), 0);
    assert_int_equal(mb_scenario_set_axis(s, "env.FORCE_CPU", "1,0", &err), 0);
    assert_int_equal(mb_scenario_set_axis(s, "precision", "fp16", &err), 0);
    static const char *const order[] = {"device", "watermark_fix", "exec", "precision",
                                        "env.FORCE_CPU", "image_size", "batch_size"};
    assert_int_equal(s->n_axes, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(s->axes[i].name, order[i]);

    mb_cell *cells;
    size_t n;
    assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
    assert_int_equal(n, 2 * 2 * 2);
    assert_string_equal(cells[0].name, "embed/device:cuda/fix:on/exec:fork_per_job/"
                                       "precision:fp16/env.FORCE_CPU:1/image:224x224/batch:1");
    assert_int_equal(cells[0].run.exec, MB_EXEC_FORK_PER_JOB);
    /* The mps override no longer matches any cell. */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(cells[k].expect.oom, MB_OOM_NEVER);
    mb_cells_free(cells, n);

    /* Errors leave the scenario as it was. */
    assert_int_equal(mb_scenario_set_axis(s, "device", "cuda,gpu", &err), MB_ESCENARIO);
    assert_string_equal(err.msg, "command line: --device: unknown device 'gpu' (expected mps, "
                                 "cuda, cpu or auto)");
    assert_int_equal(mb_scenario_axis(s, "device")->n_values, 2);
    assert_int_equal(mb_scenario_set_axis(s, "batch_size", "1,,2", &err), MB_ESCENARIO);
    assert_string_equal(err.msg, "command line: --batch-size: empty value in '1,,2'");
    assert_int_equal(mb_scenario_set_axis(s, "batch_size", "", &err), MB_ESCENARIO);
    assert_string_equal(err.msg, "command line: --batch-size: empty value in ''");
    assert_int_equal(mb_scenario_set_axis(s, "batch_size", "8,08", &err), MB_ESCENARIO);
    assert_string_equal(err.msg, "command line: --batch-size: duplicate value '08'");
    assert_int_equal(mb_scenario_set_axis(s, "batch_size", "9999", &err), MB_ESCENARIO);
    assert_string_equal(err.msg,
                        "command line: --batch-size: batch size 9999 is absurd (at most 4096)");
    assert_int_equal(mb_scenario_set_axis(s, "devic", "cpu", &err), MB_ESCENARIO);
    assert_string_equal(err.msg,
                        "command line: --devic: unknown matrix axis 'devic' (did you mean "
                        "'device'?)");
    assert_int_equal(mb_scenario_set_axis(s, "env.9", "x", &err), MB_ESCENARIO);
    assert_string_equal(err.msg,
                        "command line: --env.9: not a valid environment variable name "
                        "(letters, digits and '_', not starting with a digit)");
    assert_int_equal(mb_scenario_axis(s, "batch_size")->n_values, 2);
    assert_int_equal(s->n_axes, 7);
    mb_scenario_free(s);
}

static void test_did_you_mean(void **state)
{
    (void)state;
    static const char *const words[] = {"jobs", "warmup_jobs", "repetitions", "timeout"};
    assert_int_equal(mb__edit_distance("kitten", "sitting"), 3);
    assert_int_equal(mb__edit_distance("", "abc"), 3);
    assert_int_equal(mb__edit_distance("same", "same"), 0);
    assert_string_equal(mb__did_you_mean("repetiton", words, 4), "repetitions");
    assert_string_equal(mb__did_you_mean("job", words, 4), "jobs");
    assert_string_equal(mb__did_you_mean("timeuot", words, 4), "timeout");
    assert_null(mb__did_you_mean("colour", words, 4));
    assert_null(mb__did_you_mean("", words, 4));
}

/* The scenario files the project ships must always load. */
static void test_shipped_scenarios(void **state)
{
    (void)state;
    static const struct { const char *file; size_t cells; } shipped[] = {
        {"default.yaml", 9}, {"smoke.yaml", 4}, {"gpu-vs-cpu.yaml", 24},
        {"watermark-sweep.yaml", 96}, {"gpu-rq.yaml", 1}, {"gpu-rq-12mp.yaml", 2},
    };
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char *path = mb_asprintf("%s/scenarios/%s", MB_SOURCE_DIR, shipped[i].file);
        mb_scenario *s = NULL;
        mb_err err;
        if (mb_scenario_load(path, &s, &err) != 0)
            fail_msg("%s", err.msg);
        mb_cell *cells;
        size_t n;
        assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
        assert_int_equal(n, shipped[i].cells);
        if (strcmp(shipped[i].file, "watermark-sweep.yaml") == 0) {
            for (size_t k = 0; k < n; k++) {
                int mps_unfixed = strcmp(cells[k].device, "mps") == 0 && !cells[k].watermark_fix;
                assert_int_equal(cells[k].expect.oom,
                                 mps_unfixed ? MB_OOM_ALLOWED : MB_OOM_NEVER);
            }
        }
        mb_cells_free(cells, n);
        mb_scenario_free(s);
        free(path);
    }
}

/* Every prefix of a good file either loads or fails with a positioned
 * message, and never leaks or crashes: a small stand-in for the fuzzer. */
static void test_truncations(void **state)
{
    (void)state;
    size_t len;
    char *text = mb_read_file(FIXTURES "/full.yaml", &len, NULL);
    assert_non_null(text);
    for (size_t cut = 0; cut <= len; cut++) {
        mb_scenario *s = NULL;
        mb_err err;
        int rc = mb_scenario_load_string(text, cut, "cut.yaml", FIXTURES, &s, &err);
        if (rc == 0) {
            mb_cell *cells;
            size_t n;
            assert_int_equal(mb_matrix_expand(s, &cells, &n, &err), 0);
            mb_cells_free(cells, n);
            mb_scenario_free(s);
        } else {
            assert_int_equal(rc, MB_ESCENARIO);
            assert_true(strncmp(err.msg, "cut.yaml:", 9) == 0);
        }
    }
    /* Flipping single bytes exercises the error paths in the middle. */
    char *copy = mb_strndup(text, len);
    static const char flips[] = {'[', ']', '{', ':', '-', '\t', '"', '&', '*', 'x', '\n'};
    for (size_t at = 0; at < len; at += 3) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, text, len);
            copy[at] = flips[f];
            mb_scenario *s = NULL;
            mb_err err;
            if (mb_scenario_load_string(copy, len, "flip.yaml", FIXTURES, &s, &err) == 0)
                mb_scenario_free(s);
            else
                assert_true(strncmp(err.msg, "flip.yaml:", 10) == 0);
        }
    }
    free(copy);
    free(text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_fixture),
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_fault_and_search),
    cmocka_unit_test(test_scalars_and_spellings),
    cmocka_unit_test(test_photos_as_is),
    cmocka_unit_test(test_bad_fixtures),
    cmocka_unit_test(test_type_errors),
    cmocka_unit_test(test_unknown_keys),
    cmocka_unit_test(test_duplicates),
    cmocka_unit_test(test_value_errors),
    cmocka_unit_test(test_axis_errors),
    cmocka_unit_test(test_model_and_paths),
    cmocka_unit_test(test_yaml_errors),
    cmocka_unit_test(test_override_errors),
    cmocka_unit_test(test_overrides_that_do_not_overlap),
    cmocka_unit_test(test_expand_order),
    cmocka_unit_test(test_worker_key),
    cmocka_unit_test(test_worker_kind),
    cmocka_unit_test(test_cell_limit),
    cmocka_unit_test(test_set_axis),
    cmocka_unit_test(test_did_you_mean),
    cmocka_unit_test(test_shipped_scenarios),
    cmocka_unit_test(test_truncations),
};

MB_TEST_MAIN("scenario", tests, NULL, NULL)

/* Charts from the committed fixture runs under fixtures/plot/: a GPU+CPU run
 * with OOM cells, the watermark fix on and off and the seed's options, a
 * baseline results.json, and a CPU-only run.  Every chart kind must render
 * (gnuplot exits 0, SVG and PNG are real files) from data files holding the
 * expected series; a missing gnuplot must fail cleanly with exit code 3.
 * Without gnuplot on this machine the rendering tests skip visibly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_test_files.h"
#include "mb_test_main.h"
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mb_exit.h"
#include "mb_util.h"
#include "plot.h"
#include "plot_private.h"

#define FIXTURES MB_SOURCE_DIR "/fixtures/plot"
#define REFERENCE MB_SOURCE_DIR "/results/reference"
#define NO_EFFECT MB__PLOT_FIX_NO_EFFECT

extern char **environ;

typedef struct state {
    char dir[64];       /* a fresh temporary folder per test */
    char *charts;       /* dir/charts */
} state;

static int setup(void **st)
{
    state *s = mb_calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/mb-plot-test-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    s->charts = mb_asprintf("%s/charts", s->dir);
    unsetenv("MPSBENCH_GNUPLOT");
    *st = s;
    return 0;
}

static int teardown(void **st)
{
    state *s = *st;
    mb_remove_tree(s->dir);
    free(s->charts);
    free(s);
    unsetenv("MPSBENCH_GNUPLOT");
    return 0;
}

static void need_gnuplot(void)
{
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
}

static char *read_chart_file(const state *s, const char *file)
{
    char *path = mb_asprintf("%s/%s", s->charts, file);
    char *text = mb_read_file(path, NULL, NULL);
    if (text == NULL)
        fail_msg("%s was not written", path);
    free(path);
    return text;
}

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    char *text = mb_read_file(from, &len, NULL);
    assert_non_null(text);
    assert_int_equal(mb_write_file_atomic(to, text, len, NULL), 0);
    free(text);
}

/* The SVG is a whole document and the PNG has its signature. */
static void assert_rendered(const state *s, const char *name)
{
    char *svg_path = mb_asprintf("%s/%s.svg", s->charts, name);
    size_t len = 0;
    char *svg = mb_read_file(svg_path, &len, NULL);
    if (svg == NULL)
        fail_msg("%s missing", svg_path);
    assert_true(len > 200);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    free(svg_path);
    char *png_path = mb_asprintf("%s/%s.png", s->charts, name);
    char *png = mb_read_file(png_path, &len, NULL);
    if (png == NULL)
        fail_msg("%s missing", png_path);
    assert_true(len > 1000);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
    free(png_path);
    /* The script must work from the charts folder: no absolute paths. */
    char *gp_name = mb_asprintf("%s.gp", name);
    char *gp = read_chart_file(s, gp_name);
    assert_null(strstr(gp, s->charts));
    char *dat_ref = mb_asprintf("'%s.dat'", name);
    assert_non_null(strstr(gp, dat_ref));
    free(dat_ref);
    free(gp);
    free(gp_name);
}

/* The rows of the data block that follows "# series: TITLE". */
static int block_rows(const char *dat, const char *title)
{
    char *header = mb_asprintf("# series: %s\n", title);
    const char *p = strstr(dat, header);
    free(header);
    if (p == NULL)
        return -1;
    p = strchr(p, '\n') + 1;
    int rows = 0;
    while (*p && *p != '\n') {
        if (*p != '#')
            rows++;
        p = strchr(p, '\n');
        if (p == NULL)
            break;
        p++;
    }
    return rows;
}

static const mb_plot_chart *chart(const mb_plot_report *rep, const char *name)
{
    for (size_t i = 0; i < rep->n_charts; i++)
        if (strcmp(rep->charts[i].name, name) == 0)
            return &rep->charts[i];
    fail_msg("no chart %s in the report", name);
    return NULL;
}

static void test_gpu_run_every_chart(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_plot_options opt = {.out_dir = s->charts, .baseline = FIXTURES "/baseline.json"};
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(FIXTURES "/gpu", &opt, &rep, &err);
    if (rc != 0)
        fail_msg("mb_plot_run_dir: %s", err.msg);
    assert_int_equal(rep.n_charts, 8);
    assert_int_equal(rep.n_made, 8);
    for (size_t i = 0; i < rep.n_charts; i++)
        assert_rendered(s, rep.charts[i].name);

    char *dat = read_chart_file(s, "throughput.dat");
    assert_int_equal(block_rows(dat, "cpu, fix on" NO_EFFECT ", cleanup off, image 224x224"), 2);
    assert_int_equal(block_rows(dat, "mps, fix off, cleanup off, image 224x224"), 2);
    /* 1024x768 at batch 16 without the fix ran out of memory on every job:
     * only batch 8 has a throughput, and the cleanup variant has none. */
    assert_int_equal(block_rows(dat, "mps, fix off, cleanup off, image 1024x768"), 1);
    assert_int_equal(block_rows(dat, "mps, fix off, cleanup on, image 1024x768"), -1);
    free(dat);

    dat = read_chart_file(s, "speedup.dat");
    assert_int_equal(block_rows(dat, "mps, fix on, cleanup off, image 224x224"), 2);
    assert_int_equal(mb_test_count(dat, "# series: cpu"), 0);
    free(dat);

    dat = read_chart_file(s, "memory.dat");
    assert_int_equal(block_rows(dat, "OOM, image 1024x768"), 3);
    assert_int_equal(block_rows(dat, "OOM, image 224x224"), -1);
    assert_int_equal(block_rows(dat, "cpu, fix on" NO_EFFECT ", cleanup off, image 1024x768"), 2);
    char *gp = read_chart_file(s, "memory.gp");
    assert_non_null(strstr(gp, "memory cap 8 GiB"));
    free(gp);
    free(dat);

    /* Five configurations, four image and batch sizes: one square each.
     * 1024x768 b16 without the fix ran out of memory with cleanup off and
     * on: two squares of 9/9, never one pooled 18/18. */
    dat = read_chart_file(s, "oom-matrix.dat");
    assert_int_equal(block_rows(dat, "configurations"), 5 * 4);
    assert_int_equal(mb_test_count(dat, "\"OOM 9/9\" 16 1024x768"), 2);
    assert_null(strstr(dat, "18/18"));
    assert_non_null(strstr(dat, "\"skipped\""));
    free(dat);

    dat = read_chart_file(s, "baseline.dat");
    assert_int_equal(block_rows(dat, "slower beyond the threshold"), 1);
    assert_int_equal(block_rows(dat, "faster beyond the threshold"), 1);
    assert_non_null(strstr(dat, "\"mps 224x224 b16, fix on, cleanup off\""));
    free(dat);

    dat = read_chart_file(s, "stages.dat");
    assert_int_equal(block_rows(dat, "image 224x224"), 7);
    assert_int_equal(block_rows(dat, "image 1024x768"), 5);
    free(dat);

    dat = read_chart_file(s, "latency.dat");
    assert_int_equal(block_rows(dat, "quartiles, image 224x224")
                         + block_rows(dat, "quartiles, image 1024x768"),
                     12);
    assert_int_equal(block_rows(dat, "jobs, image 224x224")
                         + block_rows(dat, "jobs, image 1024x768"),
                     12 * 9 - 4);
    free(dat);

    dat = read_chart_file(s, "seed-options.dat");
    assert_int_equal(block_rows(dat, "image 224x224"), 5);
    assert_int_equal(block_rows(dat, "image 1024x768"), 5);
    free(dat);
    char *md = read_chart_file(s, "seed-options.md");
    assert_non_null(strstr(md, "| 224x224 | 2: FORCE_CPU=true |"));
    assert_non_null(strstr(md, "| 224x224 | 4: cleanup every 10 |"));
    assert_non_null(strstr(md, "| 1024x768 | no fix (reference, batch 16) |"));
    assert_non_null(strstr(md, "9/9 | OOM"));
    free(md);

    char *index = read_chart_file(s, "index.md");
    assert_int_equal(mb_test_count(index, "!["), 8);
    assert_null(strstr(index, "Not drawn"));
    free(index);
    mb_plot_report_free(&rep);
}

static void test_cpu_only_run(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_plot_options opt = {.out_dir = s->charts};
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(FIXTURES "/cpu/run.json", &opt, &rep, &err);
    if (rc != 0)
        fail_msg("mb_plot_run_dir: %s", err.msg);
    static const char *const made[] = {"throughput", "memory", "oom-matrix", "stages", "latency"};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) {
        assert_true(chart(&rep, made[i])->made);
        assert_rendered(s, made[i]);
    }
    assert_int_equal(rep.n_made, 5);
    const mb_plot_chart *c = chart(&rep, "speedup");
    assert_false(c->made);
    assert_non_null(strstr(c->reason, "no GPU cell"));
    assert_non_null(strstr(chart(&rep, "baseline")->reason, "no baseline"));
    assert_non_null(strstr(chart(&rep, "seed-options")->reason, "no \"no fix\" reference"));
    char *index = read_chart_file(s, "index.md");
    assert_non_null(strstr(index, "## Not drawn"));
    assert_non_null(strstr(index, "GPU vs CPU: no GPU cell"));
    free(index);
    char *dat = read_chart_file(s, "throughput.dat");
    assert_int_equal(mb_test_count(dat, "# series: cpu, image "), 2);
    free(dat);
    /* No GPU figures, so nothing of the seed's table either. */
    char *md = mb_asprintf("%s/seed-options.md", s->charts);
    assert_int_equal(access(md, F_OK), -1);
    free(md);
    mb_plot_report_free(&rep);
}

/* seed-options.yaml on a machine without a GPU, with the MPS accounting
 * fault emulated: the reference is the CPU cell without the fix, and the
 * seed's table is recomputed from it (the no-fix, batch-8 and cleanup cells
 * ran out of memory; the fix and FORCE_CPU ran). */
static void test_cpu_seed_options(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_plot_options opt = {.out_dir = s->charts};
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(FIXTURES "/cpu-seed/run.json", &opt, &rep, &err);
    if (rc != 0)
        fail_msg("mb_plot_run_dir: %s", err.msg);
    assert_true(chart(&rep, "seed-options")->made);
    assert_rendered(s, "seed-options");
    char *md = read_chart_file(s, "seed-options.md");
    static const char *const rows[] = {
        "| no fix (reference, batch 16) |", "| 1: PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0 |",
        "| 2: FORCE_CPU=true |", "| 3: GPU_BATCH_SIZE=8 |", "| 4: cleanup every 10 |",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strstr(md, rows[i]) == NULL)
            fail_msg("seed-options.md lacks %s", rows[i]);
    const char *fix = strstr(md, "| 1: PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0 |");
    assert_non_null(strstr(fix, "| ok |"));
    const char *batch8 = strstr(md, "| 3: GPU_BATCH_SIZE=8 |");
    assert_non_null(strstr(batch8, "MPS backend out of memory"));
    free(md);
    mb_plot_report_free(&rep);
}

/* A frontier search (oom-frontier.yaml on an H100 under a 1 GiB CUDA cap):
 * every probe becomes a point of the memory chart, what fitted on the line
 * and what ran out of memory as crosses at the cap. */
static void test_frontier_probes(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_plot_options opt = {.out_dir = s->charts};
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(FIXTURES "/frontier/run.json", &opt, &rep, &err);
    if (rc != 0)
        fail_msg("mb_plot_run_dir: %s", err.msg);
    assert_true(chart(&rep, "memory")->made);
    char *dat = read_chart_file(s, "memory.dat");
    /* 224x224: probes 1..128 fitted up to 107; 108, 112 and 128 did not. */
    const char *panel = strstr(dat, "# series: cuda, image 224x224");
    assert_non_null(panel);
    assert_non_null(strstr(panel, "\n107 "));
    const char *ooms = strstr(dat, "# series: OOM, image 224x224");
    assert_non_null(ooms);
    assert_non_null(strstr(ooms, "\n108 1024\n"));
    /* A batch that ran out of memory is not on the line. */
    const char *end = strstr(panel, "\n\n");
    const char *on_line = strstr(panel, "\n108 ");
    assert_true(on_line == NULL || on_line > end);
    free(dat);
    mb_plot_report_free(&rep);
}

static void test_results_json_alone(void **st)
{
    state *s = *st;
    need_gnuplot();
    char *copy = mb_asprintf("%s/results.json", s->dir);
    copy_file(FIXTURES "/gpu/results.json", copy);
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(copy, NULL, &rep, &err);
    if (rc != 0)
        fail_msg("mb_plot_run_dir: %s", err.msg);
    assert_string_equal(rep.out_dir, s->charts);
    assert_true(chart(&rep, "throughput")->made);
    assert_true(chart(&rep, "speedup")->made);
    assert_true(chart(&rep, "stages")->made);
    assert_false(chart(&rep, "latency")->made);
    assert_non_null(strstr(chart(&rep, "latency")->reason, "run.json"));
    char *dat = read_chart_file(s, "throughput.dat");
    assert_int_equal(block_rows(dat, "cpu, fix on" NO_EFFECT ", cleanup off, image 224x224"), 2);
    free(dat);
    free(copy);
    mb_plot_report_free(&rep);
}

static void test_svg_only(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_plot_options opt = {.out_dir = s->charts, .formats = MB_PLOT_SVG};
    mb_err err = {0};
    assert_int_equal(mb_plot_run_dir(FIXTURES "/cpu", &opt, NULL, &err), 0);
    char *svg = mb_asprintf("%s/throughput.svg", s->charts);
    char *png = mb_asprintf("%s/throughput.png", s->charts);
    assert_int_equal(access(svg, F_OK), 0);
    assert_int_equal(access(png, F_OK), -1);
    free(svg);
    free(png);
}

/* A copy of the CPU run in the test's folder, so that "untouched" can be
 * checked byte for byte. */
static void copy_cpu_run(const state *s)
{
    char *run = mb_asprintf("%s/run.json", s->dir), *res = mb_asprintf("%s/results.json", s->dir);
    copy_file(FIXTURES "/cpu/run.json", run);
    copy_file(FIXTURES "/cpu/results.json", res);
    free(run);
    free(res);
}

static void assert_run_untouched(const state *s)
{
    static const char *const files[] = {"run.json", "results.json"};
    for (size_t i = 0; i < 2; i++) {
        char *path = mb_asprintf("%s/%s", s->dir, files[i]);
        char *orig = mb_asprintf(FIXTURES "/cpu/%s", files[i]);
        char *a = mb_read_file(path, NULL, NULL), *b = mb_read_file(orig, NULL, NULL);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a);
        free(b);
        free(path);
        free(orig);
    }
}

static void test_missing_gnuplot(void **st)
{
    state *s = *st;
    copy_cpu_run(s);
    setenv("MPSBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    mb_plot_report rep = {0};
    mb_err err = {0};
    int rc = mb_plot_run_dir(s->dir, NULL, &rep, &err);
    assert_int_equal(rc, MB_EGNUPLOT);
    assert_int_equal(mb_exit_code(rc, NULL), 3);
    assert_non_null(strstr(err.msg, "gnuplot not found"));
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    assert_int_equal(rep.n_made, 0);
    assert_int_equal(access(s->charts, F_OK), -1);
    assert_run_untouched(s);
    mb_plot_report_free(&rep);
}

/* The same through the command line: exit status 3 and one clear line. */
static void test_cli_missing_gnuplot(void **st)
{
    state *s = *st;
    copy_cpu_run(s);
    const char *exe = MB_BINARY_DIR "/bin/mpsbench";
    if (access(exe, X_OK) != 0)
        fail_msg("%s is not built", exe);
    setenv("MPSBENCH_GNUPLOT", "/nonexistent/bin/gnuplot", 1);
    char *log = mb_asprintf("%s/cli.log", s->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    char *argv[] = {(char *)exe, "plot", s->dir, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    char *out = mb_read_file(log, NULL, NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "gnuplot not found"));
    free(out);
    unlink(log);
    free(log);
    assert_int_equal(access(s->charts, F_OK), -1);
    assert_run_untouched(s);
}

/* gnuplot that fails on every script: each chart reports the failure, the
 * call returns MB_EGNUPLOT, and index.md still says what happened. */
static void test_failing_gnuplot(void **st)
{
    state *s = *st;
    if (access("/bin/false", X_OK) != 0)
        MB_SKIP("no /bin/false on this machine");
    copy_cpu_run(s);
    setenv("MPSBENCH_GNUPLOT", "/bin/false", 1);
    mb_plot_report rep = {0};
    mb_err err = {0};
    assert_int_equal(mb_plot_run_dir(s->dir, NULL, &rep, &err), MB_EGNUPLOT);
    assert_non_null(strstr(err.msg, "gnuplot failed"));
    assert_int_equal(rep.n_made, 0);
    assert_non_null(strstr(chart(&rep, "throughput")->reason, "exit status 1"));
    char *index = read_chart_file(s, "index.md");
    assert_non_null(strstr(index, "gnuplot failed"));
    free(index);
    assert_run_untouched(s);
    mb_plot_report_free(&rep);
}

static void test_bad_inputs(void **st)
{
    state *s = *st;
    need_gnuplot();
    mb_err err = {0};
    assert_int_equal(mb_plot_run_dir(s->dir, NULL, NULL, &err), MB_EIO);
    assert_non_null(strstr(err.msg, "no run.json or results.json"));
    mb_plot_options opt = {.baseline = "/nonexistent/baseline.json", .out_dir = s->charts};
    assert_int_equal(mb_plot_run_dir(FIXTURES "/cpu", &opt, NULL, &err), MB_EBASELINE);
    assert_non_null(strstr(err.msg, "baseline"));
}

/* ---- the chart defects of issue 15, each held on a committed reference run ---- */

static mb_plot_report plot_reference(const state *s, const char *run)
{
    need_gnuplot();
    char *dir = mb_asprintf("%s/%s", REFERENCE, run);
    mb_plot_options opt = {.out_dir = s->charts, .formats = MB_PLOT_SVG};
    mb_plot_report rep = {0};
    mb_err err = {0};
    if (mb_plot_run_dir(dir, &opt, &rep, &err) != 0)
        fail_msg("mb_plot_run_dir %s: %s", dir, err.msg);
    free(dir);
    return rep;
}

/* The canvas width a script draws at ("... size W,H ..."). */
static int script_width(const char *gp)
{
    const char *p = strstr(gp, "set terminal svg size ");
    assert_non_null(p);
    return atoi(p + strlen("set terminal svg size "));
}

/* The title a script gives its chart (the multiplot's, or the single
 * plot's at the title font), with gnuplot's \n escapes as newlines. */
static char *script_title(const char *gp)
{
    const char *p = strstr(gp, "set multiplot title \"");
    if (p == NULL)
        p = strstr(gp, "set title \"");
    assert_non_null(p);
    p = strchr(p, '"') + 1;
    char *out = mb_calloc(strlen(p) + 1, 1), *o = out;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else if (*p == '\\' && p[1]) {
            *o++ = *++p;
        } else {
            *o++ = *p;
        }
    }
    return out;
}

/* Every drawn chart names the machine's devices, the model and the job
 * size, and no line of its title is wider than its canvas (about 9 px a
 * character at the title font). */
static void assert_titles(const state *s, const mb_plot_report *rep, const char *hardware,
                          const char *model, const char *job)
{
    for (size_t i = 0; i < rep->n_charts; i++) {
        if (!rep->charts[i].made)
            continue;
        char *file = mb_asprintf("%s.gp", rep->charts[i].name);
        char *gp = read_chart_file(s, file);
        char *title = script_title(gp);
        int width = script_width(gp);
        if (strstr(title, hardware) == NULL || strstr(title, model) == NULL
            || strstr(title, job) == NULL)
            fail_msg("%s: title \"%s\" lacks %s, %s or %s", file, title, hardware, model, job);
        for (char *line = strtok(title, "\n"); line != NULL; line = strtok(NULL, "\n"))
            if ((int)strlen(line) * 9 > width - 20)
                fail_msg("%s: title line \"%s\" is wider than %d px", file, line, width);
        free(title);
        free(gp);
        free(file);
    }
}

static void test_titles_name_machine_model_job(void **st)
{
    state *s = *st;
    mb_plot_report rep = plot_reference(s, "gpu-h200/gpu-watermark-sweep");
    assert_titles(s, &rep, "NVIDIA H200", "model resnet50", "32 images per job");
    mb_plot_report_free(&rep);
    mb_remove_tree(s->charts);
    rep = plot_reference(s, "cpu-seed-options");
    assert_titles(s, &rep, "AMD EPYC", "model resnet50", "16 images per job");
    mb_plot_report_free(&rep);
}

/* The watermark sweep: 4 variants on cuda and on the CPU.  Each device has
 * its panels, each variant its own colour, and the fix is marked as doing
 * nothing off MPS. */
static void test_many_series_get_colours_and_panels(void **st)
{
    state *s = *st;
    mb_plot_report rep = plot_reference(s, "gpu-h200/gpu-watermark-sweep");
    char *gp = read_chart_file(s, "throughput.gp");
    assert_non_null(strstr(gp, "set title \"cuda, 224x224 images\""));
    assert_non_null(strstr(gp, "set title \"cpu, 4032x3024 images\""));
    /* The legend band: one entry per variant, four colours. */
    const char *legend = strstr(gp, "set key inside center");
    assert_non_null(legend);
    int colours = 0;
    static const char *const palette[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7"};
    for (int i = 0; i < 4; i++)
        colours += strstr(legend, palette[i]) != NULL;
    assert_int_equal(colours, 4);
    assert_int_equal(mb_test_count(legend, "title \"fix "), 4);
    assert_int_equal(mb_test_count(legend, NO_EFFECT), 4);
    free(gp);
    mb_plot_report_free(&rep);
}

/* A chart with nothing to show is listed under "Not drawn" with the
 * reason: the H100 frontier's seed options all ran out of memory. */
static void test_empty_chart_listed_not_drawn(void **st)
{
    state *s = *st;
    mb_plot_report rep = plot_reference(s, "gpu-h100/oom-frontier");
    const mb_plot_chart *c = chart(&rep, "seed-options");
    assert_false(c->made);
    assert_non_null(strstr(c->reason, "no throughput to draw"));
    char *svg = mb_asprintf("%s/seed-options.svg", s->charts);
    assert_int_equal(access(svg, F_OK), -1);
    free(svg);
    char *index = read_chart_file(s, "index.md");
    const char *not_drawn = strstr(index, "## Not drawn");
    assert_non_null(not_drawn);
    assert_non_null(strstr(not_drawn, "(`seed-options`): seed options: no reference"));
    free(index);
    mb_plot_report_free(&rep);
}

/* Long cell labels: the stages and latency charts draw a horizontal row per
 * cell with its label on the left, never rotated tick labels, and stay a
 * readable width however many cells a run has. */
static void test_long_cell_sets_stay_readable(void **st)
{
    state *s = *st;
    mb_plot_report rep = plot_reference(s, "cpu-seed-options");
    char *gp = read_chart_file(s, "stages.gp");
    assert_null(strstr(gp, "rotate"));
    assert_non_null(strstr(gp, "with boxxyerror"));
    char *dat = read_chart_file(s, "stages.dat");
    assert_int_equal(block_rows(dat, "image 1024x768"), 12);
    free(dat);
    free(gp);
    /* One image size, one batch size: a row per configuration, labelled on
     * the left, never 12 points stacked on one x (or a log axis around
     * them). */
    static const char *const one_batch[] = {"throughput.gp", "memory.gp"};
    for (int i = 0; i < 2; i++) {
        gp = read_chart_file(s, one_batch[i]);
        assert_null(strstr(gp, "\nset logscale x"));
        assert_non_null(strstr(gp, ", batch size 16\"\nunset ylabel"));
        assert_true(mb_test_count(gp, "\"cpu, fix on" NO_EFFECT ", FORCE_CPU=") >= 8);
        free(gp);
    }
    /* 16 configurations: one row each in the OOM matrix, none pooled. */
    dat = read_chart_file(s, "oom-matrix.dat");
    assert_int_equal(block_rows(dat, "configurations"), 16);
    assert_int_equal(mb_test_count(dat, "\"OOM 1/1\""), 4);
    free(dat);
    mb_plot_report_free(&rep);
    mb_remove_tree(s->charts);
    rep = plot_reference(s, "gpu-h200/gpu-watermark-sweep");
    gp = read_chart_file(s, "latency.gp");
    assert_true(script_width(gp) <= 1400);
    assert_null(strstr(gp, "rotate"));
    assert_int_equal(mb_test_count(gp, "images\"\nset yrange"), 3);
    free(gp);
    mb_plot_report_free(&rep);
}

/* s->dir/run.json of a CPU run: n_env configurations of an env axis times
 * the watermark fix on and off, at every one of 12 image sizes and batch
 * sizes 1..n_batches, each cell with one measured job (an OOM where batch x
 * width is large) or, with measured false, none. */
static void write_matrix_run(const state *s, int n_env, int n_batches, bool measured)
{
    mb_strbuf b = {0};
    mb_strbuf_add(&b, "{\"format\": 1, \"status\": \"passed\", \"cells\": [");
    int job = 0;
    for (int fix = 0; fix < 2; fix++)
        for (int e = 0; e < n_env; e++)
            for (int w = 32; w < 32 + 12 * 16; w += 16)
                for (int batch = 1; batch <= n_batches; batch++) {
                    mb_strbuf_printf(
                        &b,
                        "%s{\"name\": \"big/embed/device:cpu/fix:%s/env.FOO:%c/image:%dx%d/"
                        "batch:%d\", \"scenario\": \"big\", \"axes\": {\"device\": \"cpu\", "
                        "\"watermark_fix\": \"%s\", \"env.FOO\": \"%c\", \"image_size\": "
                        "\"%dx%d\", \"batch_size\": \"%d\"}, \"device\": \"cpu\", "
                        "\"watermark_fix\": %s, \"batch_size\": %d, \"image_width\": %d, "
                        "\"image_height\": %d, \"verdict\": \"%s\", \"env\": {\"FOO\": \"%c\"}, "
                        "\"images_per_second\": [%s], \"jobs\": [",
                        job || fix || e || w > 32 || batch > 1 ? ", " : "", fix ? "off" : "on",
                        'a' + e, w, w, batch, fix ? "off" : "on", 'a' + e, w, w, batch,
                        fix ? "false" : "true", batch, w, w, measured ? "pass" : "fail",
                        'a' + e, measured ? "100.0" : "");
                    if (measured)
                        mb_strbuf_printf(&b,
                                         "{\"id\": \"j%d\", \"status\": \"%s\", \"repetition\": "
                                         "0, \"latency_ms\": 10.0, \"images\": 2, \"forward_ms\": "
                                         "5.0, \"peak_rss_bytes\": 100000000}",
                                         job++, batch * w > 8000 ? "oom" : "ok");
                    mb_strbuf_add(&b, "]}");
                }
    mb_strbuf_printf(&b, "], \"jobs_enqueued\": %d}", job);
    char *path = mb_asprintf("%s/run.json", s->dir);
    assert_int_equal(mb_write_file_atomic(path, b.s, b.len, NULL), 0);
    free(path);
    free(b.s);
}

static mb_plot_report plot_dir(const state *s)
{
    need_gnuplot();
    mb_plot_report rep = {0};
    mb_err err = {0};
    if (mb_plot_run_dir(s->dir, NULL, &rep, &err) != 0)
        fail_msg("mb_plot_run_dir %s: %s", s->dir, err.msg);
    return rep;
}

/* A run that stopped before its first job (its images could not be made)
 * has cells but no measurement: no chart is drawn, not even an OOM matrix
 * of squares that never ran, and index.md says why. */
static void test_unmeasured_run_draws_no_chart(void **st)
{
    state *s = *st;
    write_matrix_run(s, 2, 3, false);
    mb_plot_report rep = plot_dir(s);
    assert_int_equal(rep.n_made, 0);
    assert_non_null(rep.none_drawn);
    assert_non_null(strstr(rep.none_drawn, "no cell was measured"));
    assert_non_null(strstr(chart(&rep, "oom-matrix")->reason, "no cell was measured"));
    char *gp = mb_asprintf("%s/oom-matrix.gp", s->charts);
    assert_int_equal(access(gp, F_OK), -1);
    free(gp);
    char *index = read_chart_file(s, "index.md");
    assert_non_null(strstr(index, "No charts: no cell was measured"));
    free(index);
    mb_plot_report_free(&rep);
}

/* An OOM matrix of 4800 cells (4 configurations, 12 image sizes, 100 batch
 * sizes) asked gnuplot for a 38700-pixel-wide PNG, which Cairo cannot make.
 * It is drawn thinned to fit, saying so in its title and its note; a chart
 * of a row per cell that no thinning serves is not drawn, with the reason,
 * instead of failing in gnuplot. */
static void test_huge_oom_matrix_fits_cairo(void **st)
{
    state *s = *st;
    write_matrix_run(s, 2, 100, true);
    mb_plot_report rep = plot_dir(s);
    const mb_plot_chart *m = chart(&rep, "oom-matrix");
    if (!m->made)
        fail_msg("oom-matrix not drawn: %s", m->reason);
    assert_rendered(s, "oom-matrix");
    assert_non_null(m->note);
    assert_non_null(strstr(m->note, "19 of 100 batch sizes"));
    char *gp = read_chart_file(s, "oom-matrix.gp");
    assert_true(script_width(gp) <= 8000);
    char *title = script_title(gp);
    assert_non_null(strstr(title, "drawn: 19 of 100 batch sizes, evenly spaced"));
    free(title);
    /* The smallest and the largest batch size are among those drawn. */
    assert_non_null(strstr(gp, "set xtics (\"1\" 0, "));
    assert_non_null(strstr(gp, ", \"100\" 18) scale 0"));
    free(gp);
    char *index = read_chart_file(s, "index.md");
    assert_non_null(strstr(index, m->note));
    free(index);
    const mb_plot_chart *stages = chart(&rep, "stages");
    assert_false(stages->made);
    assert_non_null(strstr(stages->reason, "too large to draw: "));
    mb_plot_report_free(&rep);

    /* Many configurations: a row each, the image and batch sizes across. */
    mb_remove_tree(s->charts);
    write_matrix_run(s, 3, 20, true);
    rep = plot_dir(s);
    m = chart(&rep, "oom-matrix");
    if (!m->made)
        fail_msg("oom-matrix not drawn: %s", m->reason);
    assert_non_null(strstr(m->note, " of 20 batch sizes"));
    gp = read_chart_file(s, "oom-matrix.gp");
    assert_true(script_width(gp) <= 8000);
    free(gp);
    char *dat = read_chart_file(s, "oom-matrix.dat");
    assert_non_null(strstr(dat, "# series: configurations\n"));
    free(dat);
    mb_plot_report_free(&rep);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_gpu_run_every_chart),
    cmocka_unit_test(test_cpu_only_run),
    cmocka_unit_test(test_cpu_seed_options),
    cmocka_unit_test(test_frontier_probes),
    cmocka_unit_test(test_results_json_alone),
    cmocka_unit_test(test_svg_only),
    cmocka_unit_test(test_missing_gnuplot),
    cmocka_unit_test(test_cli_missing_gnuplot),
    cmocka_unit_test(test_failing_gnuplot),
    cmocka_unit_test(test_bad_inputs),
    cmocka_unit_test(test_titles_name_machine_model_job),
    cmocka_unit_test(test_many_series_get_colours_and_panels),
    cmocka_unit_test(test_empty_chart_listed_not_drawn),
    cmocka_unit_test(test_long_cell_sets_stay_readable),
    cmocka_unit_test(test_unmeasured_run_draws_no_chart),
    cmocka_unit_test(test_huge_oom_matrix_fits_cairo),
};

MB_TEST_MAIN_EACH("plot", tests, setup, teardown)

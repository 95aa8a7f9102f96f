/* report.html, as a person sees it.  A committed reference run is copied,
 * one cell's reason is given markup to escape, and `mpsbench report`
 * renders it again; the page must hold every chart the charts folder has,
 * the summary, the seed's option table, the machine, model and torch
 * version, and escape the reason.  Then headless Chromium opens it: a
 * screenshot that is not blank, a DOM with every chart, and no console
 * error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_test_files.h"
#include "mb_test_main.h"
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image.h"
#include "mb_util.h"

#define REFERENCE MB_SOURCE_DIR "/results/reference/cpu-seed-options"
#define PROBE "<script>alert(1)</script> & \"quoted\" 'single'"

extern char **environ;

typedef struct state {
    char dir[64];
    char *run;      /* dir/run: the copied run directory */
} state;

static int setup(void **st)
{
    state *s = mb_calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/mb-html-test-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        free(s);
        return -1;
    }
    s->run = mb_asprintf("%s/run", s->dir);
    *st = s;
    return 0;
}

static int teardown(void **st)
{
    state *s = *st;
    mb_remove_tree(s->dir);
    free(s->run);
    free(s);
    return 0;
}

/* Runs argv with stdout and stderr into log; kills it past timeout_s.
 * Returns the exit status, or -1 when it did not exit by itself. */
static int run_program(char *const argv[], const char *log, double timeout_s)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    /* Its own process group, so that a timeout ends Chromium's helpers too. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        fail_msg("cannot start %s: %s", argv[0], strerror(rc));
    int status = 0;
    for (double waited = 0; waitpid(pid, &status, WNOHANG) == 0; waited += 0.1) {
        if (waited > timeout_s) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    kill(-pid, SIGKILL); /* helpers left behind by a browser that exited */
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *chromium(void)
{
    return mb_test_have_program("chromium")          ? "chromium"
           : mb_test_have_program("chromium-browser") ? "chromium-browser"
                                                      : NULL;
}

/* Copies the reference run.json with one cell's reason set to PROBE. */
static void copy_run_with_probe(const state *s)
{
    assert_int_equal(mkdir(s->run, 0755), 0);
    json_error_t jerr;
    json_t *root = json_load_file(REFERENCE "/run.json", 0, &jerr);
    if (root == NULL)
        fail_msg("%s", jerr.text);
    json_object_set_new(json_array_get(json_object_get(root, "cells"), 0), "reason",
                        json_string(PROBE));
    char *path = mb_asprintf("%s/run.json", s->run);
    assert_int_equal(json_dump_file(root, path, 0), 0);
    json_decref(root);
    free(path);
}

/* Renders the copied run: returns report.html's text. */
static char *render(const state *s)
{
    char *log = mb_asprintf("%s/report.log", s->dir);
    char *argv[] = {MB_BINARY_DIR "/bin/mpsbench", "report", s->run, NULL};
    int rc = run_program(argv, log, 120 * mb_test_time_scale());
    if (rc != 0) {
        char *text = mb_read_file(log, NULL, NULL);
        fail_msg("mpsbench report exited %d: %s", rc, text ? text : "");
    }
    free(log);
    char *path = mb_asprintf("%s/report.html", s->run);
    char *html = mb_read_file(path, NULL, NULL);
    if (html == NULL)
        fail_msg("%s was not written", path);
    free(path);
    return html;
}

static int charts_drawn(const state *s)
{
    char *dir = mb_asprintf("%s/charts", s->run);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        n += len > 4 && strcmp(e->d_name + len - 4, ".svg") == 0;
    }
    closedir(d);
    free(dir);
    return n;
}

static void test_page_holds_the_run_escaped(void **st)
{
    state *s = *st;
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
    copy_run_with_probe(s);
    char *html = render(s);
    int drawn = charts_drawn(s);
    assert_true(drawn >= 5);
    assert_int_equal(mb_test_count(html, "<svg"), drawn);
    assert_int_equal(mb_test_count(html, "<?xml"), 0);
    /* The seed-options run: its table, the machine, the model, torch. */
    assert_non_null(strstr(html, "id=\"seed-options\""));
    assert_non_null(strstr(html, "<code>seed-options/embed/device:cpu/"));
    assert_non_null(strstr(html, "AMD EPYC"));
    assert_non_null(strstr(html, "builtin:resnet50"));
    assert_non_null(strstr(html, "1.13.0"));
    assert_non_null(strstr(html, "<h3>Not drawn</h3>"));
    assert_non_null(strstr(html, "GPU vs CPU: no GPU cell"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; "
                                 "&#39;single&#39;"));
    assert_null(strstr(html, "<script"));
    free(html);
}

/* Pixels that are not near-white: a rendered page has text and charts. */
static size_t inked_pixels(const char *png)
{
    mb_image img = {0};
    mb_err err = {0};
    if (mb_image_decode_file(png, 0, 0, &img, &err) != 0)
        fail_msg("screenshot: %s", err.msg);
    size_t inked = 0;
    for (size_t i = 0; i < (size_t)img.width * (size_t)img.height; i++)
        inked += img.rgb[3 * i] < 200 || img.rgb[3 * i + 1] < 200 || img.rgb[3 * i + 2] < 200;
    mb_image_free(&img);
    return inked;
}

static void test_page_renders_in_chromium(void **st)
{
    state *s = *st;
    MB_NEED("gnuplot", mb_test_have_program("gnuplot"));
    MB_NEED("chromium", chromium() != NULL);
    copy_run_with_probe(s);
    free(render(s));
    int drawn = charts_drawn(s);
    char *url = mb_asprintf("file://%s/report.html", s->run);
    char *shot = mb_asprintf("--screenshot=%s/shot.png", s->dir);
    char *profile = mb_asprintf("--user-data-dir=%s/profile", s->dir);
    char *log = mb_asprintf("%s/chromium.log", s->dir);
    /* Chromium refuses to run as root without --no-sandbox; a throwaway
     * profile keeps it off the user's. */
    char *base[] = {(char *)chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--no-first-run", profile, "--enable-logging=stderr", "--v=0",
                    "--window-size=1400,2400"};
    enum { N_BASE = sizeof base / sizeof base[0] };
    char *argv[N_BASE + 3] = {0};
    memcpy(argv, base, sizeof base);
    argv[N_BASE] = shot;
    argv[N_BASE + 1] = url;
    double limit = 180 * mb_test_time_scale();
    assert_int_equal(run_program(argv, log, limit), 0);
    char *png = mb_asprintf("%s/shot.png", s->dir);
    size_t inked = inked_pixels(png);
    if (inked < 20000)
        fail_msg("the screenshot is blank: %zu inked pixels", inked);
    /* The DOM after load: every chart is an <svg> there. */
    char *dom_log = mb_asprintf("%s/dom.html", s->dir);
    argv[N_BASE] = "--dump-dom";
    assert_int_equal(run_program(argv, dom_log, limit), 0);
    char *dom = mb_read_file(dom_log, NULL, NULL);
    assert_non_null(dom);
    assert_int_equal(mb_test_count(dom, "<svg"), drawn);
    /* Console messages reach stderr as "...:CONSOLE(line)] ...". */
    if (strstr(dom, ":CONSOLE(") != NULL)
        fail_msg("the page wrote to the console: %s", strstr(dom, ":CONSOLE("));
    char *shot_log = mb_read_file(log, NULL, NULL);
    if (shot_log != NULL && strstr(shot_log, ":CONSOLE(") != NULL)
        fail_msg("the page wrote to the console: %s", strstr(shot_log, ":CONSOLE("));
    free(shot_log);
    free(dom);
    free(dom_log);
    free(png);
    free(url);
    free(shot);
    free(profile);
    free(log);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_page_holds_the_run_escaped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_page_renders_in_chromium, setup, teardown),
};

MB_TEST_MAIN("report_html", tests, NULL, NULL)

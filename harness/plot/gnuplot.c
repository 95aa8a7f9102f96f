/* gnuplot as a child process: the script header every chart shares, and
 * the spawn itself.  The plot module starts gnuplot with its own small
 * posix_spawn rather than mb_run's mb_spawn because the runner links this
 * module to draw charts at the end of a run; borrowing from mb_run would
 * make the two libraries depend on each other. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mb_util.h"
#include "plot_private.h"

extern char **environ;

const char *mb__plot_device_color(const char *device)
{
    /* One colour per device in every chart: NVIDIA's green for CUDA, a
     * purple for Apple's GPU, a blue for the CPU; red stays free for OOMs
     * and regressions. */
    if (device == NULL)
        return "#7f7f7f";
    if (strcmp(device, "cuda") == 0)
        return "#5a9e00";
    if (strcmp(device, "mps") == 0)
        return "#8e44ad";
    if (strcmp(device, "cpu") == 0)
        return "#1f77b4";
    return "#7f7f7f";
}

char *mb__plot_gp_quote(const char *s)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "%s", "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            mb_strbuf_printf(&b, "\\%c", *p);
        else if (*p == '\n')
            mb_strbuf_printf(&b, "%s", " ");
        else
            mb_strbuf_printf(&b, "%c", *p);
    }
    mb_strbuf_printf(&b, "%s", "\"");
    return b.s;
}

int mb__plot_write_file(const mb__plot_ctx *ctx, const char *file, const char *text, mb_err *err)
{
    char *path = mb_asprintf("%s/%s", ctx->out_dir, file);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(path);
    return rc;
}

int mb__plot_write_script(const mb__plot_ctx *ctx, const char *name, int width, int height,
                          const char *body, mb_err *err)
{
    mb_strbuf b = {0};
    const char *fmts = ctx->formats == MB_PLOT_SVG   ? "svg"
                       : ctx->formats == MB_PLOT_PNG ? "png"
                                                     : "svg png";
    mb_strbuf_printf(
        &b,
        "# %s: drawn by `mpsbench plot` from %s.\n"
        "# Edit and re-plot from this folder: gnuplot %s.gp\n"
        "# One format only: gnuplot -e \"fmt='png'\" %s.gp\n"
        "# Device colours, the same in every chart: cuda %s, mps %s, cpu %s.\n"
        "if (!exists(\"fmt\")) fmt = \"%s\"\n"
        "do for [f in fmt] {\n"
        "if (f eq \"png\") {\n"
        "    if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
        "        set terminal pngcairo size %d,%d noenhanced font \"Sans,11\" background \"white\"\n"
        "    } else {\n"
        "        set terminal png size %d,%d noenhanced font \"Sans,11\" background \"#ffffff\"\n"
        "    }\n"
        "    set output \"%s.png\"\n"
        "} else {\n"
        "    set terminal svg size %d,%d noenhanced font \"Sans,11\" background \"white\"\n"
        "    set output \"%s.svg\"\n"
        "}\n"
        "reset\n"
        "set encoding utf8\n"
        "set border lw 1\n"
        "set grid ytics lc rgb \"#dddddd\" lw 1 dt 1\n"
        "set style data linespoints\n"
        "%s"
        "set output\n"
        "}\n",
        name, ctx->run->source, name, name, mb__plot_device_color("cuda"),
        mb__plot_device_color("mps"), mb__plot_device_color("cpu"), fmts, width, height, width,
        height, name, width, height, name, body);
    char *file = mb_asprintf("%s.gp", name);
    int rc = mb__plot_write_file(ctx, file, b.s, err);
    free(file);
    mb__plot_strbuf_free(&b);
    return rc;
}

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *mb__plot_find_gnuplot(const char *configured, mb_err *err)
{
    const char *name = configured;
    if (name == NULL || !*name)
        name = getenv("MPSBENCH_GNUPLOT");
    bool from_env = name != NULL && *name && configured == NULL;
    if (name == NULL || !*name)
        name = "gnuplot";
    if (strchr(name, '/') != NULL) {
        if (executable(name))
            return mb_strdup(name);
        mb_err_set(err, MB_EGNUPLOT,
                   "gnuplot not found at %s%s: install gnuplot-nox (Debian) / brew install "
                   "gnuplot (macOS), or point MPSBENCH_GNUPLOT at it",
                   name, from_env ? " (MPSBENCH_GNUPLOT)" : "");
        return NULL;
    }
    const char *path = getenv("PATH");
    char *copy = mb_strdup(path != NULL && *path ? path : "/usr/bin:/bin");
    char *found = NULL;
    for (char *p = copy; p != NULL && found == NULL;) {
        char *colon = strchr(p, ':');
        if (colon != NULL)
            *colon = '\0';
        char *candidate = mb_asprintf("%s/%s", *p ? p : ".", name);
        if (executable(candidate))
            found = candidate;
        else
            free(candidate);
        p = colon != NULL ? colon + 1 : NULL;
    }
    free(copy);
    if (found == NULL)
        mb_err_set(err, MB_EGNUPLOT,
                   "gnuplot not found in PATH: install gnuplot-nox (Debian) / brew install "
                   "gnuplot (macOS), or point MPSBENCH_GNUPLOT at it");
    return found;
}

/* gnuplot's single-quoted strings take '' for a quote. */
static char *single_quoted(const char *s)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "%s", "'");
    for (const char *p = s; *p; p++)
        mb_strbuf_printf(&b, "%s", *p == '\'' ? "''" : (char[2]){*p, '\0'});
    mb_strbuf_printf(&b, "%s", "'");
    return b.s;
}

/* The end of gnuplot's log, where its error message is, on one line. */
static void log_tail(const char *path, char *buf, size_t size)
{
    size_t len = 0;
    char *text = mb_read_file(path, &len, NULL);
    buf[0] = '\0';
    if (text == NULL)
        return;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    const char *start = len > 400 ? text + len - 400 : text;
    snprintf(buf, size, "%s", start);
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
    free(text);
}

static bool output_ok(const char *dir, const char *name, const char *ext)
{
    char *path = mb_asprintf("%s/%s.%s", dir, name, ext);
    struct stat st;
    bool ok = stat(path, &st) == 0 && st.st_size > 0;
    free(path);
    return ok;
}

int mb__plot_run_gnuplot(const char *gnuplot, const char *dir, const char *name,
                         unsigned formats, int timeout_ms, mb_err *err)
{
    const char *fmts = formats == MB_PLOT_SVG ? "svg" : formats == MB_PLOT_PNG ? "png" : "svg png";
    char *qdir = single_quoted(dir);
    char *setup = mb_asprintf("cd %s; fmt = '%s'", qdir, fmts);
    char *script = mb_asprintf("%s.gp", name);
    char *log = mb_asprintf("%s/%s.log", dir, name);
    unlink(log);
    char *argv[] = {(char *)gnuplot, "-e", setup, script, NULL};

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int result = 0;
    if (rc != 0) {
        result = mb_err_set(err, MB_EGNUPLOT, "cannot start %s: %s", gnuplot, strerror(rc));
        goto out;
    }
    int status = 0;
    double deadline = mb_now_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            result = mb_err_set(err, MB_EGNUPLOT, "waiting for gnuplot: %s", strerror(errno));
            goto out;
        }
        if (mb_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            result = mb_err_set(err, MB_EGNUPLOT, "gnuplot took longer than %d ms on %s.gp",
                                timeout_ms > 0 ? timeout_ms : 60000, name);
            goto out;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char tail[512];
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log_tail(log, tail, sizeof tail);
        result = mb_err_set(err, MB_EGNUPLOT, "gnuplot failed on %s/%s.gp (%s %d): %s", dir,
                            name, WIFEXITED(status) ? "exit status" : "signal",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), tail);
        goto out;
    }
    if (((formats & MB_PLOT_SVG) && !output_ok(dir, name, "svg"))
        || ((formats & MB_PLOT_PNG) && !output_ok(dir, name, "png"))) {
        log_tail(log, tail, sizeof tail);
        result = mb_err_set(err, MB_EGNUPLOT, "gnuplot wrote no chart for %s/%s.gp: %s", dir,
                            name, tail);
        goto out;
    }
    /* A clean run leaves no log; warnings are kept for the user to read. */
    struct stat st;
    if (stat(log, &st) == 0 && st.st_size == 0)
        unlink(log);
out:
    free(qdir);
    free(setup);
    free(script);
    free(log);
    return result;
}

/* `mpsbench report RUN_DIR` renders a run directory's charts, junit.xml,
 * exports and report.html again from its run.json, running nothing; `mpsbench export RUN_DIR
 * --format F [--out FILE]` renders one export, to stdout by default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exports.h"
#include "mb_opts.h"
#include "mb_util.h"
#include "plot.h"

enum { OPT_FORMAT = 1, OPT_OUT, OPT_QUIET, OPT_HELP, OPT_BASELINE };

static const mb_opt report_opts[] = {
    {"baseline", 'b', 1, OPT_BASELINE},
    {"quiet", 'q', 0, OPT_QUIET},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* The next option of a reader verb (report, export), whose one positional
 * argument is the run directory: takes that into *dir here, refusing a
 * second, and hands every other option to the caller in *id (MB_OPT_END
 * at the end).  Returns 0 or the error of a bad option. */
static int reader_next(const char *verb, mb_opt_iter *it, const mb_opt *opts, const char **dir,
                       int *id, mb_err *err)
{
    for (;;) {
        int rc = mb_opt_next(it, opts, id, err);
        if (rc != 0 || *id != MB_OPT_POSITIONAL)
            return rc;
        if (*dir != NULL)
            return mb_err_set(err, MB_EUSAGE, "%s: one run directory, got '%s' and '%s'", verb,
                              *dir, it->arg);
        *dir = it->arg;
    }
}

int mb_cmd_report(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    (void)outcome;  /* judges nothing: the exit code is the error's */
    const char *dir = NULL;
    bool quiet = false;
    mb_plot_options plot_opt = {0};
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = reader_next("report", &it, report_opts, &dir, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case OPT_BASELINE: plot_opt.baseline = it.arg; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_HELP: mb_cli_verb_usage("report", stdout); return MB_OK;
        }
    }
    if (dir == NULL)
        return mb_err_set(err, MB_EUSAGE, "report: give a run directory (mpsbench report RUN_DIR)");
    int rc = mb_cli_need_run_dir("report", dir, false, err);
    if (rc != 0)
        return rc;
    /* Charts first: report.html inlines them.  Without gnuplot the page is
     * still rendered, with the charts the folder already holds. */
    mb_plot_report charts = {0};
    mb_err plot_err = {0};
    int plot_rc = mb_plot_run_dir(dir, &plot_opt, &charts, &plot_err);
    if (plot_rc != 0)
        fprintf(stderr, "mpsbench: charts not redrawn: %s\n", plot_err.msg);
    mb_plot_report_free(&charts);
    rc = mb_report_render_dir(dir, err);
    if (rc == 0 && !quiet) {
        fprintf(stderr, "mpsbench: %sjunit.xml", plot_rc == 0 ? "charts, " : "");
        for (int i = 0; i < MB_EXPORT_COUNT; i++)
            fprintf(stderr, ", %s", mb_export_file_name((mb_export_format)i));
        fprintf(stderr, ", report.html rendered from %s/run.json\n", dir);
    }
    return rc;
}

static const mb_opt export_opts[] = {
    {"format", 'f', 1, OPT_FORMAT},
    {"out", 'o', 1, OPT_OUT},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

int mb_cmd_export(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    (void)outcome;  /* judges nothing: the exit code is the error's */
    const char *dir = NULL, *out = NULL;
    mb_export_format format = MB_EXPORT_COUNT;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = reader_next("export", &it, export_opts, &dir, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case OPT_FORMAT:
            if ((rc = mb_export_format_parse(it.arg, &format, err)) != 0)
                return rc;
            break;
        case OPT_OUT: out = it.arg; break;
        case OPT_HELP: mb_cli_verb_usage("export", stdout); return MB_OK;
        }
    }
    if (dir == NULL)
        return mb_err_set(err, MB_EUSAGE, "export: give a run directory (mpsbench export RUN_DIR "
                                          "--format bmf|gab|gab-smaller|csv)");
    if (format == MB_EXPORT_COUNT)
        return mb_err_set(err, MB_EUSAGE, "export: option --format is required "
                                          "(bmf, gab, gab-smaller or csv)");
    mb_run_file f;
    int rc = mb_cli_need_run_dir("export", dir, false, err);
    if (rc == 0)
        rc = mb_run_file_load(dir, &f, err);
    if (rc != 0)
        return rc;
    char *text = mb_export_render(&f, format);
    mb_run_file_free(&f);
    /* On stdout, main checks that it arrived (as for every verb). */
    if (out == NULL)
        fputs(text, stdout);
    else
        rc = mb_write_file_atomic(out, text, strlen(text), err);
    free(text);
    return rc;
}

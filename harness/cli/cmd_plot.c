/* `mpsbench plot`: options -> mb_plot_options -> mb_plot_run_dir, then one
 * line per chart so that a user sees what was drawn and what was skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "mb_opts.h"
#include "mb_util.h"
#include "plot.h"

enum { OPT_OUT = 1, OPT_BASELINE, OPT_FORMAT, OPT_QUIET, OPT_HELP };

static const mb_opt plot_opts[] = {
    {"out", 'o', 1, OPT_OUT},
    {"baseline", 'b', 1, OPT_BASELINE},
    {"format", 'f', 1, OPT_FORMAT},
    {"quiet", 'q', 0, OPT_QUIET},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* "svg,png" -> MB_PLOT_SVG | MB_PLOT_PNG. */
static int parse_formats(const char *text, unsigned *out, mb_err *err)
{
    unsigned formats = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == 3 && strncmp(p, "svg", 3) == 0)
            formats |= MB_PLOT_SVG;
        else if (len == 3 && strncmp(p, "png", 3) == 0)
            formats |= MB_PLOT_PNG;
        else
            return mb_err_set(err, MB_EUSAGE, "option --format: '%.*s' is not svg or png",
                              (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    if (formats == 0)
        return mb_err_set(err, MB_EUSAGE, "option --format: give svg, png or svg,png");
    *out = formats;
    return 0;
}

int mb_cmd_plot(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    (void)outcome;  /* judges nothing: the exit code is the error's */
    mb_plot_options opt = {0};
    const char *input = NULL;
    bool quiet = false;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = mb_opt_next(&it, plot_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            if (input != NULL)
                return mb_err_set(err, MB_EUSAGE, "plot: one run directory or results file, "
                                                  "got '%s' and '%s'", input, it.arg);
            input = it.arg;
            break;
        case OPT_OUT: opt.out_dir = it.arg; break;
        case OPT_BASELINE: opt.baseline = it.arg; break;
        case OPT_FORMAT:
            if ((rc = parse_formats(it.arg, &opt.formats, err)) != 0)
                return rc;
            break;
        case OPT_QUIET: quiet = true; break;
        case OPT_HELP: mb_cli_verb_usage("plot", stdout); return MB_OK;
        }
    }
    if (input == NULL)
        return mb_err_set(err, MB_EUSAGE, "plot: give a run directory or its results.json "
                                          "(mpsbench plot RUN_DIR)");
    int rc = mb_cli_need_run_dir("plot", input, true, err);
    if (rc != 0)
        return rc;
    mb_plot_report rep = {0};
    rc = mb_plot_run_dir(input, &opt, &rep, err);
    if (!quiet) {
        for (size_t i = 0; i < rep.n_charts; i++) {
            const mb_plot_chart *c = &rep.charts[i];
            if (c->made)
                fprintf(stderr, "  drawn    %-13s %s%s%s\n", c->name, c->title,
                        c->note ? ": " : "", c->note ? c->note : "");
            else
                fprintf(stderr, "  skipped  %-13s %s\n", c->name, c->reason ? c->reason : "");
        }
        if (rep.none_drawn != NULL)
            fprintf(stderr, "mpsbench: no charts: %s\n", rep.none_drawn);
        else if (rep.out_dir != NULL)
            fprintf(stderr, "mpsbench: %zu of %zu charts in %s (index.md lists them)\n", rep.n_made,
                    rep.n_charts, rep.out_dir);
    }
    mb_plot_report_free(&rep);
    return rc;
}

/* mb_plot_run_dir: read the run, find gnuplot, let every chart kind decide
 * whether it can be drawn, draw it, and list the outcome in index.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "plot_private.h"

void mb_plot_report_free(mb_plot_report *report)
{
    if (report == NULL)
        return;
    for (size_t i = 0; i < report->n_charts; i++) {
        free(report->charts[i].name);
        free(report->charts[i].title);
        free(report->charts[i].reason);
        free(report->charts[i].note);
    }
    free(report->charts);
    free(report->out_dir);
    memset(report, 0, sizeof *report);
}

static void write_index(const mb__plot_ctx *ctx, const mb_plot_report *rep, mb_err *err)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "# Charts\n\nFrom `%s`", ctx->run->source);
    if (ctx->run->machine != NULL)
        mb_strbuf_printf(&b, " · %s", ctx->run->machine);
    if (ctx->run->torch_version != NULL)
        mb_strbuf_printf(&b, " · libtorch %s", ctx->run->torch_version);
    mb_strbuf_printf(&b, ".  Each chart has its gnuplot script (`NAME.gp`) and data "
                            "(`NAME.dat`) beside it: edit and re-plot with `gnuplot NAME.gp` "
                            "in this folder.\n\n");
    for (size_t i = 0; i < rep->n_charts; i++) {
        const mb_plot_chart *c = &rep->charts[i];
        if (!c->made)
            continue;
        mb_strbuf_printf(&b, "## %s\n\n", c->title);
        if (ctx->formats & MB_PLOT_PNG)
            mb_strbuf_printf(&b, "![%s](%s.png)\n\n", c->title, c->name);
        if (c->note != NULL)
            mb_strbuf_printf(&b, "%s\n\n", c->note);
        if (ctx->formats & MB_PLOT_SVG)
            mb_strbuf_printf(&b, "[%s.svg](%s.svg)", c->name, c->name);
        if (strcmp(c->name, "seed-options") == 0)
            mb_strbuf_printf(&b, " · [table](seed-options.md)");
        mb_strbuf_printf(&b, "\n\n");
    }
    if (rep->none_drawn != NULL)
        mb_strbuf_printf(&b, "No charts: %s.\n", rep->none_drawn);
    else if (rep->n_made < rep->n_charts) {
        mb_strbuf_printf(&b, "## Not drawn\n\n");
        for (size_t i = 0; i < rep->n_charts; i++) {
            const mb_plot_chart *c = &rep->charts[i];
            if (!c->made)
                mb_strbuf_printf(&b, "- **%s** (`%s`): %s\n", c->title, c->name,
                                    c->reason ? c->reason : "not drawn");
        }
    }
    mb__plot_write_file(ctx, "index.md", b.s, err);
    mb__plot_strbuf_free(&b);
}

/* Charts of a run that measured nothing would draw only empty axes, and
 * its OOM matrix a grid of squares that never ran. */
static bool any_measured(const mb__plot_run *run)
{
    for (size_t i = 0; i < run->n_cells; i++)
        if (mb__plot_measured(&run->cells[i]))
            return true;
    return false;
}

int mb_plot_run_dir(const char *run_dir, const mb_plot_options *opt, mb_plot_report *report,
                    mb_err *err)
{
    mb_plot_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    mb_plot_report local = {0};
    mb_plot_report *rep = report != NULL ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (run_dir == NULL)
        return mb_err_set(err, MB_EINVAL, "plot: no run directory given");

    /* gnuplot first: without it nothing is written, so a missing gnuplot
     * never leaves a half-made charts folder behind. */
    char *gnuplot = mb__plot_find_gnuplot(opt->gnuplot, err);
    if (gnuplot == NULL)
        return MB_EGNUPLOT;

    mb__plot_run run = {0}, baseline = {0};
    int rc = mb__plot_load(run_dir, &run, err);
    if (rc != 0) {
        free(gnuplot);
        return rc;
    }
    if (opt->baseline != NULL) {
        mb_err load_err = {0};
        if (mb__plot_load_results(opt->baseline, &baseline, &load_err) != 0) {
            rc = mb_err_set(err, MB_EBASELINE, "baseline: %s", load_err.msg);
            goto out;
        }
    }
    rep->out_dir = opt->out_dir != NULL ? mb_strdup(opt->out_dir)
                                        : mb_asprintf("%s/charts", run.dir);
    if ((rc = mb_mkdir_p(rep->out_dir, 0755, err)) != 0)
        goto out;
    mb__plot_ctx ctx = {
        .run = &run,
        .baseline = opt->baseline != NULL ? &baseline : NULL,
        .baseline_path = opt->baseline,
        .out_dir = rep->out_dir,
        .formats = opt->formats & (MB_PLOT_SVG | MB_PLOT_PNG)
                       ? opt->formats & (MB_PLOT_SVG | MB_PLOT_PNG)
                       : MB_PLOT_SVG | MB_PLOT_PNG,
    };
    rep->charts = mb_calloc(mb__plot_n_kinds, sizeof *rep->charts);
    /* The first gnuplot failure is the one reported; later charts are still
     * drawn, as a failure in one chart says nothing about the others. */
    mb_err first = {0};
    if (!any_measured(&run))
        rep->none_drawn = "no cell was measured (the run stopped before its first job, or "
                          "skipped every cell)";
    for (size_t i = 0; i < mb__plot_n_kinds; i++) {
        mb_plot_chart *c = &rep->charts[rep->n_charts++];
        c->name = mb_strdup(mb__plot_kinds[i].name);
        c->title = mb_strdup(mb__plot_kinds[i].title);
        if (rep->none_drawn != NULL) {
            c->reason = mb_strdup(rep->none_drawn);
            continue;
        }
        mb_err e = {0};
        int built = mb__plot_kinds[i].build(&ctx, c->name, &c->reason, &e);
        if (built == 1)
            built = mb__plot_run_gnuplot(gnuplot, rep->out_dir, c->name, ctx.formats,
                                         opt->timeout_ms, &e);
        else if (built == 0)
            continue;
        if (built == 0) {
            c->made = true;
            c->note = c->reason;
            c->reason = NULL;
            rep->n_made++;
        } else {
            free(c->reason);
            c->reason = mb_strdup(e.msg);
            if (first.code == MB_OK)
                first = e;
        }
    }
    mb_err index_err = {0};
    write_index(&ctx, rep, &index_err);
    if (first.code != MB_OK)
        rc = mb_err_set(err, first.code, "%s", first.msg);
    else if (index_err.code != MB_OK)
        rc = mb_err_set(err, index_err.code, "%s", index_err.msg);
out:
    free(gnuplot);
    mb__plot_run_free(&run);
    mb__plot_run_free(&baseline);
    if (report == NULL)
        mb_plot_report_free(&local);
    return rc;
}

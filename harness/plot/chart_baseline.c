/* Current run against a baseline results.json: median change with its 95% interval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

typedef struct row {
    const mb__plot_cell *c;
    double change, lo, hi, p;
    int kind; /* 0 regression, 1 improvement, 2 neither */
} row;

/* The cells of this run that the baseline has, with their change. */
static size_t compare_rows(const mb__plot_ctx *ctx, row *rows)
{
    const mb__plot_run *run = ctx->run;
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (!mb__plot_has_ips(c))
            continue;
        const mb__plot_cell *b = NULL;
        for (size_t j = 0; j < ctx->baseline->n_cells && b == NULL; j++)
            if (strcmp(ctx->baseline->cells[j].name, c->name) == 0
                && mb__plot_has_ips(&ctx->baseline->cells[j]))
                b = &ctx->baseline->cells[j];
        if (b == NULL)
            continue;
        row *r = &rows[n];
        if (mb_stats_median_change(b->ips, b->n_ips, c->ips, c->n_ips, 0.95, &r->change, &r->lo,
                                   &r->hi)
            != 0)
            continue;
        mb_stats_mwu mwu = {0};
        r->p = mb_stats_mann_whitney(b->ips, b->n_ips, c->ips, c->n_ips, &mwu) == 0 ? mwu.p_value
                                                                                    : NAN;
        double thr = c->expect_regression > 0 ? c->expect_regression : 0.05;
        /* Highlighted only when the whole interval lies on one side of zero
         * and the median moved beyond the scenario's threshold. */
        r->kind = r->change < -thr && r->hi < 0 ? 0 : r->change > thr && r->lo > 0 ? 1 : 2;
        r->c = c;
        n++;
    }
    return n;
}

int mb__plot_chart_baseline(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    if (ctx->baseline == NULL)
        return mb__plot_skip(reason, "no baseline given (mpsbench plot --baseline FILE)");
    row *rows = mb_calloc(run->n_cells + 1, sizeof *rows);
    size_t n = compare_rows(ctx, rows);
    if (n == 0) {
        free(rows);
        return mb__plot_skip(reason,
                             "no cell of this run is in the baseline with a successful repetition");
    }
    double thr = rows[0].c->expect_regression > 0 ? rows[0].c->expect_regression : 0.05;
    mb_strbuf dat = {0}, body = {0};
    char *xlabel = mb_asprintf("change of median throughput against %s (%%)",
                               ctx->baseline_path ? ctx->baseline_path : "the baseline");
    char *qxlabel = mb__plot_gp_quote(xlabel);
    free(xlabel);
    mb_strbuf_printf(&dat, "# current against baseline: change of the median images/s, "
                           "95%% percentile-bootstrap interval\n"
                           "# columns: row change_pct lo_pct hi_pct mann_whitney_p \"cell\"\n");
    /* What the points show, not verdicts: the interval here is the two runs'
     * own noise; compare.md judges with the drift between runs (a plain
     * results.json baseline: inconclusive), a history or A/B pairs. */
    static const char *const kinds[] = {"slower beyond the threshold", "faster beyond the threshold",
                                        "within the threshold or the noise"};
    static const char *const kind_colours[] = {MB__PLOT_OOM_RED, "#1a9850", "#555555"};
    double lo = 0, hi = 0;
    size_t maxlab = 10;
    mb_strbuf plot = {0};
    int index = 0;
    for (int k = 0; k < 3; k++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].kind != k)
                continue;
            if (!any)
                mb_strbuf_printf(&dat, "# series: %s\n", kinds[k]);
            any = true;
            mb_strbuf_printf(&dat, "%zu %.4f %.4f %.4f %.4g \"%s\"\n", n - 1 - i,
                             rows[i].change * 100, rows[i].lo * 100, rows[i].hi * 100, rows[i].p,
                             rows[i].c->label);
        }
        if (!any)
            continue;
        mb_strbuf_printf(&dat, "\n\n");
        mb_strbuf_printf(&plot,
                         "%s'%s.dat' index %d using 2:1:3:4 with xerrorbars pt 7 ps 1.4 lw 2 "
                         "lc rgb \"%s\" title \"%s\"",
                         plot.len ? ", \\\n     " : "plot ", name, index++, kind_colours[k],
                         kinds[k]);
    }
    mb_strbuf_printf(&plot,
                     ", \\\n     NaN with boxes fs solid 1.0 lc rgb \"#e4e4e4\" "
                     "title \"within the ±%.0f%% threshold\"",
                     thr * 100);
    mb__plot_single_title(&body, ctx,
                          "Throughput against the baseline: points are the change of the median "
                          "images/s, bars its 95% bootstrap interval over the repetitions "
                          "(not a verdict: see compare.md)",
                          /* gnuplot centres a single plot's title over the plot
                           * area, right of the labels: wrap narrower. */
                          800);
    mb_strbuf_printf(&body, "set xlabel %s\nset ytics (", qxlabel);
    for (size_t i = 0; i < n; i++) {
        char *q = mb__plot_gp_quote(rows[i].c->label);
        mb_strbuf_printf(&body, "%s%s %zu", i ? ", " : "", q, n - 1 - i);
        free(q);
        maxlab = strlen(rows[i].c->label) > maxlab ? strlen(rows[i].c->label) : maxlab;
        lo = fmin(lo, rows[i].lo * 100);
        hi = fmax(hi, rows[i].hi * 100);
    }
    double pad = (hi - lo) * 0.1 + 1;
    lo = fmin(lo, -thr * 100) - pad;
    hi = fmax(hi, thr * 100) + pad;
    mb_strbuf_printf(&body,
                     ") scale 0\nunset grid\nset grid xtics lc rgb \"#dddddd\"\n"
                     "set yrange [-0.7:%zu.7]\nset xrange [%.3g:%.3g]\nset lmargin %zu\n"
                     "set object 1 rect from %.4g, graph 0 to %.4g, graph 1 fc rgb \"#e4e4e4\" "
                     "fs solid 1.0 noborder behind\n"
                     "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb \"#888888\"\n"
                     "set key outside below center horizontal maxrows 2\n"
                     "%s\n",
                     n - 1, lo, hi, maxlab + 2, -thr * 100, thr * 100, plot.s);
    mb__plot_strbuf_free(&plot);
    free(qxlabel);
    int height = 200 + 30 * (int)n;
    free(rows);
    return mb__plot_finish(ctx, name, reason, "baseline.dat", &dat, &body, 1000,
                           height < 400 ? 400 : height, err);
}

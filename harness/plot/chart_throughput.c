/* Throughput against batch size: one panel per image size, one line per device and variant. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

/* The series of one panel: every series of the panel's device (all of
 * them when the chart is not split by device) at the panel's image size.
 * With one batch size (ytics non-NULL) each series is a row, its median
 * a point on a horizontal bar from min to max, labelled on the left:
 * points stacked on one x would hide each other. */
static void throughput_panel(const mb__plot_ctx *ctx, const char *name,
                             const mb__plot_series *series, size_t ns, const int *batches,
                             size_t nb, const char *image, const char *device, int *index,
                             mb_strbuf *dat, mb_strbuf *plot, mb_strbuf *ytics, double *lo,
                             double *hi)
{
    const mb__plot_run *run = ctx->run;
    int rows = 0;
    for (size_t s = 0; s < ns; s++) {
        if (device != NULL && strcmp(series[s].device, device) != 0)
            continue;
        bool any = false;
        for (size_t b = 0; b < nb; b++) {
            const mb__plot_cell *c =
                mb__plot_find_cell(run, series[s].device, series[s].variant, image, batches[b]);
            if (c == NULL || !mb__plot_has_ips(c))
                continue;
            if (!any)
                mb__plot_series_block(dat, &series[s], image);
            any = true;
            double mn = mb_stats_min(c->ips, c->n_ips), mx = mb_stats_max(c->ips, c->n_ips);
            *lo = fmin(*lo, mn);
            *hi = fmax(*hi, mx);
            mb_strbuf_printf(dat, "%d %.6g %.6g %.6g %zu\n", ytics ? -rows : c->batch,
                             c->ips_median, mn, mx, c->n_ips);
        }
        if (!any)
            continue;
        if (ytics != NULL)
            mb__plot_row_label(ytics, &series[s], rows);
        rows++;
        mb__plot_series_line(dat, plot, name, index,
                             ytics ? "2:1:3:4 with xerrorbars" : "1:2:3:4 with yerrorlines",
                             &series[s]);
    }
}

int mb__plot_chart_throughput(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    mb__plot_grid g;
    mb__plot_grid_of(run, mb__plot_has_ips, &g);
    int rc;
    if (g.ni == 0) {
        rc = mb__plot_skip(reason, "no cell has a successful repetition to measure throughput on");
        goto out;
    }
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t longest = mb__plot_legend_series(&legend, g.series, g.ns);
    /* One batch size: a row per series, labelled on the left. */
    bool rows = g.nb == 1;
    mb__plot_layout l = mb__plot_layout_measure(
        ctx,
        "Throughput against batch size: points are the median images/s of the repetitions, "
        "bars span their min to max",
        &g, rows, longest, rows ? 0 : g.ns, longest);
    double all_lo = INFINITY, all_hi = 0;
    for (size_t k = 0; k < run->n_cells; k++)
        if (mb__plot_has_ips(&run->cells[k])) {
            all_lo = fmin(all_lo, mb_stats_min(run->cells[k].ips, run->cells[k].n_ips));
            all_hi = fmax(all_hi, mb_stats_max(run->cells[k].ips, run->cells[k].n_ips));
        }
    mb_strbuf_printf(&dat, "# throughput: images/s per repetition of each cell\n"
                           "# columns: batch_size median min max repetitions\n");
    mb__plot_layout_begin(&body, &l);
    mb__plot_measure_axes(&body, &g, rows, "throughput (images/s)", longest);
    int index = 0;
    for (size_t p = 0; p < g.np; p++) {
        double lo = INFINITY, hi = 0;
        mb_strbuf plot = {0}, ytics = {0};
        const char *image = g.images[g.panels[p].image]->image;
        throughput_panel(ctx, name, g.series, g.ns, g.batches, g.nb, image, g.panels[p].device,
                         &index, &dat, &plot, rows ? &ytics : NULL, &lo, &hi);
        mb__plot_layout_panel(&body, &l, (int)p);
        mb__plot_panel_title(&body, &g.panels[p], image);
        if (rows)
            mb_strbuf_printf(&body,
                             "set ytics (%s) scale 0 font \",10\"\nset yrange [-%zu.6:0.6]\n"
                             "set xrange [0:%g]\n",
                             ytics.s ? ytics.s : "", g.ns, hi * 1.1);
        else
            mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo, hi);
        mb__plot_strbuf_free(&ytics);
        mb_strbuf_printf(&body, "%s\n", plot.s ? plot.s : "plot NaN notitle");
        mb__plot_strbuf_free(&plot);
    }
    /* Rows are labelled on the left: a legend would repeat the labels. */
    mb__plot_layout_legend(&body, &l, rows ? NULL : legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, reason, "throughput.dat", &dat, &body, l.width, l.height, err);
out:
    mb__plot_grid_free(&g);
    return rc;
}

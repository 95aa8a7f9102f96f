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
                mb_strbuf_printf(dat, "# series: %s%s%s, image %s\n", series[s].device,
                                 *series[s].variant ? ", " : "", series[s].variant, image);
            any = true;
            double mn = mb_stats_min(c->ips, c->n_ips), mx = mb_stats_max(c->ips, c->n_ips);
            *lo = fmin(*lo, mn);
            *hi = fmax(*hi, mx);
            mb_strbuf_printf(dat, "%d %.6g %.6g %.6g %zu\n", ytics ? -rows : c->batch,
                             c->ips_median, mn, mx, c->n_ips);
        }
        if (!any)
            continue;
        mb_strbuf_printf(dat, "\n\n");
        char *t = mb__plot_series_title(&series[s]);
        char *qt = mb__plot_gp_quote(t);
        if (ytics != NULL)
            mb_strbuf_printf(ytics, "%s%s %d", rows ? ", " : "", qt, -rows);
        rows++;
        mb_strbuf_printf(plot, "%s'%s.dat' index %d using %s ", plot->len ? ", \\\n     " : "plot ",
                         name, (*index)++,
                         ytics ? "2:1:3:4 with xerrorbars" : "1:2:3:4 with yerrorlines");
        mb__plot_series_style(plot, &series[s]);
        mb_strbuf_printf(plot, " title %s", qt);
        free(t);
        free(qt);
    }
}

int mb__plot_chart_throughput(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    mb__plot_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = mb__plot_image_sizes(run, mb__plot_has_ips, images);
    size_t nb = mb__plot_batch_sizes(run, mb__plot_has_ips, batches);
    size_t ns = mb__plot_series_of(run, mb__plot_has_ips, series);
    mb__plot_panel *panels = mb_calloc(ns * ni + 1, sizeof *panels);
    size_t np = mb__plot_panels_of(series, ns, ni, panels);
    int rc;
    if (ni == 0) {
        rc = mb__plot_skip(reason, "no cell has a successful repetition to measure throughput on");
        goto out;
    }
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t longest = mb__plot_legend_series(&legend, series, ns);
    /* One batch size: a row per series, labelled on the left. */
    bool rows = nb == 1;
    mb__plot_layout l = mb__plot_layout_make(
        ctx,
        "Throughput against batch size: points are the median images/s of the repetitions, "
        "bars span their min to max",
        np, rows ? 1 : 3, rows ? 620 + (int)longest * 7 : 430, rows ? 140 + 24 * (int)ns : 400,
        rows ? 0 : ns, longest);
    double all_lo = INFINITY, all_hi = 0;
    for (size_t k = 0; k < run->n_cells; k++)
        if (mb__plot_has_ips(&run->cells[k])) {
            all_lo = fmin(all_lo, mb_stats_min(run->cells[k].ips, run->cells[k].n_ips));
            all_hi = fmax(all_hi, mb_stats_max(run->cells[k].ips, run->cells[k].n_ips));
        }
    mb_strbuf_printf(&dat, "# throughput: images/s per repetition of each cell\n"
                           "# columns: batch_size median min max repetitions\n");
    mb__plot_layout_begin(&body, &l);
    if (rows)
        mb_strbuf_printf(&body,
                         "set xlabel \"throughput (images/s), batch size %d\"\nunset ylabel\n"
                         "set lmargin %zu\n",
                         batches[0], longest * 8 / 10 + 3);
    else {
        mb__plot_batch_axis(&body, batches, nb);
        mb_strbuf_printf(&body, "set ylabel \"throughput (images/s)\"\n");
    }
    int index = 0;
    for (size_t p = 0; p < np; p++) {
        double lo = INFINITY, hi = 0;
        mb_strbuf plot = {0}, ytics = {0};
        const char *image = images[panels[p].image]->image;
        throughput_panel(ctx, name, series, ns, batches, nb, image, panels[p].device, &index, &dat,
                         &plot, rows ? &ytics : NULL, &lo, &hi);
        mb__plot_layout_panel(&body, &l, (int)p);
        mb_strbuf_printf(&body, "set title \"%s%s%s images\"\n",
                         panels[p].device ? panels[p].device : "", panels[p].device ? ", " : "",
                         image);
        if (rows)
            mb_strbuf_printf(&body,
                             "set ytics (%s) scale 0 font \",10\"\nset yrange [-%zu.6:0.6]\n"
                             "set xrange [0:%g]\n",
                             ytics.s ? ytics.s : "", ns, hi * 1.1);
        else
            mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo, hi);
        mb__plot_strbuf_free(&ytics);
        mb_strbuf_printf(&body, "%s\n", plot.s ? plot.s : "plot NaN notitle");
        mb__plot_strbuf_free(&plot);
    }
    /* Rows are labelled on the left: a legend would repeat the labels. */
    mb__plot_layout_legend(&body, &l, rows ? NULL : legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, "throughput.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(batches);
    free(series);
    free(panels);
    return rc;
}

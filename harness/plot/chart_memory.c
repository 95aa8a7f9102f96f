/* Peak memory against batch size, with OOM cells marked and the memory cap drawn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool has_memory(const mb__plot_cell *c)
{
    return mb__plot_measured(c) && (isfinite(c->peak_memory) || c->n_oom > 0);
}

static void format_bytes(double b, char *buf, size_t size)
{
    if (b >= 1073741824.0)
        snprintf(buf, size, "%.3g GiB", b / 1073741824.0);
    else
        snprintf(buf, size, "%.0f MiB", b / 1048576.0);
}

static const double mib = 1048576.0;

/* Whether a cell belongs to a panel: its image size, and its device when
 * the chart has a panel per device. */
static bool in_panel(const mb__plot_cell *c, const char *image, const char *device)
{
    return strcmp(c->image, image) == 0 && (device == NULL || strcmp(c->device, device) == 0);
}

/* The lines of what fitted, one per series of the panel. */
static void memory_lines(const mb__plot_ctx *ctx, const char *name, const mb__plot_series *series,
                         size_t ns, const int *batches, size_t nb, const char *image,
                         const char *device, int *index, mb_strbuf *dat, mb_strbuf *plot)
{
    for (size_t s = 0; s < ns; s++) {
        if (device != NULL && strcmp(series[s].device, device) != 0)
            continue;
        bool any = false;
        for (size_t b = 0; b < nb; b++) {
            const mb__plot_cell *c = mb__plot_find_cell(ctx->run, series[s].device,
                                                        series[s].variant, image, batches[b]);
            /* The line joins what fitted; what ran out of memory is
             * marked apart, since the peak it left says nothing about
             * the batch that failed. */
            if (c == NULL || !has_memory(c) || !isfinite(c->peak_memory)
                || (c->n_ok == 0 && c->n_oom > 0))
                continue;
            if (!any)
                mb__plot_series_block(dat, &series[s], image);
            any = true;
            mb_strbuf_printf(dat, "%d %.6g\n", c->batch, c->peak_memory / mib);
        }
        if (any)
            mb__plot_series_line(dat, plot, name, index, "1:2 with linespoints", &series[s]);
    }
}

/* An OOM cell's cross goes where it ran out: at the cap when there is one
 * (the peak a failed job leaves behind is what was freed after the
 * failure, not what it needed), else at its own peak, else at the top. */
static void memory_ooms(const mb__plot_run *run, const char *name, const char *image,
                        const char *device, double cap, double *lo, double *hi, int *index,
                        mb_strbuf *dat, mb_strbuf *plot)
{
    bool any_oom = false;
    for (size_t k = 0; k < run->n_cells; k++) {
        const mb__plot_cell *c = &run->cells[k];
        if (!has_memory(c) || c->n_oom == 0 || !in_panel(c, image, device))
            continue;
        double y = cap > 0                    ? cap / mib
                   : isfinite(c->peak_memory) ? c->peak_memory / mib
                   : *hi > 0                  ? *hi
                                              : 1;
        if (!any_oom)
            mb_strbuf_printf(dat, "# series: OOM, image %s\n", image);
        any_oom = true;
        *lo = fmin(*lo, y);
        *hi = fmax(*hi, y);
        mb_strbuf_printf(dat, "%d %.6g\n", c->batch, y);
    }
    if (!any_oom)
        return;
    mb_strbuf_printf(dat, "\n\n");
    mb_strbuf_printf(plot,
                     "%s'%s.dat' index %d using 1:2 with points pt 2 ps 2.6 lw 3 "
                     "lc rgb \"%s\" title \"out of memory\"",
                     plot->len ? ", \\\n     " : "plot ", name, (*index)++, MB__PLOT_OOM_RED);
}

static void memory_cap_line(mb_strbuf *body, double cap, double *lo, double *hi)
{
    if (cap <= 0)
        return;
    char text[32];
    format_bytes(cap, text, sizeof text);
    *lo = fmin(*lo, cap / mib);
    *hi = fmax(*hi, cap / mib);
    mb_strbuf_printf(body,
                     "set arrow from graph 0, first %.6g to graph 1, first %.6g nohead "
                     "dt 2 lw 1.5 lc rgb \"%s\"\n"
                     "set label \"memory cap %s\" at graph 0.02, first %.6g offset 0,0.7 "
                     "tc rgb \"%s\"\n",
                     cap / mib, cap / mib, MB__PLOT_OOM_RED, text, cap / mib, MB__PLOT_OOM_RED);
}

/* One batch size: a row per series, labelled on the left, with its peak
 * as a point or, for a cell that ran out of memory, a cross at the cap (or
 * its own peak); points stacked on one x would hide each other. */
static void memory_rows(const mb__plot_run *run, const char *name, const mb__plot_series *series,
                        size_t ns, int batch, const char *image, const char *device, double cap,
                        int *index, mb_strbuf *dat, mb_strbuf *body, double *hi)
{
    mb_strbuf fit = {0}, oom = {0}, ytics = {0};
    int rows = 0;
    if (cap > 0)
        mb_strbuf_printf(body,
                         "set arrow from first %.6g, graph 0 to first %.6g, graph 1 "
                         "nohead dt 2 lw 1.5 lc rgb \"%s\"\n",
                         cap / mib, cap / mib, MB__PLOT_OOM_RED);
    for (size_t s = 0; s < ns; s++) {
        const mb__plot_cell *c =
            mb__plot_find_cell(run, series[s].device, series[s].variant, image, batch);
        if ((device != NULL && strcmp(series[s].device, device) != 0) || c == NULL
            || !has_memory(c))
            continue;
        mb__plot_row_label(&ytics, &series[s], rows);
        if (c->n_oom > 0) {
            double y = cap > 0 ? cap / mib : isfinite(c->peak_memory) ? c->peak_memory / mib : 0;
            mb_strbuf_printf(&oom, "%.6g %d\n", y, -rows);
            *hi = fmax(*hi, y);
        } else if (isfinite(c->peak_memory)) {
            mb_strbuf_printf(&fit, "%.6g %d %u\n", c->peak_memory / mib, -rows,
                             mb__plot_hex_colour(mb__plot_series_color(&series[s])));
            *hi = fmax(*hi, c->peak_memory / mib);
        }
        rows++;
    }
    mb_strbuf_printf(dat, "# series: fitted, image %s\n%s\n\n# series: OOM, image %s\n%s\n\n",
                     image, fit.s ? fit.s : "NaN NaN 0\n", image, oom.s ? oom.s : "NaN NaN\n");
    mb_strbuf_printf(body,
                     "set ytics (%s) scale 0 font \",10\"\nset yrange [-%d.6:0.6]\n"
                     "set xrange [0:%g]\n"
                     "plot '%s.dat' index %d using 1:2:3 with points pt 7 ps 1.5 lc rgb variable "
                     "notitle, \\\n     '' index %d using 1:2 with points pt 2 ps 2.2 lw 3 "
                     "lc rgb \"%s\" notitle\n",
                     ytics.s ? ytics.s : "", rows > 0 ? rows - 1 : 0, *hi > 0 ? *hi * 1.15 : 1,
                     name, *index, *index + 1, MB__PLOT_OOM_RED);
    *index += 2;
    mb__plot_strbuf_free(&fit);
    mb__plot_strbuf_free(&oom);
    mb__plot_strbuf_free(&ytics);
}

/* The panel's peak memory range in MiB, and its memory cap in bytes. */
static double panel_range(const mb__plot_run *run, const char *image, const char *device,
                          double *lo, double *hi)
{
    double cap = 0;
    for (size_t k = 0; k < run->n_cells; k++) {
        const mb__plot_cell *c = &run->cells[k];
        if (!has_memory(c) || !in_panel(c, image, device))
            continue;
        if (isfinite(c->peak_memory)) {
            *lo = fmin(*lo, c->peak_memory / mib);
            *hi = fmax(*hi, c->peak_memory / mib);
        }
        cap = fmax(cap, c->memory_limit);
    }
    return cap;
}

int mb__plot_chart_memory(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    mb__plot_grid g;
    mb__plot_grid_of(run, has_memory, &g);
    int rc;
    if (g.ni == 0) {
        rc = mb__plot_skip(reason,
                           "no memory figures in this run (no measured job reported its peak)");
        goto out;
    }
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t longest = mb__plot_legend_series(&legend, g.series, g.ns);
    double all_lo = INFINITY, all_hi = 0;
    bool any_oom_cell = false;
    for (size_t k = 0; k < run->n_cells; k++) {
        const mb__plot_cell *c = &run->cells[k];
        if (!has_memory(c))
            continue;
        any_oom_cell |= c->n_oom > 0;
        if (isfinite(c->peak_memory)) {
            all_lo = fmin(all_lo, c->peak_memory / mib);
            all_hi = fmax(all_hi, c->peak_memory / mib);
        }
        if (c->memory_limit > 0)
            all_hi = fmax(all_hi, c->memory_limit / mib);
    }
    if (any_oom_cell)
        mb_strbuf_printf(&legend,
                         ", NaN with points pt 2 ps 2.6 lw 3 lc rgb \"%s\" "
                         "title \"out of memory\"",
                         MB__PLOT_OOM_RED);
    bool rows = g.nb == 1; /* a row per series: memory_rows */
    mb__plot_layout l = mb__plot_layout_measure(
        ctx,
        "Peak memory against batch size: device memory (peak allocated) on GPUs, resident set "
        "on the CPU; crosses mark cells that ran out of memory",
        &g, rows, longest, rows ? (size_t)any_oom_cell : g.ns + any_oom_cell,
        rows ? 40 : longest);
    mb_strbuf_printf(&dat, "# peak memory per cell: device memory (peak allocated) on GPUs, "
                           "peak RSS on the CPU\n"
                           "# columns: batch_size peak_MiB (OOM blocks: batch_size y_MiB)\n");
    mb__plot_layout_begin(&body, &l);
    mb__plot_measure_axes(&body, &g, rows, "peak memory (MiB)", longest);
    int index = 0;
    for (size_t p = 0; p < g.np; p++) {
        const char *image = g.images[g.panels[p].image]->image, *device = g.panels[p].device;
        double lo = INFINITY, hi = 0, cap = panel_range(run, image, device, &lo, &hi);
        if (rows) {
            mb__plot_layout_panel(&body, &l, (int)p);
            mb__plot_panel_title(&body, &g.panels[p], image);
            mb_strbuf_printf(&body, "unset arrow\nunset label\n");
            memory_rows(run, name, g.series, g.ns, g.batches[0], image, device, cap, &index, &dat,
                        &body, &hi);
            continue;
        }
        mb_strbuf plot = {0};
        memory_lines(ctx, name, g.series, g.ns, g.batches, g.nb, image, device, &index, &dat,
                     &plot);
        memory_ooms(run, name, image, device, cap, &lo, &hi, &index, &dat, &plot);
        mb__plot_layout_panel(&body, &l, (int)p);
        mb__plot_panel_title(&body, &g.panels[p], image);
        mb_strbuf_printf(&body, "unset arrow\nunset label\n");
        memory_cap_line(&body, cap, &lo, &hi);
        mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo, hi);
        mb_strbuf_printf(&body, "%s\n", plot.s ? plot.s : "plot NaN notitle");
        mb__plot_strbuf_free(&plot);
    }
    if (rows) { /* the rows are labelled: the legend keeps only the cross */
        mb__plot_strbuf_free(&legend);
        if (any_oom_cell)
            mb_strbuf_printf(&legend,
                             ", NaN with points pt 2 ps 2.6 lw 3 lc rgb \"%s\" "
                             "title \"out of memory (at the cap when there is one)\"",
                             MB__PLOT_OOM_RED);
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, reason, "memory.dat", &dat, &body, l.width, l.height, err);
out:
    mb__plot_grid_free(&g);
    return rc;
}

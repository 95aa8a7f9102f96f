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

int mb__plot_chart_memory(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    mb__plot_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = mb__plot_image_sizes(run, has_memory, images);
    size_t nb = mb__plot_batch_sizes(run, has_memory, batches);
    size_t ns = mb__plot_series_of(run, has_memory, series);
    int rc;
    if (ni == 0) {
        rc = mb__plot_skip(reason,
                           "no memory figures in this run (no measured job reported its peak)");
        goto out;
    }
    const double mib = 1048576.0;
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t longest = mb__plot_legend_series(&legend, series, ns);
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
    mb__plot_layout l = mb__plot_layout_make(ni, 3, 430, 400, ns + any_oom_cell, longest);
    mb_strbuf_printf(&dat, "# peak memory per cell: device memory (peak allocated) on GPUs, "
                           "peak RSS on the CPU\n"
                           "# columns: batch_size peak_MiB (OOM blocks: batch_size y_MiB)\n");
    mb__plot_layout_begin(&body,
                          "Peak memory against batch size (device memory on GPUs, resident set "
                          "on the CPU)");
    mb__plot_batch_axis(&body, batches, nb);
    mb_strbuf_printf(&body, "set ylabel \"peak memory (MiB)\"\n");
    int index = 0;
    for (size_t i = 0; i < ni; i++) {
        double lo = INFINITY, hi = 0, cap = 0;
        for (size_t k = 0; k < run->n_cells; k++) {
            const mb__plot_cell *c = &run->cells[k];
            if (!has_memory(c) || strcmp(c->image, images[i]->image) != 0)
                continue;
            if (isfinite(c->peak_memory)) {
                lo = fmin(lo, c->peak_memory / mib);
                hi = fmax(hi, c->peak_memory / mib);
            }
            cap = fmax(cap, c->memory_limit);
        }
        mb_strbuf plot = {0};
        for (size_t s = 0; s < ns; s++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const mb__plot_cell *c = mb__plot_find_cell(
                    run, series[s].device, series[s].variant, images[i]->image, batches[b]);
                /* The line joins what fitted; what ran out of memory is
                 * marked apart, since the peak it left says nothing about
                 * the batch that failed. */
                if (c == NULL || !has_memory(c) || !isfinite(c->peak_memory)
                    || (c->n_ok == 0 && c->n_oom > 0))
                    continue;
                if (!any) {
                    char *t = mb__plot_series_title(&series[s]);
                    mb_strbuf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                mb_strbuf_printf(&dat, "%d %.6g\n", c->batch, c->peak_memory / mib);
            }
            if (!any)
                continue;
            mb_strbuf_printf(&dat, "\n\n");
            char *t = mb__plot_series_title(&series[s]);
            char *qt = mb__plot_gp_quote(t);
            mb_strbuf_printf(&plot, "%s'%s.dat' index %d using 1:2 with linespoints ",
                             plot.len ? ", \\\n     " : "plot ", name, index++);
            mb__plot_series_style(&plot, series[s].device, series[s].style);
            mb_strbuf_printf(&plot, " title %s", qt);
            free(t);
            free(qt);
        }
        /* An OOM cell's cross goes where it ran out: at the cap when there
         * is one (the peak a failed job leaves behind is what was freed
         * after the failure, not what it needed), else at its own peak,
         * else at the top. */
        bool any_oom = false;
        for (size_t k = 0; k < run->n_cells; k++) {
            const mb__plot_cell *c = &run->cells[k];
            if (!has_memory(c) || c->n_oom == 0 || strcmp(c->image, images[i]->image) != 0)
                continue;
            double y = cap > 0                    ? cap / mib
                       : isfinite(c->peak_memory) ? c->peak_memory / mib
                       : hi > 0                   ? hi
                                                  : 1;
            if (!any_oom)
                mb_strbuf_printf(&dat, "# series: OOM, image %s\n", images[i]->image);
            any_oom = true;
            lo = fmin(lo, y);
            hi = fmax(hi, y);
            mb_strbuf_printf(&dat, "%d %.6g\n", c->batch, y);
        }
        if (any_oom) {
            mb_strbuf_printf(&dat, "\n\n");
            mb_strbuf_printf(&plot,
                             "%s'%s.dat' index %d using 1:2 with points pt 2 ps 2.6 lw 3 "
                             "lc rgb \"%s\" title \"out of memory\"",
                             plot.len ? ", \\\n     " : "plot ", name, index++, MB__PLOT_OOM_RED);
        }
        mb__plot_layout_panel(&body, &l, (int)i);
        mb_strbuf_printf(&body, "set title \"%s images\"\nunset arrow\nunset label\n",
                         images[i]->image);
        if (cap > 0) {
            char text[32];
            format_bytes(cap, text, sizeof text);
            lo = fmin(lo, cap / mib);
            hi = fmax(hi, cap / mib);
            mb_strbuf_printf(&body,
                             "set arrow from graph 0, first %.6g to graph 1, first %.6g nohead "
                             "dt 2 lw 1.5 lc rgb \"%s\"\n"
                             "set label \"memory cap %s\" at graph 0.02, first %.6g offset 0,0.7 "
                             "tc rgb \"%s\"\n",
                             cap / mib, cap / mib, MB__PLOT_OOM_RED, text, cap / mib,
                             MB__PLOT_OOM_RED);
        }
        mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo, hi);
        mb_strbuf_printf(&body, "%s\n", plot.s ? plot.s : "plot NaN notitle");
        mb__plot_strbuf_free(&plot);
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, "memory.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

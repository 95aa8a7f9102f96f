/* Throughput against batch size: one panel per image size, one line per device and variant. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

int mb__plot_chart_throughput(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    mb__plot_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = mb__plot_image_sizes(run, mb__plot_has_ips, images);
    size_t nb = mb__plot_batch_sizes(run, mb__plot_has_ips, batches);
    size_t ns = mb__plot_series_of(run, mb__plot_has_ips, series);
    int rc;
    if (ni == 0) {
        rc = mb__plot_skip(reason, "no cell has a successful repetition to measure throughput on");
        goto out;
    }
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t longest = mb__plot_legend_series(&legend, series, ns);
    mb__plot_layout l = mb__plot_layout_make(ni, 3, 430, 400, ns, longest);
    double all_lo = INFINITY, all_hi = 0;
    for (size_t k = 0; k < run->n_cells; k++)
        if (mb__plot_has_ips(&run->cells[k])) {
            all_lo = fmin(all_lo, mb_stats_min(run->cells[k].ips, run->cells[k].n_ips));
            all_hi = fmax(all_hi, mb_stats_max(run->cells[k].ips, run->cells[k].n_ips));
        }
    mb_strbuf_printf(&dat, "# throughput: images/s per repetition of each cell\n"
                           "# columns: batch_size median min max repetitions\n");
    mb__plot_layout_begin(&body,
                          "Throughput against batch size (median of the repetitions, bars from "
                          "min to max)");
    mb__plot_batch_axis(&body, batches, nb);
    mb_strbuf_printf(&body, "set ylabel \"throughput (images/s)\"\n");
    int index = 0;
    for (size_t i = 0; i < ni; i++) {
        double lo = INFINITY, hi = 0;
        mb_strbuf plot = {0};
        for (size_t s = 0; s < ns; s++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const mb__plot_cell *c = mb__plot_find_cell(
                    run, series[s].device, series[s].variant, images[i]->image, batches[b]);
                if (c == NULL || !mb__plot_has_ips(c))
                    continue;
                if (!any) {
                    char *t = mb__plot_series_title(&series[s]);
                    mb_strbuf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                double mn = mb_stats_min(c->ips, c->n_ips), mx = mb_stats_max(c->ips, c->n_ips);
                lo = fmin(lo, mn);
                hi = fmax(hi, mx);
                mb_strbuf_printf(&dat, "%d %.6g %.6g %.6g %zu\n", c->batch, c->ips_median, mn, mx,
                                 c->n_ips);
            }
            if (!any)
                continue;
            mb_strbuf_printf(&dat, "\n\n");
            char *t = mb__plot_series_title(&series[s]);
            char *qt = mb__plot_gp_quote(t);
            mb_strbuf_printf(&plot, "%s'%s.dat' index %d using 1:2:3:4 with yerrorlines ",
                             plot.len ? ", \\\n     " : "plot ", name, index++);
            mb__plot_series_style(&plot, series[s].device, series[s].style);
            mb_strbuf_printf(&plot, " title %s", qt);
            free(t);
            free(qt);
        }
        mb__plot_layout_panel(&body, &l, (int)i);
        mb_strbuf_printf(&body, "set title \"%s images\"\n", images[i]->image);
        mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo, hi);
        mb_strbuf_printf(&body, "%s\n", plot.s);
        mb__plot_strbuf_free(&plot);
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, "throughput.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

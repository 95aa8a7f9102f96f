/* GPU/CPU speedup: median images/s of each GPU cell over its CPU twin. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool gpu_with_ips(const mb__plot_cell *c)
{
    return mb__plot_has_ips(c) && mb__plot_is_gpu(c->device);
}

static bool cpu_with_ips(const mb__plot_cell *c)
{
    return mb__plot_has_ips(c) && !mb__plot_is_gpu(c->device);
}

/* The CPU cell a GPU cell compares with: the same configuration if the run
 * has it, otherwise any CPU cell of the same image and batch size (the CPU
 * ignores the watermark fix, so a fix-on CPU cell stands for a fix-off
 * one). */
static const mb__plot_cell *cpu_twin(const mb__plot_run *run, const mb__plot_cell *g)
{
    const mb__plot_cell *any = NULL;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (!cpu_with_ips(c) || strcmp(c->image, g->image) != 0 || c->batch != g->batch)
            continue;
        if (strcmp(c->variant, g->variant) == 0)
            return c;
        if (any == NULL)
            any = c;
    }
    return any;
}

/* One panel per image size: each GPU series against its CPU twins. */
static void speedup_panel(const mb__plot_run *run, const char *name, const mb__plot_series *series,
                          size_t ns, const int *batches, size_t nb, const char *image, int *index,
                          mb_strbuf *dat, mb_strbuf *plot, double *lo, double *hi)
{
    for (size_t s = 0; s < ns; s++) {
        bool any = false;
        for (size_t b = 0; b < nb; b++) {
            const mb__plot_cell *g =
                mb__plot_find_cell(run, series[s].device, series[s].variant, image, batches[b]);
            const mb__plot_cell *c = g && mb__plot_has_ips(g) ? cpu_twin(run, g) : NULL;
            if (c == NULL)
                continue;
            double x = g->ips_median / c->ips_median;
            if (!any)
                mb__plot_series_block(dat, &series[s], image);
            any = true;
            *lo = fmin(*lo, x);
            *hi = fmax(*hi, x);
            mb_strbuf_printf(dat, "%d %.6g %.6g %.6g\n", g->batch, x, g->ips_median, c->ips_median);
        }
        if (any)
            mb__plot_series_line(dat, plot, name, index, "1:2 with linespoints", &series[s]);
    }
}

int mb__plot_chart_speedup(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    size_t n_gpu = 0, n_cpu = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        n_gpu += gpu_with_ips(&run->cells[i]);
        n_cpu += cpu_with_ips(&run->cells[i]);
    }
    if (n_gpu == 0)
        return mb__plot_skip(reason,
                             "GPU vs CPU: no GPU cell with a successful repetition in this run");
    if (n_cpu == 0)
        return mb__plot_skip(reason,
                             "GPU vs CPU: no CPU cell with a successful repetition in this run");
    mb__plot_grid g;
    mb__plot_grid_of(run, gpu_with_ips, &g);
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    mb_strbuf *plots = mb_calloc(g.ni + 1, sizeof *plots);
    double *lo = mb_calloc(g.ni + 1, sizeof *lo), *hi = mb_calloc(g.ni + 1, sizeof *hi);
    mb_strbuf_printf(&dat, "# GPU/CPU speedup: median images/s of a GPU cell over its CPU twin\n"
                           "# columns: batch_size speedup gpu_images_per_s cpu_images_per_s\n");
    int index = 0;
    double all_lo = 1.0, all_hi = 1.0;
    for (size_t i = 0; i < g.ni; i++) {
        lo[i] = 1.0;
        hi[i] = 1.0;
        speedup_panel(run, name, g.series, g.ns, g.batches, g.nb, g.images[i]->image, &index, &dat,
                      &plots[i], &lo[i], &hi[i]);
        all_lo = fmin(all_lo, lo[i]);
        all_hi = fmax(all_hi, hi[i]);
    }
    int rc;
    if (index == 0) {
        rc = mb__plot_skip(reason,
                           "GPU vs CPU: no GPU cell has a CPU cell of the same image and batch "
                           "size");
        mb__plot_strbuf_free(&dat);
        goto out;
    }
    size_t longest = mb__plot_legend_series(&legend, g.series, g.ns);
    mb__plot_layout l = mb__plot_layout_make(
        ctx,
        "GPU speedup over the CPU: median images/s of each GPU cell over the CPU cell of the same "
        "image and batch size (above 1: the GPU is faster)",
        g.ni, 3, 430, 400, g.ns, longest);
    mb__plot_layout_begin(&body, &l);
    mb__plot_batch_axis(&body, g.batches, g.nb);
    mb_strbuf_printf(&body, "set ylabel \"speedup over the CPU (×)\"\n");
    for (size_t i = 0; i < g.ni; i++) {
        mb__plot_layout_panel(&body, &l, (int)i);
        mb_strbuf_printf(&body,
                         "set title \"%s images\"\nunset arrow\nunset label\n"
                         "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 "
                         "lc rgb \"#888888\"\n"
                         "set label \"as fast as the CPU\" at graph 0.01, first 1 offset 0,0.6 "
                         "tc rgb \"#666666\"\n",
                         g.images[i]->image);
        mb__plot_panel_y_axis(&body, mb__plot_spans_decade(all_lo, all_hi), lo[i], hi[i]);
        mb_strbuf_printf(&body, "%s\n", plots[i].s ? plots[i].s : "plot NaN notitle");
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    rc = mb__plot_finish(ctx, name, reason, "speedup.dat", &dat, &body, l.width, l.height, err);
out:
    for (size_t i = 0; i < g.ni; i++)
        mb__plot_strbuf_free(&plots[i]);
    mb__plot_strbuf_free(&legend);
    free(plots);
    free(lo);
    free(hi);
    mb__plot_grid_free(&g);
    return rc;
}

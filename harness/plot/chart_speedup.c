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
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    mb__plot_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = mb__plot_image_sizes(run, gpu_with_ips, images);
    size_t nb = mb__plot_batch_sizes(run, gpu_with_ips, batches);
    size_t ns = mb__plot_series_of(run, gpu_with_ips, series);
    mb_strbuf dat = {0}, body = {0}, plot = {0};
    mb_strbuf_printf(&dat, "# GPU/CPU speedup: median images/s of a GPU cell over its CPU twin\n"
                           "# columns: batch_size speedup gpu_images_per_s cpu_images_per_s\n");
    double lo = INFINITY, hi = 0;
    int index = 0;
    static const int pts[] = {7, 5, 9, 13, 11, 15};
    static const int dts[] = {1, 2, 4, 5, 3, 1};
    for (size_t s = 0; s < ns; s++) {
        for (size_t i = 0; i < ni; i++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const mb__plot_cell *g = mb__plot_find_cell(
                    run, series[s].device, series[s].variant, images[i]->image, batches[b]);
                const mb__plot_cell *c = g && mb__plot_has_ips(g) ? cpu_twin(run, g) : NULL;
                if (c == NULL)
                    continue;
                double x = g->ips_median / c->ips_median;
                if (!any) {
                    char *t = mb__plot_series_title(&series[s]);
                    mb_strbuf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                lo = fmin(lo, x);
                hi = fmax(hi, x);
                mb_strbuf_printf(&dat, "%d %.6g %.6g %.6g\n", g->batch, x, g->ips_median,
                                 c->ips_median);
            }
            if (!any)
                continue;
            mb_strbuf_printf(&dat, "\n\n");
            char *t = mb__plot_series_title(&series[s]);
            char *full = mb_asprintf("%s, %s images", t, images[i]->image);
            char *qt = mb__plot_gp_quote(full);
            /* Colour tells the device, the marker the image size. */
            mb_strbuf_printf(&plot,
                             "%s'%s.dat' index %d using 1:2 with linespoints lc rgb \"%s\" lw 2 "
                             "pt %d ps 1.4 dt %d title %s",
                             plot.len ? ", \\\n     " : "plot ", name, index++,
                             mb__plot_device_color(series[s].device), pts[i % 6],
                             dts[series[s].style % 6], qt);
            free(t);
            free(full);
            free(qt);
        }
    }
    int rc;
    if (index == 0) {
        rc = mb__plot_skip(reason,
                           "GPU vs CPU: no GPU cell has a CPU cell of the same image and batch "
                           "size");
        mb__plot_strbuf_free(&dat);
        mb__plot_strbuf_free(&body);
        mb__plot_strbuf_free(&plot);
        goto out;
    }
    mb_strbuf_printf(&body, "set title \"GPU speedup over the CPU (median images/s, same image "
                            "and batch size)\" font \",13\"\n");
    mb__plot_batch_axis(&body, batches, nb);
    mb_strbuf_printf(&body, "set ylabel \"speedup over the CPU (×)\"\n"
                            "set key outside below center horizontal\n");
    lo = fmin(lo, 1.0);
    hi = fmax(hi, 1.0);
    mb__plot_y_axis(&body, lo, hi, true);
    mb_strbuf_printf(&body,
                     "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 "
                     "lc rgb \"#888888\"\n"
                     "set label \"as fast as the CPU\" at graph 0.01, first 1 offset 0,0.6 "
                     "tc rgb \"#666666\"\n%s\n",
                     plot.s);
    mb__plot_strbuf_free(&plot);
    rc = mb__plot_finish(ctx, name, "speedup.dat", &dat, &body, 900, 600, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

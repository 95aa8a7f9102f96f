/* Where a job's time goes: the mean time per job of each pipeline stage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool has_stages(const mb__plot_cell *c)
{
    return mb__plot_measured(c) && c->has_stages;
}

int mb__plot_chart_stages(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    const mb__plot_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    size_t ni = mb__plot_image_sizes(run, has_stages, images);
    int rc;
    if (ni == 0) {
        rc = mb__plot_skip(reason, "no successful measured job reported its stage times");
        goto out;
    }
    static const char *const stage_names[MB__PLOT_N_STAGES] = {"decode", "preprocess", "transfer",
                                                               "forward", "other"};
    static const char *const stage_colours[MB__PLOT_N_STAGES] = {"#e69f00", "#cc79a7", "#56b4e9",
                                                                 "#009e73", "#bbbbbb"};
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t widest = 1;
    /* The left margin holds the y label and the first rotated tick label,
     * whichever needs more room. */
    size_t longest = 8;
    for (size_t i = 0; i < ni; i++) {
        size_t n = mb__plot_cells_of_image(run, images[i]->image, has_stages, cells);
        widest = n > widest ? n : widest;
        for (size_t k = 0; k < n; k++) {
            size_t len = strlen(cells[k]->device) + strlen(cells[k]->variant) + 6;
            longest = len > longest ? len : longest;
        }
    }
    for (int s = 0; s < MB__PLOT_N_STAGES; s++)
        mb_strbuf_printf(&legend, ", NaN with boxes lc rgb \"%s\" title \"%s\"", stage_colours[s],
                         stage_names[s]);
    mb__plot_layout l =
        mb__plot_layout_make(ni, 3, 190 + 50 * (int)widest < 380 ? 380 : 190 + 50 * (int)widest,
                             420, MB__PLOT_N_STAGES, 10);
    mb_strbuf_printf(&dat, "# time per job by stage, mean of the successful measured jobs, ms\n"
                           "# columns: \"cell\" decode preprocess transfer forward other\n");
    /* Decode and preprocess run on the worker's thread pool, overlapping
     * each other and the device: their bars are CPU time summed over the
     * threads and can add up to more than the job's wall time. */
    mb__plot_layout_begin(&body, "Where a job's time goes (mean per job)\\n"
                                 "decode, preprocess: CPU time over all threads");
    mb_strbuf_printf(&body,
                     "set style data histograms\nset style histogram rowstacked\n"
                     "set style fill solid 0.9 border lc rgb \"white\"\nset boxwidth 0.7\n"
                     "set ylabel \"time per job (ms)\"\nset yrange [0:*]\n"
                     "set xtics rotate by 30 right scale 0 font \",10\"\n"
                     "set lmargin %zu\n",
                     longest * 6 / 10 + 2 > 11 ? longest * 6 / 10 + 2 : 11);
    for (size_t i = 0; i < ni; i++) {
        size_t n = mb__plot_cells_of_image(run, images[i]->image, has_stages, cells);
        mb_strbuf_printf(&dat, "# series: image %s\n", images[i]->image);
        for (size_t k = 0; k < n; k++) {
            const mb__plot_cell *c = cells[k];
            char *lab = *c->variant ? mb_asprintf("%s b%d %s", c->device, c->batch, c->variant)
                                    : mb_asprintf("%s b%d", c->device, c->batch);
            for (char *p = lab; *p; p++)
                if (*p == '"')
                    *p = '\'';
            mb_strbuf_printf(&dat, "\"%s\"", lab);
            free(lab);
            for (int s = 0; s < MB__PLOT_N_STAGES; s++)
                mb_strbuf_printf(&dat, " %.6g", c->stage_ms[s]);
            mb_strbuf_printf(&dat, "\n");
        }
        mb_strbuf_printf(&dat, "\n\n");
        mb__plot_layout_panel(&body, &l, (int)i);
        mb_strbuf_printf(&body, "set title \"%s images\"\nplot ", images[i]->image);
        for (int s = 0; s < MB__PLOT_N_STAGES; s++)
            mb_strbuf_printf(&body, "%s'%s.dat' index %zu using %d%s lc rgb \"%s\" title \"%s\"",
                             s ? ", \\\n     " : "", name, i, s + 2, s ? "" : ":xtic(1)",
                             stage_colours[s], stage_names[s]);
        mb_strbuf_printf(&body, "\n");
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, "stages.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(cells);
    return rc;
}

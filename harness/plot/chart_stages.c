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

static const char *const stage_names[MB__PLOT_N_STAGES] = {"decode", "preprocess", "transfer",
                                                           "forward", "other"};
static const char *const stage_colours[MB__PLOT_N_STAGES] = {"#e69f00", "#cc79a7", "#56b4e9",
                                                             "#009e73", "#bbbbbb"};

/* A cell's row label: the panel already names the image size. */
static char *row_label(const mb__plot_cell *c)
{
    char *lab = *c->variant ? mb_asprintf("%s b%d, %s", c->device, c->batch, c->variant)
                            : mb_asprintf("%s b%d", c->device, c->batch);
    for (char *p = lab; *p; p++)
        if (*p == '"')
            *p = '\'';
    return lab;
}

/* One panel: a horizontal stacked bar per cell, its label on the left
 * where a long label has room, never rotated over its neighbours. */
static void stages_panel(const char *name, size_t index, const mb__plot_cell **cells, size_t n,
                         mb_strbuf *dat, mb_strbuf *body)
{
    mb_strbuf_printf(body, "set ytics (");
    for (size_t k = 0; k < n; k++) {
        const mb__plot_cell *c = cells[k];
        char *lab = row_label(c);
        /* Top to bottom in the order of the cells. */
        mb_strbuf_printf(dat, "%zu \"%s\"", n - 1 - k, lab);
        mb_strbuf_printf(body, "%s\"%s\" %zu", k ? ", " : "", lab, n - 1 - k);
        free(lab);
        double sum = 0;
        for (int s = 0; s < MB__PLOT_N_STAGES; s++)
            mb_strbuf_printf(dat, " %.6g", c->stage_ms[s]);
        for (int s = 0; s < MB__PLOT_N_STAGES; s++) {
            sum += c->stage_ms[s];
            mb_strbuf_printf(dat, " %.6g", sum);
        }
        mb_strbuf_printf(dat, "\n");
    }
    mb_strbuf_printf(dat, "\n\n");
    mb_strbuf_printf(body, ") scale 0 font \",10\"\nset yrange [-0.6:%zu.6]\nplot ", n - 1);
    /* Stage s spans from the sum of the stages before it (column 7+s, 0
     * for the first) to the sum including it (column 8+s). */
    for (int s = 0; s < MB__PLOT_N_STAGES; s++) {
        char from[16] = "(0)";
        if (s > 0)
            snprintf(from, sizeof from, "%d", 7 + s);
        mb_strbuf_printf(body,
                         "%s'%s.dat' index %zu using %d:1:%s:%d:($1-0.36):($1+0.36) with "
                         "boxxyerror fs solid 0.9 border lc rgb \"white\" fc rgb \"%s\" notitle",
                         s ? ", \\\n     " : "", name, index, 8 + s, from, 8 + s, stage_colours[s]);
    }
    mb_strbuf_printf(body, "\n");
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
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    size_t widest, longest = 8;
    mb__plot_rows_extent(run, images, ni, has_stages, row_label, &widest, &longest);
    for (int s = 0; s < MB__PLOT_N_STAGES; s++)
        mb_strbuf_printf(&legend, ", NaN with boxes fs solid 0.9 lc rgb \"%s\" title \"%s\"",
                         stage_colours[s], stage_names[s]);
    /* Room for the labels (font ",10": about 6.5 px a character) beside a
     * plot at least 560 px wide; a row of 22 px per cell. */
    int panel_w = 620 + (int)longest * 7;
    mb__plot_layout l = mb__plot_layout_make(
        ctx,
        "Where a job's time goes: mean time per job of each stage, stacked (decode and "
        "preprocess: CPU time summed over the worker's threads)",
        ni, 1, panel_w, 90 + 22 * (int)widest, MB__PLOT_N_STAGES, 10);
    mb_strbuf_printf(&dat, "# time per job by stage, mean of the successful measured jobs, ms\n"
                           "# columns: row \"cell\" decode preprocess transfer forward other "
                           "then the running sums of the same five\n");
    /* Decode and preprocess run on the worker's thread pool, overlapping
     * each other and the device: their bars are CPU time summed over the
     * threads and can add up to more than the job's wall time. */
    mb__plot_layout_begin(&body, &l);
    mb_strbuf_printf(&body,
                     "set xlabel \"time per job (ms)\"\nset xrange [0:*]\n"
                     "set lmargin %zu\nunset ylabel\n",
                     longest * 8 / 10 + 3);
    for (size_t i = 0; i < ni; i++) {
        size_t n = mb__plot_cells_of_image(run, images[i]->image, has_stages, cells);
        mb_strbuf_printf(&dat, "# series: image %s\n", images[i]->image);
        mb__plot_layout_panel(&body, &l, (int)i);
        mb_strbuf_printf(&body, "set title \"%s images\"\n", images[i]->image);
        stages_panel(name, i, cells, n, &dat, &body);
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    rc = mb__plot_finish(ctx, name, reason, "stages.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(cells);
    return rc;
}

/* Per-job latency: quartile boxes and every job as a dot, per cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool has_latencies(const mb__plot_cell *c)
{
    return mb__plot_measured(c) && c->n_latency > 0;
}

/* A cell's tick label: the panel already names the image size. */
static char *tick_label(const mb__plot_cell *c)
{
    return *c->variant ? mb_asprintf("%s b%d, %s", c->device, c->batch, c->variant)
                       : mb_asprintf("%s b%d", c->device, c->batch);
}

/* One panel (one image size): two data blocks, the quartiles and the jobs,
 * a horizontal row per cell with its label on the left where a long label
 * has room. */
static void latency_panel(const char *name, int block, const char *image,
                          const mb__plot_cell **cells, size_t n, mb_strbuf *dat, mb_strbuf *body)
{
    mb_strbuf_printf(dat, "# series: quartiles, image %s\n", image);
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < n; i++) {
        const mb__plot_cell *c = cells[i];
        double q[5] = {mb_stats_min(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 25),
                       mb_stats_median(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 75),
                       mb_stats_max(c->latency_ms, c->n_latency)};
        lo = fmin(lo, q[0]);
        hi = fmax(hi, q[4]);
        mb_strbuf_printf(dat, "%zu %.6g %.6g %.6g %.6g %.6g %zu %u \"%s\"\n", n - 1 - i, q[0], q[1],
                         q[2], q[3], q[4], c->n_latency,
                         mb__plot_hex_colour(mb__plot_device_color(c->device)), c->label);
    }
    mb_strbuf_printf(dat, "\n\n# series: jobs, image %s\n", image);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cells[i]->n_latency; j++)
            mb_strbuf_printf(dat, "%zu %.6g\n", n - 1 - i, cells[i]->latency_ms[j]);
    mb_strbuf_printf(dat, "\n\n");
    mb_strbuf_printf(body, "set title \"%s images\"\nset yrange [-0.6:%zu.6]\nset ytics (", image,
                     n - 1);
    for (size_t i = 0; i < n; i++) {
        char *lab = tick_label(cells[i]);
        char *q = mb__plot_gp_quote(lab);
        mb_strbuf_printf(body, "%s%s %zu", i ? ", " : "", q, n - 1 - i);
        free(q);
        free(lab);
    }
    mb_strbuf_printf(body, ") scale 0 font \",10\"\n");
    if (mb__plot_spans_decade(lo, hi))
        mb_strbuf_printf(body, "set logscale x\nset xrange [%g:%g]\n", lo / 1.3, hi * 1.3);
    else
        mb_strbuf_printf(body, "unset logscale x\nset xrange [0:%g]\n", hi * 1.1);
    mb_strbuf_printf(body,
                     "plot '%s.dat' index %d using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 "
                     "lc rgb variable notitle, \\\n"
                     "     '' index %d using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror "
                     "fs solid 0.35 border lc rgb variable notitle, \\\n"
                     "     '' index %d using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 "
                     "lc rgb \"black\" notitle, \\\n"
                     "     '' index %d using 2:1 with points pt 7 ps 0.45 lc rgb \"#333333\" "
                     "notitle\n",
                     name, block, block, block, block + 1);
}

/* Small multiples: a panel per image size, so that a run with many cells
 * gives several readable panels rather than one strip thousands of pixels
 * wide. */
int mb__plot_chart_latency(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    if (!run->has_jobs)
        return mb__plot_skip(reason, "per-job latencies need run.json; only results.json was read");
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    const mb__plot_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    size_t ni = mb__plot_image_sizes(run, has_latencies, images);
    if (ni == 0) {
        free(images);
        free(cells);
        return mb__plot_skip(reason, "no successful measured job in this run");
    }
    size_t widest, maxlab = 8;
    mb__plot_rows_extent(run, images, ni, has_latencies, tick_label, &widest, &maxlab);
    /* Every cell with latencies stands in one of the panels. */
    bool devices_seen[4] = {false, false, false, false};
    for (size_t k = 0; k < run->n_cells; k++)
        if (has_latencies(&run->cells[k]))
            devices_seen[mb__plot_device_rank(run->cells[k].device)] = true;
    mb_strbuf dat = {0}, body = {0}, legend = {0};
    mb_strbuf_printf(&legend, ", NaN with points pt 7 ps 0.6 lc rgb \"#333333\" title \"one job\"");
    static const char *const rank_names[4] = {"cuda", "mps", "", "cpu"};
    for (int r = 0; r < 4; r++)
        if (devices_seen[r] && *rank_names[r])
            mb_strbuf_printf(&legend, ", NaN with boxes lc rgb \"%s\" title \"%s\"",
                             mb__plot_device_color(rank_names[r]), rank_names[r]);
    /* Labels (font ",10") on the left of a plot 560 px wide, 24 px a row. */
    int panel_w = 620 + (int)maxlab * 7;
    mb__plot_layout l = mb__plot_layout_make(
        ctx,
        "Job latency, enqueue to result: boxes span the quartiles, the black line is the median, "
        "whiskers reach min and max, dots are single jobs",
        ni, 1, panel_w, 100 + 24 * (int)widest, 4, 8);
    mb_strbuf_printf(&dat, "# latency of each successful measured job (enqueue to result), ms\n"
                           "# quartiles columns: x min q1 median q3 max jobs colour \"cell\"\n"
                           "# jobs columns: x latency_ms (one row per job)\n");
    mb__plot_layout_begin(&body, &l);
    mb_strbuf_printf(&body,
                     "set xlabel \"latency per job (ms)\"\nunset ylabel\nset lmargin %zu\n"
                     "set style fill solid 0.35 border\n",
                     maxlab * 8 / 10 + 3);
    for (size_t i = 0; i < ni; i++) {
        size_t n = mb__plot_cells_of_image(run, images[i]->image, has_latencies, cells);
        mb__plot_layout_panel(&body, &l, (int)i);
        latency_panel(name, 2 * (int)i, images[i]->image, cells, n, &dat, &body);
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    free(images);
    free(cells);
    return mb__plot_finish(ctx, name, reason, "latency.dat", &dat, &body, l.width, l.height, err);
}

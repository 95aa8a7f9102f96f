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

int mb__plot_chart_latency(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    if (!run->has_jobs)
        return mb__plot_skip(reason, "per-job latencies need run.json; only results.json was read");
    const mb__plot_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    size_t n = mb__plot_cells_of_image(run, NULL, has_latencies, cells);
    if (n == 0) {
        free(cells);
        return mb__plot_skip(reason, "no successful measured job in this run");
    }
    /* Image size before device, so that cells of one size stand together. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cells[j - 1]->pixels > cells[j]->pixels; j--) {
            const mb__plot_cell *t = cells[j];
            cells[j] = cells[j - 1];
            cells[j - 1] = t;
        }
    mb_strbuf dat = {0}, body = {0};
    mb_strbuf_printf(&dat, "# latency of each successful measured job (enqueue to result), ms\n"
                           "# block 0 columns: x min q1 median q3 max jobs colour \"cell\"\n"
                           "# block 1 columns: x latency_ms (one row per job)\n"
                           "# series: quartiles\n");
    double lo = INFINITY, hi = 0;
    size_t maxlab = 8;
    bool devices_seen[4] = {false, false, false, false};
    for (size_t i = 0; i < n; i++) {
        const mb__plot_cell *c = cells[i];
        double q[5] = {mb_stats_min(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 25),
                       mb_stats_median(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 75),
                       mb_stats_max(c->latency_ms, c->n_latency)};
        lo = fmin(lo, q[0]);
        hi = fmax(hi, q[4]);
        devices_seen[mb__plot_device_rank(c->device)] = true;
        maxlab = strlen(c->label) > maxlab ? strlen(c->label) : maxlab;
        mb_strbuf_printf(&dat, "%zu %.6g %.6g %.6g %.6g %.6g %zu %u \"%s\"\n", i, q[0], q[1], q[2],
                         q[3], q[4], c->n_latency,
                         mb__plot_hex_colour(mb__plot_device_color(c->device)), c->label);
    }
    mb_strbuf_printf(&dat, "\n\n# series: jobs\n");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cells[i]->n_latency; j++)
            mb_strbuf_printf(&dat, "%zu %.6g\n", i, cells[i]->latency_ms[j]);
    mb_strbuf_printf(&body,
                     "set title \"Job latency per cell (box: quartiles, line: median, "
                     "whiskers: min and max, dots: jobs)\" font \",13\"\n"
                     "set ylabel \"latency per job (ms)\"\nset xrange [-0.7:%zu.7]\n"
                     "set xtics rotate by 35 right scale 0 font \",10\" (",
                     n - 1);
    for (size_t i = 0; i < n; i++) {
        char *q = mb__plot_gp_quote(cells[i]->label);
        mb_strbuf_printf(&body, "%s%s %zu", i ? ", " : "", q, i);
        free(q);
    }
    /* Room on the left for the first rotated label. */
    mb_strbuf_printf(&body,
                     ")\nset lmargin %zu\nset boxwidth 0.55\n"
                     "set style fill solid 0.35 border\n"
                     "set key outside below center horizontal\n",
                     maxlab * 6 / 10 + 2);
    mb__plot_y_axis(&body, lo, hi, true);
    mb_strbuf_printf(&body,
                     "plot '%s.dat' index 0 using 1:3:2:6:5:8 with candlesticks whiskerbars 0.5 "
                     "lw 1.5 lc rgb variable notitle, \\\n"
                     "     '' index 0 using 1:4:4:4:4 with candlesticks lw 2.5 lc rgb \"black\" "
                     "notitle, \\\n"
                     "     '' index 1 using 1:2 with points pt 7 ps 0.45 lc rgb \"#333333\" "
                     "title \"one job\"",
                     name);
    static const char *const rank_names[4] = {"cuda", "mps", "", "cpu"};
    for (int r = 0; r < 4; r++)
        if (devices_seen[r] && *rank_names[r])
            mb_strbuf_printf(&body, ", \\\n     NaN with boxes lc rgb \"%s\" title \"%s\"",
                             mb__plot_device_color(rank_names[r]), rank_names[r]);
    mb_strbuf_printf(&body, "\n");
    free(cells);
    int width = 240 + 70 * (int)n;
    return mb__plot_finish(ctx, name, "latency.dat", &dat, &body, width < 900 ? 900 : width,
                           560 + (int)maxlab * 5, err);
}

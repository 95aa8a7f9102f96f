/* The chart builders.  Each one decides whether the run's data supports its
 * chart, writes the data files (gnuplot "index" blocks, each introduced by a
 * "# series: ..." comment naming what it holds) and a script body, and
 * leaves the drawing to gnuplot.  Layout choices that matter to a reader:
 * legends sit below the plot, never over data; an axis turns logarithmic
 * when its values span a decade or more; every device keeps its colour. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

#define PL_OOM_RED "#d62728"

/* ---- shared helpers ---- */

static bool measured(const pl_cell *c)
{
    return !c->skipped && c->n_jobs > 0;
}

static bool has_ips(const pl_cell *c)
{
    return measured(c) && c->n_ips > 0 && isfinite(c->ips_median);
}

/* The distinct image sizes of the cells that pass keep(), smallest first. */
static size_t image_sizes(const pl_run *run, bool (*keep)(const pl_cell *), const pl_cell **out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (keep != NULL && !keep(c))
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j]->image, c->image) != 0)
            j++;
        if (j < n)
            continue;
        size_t k = n++;
        while (k > 0 && (out[k - 1]->pixels > c->pixels
                         || (out[k - 1]->pixels == c->pixels
                             && strcmp(out[k - 1]->image, c->image) > 0))) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = c;
    }
    return n;
}

static size_t batch_sizes(const pl_run *run, bool (*keep)(const pl_cell *), int *out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (keep != NULL && !keep(c))
            continue;
        size_t j = 0;
        while (j < n && out[j] != c->batch)
            j++;
        if (j < n)
            continue;
        size_t k = n++;
        while (k > 0 && out[k - 1] > c->batch) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = c->batch;
    }
    return n;
}

/* GPUs first (the subject of the charts), the CPU last. */
static int device_rank(const char *d)
{
    return strcmp(d, "cuda") == 0 ? 0 : strcmp(d, "mps") == 0 ? 1 : strcmp(d, "cpu") == 0 ? 3 : 2;
}

/* One line of a chart: a device and a variant (the other axes). */
typedef struct pl_series {
    const char *device;
    const char *variant;
    int style;          /* index among the device's variants: dash and point type */
} pl_series;

static size_t series_of(const pl_run *run, bool (*keep)(const pl_cell *), pl_series *out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (!keep(c))
            continue;
        size_t j = 0;
        while (j < n && (strcmp(out[j].device, c->device) != 0
                         || strcmp(out[j].variant, c->variant) != 0))
            j++;
        if (j < n)
            continue;
        size_t k = n++;
        while (k > 0 && device_rank(out[k - 1].device) > device_rank(c->device)) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = (pl_series){c->device, c->variant, 0};
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(out[j].device, out[i].device) == 0)
                out[i].style++;
    return n;
}

static const pl_cell *find_cell(const pl_run *run, const char *device, const char *variant,
                                const char *image, int batch)
{
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (strcmp(c->device, device) == 0 && strcmp(c->variant, variant) == 0
            && strcmp(c->image, image) == 0 && c->batch == batch)
            return c;
    }
    return NULL;
}

static char *series_title(const pl_series *s)
{
    return *s->variant ? mb_asprintf("%s, %s", s->device, s->variant) : mb_strdup(s->device);
}

/* "lc rgb ... dt ... pt ..." of a series. */
static void series_style(pl_buf *b, const char *device, int style)
{
    static const int pts[] = {7, 5, 9, 13, 11, 15};
    static const int dts[] = {1, 2, 4, 5, 3, 1};
    mb__plot_buf_printf(b, "lc rgb \"%s\" lw 2 pt %d ps 1.3 dt %d",
                        mb__plot_device_color(device), pts[style % 6], dts[style % 6]);
}

/* A log axis when the values span a decade or more. */
static bool spans_decade(double lo, double hi)
{
    return lo > 0 && isfinite(lo) && isfinite(hi) && hi / lo >= 10.0;
}

static void batch_axis(pl_buf *b, const int *batches, size_t nb)
{
    mb__plot_buf_printf(b, "set xlabel \"batch size (images per forward pass)\"\n");
    if (nb == 0)
        return;
    /* Batch sizes double from step to step, so a log2 axis spaces them
     * evenly; a batch size of 0 (a cell without one) needs a linear axis. */
    if (batches[0] > 0)
        mb__plot_buf_printf(b, "set logscale x 2\nset xrange [%g:%g]\nset xtics (",
                            batches[0] / 1.5, batches[nb - 1] * 1.5);
    else
        mb__plot_buf_printf(b, "unset logscale x\nset xrange [%d:%d]\nset xtics (", batches[0] - 1,
                            batches[nb - 1] + 1);
    /* A frontier search probes batches between powers of two (96, 104,
     * 107...); labelling every one would print them on top of each other,
     * so with many batch sizes only powers of two are labelled. */
    bool only_powers = nb > 10 && batches[0] > 0;
    int labelled = 0;
    for (size_t i = 0; i < nb; i++) {
        if (only_powers && (batches[i] & (batches[i] - 1)) != 0)
            continue;
        mb__plot_buf_printf(b, "%s\"%d\" %d", labelled++ ? ", " : "", batches[i], batches[i]);
    }
    mb__plot_buf_printf(b, ")\n");
}

/* Tick labels at 1, 2 and 5 times each power of ten in [lo, hi]: with
 * gnuplot's default of one label a decade, a panel spanning 0.5 to 8 would
 * be labelled "1" and nothing else. */
static void log_tics(pl_buf *b, double lo, double hi)
{
    mb__plot_buf_printf(b, "set ytics (");
    int n = 0;
    for (double decade = pow(10, floor(log10(lo))); decade <= hi; decade *= 10) {
        static const double steps[] = {1, 2, 5};
        for (int i = 0; i < 3; i++) {
            double v = decade * steps[i];
            if (v >= lo && v <= hi)
                mb__plot_buf_printf(b, "%s\"%g\" %g", n++ ? ", " : "", v, v);
        }
    }
    mb__plot_buf_printf(b, ")\nset mytics 10\n");
}

static void y_axis(pl_buf *b, double lo, double hi, bool zero_based)
{
    if (spans_decade(lo, hi)) {
        mb__plot_buf_printf(b, "set logscale y\nset yrange [%g:%g]\nset format y \"%%g\"\n",
                            lo / 1.6, hi * 1.6);
        log_tics(b, lo / 1.6, hi * 1.6);
    }
    else if (zero_based && isfinite(hi) && hi > 0)
        mb__plot_buf_printf(b, "unset logscale y\nset yrange [0:%g]\n", hi * 1.15);
    else
        mb__plot_buf_printf(b, "unset logscale y\nset yrange [*:*]\n");
}

/* Panels share one kind of y axis: logarithmic for all of them when the
 * values of the whole chart span a decade, each panel with its own range. */
static void panel_y_axis(pl_buf *b, bool log_scale, double lo, double hi)
{
    if (log_scale && lo > 0 && isfinite(lo)) {
        mb__plot_buf_printf(b, "set logscale y\nset yrange [%g:%g]\nset format y \"%%g\"\n",
                            lo / 1.6, hi * 1.6);
        log_tics(b, lo / 1.6, hi * 1.6);
    } else if (isfinite(hi) && hi > 0) {
        mb__plot_buf_printf(b, "unset logscale y\nset yrange [0:%g]\nset format y \"%%g\"\n"
                               "set ytics autofreq\nset mytics default\n",
                            hi * 1.15);
    } else {
        mb__plot_buf_printf(b, "unset logscale y\nset yrange [*:*]\nset ytics autofreq\n");
    }
}

static size_t legend_series(pl_buf *leg, const pl_series *series, size_t ns)
{
    size_t longest = 4;
    for (size_t s = 0; s < ns; s++) {
        char *t = series_title(&series[s]);
        char *qt = mb__plot_gp_quote(t);
        mb__plot_buf_printf(leg, ", NaN with linespoints ");
        series_style(leg, series[s].device, series[s].style);
        mb__plot_buf_printf(leg, " title %s", qt);
        longest = strlen(t) > longest ? strlen(t) : longest;
        free(t);
        free(qt);
    }
    return longest;
}

/* Panels placed by hand: a title band on top, the panels in a grid, and
 * one legend for all of them in a band at the bottom, so that no legend
 * covers data or squeezes one panel smaller than its neighbours. */
typedef struct pl_layout {
    int rows, cols, width, height, legend_rows;
    double top, legend;     /* heights of the bands, fractions of the canvas */
} pl_layout;

static pl_layout layout_make(size_t n_panels, int max_cols, int panel_w, int panel_h,
                             size_t n_legend, size_t legend_chars)
{
    pl_layout l = {0};
    l.cols = n_panels < (size_t)max_cols ? (int)n_panels : max_cols;
    if (l.cols < 1)
        l.cols = 1;
    l.rows = (int)((n_panels + (size_t)l.cols - 1) / (size_t)l.cols);
    if (l.rows < 1)
        l.rows = 1;
    l.width = l.cols * panel_w + 20;
    if (l.width < 640)
        l.width = 640;
    int per_row = l.width / (int)(legend_chars * 7 + 80);
    if (per_row < 1)
        per_row = 1;
    l.legend_rows = n_legend ? (int)((n_legend + (size_t)per_row - 1) / (size_t)per_row) : 0;
    int legend_px = n_legend ? 16 + 21 * l.legend_rows : 8;
    l.height = l.rows * panel_h + 44 + legend_px;
    l.top = 44.0 / l.height;
    l.legend = (double)legend_px / l.height;
    return l;
}

static void layout_begin(pl_buf *b, const char *title)
{
    mb__plot_buf_printf(b, "set multiplot title \"%s\" font \",13\"\nunset key\n", title);
}

static void layout_panel(pl_buf *b, const pl_layout *l, int index)
{
    int r = index / l->cols, c = index % l->cols;
    double w = 1.0 / l->cols, h = (1.0 - l->top - l->legend) / l->rows;
    mb__plot_buf_printf(b, "set origin %.4f,%.4f\nset size %.4f,%.4f\n", c * w,
                        l->legend + (l->rows - 1 - r) * h, w, h);
}

/* entries: ", NaN with ... title ..." items; the leading comma is dropped. */
static void layout_legend(pl_buf *b, const pl_layout *l, const char *entries)
{
    if (entries == NULL || !*entries) {
        mb__plot_buf_printf(b, "unset multiplot\n");
        return;
    }
    mb__plot_buf_printf(b,
                        "set origin 0,0\nset size 1,%.4f\nset margins 0,0,0,0\n"
                        "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\n"
                        "unset grid\nunset logscale\nunset arrow\nunset label\nunset object\n"
                        "set xrange [0:1]\nset yrange [0:1]\n"
                        "set key inside center center horizontal maxrows %d samplen 2.5 "
                        "width 1\nplot %s\nunset multiplot\n",
                        l->legend, l->legend_rows, entries + 2);
}

static int finish(const pl_ctx *ctx, const char *name, const char *dat_name, pl_buf *dat,
                  pl_buf *body, int width, int height, mb_err *err)
{
    int rc = 0;
    if (dat_name != NULL)
        rc = mb__plot_write_file(ctx, dat_name, dat->s ? dat->s : "", err);
    if (rc == 0)
        rc = mb__plot_write_script(ctx, name, width, height, body->s ? body->s : "", err);
    mb__plot_buf_free(dat);
    mb__plot_buf_free(body);
    return rc < 0 ? rc : 1;
}

static int skip(char **reason, const char *text)
{
    *reason = mb_strdup(text);
    return 0;
}

/* ---- throughput against batch size, one panel per image size ---- */

static int chart_throughput(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    pl_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = image_sizes(run, has_ips, images);
    size_t nb = batch_sizes(run, has_ips, batches);
    size_t ns = series_of(run, has_ips, series);
    int rc;
    if (ni == 0) {
        rc = skip(reason, "no cell has a successful repetition to measure throughput on");
        goto out;
    }
    pl_buf dat = {0}, body = {0}, legend = {0};
    size_t longest = legend_series(&legend, series, ns);
    pl_layout l = layout_make(ni, 3, 430, 400, ns, longest);
    double all_lo = INFINITY, all_hi = 0;
    for (size_t k = 0; k < run->n_cells; k++)
        if (has_ips(&run->cells[k])) {
            all_lo = fmin(all_lo, mb_stats_min(run->cells[k].ips, run->cells[k].n_ips));
            all_hi = fmax(all_hi, mb_stats_max(run->cells[k].ips, run->cells[k].n_ips));
        }
    mb__plot_buf_printf(&dat, "# throughput: images/s per repetition of each cell\n"
                              "# columns: batch_size median min max repetitions\n");
    layout_begin(&body, "Throughput against batch size (median of the repetitions, bars from "
                        "min to max)");
    batch_axis(&body, batches, nb);
    mb__plot_buf_printf(&body, "set ylabel \"throughput (images/s)\"\n");
    int index = 0;
    for (size_t i = 0; i < ni; i++) {
        double lo = INFINITY, hi = 0;
        pl_buf plot = {0};
        for (size_t s = 0; s < ns; s++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const pl_cell *c = find_cell(run, series[s].device, series[s].variant,
                                             images[i]->image, batches[b]);
                if (c == NULL || !has_ips(c))
                    continue;
                if (!any) {
                    char *t = series_title(&series[s]);
                    mb__plot_buf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                double mn = mb_stats_min(c->ips, c->n_ips), mx = mb_stats_max(c->ips, c->n_ips);
                lo = fmin(lo, mn);
                hi = fmax(hi, mx);
                mb__plot_buf_printf(&dat, "%d %.6g %.6g %.6g %zu\n", c->batch, c->ips_median, mn,
                                    mx, c->n_ips);
            }
            if (!any)
                continue;
            mb__plot_buf_printf(&dat, "\n\n");
            char *t = series_title(&series[s]);
            char *qt = mb__plot_gp_quote(t);
            mb__plot_buf_printf(&plot, "%s'%s.dat' index %d using 1:2:3:4 with yerrorlines ",
                                plot.len ? ", \\\n     " : "plot ", name, index++);
            series_style(&plot, series[s].device, series[s].style);
            mb__plot_buf_printf(&plot, " title %s", qt);
            free(t);
            free(qt);
        }
        layout_panel(&body, &l, (int)i);
        mb__plot_buf_printf(&body, "set title \"%s images\"\n", images[i]->image);
        panel_y_axis(&body, spans_decade(all_lo, all_hi), lo, hi);
        mb__plot_buf_printf(&body, "%s\n", plot.s);
        mb__plot_buf_free(&plot);
    }
    layout_legend(&body, &l, legend.s);
    mb__plot_buf_free(&legend);
    rc = finish(ctx, name, "throughput.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

/* ---- GPU/CPU speedup ---- */

static bool gpu_with_ips(const pl_cell *c)
{
    return has_ips(c) && mb__plot_is_gpu(c->device);
}

static bool cpu_with_ips(const pl_cell *c)
{
    return has_ips(c) && !mb__plot_is_gpu(c->device);
}

/* The CPU cell a GPU cell compares with: the same configuration if the run
 * has it, otherwise any CPU cell of the same image and batch size (the CPU
 * ignores the watermark fix, so a fix-on CPU cell stands for a fix-off
 * one). */
static const pl_cell *cpu_twin(const pl_run *run, const pl_cell *g)
{
    const pl_cell *any = NULL;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (!cpu_with_ips(c) || strcmp(c->image, g->image) != 0 || c->batch != g->batch)
            continue;
        if (strcmp(c->variant, g->variant) == 0)
            return c;
        if (any == NULL)
            any = c;
    }
    return any;
}

static int chart_speedup(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    size_t n_gpu = 0, n_cpu = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        n_gpu += gpu_with_ips(&run->cells[i]);
        n_cpu += cpu_with_ips(&run->cells[i]);
    }
    if (n_gpu == 0)
        return skip(reason, "GPU vs CPU: no GPU cell with a successful repetition in this run");
    if (n_cpu == 0)
        return skip(reason, "GPU vs CPU: no CPU cell with a successful repetition in this run");
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    pl_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = image_sizes(run, gpu_with_ips, images);
    size_t nb = batch_sizes(run, gpu_with_ips, batches);
    size_t ns = series_of(run, gpu_with_ips, series);
    pl_buf dat = {0}, body = {0}, plot = {0};
    mb__plot_buf_printf(&dat, "# GPU/CPU speedup: median images/s of a GPU cell over its CPU twin\n"
                              "# columns: batch_size speedup gpu_images_per_s cpu_images_per_s\n");
    double lo = INFINITY, hi = 0;
    int index = 0;
    static const int pts[] = {7, 5, 9, 13, 11, 15};
    static const int dts[] = {1, 2, 4, 5, 3, 1};
    for (size_t s = 0; s < ns; s++) {
        for (size_t i = 0; i < ni; i++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const pl_cell *g = find_cell(run, series[s].device, series[s].variant,
                                             images[i]->image, batches[b]);
                const pl_cell *c = g && has_ips(g) ? cpu_twin(run, g) : NULL;
                if (c == NULL)
                    continue;
                double x = g->ips_median / c->ips_median;
                if (!any) {
                    char *t = series_title(&series[s]);
                    mb__plot_buf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                lo = fmin(lo, x);
                hi = fmax(hi, x);
                mb__plot_buf_printf(&dat, "%d %.6g %.6g %.6g\n", g->batch, x, g->ips_median,
                                    c->ips_median);
            }
            if (!any)
                continue;
            mb__plot_buf_printf(&dat, "\n\n");
            char *t = series_title(&series[s]);
            char *full = mb_asprintf("%s, %s images", t, images[i]->image);
            char *qt = mb__plot_gp_quote(full);
            /* Colour tells the device, the marker the image size. */
            mb__plot_buf_printf(&plot,
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
        rc = skip(reason, "GPU vs CPU: no GPU cell has a CPU cell of the same image and batch "
                          "size");
        mb__plot_buf_free(&dat);
        mb__plot_buf_free(&body);
        mb__plot_buf_free(&plot);
        goto out;
    }
    mb__plot_buf_printf(&body, "set title \"GPU speedup over the CPU (median images/s, same image "
                               "and batch size)\" font \",13\"\n");
    batch_axis(&body, batches, nb);
    mb__plot_buf_printf(&body, "set ylabel \"speedup over the CPU (×)\"\n"
                               "set key outside below center horizontal\n");
    lo = fmin(lo, 1.0);
    hi = fmax(hi, 1.0);
    y_axis(&body, lo, hi, true);
    mb__plot_buf_printf(&body,
                        "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 "
                        "lc rgb \"#888888\"\n"
                        "set label \"as fast as the CPU\" at graph 0.01, first 1 offset 0,0.6 "
                        "tc rgb \"#666666\"\n%s\n",
                        plot.s);
    mb__plot_buf_free(&plot);
    rc = finish(ctx, name, "speedup.dat", &dat, &body, 900, 600, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

/* ---- peak memory against batch size ---- */

static bool has_memory(const pl_cell *c)
{
    return measured(c) && (isfinite(c->peak_memory) || c->n_oom > 0);
}

static void format_bytes(double b, char *buf, size_t size)
{
    if (b >= 1073741824.0)
        snprintf(buf, size, "%.3g GiB", b / 1073741824.0);
    else
        snprintf(buf, size, "%.0f MiB", b / 1048576.0);
}

static int chart_memory(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    pl_series *series = mb_calloc(run->n_cells + 1, sizeof *series);
    size_t ni = image_sizes(run, has_memory, images);
    size_t nb = batch_sizes(run, has_memory, batches);
    size_t ns = series_of(run, has_memory, series);
    int rc;
    if (ni == 0) {
        rc = skip(reason, "no memory figures in this run (no measured job reported its peak)");
        goto out;
    }
    const double mib = 1048576.0;
    pl_buf dat = {0}, body = {0}, legend = {0};
    size_t longest = legend_series(&legend, series, ns);
    double all_lo = INFINITY, all_hi = 0;
    bool any_oom_cell = false;
    for (size_t k = 0; k < run->n_cells; k++) {
        const pl_cell *c = &run->cells[k];
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
        mb__plot_buf_printf(&legend, ", NaN with points pt 2 ps 2.6 lw 3 lc rgb \"%s\" "
                                     "title \"out of memory\"", PL_OOM_RED);
    pl_layout l = layout_make(ni, 3, 430, 400, ns + any_oom_cell, longest);
    mb__plot_buf_printf(&dat, "# peak memory per cell: device memory (peak allocated) on GPUs, "
                              "peak RSS on the CPU\n"
                              "# columns: batch_size peak_MiB (OOM blocks: batch_size y_MiB)\n");
    layout_begin(&body, "Peak memory against batch size (device memory on GPUs, resident set "
                        "on the CPU)");
    batch_axis(&body, batches, nb);
    mb__plot_buf_printf(&body, "set ylabel \"peak memory (MiB)\"\n");
    int index = 0;
    for (size_t i = 0; i < ni; i++) {
        double lo = INFINITY, hi = 0, cap = 0;
        for (size_t k = 0; k < run->n_cells; k++) {
            const pl_cell *c = &run->cells[k];
            if (!has_memory(c) || strcmp(c->image, images[i]->image) != 0)
                continue;
            if (isfinite(c->peak_memory)) {
                lo = fmin(lo, c->peak_memory / mib);
                hi = fmax(hi, c->peak_memory / mib);
            }
            cap = fmax(cap, c->memory_limit);
        }
        pl_buf plot = {0};
        for (size_t s = 0; s < ns; s++) {
            bool any = false;
            for (size_t b = 0; b < nb; b++) {
                const pl_cell *c = find_cell(run, series[s].device, series[s].variant,
                                             images[i]->image, batches[b]);
                /* The line joins what fitted; what ran out of memory is
                 * marked apart, since the peak it left says nothing about
                 * the batch that failed. */
                if (c == NULL || !has_memory(c) || !isfinite(c->peak_memory) ||
                    (c->n_ok == 0 && c->n_oom > 0))
                    continue;
                if (!any) {
                    char *t = series_title(&series[s]);
                    mb__plot_buf_printf(&dat, "# series: %s, image %s\n", t, images[i]->image);
                    free(t);
                    any = true;
                }
                mb__plot_buf_printf(&dat, "%d %.6g\n", c->batch, c->peak_memory / mib);
            }
            if (!any)
                continue;
            mb__plot_buf_printf(&dat, "\n\n");
            char *t = series_title(&series[s]);
            char *qt = mb__plot_gp_quote(t);
            mb__plot_buf_printf(&plot, "%s'%s.dat' index %d using 1:2 with linespoints ",
                                plot.len ? ", \\\n     " : "plot ", name, index++);
            series_style(&plot, series[s].device, series[s].style);
            mb__plot_buf_printf(&plot, " title %s", qt);
            free(t);
            free(qt);
        }
        /* An OOM cell's cross goes where it ran out: at the cap when there
         * is one (the peak a failed job leaves behind is what was freed
         * after the failure, not what it needed), else at its own peak,
         * else at the top. */
        bool any_oom = false;
        for (size_t k = 0; k < run->n_cells; k++) {
            const pl_cell *c = &run->cells[k];
            if (!has_memory(c) || c->n_oom == 0 || strcmp(c->image, images[i]->image) != 0)
                continue;
            double y = cap > 0                  ? cap / mib
                       : isfinite(c->peak_memory) ? c->peak_memory / mib
                       : hi > 0                   ? hi
                                                  : 1;
            if (!any_oom)
                mb__plot_buf_printf(&dat, "# series: OOM, image %s\n", images[i]->image);
            any_oom = true;
            lo = fmin(lo, y);
            hi = fmax(hi, y);
            mb__plot_buf_printf(&dat, "%d %.6g\n", c->batch, y);
        }
        if (any_oom) {
            mb__plot_buf_printf(&dat, "\n\n");
            mb__plot_buf_printf(&plot,
                                "%s'%s.dat' index %d using 1:2 with points pt 2 ps 2.6 lw 3 "
                                "lc rgb \"%s\" title \"out of memory\"",
                                plot.len ? ", \\\n     " : "plot ", name, index++, PL_OOM_RED);
        }
        layout_panel(&body, &l, (int)i);
        mb__plot_buf_printf(&body, "set title \"%s images\"\nunset arrow\nunset label\n",
                            images[i]->image);
        if (cap > 0) {
            char text[32];
            format_bytes(cap, text, sizeof text);
            lo = fmin(lo, cap / mib);
            hi = fmax(hi, cap / mib);
            mb__plot_buf_printf(&body,
                                "set arrow from graph 0, first %.6g to graph 1, first %.6g nohead "
                                "dt 2 lw 1.5 lc rgb \"%s\"\n"
                                "set label \"memory cap %s\" at graph 0.02, first %.6g offset 0,0.7 "
                                "tc rgb \"%s\"\n",
                                cap / mib, cap / mib, PL_OOM_RED, text, cap / mib, PL_OOM_RED);
        }
        panel_y_axis(&body, spans_decade(all_lo, all_hi), lo, hi);
        mb__plot_buf_printf(&body, "%s\n", plot.s ? plot.s : "plot NaN notitle");
        mb__plot_buf_free(&plot);
    }
    layout_legend(&body, &l, legend.s);
    mb__plot_buf_free(&legend);
    rc = finish(ctx, name, "memory.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(batches);
    free(series);
    return rc;
}

/* ---- the OOM matrix ---- */

static bool any_cell(const pl_cell *c)
{
    (void)c;
    return true;
}

static int chart_oom_matrix(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    if (run->n_cells == 0)
        return skip(reason, "the run has no cells");
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    const char **devices = mb_calloc(run->n_cells + 1, sizeof *devices);
    size_t ni = image_sizes(run, any_cell, images);
    size_t nb = batch_sizes(run, any_cell, batches);
    size_t nd = 0;
    bool fix_seen[2] = {false, false};
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        fix_seen[c->fix] = true;
        size_t j = 0;
        while (j < nd && strcmp(devices[j], c->device) != 0)
            j++;
        if (j < nd)
            continue;
        size_t k = nd++;
        while (k > 0 && device_rank(devices[k - 1]) > device_rank(c->device)) {
            devices[k] = devices[k - 1];
            k--;
        }
        devices[k] = c->device;
    }
    /* Fix off on the left, as the "before" of the comparison. */
    int fixes[2], nf = 0;
    if (fix_seen[0])
        fixes[nf++] = 0;
    if (fix_seen[1])
        fixes[nf++] = 1;
    pl_buf dat = {0}, body = {0};
    mb__plot_buf_printf(&dat, "# OOM matrix: one row per grid square (cells of the same device, "
                              "fix, image and batch size together)\n"
                              "# columns: batch_index image_index colour(0xRRGGBB) \"label\" "
                              "batch image measured_jobs oom_jobs failed_jobs\n");
    int panel_h = 120 + 46 * (int)ni;
    int panel_w = 170 + 95 * (int)nb;
    if (panel_w * nf < 700)
        panel_w = 700 / nf;
    pl_layout l = layout_make(nd * (size_t)nf, nf, panel_w, panel_h, 4, 26);
    mb__plot_buf_printf(&body,
                        "set multiplot title \"Out-of-memory matrix: OOM jobs per "
                        "cell%s\" font \",13\"\nunset key\n"
                        "unset grid\nset style fill solid 1.0 border lc rgb \"white\"\n"
                        "set xlabel \"batch size\"\nset ylabel \"image size\"\n"
                        "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nset xtics (",
                        nf == 2 ? ", watermark fix off and on" : "", nb - 1, ni - 1);
    for (size_t b = 0; b < nb; b++)
        mb__plot_buf_printf(&body, "%s\"%d\" %zu", b ? ", " : "", batches[b], b);
    mb__plot_buf_printf(&body, ") scale 0\nset ytics (");
    for (size_t i = 0; i < ni; i++)
        mb__plot_buf_printf(&body, "%s\"%s\" %zu", i ? ", " : "", images[i]->image, i);
    mb__plot_buf_printf(&body, ") scale 0\n");
    bool seen[4] = {true, true, false, false};
    static const unsigned colours[] = {0xa1d99b, 0xd62728, 0xfdae6b, 0xe0e0e0, 0xffffff};
    static const char *const names[] = {"all jobs ok", "out of memory", "other failures",
                                        "skipped (device unusable)", ""};
    int index = 0;
    for (size_t d = 0; d < nd; d++) {
        for (int f = 0; f < nf; f++) {
            /* A device that ran with one fix state only leaves the other
             * slot empty, so that fix off stays on the left throughout. */
            bool has_cells = false;
            for (size_t k = 0; k < run->n_cells && !has_cells; k++)
                has_cells = strcmp(run->cells[k].device, devices[d]) == 0
                            && run->cells[k].fix == (fixes[f] == 1);
            if (!has_cells)
                continue;
            mb__plot_buf_printf(&dat, "# series: %s, fix %s\n", devices[d],
                                fixes[f] ? "on" : "off");
            for (size_t i = 0; i < ni; i++) {
                for (size_t b = 0; b < nb; b++) {
                    int jobs = 0, ooms = 0, failed = 0, cells = 0, skipped = 0;
                    for (size_t k = 0; k < run->n_cells; k++) {
                        const pl_cell *c = &run->cells[k];
                        if (strcmp(c->device, devices[d]) != 0 || c->fix != (fixes[f] == 1)
                            || strcmp(c->image, images[i]->image) != 0 || c->batch != batches[b])
                            continue;
                        cells++;
                        skipped += c->skipped;
                        jobs += c->n_jobs;
                        ooms += c->n_oom;
                        failed += c->n_failed;
                    }
                    int state = cells == 0 ? 4 : ooms > 0 ? 1 : failed > 0 ? 2
                                : skipped == cells ? 3 : 0;
                    if (state < 4)
                        seen[state] = true;
                    char label[48];
                    if (state == 4)
                        snprintf(label, sizeof label, "not run");
                    else if (state == 3)
                        snprintf(label, sizeof label, "skipped");
                    else if (state == 1)
                        snprintf(label, sizeof label, "OOM %d/%d", ooms, jobs);
                    else if (state == 2)
                        snprintf(label, sizeof label, "failed %d/%d", failed, jobs);
                    else
                        snprintf(label, sizeof label, "ok %d/%d", jobs, jobs);
                    mb__plot_buf_printf(&dat, "%zu %zu %u \"%s\" %d %s %d %d %d\n", b, i,
                                        colours[state], label, batches[b], images[i]->image, jobs,
                                        ooms, failed);
                }
            }
            mb__plot_buf_printf(&dat, "\n\n");
            layout_panel(&body, &l, (int)d * nf + f);
            mb__plot_buf_printf(&body, "set title \"%s, watermark fix %s\"\n", devices[d],
                                fixes[f] ? "on" : "off");
            mb__plot_buf_printf(&body,
                                "plot '%s.dat' index %d using 1:2:(0.49):(0.49):3 with boxxyerror "
                                "lc rgb variable notitle, \\\n"
                                "     '' index %d using 1:2:4 with labels font \",10\" notitle",
                                name, index, index);
            mb__plot_buf_printf(&body, "\n");
            index++;
        }
    }
    pl_buf legend = {0};
    for (int s = 0; s < 4; s++)
        if (seen[s])
            mb__plot_buf_printf(&legend, ", NaN with boxes lc rgb \"#%06x\" title \"%s\"",
                                colours[s], names[s]);
    layout_legend(&body, &l, legend.s);
    mb__plot_buf_free(&legend);
    int rc = finish(ctx, name, "oom-matrix.dat", &dat, &body, l.width, l.height, err);
    free(images);
    free(batches);
    free(devices);
    return rc;
}

/* ---- current against baseline ---- */

static int chart_baseline(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    if (ctx->baseline == NULL)
        return skip(reason, "no baseline given (mpsbench plot --baseline FILE)");
    typedef struct row {
        const pl_cell *c;
        double change, lo, hi, p;
        int kind; /* 0 regression, 1 improvement, 2 neither */
    } row;
    row *rows = mb_calloc(run->n_cells + 1, sizeof *rows);
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (!has_ips(c))
            continue;
        const pl_cell *b = NULL;
        for (size_t j = 0; j < ctx->baseline->n_cells && b == NULL; j++)
            if (strcmp(ctx->baseline->cells[j].name, c->name) == 0
                && has_ips(&ctx->baseline->cells[j]))
                b = &ctx->baseline->cells[j];
        if (b == NULL)
            continue;
        row *r = &rows[n];
        if (mb_stats_median_change(b->ips, b->n_ips, c->ips, c->n_ips, 0.95, &r->change, &r->lo,
                                   &r->hi)
            != 0)
            continue;
        mb_stats_mwu mwu = {0};
        r->p = mb_stats_mann_whitney(b->ips, b->n_ips, c->ips, c->n_ips, &mwu) == 0 ? mwu.p_value
                                                                                   : NAN;
        double thr = c->expect_regression > 0 ? c->expect_regression : 0.05;
        /* Highlighted only when the whole interval lies on one side of zero
         * and the median moved beyond the scenario's threshold. */
        r->kind = r->change < -thr && r->hi < 0 ? 0 : r->change > thr && r->lo > 0 ? 1 : 2;
        r->c = c;
        n++;
    }
    if (n == 0) {
        free(rows);
        return skip(reason, "no cell of this run is in the baseline with a successful repetition");
    }
    double thr = rows[0].c->expect_regression > 0 ? rows[0].c->expect_regression : 0.05;
    pl_buf dat = {0}, body = {0};
    char *xlabel = mb_asprintf("change of median throughput against %s (%%)",
                               ctx->baseline_path ? ctx->baseline_path : "the baseline");
    char *qxlabel = mb__plot_gp_quote(xlabel);
    free(xlabel);
    mb__plot_buf_printf(&dat, "# current against baseline: change of the median images/s, "
                              "95%% percentile-bootstrap interval\n"
                              "# columns: row change_pct lo_pct hi_pct mann_whitney_p \"cell\"\n");
    static const char *const kinds[] = {"regression", "improvement", "no significant change"};
    static const char *const kind_colours[] = {PL_OOM_RED, "#1a9850", "#555555"};
    double lo = 0, hi = 0;
    size_t maxlab = 10;
    pl_buf plot = {0};
    int index = 0;
    for (int k = 0; k < 3; k++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].kind != k)
                continue;
            if (!any)
                mb__plot_buf_printf(&dat, "# series: %s\n", kinds[k]);
            any = true;
            mb__plot_buf_printf(&dat, "%zu %.4f %.4f %.4f %.4g \"%s\"\n", n - 1 - i,
                                rows[i].change * 100, rows[i].lo * 100, rows[i].hi * 100, rows[i].p,
                                rows[i].c->label);
        }
        if (!any)
            continue;
        mb__plot_buf_printf(&dat, "\n\n");
        mb__plot_buf_printf(&plot,
                            "%s'%s.dat' index %d using 2:1:3:4 with xerrorbars pt 7 ps 1.4 lw 2 "
                            "lc rgb \"%s\" title \"%s\"",
                            plot.len ? ", \\\n     " : "plot ", name, index++, kind_colours[k],
                            kinds[k]);
    }
    mb__plot_buf_printf(&plot, ", \\\n     NaN with boxes fs solid 1.0 lc rgb \"#e4e4e4\" "
                               "title \"within the ±%.0f%% threshold\"", thr * 100);
    mb__plot_buf_printf(&body, "set title \"Throughput against the baseline (median change, "
                               "95%% CI)\" font \",13\"\n"
                               "set xlabel %s\nset ytics (",
                        qxlabel);
    for (size_t i = 0; i < n; i++) {
        char *q = mb__plot_gp_quote(rows[i].c->label);
        mb__plot_buf_printf(&body, "%s%s %zu", i ? ", " : "", q, n - 1 - i);
        free(q);
        maxlab = strlen(rows[i].c->label) > maxlab ? strlen(rows[i].c->label) : maxlab;
        lo = fmin(lo, rows[i].lo * 100);
        hi = fmax(hi, rows[i].hi * 100);
    }
    double pad = (hi - lo) * 0.1 + 1;
    lo = fmin(lo, -thr * 100) - pad;
    hi = fmax(hi, thr * 100) + pad;
    mb__plot_buf_printf(&body,
                        ") scale 0\nunset grid\nset grid xtics lc rgb \"#dddddd\"\n"
                        "set yrange [-0.7:%zu.7]\nset xrange [%.3g:%.3g]\nset lmargin %zu\n"
                        "set object 1 rect from %.4g, graph 0 to %.4g, graph 1 fc rgb \"#e4e4e4\" "
                        "fs solid 1.0 noborder behind\n"
                        "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb \"#888888\"\n"
                        "set key outside below center horizontal maxrows 2\n"
                        "%s\n",
                        n - 1, lo, hi, maxlab + 2, -thr * 100, thr * 100, plot.s);
    mb__plot_buf_free(&plot);
    free(qxlabel);
    int height = 200 + 30 * (int)n;
    free(rows);
    return finish(ctx, name, "baseline.dat", &dat, &body, 1000, height < 400 ? 400 : height, err);
}

/* ---- time by stage ---- */

static bool has_stages(const pl_cell *c)
{
    return measured(c) && c->has_stages;
}

/* Cells in the order of the charts: device, variant, batch. */
static int cell_order(const void *a, const void *b)
{
    const pl_cell *x = *(const pl_cell *const *)a, *y = *(const pl_cell *const *)b;
    int d = device_rank(x->device) - device_rank(y->device);
    if (d == 0)
        d = strcmp(x->device, y->device);
    if (d == 0)
        d = (x->pixels > y->pixels) - (x->pixels < y->pixels);
    if (d == 0)
        d = strcmp(x->variant, y->variant);
    if (d == 0)
        d = x->batch - y->batch;
    return d;
}

static size_t cells_of_image(const pl_run *run, const char *image, bool (*keep)(const pl_cell *),
                             const pl_cell **out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++)
        if (keep(&run->cells[i]) && (image == NULL || strcmp(run->cells[i].image, image) == 0))
            out[n++] = &run->cells[i];
    qsort(out, n, sizeof *out, cell_order);
    return n;
}

static int chart_stages(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    const pl_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    size_t ni = image_sizes(run, has_stages, images);
    int rc;
    if (ni == 0) {
        rc = skip(reason, "no successful measured job reported its stage times");
        goto out;
    }
    static const char *const stage_names[PL_N_STAGES] = {"decode", "preprocess", "transfer",
                                                         "forward", "other"};
    static const char *const stage_colours[PL_N_STAGES] = {"#e69f00", "#cc79a7", "#56b4e9",
                                                           "#009e73", "#bbbbbb"};
    pl_buf dat = {0}, body = {0}, legend = {0};
    size_t widest = 1;
    /* The left margin holds the y label and the first rotated tick label,
     * whichever needs more room. */
    size_t longest = 8;
    for (size_t i = 0; i < ni; i++) {
        size_t n = cells_of_image(run, images[i]->image, has_stages, cells);
        widest = n > widest ? n : widest;
        for (size_t k = 0; k < n; k++) {
            size_t len = strlen(cells[k]->device) + strlen(cells[k]->variant) + 6;
            longest = len > longest ? len : longest;
        }
    }
    for (int s = 0; s < PL_N_STAGES; s++)
        mb__plot_buf_printf(&legend, ", NaN with boxes lc rgb \"%s\" title \"%s\"",
                            stage_colours[s], stage_names[s]);
    pl_layout l = layout_make(ni, 3, 190 + 50 * (int)widest < 380 ? 380 : 190 + 50 * (int)widest,
                              420, PL_N_STAGES, 10);
    mb__plot_buf_printf(&dat, "# time per job by stage, mean of the successful measured jobs, ms\n"
                              "# columns: \"cell\" decode preprocess transfer forward other\n");
    /* Decode and preprocess run on the worker's thread pool, overlapping
     * each other and the device: their bars are CPU time summed over the
     * threads and can add up to more than the job's wall time. */
    layout_begin(&body, "Where a job's time goes (mean per job)\\n"
                        "decode, preprocess: CPU time over all threads");
    mb__plot_buf_printf(&body, "set style data histograms\nset style histogram rowstacked\n"
                               "set style fill solid 0.9 border lc rgb \"white\"\nset boxwidth 0.7\n"
                               "set ylabel \"time per job (ms)\"\nset yrange [0:*]\n"
                               "set xtics rotate by 30 right scale 0 font \",10\"\n"
                               "set lmargin %zu\n",
                        longest * 6 / 10 + 2 > 11 ? longest * 6 / 10 + 2 : 11);
    for (size_t i = 0; i < ni; i++) {
        size_t n = cells_of_image(run, images[i]->image, has_stages, cells);
        mb__plot_buf_printf(&dat, "# series: image %s\n", images[i]->image);
        for (size_t k = 0; k < n; k++) {
            const pl_cell *c = cells[k];
            char *lab = *c->variant ? mb_asprintf("%s b%d %s", c->device, c->batch, c->variant)
                                    : mb_asprintf("%s b%d", c->device, c->batch);
            for (char *p = lab; *p; p++)
                if (*p == '"')
                    *p = '\'';
            mb__plot_buf_printf(&dat, "\"%s\"", lab);
            free(lab);
            for (int s = 0; s < PL_N_STAGES; s++)
                mb__plot_buf_printf(&dat, " %.6g", c->stage_ms[s]);
            mb__plot_buf_printf(&dat, "\n");
        }
        mb__plot_buf_printf(&dat, "\n\n");
        layout_panel(&body, &l, (int)i);
        mb__plot_buf_printf(&body, "set title \"%s images\"\nplot ", images[i]->image);
        for (int s = 0; s < PL_N_STAGES; s++)
            mb__plot_buf_printf(&body, "%s'%s.dat' index %zu using %d%s lc rgb \"%s\" title \"%s\"",
                                s ? ", \\\n     " : "", name, i, s + 2, s ? "" : ":xtic(1)",
                                stage_colours[s], stage_names[s]);
        mb__plot_buf_printf(&body, "\n");
    }
    layout_legend(&body, &l, legend.s);
    mb__plot_buf_free(&legend);
    rc = finish(ctx, name, "stages.dat", &dat, &body, l.width, l.height, err);
out:
    free(images);
    free(cells);
    return rc;
}

/* ---- per-job latency distribution ---- */

static bool has_latencies(const pl_cell *c)
{
    return measured(c) && c->n_latency > 0;
}

static unsigned hex_colour(const char *hex)
{
    return (unsigned)strtoul(hex + 1, NULL, 16);
}

static int chart_latency(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    if (!run->has_jobs)
        return skip(reason, "per-job latencies need run.json; only results.json was read");
    const pl_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    size_t n = cells_of_image(run, NULL, has_latencies, cells);
    if (n == 0) {
        free(cells);
        return skip(reason, "no successful measured job in this run");
    }
    /* Image size before device, so that cells of one size stand together. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cells[j - 1]->pixels > cells[j]->pixels; j--) {
            const pl_cell *t = cells[j];
            cells[j] = cells[j - 1];
            cells[j - 1] = t;
        }
    pl_buf dat = {0}, body = {0};
    mb__plot_buf_printf(&dat, "# latency of each successful measured job (enqueue to result), ms\n"
                              "# block 0 columns: x min q1 median q3 max jobs colour \"cell\"\n"
                              "# block 1 columns: x latency_ms (one row per job)\n"
                              "# series: quartiles\n");
    double lo = INFINITY, hi = 0;
    size_t maxlab = 8;
    bool devices_seen[4] = {false, false, false, false};
    for (size_t i = 0; i < n; i++) {
        const pl_cell *c = cells[i];
        double q[5] = {mb_stats_min(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 25),
                       mb_stats_median(c->latency_ms, c->n_latency),
                       mb_stats_percentile(c->latency_ms, c->n_latency, 75),
                       mb_stats_max(c->latency_ms, c->n_latency)};
        lo = fmin(lo, q[0]);
        hi = fmax(hi, q[4]);
        devices_seen[device_rank(c->device)] = true;
        maxlab = strlen(c->label) > maxlab ? strlen(c->label) : maxlab;
        mb__plot_buf_printf(&dat, "%zu %.6g %.6g %.6g %.6g %.6g %zu %u \"%s\"\n", i, q[0], q[1],
                            q[2], q[3], q[4], c->n_latency,
                            hex_colour(mb__plot_device_color(c->device)), c->label);
    }
    mb__plot_buf_printf(&dat, "\n\n# series: jobs\n");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cells[i]->n_latency; j++)
            mb__plot_buf_printf(&dat, "%zu %.6g\n", i, cells[i]->latency_ms[j]);
    mb__plot_buf_printf(&body,
                        "set title \"Job latency per cell (box: quartiles, line: median, "
                        "whiskers: min and max, dots: jobs)\" font \",13\"\n"
                        "set ylabel \"latency per job (ms)\"\nset xrange [-0.7:%zu.7]\n"
                        "set xtics rotate by 35 right scale 0 font \",10\" (",
                        n - 1);
    for (size_t i = 0; i < n; i++) {
        char *q = mb__plot_gp_quote(cells[i]->label);
        mb__plot_buf_printf(&body, "%s%s %zu", i ? ", " : "", q, i);
        free(q);
    }
    /* Room on the left for the first rotated label. */
    mb__plot_buf_printf(&body, ")\nset lmargin %zu\nset boxwidth 0.55\n"
                               "set style fill solid 0.35 border\n"
                               "set key outside below center horizontal\n",
                        maxlab * 6 / 10 + 2);
    y_axis(&body, lo, hi, true);
    mb__plot_buf_printf(&body,
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
            mb__plot_buf_printf(&body, ", \\\n     NaN with boxes lc rgb \"%s\" title \"%s\"",
                                mb__plot_device_color(rank_names[r]), rank_names[r]);
    mb__plot_buf_printf(&body, "\n");
    free(cells);
    int width = 240 + 70 * (int)n;
    return finish(ctx, name, "latency.dat", &dat, &body, width < 900 ? 900 : width,
                  560 + (int)maxlab * 5, err);
}

/* ---- the seed's four options, recomputed ---- */

static bool truthy(const char *v)
{
    return v != NULL && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0
                         || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

static int effective_batch(const pl_cell *c)
{
    long b;
    const char *v = mb__plot_cell_env(c, "GPU_BATCH_SIZE");
    if (v != NULL && mb_parse_long(v, &b) == 0 && b > 0)
        return (int)b;
    return c->batch;
}

static bool forced_cpu(const pl_cell *c)
{
    return truthy(mb__plot_cell_env(c, "FORCE_CPU"));
}

static bool cleans_up(const pl_cell *c)
{
    return truthy(mb__plot_cell_env(c, "GPU_MEMORY_CLEANUP_ENABLED"));
}

/* The device the seed's service ran on: a GPU, or the CPU in a run without
 * any GPU cell (seed-options.yaml with the emulated MPS fault on a CPU-only
 * machine), where FORCE_CPU is then the only thing option 2 changes. */
static bool service_device(const pl_cell *c, bool cpu_only)
{
    return cpu_only ? strcmp(c->device, "cpu") == 0 : mb__plot_is_gpu(c->device);
}

/* A plain service cell: on the service's device, no FORCE_CPU, no periodic
 * cleanup. */
static bool plain_service(const pl_cell *c, bool cpu_only)
{
    return !c->skipped && service_device(c, cpu_only) && !forced_cpu(c) && !cleans_up(c);
}

enum { SEED_REF, SEED_FIX, SEED_CPU, SEED_BATCH, SEED_CLEANUP, SEED_N };

typedef struct seed_group {
    const char *image;
    const pl_cell *opt[SEED_N];
} seed_group;

/* Finds the seed's configurations among the cells of one image size: the
 * reference is the service as it was (a GPU, watermark fix off, batch 16 or
 * the largest run), and each option changes one thing against it. */
static void seed_find(const pl_run *run, const char *image, seed_group *g)
{
    memset(g, 0, sizeof *g);
    g->image = image;
    bool cpu_only = true;
    for (size_t i = 0; i < run->n_cells; i++)
        cpu_only &= !mb__plot_is_gpu(run->cells[i].device);
    const pl_cell *ref = NULL;
    for (int pass = 0; pass < 2 && ref == NULL; pass++)
        for (size_t i = 0; i < run->n_cells; i++) {
            const pl_cell *c = &run->cells[i];
            if (strcmp(c->image, image) != 0 || !plain_service(c, cpu_only) || c->fix)
                continue;
            if (pass == 0 && effective_batch(c) != 16)
                continue;
            if (ref == NULL || strcmp(c->device, "mps") == 0
                || (pass == 1 && effective_batch(c) > effective_batch(ref)))
                ref = c;
        }
    if (ref == NULL)
        return;
    g->opt[SEED_REF] = ref;
    int rb = effective_batch(ref);
    int small = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const pl_cell *c = &run->cells[i];
        if (c == ref || strcmp(c->image, image) != 0 || c->skipped)
            continue;
        bool same_dev = strcmp(c->device, ref->device) == 0;
        int eb = effective_batch(c);
        if (plain_service(c, cpu_only) && same_dev && c->fix && eb == rb && g->opt[SEED_FIX] == NULL)
            g->opt[SEED_FIX] = c;
        if ((forced_cpu(c) || (!cpu_only && strcmp(c->device, "cpu") == 0)) && eb == rb
            && (g->opt[SEED_CPU] == NULL || (!c->fix && g->opt[SEED_CPU]->fix)))
            g->opt[SEED_CPU] = c;
        if (plain_service(c, cpu_only) && same_dev && !c->fix && eb < rb &&
            (eb == 8 || (small != 8 && eb > small))) {
            g->opt[SEED_BATCH] = c;
            small = eb;
        }
        if (!c->fix && same_dev && service_device(c, cpu_only) && !forced_cpu(c) && cleans_up(c)
            && eb == rb && g->opt[SEED_CLEANUP] == NULL)
            g->opt[SEED_CLEANUP] = c;
    }
}

static char *seed_option_name(int k, const pl_cell *c)
{
    switch (k) {
    case SEED_REF: return mb_asprintf("no fix (reference, batch %d)", c ? effective_batch(c) : 16);
    case SEED_FIX: return mb_strdup("1: PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0");
    case SEED_CPU: return mb_strdup("2: FORCE_CPU=true");
    case SEED_BATCH:
        return c ? mb_asprintf("3: GPU_BATCH_SIZE=%d", effective_batch(c))
                 : mb_strdup("3: GPU_BATCH_SIZE=8");
    default: {
        const char *every = c ? mb__plot_cell_env(c, "GPU_MEMORY_CLEANUP_INTERVAL") : NULL;
        return every ? mb_asprintf("4: cleanup every %s", every) : mb_strdup("4: memory cleanup");
    }
    }
}

static const char *const seed_tics[SEED_N] = {"no fix\\n(reference)", "1: fix on",
                                              "2: FORCE_CPU", "3: smaller\\nbatch",
                                              "4: cleanup"};

static int chart_seed_options(const pl_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const pl_run *run = ctx->run;
    const pl_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    size_t ni = image_sizes(run, NULL, images);
    seed_group *groups = mb_calloc(ni + 1, sizeof *groups);
    size_t ng = 0;
    for (size_t i = 0; i < ni; i++) {
        seed_find(run, images[i]->image, &groups[ng]);
        int found = 0;
        for (int k = 1; k < SEED_N; k++)
            found += groups[ng].opt[k] != NULL;
        if (groups[ng].opt[SEED_REF] != NULL && found > 0)
            ng++;
    }
    free(images);
    if (ng == 0) {
        free(groups);
        return skip(reason, "seed options: no \"no fix\" reference (a GPU cell - or a CPU cell in "
                            "a run without GPUs - with the watermark fix off, no FORCE_CPU, no "
                            "cleanup) with an option cell beside it");
    }
    pl_buf md = {0}, dat = {0}, body = {0};
    mb__plot_buf_printf(
        &md,
        "# The seed's options, recomputed from measurements\n\n"
        "Source: `%s`.  Each option changes one thing against the reference, the service as it "
        "was (a GPU, watermark fix off, default batch size).  Throughput is the median images/s "
        "over repetitions; *relative* divides it by the reference's.\n\n"
        "| image | option | cell | images/s | relative to no fix | OOM jobs | verdict |\n"
        "|---|---|---|---:|---:|---:|---|\n",
        run->source);
    mb__plot_buf_printf(&dat, "# seed options per image size\n"
                              "# columns: option_index images_per_s relative oom_jobs measured_jobs "
                              "colour \"label\" label_y\n");
    bool dev_seen[3] = {false, false, false};
    static const char *const devs[3] = {"cuda", "mps", "cpu"};
    for (size_t gi = 0; gi < ng; gi++)
        for (int k = 0; k < SEED_N; k++)
            for (int d = 0; d < 3; d++)
                if (groups[gi].opt[k] != NULL && strcmp(groups[gi].opt[k]->device, devs[d]) == 0)
                    dev_seen[d] = true;
    pl_buf legend = {0};
    for (int d = 0; d < 3; d++)
        if (dev_seen[d])
            mb__plot_buf_printf(&legend, ", NaN with boxes lc rgb \"%s\" title \"%s\"",
                                mb__plot_device_color(devs[d]), devs[d]);
    pl_layout l = layout_make(ng, 2, 540, 420, 3, 6);
    layout_begin(&body, "The seed's options, measured (labels: relative to no fix, or OOMs)");
    mb__plot_buf_printf(&body, "set style fill solid 0.85 border lc rgb \"white\"\n"
                               "set boxwidth 0.6\nset xrange [-0.6:4.6]\n"
                               "set ylabel \"throughput (images/s, median)\"\n");
    for (size_t gi = 0; gi < ng; gi++) {
        const seed_group *g = &groups[gi];
        layout_panel(&body, &l, (int)gi);
        mb__plot_buf_printf(&body, "set xtics (");
        for (int k = 0; k < SEED_N; k++) {
            char *tic = k == SEED_BATCH && g->opt[k] != NULL
                            ? mb_asprintf("3: batch %d", effective_batch(g->opt[k]))
                            : mb_strdup(seed_tics[k]);
            mb__plot_buf_printf(&body, "%s\"%s\" %d", k ? ", " : "", tic, k);
            free(tic);
        }
        mb__plot_buf_printf(&body, ") scale 0 font \",10\"\n");
        double ref_ips = has_ips(g->opt[SEED_REF]) ? g->opt[SEED_REF]->ips_median : NAN;
        double top = 0;
        for (int k = 0; k < SEED_N; k++)
            if (g->opt[k] != NULL && has_ips(g->opt[k]))
                top = fmax(top, g->opt[k]->ips_median);
        if (top <= 0)
            top = 1;
        mb__plot_buf_printf(&dat, "# series: image %s\n", g->image);
        for (int k = 0; k < SEED_N; k++) {
            const pl_cell *c = g->opt[k];
            char *opt = seed_option_name(k, c);
            if (c == NULL) {
                mb__plot_buf_printf(&md, "| %s | %s | not in this run | | | | |\n", g->image, opt);
                mb__plot_buf_printf(&dat, "%d 0 NaN 0 0 %u \"not run\" %.6g\n", k, 0xbbbbbbu,
                                    top * 0.07);
                free(opt);
                continue;
            }
            double ips = has_ips(c) ? c->ips_median : 0;
            double rel = isfinite(ref_ips) && ref_ips > 0 && has_ips(c) ? ips / ref_ips : NAN;
            char rel_text[32] = "–", ips_text[32] = "–", label[64];
            if (isfinite(rel))
                snprintf(rel_text, sizeof rel_text, "%.2f×", rel);
            if (has_ips(c))
                snprintf(ips_text, sizeof ips_text, "%.3g", ips);
            /* Without a reference throughput (it ran out of memory) the bar
             * is labelled with its own throughput instead. */
            char head[40] = "";
            if (isfinite(rel))
                snprintf(head, sizeof head, "%s", rel_text);
            else if (has_ips(c))
                snprintf(head, sizeof head, "%s img/s", ips_text);
            if (c->n_oom > 0)
                snprintf(label, sizeof label, "%s%sOOM %d/%d", head, *head ? "\\n" : "",
                         c->n_oom, c->n_jobs);
            else
                snprintf(label, sizeof label, "%s", head);
            mb__plot_buf_printf(&md, "| %s | %s | `%s` | %s | %s | %d/%d | %s%s%s |\n", g->image,
                                opt, c->name, ips_text, rel_text, c->n_oom, c->n_jobs,
                                c->n_oom > 0 ? "OOM" : c->n_failed > 0 ? "failures" : "ok",
                                c->reason ? ": " : "", c->reason ? c->reason : "");
            /* Two-line labels sit higher, clear of their bar. */
            double label_y = ips + top * (strstr(label, "\\n") != NULL ? 0.13 : 0.07);
            mb__plot_buf_printf(&dat, "%d %.6g %.6g %d %d %u \"%s\" %.6g\n", k, ips, rel,
                                c->n_oom, c->n_jobs,
                                hex_colour(mb__plot_device_color(c->device)), label, label_y);
            free(opt);
        }
        mb__plot_buf_printf(&dat, "\n\n");
        mb__plot_buf_printf(&body,
                            "set title \"%s images, reference on %s\"\nset yrange [0:%g]\n"
                            "plot '%s.dat' index %zu using 1:2:6 with boxes lc rgb variable "
                            "notitle, \\\n"
                            "     '' index %zu using 1:8:7 with labels font \",10\" notitle",
                            g->image, g->opt[SEED_REF]->device, top * 1.3, name, gi, gi);
        mb__plot_buf_printf(&body, "\n");
    }
    layout_legend(&body, &l, legend.s);
    mb__plot_buf_free(&legend);
    mb__plot_buf_printf(&md, "\nThe seed's estimates, for comparison: option 1 \"0%% overhead\", "
                             "option 2 \"-90%%\", option 3 \"-50%%\", option 4 \"-5%%\".\n");
    free(groups);
    int rc = mb__plot_write_file(ctx, "seed-options.md", md.s, err);
    mb__plot_buf_free(&md);
    if (rc != 0) {
        mb__plot_buf_free(&dat);
        mb__plot_buf_free(&body);
        return rc;
    }
    return finish(ctx, name, "seed-options.dat", &dat, &body, l.width, l.height, err);
}

const pl_chart_kind mb__plot_kinds[] = {
    {"throughput", "Throughput against batch size, per image size and device", chart_throughput},
    {"speedup", "GPU/CPU speedup against batch size", chart_speedup},
    {"memory", "Peak memory against batch size, OOM cells and the cap", chart_memory},
    {"oom-matrix", "OOM matrix (batch × image size), fix off and on, per device",
     chart_oom_matrix},
    {"baseline", "Current against baseline, with 95% intervals", chart_baseline},
    {"stages", "Time per job by stage", chart_stages},
    {"latency", "Per-job latency distribution", chart_latency},
    {"seed-options", "The seed's option comparison, measured", chart_seed_options},
};
const size_t mb__plot_n_kinds = sizeof mb__plot_kinds / sizeof mb__plot_kinds[0];

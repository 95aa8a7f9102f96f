/* The layout every chart shares: which cells, image and batch sizes and
 * series a chart shows, their styles, the axes, and the panels of a chart
 * (a title band, a grid of small multiples, one legend band). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

bool mb__plot_measured(const mb__plot_cell *c)
{
    return !c->skipped && c->n_jobs > 0;
}

bool mb__plot_has_ips(const mb__plot_cell *c)
{
    return mb__plot_measured(c) && c->n_ips > 0 && isfinite(c->ips_median);
}

/* The distinct image sizes of the cells that pass keep(), smallest first. */
size_t mb__plot_image_sizes(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                            const mb__plot_cell **out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (keep != NULL && !keep(c))
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j]->image, c->image) != 0)
            j++;
        if (j < n)
            continue;
        size_t k = n++;
        while (
            k > 0
            && (out[k - 1]->pixels > c->pixels
                || (out[k - 1]->pixels == c->pixels && strcmp(out[k - 1]->image, c->image) > 0))) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = c;
    }
    return n;
}

size_t mb__plot_batch_sizes(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *), int *out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
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
int mb__plot_device_rank(const char *d)
{
    return strcmp(d, "cuda") == 0 ? 0 : strcmp(d, "mps") == 0 ? 1 : strcmp(d, "cpu") == 0 ? 3 : 2;
}

size_t mb__plot_series_of(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                          mb__plot_series *out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (!keep(c))
            continue;
        size_t j = 0;
        while (
            j < n
            && (strcmp(out[j].device, c->device) != 0 || strcmp(out[j].variant, c->variant) != 0))
            j++;
        if (j < n)
            continue;
        size_t k = n++;
        while (k > 0 && mb__plot_device_rank(out[k - 1].device) > mb__plot_device_rank(c->device)) {
            out[k] = out[k - 1];
            k--;
        }
        out[k] = (mb__plot_series){c->device, c->variant, 0, 0, false};
    }
    /* A variant keeps one colour on every device (its index among the
     * run's variants), so that a panel per device reads with one legend. */
    int n_variants = 0, n_devices = 0;
    for (size_t i = 0; i < n; i++) {
        bool new_variant = true, new_device = true;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out[j].variant, out[i].variant) == 0) {
                new_variant = false;
                out[i].style = out[j].style;
            }
            if (strcmp(out[j].device, out[i].device) == 0)
                new_device = false;
        }
        if (new_variant)
            out[i].style = n_variants++;
        n_devices += new_device;
    }
    for (size_t i = 0; i < n; i++) {
        out[i].n_styles = n_variants;
        out[i].split = n_variants > 1 && n_devices > 1;
    }
    return n;
}

const mb__plot_cell *mb__plot_find_cell(const mb__plot_run *run, const char *device,
                                        const char *variant, const char *image, int batch)
{
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (strcmp(c->device, device) == 0 && strcmp(c->variant, variant) == 0
            && strcmp(c->image, image) == 0 && c->batch == batch)
            return c;
    }
    return NULL;
}

char *mb__plot_series_title(const mb__plot_series *s)
{
    /* Split charts draw a panel per device: the legend names the variant. */
    if (s->split)
        return mb_strdup(s->variant);
    return *s->variant ? mb_asprintf("%s, %s", s->device, s->variant) : mb_strdup(s->device);
}

/* Colour-blind-safe qualitative colours (Okabe-Ito, then Tableau) for the
 * variants of a chart: with more than one variant, one colour per device
 * would draw a dozen lines in one colour. */
static const char *const variant_palette[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7",
                                              "#56b4e9", "#d55e00", "#000000", "#8c564b",
                                              "#7f7f7f", "#bcbd22", "#17becf", "#9467bd"};
#define N_PALETTE (sizeof variant_palette / sizeof variant_palette[0])

const char *mb__plot_series_color(const mb__plot_series *s)
{
    return s->n_styles > 1 ? variant_palette[(size_t)s->style % N_PALETTE]
                           : mb__plot_device_color(s->device);
}

/* "lc rgb ... dt ... pt ..." of a series: the colour tells the variant (or
 * the device when there is one variant), the point type repeats it for a
 * grey-scale print, and the CPU is dashed where colour tells the device. */
void mb__plot_series_style(mb_strbuf *b, const mb__plot_series *s)
{
    static const int pts[] = {7, 5, 9, 13, 11, 15};
    mb_strbuf_printf(b, "lc rgb \"%s\" lw 2 pt %d ps 1.3 dt %d", mb__plot_series_color(s),
                     pts[s->style % 6], strcmp(s->device, "cpu") == 0 && s->n_styles <= 1 ? 2 : 1);
}

/* A log axis when the values span a decade or more. */
bool mb__plot_spans_decade(double lo, double hi)
{
    return lo > 0 && isfinite(lo) && isfinite(hi) && hi / lo >= 10.0;
}

void mb__plot_batch_axis(mb_strbuf *b, const int *batches, size_t nb)
{
    mb_strbuf_printf(b, "set xlabel \"batch size (images per forward pass)\"\n");
    if (nb == 0)
        return;
    /* Batch sizes double from step to step, so a log2 axis spaces them
     * evenly; a batch size of 0 (a cell without one) needs a linear axis. */
    if (batches[0] > 0 && nb > 1)
        mb_strbuf_printf(b, "set logscale x 2\nset xrange [%g:%g]\nset xtics (", batches[0] / 1.5,
                         batches[nb - 1] * 1.5);
    else
        mb_strbuf_printf(b, "unset logscale x\nset xrange [%d:%d]\nset xtics (", batches[0] - 1,
                         batches[nb - 1] + 1);
    /* A frontier search probes batches between powers of two (96, 104,
     * 107...); labelling every one would print them on top of each other,
     * so with many batch sizes only powers of two are labelled. */
    bool only_powers = nb > 10 && batches[0] > 0;
    int labelled = 0;
    for (size_t i = 0; i < nb; i++) {
        if (only_powers && (batches[i] & (batches[i] - 1)) != 0)
            continue;
        mb_strbuf_printf(b, "%s\"%d\" %d", labelled++ ? ", " : "", batches[i], batches[i]);
    }
    mb_strbuf_printf(b, ")\n");
}

/* Tick labels at 1, 2 and 5 times each power of ten in [lo, hi]: with
 * gnuplot's default of one label a decade, a panel spanning 0.5 to 8 would
 * be labelled "1" and nothing else. */
static void log_tics(mb_strbuf *b, double lo, double hi)
{
    mb_strbuf_printf(b, "set ytics (");
    int n = 0;
    for (double decade = pow(10, floor(log10(lo))); decade <= hi; decade *= 10) {
        static const double steps[] = {1, 2, 5};
        for (int i = 0; i < 3; i++) {
            double v = decade * steps[i];
            if (v >= lo && v <= hi)
                mb_strbuf_printf(b, "%s\"%g\" %g", n++ ? ", " : "", v, v);
        }
    }
    mb_strbuf_printf(b, ")\nset mytics 10\n");
}

void mb__plot_y_axis(mb_strbuf *b, double lo, double hi, bool zero_based)
{
    if (mb__plot_spans_decade(lo, hi)) {
        mb_strbuf_printf(b, "set logscale y\nset yrange [%g:%g]\nset format y \"%%g\"\n", lo / 1.6,
                         hi * 1.6);
        log_tics(b, lo / 1.6, hi * 1.6);
    } else if (zero_based && isfinite(hi) && hi > 0)
        mb_strbuf_printf(b, "unset logscale y\nset yrange [0:%g]\n", hi * 1.15);
    else
        mb_strbuf_printf(b, "unset logscale y\nset yrange [*:*]\n");
}

/* Panels share one kind of y axis: logarithmic for all of them when the
 * values of the whole chart span a decade, each panel with its own range. */
void mb__plot_panel_y_axis(mb_strbuf *b, bool log_scale, double lo, double hi)
{
    /* A panel whose own values lie within a factor of 3 (one point, say)
     * gains nothing from a log axis but a scale with one tick. */
    if (log_scale && lo > 0 && isfinite(lo) && hi / lo >= 3) {
        mb_strbuf_printf(b, "set logscale y\nset yrange [%g:%g]\nset format y \"%%g\"\n", lo / 1.6,
                         hi * 1.6);
        log_tics(b, lo / 1.6, hi * 1.6);
    } else if (isfinite(hi) && hi > 0) {
        mb_strbuf_printf(b,
                         "unset logscale y\nset yrange [0:%g]\nset format y \"%%g\"\n"
                         "set ytics autofreq\nset mytics default\n",
                         hi * 1.15);
    } else {
        mb_strbuf_printf(b, "unset logscale y\nset yrange [*:*]\nset ytics autofreq\n");
    }
}

size_t mb__plot_legend_series(mb_strbuf *leg, const mb__plot_series *series, size_t ns)
{
    size_t longest = 4;
    for (size_t s = 0; s < ns; s++) {
        bool repeated = false;
        for (size_t j = 0; j < s && series[s].split; j++)
            repeated |= series[j].style == series[s].style;
        if (repeated)
            continue;
        char *t = mb__plot_series_title(&series[s]);
        char *qt = mb__plot_gp_quote(t);
        mb_strbuf_printf(leg, ", NaN with linespoints ");
        mb__plot_series_style(leg, &series[s]);
        mb_strbuf_printf(leg, " title %s", qt);
        longest = strlen(t) > longest ? strlen(t) : longest;
        free(t);
        free(qt);
    }
    return longest;
}

/* The panels of a chart drawn per image size, or per device and image size
 * when the series are split by device. */
size_t mb__plot_panels_of(const mb__plot_series *series, size_t ns, size_t n_images,
                          mb__plot_panel *out)
{
    size_t n = 0;
    bool split = ns > 0 && series[0].split;
    for (size_t s = 0; s < ns; s++) {
        bool seen = false;
        for (size_t j = 0; j < s && split; j++)
            seen |= strcmp(series[j].device, series[s].device) == 0;
        if (!split && s > 0)
            break;
        if (seen)
            continue;
        for (size_t i = 0; i < n_images; i++)
            out[n++] = (mb__plot_panel){split ? series[s].device : NULL, i};
    }
    return n;
}

void mb__plot_grid_of(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                      mb__plot_grid *g)
{
    g->images = mb_calloc(run->n_cells + 1, sizeof *g->images);
    g->batches = mb_calloc(run->n_cells + 1, sizeof *g->batches);
    g->series = mb_calloc(run->n_cells + 1, sizeof *g->series);
    g->ni = mb__plot_image_sizes(run, keep, g->images);
    g->nb = mb__plot_batch_sizes(run, keep, g->batches);
    g->ns = mb__plot_series_of(run, keep, g->series);
    g->panels = mb_calloc(g->ns * g->ni + 1, sizeof *g->panels);
    g->np = mb__plot_panels_of(g->series, g->ns, g->ni, g->panels);
}

void mb__plot_grid_free(mb__plot_grid *g)
{
    free(g->images);
    free(g->batches);
    free(g->series);
    free(g->panels);
    memset(g, 0, sizeof *g);
}

void mb__plot_series_block(mb_strbuf *dat, const mb__plot_series *s, const char *image)
{
    mb_strbuf_printf(dat, "# series: %s%s%s, image %s\n", s->device, *s->variant ? ", " : "",
                     s->variant, image);
}

void mb__plot_series_line(mb_strbuf *dat, mb_strbuf *plot, const char *name, int *index,
                          const char *using, const mb__plot_series *s)
{
    mb_strbuf_printf(dat, "\n\n");
    char *t = mb__plot_series_title(s);
    char *qt = mb__plot_gp_quote(t);
    mb_strbuf_printf(plot, "%s'%s.dat' index %d using %s ", plot->len ? ", \\\n     " : "plot ",
                     name, (*index)++, using);
    mb__plot_series_style(plot, s);
    mb_strbuf_printf(plot, " title %s", qt);
    free(t);
    free(qt);
}

void mb__plot_rows_extent(const mb__plot_run *run, const mb__plot_cell *const *images, size_t ni,
                          bool (*keep)(const mb__plot_cell *),
                          char *(*label)(const mb__plot_cell *), size_t *widest,
                          size_t *longest)
{
    const mb__plot_cell **cells = mb_calloc(run->n_cells + 1, sizeof *cells);
    *widest = 1;
    for (size_t i = 0; i < ni; i++) {
        size_t n = mb__plot_cells_of_image(run, images[i]->image, keep, cells);
        *widest = n > *widest ? n : *widest;
        for (size_t k = 0; k < n; k++) {
            char *lab = label(cells[k]);
            *longest = strlen(lab) > *longest ? strlen(lab) : *longest;
            free(lab);
        }
    }
    free(cells);
}

void mb__plot_row_label(mb_strbuf *ytics, const mb__plot_series *s, int row)
{
    char *t = mb__plot_series_title(s);
    char *qt = mb__plot_gp_quote(t);
    mb_strbuf_printf(ytics, "%s%s %d", row > 0 ? ", " : "", qt, -row);
    free(t);
    free(qt);
}

void mb__plot_panel_title(mb_strbuf *b, const mb__plot_panel *panel, const char *image)
{
    mb_strbuf_printf(b, "set title \"%s%s%s images\"\n", panel->device ? panel->device : "",
                     panel->device ? ", " : "", image);
}

mb__plot_layout mb__plot_layout_measure(const mb__plot_ctx *ctx, const char *title,
                                        const mb__plot_grid *g, bool rows, size_t longest,
                                        size_t key_entries, size_t key_chars)
{
    return mb__plot_layout_make(ctx, title, g->np, rows ? 1 : 3,
                                rows ? 620 + (int)longest * 7 : 430,
                                rows ? 140 + 24 * (int)g->ns : 400, key_entries, key_chars);
}

void mb__plot_measure_axes(mb_strbuf *b, const mb__plot_grid *g, bool rows, const char *measure,
                           size_t longest)
{
    if (rows) {
        mb_strbuf_printf(b, "set xlabel \"%s, batch size %d\"\nunset ylabel\nset lmargin %zu\n",
                         measure, g->batches[0], longest * 8 / 10 + 3);
        return;
    }
    mb__plot_batch_axis(b, g->batches, g->nb);
    mb_strbuf_printf(b, "set ylabel \"%s\"\n", measure);
}

/* Roughly the width of a character of the title font (",12"), in pixels. */
#define TITLE_CHAR_PX 9

/* Appends text to b in lines of at most max_chars, broken at spaces. */
static int wrap_lines(mb_strbuf *b, const char *text, size_t max_chars)
{
    int lines = 0;
    const char *p = text;
    while (*p) {
        size_t n = strlen(p);
        if (n > max_chars) {
            n = max_chars;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = max_chars;
        }
        mb_strbuf_printf(b, "%s%.*s", lines++ ? "\n" : "", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
    return lines;
}

/* Lines of even length: a text that needs two lines gets two halves, not
 * a full line and an orphaned word. */
static int wrap_even(mb_strbuf *b, const char *text, size_t max_chars)
{
    size_t len = strlen(text), n = (len + max_chars - 1) / max_chars;
    size_t even = n > 1 && len / n + 12 < max_chars ? len / n + 12 : max_chars;
    return wrap_lines(b, text, even);
}

char *mb__plot_subject(const mb__plot_run *run)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "%s",
                     run->hardware  ? run->hardware
                     : run->machine ? run->machine
                                    : "machine not recorded");
    mb_strbuf_printf(&b, " · model %s", run->model ? run->model : "not recorded");
    if (run->job_images_min > 0 && run->job_images_min == run->job_images_max)
        mb_strbuf_printf(&b, " · %d image%s per job", run->job_images_min,
                         run->job_images_min == 1 ? "" : "s");
    else if (run->job_images_min > 0)
        mb_strbuf_printf(&b, " · %d-%d images per job", run->job_images_min, run->job_images_max);
    if (run->torch_version != NULL)
        mb_strbuf_printf(&b, " · libtorch %s", run->torch_version);
    return b.s;
}

char *mb__plot_title_text(const mb__plot_run *run, const char *title, int width, int *n_lines)
{
    size_t max_chars = (size_t)(width > 200 ? width - 40 : 160) / TITLE_CHAR_PX;
    char *subject = mb__plot_subject(run);
    mb_strbuf plain = {0};
    int lines = wrap_even(&plain, title, max_chars);
    mb_strbuf_printf(&plain, "\n");
    lines += wrap_even(&plain, subject, max_chars);
    free(subject);
    /* Quoted for gnuplot, the line breaks kept as \n escapes. */
    mb_strbuf q = {0};
    mb_strbuf_printf(&q, "\"");
    for (const char *p = plain.s; *p; p++) {
        if (*p == '\n')
            mb_strbuf_printf(&q, "\\n");
        else if (*p == '"' || *p == '\\')
            mb_strbuf_printf(&q, "\\%c", *p);
        else
            mb_strbuf_printf(&q, "%c", *p);
    }
    mb_strbuf_printf(&q, "\"");
    free(plain.s);
    if (n_lines != NULL)
        *n_lines = lines;
    return q.s;
}

void mb__plot_single_title(mb_strbuf *b, const mb__plot_ctx *ctx, const char *title, int width)
{
    char *text = mb__plot_title_text(ctx->run, title, width, NULL);
    mb_strbuf_printf(b, "set title %s font \",12\"\n", text);
    free(text);
}

mb__plot_layout mb__plot_layout_make(const mb__plot_ctx *ctx, const char *title, size_t n_panels,
                                     int max_cols, int panel_w, int panel_h, size_t n_legend,
                                     size_t legend_chars)
{
    mb__plot_layout l = {0};
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
    int title_lines = 1;
    l.title = mb__plot_title_text(ctx->run, title, l.width, &title_lines);
    int top_px = 24 + 19 * title_lines;
    l.height = l.rows * panel_h + top_px + legend_px;
    l.top = (double)top_px / l.height;
    l.legend = (double)legend_px / l.height;
    return l;
}

void mb__plot_layout_begin(mb_strbuf *b, mb__plot_layout *l)
{
    mb_strbuf_printf(b, "set multiplot title %s font \",12\"\nunset key\n", l->title);
    free(l->title);
    l->title = NULL;
}

void mb__plot_layout_panel(mb_strbuf *b, const mb__plot_layout *l, int index)
{
    int r = index / l->cols, c = index % l->cols;
    double w = 1.0 / l->cols, h = (1.0 - l->top - l->legend) / l->rows;
    mb_strbuf_printf(b, "set origin %.4f,%.4f\nset size %.4f,%.4f\n", c * w,
                     l->legend + (l->rows - 1 - r) * h, w, h);
}

/* entries: ", NaN with ... title ..." items; the leading comma is dropped. */
void mb__plot_layout_legend(mb_strbuf *b, const mb__plot_layout *l, const char *entries)
{
    if (entries == NULL || !*entries) {
        mb_strbuf_printf(b, "unset multiplot\n");
        return;
    }
    mb_strbuf_printf(b,
                     "set origin 0,0\nset size 1,%.4f\nset margins 0,0,0,0\n"
                     "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\n"
                     "unset grid\nunset logscale\nunset arrow\nunset label\nunset object\n"
                     "set xrange [0:1]\nset yrange [0:1]\n"
                     "set key inside center center horizontal maxrows %d samplen 2.5 "
                     "width 1\nplot %s\nunset multiplot\n",
                     l->legend, l->legend_rows, entries + 2);
}

int mb__plot_finish(const mb__plot_ctx *ctx, const char *name, char **reason,
                    const char *dat_name, mb_strbuf *dat, mb_strbuf *body, int width, int height,
                    mb_err *err)
{
    if (width > MB__PLOT_CAIRO_MAX_PX || height > MB__PLOT_CAIRO_MAX_PX) {
        mb__plot_strbuf_free(dat);
        mb__plot_strbuf_free(body);
        free(*reason);
        *reason = mb_asprintf("too large to draw: %d x %d pixels, more than the %d a side "
                              "that Cairo can make (fewer cells draw it: run --filter)",
                              width, height, MB__PLOT_CAIRO_MAX_PX);
        return 0;
    }
    int rc = 0;
    if (dat_name != NULL)
        rc = mb__plot_write_file(ctx, dat_name, dat->s ? dat->s : "", err);
    if (rc == 0)
        rc = mb__plot_write_script(ctx, name, width, height, body->s ? body->s : "", err);
    mb__plot_strbuf_free(dat);
    mb__plot_strbuf_free(body);
    return rc < 0 ? rc : 1;
}

int mb__plot_skip(char **reason, const char *text)
{
    *reason = mb_strdup(text);
    return 0;
}

/* Cells in the order of the charts: device, variant, batch. */
int mb__plot_cell_order(const void *a, const void *b)
{
    const mb__plot_cell *x = *(const mb__plot_cell *const *)a,
                        *y = *(const mb__plot_cell *const *)b;
    int d = mb__plot_device_rank(x->device) - mb__plot_device_rank(y->device);
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

size_t mb__plot_cells_of_image(const mb__plot_run *run, const char *image,
                               bool (*keep)(const mb__plot_cell *), const mb__plot_cell **out)
{
    size_t n = 0;
    for (size_t i = 0; i < run->n_cells; i++)
        if (keep(&run->cells[i]) && (image == NULL || strcmp(run->cells[i].image, image) == 0))
            out[n++] = &run->cells[i];
    qsort(out, n, sizeof *out, mb__plot_cell_order);
    return n;
}

unsigned mb__plot_hex_colour(const char *hex)
{
    return (unsigned)strtoul(hex + 1, NULL, 16);
}

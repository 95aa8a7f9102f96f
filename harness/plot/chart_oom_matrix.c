/* The OOM matrix: one grid of batch x image size per device and watermark fix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool any_cell(const mb__plot_cell *c)
{
    (void)c;
    return true;
}

static const unsigned colours[] = {0xa1d99b, 0xd62728, 0xfdae6b, 0xe0e0e0, 0xffffff};
static const char *const state_names[] = {"all jobs ok", "out of memory", "other failures",
                                          "skipped (device unusable)", ""};

/* One grid square: the cells of one configuration (device and variant) at
 * one image and batch size; frontier probes of a batch add up. */
static int square(const mb__plot_run *run, const mb__plot_series *s, const char *image, int batch,
                  mb_strbuf *dat, size_t b, size_t i)
{
    int jobs = 0, ooms = 0, failed = 0, cells = 0, skipped = 0;
    for (size_t k = 0; k < run->n_cells; k++) {
        const mb__plot_cell *c = &run->cells[k];
        if (strcmp(c->device, s->device) != 0 || strcmp(c->variant, s->variant) != 0
            || strcmp(c->image, image) != 0 || c->batch != batch)
            continue;
        cells++;
        skipped += c->skipped;
        jobs += c->n_jobs;
        ooms += c->n_oom;
        failed += c->n_failed;
    }
    int state = cells == 0 ? 4 : ooms > 0 ? 1 : failed > 0 ? 2 : skipped == cells ? 3 : 0;
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
    mb_strbuf_printf(dat, "%zu %zu %u \"%s\" %d %s %d %d %d\n", b, i, colours[state], label, batch,
                     image, jobs, ooms, failed);
    return state;
}

static bool any_at(const mb__plot_run *run, const char *image, int batch)
{
    for (size_t k = 0; k < run->n_cells; k++)
        if (strcmp(run->cells[k].image, image) == 0 && run->cells[k].batch == batch)
            return true;
    return false;
}

/* Many configurations: one grid, a row per configuration (labelled on the
 * left) and a column per image and batch size that the run has, so that a
 * dozen configurations read as one table rather than a dozen tiny panels. */
static void matrix_by_config(const mb__plot_run *run, const char *name,
                             const mb__plot_series *configs, size_t nc,
                             const mb__plot_cell **images, size_t ni, const int *batches, size_t nb,
                             bool *seen, mb_strbuf *dat, mb_strbuf *body)
{
    size_t longest = 10, nx = 0;
    for (size_t s = 0; s < nc; s++) {
        size_t len = strlen(configs[s].device) + strlen(configs[s].variant) + 2;
        longest = len > longest ? len : longest;
    }
    mb_strbuf xt = {0}, yt = {0};
    mb_strbuf_printf(dat, "# series: configurations\n");
    for (size_t i = 0; i < ni; i++)
        for (size_t b = 0; b < nb; b++) {
            if (!any_at(run, images[i]->image, batches[b]))
                continue;
            mb_strbuf_printf(&xt, "%s\"%s b%d\" %zu", nx ? ", " : "", images[i]->image, batches[b],
                             nx);
            for (size_t s = 0; s < nc; s++)
                seen[square(run, &configs[s], images[i]->image, batches[b], dat, nx, nc - 1 - s)] =
                    true;
            nx++;
        }
    mb_strbuf_printf(dat, "\n\n");
    for (size_t s = 0; s < nc; s++) {
        char *title = *configs[s].variant
                          ? mb_asprintf("%s, %s", configs[s].device, configs[s].variant)
                          : mb_strdup(configs[s].device);
        char *qt = mb__plot_gp_quote(title);
        mb_strbuf_printf(&yt, "%s%s %zu", s ? ", " : "", qt, nc - 1 - s);
        free(title);
        free(qt);
    }
    mb_strbuf_printf(body,
                     "set lmargin %zu\n"
                     "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n"
                     "set xlabel \"image and batch size\"\nunset ylabel\n"
                     "set xtics (%s) scale 0\nset ytics (%s) scale 0 font \",10\"\n"
                     "plot '%s.dat' index 0 using 1:2:(0.49):(0.49):3 with boxxyerror "
                     "lc rgb variable notitle, \\\n"
                     "     '' index 0 using 1:2:4 with labels font \",10\" notitle\n",
                     longest * 8 / 10 + 3, nx - 1, nc - 1, xt.s, yt.s, name);
    mb__plot_strbuf_free(&xt);
    mb__plot_strbuf_free(&yt);
}

/* Few configurations: a panel each, image size against batch size. */
static void matrix_by_panel(const mb__plot_run *run, const char *name, const mb__plot_layout *l,
                            const mb__plot_series *configs, size_t nc, const mb__plot_cell **images,
                            size_t ni, const int *batches, size_t nb, bool *seen, mb_strbuf *dat,
                            mb_strbuf *body)
{
    mb_strbuf_printf(body,
                     "set xlabel \"batch size\"\nset ylabel \"image size\"\n"
                     "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nset xtics (",
                     nb - 1, ni - 1);
    for (size_t b = 0; b < nb; b++)
        mb_strbuf_printf(body, "%s\"%d\" %zu", b ? ", " : "", batches[b], b);
    mb_strbuf_printf(body, ") scale 0\nset ytics (");
    for (size_t i = 0; i < ni; i++)
        mb_strbuf_printf(body, "%s\"%s\" %zu", i ? ", " : "", images[i]->image, i);
    mb_strbuf_printf(body, ") scale 0\n");
    for (size_t s = 0; s < nc; s++) {
        mb_strbuf_printf(dat, "# series: %s%s%s\n", configs[s].device,
                         *configs[s].variant ? ", " : "", configs[s].variant);
        for (size_t i = 0; i < ni; i++)
            for (size_t b = 0; b < nb; b++)
                seen[square(run, &configs[s], images[i]->image, batches[b], dat, b, i)] = true;
        mb_strbuf_printf(dat, "\n\n");
        mb__plot_layout_panel(body, l, (int)s);
        char *title = *configs[s].variant
                          ? mb_asprintf("%s, %s", configs[s].device, configs[s].variant)
                          : mb_strdup(configs[s].device);
        char *qt = mb__plot_gp_quote(title);
        mb_strbuf_printf(body,
                         "set title %s font \",11\"\n"
                         "plot '%s.dat' index %zu using 1:2:(0.49):(0.49):3 with boxxyerror "
                         "lc rgb variable notitle, \\\n"
                         "     '' index %zu using 1:2:4 with labels font \",10\" notitle\n",
                         qt, name, s, s);
        free(title);
        free(qt);
    }
}

/* The widest and tallest canvas the matrix asks for, in pixels: a quarter
 * of what Cairo can make, and about what a screen can pan across.  A larger
 * matrix is drawn thinned out, and says so. */
#define MATRIX_MAX_PX 8000
/* What the title, the subject and the legend band take of the height. */
#define MATRIX_BANDS_PX 300

/* Keeps keep of the n items (each size bytes), evenly spaced and in order,
 * the first and the last among them: the smallest and the largest sizes,
 * where out-of-memory failures start and where they are surest.  Returns
 * how many are kept. */
static size_t thin(void *items, size_t n, size_t size, size_t keep)
{
    if (keep >= n)
        return n;
    if (keep < 1)
        keep = 1;
    char *base = items;
    for (size_t j = 0; j < keep; j++) {
        size_t from = keep == 1 ? 0 : (j * (n - 1) + (keep - 1) / 2) / (keep - 1);
        memmove(base + j * size, base + from * size, size);
    }
    return keep;
}

/* The matrix's axes: the image sizes, batch sizes and configurations it
 * draws. */
typedef struct matrix_axes {
    const mb__plot_cell **images;
    size_t ni;
    int *batches;
    size_t nb;
    mb__plot_series *configs;
    size_t nc;
} matrix_axes;

static void add_left_out(mb_strbuf *note, const char *what, size_t kept, size_t all)
{
    if (kept < all)
        mb_strbuf_printf(note, "%s%zu of %zu %s", note->len ? ", " : "", kept, all, what);
}

/* Keeps as many rows and columns of each kind as the canvas holds, the
 * rest thinned out evenly.  Returns the note that names what was left out
 * (heap), or NULL when everything fits. */
static char *fit_matrix(matrix_axes *m, bool by_config, size_t longest_title)
{
    size_t ni = m->ni, nb = m->nb, nc = m->nc;
    long height_room = MATRIX_MAX_PX - MATRIX_BANDS_PX;
    if (by_config) {
        /* A row per configuration; a column per image and batch size. */
        long rows = (height_room - 110) / 26;
        long cols = (MATRIX_MAX_PX - 100 - (long)longest_title * 7) / 120;
        size_t max_cols = cols > 1 ? (size_t)cols : 1;
        m->nc = thin(m->configs, m->nc, sizeof *m->configs, rows > 1 ? (size_t)rows : 1);
        m->ni = thin(m->images, m->ni, sizeof *m->images, max_cols);
        m->nb = thin(m->batches, m->nb, sizeof *m->batches, max_cols / m->ni);
    } else {
        /* A panel per configuration, side by side: batch sizes across each
         * panel, image sizes down it. */
        long cols = ((MATRIX_MAX_PX - 20) / (long)m->nc - 170) / 95;
        long rows = (height_room - 120) / 46;
        m->nb = thin(m->batches, m->nb, sizeof *m->batches, cols > 1 ? (size_t)cols : 1);
        m->ni = thin(m->images, m->ni, sizeof *m->images, rows > 1 ? (size_t)rows : 1);
    }
    mb_strbuf note = {0};
    add_left_out(&note, "batch sizes", m->nb, nb);
    add_left_out(&note, "image sizes", m->ni, ni);
    add_left_out(&note, "configurations", m->nc, nc);
    if (note.s == NULL)
        return NULL;
    char *text = mb_asprintf("drawn: %s, evenly spaced, the first and the last among them (the "
                             "whole matrix would be over %d pixels a side; run.json has every "
                             "cell)", note.s, MATRIX_MAX_PX);
    free(note.s);
    return text;
}

/* A panel per configuration (device and variant), so that no square pools
 * configurations: a square says what one configuration did. */
int mb__plot_chart_oom_matrix(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    if (run->n_cells == 0)
        return mb__plot_skip(reason, "the run has no cells");
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    mb__plot_series *configs = mb_calloc(run->n_cells + 1, sizeof *configs);
    matrix_axes m = {images, mb__plot_image_sizes(run, any_cell, images), batches,
                     mb__plot_batch_sizes(run, any_cell, batches), configs,
                     mb__plot_series_of(run, any_cell, configs)};
    size_t longest_title = 10;
    for (size_t s = 0; s < m.nc; s++) {
        size_t len = strlen(configs[s].device) + strlen(configs[s].variant) + 2;
        longest_title = len > longest_title ? len : longest_title;
    }
    bool by_config = m.nc > 4;
    *reason = fit_matrix(&m, by_config, longest_title);
    size_t ni = m.ni, nb = m.nb, nc = m.nc;
    mb_strbuf dat = {0}, body = {0};
    mb_strbuf_printf(&dat, "# OOM matrix: one row per grid square (one configuration: device "
                           "and the other axes, at one image and batch size)\n"
                           "# columns: batch_index image_index colour(0xRRGGBB) \"label\" "
                           "batch image measured_jobs oom_jobs failed_jobs\n");
    size_t n_pairs = 0;
    for (size_t i = 0; i < ni; i++)
        for (size_t b = 0; b < nb; b++)
            n_pairs += any_at(run, images[i]->image, batches[b]);
    int panel_h = by_config ? 110 + 26 * (int)nc : 120 + 46 * (int)ni;
    int panel_w = by_config ? (int)longest_title * 7 + 60 + 120 * (int)n_pairs : 170 + 95 * (int)nb;
    /* The panel's title (font ",11") must fit its width. */
    if (!by_config && panel_w < (int)longest_title * 8 + 30)
        panel_w = (int)longest_title * 8 + 30;
    int max_cols = nc > 4 ? 4 : (int)nc;
    char *title = mb_asprintf("Out-of-memory matrix: each square gives the measured jobs of one "
                              "configuration at one image and batch size that ran out of memory, "
                              "failed or passed%s%s", *reason ? "; " : "",
                              *reason ? *reason : "");
    mb__plot_layout l = mb__plot_layout_make(ctx, title, by_config ? 1 : nc, max_cols, panel_w,
                                             panel_h, 4, 26);
    free(title);
    mb__plot_layout_begin(&body, &l);
    bool seen[5] = {true, true, false, false, false};
    mb_strbuf_printf(&body, "unset grid\nset style fill solid 1.0 border lc rgb \"white\"\n");
    if (by_config) {
        mb__plot_layout_panel(&body, &l, 0);
        matrix_by_config(run, name, configs, nc, images, ni, batches, nb, seen, &dat, &body);
    } else {
        matrix_by_panel(run, name, &l, configs, nc, images, ni, batches, nb, seen, &dat, &body);
    }
    mb_strbuf legend = {0};
    for (int s = 0; s < 4; s++)
        if (seen[s])
            mb_strbuf_printf(&legend, ", NaN with boxes lc rgb \"#%06x\" title \"%s\"", colours[s],
                             state_names[s]);
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    int rc = mb__plot_finish(ctx, name, reason, "oom-matrix.dat", &dat, &body, l.width,
                             l.height, err);
    free(images);
    free(batches);
    free(configs);
    return rc;
}

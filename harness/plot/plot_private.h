/* Internals shared by the plot module's files: the run model the charts
 * read (plot_data.c), the gnuplot script writer and runner (gnuplot.c), the
 * layout every chart shares (layout.c) and the chart builders (one file per
 * chart, chart_NAME.c).  Every internal name, type or function, starts with
 * mb__plot_ (MB__PLOT_ for macros). */
#ifndef MB_PLOT_PRIVATE_H
#define MB_PLOT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "mb_error.h"
#include "mb_util.h"
#include "plot.h"

/* Frees a string buffer's text and empties it, so that it can be reused. */
static inline void mb__plot_strbuf_free(mb_strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Appended to "fix on"/"fix off" on a device other than MPS. */
#define MB__PLOT_FIX_NO_EFFECT " (no effect: MPS only)"

typedef struct mb__plot_kv {
    char *key, *value;
} mb__plot_kv;

/* Pipeline stages in the order a job runs them, and the rest of its
 * latency (queueing, result transport) as a fifth part. */
enum {
    MB__PLOT_DECODE,
    MB__PLOT_PREPROCESS,
    MB__PLOT_TRANSFER,
    MB__PLOT_FORWARD,
    MB__PLOT_OTHER,
    MB__PLOT_N_STAGES
};

/* One scenario cell as the charts need it. */
typedef struct mb__plot_cell {
    char *name;         /* the benchmark name, the key across runs */
    char *scenario;
    char *device;       /* cuda | mps | cpu | ... */
    bool fix;           /* watermark fix on */
    int batch;
    char image[32];     /* "1024x768" */
    long pixels;        /* width * height, to order image sizes */
    char *variant;      /* the other axes that vary in the run, "" when none */
    char *label;        /* short, for tick labels: "cpu 224x224 b8 fix off" */
    bool skipped;       /* never measured (device unusable, ...) */
    char *reason;       /* the verdict's reason or the skip reason, or NULL */
    int n_jobs, n_ok, n_oom, n_failed;  /* measured jobs (no warm-up) */
    double *ips;        /* images/s per repetition */
    size_t n_ips;
    double ips_median;  /* NaN when there is no successful repetition */
    double memory_limit;    /* bytes, 0 when none */
    double peak_memory;     /* device memory for GPU cells, RSS for CPU; NaN none */
    bool has_stages;
    double stage_ms[MB__PLOT_N_STAGES];   /* mean per successful measured job */
    double *latency_ms;     /* every successful measured job */
    size_t n_latency;
    double expect_regression;   /* the scenario's threshold, 0.05 if unknown */
    mb__plot_kv *env;         /* the worker environment the cell set */
    size_t n_env;
    mb__plot_kv *axes;        /* the matrix axes, as strings */
    size_t n_axes;
} mb__plot_cell;

typedef struct mb__plot_run {
    char *dir;          /* the folder of the file read */
    char *source;       /* the file read */
    bool has_jobs;      /* from run.json: per-job records exist */
    char *machine;      /* "Linux x86_64, 2 CPUs", or NULL */
    char *torch_version;
    char *hardware;     /* "NVIDIA H200 + AMD EPYC", from the workers, or NULL */
    char *model;        /* "resnet50", or NULL */
    int job_images_min, job_images_max;     /* images per job; 0 unknown */
    mb__plot_cell *cells;
    size_t n_cells;
} mb__plot_run;

/* Reads run.json or a results.json (path of either file, or a folder
 * holding them; run.json wins).  MB_EIO when neither can be read. */
int mb__plot_load(const char *path, mb__plot_run *run, mb_err *err);
/* Reads a Google Benchmark results.json only (for baselines). */
int mb__plot_load_results(const char *path, mb__plot_run *run, mb_err *err);
void mb__plot_run_free(mb__plot_run *run);
const char *mb__plot_cell_env(const mb__plot_cell *c, const char *name);
bool mb__plot_is_gpu(const char *device);

/* Everything a chart builder needs. */
typedef struct mb__plot_ctx {
    const mb__plot_run *run;
    const mb__plot_run *baseline;     /* NULL when none was given */
    const char *baseline_path;
    const char *out_dir;
    unsigned formats;
} mb__plot_ctx;

/* A chart builder writes NAME.gp and its data files and returns 1 (with
 * *reason set, heap, to a note when the chart leaves part of the data out),
 * or returns 0 with *reason set (heap) when the data cannot support the
 * chart, or a negative MB_E* code on an I/O failure. */
typedef int (*mb__plot_chart_fn)(const mb__plot_ctx *ctx, const char *name, char **reason,
                                 mb_err *err);

typedef struct mb__plot_chart_kind {
    const char *name;
    const char *title;
    mb__plot_chart_fn build;
} mb__plot_chart_kind;

extern const mb__plot_chart_kind mb__plot_kinds[];
extern const size_t mb__plot_n_kinds;

/* Writes ctx->out_dir/NAME.gp: a header that loops over the formats (so
 * `gnuplot NAME.gp` redraws them all) around body, which draws one chart at
 * width x height pixels. */
int mb__plot_write_script(const mb__plot_ctx *ctx, const char *name, int width, int height,
                          const char *body, mb_err *err);
/* Writes a file into the charts folder. */
int mb__plot_write_file(const mb__plot_ctx *ctx, const char *file, const char *text, mb_err *err);

/* Where gnuplot is: the resolved path, or NULL with err set (MB_EGNUPLOT). */
char *mb__plot_find_gnuplot(const char *configured, mb_err *err);
/* Runs `gnuplot -e "cd DIR" NAME.gp` and checks every requested output.
 * MB_EGNUPLOT with gnuplot's own last message on a failure. */
int mb__plot_run_gnuplot(const char *gnuplot, const char *dir, const char *name,
                         unsigned formats, int timeout_ms, mb_err *err);

/* s as a gnuplot double-quoted string, in a heap copy the caller frees. */
char *mb__plot_gp_quote(const char *s);
/* The fixed colour of a device, "#rrggbb". */
const char *mb__plot_device_color(const char *device);

/* ---- layout.c: what the chart builders share ---- */

#define MB__PLOT_OOM_RED "#d62728"

/* One line of a chart: a device and a variant (the other axes). */
typedef struct mb__plot_series {
    const char *device;
    const char *variant;
    int style;      /* index of the variant among the run's: colour and point type */
    int n_styles;   /* variants in the chart; 1: the device's colour */
    bool split;     /* several devices and variants: one panel per device */
} mb__plot_series;

/* One panel of a chart drawn per image size (device NULL), or per device
 * and image size. */
typedef struct mb__plot_panel {
    const char *device;
    size_t image;   /* index into the chart's image sizes */
} mb__plot_panel;

/* Panels placed by hand: a title band on top, the panels in a grid, and
 * one legend for all of them in a band at the bottom, so that no legend
 * covers data or squeezes one panel smaller than its neighbours. */
typedef struct mb__plot_layout {
    int rows, cols, width, height, legend_rows;
    double top, legend; /* heights of the bands, fractions of the canvas */
    char *title;        /* quoted, wrapped title and subject; layout_begin frees it */
} mb__plot_layout;

bool mb__plot_measured(const mb__plot_cell *c);
bool mb__plot_has_ips(const mb__plot_cell *c);
/* The distinct image sizes (smallest first) and batch sizes (ascending) of
 * the cells that pass keep (NULL: every cell); out holds n_cells entries. */
size_t mb__plot_image_sizes(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                            const mb__plot_cell **out);
size_t mb__plot_batch_sizes(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *), int *out);
/* GPUs first (the subject of the charts), the CPU last: 0 cuda, 1 mps, 2 other, 3 cpu. */
int mb__plot_device_rank(const char *d);
size_t mb__plot_series_of(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                          mb__plot_series *out);
const mb__plot_cell *mb__plot_find_cell(const mb__plot_run *run, const char *device,
                                        const char *variant, const char *image, int batch);
char *mb__plot_series_title(const mb__plot_series *s);
const char *mb__plot_series_color(const mb__plot_series *s);
void mb__plot_series_style(mb_strbuf *b, const mb__plot_series *s);
size_t mb__plot_panels_of(const mb__plot_series *series, size_t ns, size_t n_images,
                          mb__plot_panel *out);
/* What a chart of small multiples draws from: the image sizes, batch sizes
 * and series of the cells that pass keep, and its panels (per image size,
 * or per device and image size).  mb__plot_grid_free frees the arrays. */
typedef struct mb__plot_grid {
    const mb__plot_cell **images;
    size_t ni;
    int *batches;
    size_t nb;
    mb__plot_series *series;
    size_t ns;
    mb__plot_panel *panels;
    size_t np;
} mb__plot_grid;
void mb__plot_grid_of(const mb__plot_run *run, bool (*keep)(const mb__plot_cell *),
                      mb__plot_grid *g);
void mb__plot_grid_free(mb__plot_grid *g);
/* Opens series s's block of the data file, at image size image. */
void mb__plot_series_block(mb_strbuf *dat, const mb__plot_series *s, const char *image);
/* Closes the block and adds its line to plot: "'NAME.dat' index I using
 * USING" (I is *index, then incremented), the series' style and title. */
void mb__plot_series_line(mb_strbuf *dat, mb_strbuf *plot, const char *name, int *index,
                          const char *using, const mb__plot_series *s);
/* For the charts with a row per cell in a panel per image size: the most
 * cells (passing keep) that one of the ni image sizes holds, at least 1,
 * and the longest label of them, at least *longest on entry. */
void mb__plot_rows_extent(const mb__plot_run *run, const mb__plot_cell *const *images, size_t ni,
                          bool (*keep)(const mb__plot_cell *),
                          char *(*label)(const mb__plot_cell *), size_t *widest,
                          size_t *longest);
/* Adds series s as the label of row row (at y = -row) to a ytics list. */
void mb__plot_row_label(mb_strbuf *ytics, const mb__plot_series *s, int row);
/* "set title" of a panel: its device (when the chart is split by device)
 * and image size. */
void mb__plot_panel_title(mb_strbuf *b, const mb__plot_panel *panel, const char *image);
/* The charts of one measure against the batch size (throughput, memory):
 * with one batch size, rows (a row per series, labelled on the left, the
 * measure along x); else a line per series in panels of three columns.
 * key_entries and key_chars size the legend band (mb__plot_layout_make). */
mb__plot_layout mb__plot_layout_measure(const mb__plot_ctx *ctx, const char *title,
                                        const mb__plot_grid *g, bool rows, size_t longest,
                                        size_t key_entries, size_t key_chars);
/* Their axes: measure ("peak memory (MiB)") along x in rows, along y
 * against the batch axis otherwise. */
void mb__plot_measure_axes(mb_strbuf *b, const mb__plot_grid *g, bool rows, const char *measure,
                           size_t longest);
/* "GPU + CPU model · model NAME · N images per job · libtorch V": what
 * every chart names under its title.  Heap. */
char *mb__plot_subject(const mb__plot_run *run);
/* title and subject wrapped to fit width pixels, as a gnuplot string with
 * \n escapes; *n_lines (may be NULL) gets the number of lines.  Heap. */
char *mb__plot_title_text(const mb__plot_run *run, const char *title, int width, int *n_lines);
/* "set title ..." of a chart with one plot. */
void mb__plot_single_title(mb_strbuf *b, const mb__plot_ctx *ctx, const char *title, int width);
bool mb__plot_spans_decade(double lo, double hi);
void mb__plot_batch_axis(mb_strbuf *b, const int *batches, size_t nb);
void mb__plot_y_axis(mb_strbuf *b, double lo, double hi, bool zero_based);
void mb__plot_panel_y_axis(mb_strbuf *b, bool log_scale, double lo, double hi);
size_t mb__plot_legend_series(mb_strbuf *leg, const mb__plot_series *series, size_t ns);
/* title: what the chart shows and what its marks mean; the subject line
 * is added under it. */
mb__plot_layout mb__plot_layout_make(const mb__plot_ctx *ctx, const char *title, size_t n_panels,
                                     int max_cols, int panel_w, int panel_h, size_t n_legend,
                                     size_t legend_chars);
void mb__plot_layout_begin(mb_strbuf *b, mb__plot_layout *l);
void mb__plot_layout_panel(mb_strbuf *b, const mb__plot_layout *l, int index);
void mb__plot_layout_legend(mb_strbuf *b, const mb__plot_layout *l, const char *entries);
/* Cairo makes no image wider or taller than this many pixels: gnuplot's
 * pngcairo then fails with "Cairo is unhappy". */
#define MB__PLOT_CAIRO_MAX_PX 32767
/* Writes the data file (when dat_name is given) and NAME.gp, frees dat and
 * body, and returns 1 (drawn) or a negative MB_E* code.  A canvas larger
 * than Cairo can make is not drawn: 0, with *reason saying so. */
int mb__plot_finish(const mb__plot_ctx *ctx, const char *name, char **reason,
                    const char *dat_name, mb_strbuf *dat, mb_strbuf *body, int width, int height,
                    mb_err *err);
/* Sets *reason to a heap copy of text and returns 0 (not drawn). */
int mb__plot_skip(char **reason, const char *text);
/* qsort order of cell pointers: device, image size, variant, batch. */
int mb__plot_cell_order(const void *a, const void *b);
size_t mb__plot_cells_of_image(const mb__plot_run *run, const char *image,
                               bool (*keep)(const mb__plot_cell *), const mb__plot_cell **out);
unsigned mb__plot_hex_colour(const char *hex);

/* The chart builders, one file each (chart_NAME.c). */
int mb__plot_chart_throughput(const mb__plot_ctx *ctx, const char *name, char **reason,
                              mb_err *err);
int mb__plot_chart_speedup(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err);
int mb__plot_chart_memory(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err);
int mb__plot_chart_oom_matrix(const mb__plot_ctx *ctx, const char *name, char **reason,
                              mb_err *err);
int mb__plot_chart_baseline(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err);
int mb__plot_chart_stages(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err);
int mb__plot_chart_latency(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err);
int mb__plot_chart_seed_options(const mb__plot_ctx *ctx, const char *name, char **reason,
                                mb_err *err);

#endif

/* Internals shared by the plot module's files: the run model the charts
 * read (plot_data.c), the gnuplot script writer and runner (gnuplot.c) and
 * the chart builders (charts.c).  Names are mb__plot_ / pl_ internal. */
#ifndef MB_PLOT_PRIVATE_H
#define MB_PLOT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"
#include "plot.h"

/* A growing heap string. */
typedef struct pl_buf {
    char *s;
    size_t len, cap;
} pl_buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void mb__plot_buf_printf(pl_buf *b, const char *fmt, ...);
void mb__plot_buf_free(pl_buf *b);

typedef struct pl_kv {
    char *key, *value;
} pl_kv;

/* Pipeline stages in the order a job runs them, and the rest of its
 * latency (queueing, result transport) as a fifth part. */
enum { PL_DECODE, PL_PREPROCESS, PL_TRANSFER, PL_FORWARD, PL_OTHER, PL_N_STAGES };

/* One scenario cell as the charts need it. */
typedef struct pl_cell {
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
    double stage_ms[PL_N_STAGES];   /* mean per successful measured job */
    double *latency_ms;     /* every successful measured job */
    size_t n_latency;
    double expect_regression;   /* the scenario's threshold, 0.05 if unknown */
    pl_kv *env;         /* the worker environment the cell set */
    size_t n_env;
    pl_kv *axes;        /* the matrix axes, as strings */
    size_t n_axes;
} pl_cell;

typedef struct pl_run {
    char *dir;          /* the folder of the file read */
    char *source;       /* the file read */
    bool has_jobs;      /* from run.json: per-job records exist */
    char *machine;      /* "Linux x86_64, 2 CPUs", or NULL */
    char *torch_version;
    pl_cell *cells;
    size_t n_cells;
} pl_run;

/* Reads run.json or a results.json (path of either file, or a folder
 * holding them; run.json wins).  MB_EIO when neither can be read. */
int mb__plot_load(const char *path, pl_run *run, mb_err *err);
/* Reads a Google Benchmark results.json only (for baselines). */
int mb__plot_load_results(const char *path, pl_run *run, mb_err *err);
void mb__plot_run_free(pl_run *run);
const char *mb__plot_cell_env(const pl_cell *c, const char *name);
bool mb__plot_is_gpu(const char *device);

/* Everything a chart builder needs. */
typedef struct pl_ctx {
    const pl_run *run;
    const pl_run *baseline;     /* NULL when none was given */
    const char *baseline_path;
    const char *out_dir;
    unsigned formats;
} pl_ctx;

/* A chart builder writes NAME.gp and its data files and returns 1, or
 * returns 0 with *reason set (heap) when the data cannot support the chart,
 * or a negative MB_E* code on an I/O failure. */
typedef int (*pl_chart_fn)(const pl_ctx *ctx, const char *name, char **reason, mb_err *err);

typedef struct pl_chart_kind {
    const char *name;
    const char *title;
    pl_chart_fn build;
} pl_chart_kind;

extern const pl_chart_kind mb__plot_kinds[];
extern const size_t mb__plot_n_kinds;

/* Writes ctx->out_dir/NAME.gp: a header that loops over the formats (so
 * `gnuplot NAME.gp` redraws them all) around body, which draws one chart at
 * width x height pixels. */
int mb__plot_write_script(const pl_ctx *ctx, const char *name, int width, int height,
                          const char *body, mb_err *err);
/* Writes a file into the charts folder. */
int mb__plot_write_file(const pl_ctx *ctx, const char *file, const char *text, mb_err *err);

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

#endif

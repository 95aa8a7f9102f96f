/* Charts of a run directory, drawn by gnuplot.
 *
 * mb_plot_run_dir reads a run's run.json (every job's record; the primary
 * source) or, when only a Google Benchmark results.json is at hand, that
 * file, and writes into the charts folder, for every chart the data
 * supports: NAME.gp (a gnuplot script using paths relative to that folder),
 * NAME*.dat (its data), NAME.svg and NAME.png.  A user can edit NAME.gp and
 * re-plot with `gnuplot NAME.gp` in that folder, or pick one format with
 * `gnuplot -e "fmt='png'" NAME.gp`.  It also writes index.md (every chart,
 * and every skipped chart with its reason) and seed-options.md (the seed's
 * option comparison as a Markdown table) when that comparison is possible.
 *
 * gnuplot runs as a child process (posix_spawn with an argv, no shell):
 * $MPSBENCH_GNUPLOT when set, otherwise `gnuplot` from PATH.  When it is
 * missing nothing is written and the call fails with MB_EGNUPLOT (exit 3);
 * nothing outside the charts folder is ever touched. */
#ifndef MB_PLOT_H
#define MB_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

/* Output formats, a bit set; 0 in mb_plot_options means both. */
enum { MB_PLOT_SVG = 1, MB_PLOT_PNG = 2 };

typedef struct mb_plot_options {
    const char *out_dir;    /* NULL: RUN_DIR/charts */
    unsigned formats;       /* MB_PLOT_SVG | MB_PLOT_PNG; 0: both */
    const char *baseline;   /* a baseline results.json, or NULL for none */
    const char *gnuplot;    /* NULL: $MPSBENCH_GNUPLOT, else gnuplot in PATH */
    int timeout_ms;         /* per gnuplot call; 0: 60 s */
} mb_plot_options;

/* One chart: made, or skipped with the reason. */
typedef struct mb_plot_chart {
    char *name;     /* file stem, e.g. "throughput" */
    char *title;    /* what it shows, one line */
    bool made;      /* true: NAME.svg/.png exist (those of the formats asked) */
    char *reason;   /* why it was skipped or failed; NULL when made */
    char *note;     /* made: what it left out (also in its title), or NULL */
} mb_plot_chart;

typedef struct mb_plot_report {
    char *out_dir;          /* the charts folder that was written */
    mb_plot_chart *charts;  /* every chart kind, in a fixed order */
    size_t n_charts;
    size_t n_made;
    const char *none_drawn; /* why no chart was drawn when the run has nothing
                             * to draw (no cell measured), else NULL */
} mb_plot_report;

/* Draws every chart that the run's data supports.  run_dir is a run
 * directory or the path of its run.json or results.json.  opt may be NULL.
 * report may be NULL; when given, it is filled (also on failure, as far as
 * the work went) and must be freed with mb_plot_report_free.
 * A run in which no cell was measured (it stopped before its first job, or
 * every cell was skipped) gets no chart: none_drawn says why, index.md too.
 * Returns 0 when every possible chart was drawn (skips are not failures),
 * MB_EGNUPLOT when gnuplot is missing or failed on a chart (the others are
 * still drawn), MB_EIO when the input cannot be read or the folder written,
 * MB_EBASELINE for an unreadable baseline file. */
int mb_plot_run_dir(const char *run_dir, const mb_plot_options *opt, mb_plot_report *report,
                    mb_err *err);

/* Frees what mb_plot_run_dir put in report; accepts NULL and a zeroed report. */
void mb_plot_report_free(mb_plot_report *report);

#endif

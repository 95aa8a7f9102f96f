/* What a run directory holds besides Google Benchmark's results.json,
 * rendered from run.json (run_file.h): junit.xml and the exports for
 * tracking tools.  `mpsbench run` and `mpsbench report` both call
 * mb_report_render_dir, so a run directory's files can always be rendered
 * again without running anything. */
#ifndef MB_EXPORTS_H
#define MB_EXPORTS_H

#include "mb_error.h"
#include "run_file.h"

typedef enum {
    MB_EXPORT_BMF = 0,      /* Bencher Metric Format: bencher.json */
    MB_EXPORT_GAB,          /* github-action-benchmark customBiggerIsBetter: gab.json */
    MB_EXPORT_GAB_SMALLER,  /* github-action-benchmark customSmallerIsBetter: gab-smaller.json */
    MB_EXPORT_CSV,          /* one row per cell: results.csv */
    MB_EXPORT_COUNT
} mb_export_format;

/* "bmf", "gab", "gab-smaller", "csv"; MB_EUSAGE for anything else. */
int mb_export_format_parse(const char *name, mb_export_format *out, mb_err *err);
/* The file name in a run directory ("bencher.json", ...). */
const char *mb_export_file_name(mb_export_format format);
/* The export as text (heap). */
char *mb_export_render(const mb_run_file *f, mb_export_format format);
/* junit.xml as text (heap): three cases per cell (oom, crash, regression),
 * valid against Jenkins' junit-10.xsd. */
char *mb_junit_render(const mb_run_file *f);
/* Reads RUN_DIR/run.json and writes junit.xml, every export and
 * report.html (html_report.h; charts as RUN_DIR/charts holds them) there,
 * each atomically.  Errors as mb_run_file_load, or MB_EIO for a write. */
int mb_report_render_dir(const char *run_dir, mb_err *err);

#endif

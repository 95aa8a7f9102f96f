/* report.html: one self-contained page per run directory, for a person to
 * open or a design-doc author to attach.  It holds the machine, model and
 * torch version, every chart of RUN_DIR/charts inline as SVG (those listed
 * under "Not drawn" with their reason), the summary table, the comparison
 * table (a baseline or an A/B run), the paired contrasts and the seed's
 * option table when the run has them.  Every text taken from the run is
 * HTML-escaped; the page loads nothing from anywhere. */
#ifndef MB_HTML_REPORT_H
#define MB_HTML_REPORT_H

#include "mb_error.h"
#include "run_file.h"

/* The page as text (heap).  run_dir is where charts/ and run.json are;
 * f is its run.json, already read. */
char *mb_report_html_render(const char *run_dir, const mb_run_file *f);

/* Renders the page and writes RUN_DIR/report.html atomically.  MB_EIO when
 * it cannot be written. */
int mb_report_html_write(const char *run_dir, const mb_run_file *f, mb_err *err);

#endif

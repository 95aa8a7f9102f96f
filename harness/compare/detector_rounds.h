/* The raw measurements of mpsbench-bench-detector, saved as soon as they
 * are taken and read back by --replay, so that the analysis (thousands of
 * resampled verdicts, minutes of one CPU) can run on another machine than
 * the measurement: a lent machine's time goes to measuring only.
 *
 * The file is one JSON object: "meta" (whatever the caller stores: the
 * machine block, the configuration, the measuring time) and "rounds", an
 * array of arrays of `width` numbers each. */
#ifndef MB_DETECTOR_ROUNDS_H
#define MB_DETECTOR_ROUNDS_H

#include <jansson.h>
#include <stddef.h>

#include "mb_error.h"

/* Writes meta (borrowed) and n_rows rows of width numbers from rows. */
int mb_det_rounds_save(const char *path, json_t *meta, const double *rows, size_t n_rows,
                       size_t width, mb_err *err);
/* Reads a file mb_det_rounds_save wrote: *meta (a new reference) and
 * *rows (malloc'd, *n_rows rows of width numbers).  A row of another width
 * or a value that is not a number is an error naming the row. */
int mb_det_rounds_load(const char *path, json_t **meta, double **rows, size_t *n_rows,
                       size_t width, mb_err *err);

#endif

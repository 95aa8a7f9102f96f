/* What compare.c and baseline.c share: a Google Benchmark JSON file loaded
 * and checked once, reduced to what the rule and the machine key need. */
#ifndef MB_COMPARE_PRIVATE_H
#define MB_COMPARE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

/* One cell of a results file: its successful repetitions' throughputs and
 * what went wrong with the others. */
typedef struct mb__gb_cell {
    char *name;             /* without "/iterations:..." */
    char *device;           /* the name's "device:" part, or NULL */
    double *ips;            /* images_per_second of each successful repetition */
    size_t n_ips;
    size_t n_failed;        /* failed repetitions: rows with error_occurred (older
                             * files), or from the run.json beside the file */
    char *first_error;      /* the first of their messages, or NULL */
    size_t n_no_counter;    /* successful rows without images_per_second */
} mb__gb_cell;

typedef struct mb__gb_file {
    char *path;             /* the file read (a directory resolved to its results.json) */
    char *text;             /* its bytes, NUL-terminated */
    size_t len;
    char *torch_version;    /* from context.mpsbench_devices, or NULL */
    char *os;               /* context.os, or NULL */
    long num_cpus;          /* context.num_cpus, or 0 */
    void *devices;          /* json_t *: the probe's "devices" object, or NULL */
    void *probe;            /* json_t *: the parsed probe that owns it */
    mb__gb_cell *cells;     /* in order of first appearance */
    size_t n_cells;
} mb__gb_file;

/* A run directory means its results.json; anything else is taken as a file.
 * Returns a heap string. */
char *mb__results_path(const char *path);

/* Loads and checks path.  Any fault (unreadable, not JSON, not Google
 * Benchmark's shape, a counter that is not a number, a probe that is not
 * JSON) fails with err_code and a message that starts with the path.  On
 * failure *out is left cleared. */
int mb__gb_load(const char *path, int err_code, mb__gb_file *out, mb_err *err);
void mb__gb_clear(mb__gb_file *f);
const mb__gb_cell *mb__gb_find(const mb__gb_file *f, const char *name);

/* The runs a stored baseline holds: `mpsbench baseline update` keeps the
 * file a valid results.json of its latest run and adds
 *   "mpsbench_history": {"format": 1, "runs": [
 *       {"added": ISO time, "source": path, "context": {...},
 *        "benchmarks": [...]}, ...]}
 * oldest run first, the latest last.  A file without it is a plain results
 * file: is_history false and no runs. */
typedef struct mb__gb_history {
    bool is_history;
    mb__gb_file *runs;      /* each with its path, context and cells */
    size_t n_runs;
} mb__gb_history;

/* Reads the history of an already loaded file f.  A history that is present
 * but malformed fails with err_code and a message naming f and the run. */
int mb__gb_load_history(const mb__gb_file *f, int err_code, mb__gb_history *out, mb_err *err);
void mb__gb_history_clear(mb__gb_history *h);

/* The probe's description of a device ("AMD EPYC, 2 CPUs" for the CPU, the
 * GPU's name otherwise), heap string; NULL when the file does not say. */
char *mb__gb_device_description(const mb__gb_file *f, const char *device);

#endif

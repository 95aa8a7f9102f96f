/* Baselines: runs promoted to results/baselines/<key>.json, where the
 * machine key says which machine, devices and torch version the numbers
 * belong to, so that `mpsbench compare` and `run --baseline` pick numbers
 * measured under the same conditions.  A baseline holds the last K runs
 * (mpsbench_history, results/results_file.h) so that a comparison knows the noise
 * between runs, not only within one; the file is also the latest run's
 * results.json, readable by anything that reads one. */
#ifndef MB_BASELINE_H
#define MB_BASELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"

#define MB_BASELINE_DEFAULT_DIR "results/baselines"
#define MB_BASELINE_KEY_MAX 200
#define MB_BASELINE_DEFAULT_KEEP 10

typedef struct mb_baseline_options {
    const char *dir;    /* NULL = MB_BASELINE_DEFAULT_DIR (relative to the cwd) */
    const char *key;    /* NULL = the run's machine key */
    bool force;         /* replace an existing baseline that is corrupt, and
                           promote a run whose run.json says it is incomplete */
    size_t keep;        /* runs kept, the newest; 0 = MB_BASELINE_DEFAULT_KEEP */
} mb_baseline_options;

/* The machine key from its parts, e.g. "cpu-amd-epyc-2c_linux_torch-1.13.0":
 * one "<device>-<description>" part per device (a CPU's core count appended
 * as "-<n>c" when cpus > 0), then the OS, then "torch-<version>", each
 * slugified (lower case; letters, digits and dots kept; every other run of
 * characters becomes one '-').  descriptions[i] may be NULL.  Heap string,
 * at most MB_BASELINE_KEY_MAX characters. */
char *mb_baseline_key_from(const char *const *devices, const char *const *descriptions,
                           size_t n, long cpus, const char *os, const char *torch);

/* The machine key of a results file (or run directory): its usable devices
 * from context.mpsbench_devices (cuda, mps, cpu first, in that order), the
 * context's os and num_cpus and the probe's torch version.  *key is a heap
 * string.  MB_EINVAL, naming the file, when it is unreadable or corrupt or
 * carries no device probe. */
int mb_baseline_machine_key(const char *results, char **key, mb_err *err);

/* True when key is usable as a file name: 1 to MB_BASELINE_KEY_MAX of
 * [A-Za-z0-9._+-], not starting with a dot. */
bool mb_baseline_key_valid(const char *key);

/* Adds a run (its directory or its results.json) to <dir>/<key>.json as its
 * newest run, dropping the oldest beyond opt->keep.  A baseline of the old
 * format (a plain results.json) counts as a history of its one run and is
 * converted.  The run's results must load cleanly and hold at least one
 * successful repetition (else MB_EINVAL, nothing written).  An existing
 * baseline that does not load is MB_EBASELINE and stays untouched unless
 * opt->force, which starts a new history with this run.  The
 * new file is staged beside the old one with mb_write_file_atomic and then
 * renamed over it, so a crash at any point leaves either the old baseline or
 * the new one, both complete.  *path_out (may be NULL) receives the written
 * path (heap). */
int mb_baseline_update(const char *run, const mb_baseline_options *opt, char **path_out,
                       mb_err *err);

#endif

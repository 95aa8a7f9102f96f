/* Which cells a run runs, and how: the stable benchmark name of each cell,
 * the frontier search's one cell per combination, --filter, the
 * command-line overrides of the run: settings, and `run --list`. */
#ifndef MB_CELL_SELECT_H
#define MB_CELL_SELECT_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "run.h"
#include "scenario.h"

/* "<scenario>/<cell name>", or ".../batch:frontier" for a frontier search.
 * It names the cell in results.json and every history, so it carries the
 * axes only: never jobs, repetitions or warm-up.  Heap string. */
char *mb_cell_bench_name(const mb_scenario *s, const mb_cell *cell, bool frontier);

/* A frontier search replaces the batch axis: one search per combination of
 * the other axes, run by the cell with the axis's first value; true for
 * the others. */
bool mb_cell_frontier_twin(const mb_scenario *s, const mb_cell *cell);

/* Applies --jobs, --warmup-jobs and --repetitions to every cell. */
void mb_cells_apply_overrides(const mb_run_overrides *o, mb_cell *cells, size_t n);

/* The compiled --filter expressions; no expression matches everything. */
typedef struct mb_cell_filter {
    regex_t *re;
    size_t n;
} mb_cell_filter;

/* MB_EUSAGE naming the option and the expression when one does not compile. */
int mb_cell_filter_init(mb_cell_filter *f, const char *const *patterns, size_t n, mb_err *err);
bool mb_cell_filter_match(const mb_cell_filter *f, const char *bench_name);
void mb_cell_filter_free(mb_cell_filter *f);
/* How many of a scenario's expanded cells the run keeps: the frontier's
 * one cell per combination, the ones the filter matches.  run.max_cells
 * bounds this count, so a filter can bring a wide matrix under it. */
size_t mb_cells_selected(const mb_scenario *s, const mb_cell *cells, size_t n,
                         const mb_cell_filter *f);
/* The error for a filter that left no cell (MB_EUSAGE). */
int mb_cell_filter_none(const mb_run_config *cfg, size_t n_cells, mb_err *err);

/* `run --list`: expands the loaded scenarios with the overrides and the
 * filter and prints one line per cell on out, starting nothing. */
int mb_run_list(const mb_run_config *cfg, mb_scenario **scenarios, FILE *out, mb_err *err);

/* Before anything starts: a filter that matches no cell is MB_EUSAGE.  A
 * device:auto cell is named after the device probe, so with one the check
 * waits for the cells themselves. */
int mb_run_check_filter(const mb_run_config *cfg, mb_scenario **scenarios, mb_err *err);

#endif

/* Cell selection (cell_select.h). */
#include "cell_select.h"

#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

char *mb_cell_bench_name(const mb_scenario *s, const mb_cell *cell, bool frontier)
{
    if (!frontier)
        return mb_asprintf("%s/%s", s->name, cell->name);
    const char *batch = strstr(cell->name, "/batch:");
    int len = batch ? (int)(batch - cell->name) : (int)strlen(cell->name);
    return mb_asprintf("%s/%.*s/batch:frontier", s->name, len, cell->name);
}

bool mb_cell_frontier_twin(const mb_scenario *s, const mb_cell *cell)
{
    const mb_axis *batch_axis = mb_scenario_axis(s, "batch_size");
    if (!s->search.batch_frontier || batch_axis == NULL)
        return false;
    const char *value = cell->values[batch_axis - s->axes];
    return value != NULL && strcmp(value, batch_axis->values[0]) != 0;
}

void mb_cells_apply_overrides(const mb_run_overrides *o, mb_cell *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mb_run_opts *run = &cells[i].run;
        if (o->jobs_set)
            run->jobs = o->jobs;
        if (o->warmup_jobs_set)
            run->warmup_jobs = o->warmup_jobs;
        if (o->repetitions_set) {
            /* A count asked for on the command line is the count run:
             * adaptive stopping would make it a maximum instead. */
            run->repetitions = o->repetitions;
            run->repetitions_min = o->repetitions;
            run->target_ci = 0;
        }
    }
}

int mb_cell_filter_init(mb_cell_filter *f, const char *const *patterns, size_t n, mb_err *err)
{
    memset(f, 0, sizeof *f);
    if (n == 0)
        return 0;
    f->re = mb_calloc(n, sizeof *f->re);
    for (size_t i = 0; i < n; i++) {
        int rc = regcomp(&f->re[i], patterns[i], REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[160];
            regerror(rc, &f->re[i], why, sizeof why);
            mb_cell_filter_free(f);
            return mb_err_set(err, MB_EUSAGE, "option --filter: '%s' is not a regular "
                              "expression (POSIX extended): %s", patterns[i], why);
        }
        f->n = i + 1;
    }
    return 0;
}

bool mb_cell_filter_match(const mb_cell_filter *f, const char *bench_name)
{
    if (f->n == 0)
        return true;
    for (size_t i = 0; i < f->n; i++)
        if (regexec(&f->re[i], bench_name, 0, NULL, 0) == 0)
            return true;
    return false;
}

size_t mb_cells_selected(const mb_scenario *s, const mb_cell *cells, size_t n,
                         const mb_cell_filter *f)
{
    bool frontier = s->search.batch_frontier;
    size_t kept = 0;
    for (size_t j = 0; j < n; j++) {
        if (frontier && mb_cell_frontier_twin(s, &cells[j]))
            continue;
        char *name = mb_cell_bench_name(s, &cells[j], frontier);
        kept += mb_cell_filter_match(f, name);
        free(name);
    }
    return kept;
}

void mb_cell_filter_free(mb_cell_filter *f)
{
    for (size_t i = 0; i < f->n; i++)
        regfree(&f->re[i]);
    free(f->re);
    memset(f, 0, sizeof *f);
}

int mb_cell_filter_none(const mb_run_config *cfg, size_t n_cells, mb_err *err)
{
    mb_strbuf b = {0};
    for (size_t i = 0; i < cfg->n_filters; i++)
        mb_strbuf_printf(&b, "%s'%s'", i ? ", " : "", cfg->filters[i]);
    int rc = mb_err_set(err, MB_EUSAGE, "option --filter: %s matched none of the %zu cells "
                        "(mpsbench run --list shows their names)", b.s, n_cells);
    free(b.s);
    return rc;
}

static void list_cell(FILE *out, const char *name, const mb_cell *cell, bool frontier)
{
    const mb_run_opts *r = &cell->run;
    if (frontier)
        fprintf(out, "%s\tbatch-size search\n", name);
    else if (r->target_ci > 0)
        fprintf(out, "%s\trepetitions %d-%d (until the CI is within ±%.1f%%), jobs %d, "
                "warm-up jobs %d\n", name, r->repetitions_min, r->repetitions,
                r->target_ci * 100, r->jobs, r->warmup_jobs);
    else
        fprintf(out, "%s\trepetitions %d, jobs %d, warm-up jobs %d\n", name, r->repetitions,
                r->jobs, r->warmup_jobs);
}

/* Expands every scenario and walks its cells through the overrides and the
 * filter, printing the ones kept when out is not NULL. */
static int select_cells(const mb_run_config *cfg, mb_scenario **scenarios, FILE *out,
                        size_t *listed, size_t *total, bool *any_auto, mb_err *err)
{
    mb_cell_filter filter;
    int rc = mb_cell_filter_init(&filter, cfg->filters, cfg->n_filters, err);
    if (rc != 0)
        return rc;
    bool ab = cfg->candidate_worker != NULL || cfg->n_candidate_env > 0 ||
              cfg->n_candidate_fault > 0;
    *listed = *total = 0;
    *any_auto = false;
    for (size_t i = 0; i < cfg->n_scenarios && rc == 0; i++) {
        mb_cell *cells = NULL;
        size_t n = 0;
        if ((rc = mb_matrix_expand(scenarios[i], &cells, &n, err)) != 0)
            break;
        mb_cells_apply_overrides(&cfg->overrides, cells, n);
        bool frontier = scenarios[i]->search.batch_frontier;
        for (size_t j = 0; j < n; j++) {
            if (frontier && mb_cell_frontier_twin(scenarios[i], &cells[j]))
                continue;
            (*total)++;
            *any_auto |= strcmp(cells[j].device, "auto") == 0;
            char *name = mb_cell_bench_name(scenarios[i], &cells[j], frontier);
            if (mb_cell_filter_match(&filter, name)) {
                if (out != NULL)
                    list_cell(out, name, &cells[j], frontier);
                if (out != NULL && ab) {
                    char *twin = mb_asprintf("%s/side:candidate", name);
                    list_cell(out, twin, &cells[j], frontier);
                    free(twin);
                }
                (*listed)++;
            }
            free(name);
        }
        mb_cells_free(cells, n);
    }
    mb_cell_filter_free(&filter);
    return rc;
}

int mb_run_check_filter(const mb_run_config *cfg, mb_scenario **scenarios, mb_err *err)
{
    if (cfg->n_filters == 0)
        return 0;
    size_t listed, total;
    bool any_auto;
    int rc = select_cells(cfg, scenarios, NULL, &listed, &total, &any_auto, err);
    if (rc == 0 && listed == 0 && !any_auto)
        rc = mb_cell_filter_none(cfg, total, err);
    return rc;
}

int mb_run_list(const mb_run_config *cfg, mb_scenario **scenarios, FILE *out, mb_err *err)
{
    size_t listed, total;
    bool any_auto;
    int rc = select_cells(cfg, scenarios, out, &listed, &total, &any_auto, err);
    if (rc != 0)
        return rc;
    if (listed == 0 && cfg->n_filters > 0)
        return mb_cell_filter_none(cfg, total, err);
    /* The list is whole before the count: stdout to a file or a pipe is
     * buffered and stderr is not, so where both go to one place the count
     * would land before the list, or inside a line of it.  A list that
     * did not arrive (a full disk, a closed pipe) is an error, not a count. */
    rc = mb_flush_checked(out, "standard output", err);
    if (rc != 0)
        return rc;
    if (!cfg->quiet) {
        bool ab = cfg->candidate_worker != NULL || cfg->n_candidate_env > 0 ||
                  cfg->n_candidate_fault > 0;
        fprintf(stderr, "mpsbench: %zu of %zu cells%s\n", listed, total,
                ab ? ", each on both sides of the A/B run" : "");
        if (any_auto)
            fprintf(stderr, "mpsbench: device:auto becomes the devices found when a run "
                            "starts; pass --device to list those\n");
    }
    return 0;
}

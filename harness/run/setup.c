/* Setting a run up: scenarios loaded, the --out folder and the models
 * checked, devices probed, cells expanded with their images and backends,
 * and the run's context for Google Benchmark. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "gbench_c.h"
#include "image_set.h"
#include "mb_exit.h"
#include "mb_util.h"
#include "mps_device.h"
#include "cell_select.h"
#include "run_private.h"

/* A large matrix says what it is about to cost before it starts. */
#define MB_RUN_ANNOUNCE_CELLS 200
/* A guess for the estimate: a ResNet-50 job of 32 images on a laptop CPU
 * takes seconds, on a GPU a fraction of one.  Stated in the message. */
#define MB_RUN_GUESS_S_PER_IMAGE 0.05

/* A seed for the interleaved order when none is given: differs from run to
 * run, and is recorded in run.json so that an order can be replayed. */
unsigned long long mb__seed_from_clock(void)
{
    unsigned long long t = (unsigned long long)(mb_wall_ms() * 1000.0);
    return t ^ ((unsigned long long)getpid() << 32);
}

char *mb__default_run_dir(const mb_scenario *first)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return mb_asprintf("results/runs/%s-%s-%ld", stamp, first ? first->name : "run", (long)getpid());
}

/* Runs `mpsbench-worker --probe` once, for device: auto. */
int mb__probe_devices(run_ctx *run, mb_err *err)
{
    char *out = mb_asprintf("%s/logs/probe.json", run->dir);
    char *argv[] = {(char *)run->cfg->worker_path, "--probe", NULL};
    mb_proc p;
    unlink(out);
    int rc = mb_spawn(argv, NULL, out, &p, err);
    if (rc == 0 && !mb_proc_wait(&p, 120000)) {
        mb_proc_stop(&p, 1000);
        rc = mb_err_set(err, MB_EWORKER, "device probe did not finish within 120 s");
    }
    char *text = rc == 0 ? mb_read_file(out, NULL, NULL) : NULL;
    free(out);
    if (rc != 0)
        return rc;
    /* libtorch may log before the probe's one JSON line. */
    const char *start = text ? strstr(text, "{\"torch_version\"") : NULL;
    json_t *o = start ? json_loads(start, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    free(text);
    if (o == NULL)
        return mb_err_set(err, MB_EWORKER, "the device probe gave no answer; see %s/logs/probe.json",
                          run->dir);
    run->devices_json = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return 0;
}

/* "cuda,cpu": the usable devices, GPU first, as device: auto means. */
char *mb__usable_devices(const run_ctx *run)
{
    json_t *o = json_loads(run->devices_json, 0, NULL);
    json_t *devices = json_object_get(o, "devices");
    const char *order[] = {"cuda", "mps", "cpu"};
    char *csv = mb_strdup("");
    for (size_t i = 0; i < 3; i++) {
        if (json_is_true(json_object_get(json_object_get(devices, order[i]), "usable"))) {
            char *next = mb_asprintf("%s%s%s", csv, *csv ? "," : "", order[i]);
            free(csv);
            csv = next;
        }
    }
    json_decref(o);
    return csv;
}

bool mb__axis_has(const mb_scenario *s, const char *axis, const char *value)
{
    const mb_axis *a = mb_scenario_axis(s, axis);
    for (size_t i = 0; a != NULL && i < a->n_values; i++)
        if (strcmp(a->values[i], value) == 0)
            return true;
    return false;
}

void mb__add_context(const run_ctx *run, mb_scenario **scenarios, size_t n)
{
    struct utsname u;
    if (uname(&u) == 0) {
        mb_gb_add_context("os", u.sysname);
        mb_gb_add_context("os_release", u.release);
        mb_gb_add_context("machine", u.machine);
        mb_gb_add_context("hostname", u.nodename);
    }
    char *names = mb_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = mb_asprintf("%s%s%s", names, i ? "," : "", scenarios[i]->name);
        free(names);
        names = next;
    }
    mb_gb_add_context("mpsbench_scenarios", names);
    free(names);
    mb_gb_add_context("mpsbench_run_dir", run->dir);
    if (run->devices_json)
        mb_gb_add_context("mpsbench_devices", run->devices_json);
}

/* Photos of images.dir that cannot be read: listed in the cell's verdict
 * (run.json, summary.md), and failing it unless images.allow_unreadable. */
static void note_unreadable(cell_state *cs, mb_image_set *images)
{
    const char **why = NULL;
    size_t n = mb_image_set_unreadable(images, cs->scenario->images.dir, &why);
    if (n > 0) {
        mb_strbuf b = {0};
        mb_strbuf_printf(&b, "%zu photo(s) in images.dir cannot be read", n);
        for (size_t k = 0; k < n; k++)
            mb_strbuf_printf(&b, "%s %s", k == 0 ? ":" : ";", why[k]);
        cs->n_unreadable = n;
        cs->unreadable = b.s;
    }
    free(why);
}

/* A large run says what it is about to cost before it starts.  It counts
 * what runs: the cells kept after --filter (the frontier's one cell per
 * combination), each twice in an A/B run; total: the matrices' cells. */
static void announce_size(const run_ctx *run, size_t total, bool ab)
{
    double images = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb_run_opts *r = &run->cells[i].cell->run;
        images += (double)(r->warmup_jobs + (int64_t)r->repetitions * r->jobs) *
                  run->cells[i].scenario->images.per_job;
    }
    if (ab)
        images *= 2;
    double minutes = images * MB_RUN_GUESS_S_PER_IMAGE / 60.0;
    char of[32] = "", when[48];
    if (run->n_cells < total)
        snprintf(of, sizeof of, " of %zu", total);
    if (minutes < 60)
        snprintf(when, sizeof when, "%.0f min", ceil(minutes));
    else
        snprintf(when, sizeof when, "%.1f hours", minutes / 60.0);
    fprintf(stderr, "mpsbench: %zu%s cells%s, %.0f images to embed: about %s at %.0f ms an "
            "image (the time a CPU takes; a GPU is faster)\n", run->n_cells, of,
            ab ? " on each side of the A/B run" : "", images, when,
            MB_RUN_GUESS_S_PER_IMAGE * 1000);
}

/* The backend that drives each kind of worker. */
static const worker_backend *backend_for(mb_worker_kind kind)
{
    static const struct {
        mb_worker_kind kind;
        const worker_backend *backend;
    } backends[] = {
        {MB_WORKER_NATIVE, &mb_native_backend},
        {MB_WORKER_RQ, &mb_rq_backend},
    };
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (backends[i].kind == kind)
            return backends[i].backend;
    return &mb_native_backend;
}

/* Expands each scenario with the overrides; run.max_cells bounds the cells
 * it selects, after --filter.  *total counts the cells of the matrices (a
 * frontier search's as one per combination), as `run --list` does. */
static int expand_cells(const run_ctx *run, mb_scenario **scenarios, size_t n_scenarios,
                        mb_cell **cell_arrays, size_t *cell_counts,
                        const mb_cell_filter *filter, size_t *total, mb_err *err)
{
    const mb_cell_filter all = {0};
    *total = 0;
    for (size_t i = 0; i < n_scenarios; i++) {
        int rc = mb_matrix_expand(scenarios[i], &cell_arrays[i], &cell_counts[i], err);
        if (rc != 0)
            return rc;
        mb_cells_apply_overrides(&run->cfg->overrides, cell_arrays[i], cell_counts[i]);
        *total += mb_cells_selected(scenarios[i], cell_arrays[i], cell_counts[i], &all);
        size_t selected = mb_cells_selected(scenarios[i], cell_arrays[i], cell_counts[i],
                                            filter);
        if (selected > (size_t)scenarios[i]->run.max_cells && !run->cfg->yes)
            return mb_err_set(err, MB_EUSAGE, "%s: the run selects %zu cells, more than "
                              "run.max_cells (%d); pass --yes, raise run.max_cells or select "
                              "fewer with --filter to run it",
                              scenarios[i]->path, selected, scenarios[i]->run.max_cells);
    }
    return 0;
}

/* run->cells: the cells the run keeps, in matrix order, with their
 * backends and planned repetitions; their images come later. */
static void keep_selected(run_ctx *run, mb_scenario **scenarios, size_t n_scenarios,
                          mb_cell **cell_arrays, const size_t *cell_counts,
                          const mb_cell_filter *filter, size_t capacity)
{
    run->cells = mb_calloc(capacity, sizeof *run->cells);
    for (size_t i = 0; i < n_scenarios; i++) {
        bool frontier = scenarios[i]->search.batch_frontier;
        for (size_t j = 0; j < cell_counts[i]; j++) {
            const mb_cell *cell = &cell_arrays[i][j];
            if (frontier && mb_cell_frontier_twin(scenarios[i], cell))
                continue;
            char *bench_name = mb_cell_bench_name(scenarios[i], cell, frontier);
            if (!mb_cell_filter_match(filter, bench_name)) {
                free(bench_name);
                continue;
            }
            cell_state *cs = &run->cells[run->n_cells++];
            cs->run = run;
            cs->scenario = scenarios[i];
            cs->backend = backend_for(cell->worker_kind);
            cs->cell = cell;
            cs->frontier = frontier;
            cs->n_planned = frontier ? 1 : cell->run.repetitions;
            cs->reps = mb_calloc((size_t)cs->n_planned, sizeof *cs->reps);
            cs->bench_name = bench_name;
        }
    }
}

static int prepare_images(run_ctx *run, mb_image_set *images, mb_err *err)
{
    const mb_scenario *said = NULL;
    for (size_t i = 0; i < run->n_cells; i++) {
        cell_state *cs = &run->cells[i];
        /* Large fixtures take a while to generate the first time; without
         * the live line, say why nothing seems to happen. */
        if (!run->cfg->quiet && !run->cfg->progress && cs->cell->image_width > 1000 &&
            cs->scenario != said) {
            fprintf(stderr, "mpsbench: preparing images for %s\n", cs->scenario->name);
            said = cs->scenario;
        }
        int rc = mb_image_set_for_cell(images, cs->scenario, cs->cell, &cs->images,
                                       &cs->n_images, err);
        if (rc != 0)
            return rc;
        if (cs->scenario->images.dir != NULL)
            note_unreadable(cs, images);
    }
    return 0;
}

int mb__prepare_cells(run_ctx *run, mb_scenario **scenarios, size_t n_scenarios,
                     mb_cell **cell_arrays, size_t *cell_counts, mb_image_set *images,
                     mb_err *err)
{
    mb_cell_filter filter;
    int rc = mb_cell_filter_init(&filter, run->cfg->filters, run->cfg->n_filters, err);
    if (rc != 0)
        return rc;
    size_t total = 0;
    rc = expand_cells(run, scenarios, n_scenarios, cell_arrays, cell_counts, &filter, &total,
                      err);
    bool ab = run->cfg->candidate_worker != NULL || run->cfg->n_candidate_env > 0 ||
              run->cfg->n_candidate_fault > 0;
    /* An A/B run adds a candidate twin of every cell (ab.c). */
    if (rc == 0)
        keep_selected(run, scenarios, n_scenarios, cell_arrays, cell_counts, &filter,
                      ab ? 2 * total : total);
    mb_cell_filter_free(&filter);
    if (rc != 0)
        return rc;
    if (run->n_cells == 0 && run->cfg->n_filters > 0)
        return mb_cell_filter_none(run->cfg, total, err);
    if (run->n_cells > MB_RUN_ANNOUNCE_CELLS && !run->cfg->quiet)
        announce_size(run, total, ab);
    if ((rc = prepare_images(run, images, err)) != 0)
        return rc;
    if (ab)
        return mb__ab_add_candidates(run, run->n_cells, err);
    return 0;
}

void mb__free_cells(run_ctx *run)
{
    for (size_t i = 0; i < run->n_cells; i++) {
        cell_state *cs = &run->cells[i];
        for (size_t j = 0; j < cs->n_records; j++)
            mb_result_clear(&cs->records[j].result);
        free(cs->records);
        free(cs->rep_images_per_s);
        for (int k = 0; k < cs->n_planned; k++) {
            free(cs->reps[k].error);
            free(cs->reps[k].job_seconds);
        }
        free(cs->reps);
        free(cs->bench_name);
        free(cs->skip_reason);
        free(cs->first_error);
        free(cs->verdict_reason);
        free(cs->unreadable);
    }
    free(run->cells);
    mb__ab_free(run);
    mb__contrasts_free(run);
    for (size_t i = 0; i < run->hellos.n; i++)
        free(run->hellos.records[i]);
    free(run->hellos.records);
    free(run->schedule.ran);
    free(run->schedule.fallback);
}

int mb__load_scenarios(const mb_run_config *cfg, mb_scenario **scenarios, mb_err *err)
{
    for (size_t i = 0; i < cfg->n_scenarios; i++) {
        int rc = mb_scenario_load(cfg->scenarios[i], &scenarios[i], err);
        if (rc == 0 && cfg->devices != NULL)
            rc = mb_scenario_set_axis(scenarios[i], "device", cfg->devices, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* --out '' would write into the current folder's root or '/'; a folder
 * that holds files would mix two runs' reports and charts. */
int mb__check_out_dir(const mb_run_config *cfg, mb_err *err)
{
    if (cfg->out_dir == NULL)
        return 0;
    if (cfg->out_dir[0] == '\0')
        return mb_err_set(err, MB_EUSAGE, "option --out: empty folder name");
    DIR *d = opendir(cfg->out_dir);
    if (d == NULL)
        return 0;
    bool empty = true;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty && !cfg->force)
        return mb_err_set(err, MB_EUSAGE, "option --out: %s is not empty (a run there would "
                          "mix its files with another's); pass --force to reuse it",
                          cfg->out_dir);
    return 0;
}

/* Loads every distinct model file once, with `mpsbench-worker --check-model`
 * (the harness does not link libtorch), before any benchmark worker starts:
 * a file libtorch cannot load is a scenario mistake (exit 2) that names the
 * key and the path, not a worker failure in the middle of the matrix. */
int mb__check_models(const mb_run_config *cfg, mb_scenario **scenarios, size_t n,
                    mb_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const mb_scenario *s = scenarios[i];
        if (strncmp(s->model, "builtin:", 8) == 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(scenarios[j]->model, s->model) == 0;
        if (seen)
            continue;
        const char *tmp = getenv("TMPDIR");
        char *log = mb_asprintf("%s/mpsbench-check-model-%ld-%zu.txt",
                                tmp != NULL && *tmp ? tmp : "/tmp", (long)getpid(), i);
        char *argv[] = {(char *)cfg->worker_path, "--check-model", s->model, NULL};
        mb_proc p;
        unlink(log);
        int rc = mb_spawn(argv, NULL, log, &p, err);
        double t0 = mb_now_ms();
        while (rc == 0 && !mb_proc_wait(&p, 100)) {
            if (mb__run_interrupted() || mb_now_ms() - t0 > 120000) {
                mb_proc_stop(&p, 500);
                rc = mb_err_set(err, mb__run_interrupted() ? MB_EIO : MB_EWORKER, "%s model '%s'",
                                mb__run_interrupted() ? "interrupted while checking"
                                            : "120 s were not enough to load", s->model);
            }
        }
        char *text = rc == 0 ? mb_read_file_max(log, 65536, NULL, NULL) : NULL;
        unlink(log);
        free(log);
        if (rc != 0) {
            free(text);
            return rc;
        }
        int code = WIFEXITED(p.exit_status) ? WEXITSTATUS(p.exit_status) : -1;
        const char *why = text != NULL ? strstr(text, "not loadable: ") : NULL;
        if (code == MB_EXIT_USAGE && why != NULL) {
            why += strlen("not loadable: ");
            char *nl = strchr(text, '\n');
            if (nl != NULL && nl > why)
                *nl = '\0';
            rc = mb_err_set(err, MB_ESCENARIO, "%s:%d:%d: model: '%s' is not a TorchScript model "
                            "libtorch can load: %s", s->path, s->model_pos.line,
                            s->model_pos.column, s->model, why);
        } else if (code != 0) {
            char how[160];
            mb_proc_describe_exit(&p, how, sizeof how);
            rc = mb_err_set(err, MB_EWORKER, "mpsbench-worker --check-model %s %s", s->model, how);
        }
        free(text);
        if (rc != 0)
            return rc;
    }
    return 0;
}

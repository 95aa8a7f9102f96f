/* Reading Google Benchmark JSON as `mpsbench run` writes it, strictly
 * enough that a damaged file is reported rather than half-compared or
 * half-drawn. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "results_file.h"
#include "mb_util.h"
#include "run_dir.h"

char *mb_res_results_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return mb_asprintf("%s/results.json", path);
    return mb_strdup(path);
}

/* The cell's name: Google Benchmark appends "/iterations:N", "/repeats:N"
 * and "/manual_time" to the name it was registered with, and the aggregate
 * rows add "_mean" and so on.  Files from other programs may lack some of
 * these, so each is cut where present. */
static char *cell_name(const char *name)
{
    const char *cut = strstr(name, "/iterations:");
    if (cut == NULL)
        cut = strstr(name, "/repeats:");
    if (cut == NULL)
        cut = strstr(name, "/manual_time");
    if (cut == NULL)
        cut = strstr(name, "/real_time");
    return cut ? mb_strndup(name, (size_t)(cut - name)) : mb_strdup(name);
}

static char *name_device(const char *name)
{
    const char *p = strstr(name, "device:");
    if (p == NULL || (p != name && p[-1] != '/'))
        return NULL;
    p += strlen("device:");
    return mb_strndup(p, strcspn(p, "/"));
}

static mb_res_gb_cell *cell_for(mb_res_gb_file *f, const char *name)
{
    for (size_t i = 0; i < f->n_cells; i++)
        if (strcmp(f->cells[i].name, name) == 0)
            return &f->cells[i];
    f->cells = mb_realloc(f->cells, (f->n_cells + 1) * sizeof *f->cells);
    mb_res_gb_cell *c = &f->cells[f->n_cells++];
    memset(c, 0, sizeof *c);
    c->name = mb_strdup(name);
    c->device = name_device(name);
    return c;
}

const mb_res_gb_cell *mb_res_gb_find(const mb_res_gb_file *f, const char *name)
{
    for (size_t i = 0; i < f->n_cells; i++)
        if (strcmp(f->cells[i].name, name) == 0)
            return &f->cells[i];
    return NULL;
}

/* context.mpsbench_devices holds the worker's probe as JSON text, because
 * Google Benchmark's context only carries strings. */
static int read_context(mb_res_gb_file *f, json_t *root, int code, mb_err *err)
{
    json_t *ctx = json_object_get(root, "context");
    if (ctx == NULL)
        return 0;
    if (!json_is_object(ctx))
        return mb_err_set(err, code, "%s: \"context\" is not an object", f->path);
    f->has_context = true;
    const char *os = json_string_value(json_object_get(ctx, "os"));
    if (os != NULL)
        f->os = mb_strdup(os);
    const char *machine = json_string_value(json_object_get(ctx, "machine"));
    if (machine != NULL)
        f->machine = mb_strdup(machine);
    json_t *cpus = json_object_get(ctx, "num_cpus");
    if (json_is_integer(cpus))
        f->num_cpus = (long)json_integer_value(cpus);
    json_t *probe_text = json_object_get(ctx, "mpsbench_devices");
    if (probe_text == NULL)
        return 0;
    if (!json_is_string(probe_text))
        return mb_err_set(err, code, "%s: context.mpsbench_devices is not a string", f->path);
    json_error_t jerr;
    json_t *probe = json_loads(json_string_value(probe_text), 0, &jerr);
    if (!json_is_object(probe)) {
        json_decref(probe);
        return mb_err_set(err, code, "%s: context.mpsbench_devices is not a JSON object (%s)",
                          f->path, probe ? "another JSON value" : jerr.text);
    }
    f->probe = probe;
    const char *torch = json_string_value(json_object_get(probe, "torch_version"));
    if (torch != NULL)
        f->torch_version = mb_strdup(torch);
    json_t *devices = json_object_get(probe, "devices");
    if (json_is_object(devices))
        f->devices = devices;
    return 0;
}

static bool is_aggregate(json_t *b)
{
    const char *type = json_string_value(json_object_get(b, "run_type"));
    return type != NULL && strcmp(type, "aggregate") == 0;
}

static double row_number(json_t *b, const char *key, double fallback)
{
    json_t *v = json_object_get(b, key);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

/* The row as the charts read it: every figure, failed or not. */
static void add_row(mb_res_gb_cell *c, json_t *b)
{
    static const char *const stage_keys[4] = {"decode_ms", "preprocess_ms", "transfer_ms",
                                               "forward_ms"};
    c->rows = mb_realloc(c->rows, (c->n_rows + 1) * sizeof *c->rows);
    mb_res_gb_row *r = &c->rows[c->n_rows++];
    memset(r, 0, sizeof *r);
    r->error = json_is_true(json_object_get(b, "error_occurred"));
    const char *msg = json_string_value(json_object_get(b, "error_message"));
    r->error_message = msg ? mb_strdup(msg) : NULL;
    r->iterations = (int)row_number(b, "iterations", 1);
    r->oom_count = (int)row_number(b, "oom_count", 0);
    r->images_per_second = row_number(b, "images_per_second", NAN);
    r->real_time = row_number(b, "real_time", 0);
    for (int s = 0; s < 4; s++)
        r->stage_ms[s] = row_number(b, stage_keys[s], 0);
    r->peak_rss_bytes = row_number(b, "peak_rss_bytes", 0);
    r->peak_device_bytes = row_number(b, "peak_device_bytes", 0);
}

static int read_row(mb_res_gb_file *f, size_t index, json_t *b, int code, mb_err *err)
{
    if (!json_is_object(b))
        return mb_err_set(err, code, "%s: benchmarks[%zu] is not an object", f->path, index);
    const char *name = json_string_value(json_object_get(b, "name"));
    if (name == NULL)
        return mb_err_set(err, code, "%s: benchmarks[%zu] has no \"name\"", f->path, index);
    if (is_aggregate(b))
        return 0;
    const char *run_name = json_string_value(json_object_get(b, "run_name"));
    char *cname = cell_name(run_name ? run_name : name);
    mb_res_gb_cell *c = cell_for(f, cname);
    free(cname);
    add_row(c, b);
    json_t *error = json_object_get(b, "error_occurred");
    if (json_is_true(error)) {
        if (c->n_failed++ == 0) {
            const char *msg = json_string_value(json_object_get(b, "error_message"));
            c->first_error = mb_strdup(msg ? msg : "error");
        }
        return 0;
    }
    json_t *ips = json_object_get(b, "images_per_second");
    if (ips == NULL) {
        c->n_no_counter++;
        return 0;
    }
    double v = json_number_value(ips);
    if (!json_is_number(ips) || !isfinite(v) || v < 0)
        return mb_err_set(err, code, "%s: benchmarks[%zu] (%s): images_per_second is not a "
                          "non-negative number", f->path, index, name);
    c->ips = mb_realloc(c->ips, (c->n_ips + 1) * sizeof *c->ips);
    c->ips[c->n_ips++] = v;
    return 0;
}

static int read_rows(mb_res_gb_file *f, json_t *root, int code, mb_err *err)
{
    int rc = read_context(f, root, code, err);
    json_t *rows = json_object_get(root, "benchmarks");
    for (size_t i = 0; rc == 0 && i < json_array_size(rows); i++)
        rc = read_row(f, i, json_array_get(rows, i), code, err);
    return rc;
}

/* Only a run directory's own results.json is that run's: any other
 * results file stored in a run folder (a baseline-results.json, a copy) is
 * not, and its failures are in the file itself or nowhere. */
static bool is_run_results(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strcmp(slash != NULL ? slash + 1 : path, "results.json") == 0;
}

char *mb_res_gb_run_json(const char *results_path)
{
    return is_run_results(results_path) ? mb_res_run_json_beside(results_path) : NULL;
}

/* results.json has no entry for a failed repetition (it would carry no
 * time), so its failures come from the run's run.json, when there is one:
 * each cell's repetitions without a throughput, and the cell's reason.  A
 * file written before that rule has its failed rows already counted, and a
 * cell with any is left as it is.  run.json is supplementary here; one that
 * cannot be read changes nothing. */
static void read_run_failures(mb_res_gb_file *f)
{
    char *path = mb_res_gb_run_json(f->path);
    if (path == NULL)
        return;
    mb_res_run run;
    mb_err ignored;
    int rc = mb_res_run_load_file(path, &run, &ignored);
    free(path);
    if (rc != 0)
        return;
    for (size_t i = 0; i < run.n_cells; i++) {
        const mb_res_cell *cell = &run.cells[i];
        size_t failed = 0;
        for (size_t k = 0; k < cell->n_reps; k++)
            failed += isnan(cell->reps[k].images_per_second);
        if (failed == 0)
            continue;
        mb_res_gb_cell *c = cell_for(f, cell->name);
        if (c->n_failed > 0)
            continue;
        c->n_failed = failed;
        c->first_error = mb_strdup(cell->reason ? cell->reason : "failed");
    }
    mb_res_run_free(&run);
}

int mb_res_gb_load(const char *path, int code, mb_res_gb_file *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    out->path = mb_res_results_path(path);
    mb_err rerr;
    out->text = mb_read_file(out->path, &out->len, &rerr);
    if (out->text == NULL) {
        /* The message as read; the code says which side was unreadable. */
        mb_err_set(err, code, "%s", rerr.msg);
        mb_res_gb_clear(out);
        return code;
    }
    json_error_t jerr;
    json_t *root = json_loadb(out->text, out->len, 0, &jerr);
    int rc = 0;
    if (root == NULL) {
        rc = mb_err_set(err, code, "%s:%d:%d: not valid JSON: %s", out->path, jerr.line,
                        jerr.column, jerr.text);
    } else if (!json_is_object(root)) {
        rc = mb_err_set(err, code, "%s: not a Google Benchmark JSON file (the top level is "
                        "not an object)", out->path);
    } else if (!json_is_array(json_object_get(root, "benchmarks"))) {
        rc = mb_err_set(err, code, "%s: not a Google Benchmark JSON file (no \"benchmarks\" "
                        "array)", out->path);
    }
    if (rc == 0)
        rc = read_rows(out, root, code, err);
    if (rc == 0)
        read_run_failures(out);
    json_decref(root);
    if (rc != 0)
        mb_res_gb_clear(out);
    return rc;
}

void mb_res_gb_clear(mb_res_gb_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_cells; i++) {
        free(f->cells[i].name);
        free(f->cells[i].device);
        free(f->cells[i].ips);
        free(f->cells[i].first_error);
        for (size_t k = 0; k < f->cells[i].n_rows; k++)
            free(f->cells[i].rows[k].error_message);
        free(f->cells[i].rows);
    }
    free(f->cells);
    free(f->path);
    free(f->text);
    free(f->torch_version);
    free(f->os);
    free(f->machine);
    json_decref(f->probe);
    memset(f, 0, sizeof *f);
}

char *mb_res_gb_device_description(const mb_res_gb_file *f, const char *device)
{
    if (f->devices == NULL || device == NULL)
        return NULL;
    json_t *d = json_object_get(f->devices, device);
    const char *desc = json_string_value(json_object_get(d, "description"));
    if (desc == NULL)
        return NULL;
    /* The probe names the CPU model only; the core count changes CPU
     * throughput as much as the model does, so it is part of the device. */
    if (strcmp(device, "cpu") == 0 && f->num_cpus > 0)
        return mb_asprintf("%s, %ld CPUs", desc, f->num_cpus);
    return mb_strdup(desc);
}

int mb_res_gb_load_history(const mb_res_gb_file *f, int code, mb_res_gb_history *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(f->text, f->len, 0, NULL);
    json_t *hist = json_object_get(root, "mpsbench_history");
    int rc = 0;
    if (hist == NULL) {
        json_decref(root);
        return 0;
    }
    json_t *runs = json_object_get(hist, "runs");
    if (!json_is_array(runs) || json_array_size(runs) == 0)
        rc = mb_err_set(err, code, "%s: mpsbench_history has no \"runs\" array of runs",
                        f->path);
    out->is_history = true;
    size_t n = json_array_size(runs);
    out->runs = mb_calloc(n ? n : 1, sizeof *out->runs);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *run = json_array_get(runs, i);
        mb_res_gb_file *r = &out->runs[out->n_runs++];
        r->path = mb_asprintf("%s (history run %zu)", f->path, i + 1);
        if (!json_is_object(run) || !json_is_array(json_object_get(run, "benchmarks")))
            rc = mb_err_set(err, code, "%s: not a run (no \"benchmarks\" array)", r->path);
        else
            rc = read_rows(r, run, code, err);
    }
    json_decref(root);
    if (rc != 0)
        mb_res_gb_history_clear(out);
    return rc;
}

void mb_res_gb_history_clear(mb_res_gb_history *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n_runs; i++)
        mb_res_gb_clear(&h->runs[i]);
    free(h->runs);
    memset(h, 0, sizeof *h);
}

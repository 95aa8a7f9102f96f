/* The run model of the charts, read from run.json (every job's record,
 * through results/run_dir.h) or, when only Google Benchmark's results.json
 * is at hand, from its iteration rows.  Everything a chart needs is computed here once, so that the chart
 * builders only lay data out. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mb_util.h"
#include "plot_private.h"
#include "results_file.h"
#include "run_dir.h"
#include "stats.h"

bool mb__plot_is_gpu(const char *device)
{
    return device != NULL && strcmp(device, "cpu") != 0;
}

const char *mb__plot_cell_env(const mb__plot_cell *c, const char *name)
{
    for (size_t i = 0; i < c->n_env; i++)
        if (strcmp(c->env[i].key, name) == 0)
            return c->env[i].value;
    for (size_t i = 0; i < c->n_axes; i++)
        if (strncmp(c->axes[i].key, "env.", 4) == 0 && strcmp(c->axes[i].key + 4, name) == 0)
            return c->axes[i].value;
    return NULL;
}

static void cell_free(mb__plot_cell *c)
{
    free(c->name);
    free(c->scenario);
    free(c->device);
    free(c->variant);
    free(c->label);
    free(c->reason);
    free(c->ips);
    free(c->latency_ms);
    for (size_t i = 0; i < c->n_env; i++) {
        free(c->env[i].key);
        free(c->env[i].value);
    }
    free(c->env);
    for (size_t i = 0; i < c->n_axes; i++) {
        free(c->axes[i].key);
        free(c->axes[i].value);
    }
    free(c->axes);
}

void mb__plot_run_free(mb__plot_run *run)
{
    if (run == NULL)
        return;
    for (size_t i = 0; i < run->n_cells; i++)
        cell_free(&run->cells[i]);
    free(run->cells);
    free(run->dir);
    free(run->source);
    free(run->machine);
    free(run->torch_version);
    free(run->hardware);
    free(run->model);
    memset(run, 0, sizeof *run);
}

static void add_kv(mb__plot_kv **list, size_t *n, const char *key, const char *value)
{
    *list = mb_realloc(*list, (*n + 1) * sizeof **list);
    (*list)[*n].key = mb_strdup(key);
    (*list)[*n].value = mb_strdup(value);
    (*n)++;
}

static const char *axis_value(const mb__plot_cell *c, const char *key)
{
    for (size_t i = 0; i < c->n_axes; i++)
        if (strcmp(c->axes[i].key, key) == 0)
            return c->axes[i].value;
    return NULL;
}

static void set_image(mb__plot_cell *c, int w, int h)
{
    snprintf(c->image, sizeof c->image, "%dx%d", w, h);
    c->pixels = (long)w * h;
}

/* The axes that tell cells of one device, image size and batch size apart
 * (the fix, env.X axes, the scenario when several ran) become each cell's
 * variant, so that every chart line is one configuration and its legend
 * names only what differs.  The seed's cleanup switch gets a short name, as
 * its variable name alone would fill a legend row. */
static void name_variants(mb__plot_run *run)
{
    const char *keys[64];
    size_t n_keys = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        for (size_t a = 0; a < c->n_axes && n_keys < 64; a++) {
            const char *k = c->axes[a].key;
            if (strcmp(k, "device") == 0 || strcmp(k, "image_size") == 0
                || strcmp(k, "batch_size") == 0)
                continue;
            size_t j = 0;
            while (j < n_keys && strcmp(keys[j], k) != 0)
                j++;
            if (j == n_keys)
                keys[n_keys++] = k;
        }
    }
    bool many_scenarios = false;
    for (size_t i = 1; i < run->n_cells; i++)
        if (strcmp(run->cells[i].scenario, run->cells[0].scenario) != 0)
            many_scenarios = true;
    for (size_t i = 0; i < run->n_cells; i++) {
        mb__plot_cell *c = &run->cells[i];
        mb_strbuf b = {0};
        mb_strbuf_printf(&b, "%s", "");
        if (many_scenarios)
            mb_strbuf_printf(&b, "%s", c->scenario);
        for (size_t k = 0; k < n_keys; k++) {
            const char *v = axis_value(c, keys[k]);
            bool varies = false;
            for (size_t j = 0; j < run->n_cells && !varies; j++) {
                const char *w = axis_value(&run->cells[j], keys[k]);
                varies = (v == NULL) != (w == NULL) || (v != NULL && strcmp(v, w) != 0);
            }
            if (!varies || v == NULL)
                continue;
            const char *sep = b.len > 0 ? ", " : "";
            /* The watermark variables act on the MPS allocator only: on
             * any other device fix on and off run the same code, and the
             * label says so rather than suggest a difference. */
            if (strcmp(keys[k], "watermark_fix") == 0)
                mb_strbuf_printf(&b, "%sfix %s%s", sep, v,
                                 strcmp(c->device, "mps") == 0 ? "" : MB__PLOT_FIX_NO_EFFECT);
            else if (strcmp(keys[k], "env.GPU_MEMORY_CLEANUP_ENABLED") == 0)
                mb_strbuf_printf(&b, "%scleanup %s", sep,
                                    strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ? "on" : "off");
            else if (strncmp(keys[k], "env.", 4) == 0)
                mb_strbuf_printf(&b, "%s%s=%s", sep, keys[k] + 4, v);
            else
                mb_strbuf_printf(&b, "%s%s=%s", sep, keys[k], v);
        }
        c->variant = b.s;
        c->label = b.len > 0 ? mb_asprintf("%s %s b%d, %s", c->device, c->image, c->batch, b.s)
                             : mb_asprintf("%s %s b%d", c->device, c->image, c->batch);
    }
}

static void copy_kvs(mb__plot_kv **list, size_t *n, const mb_res_kv *from, size_t n_from)
{
    for (size_t i = 0; i < n_from; i++)
        add_kv(list, n, from[i].key, from[i].value);
}

/* The jobs of one cell: counts, peak memory, latencies and stage times. */
static void load_jobs(const mb_res_cell *rc, int only_batch, mb__plot_cell *c)
{
    c->latency_ms = mb_calloc(rc->n_jobs + 1, sizeof *c->latency_ms);
    bool gpu = mb__plot_is_gpu(c->device);
    c->peak_memory = NAN;
    for (size_t j = 0; j < rc->n_jobs; j++) {
        const mb_res_job *job = &rc->jobs[j];
        if (job->repetition < 0)
            continue;
        if (only_batch > 0 && job->batch_size != only_batch)
            continue;
        if (strcmp(job->status, "skipped") == 0)
            continue;
        c->n_jobs++;
        double mem = gpu ? job->peak_allocated_bytes : job->peak_rss_bytes;
        if (mem > 0 && (isnan(c->peak_memory) || mem > c->peak_memory))
            c->peak_memory = mem;
        if (strcmp(job->status, "oom") == 0) {
            c->n_oom++;
            continue;
        }
        if (strcmp(job->status, "ok") != 0) {
            c->n_failed++;
            continue;
        }
        c->n_ok++;
        double lat = job->latency_ms;
        double st[4] = {job->decode_ms, job->preprocess_ms, job->transfer_ms, job->forward_ms};
        double sum = 0;
        for (int s = 0; s < 4; s++) {
            c->stage_ms[s] += st[s];
            sum += st[s];
        }
        if (isfinite(lat)) {
            c->latency_ms[c->n_latency++] = lat;
            c->stage_ms[MB__PLOT_OTHER] += lat > sum ? lat - sum : 0;
        }
    }
    if (c->n_ok > 0) {
        c->has_stages = true;
        for (int s = 0; s < MB__PLOT_N_STAGES; s++)
            c->stage_ms[s] /= c->n_ok;
    }
}

/* One cell from run.json.  only_batch > 0 keeps only the jobs of that batch
 * size: a frontier search's probes, each of which becomes a cell of its own
 * so the memory chart and the OOM matrix show every batch the search tried. */
static void load_cell(const mb_res_cell *rc, int only_batch, mb__plot_cell *c)
{
    c->name = only_batch > 0 ? mb_asprintf("%s/probe:%d", rc->name, only_batch)
                             : mb_strdup(rc->name);
    c->scenario = mb_strdup(rc->scenario);
    c->device = mb_strdup(rc->device);
    c->fix = rc->watermark_fix;
    c->batch = only_batch > 0 ? only_batch : rc->batch_size;
    set_image(c, rc->image_width, rc->image_height);
    c->memory_limit = rc->memory_limit_bytes;
    c->expect_regression = isnan(rc->expect_regression) ? 0.05 : rc->expect_regression;
    const char *reason = rc->reason && *rc->reason ? rc->reason : rc->skip_reason;
    c->reason = reason && *reason ? mb_strdup(reason) : NULL;
    copy_kvs(&c->axes, &c->n_axes, rc->axes, rc->n_axes);
    copy_kvs(&c->env, &c->n_env, rc->env, rc->n_env);
    /* Only the repetitions that ran have a throughput (run_dir.h). */
    c->ips = mb_calloc(rc->n_ips + 1, sizeof *c->ips);
    for (size_t r = 0; r < rc->n_ips; r++)
        if (isfinite(rc->ips[r]) && rc->ips[r] > 0)
            c->ips[c->n_ips++] = rc->ips[r];
    load_jobs(rc, only_batch, c);
    c->ips_median = c->n_ips > 0 ? mb_stats_median(c->ips, c->n_ips) : NAN;
    c->skipped = strcmp(rc->verdict, "skipped") == 0 || c->n_jobs == 0;
}

/* The distinct batch sizes a frontier cell probed, ascending; 0 when the
 * cell is no frontier search. */
static size_t probe_batches(const mb_res_cell *rc, int **out)
{
    *out = NULL;
    if (!rc->frontier)
        return 0;
    size_t n = 0;
    int *b = mb_calloc(rc->n_jobs + 1, sizeof *b);
    for (size_t j = 0; j < rc->n_jobs; j++) {
        int batch = rc->jobs[j].batch_size;
        size_t k = 0;
        while (k < n && b[k] < batch)
            k++;
        if (batch <= 0 || (k < n && b[k] == batch))
            continue;
        memmove(b + k + 1, b + k, (n - k) * sizeof *b);
        b[k] = batch;
        n++;
    }
    *out = b;
    return n;
}

/* Adds text to a " + "-separated list unless it is already there. */
static void add_distinct(mb_strbuf *b, const char *text, const char *sep)
{
    if (text == NULL || !*text)
        return;
    for (const char *p = b->s; p != NULL && (p = strstr(p, text)) != NULL; p++) {
        size_t n = strlen(text);
        bool starts = p == b->s || strncmp(p - strlen(sep), sep, strlen(sep)) == 0;
        if (starts && (p[n] == '\0' || strncmp(p + n, sep, strlen(sep)) == 0))
            return;
    }
    mb_strbuf_printf(b, "%s%s", b->len ? sep : "", text);
}

static const char *model_name(const char *m)
{
    return m == NULL ? "" : strncmp(m, "builtin:", 8) == 0 ? m + 8 : m;
}

/* What the charts measured: the devices' own names from the workers' hello
 * records (a GPU model, a CPU model), the models and the images per job, so
 * that every chart can say it in its subtitle. */
static void load_subject(const mb_res_run *from, mb__plot_run *run)
{
    mb_strbuf hw = {0}, model = {0};
    for (size_t i = 0; i < from->n_workers; i++) {
        add_distinct(&hw, from->workers[i].device_description, " + ");
        add_distinct(&model, model_name(from->workers[i].model), ", ");
    }
    int lo = 0, hi = 0;
    for (size_t i = 0; i < from->n_cells; i++) {
        add_distinct(&model, model_name(from->cells[i].model), ", ");
        int per_job = from->cells[i].images_per_job;
        if (per_job > 0) {
            lo = lo == 0 || per_job < lo ? per_job : lo;
            hi = per_job > hi ? per_job : hi;
        }
    }
    run->hardware = hw.s;
    run->model = model.s;
    run->job_images_min = lo;
    run->job_images_max = hi;
}

static void load_run_model(const mb_res_run *from, mb__plot_run *run)
{
    if (from->has_machine)
        run->machine = mb_asprintf("%s %s, %d CPUs", from->os, from->arch, from->cpus);
    if (from->torch_version != NULL)
        run->torch_version = mb_strdup(from->torch_version);
    load_subject(from, run);
    size_t total = 0;
    for (size_t i = 0; i < from->n_cells; i++) {
        int *b;
        size_t nb = probe_batches(&from->cells[i], &b);
        total += nb ? nb : 1;
        free(b);
    }
    run->cells = mb_calloc(total ? total : 1, sizeof *run->cells);
    run->has_jobs = true;
    for (size_t i = 0; i < from->n_cells; i++) {
        int *b;
        size_t nb = probe_batches(&from->cells[i], &b);
        if (nb == 0)
            load_cell(&from->cells[i], 0, &run->cells[run->n_cells++]);
        for (size_t k = 0; k < nb; k++)
            load_cell(&from->cells[i], b[k], &run->cells[run->n_cells++]);
        free(b);
    }
}

/* "smoke/embed/device:cpu/fix:on/image:64x64/batch:1" -> axes. */
static void parse_name_axes(mb__plot_cell *c)
{
    char *copy = mb_strdup(c->name);
    char *p = copy;
    int part = 0;
    while (p != NULL && *p) {
        char *slash = strchr(p, '/');
        if (slash != NULL)
            *slash = '\0';
        char *colon = strchr(p, ':');
        if (part == 0) {
            free(c->scenario);
            c->scenario = mb_strdup(p);
        } else if (colon != NULL) {
            *colon = '\0';
            const char *k = p, *v = colon + 1;
            if (strcmp(k, "device") == 0) {
                free(c->device);
                c->device = mb_strdup(v);
                add_kv(&c->axes, &c->n_axes, "device", v);
            } else if (strcmp(k, "fix") == 0) {
                c->fix = strcmp(v, "on") == 0;
                add_kv(&c->axes, &c->n_axes, "watermark_fix", v);
            } else if (strcmp(k, "image") == 0) {
                int w = 0, h = 0;
                if (mb_parse_size(v, &w, &h) == 0)
                    set_image(c, w, h);
                add_kv(&c->axes, &c->n_axes, "image_size", v);
            } else if (strcmp(k, "batch") == 0) {
                long b = 0;
                if (mb_parse_long(v, &b) == 0)
                    c->batch = (int)b;
                add_kv(&c->axes, &c->n_axes, "batch_size", v);
            } else {
                /* env.NAME axes keep their prefix in the name, as in run.json. */
                add_kv(&c->axes, &c->n_axes, k, v);
            }
        }
        part++;
        p = slash != NULL ? slash + 1 : NULL;
    }
    free(copy);
}

static mb__plot_cell *results_cell(mb__plot_run *run, const char *name, size_t cap)
{
    for (size_t i = 0; i < run->n_cells; i++)
        if (strcmp(run->cells[i].name, name) == 0)
            return &run->cells[i];
    mb__plot_cell *c = &run->cells[run->n_cells++];
    c->name = mb_strdup(name);
    c->scenario = mb_strdup("");
    c->device = mb_strdup("cpu");
    c->fix = true;
    c->peak_memory = NAN;
    c->expect_regression = 0.05;
    c->ips = mb_calloc(cap + 1, sizeof *c->ips);
    parse_name_axes(c);
    return c;
}

/* One repetition row of results.json added to its cell. */
static void add_results_row(mb__plot_cell *c, const mb_res_gb_row *row)
{
    if (row->error) {
        c->skipped = true;
        if (c->reason == NULL && row->error_message != NULL)
            c->reason = mb_strdup(row->error_message);
        return;
    }
    c->n_jobs += row->iterations;
    c->n_oom += row->oom_count;
    c->n_ok += row->iterations > row->oom_count ? row->iterations - row->oom_count : 0;
    if (isfinite(row->images_per_second) && row->images_per_second > 0)
        c->ips[c->n_ips++] = row->images_per_second;
    double mem = mb__plot_is_gpu(c->device) ? row->peak_device_bytes : row->peak_rss_bytes;
    if (mem > 0 && (isnan(c->peak_memory) || mem > c->peak_memory))
        c->peak_memory = mem;
    double sum = 0;
    for (int s = 0; s < 4; s++) {
        c->stage_ms[s] += row->stage_ms[s];
        sum += row->stage_ms[s];
    }
    c->stage_ms[MB__PLOT_OTHER] += row->real_time > sum ? row->real_time - sum : 0;
    c->has_stages = true;
}

/* results.json, read through results/results_file.h.  A cell known only
 * from the run.json beside the file (every repetition failed) has no row
 * and no chart line. */
static void load_results_model(const mb_res_gb_file *f, mb__plot_run *run)
{
    run->cells = mb_calloc(f->n_cells ? f->n_cells : 1, sizeof *run->cells);
    run->has_jobs = false;
    if (f->has_context)
        run->machine = mb_asprintf("%s %s, %d CPUs", f->os ? f->os : "",
                                   f->machine ? f->machine : "", (int)f->num_cpus);
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_res_gb_cell *g = &f->cells[i];
        if (g->n_rows == 0)
            continue;
        mb__plot_cell *c = results_cell(run, g->name, g->n_rows);
        for (size_t r = 0; r < g->n_rows; r++)
            add_results_row(c, &g->rows[r]);
    }
    for (size_t i = 0; i < run->n_cells; i++) {
        mb__plot_cell *c = &run->cells[i];
        size_t reps = c->n_ips;
        if (reps > 0)
            for (int s = 0; s < MB__PLOT_N_STAGES; s++)
                c->stage_ms[s] /= (double)reps;
        else
            c->has_stages = false;
        c->ips_median = reps > 0 ? mb_stats_median(c->ips, reps) : NAN;
        if (c->n_jobs == 0)
            c->skipped = true;
    }
}

static int load_file(const char *path, bool results_only, mb__plot_run *run, mb_err *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        return mb_err_set(err, MB_EIO, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    memset(run, 0, sizeof *run);
    run->source = mb_strdup(path);
    const char *slash = strrchr(path, '/');
    run->dir = slash ? mb_strndup(path, (size_t)(slash - path)) : mb_strdup(".");
    int rc;
    if (json_is_array(json_object_get(root, "cells")) && !results_only) {
        /* run.json: read through results/, which checks it. */
        mb_res_run model;
        rc = mb_res_run_load_file(path, &model, err);
        if (rc == 0)
            load_run_model(&model, run);
        mb_res_run_free(&model);
    } else if (json_is_array(json_object_get(root, "benchmarks"))) {
        mb_res_gb_file f;
        rc = mb_res_gb_load(path, MB_EIO, &f, err);
        if (rc == 0)
            load_results_model(&f, run);
        mb_res_gb_clear(&f);
    } else {
        rc = mb_err_set(err, MB_EIO, "%s: neither a run.json (cells) nor a Google Benchmark "
                                     "results.json (benchmarks)", path);
    }
    json_decref(root);
    if (rc == 0)
        name_variants(run);
    else
        mb__plot_run_free(run);
    return rc;
}

int mb__plot_load_results(const char *path, mb__plot_run *run, mb_err *err)
{
    return load_file(path, true, run, err);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int mb__plot_load(const char *path, mb__plot_run *run, mb_err *err)
{
    char *dir = NULL, *candidate = NULL;
    if (is_dir(path)) {
        dir = mb_strdup(path);
    } else {
        /* A results.json with its run.json beside it: the run.json has every
         * job, so it is the better source. */
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        if (strcmp(base, "results.json") == 0)
            dir = slash ? mb_strndup(path, (size_t)(slash - path)) : mb_strdup(".");
        else
            return load_file(path, false, run, err);
    }
    candidate = mb_asprintf("%s/run.json", dir);
    if (!is_file(candidate)) {
        free(candidate);
        candidate = mb_asprintf("%s/results.json", dir);
    }
    int rc;
    if (!is_file(candidate))
        rc = mb_err_set(err, MB_EIO, "%s: no run.json or results.json there", path);
    else
        rc = load_file(candidate, false, run, err);
    free(dir);
    free(candidate);
    return rc;
}

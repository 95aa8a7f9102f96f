/* run.json -> mb_res_run.  Every key is checked for its type as it is read,
 * so that a malformed file is refused with the file and the field named
 * rather than read as zeros; a key that is absent takes the documented
 * default of run_dir.h (older files lack some keys). */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_dir.h"

/* One read in progress: the file named in errors and the first error. */
typedef struct reader {
    const char *path;
    mb_err *err;
    int rc;
} reader;

/* Records the first error: "FILE: WHERE.KEY: a WHAT is expected". */
static void expected(reader *r, const char *where, const char *key, const char *what)
{
    if (r->rc == 0)
        r->rc = mb_err_set(r->err, MB_EINVAL, "%s: %s%s%s: %s is expected", r->path, where,
                           *where && *key ? "." : "", key, what);
}

static bool absent(const json_t *v)
{
    return v == NULL || json_is_null(v);
}

/* A text field, heap copy; fallback (copied, or NULL) when absent. */
static char *text(reader *r, json_t *o, const char *where, const char *key, const char *fallback)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        return mb_strdup(json_string_value(v));
    if (!absent(v))
        expected(r, where, key, "a string");
    return fallback ? mb_strdup(fallback) : NULL;
}

static double number(reader *r, json_t *o, const char *where, const char *key, double fallback)
{
    json_t *v = json_object_get(o, key);
    if (json_is_number(v))
        return json_number_value(v);
    if (!absent(v))
        expected(r, where, key, "a number");
    return fallback;
}

static bool boolean(reader *r, json_t *o, const char *where, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!absent(v) && !json_is_boolean(v))
        expected(r, where, key, "true or false");
    return json_is_true(v);
}

/* An array or an object under key, or NULL when absent. */
static json_t *member(reader *r, json_t *o, const char *where, const char *key, bool array)
{
    json_t *v = json_object_get(o, key);
    if (absent(v))
        return NULL;
    if (array ? !json_is_array(v) : !json_is_object(v)) {
        expected(r, where, key, array ? "an array" : "an object");
        return NULL;
    }
    return v;
}

static void read_kvs(reader *r, json_t *o, const char *where, const char *key, mb_res_kv **out,
                     size_t *n)
{
    json_t *m = member(r, o, where, key, false), *v;
    const char *k;
    *out = mb_calloc(json_object_size(m) + 1, sizeof **out);
    json_object_foreach(m, k, v) {
        (*out)[*n].key = mb_strdup(k);
        (*out)[(*n)++].value = mb_strdup(json_is_string(v) ? json_string_value(v) : "");
    }
}

/* What each_object calls for one element: o is an object, item the
 * zeroed element to fill, where its place ("cells[2].jobs[0]"). */
typedef void fill_fn(reader *r, json_t *o, const char *where, void *item);

/* The array under key (absent: empty) read into a heap array of elements
 * of size bytes, *n of them, each filled by fill.  An element that is not
 * an object is an error ("WHERE.KEY[i]: an object is expected"), unless
 * blank_ok keeps it as a zeroed element.  The one loop behind every array
 * of objects in run.json, so they all index, check and name alike. */
static void *each_object(reader *r, json_t *o, const char *where, const char *key, size_t size,
                         size_t *n, fill_fn *fill, bool blank_ok)
{
    json_t *list = member(r, o, where, key, true), *v;
    char *items = mb_calloc(json_array_size(list) + 1, size);
    size_t i;
    json_array_foreach(list, i, v) {
        char sub[128];
        snprintf(sub, sizeof sub, "%s%s%s[%zu]", where, *where ? "." : "", key, i);
        if (json_is_object(v))
            fill(r, v, sub, items + *n * size);
        else if (!blank_ok) {
            expected(r, sub, "", "an object");
            continue;
        }
        (*n)++;
    }
    return items;
}

/* What a job's OOM message said; -1 for a figure it did not give. */
static void read_oom(reader *r, json_t *o, const char *where, mb_res_job *j)
{
    j->oom_allocated = j->oom_other = j->oom_max_allowed = j->oom_tried = -1;
    json_t *oom = member(r, o, where, "oom", false);
    if (oom == NULL)
        return;
    char sub[160];
    snprintf(sub, sizeof sub, "%s.oom", where);
    j->oom_kind = text(r, oom, sub, "kind", "none");
    j->oom_allocated = number(r, oom, sub, "allocated_bytes", -1);
    j->oom_other = number(r, oom, sub, "other_bytes", -1);
    j->oom_max_allowed = number(r, oom, sub, "max_allowed_bytes", -1);
    j->oom_tried = number(r, oom, sub, "tried_bytes", -1);
}

static void read_gap(reader *r, json_t *o, const char *where, mb_res_job *j)
{
    json_t *gap = member(r, o, where, "gap", false);
    j->has_gap = gap != NULL;
    if (gap == NULL)
        return;
    char sub[160];
    snprintf(sub, sizeof sub, "%s.gap", where);
    j->gap.prefetched = boolean(r, gap, sub, "prefetched");
    j->gap.tail_ms = number(r, gap, sub, "tail_ms", NAN);
    j->gap.handoff_ms = number(r, gap, sub, "handoff_ms", NAN);
    j->gap.dequeue_ms = number(r, gap, sub, "dequeue_ms", NAN);
    j->gap.setup_ms = number(r, gap, sub, "setup_ms", NAN);
    j->gap.first_batch_ms = number(r, gap, sub, "first_batch_ms", NAN);
    j->gap.first_batch_ready = absent(json_object_get(gap, "first_batch_ready"))
                                   ? -1
                                   : boolean(r, gap, sub, "first_batch_ready");
}

static void read_job(reader *r, json_t *o, const char *where, void *item)
{
    mb_res_job *j = item;
    j->id = text(r, o, where, "id", "");
    j->worker = text(r, o, where, "worker", "");
    j->status = text(r, o, where, "status", NULL);
    if (j->status == NULL)
        expected(r, where, "status", "a string");
    json_t *rep = json_object_get(o, "repetition");
    if (!json_is_integer(rep))
        expected(r, where, "repetition", "an integer");
    j->repetition = (int)json_integer_value(rep);
    j->batch_size = (int)number(r, o, where, "batch_size", 0);
    j->batch_size_used = (int)number(r, o, where, "batch_size_used", 0);
    j->images = (int)number(r, o, where, "images", 0);
    j->batches = (int)number(r, o, where, "batches", 0);
    j->embedding_dim = (int)number(r, o, where, "embedding_dim", 0);
    j->latency_ms = number(r, o, where, "latency_ms", NAN);
    j->wall_ms = number(r, o, where, "wall_ms", 0);
    j->decode_ms = number(r, o, where, "decode_ms", 0);
    j->preprocess_ms = number(r, o, where, "preprocess_ms", 0);
    j->transfer_ms = number(r, o, where, "transfer_ms", 0);
    j->forward_ms = number(r, o, where, "forward_ms", 0);
    j->checksum = number(r, o, where, "checksum", 0);
    j->peak_rss_bytes = number(r, o, where, "peak_rss_bytes", 0);
    j->peak_allocated_bytes = number(r, o, where, "peak_allocated_bytes", 0);
    j->peak_reserved_bytes = number(r, o, where, "peak_reserved_bytes", 0);
    j->reported_at_ms = number(r, o, where, "reported_at_ms", 0);
    j->decode = text(r, o, where, "decode", NULL);
    j->gpu_images = (int)number(r, o, where, "gpu_images", 0);
    read_gap(r, o, where, j);
    j->sent = text(r, o, where, "sent", NULL);
    j->held_ms = number(r, o, where, "held_ms", NAN);
    j->error = text(r, o, where, "error", NULL);
    read_oom(r, o, where, j);
}

static void read_verdict(reader *r, json_t *o, const char *where, mb_res_verdict *v)
{
    v->verdict = text(r, o, where, "verdict", "not_comparable");
    v->test = text(r, o, where, "test", NULL);
    v->reason = text(r, o, where, "reason", NULL);
    v->baseline_median = number(r, o, where, "baseline_median", NAN);
    v->current_median = number(r, o, where, "current_median", NAN);
    v->mde = number(r, o, where, "mde", NAN);
    v->change = number(r, o, where, "change", NAN);
    v->ci_low = number(r, o, where, "ci_low", NAN);
    v->ci_high = number(r, o, where, "ci_high", NAN);
    v->p_value = number(r, o, where, "p_value", NAN);
    v->threshold = number(r, o, where, "threshold", NAN);
}

/* The throughputs: "images_per_second" lists the successful repetitions;
 * "repetitions" (newer files) every repetition, a failed one with null. */
static void read_throughput(reader *r, json_t *o, const char *where, mb_res_cell *c)
{
    char sub[96];
    json_t *ips = member(r, o, where, "images_per_second", true), *v;
    size_t i;
    c->ips = mb_calloc(json_array_size(ips) + 1, sizeof *c->ips);
    json_array_foreach(ips, i, v) {
        snprintf(sub, sizeof sub, "%s.images_per_second[%zu]", where, i);
        if (json_is_number(v))
            c->ips[c->n_ips++] = json_number_value(v);
        else if (!json_is_null(v))
            expected(r, sub, "", "a number");
    }
    json_t *reps = member(r, o, where, "repetitions", true);
    c->reps = mb_calloc(json_array_size(reps) + 1, sizeof *c->reps);
    json_array_foreach(reps, i, v) {
        snprintf(sub, sizeof sub, "%s.repetitions[%zu]", where, i);
        if (!json_is_object(v)) {
            expected(r, sub, "", "an object");
            continue;
        }
        mb_res_rep *rep = &c->reps[c->n_reps++];
        rep->round = (int)number(r, v, sub, "round", 0);
        rep->images_per_second = number(r, v, sub, "images_per_second", NAN);
    }
}

/* How the cell searched: its adaptive stop and its frontier search. */
static void read_searches(reader *r, json_t *o, const char *where, mb_res_cell *c)
{
    char sub[160];
    json_t *a = member(r, o, where, "adaptive", false);
    c->adaptive = a != NULL;
    snprintf(sub, sizeof sub, "%s.adaptive", where);
    c->adapt.min = (int)number(r, a, sub, "min", 0);
    c->adapt.max = (int)number(r, a, sub, "max", 0);
    c->adapt.target_ci = number(r, a, sub, "target_ci", NAN);
    c->adapt.stopped_early = boolean(r, a, sub, "stopped_early");
    c->adapt.repetitions_saved = (int)number(r, a, sub, "repetitions_saved", 0);
    c->adapt.seconds_saved = number(r, a, sub, "seconds_saved", 0);
    json_t *f = member(r, o, where, "frontier", false);
    c->frontier = f != NULL;
    snprintf(sub, sizeof sub, "%s.frontier", where);
    c->largest_batch = (int)number(r, f, sub, "largest_batch", 0);
    c->first_failing_batch = (int)number(r, f, sub, "first_failing_batch", 0);
}

static void read_cell(reader *r, json_t *o, const char *where, void *item)
{
    mb_res_cell *c = item;
    c->name = text(r, o, where, "name", NULL);
    if (c->name == NULL) {
        expected(r, where, "name", "a string");
        c->name = mb_strdup("?");
    }
    c->scenario = text(r, o, where, "scenario", "");
    c->device = text(r, o, where, "device", "");
    c->model = text(r, o, where, "model", "");
    c->precision = text(r, o, where, "precision", "fp32");
    c->side = text(r, o, where, "side", NULL);
    c->verdict = text(r, o, where, "verdict", "fail");
    c->reason = text(r, o, where, "reason", NULL);
    c->skip_reason = text(r, o, where, "skip_reason", NULL);
    c->expect_oom = text(r, o, where, "expect_oom", "never");
    c->watermark_fix = boolean(r, o, where, "watermark_fix");
    c->batch_size = (int)number(r, o, where, "batch_size", 0);
    c->image_width = (int)number(r, o, where, "image_width", 0);
    c->image_height = (int)number(r, o, where, "image_height", 0);
    c->images_per_job = (int)number(r, o, where, "images_per_job", 0);
    c->input_size = (int)number(r, o, where, "input_size", 0);
    c->memory_limit_bytes = number(r, o, where, "memory_limit_bytes", 0);
    c->expect_regression = number(r, o, where, "expect_regression", NAN);
    char sub[96];
    snprintf(sub, sizeof sub, "%s.counts", where);
    json_t *counts = member(r, o, where, "counts", false);
    c->n_ok = (int)number(r, counts, sub, "ok", 0);
    c->n_oom = (int)number(r, counts, sub, "oom", 0);
    c->n_crashed = (int)number(r, counts, sub, "crashed", 0);
    c->n_timeout = (int)number(r, counts, sub, "timeout", 0);
    c->n_error = (int)number(r, counts, sub, "error", 0);
    c->n_skipped = (int)number(r, counts, sub, "skipped", 0);
    c->n_interrupted = (int)number(r, counts, sub, "interrupted", 0);
    read_kvs(r, o, where, "axes", &c->axes, &c->n_axes);
    read_kvs(r, o, where, "env", &c->env, &c->n_env);
    read_throughput(r, o, where, c);
    c->jobs = each_object(r, o, where, "jobs", sizeof *c->jobs, &c->n_jobs, read_job, false);
    json_t *cmp = member(r, o, where, "baseline", false);
    if (cmp != NULL) {
        snprintf(sub, sizeof sub, "%s.baseline", where);
        c->compared = true;
        read_verdict(r, cmp, sub, &c->baseline);
    }
    read_searches(r, o, where, c);
}

static void read_process(reader *r, json_t *o, const char *where, void *item)
{
    mb_res_process *p = item;
    p->role = text(r, o, where, "role", "child");
    json_t *pid = json_object_get(o, "pid"), *start = json_object_get(o, "start");
    if (!json_is_integer(pid))
        expected(r, where, "pid", "an integer");
    if (!json_is_integer(start))
        expected(r, where, "start", "an integer");
    p->pid = (long)json_integer_value(pid);
    p->start = (unsigned long long)json_integer_value(start);
}

/* What the run was and what it started: the scenarios, the schedule's
 * order and seed, the command line's overrides, redis, the processes. */
static void read_provenance(reader *r, json_t *root, mb_res_run *run)
{
    json_t *list = member(r, root, "", "scenarios", true), *v;
    size_t i;
    run->scenarios = mb_calloc(json_array_size(list) + 1, sizeof *run->scenarios);
    json_array_foreach(list, i, v) {
        char sub[32];
        snprintf(sub, sizeof sub, "scenarios[%zu]", i);
        if (!json_is_string(v))
            expected(r, sub, "", "a string");
        else
            run->scenarios[run->n_scenarios++] = mb_strdup(json_string_value(v));
    }
    run->jobs_enqueued = (long)number(r, root, "", "jobs_enqueued", -1);
    json_t *sched = member(r, root, "", "schedule", false);
    run->order = text(r, sched, "schedule", "order", NULL);
    run->seed = text(r, sched, "schedule", "seed", NULL);
    run->max_live_workers = (int)number(r, sched, "schedule", "max_live_workers", 0);
    run->fallback = text(r, sched, "schedule", "fallback", NULL);
    json_t *ov = member(r, root, "", "overrides", false);
    run->override_jobs = (long)number(r, ov, "overrides", "jobs", -1);
    run->override_warmup_jobs = (long)number(r, ov, "overrides", "warmup_jobs", -1);
    run->override_repetitions = (long)number(r, ov, "overrides", "repetitions", -1);
    json_t *redis = member(r, root, "", "redis", false);
    char *kind = text(r, redis, "redis", "kind", "embedded");
    run->redis_external = strcmp(kind, "external") == 0;
    free(kind);
    run->redis_pid = (long)number(r, redis, "redis", "pid", 0);
    json_t *harness = member(r, root, "", "harness", false);
    run->has_harness = harness != NULL;
    if (harness != NULL)
        read_process(r, harness, "harness", &run->harness);
    run->processes = each_object(r, root, "", "processes", sizeof *run->processes,
                                 &run->n_processes, read_process, false);
}

static void read_worker(reader *r, json_t *o, const char *where, void *item)
{
    mb_res_worker *k = item;
    k->device_description = text(r, o, where, "device_description", NULL);
    k->model = text(r, o, where, "model", NULL);
}

static void read_contrast(reader *r, json_t *o, const char *where, void *item)
{
    mb_res_contrast *k = item;
    k->name = text(r, o, where, "name", NULL);
    k->axis = text(r, o, where, "axis", NULL);
    k->verdict = text(r, o, where, "verdict", NULL);
    k->summary = text(r, o, where, "summary", NULL);
    k->change = number(r, o, where, "change", NAN);
    k->ci_low = number(r, o, where, "ci_low", NAN);
    k->ci_high = number(r, o, where, "ci_high", NAN);
    k->p_value = number(r, o, where, "p_value", NAN);
    k->mde = number(r, o, where, "mde", NAN);
    k->threshold = number(r, o, where, "threshold", NAN);
    k->reason = text(r, o, where, "reason", NULL);
    k->rounds = number(r, o, where, "rounds", NAN);
    json_t *g = member(r, o, where, "gate", false);
    if (g == NULL)
        return;
    char sub[160];
    snprintf(sub, sizeof sub, "%s.gate", where);
    k->gated = true;
    k->gate.verdict = text(r, g, sub, "verdict", NULL);
    if (k->gate.verdict == NULL)
        expected(r, sub, "verdict", "a string");
    k->gate.summary = text(r, g, sub, "summary", NULL);
    k->gate.reason = text(r, g, sub, "reason", NULL);
    k->gate.max_cost = number(r, g, sub, "max_cost", NAN);
    k->gate.cost = number(r, g, sub, "cost", NAN);
    k->gate.cost_low = number(r, g, sub, "cost_low", NAN);
    k->gate.cost_high = number(r, g, sub, "cost_high", NAN);
    k->gate.mde = number(r, g, sub, "mde", NAN);
    k->gate.rounds = number(r, g, sub, "rounds", NAN);
}

static void read_header(reader *r, json_t *root, mb_res_run *run)
{
    read_provenance(r, root, run);
    run->status = text(r, root, "", "status", "incomplete");
    run->written_at = text(r, root, "", "written_at", "");
    run->torch_version = text(r, root, "", "torch_version", NULL);
    json_t *m = member(r, root, "", "machine", false);
    run->has_machine = m != NULL;
    run->os = text(r, m, "machine", "os", "");
    run->release = text(r, m, "machine", "release", "");
    run->arch = text(r, m, "machine", "arch", "");
    run->hostname = text(r, m, "machine", "hostname", "");
    run->cpus = (int)number(r, m, "machine", "cpus", 0);
    /* A hello record that was not JSON is kept as its text: no fields. */
    run->workers = each_object(r, root, "", "workers", sizeof *run->workers, &run->n_workers,
                               read_worker, true);
    run->contrasts = each_object(r, root, "", "contrasts", sizeof *run->contrasts,
                                 &run->n_contrasts, read_contrast, false);
}

static void read_root(reader *r, json_t *root, mb_res_run *run)
{
    json_t *format = json_object_get(root, "format");
    if (!json_is_integer(format) || json_integer_value(format) != MB_RES_FORMAT) {
        if (r->rc == 0)
            r->rc = mb_err_set(r->err, MB_EINVAL, "%s: format: %d is expected (this is not a "
                               "run.json this mpsbench writes)", r->path, MB_RES_FORMAT);
        return;
    }
    if (member(r, root, "", "cells", true) == NULL)
        expected(r, "", "cells", "an array");
    read_header(r, root, run);
    run->cells = each_object(r, root, "", "cells", sizeof *run->cells, &run->n_cells, read_cell,
                             false);
    for (size_t i = 0; i < run->n_cells; i++)
        run->any_compared |= run->cells[i].compared;
}

int mb_res_run_load_file(const char *path, mb_res_run *out, mb_err *err)
{
    mb_res_run_init(out);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    reader r = {.path = path, .err = err};
    if (root == NULL && jerr.line <= 0)
        r.rc = mb_err_set(err, MB_EIO, "%s: %s", path, jerr.text);
    else if (root == NULL)
        r.rc = mb_err_set(err, MB_EINVAL, "%s:%d:%d: not valid JSON: %s", path, jerr.line,
                          jerr.column, jerr.text);
    else if (!json_is_object(root))
        r.rc = mb_err_set(err, MB_EINVAL, "%s: not a run.json (the top level is not an object)",
                          path);
    else
        read_root(&r, root, out);
    json_decref(root);
    if (r.rc != 0) {
        mb_res_run_free(out);
        return r.rc;
    }
    out->path = mb_strdup(path);
    const char *slash = strrchr(path, '/');
    out->dir = slash ? mb_strndup(path, (size_t)(slash - path)) : mb_strdup(".");
    return 0;
}

int mb_res_run_load(const char *run_dir, mb_res_run *out, mb_err *err)
{
    char *path = mb_res_run_json_path(run_dir);
    int rc = mb_res_run_load_file(path, out, err);
    if (rc == 0) {
        free(out->dir);
        out->dir = mb_strdup(run_dir);
    }
    free(path);
    return rc;
}

static void free_cell(mb_res_cell *c)
{
    free(c->name);
    free(c->scenario);
    free(c->device);
    free(c->model);
    free(c->precision);
    free(c->side);
    free(c->verdict);
    free(c->reason);
    free(c->skip_reason);
    free(c->expect_oom);
    for (size_t i = 0; i < c->n_axes; i++) {
        free(c->axes[i].key);
        free(c->axes[i].value);
    }
    for (size_t i = 0; i < c->n_env; i++) {
        free(c->env[i].key);
        free(c->env[i].value);
    }
    free(c->axes);
    free(c->env);
    free(c->ips);
    free(c->reps);
    for (size_t i = 0; i < c->n_jobs; i++) {
        mb_res_job *j = &c->jobs[i];
        free(j->id);
        free(j->worker);
        free(j->status);
        free(j->decode);
        free(j->sent);
        free(j->error);
        free(j->oom_kind);
    }
    free(c->jobs);
    free(c->baseline.verdict);
    free(c->baseline.test);
    free(c->baseline.reason);
}

void mb_res_run_free(mb_res_run *run)
{
    if (run == NULL)
        return;
    for (size_t i = 0; i < run->n_cells; i++)
        free_cell(&run->cells[i]);
    for (size_t i = 0; i < run->n_workers; i++) {
        free(run->workers[i].device_description);
        free(run->workers[i].model);
    }
    for (size_t i = 0; i < run->n_contrasts; i++) {
        mb_res_contrast *c = &run->contrasts[i];
        free(c->name);
        free(c->axis);
        free(c->verdict);
        free(c->summary);
        free(c->reason);
        free(c->gate.verdict);
        free(c->gate.summary);
        free(c->gate.reason);
    }
    for (size_t i = 0; i < run->n_scenarios; i++)
        free(run->scenarios[i]);
    for (size_t i = 0; i < run->n_processes; i++)
        free(run->processes[i].role);
    free(run->harness.role);
    free(run->scenarios);
    free(run->processes);
    free(run->order);
    free(run->seed);
    free(run->fallback);
    free(run->cells);
    free(run->workers);
    free(run->contrasts);
    free(run->path);
    free(run->dir);
    free(run->status);
    free(run->written_at);
    free(run->os);
    free(run->release);
    free(run->arch);
    free(run->hostname);
    free(run->torch_version);
    mb_res_run_init(run);
}

void mb_res_run_init(mb_res_run *run)
{
    memset(run, 0, sizeof *run);
    run->jobs_enqueued = -1;
    run->override_jobs = run->override_warmup_jobs = run->override_repetitions = -1;
}

bool mb_res_run_unfinished(const mb_res_run *run)
{
    return strcmp(run->status, "incomplete") == 0 || strcmp(run->status, "running") == 0;
}

const mb_res_cell *mb_res_run_cell(const mb_res_run *run, const char *name)
{
    for (size_t i = 0; i < run->n_cells; i++)
        if (strcmp(run->cells[i].name, name) == 0)
            return &run->cells[i];
    return NULL;
}

char *mb_res_run_json_path(const char *run_dir)
{
    return mb_asprintf("%s/run.json", run_dir);
}

char *mb_res_run_json_beside(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? mb_asprintf("%.*s/run.json", (int)(slash - file), file) : mb_strdup("run.json");
}

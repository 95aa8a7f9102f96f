/* The one writer of run.json.  The runner rewrites the file as the run goes
 * (status "running" at the start and as each worker says hello, then the
 * final status), and a later run marks a dead run's file "incomplete"; both
 * go through here, so every run.json on disk carries the format this
 * module reads, and is replaced atomically: a reader, or a harness killed
 * mid-write, sees the previous whole file or the new one, never half. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_dir.h"
#include "stats.h"

static json_t *text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* A figure that could not be measured is null, not a made-up 0. */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A count the model holds as a double (NAN: absent), written as an integer. */
static json_t *count_or_null(double v)
{
    return isfinite(v) ? json_integer((json_int_t)v) : json_null();
}

static json_t *names_json(const char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

/* schedule.rounds: one list of cell names per round (a NULL in ran closes
 * one; a sequential run is one round), an unclosed last round kept only
 * when it holds a name. */
static json_t *rounds_json(const mb_res_parts *parts)
{
    json_t *rounds = json_array(), *round = json_array();
    for (size_t i = 0; i < parts->n_ran; i++) {
        if (parts->ran[i] != NULL) {
            json_array_append_new(round, json_string(parts->ran[i]));
            continue;
        }
        json_array_append_new(rounds, round);
        round = json_array();
    }
    if (json_array_size(round) > 0)
        json_array_append_new(rounds, round);
    else
        json_decref(round);
    return rounds;
}

/* A hello record that is not JSON is kept as its text. */
static json_t *workers_json(const mb_res_parts *parts)
{
    json_t *a = json_array();
    for (size_t i = 0; i < parts->n_hellos; i++) {
        json_t *hello = json_loads(parts->hellos[i], 0, NULL);
        json_array_append_new(a, hello ? hello : json_string(parts->hellos[i]));
    }
    return a;
}

static json_t *gate_json(const mb_res_gate *g)
{
    json_t *o = json_pack("{s:s, s:o, s:o}", "verdict", g->verdict ? g->verdict : "inconclusive",
                          "summary", text_or_null(g->summary), "rounds", count_or_null(g->rounds));
    const struct { const char *name; double v; } f[] = {
        {"max_cost", g->max_cost}, {"cost", g->cost}, {"cost_low", g->cost_low},
        {"cost_high", g->cost_high}, {"mde", g->mde},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        json_object_set_new(o, f[k].name, real_or_null(f[k].v));
    json_object_set_new(o, "reason", text_or_null(g->reason));
    return o;
}

static json_t *contrasts_json(const mb_res_run *run)
{
    json_t *a = json_array();
    for (size_t i = 0; i < run->n_contrasts; i++) {
        const mb_res_contrast *c = &run->contrasts[i];
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "name", text_or_null(c->name), "axis",
                              text_or_null(c->axis), "verdict", text_or_null(c->verdict),
                              "summary", text_or_null(c->summary), "rounds",
                              count_or_null(c->rounds));
        const struct { const char *name; double v; } f[] = {
            {"change", c->change}, {"ci_low", c->ci_low}, {"ci_high", c->ci_high},
            {"p_value", c->p_value}, {"mde", c->mde}, {"threshold", c->threshold},
        };
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            json_object_set_new(o, f[k].name, real_or_null(f[k].v));
        if (c->reason != NULL)
            json_object_set_new(o, "reason", json_string(c->reason));
        if (c->gated)
            json_object_set_new(o, "gate", gate_json(&c->gate));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *process_json(const mb_res_process *p)
{
    return json_pack("{s:s, s:I, s:I}", "role", p->role ? p->role : "child", "pid",
                     (json_int_t)p->pid, "start", (json_int_t)p->start);
}

static json_t *machine_json(const mb_res_run *run)
{
    json_t *m = json_object();
    if (run->os != NULL && *run->os) {
        json_object_set_new(m, "os", json_string(run->os));
        json_object_set_new(m, "release", json_string(run->release ? run->release : ""));
        json_object_set_new(m, "arch", json_string(run->arch ? run->arch : ""));
        json_object_set_new(m, "hostname", json_string(run->hostname ? run->hostname : ""));
    }
    json_object_set_new(m, "cpus", json_integer(run->cpus));
    return m;
}

static json_t *kvs_json(const mb_res_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, json_string(kv[i].value ? kv[i].value : ""));
    return o;
}

/* Sets key to a real; a figure that is not finite leaves the key out, as
 * json_real refuses it. */
static void set_real(json_t *o, const char *key, double v)
{
    if (isfinite(v))
        json_object_set_new(o, key, json_real(v));
}

/* What the OOM message said; a figure it did not give is null. */
static json_t *oom_json(const mb_res_job *j)
{
    json_t *oom = json_pack("{s:s}", "kind", j->oom_kind);
    const struct { const char *name; double v; } f[] = {
        {"allocated_bytes", j->oom_allocated}, {"other_bytes", j->oom_other},
        {"max_allowed_bytes", j->oom_max_allowed}, {"tried_bytes", j->oom_tried},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(oom, f[i].name, f[i].v >= 0 ? json_real(f[i].v) : json_null());
    return oom;
}

static json_t *gap_json(const mb_res_gap *g)
{
    json_t *o = json_pack("{s:b}", "prefetched", g->prefetched);
    set_real(o, "tail_ms", g->tail_ms);
    set_real(o, "handoff_ms", g->handoff_ms);
    set_real(o, "dequeue_ms", g->dequeue_ms);
    set_real(o, "setup_ms", g->setup_ms);
    set_real(o, "first_batch_ms", g->first_batch_ms);
    if (g->first_batch_ready >= 0)
        json_object_set_new(o, "first_batch_ready", json_boolean(g->first_batch_ready));
    return o;
}

static json_t *job_json(const mb_res_job *j)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "id", j->id ? j->id : "", "worker",
                          j->worker ? j->worker : "", "status", j->status ? j->status : "error",
                          "repetition", j->repetition);
    set_real(o, "latency_ms", j->latency_ms);
    json_object_set_new(o, "images", json_integer(j->images));
    json_object_set_new(o, "batches", json_integer(j->batches));
    const struct { const char *name; double v; } ms[] = {
        {"wall_ms", j->wall_ms}, {"decode_ms", j->decode_ms},
        {"preprocess_ms", j->preprocess_ms}, {"transfer_ms", j->transfer_ms},
        {"forward_ms", j->forward_ms}, {"checksum", j->checksum},
    };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        set_real(o, ms[i].name, ms[i].v);
    json_object_set_new(o, "peak_rss_bytes", json_integer((json_int_t)j->peak_rss_bytes));
    json_object_set_new(o, "peak_allocated_bytes",
                        json_integer((json_int_t)j->peak_allocated_bytes));
    json_object_set_new(o, "peak_reserved_bytes", json_integer((json_int_t)j->peak_reserved_bytes));
    json_object_set_new(o, "batch_size", json_integer(j->batch_size));
    json_object_set_new(o, "embedding_dim", json_integer(j->embedding_dim));
    if (j->decode != NULL) {
        json_object_set_new(o, "decode", json_string(j->decode));
        json_object_set_new(o, "gpu_images", json_integer(j->gpu_images));
    }
    if (j->has_gap)
        json_object_set_new(o, "gap", gap_json(&j->gap));
    if (j->sent != NULL) {
        json_object_set_new(o, "sent", json_string(j->sent));
        set_real(o, "held_ms", j->held_ms);
    }
    if (j->batch_size_used > 0)
        json_object_set_new(o, "batch_size_used", json_integer(j->batch_size_used));
    set_real(o, "reported_at_ms", j->reported_at_ms);
    if (j->repetition < 0)
        json_object_set_new(o, "warmup", json_true());
    if (j->error != NULL)
        json_object_set_new(o, "error", json_string(j->error));
    if (j->oom_kind != NULL)
        json_object_set_new(o, "oom", oom_json(j));
    return o;
}

/* The job counts by status, every status named (protocol's order). */
static json_t *counts_json(const mb_res_cell *c)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "ok", c->n_ok, "oom", c->n_oom,
                     "error", c->n_error, "crashed", c->n_crashed, "timeout", c->n_timeout,
                     "skipped", c->n_skipped, "interrupted", c->n_interrupted);
}

static json_t *verdict_json(const mb_res_verdict *v)
{
    json_t *o = json_pack("{s:s}", "verdict", v->verdict ? v->verdict : "not_comparable");
    if (v->test != NULL)
        json_object_set_new(o, "test", json_string(v->test));
    const struct { const char *name; double v; } f[] = {
        {"baseline_median", v->baseline_median}, {"current_median", v->current_median},
        {"change", v->change}, {"ci_low", v->ci_low}, {"ci_high", v->ci_high},
        {"p_value", v->p_value}, {"mde", v->mde}, {"threshold", v->threshold},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(o, f[i].name, real_or_null(f[i].v));
    if (v->reason != NULL)
        json_object_set_new(o, "reason", json_string(v->reason));
    return o;
}

/* The throughputs: the successful repetitions' (images_per_second, and
 * their median), and every repetition in its round with null for one that
 * failed, so that a failed repetition is never read as a fast one. */
static void throughput_json(json_t *o, const mb_res_cell *c, bool repetitions)
{
    if (!repetitions) {
        json_t *ips = json_array();
        for (size_t i = 0; i < c->n_ips; i++)
            json_array_append_new(ips, json_real(c->ips[i]));
        json_object_set_new(o, "images_per_second", ips);
        return;
    }
    json_t *reps = json_array();
    for (size_t i = 0; i < c->n_reps; i++)
        json_array_append_new(reps, json_pack("{s:i, s:o}", "round", c->reps[i].round,
                                              "images_per_second",
                                              real_or_null(c->reps[i].images_per_second)));
    json_object_set_new(o, "repetitions", reps);
}

/* What the cell is beyond its name: model, images, limits, expectations. */
static void setup_json(json_t *o, const mb_res_cell *c)
{
    json_object_set_new(o, "expect_oom", json_string(c->expect_oom ? c->expect_oom : "never"));
    json_object_set_new(o, "model", json_string(c->model ? c->model : ""));
    json_object_set_new(o, "input_size", json_integer(c->input_size));
    json_object_set_new(o, "images_per_job", json_integer(c->images_per_job));
    json_object_set_new(o, "precision", json_string(c->precision ? c->precision : "fp32"));
    json_object_set_new(o, "memory_limit_bytes", json_integer((json_int_t)c->memory_limit_bytes));
    set_real(o, "expect_regression", c->expect_regression);
    json_object_set_new(o, "env", kvs_json(c->env, c->n_env));
    if (c->n_ips > 0)
        json_object_set_new(o, "images_per_second_median",
                            json_real(mb_stats_median(c->ips, c->n_ips)));
}

static json_t *cell_json(const mb_res_cell *c)
{
    json_t *jobs = json_array();
    for (size_t i = 0; i < c->n_jobs; i++)
        json_array_append_new(jobs, job_json(&c->jobs[i]));
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:b, s:i, s:i, s:i, s:s, s:o}",
                          "name", c->name, "scenario", c->scenario ? c->scenario : "",
                          "axes", kvs_json(c->axes, c->n_axes), "device", c->device ? c->device : "",
                          "watermark_fix", c->watermark_fix, "batch_size", c->batch_size,
                          "image_width", c->image_width, "image_height", c->image_height,
                          "verdict", c->verdict ? c->verdict : "fail", "counts", counts_json(c));
    throughput_json(o, c, false);
    json_object_set_new(o, "jobs", jobs);
    setup_json(o, c);
    if (c->reason != NULL)
        json_object_set_new(o, "reason", json_string(c->reason));
    if (c->skip_reason != NULL)
        json_object_set_new(o, "skip_reason", json_string(c->skip_reason));
    const mb_res_adaptive *a = &c->adapt;
    if (c->adaptive)
        json_object_set_new(o, "adaptive", json_pack("{s:i, s:i, s:f, s:b, s:i, s:f}", "min",
                                                     a->min, "max", a->max, "target_ci",
                                                     a->target_ci, "stopped_early",
                                                     a->stopped_early, "repetitions_saved",
                                                     a->repetitions_saved, "seconds_saved",
                                                     a->seconds_saved));
    throughput_json(o, c, true);
    json_object_set_new(o, "side", json_string(c->side ? c->side : "baseline"));
    if (c->compared)
        json_object_set_new(o, "baseline", verdict_json(&c->baseline));
    if (c->frontier)
        json_object_set_new(o, "frontier",
                            json_pack("{s:i, s:o}", "largest_batch", c->largest_batch,
                                      "first_failing_batch",
                                      c->first_failing_batch ? json_integer(c->first_failing_batch)
                                                             : json_null()));
    return o;
}

static json_t *cells_json(const mb_res_run *run)
{
    json_t *a = json_array();
    for (size_t i = 0; i < run->n_cells; i++)
        json_array_append_new(a, cell_json(&run->cells[i]));
    return a;
}

/* The schedule: the order, its seed (as text: 64 bits do not survive a
 * JSON number in every reader), the rounds the runner records. */
static json_t *schedule_json(const mb_res_run *run, const mb_res_parts *parts)
{
    json_t *o = json_pack("{s:o, s:o, s:i, s:o}", "order", text_or_null(run->order), "seed",
                          text_or_null(run->seed), "max_live_workers", run->max_live_workers,
                          "fallback", text_or_null(run->fallback));
    json_object_set_new(o, "rounds", rounds_json(parts));
    json_object_set_new(o, "fresh_workers", names_json(parts->fresh_workers,
                                                       parts->n_fresh_workers));
    return o;
}

/* Only the overrides given: an empty object means every cell ran as its
 * scenario says. */
static json_t *overrides_json(const mb_res_run *run)
{
    json_t *o = json_object();
    if (run->override_jobs >= 0)
        json_object_set_new(o, "jobs", json_integer(run->override_jobs));
    if (run->override_warmup_jobs >= 0)
        json_object_set_new(o, "warmup_jobs", json_integer(run->override_warmup_jobs));
    if (run->override_repetitions >= 0)
        json_object_set_new(o, "repetitions", json_integer(run->override_repetitions));
    return o;
}

static json_t *run_json(const mb_res_run *run, const mb_res_parts *parts)
{
    json_t *scenarios = json_array();
    for (size_t i = 0; i < run->n_scenarios; i++)
        json_array_append_new(scenarios, json_string(run->scenarios[i]));
    json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "status",
                          run->status ? run->status : "running", "written_at",
                          run->written_at ? run->written_at : "", "machine", machine_json(run),
                          "scenarios", scenarios);
    json_object_set_new(o, "cells", cells_json(run));
    json_t *devices = parts->devices ? json_loads(parts->devices, 0, NULL) : NULL;
    json_object_set_new(o, "torch_version", text_or_null(run->torch_version));
    json_object_set_new(o, "devices", devices ? devices : json_null());
    json_object_set_new(o, "workers", workers_json(parts));
    json_object_set_new(o, "jobs_enqueued", json_integer(run->jobs_enqueued));
    json_object_set_new(o, "schedule", schedule_json(run, parts));
    json_object_set_new(o, "contrasts", contrasts_json(run));
    json_object_set_new(o, "overrides", overrides_json(run));
    json_object_set_new(o, "redis", run->redis_external
                                        ? json_pack("{s:s}", "kind", "external")
                                        : json_pack("{s:s, s:I}", "kind", "embedded", "pid",
                                                    (json_int_t)run->redis_pid));
    if (run->has_harness)
        json_object_set_new(o, "harness", process_json(&run->harness));
    json_t *list = json_array();
    for (size_t i = 0; i < run->n_processes; i++)
        json_array_append_new(list, process_json(&run->processes[i]));
    json_object_set_new(o, "processes", list);
    return o;
}

/* The one place the format is stamped: first, where a reader looks for
 * it, then the document's other keys in their order. */
static int write_doc(const char *path, json_t *doc, mb_err *err)
{
    json_t *out = json_pack("{s:i}", "format", MB_RES_FORMAT), *v;
    const char *key;
    json_object_foreach(doc, key, v)
        if (strcmp(key, "format") != 0)
            json_object_set(out, key, v);
    char *text = json_dumps(out, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    json_decref(out);
    if (text == NULL)
        return mb_err_set(err, MB_EIO, "cannot write %s: the document cannot be encoded", path);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int mb_res_run_write(const char *path, const mb_res_run *run, const mb_res_parts *parts,
                     mb_err *err)
{
    static const mb_res_parts none;
    if (parts == NULL)
        parts = &none;
    json_t *doc = run_json(run, parts);
    int rc = write_doc(path, doc, err);
    json_decref(doc);
    return rc;
}

/* Read raw, not through the model, which keeps only what readers need:
 * the rewrite must keep every key. */
int mb_res_run_mark_incomplete(const char *path, const char *stopped_by, mb_err *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        return mb_err_set(err, jerr.line <= 0 ? MB_EIO : MB_EINVAL, "%s: %s", path, jerr.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return mb_err_set(err, MB_EINVAL, "%s: not a run.json (the top level is not an object)",
                          path);
    }
    json_object_set_new(doc, "status", json_string("incomplete"));
    json_object_set_new(doc, "stopped_by_a_later_run", json_string(stopped_by ? stopped_by : ""));
    int rc = write_doc(path, doc, err);
    json_decref(doc);
    return rc;
}

/* The run directory's own reports: run.json (every job's raw record) and
 * summary.md (for a CI job summary).  results.json is Google Benchmark's;
 * junit.xml and the exports are rendered from run.json (harness/report).
 * Every file is written atomically, so a run that dies still leaves the
 * last complete version. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "compare.h"
#include "mb_util.h"
#include "run_dir.h"
#include "run_private.h"
#include "stats.h"

static const char *verdict_name(cell_verdict v)
{
    return v == CELL_PASS ? "pass" : v == CELL_FAIL ? "fail"
         : v == CELL_INCOMPLETE ? "incomplete" : "skipped";
}

static json_t *record_json(const job_record *rec)
{
    const mb_result *r = &rec->result;
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:f, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
                          "id", r->job_id ? r->job_id : "",
                          "worker", r->worker_id ? r->worker_id : "",
                          "status", mb_job_status_name(r->status),
                          "repetition", rec->repetition,
                          "latency_ms", rec->latency_ms,
                          "images", r->images,
                          "batches", r->batches,
                          "wall_ms", r->wall_ms,
                          "decode_ms", r->decode_ms,
                          "preprocess_ms", r->preprocess_ms,
                          "transfer_ms", r->transfer_ms,
                          "forward_ms", r->forward_ms,
                          "checksum", r->checksum,
                          "peak_rss_bytes", (json_int_t)r->peak_rss_bytes,
                          "peak_allocated_bytes", (json_int_t)r->peak_allocated_bytes,
                          "peak_reserved_bytes", (json_int_t)r->peak_reserved_bytes);
    json_object_set_new(o, "batch_size", json_integer(rec->batch_size));
    json_object_set_new(o, "embedding_dim", json_integer(r->embedding_dim));
    if (r->decode != MB_DECODE_AUTO) {
        json_object_set_new(o, "decode", json_string(mb_decode_mode_name(r->decode)));
        json_object_set_new(o, "gpu_images", json_integer(r->gpu_images));
    }
    /* The worker's gap by stage before this job (PROTOCOL.md, issue 18). */
    if (r->has_gap)
        json_object_set_new(o, "gap", json_pack("{s:b, s:f, s:f, s:f, s:f, s:f}",
                                                "prefetched", r->prefetched,
                                                "tail_ms", r->gap_tail_ms,
                                                "handoff_ms", r->gap_handoff_ms,
                                                "dequeue_ms", r->gap_dequeue_ms,
                                                "setup_ms", r->gap_setup_ms,
                                                "first_batch_ms", r->gap_first_batch_ms));
    if (r->batch_size > 0 && r->batch_size != rec->batch_size)
        json_object_set_new(o, "batch_size_used", json_integer(r->batch_size));
    json_object_set_new(o, "reported_at_ms", json_real(rec->reported_at_ms));
    if (rec->repetition < 0)
        json_object_set_new(o, "warmup", json_true());
    if (r->error != NULL)
        json_object_set_new(o, "error", json_string(r->error));
    if (rec->oom.kind != MB_OOM_NONE) {
        /* Figures the message does not carry are null, not a made-up 0. */
        json_t *oom = json_pack("{s:s}", "kind", rec->paravirtual_limit ? "paravirtual_limit"
                                                     : mb_oom_kind_name(rec->oom.kind));
        const struct { const char *name; double v; } f[] = {
            {"allocated_bytes", rec->oom.allocated}, {"other_bytes", rec->oom.other},
            {"max_allowed_bytes", rec->oom.max_allowed}, {"tried_bytes", rec->oom.tried},
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            json_object_set_new(oom, f[i].name, f[i].v >= 0 ? json_real(f[i].v) : json_null());
        json_object_set_new(o, "oom", oom);
    }
    return o;
}

static json_t *cell_json(const cell_state *cs)
{
    const mb_cell *c = cs->cell;
    json_t *values = json_object();
    for (size_t i = 0; i < cs->scenario->n_axes; i++)
        json_object_set_new(values, cs->scenario->axes[i].name, json_string(c->values[i]));
    json_t *jobs = json_array();
    for (size_t i = 0; i < cs->n_records; i++)
        json_array_append_new(jobs, record_json(&cs->records[i]));
    json_t *counts = json_object();
    for (int s = MB_JOB_OK; s < MB_JOB_STATUS_COUNT; s++)
        json_object_set_new(counts, mb_job_status_name((mb_job_status)s), json_integer(cs->counts[s]));
    json_t *ips = json_array();
    for (size_t i = 0; i < cs->n_reps; i++)
        json_array_append_new(ips, json_real(cs->rep_images_per_s[i]));
    json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:b, s:i, s:i, s:i, s:s, s:o, s:o, s:o}",
                          "name", cs->bench_name,
                          "scenario", cs->scenario->name,
                          "axes", values,
                          "device", c->device,
                          "watermark_fix", c->watermark_fix,
                          "batch_size", c->batch_size,
                          "image_width", c->image_width,
                          "image_height", c->image_height,
                          "verdict", verdict_name(cs->verdict),
                          "counts", counts,
                          "images_per_second", ips,
                          "jobs", jobs);
    json_object_set_new(o, "expect_oom", json_string(c->expect.oom == MB_OOM_NEVER ? "never"
                                                     : c->expect.oom == MB_OOM_ALLOWED ? "allowed"
                                                     : "expected"));
    json_object_set_new(o, "model", json_string(cs->scenario->model));
    json_object_set_new(o, "input_size", json_integer(cs->scenario->input_size));
    json_object_set_new(o, "images_per_job", json_integer(cs->scenario->images.per_job));
    json_object_set_new(o, "precision", json_string(c->precision ? c->precision : "fp32"));
    json_object_set_new(o, "memory_limit_bytes", json_integer((json_int_t)c->run.memory_limit));
    json_object_set_new(o, "expect_regression", json_real(c->expect.regression));
    json_t *env = json_object();
    for (size_t i = 0; i < c->n_env; i++)
        json_object_set_new(env, c->env[i].key, json_string(c->env[i].value));
    json_object_set_new(o, "env", env);
    if (cs->n_reps > 0)
        json_object_set_new(o, "images_per_second_median",
                            json_real(mb_stats_median(cs->rep_images_per_s, cs->n_reps)));
    if (cs->verdict_reason != NULL)
        json_object_set_new(o, "reason", json_string(cs->verdict_reason));
    if (cs->skip_reason != NULL)
        json_object_set_new(o, "skip_reason", json_string(cs->skip_reason));
    if (cs->cell->run.target_ci > 0)
        json_object_set_new(o, "adaptive",
                            json_pack("{s:i, s:i, s:f, s:b, s:i, s:f}", "min", cs->cell->run.repetitions_min,
                                      "max", cs->cell->run.repetitions, "target_ci",
                                      cs->cell->run.target_ci, "stopped_early",
                                      cs->adaptive_stopped, "repetitions_saved", cs->reps_saved,
                                      "seconds_saved", cs->n_reps ? cs->rep_seconds /
                                      (double)cs->n_reps * cs->reps_saved : 0.0));
    /* Each repetition's round in the schedule and its throughput (null when
     * it did not finish), for pairing by round. */
    json_t *reps = json_array();
    for (int k = 0; k < cs->n_planned; k++) {
        const rep_record *rec = &cs->reps[k];
        json_array_append_new(reps, json_pack("{s:i, s:o}", "round", rec->round,
                                              "images_per_second",
                                              rec->outcome == REP_OK ? json_real(rec->images_per_s)
                                                                     : json_null()));
    }
    json_object_set_new(o, "repetitions", reps);
    json_object_set_new(o, "side", json_string(cs->candidate ? "candidate" : "baseline"));
    if (cs->compared != NULL) {
        const mb_compare_cell *cc = cs->compared;
        json_t *cmp = json_pack("{s:s}", "verdict", mb_verdict_name(cc->verdict));
        if (cc->test != NULL)
            json_object_set_new(cmp, "test", json_string(cc->test));
        const struct { const char *name; double v; } f[] = {
            {"baseline_median", cc->baseline_median}, {"current_median", cc->current_median},
            {"change", cc->change}, {"ci_low", cc->ci_low}, {"ci_high", cc->ci_high},
            {"p_value", cc->p_value}, {"mde", cc->mde}, {"threshold", cc->threshold},
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            json_object_set_new(cmp, f[i].name, isfinite(f[i].v) ? json_real(f[i].v) : json_null());
        if (cc->reason != NULL)
            json_object_set_new(cmp, "reason", json_string(cc->reason));
        json_object_set_new(o, "baseline", cmp);
    }
    if (cs->frontier)
        json_object_set_new(o, "frontier",
                            json_pack("{s:i, s:o}", "largest_batch", cs->largest_ok_batch,
                                      "first_failing_batch",
                                      cs->first_failing_batch ? json_integer(cs->first_failing_batch)
                                                              : json_null()));
    return o;
}

static int write_text(const run_ctx *run, const char *name, const char *text, mb_err *err)
{
    char *path = mb_asprintf("%s/%s", run->dir, name);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(path);
    return rc;
}

/* The order the repetitions ran in (run.json's "schedule"): interleaved,
 * one list of cell names per round, in the order they ran; sequential, one
 * list, the whole run. */
static json_t *rounds_json(const run_ctx *run)
{
    const run_schedule *s = &run->schedule;
    json_t *rounds = json_array();
    json_t *round = json_array();
    for (size_t i = 0; i < s->n_ran; i++) {
        if (s->ran[i] >= 0) {
            json_array_append_new(round, json_string(run->cells[s->ran[i]].bench_name));
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

/* The cells whose every repetition ran on a new worker process. */
static json_t *fresh_workers_json(const run_ctx *run)
{
    json_t *fresh = json_array();
    for (size_t i = 0; i < run->n_cells; i++)
        if (run->cells[i].fresh_worker && run->schedule.order == MB_ORDER_INTERLEAVED)
            json_array_append_new(fresh, json_string(run->cells[i].bench_name));
    return fresh;
}

static json_t *contrasts_json(const run_ctx *run)
{
    json_t *contrasts = json_array();
    for (size_t i = 0; run->contrasts != NULL && i < run->contrasts->n_cells; i++) {
        const mb_compare_cell *cc = &run->contrasts->cells[i];
        char *sentence = mb__contrast_sentence(run, i);
        json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", cc->cell, "axis",
                              run->contrast_axes[i], "verdict", mb_verdict_name(cc->verdict),
                              "summary", sentence, "rounds", (json_int_t)cc->n_baseline);
        free(sentence);
        const struct { const char *name; double v; } f[] = {
            {"change", cc->change}, {"ci_low", cc->ci_low}, {"ci_high", cc->ci_high},
            {"p_value", cc->p_value}, {"mde", cc->mde}, {"threshold", cc->threshold},
        };
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            json_object_set_new(c, f[k].name, isfinite(f[k].v) ? json_real(f[k].v) : json_null());
        if (cc->reason != NULL)
            json_object_set_new(c, "reason", json_string(cc->reason));
        const mb_contrast_gate *g = mb__contrast_gate_of(run, i);
        if (g != NULL)
            json_object_set_new(c, "gate", mb__contrast_gate_json(g));
        json_array_append_new(contrasts, c);
    }
    return contrasts;
}

/* The header of run.json (results/run_dir.h) from the run's state.  Only
 * the overrides given are recorded (0 is a value, not absence). */
static void fill_header(const run_ctx *run, const char *status, mb_res_run *h)
{
    struct utsname u;
    char when[32];
    mb_iso8601_now(when, sizeof when);
    h->status = mb_strdup(status);
    h->written_at = mb_strdup(when);
    if (uname(&u) == 0) {
        h->os = mb_strdup(u.sysname);
        h->release = mb_strdup(u.release);
        h->arch = mb_strdup(u.machine);
        h->hostname = mb_strdup(u.nodename);
    }
    h->cpus = mb_cpu_count();
    h->scenarios = mb_calloc(run->cfg->n_scenarios + 1, sizeof *h->scenarios);
    for (size_t i = 0; i < run->cfg->n_scenarios; i++)
        h->scenarios[h->n_scenarios++] = mb_strdup(run->cfg->scenarios[i]);
    h->torch_version = run->torch_version ? mb_strdup(run->torch_version) : NULL;
    /* Job ids j0 .. j<jobs_enqueued - 1>: each must be in one cell's jobs. */
    h->jobs_enqueued = run->next_job;
    const run_schedule *s = &run->schedule;
    h->order = mb_strdup(s->order == MB_ORDER_SEQUENTIAL ? "sequential" : "interleaved");
    h->seed = mb_asprintf("%llu", s->seed);
    h->max_live_workers = s->max_live_workers;
    h->fallback = s->fallback ? mb_strdup(s->fallback) : NULL;
    const mb_run_overrides *ov = &run->cfg->overrides;
    if (ov->jobs_set)
        h->override_jobs = ov->jobs;
    if (ov->warmup_jobs_set)
        h->override_warmup_jobs = ov->warmup_jobs;
    if (ov->repetitions_set)
        h->override_repetitions = ov->repetitions;
    h->redis_external = run->cfg->redis_url != NULL;
    h->redis_pid = (long)run->redis_pid;
    mb__leftovers_fill(run, h);
}

int mb__report_write_run_json(const run_ctx *run, const char *status, mb_err *err)
{
    mb_res_run h;
    mb_res_run_init(&h);
    fill_header(run, status, &h);
    mb_res_parts parts = {.cells = json_array(), .workers = json_array(),
                          .rounds = rounds_json(run), .fresh_workers = fresh_workers_json(run),
                          .contrasts = contrasts_json(run)};
    for (size_t i = 0; i < run->n_cells; i++)
        json_array_append_new(parts.cells, cell_json(&run->cells[i]));
    parts.devices = run->devices_json ? json_loads(run->devices_json, 0, NULL) : NULL;
    for (size_t i = 0; i < run->hellos.n; i++) {
        json_t *hello = json_loads(run->hellos.records[i], 0, NULL);
        json_array_append_new(parts.workers, hello ? hello : json_string(run->hellos.records[i]));
    }
    char *path = mb_res_run_json_path(run->dir);
    int rc = mb_res_run_write(path, &h, &parts, err);
    free(path);
    mb_res_run_free(&h);
    return rc;
}

static void format_bytes(double b, char *buf, size_t size)
{
    if (b <= 0)
        snprintf(buf, size, "–");
    else if (b >= 1073741824.0)
        snprintf(buf, size, "%.2f GiB", b / 1073741824.0);
    else
        snprintf(buf, size, "%.0f MiB", b / 1048576.0);
}

/* Text for one Markdown table cell: a '|' would end the cell and a line
 * break the row, so they are escaped and flattened; at most max bytes
 * (then "…"; run.json keeps the full text), cut on a UTF-8 boundary. */
static void md_cell(mb_strbuf *b, const char *text, size_t max)
{
    size_t n = 0;
    const char *p = text ? text : "";
    for (; *p && n < max; p++, n++) {
        if (*p == '|')
            mb_strbuf_printf(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            mb_strbuf_printf(b, " ");
        else
            mb_strbuf_printf(b, "%c", *p);
    }
    while (*p && ((unsigned char)*p & 0xC0) == 0x80)
        mb_strbuf_printf(b, "%c", *p++);
    if (*p)
        mb_strbuf_printf(b, "…");
}

/* The summary's short label of a cell: its scenario and the axes that have
 * no column of their own (device, fix, image and batch do), so a row does
 * not repeat the columns beside it.  The full name is in run.json and
 * results.json.  Heap string. */
static char *short_label(const cell_state *cs)
{
    static const char *const in_columns[] = {"embed", "device:", "fix:", "image:", "batch:"};
    mb_strbuf b = {0};
    mb_strbuf_add(&b, cs->scenario->name);
    const char *p = cs->bench_name + strlen(cs->scenario->name);
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        bool shown = true;
        for (size_t i = 0; i < sizeof in_columns / sizeof in_columns[0] && shown; i++) {
            size_t n = strlen(in_columns[i]);
            shown = !(len >= n && strncmp(p, in_columns[i], n) == 0 &&
                      (in_columns[i][n - 1] == ':' || len == n));
        }
        if (shown) {
            mb_strbuf_add(&b, " · ");
            mb_strbuf_add_n(&b, p, len);
        }
        p += len;
    }
    return b.s;
}

/* A contrast's name in the summary's sentence: the short label of its
 * first side, the columns' settings that the contrast keeps (device, fix,
 * image, batch: a sentence has no columns beside it, and the contrasted
 * axis is named by its values after the colon), then those values:
 * "fix · cpu 64x48 batch 2: on vs off".  The full name is in run.json. */
static char *contrast_label(const run_ctx *run, size_t i)
{
    const char *name = run->contrasts->cells[i].cell;
    const char *values = strstr(name, ": ");
    const cell_state *cs = NULL;
    for (size_t k = 0; values != NULL && k < run->n_cells && cs == NULL; k++) {
        size_t len = strlen(run->cells[k].bench_name);
        if ((size_t)(values - name) == len && strncmp(name, run->cells[k].bench_name, len) == 0)
            cs = &run->cells[k];
    }
    if (cs == NULL)
        return mb_strdup(name);
    static const char *const columns[] = {"device:", "fix:", "image:", "batch:"};
    static const char *const shown_as[] = {"", "fix ", "", "batch "};
    bool fix_axis = strcmp(run->contrast_axes[i], "watermark_fix") == 0;
    mb_strbuf b = {0};
    char *label = short_label(cs);
    mb_strbuf_add(&b, label);
    free(label);
    const char *sep = " · ";
    for (size_t k = 0; k < sizeof columns / sizeof columns[0]; k++) {
        const char *at = strstr(cs->bench_name, columns[k]);
        if (at == NULL || (k == 1 && fix_axis) || (at > cs->bench_name && at[-1] != '/'))
            continue;
        at += strlen(columns[k]);
        mb_strbuf_printf(&b, "%s%s%.*s", sep, shown_as[k], (int)strcspn(at, "/"), at);
        sep = " ";
    }
    mb_strbuf_add(&b, values);
    return b.s;
}

/* "Overrides: jobs 3, repetitions 2" when the command line changed the
 * scenario's run: settings, else nothing. */
static void summary_overrides(mb_strbuf *b, const mb_run_overrides *ov)
{
    if (!ov->jobs_set && !ov->warmup_jobs_set && !ov->repetitions_set)
        return;
    mb_strbuf_printf(b, "Command-line overrides of every cell:");
    const char *sep = " ";
    if (ov->repetitions_set) {
        mb_strbuf_printf(b, "%srepetitions %d", sep, ov->repetitions);
        sep = ", ";
    }
    if (ov->jobs_set) {
        mb_strbuf_printf(b, "%sjobs %d", sep, ov->jobs);
        sep = ", ";
    }
    if (ov->warmup_jobs_set)
        mb_strbuf_printf(b, "%swarm-up jobs %d", sep, ov->warmup_jobs);
    mb_strbuf_printf(b, ".\n\n");
}

/* Reasons in the summary's table are cut here; run.json has them whole. */
#define MB_SUMMARY_REASON_MAX 120

/* One row of the summary's cell table. */
static void summary_row(mb_strbuf *b, const cell_state *cs)
{
    const mb_cell *c = cs->cell;
    double ips = cs->n_reps ? mb_stats_median(cs->rep_images_per_s, cs->n_reps) : 0;
    double *lat = mb_calloc(cs->n_records + 1, sizeof *lat);
    size_t n_lat = 0;
    double rss = 0, dev = 0;
    for (size_t j = 0; j < cs->n_records; j++) {
        const job_record *rec = &cs->records[j];
        if (rec->repetition >= 0 && rec->result.status == MB_JOB_OK)
            lat[n_lat++] = rec->latency_ms;
        if ((double)rec->result.peak_rss_bytes > rss)
            rss = (double)rec->result.peak_rss_bytes;
        if ((double)rec->result.peak_allocated_bytes > dev)
            dev = (double)rec->result.peak_allocated_bytes;
    }
    char rss_text[32], dev_text[32], image[40];
    format_bytes(rss, rss_text, sizeof rss_text);
    format_bytes(dev, dev_text, sizeof dev_text);
    if (c->image_width > 0)
        snprintf(image, sizeof image, "%dx%d", c->image_width, c->image_height);
    else
        snprintf(image, sizeof image, "as is");
    char ips_text[32] = "–", lat_text[32] = "–";
    if (cs->n_reps)
        snprintf(ips_text, sizeof ips_text, "%.2f", ips);
    if (n_lat)
        snprintf(lat_text, sizeof lat_text, "%.1f", mb_stats_median(lat, n_lat));
    free(lat);
    const char *mark = cs->verdict == CELL_PASS ? "✅" : cs->verdict == CELL_FAIL ? "❌"
                      : cs->verdict == CELL_INCOMPLETE ? "⏸️" : "⏭️";
    char batch[16] = "frontier";
    if (!cs->frontier)
        snprintf(batch, sizeof batch, "%d", c->batch_size);
    char *label = short_label(cs);
    mb_strbuf_printf(b, "| `");
    md_cell(b, label, SIZE_MAX);
    free(label);
    mb_strbuf_printf(b, "` | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s %s%s",
              c->device, c->watermark_fix ? "on" : "off", image, batch,
              ips_text, lat_text, rss_text, dev_text, cs->counts[MB_JOB_OOM], mark,
              verdict_name(cs->verdict), cs->verdict_reason ? ": " : "");
    md_cell(b, cs->verdict_reason, MB_SUMMARY_REASON_MAX);
    mb_strbuf_printf(b, " |\n");
}

/* The frontier searches' own table, when the run has any. */
static void summary_frontier(mb_strbuf *b, const run_ctx *run)
{
    bool any_frontier = false;
    for (size_t i = 0; i < run->n_cells; i++)
        any_frontier |= run->cells[i].frontier;
    if (any_frontier) {
        mb_strbuf_printf(b, "\n### Largest batch that fits\n\n| search | device | fix | image | cap | "
                      "largest batch | first failing |\n|---|---|---|---|---:|---:|---:|\n");
        for (size_t i = 0; i < run->n_cells; i++) {
            const cell_state *cs = &run->cells[i];
            if (!cs->frontier)
                continue;
            char cap[32];
            format_bytes((double)cs->cell->run.memory_limit, cap, sizeof cap);
            char failing[16] = "–";
            if (cs->first_failing_batch > 0)
                snprintf(failing, sizeof failing, "%d", cs->first_failing_batch);
            char *label = short_label(cs);
            mb_strbuf_printf(b, "| `");
            md_cell(b, label, SIZE_MAX);
            free(label);
            mb_strbuf_printf(b, "` | %s | %s | %dx%d | %s | %d | %s |\n", cs->cell->device,
                      cs->cell->watermark_fix ? "on" : "off", cs->cell->image_width,
                      cs->cell->image_height, cap, cs->largest_ok_batch, failing);
        }
    }
}

int mb__report_write_summary(const run_ctx *run, mb_err *err)
{
    mb_strbuf b = {0};
    int pass = 0, fail = 0, skipped = 0, incomplete = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        cell_verdict v = run->cells[i].verdict;
        pass += v == CELL_PASS;
        fail += v == CELL_FAIL;
        skipped += v == CELL_SKIPPED;
        incomplete += v == CELL_INCOMPLETE;
    }
    /* The native worker says its torch version in its hello; an RQ worker's
     * Python side says nothing of it. */
    bool any_rq = false;
    for (size_t i = 0; i < run->n_cells; i++)
        any_rq |= run->cells[i].cell->worker_kind == MB_WORKER_RQ;
    char *torch_text = mb_asprintf(
        "torch %s%s", run->torch_version ? run->torch_version : any_rq ? "(python side, not "
                      "reported)" : "?", run->torch_version && any_rq ? " (native worker; the "
                      "RQ side's not reported)" : "");
    mb_strbuf_printf(&b, "## mpsbench run\n\n%s %d passed, %d failed, %d skipped",
                     fail ? "❌" : incomplete ? "⏸️" : "✅", pass, fail, skipped);
    if (incomplete)
        mb_strbuf_printf(&b, ", %d incomplete (the run stopped early)", incomplete);
    mb_strbuf_printf(&b, " · %s · `%s`\n\n", torch_text, run->dir);
    free(torch_text);
    summary_overrides(&b, &run->cfg->overrides);
    mb_strbuf_printf(&b, "| cell | device | fix | image | batch | images/s (median) | p50 job ms | peak RSS | "
                  "peak device | OOM | verdict |\n");
    mb_strbuf_printf(&b, "|---|---|---|---|---|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < run->n_cells; i++)
        summary_row(&b, &run->cells[i]);
    summary_frontier(&b, run);
    char *workers_md = mb__worker_compare_table(run);
    if (workers_md != NULL) {
        mb_strbuf_printf(&b, "\n%s", workers_md);
        free(workers_md);
    }
    if (run->contrasts != NULL && run->contrasts->n_cells > 0) {
        mb_strbuf_printf(&b, "\n### Contrasts\n\nCells that differ in one setting, paired by "
                             "round (the change of the first side against the second, its 95%% "
                             "interval, and the smallest difference these rounds could detect):\n\n");
        for (size_t i = 0; i < run->contrasts->n_cells; i++) {
            char *label = contrast_label(run, i);
            char *line = mb__contrast_sentence_named(run, i, label);
            mb_strbuf_printf(&b, "- %s\n", line);
            free(line);
            free(label);
        }
    }
    if (run->compare != NULL) {
        /* compare.md opens with its own heading; the summary names the
         * comparison instead, so it has one heading, not two. */
        char *md = mb_compare_markdown(run->compare);
        const char *body = md;
        if (strncmp(body, "### ", 4) == 0 && strchr(body, '\n') != NULL)
            body = strchr(body, '\n') + 1;
        while (*body == '\n')
            body++;
        mb_strbuf_printf(&b, "\n### %s\n\n%s",
                         run->n_candidates > 0 ? "Candidate against baseline (A/B, paired by round)"
                                               : "Against the baseline", body);
        free(md);
    }
    if (run->plot_error != NULL)
        mb_strbuf_printf(&b, "\nNo charts: %s\n", run->plot_error);
    int rc = write_text(run, "summary.md", b.s ? b.s : "", err);
    /* GitHub Actions shows this file on the job's page. */
    const char *step_summary = getenv("GITHUB_STEP_SUMMARY");
    if (rc == 0 && step_summary != NULL && *step_summary) {
        FILE *f = fopen(step_summary, "a");
        if (f != NULL) {
            fputs(b.s ? b.s : "", f);
            fclose(f);
        }
    }
    free(b.s);
    return rc;
}

/* The run directory's own reports: run.json (every job's raw record) and
 * summary.md (for a CI job summary).  results.json is Google Benchmark's;
 * junit.xml and the exports are rendered from run.json (harness/report).
 * Every file is written atomically, so a run that dies still leaves the
 * last complete version. */
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

static char *dup_or_null(const char *s)
{
    return s != NULL ? mb_strdup(s) : NULL;
}

/* One job as run.json records it (results/run_dir.h). */
static void fill_job(const job_record *rec, mb_res_job *j)
{
    const mb_result *r = &rec->result;
    j->id = mb_strdup(r->job_id ? r->job_id : "");
    j->worker = mb_strdup(r->worker_id ? r->worker_id : "");
    j->status = mb_strdup(mb_job_status_name(r->status));
    j->repetition = rec->repetition;
    j->latency_ms = rec->latency_ms;
    j->images = r->images;
    j->batches = r->batches;
    j->wall_ms = r->wall_ms;
    j->decode_ms = r->decode_ms;
    j->preprocess_ms = r->preprocess_ms;
    j->transfer_ms = r->transfer_ms;
    j->forward_ms = r->forward_ms;
    j->checksum = r->checksum;
    j->peak_rss_bytes = (double)r->peak_rss_bytes;
    j->peak_allocated_bytes = (double)r->peak_allocated_bytes;
    j->peak_reserved_bytes = (double)r->peak_reserved_bytes;
    j->batch_size = rec->batch_size;
    j->embedding_dim = r->embedding_dim;
    if (r->decode != MB_DECODE_AUTO) {
        j->decode = mb_strdup(mb_decode_mode_name(r->decode));
        j->gpu_images = r->gpu_images;
    }
    /* The worker's gap by stage before this job (PROTOCOL.md, issue 18). */
    j->has_gap = r->has_gap;
    if (r->has_gap)
        j->gap = (mb_res_gap){r->prefetched, r->gap_tail_ms, r->gap_handoff_ms,
                              r->gap_dequeue_ms, r->gap_setup_ms, r->gap_first_batch_ms,
                              r->first_batch_ready};
    j->sent = r->sent != MB_SENT_UNKNOWN ? mb_strdup(mb_sent_name(r->sent)) : NULL;
    j->held_ms = r->sent != MB_SENT_UNKNOWN ? r->held_ms : NAN;
    if (r->batch_size > 0 && r->batch_size != rec->batch_size)
        j->batch_size_used = r->batch_size;
    j->reported_at_ms = rec->reported_at_ms;
    j->error = dup_or_null(r->error);
    j->oom_allocated = j->oom_other = j->oom_max_allowed = j->oom_tried = -1;
    if (rec->oom.kind != MB_OOM_NONE) {
        /* Figures the message does not carry stay -1: null, not a made-up 0. */
        j->oom_kind = mb_strdup(rec->paravirtual_limit ? "paravirtual_limit"
                                                       : mb_oom_kind_name(rec->oom.kind));
        j->oom_allocated = rec->oom.allocated;
        j->oom_other = rec->oom.other;
        j->oom_max_allowed = rec->oom.max_allowed;
        j->oom_tried = rec->oom.tried;
    }
}

static void fill_verdict(const mb_compare_cell *cc, mb_res_verdict *v)
{
    v->verdict = mb_strdup(mb_verdict_name(cc->verdict));
    v->test = dup_or_null(cc->test);
    v->reason = dup_or_null(cc->reason);
    v->baseline_median = cc->baseline_median;
    v->current_median = cc->current_median;
    v->change = cc->change;
    v->ci_low = cc->ci_low;
    v->ci_high = cc->ci_high;
    v->p_value = cc->p_value;
    v->mde = cc->mde;
    v->threshold = cc->threshold;
}

/* The cell's settings: its axes' values, the scenario's model and images,
 * its limits, environment and expectations. */
static void fill_setup(const cell_state *cs, mb_res_cell *o)
{
    const mb_cell *c = cs->cell;
    o->axes = mb_calloc(cs->scenario->n_axes + 1, sizeof *o->axes);
    for (size_t i = 0; i < cs->scenario->n_axes; i++) {
        o->axes[o->n_axes].key = mb_strdup(cs->scenario->axes[i].name);
        o->axes[o->n_axes++].value = mb_strdup(c->values[i]);
    }
    o->env = mb_calloc(c->n_env + 1, sizeof *o->env);
    for (size_t i = 0; i < c->n_env; i++) {
        o->env[o->n_env].key = mb_strdup(c->env[i].key);
        o->env[o->n_env++].value = mb_strdup(c->env[i].value);
    }
    o->device = mb_strdup(c->device);
    o->watermark_fix = c->watermark_fix;
    o->batch_size = c->batch_size;
    o->image_width = c->image_width;
    o->image_height = c->image_height;
    o->expect_oom = mb_strdup(c->expect.oom == MB_OOM_NEVER ? "never"
                              : c->expect.oom == MB_OOM_ALLOWED ? "allowed" : "expected");
    o->model = mb_strdup(cs->scenario->model);
    o->input_size = cs->scenario->input_size;
    o->images_per_job = cs->scenario->images.per_job;
    o->precision = mb_strdup(c->precision ? c->precision : "fp32");
    o->memory_limit_bytes = (double)c->run.memory_limit;
    o->expect_regression = c->expect.regression;
}

/* What the cell did: its verdict, jobs, repetitions (a failed one without
 * a throughput: NAN, so it never reads as fast), adaptive stop, frontier
 * search and comparison. */
static void fill_cell(const cell_state *cs, mb_res_cell *o)
{
    o->name = mb_strdup(cs->bench_name);
    o->scenario = mb_strdup(cs->scenario->name);
    fill_setup(cs, o);
    o->verdict = mb_strdup(verdict_name(cs->verdict));
    o->reason = dup_or_null(cs->verdict_reason);
    o->skip_reason = dup_or_null(cs->skip_reason);
    int *n[] = {[MB_JOB_OK] = &o->n_ok, [MB_JOB_OOM] = &o->n_oom, [MB_JOB_ERROR] = &o->n_error,
                [MB_JOB_CRASHED] = &o->n_crashed, [MB_JOB_TIMEOUT] = &o->n_timeout,
                [MB_JOB_SKIPPED] = &o->n_skipped, [MB_JOB_INTERRUPTED] = &o->n_interrupted};
    for (int s = MB_JOB_OK; s < MB_JOB_STATUS_COUNT; s++)
        *n[s] = cs->counts[s];
    o->jobs = mb_calloc(cs->n_records + 1, sizeof *o->jobs);
    for (size_t i = 0; i < cs->n_records; i++)
        fill_job(&cs->records[i], &o->jobs[o->n_jobs++]);
    o->ips = mb_calloc(cs->n_reps + 1, sizeof *o->ips);
    for (size_t i = 0; i < cs->n_reps; i++)
        o->ips[o->n_ips++] = cs->rep_images_per_s[i];
    o->reps = mb_calloc((size_t)cs->n_planned + 1, sizeof *o->reps);
    for (int k = 0; k < cs->n_planned; k++) {
        const rep_record *rec = &cs->reps[k];
        o->reps[o->n_reps++] = (mb_res_rep){rec->round,
                                            rec->outcome == REP_OK ? rec->images_per_s : NAN};
    }
    const mb_run_opts *run = &cs->cell->run;
    o->adaptive = run->target_ci > 0;
    o->adapt = (mb_res_adaptive){run->repetitions_min, run->repetitions, run->target_ci,
                                 cs->adaptive_stopped, cs->reps_saved,
                                 cs->n_reps ? cs->rep_seconds / (double)cs->n_reps * cs->reps_saved
                                            : 0.0};
    o->side = mb_strdup(cs->candidate ? "candidate" : "baseline");
    o->compared = cs->compared != NULL;
    if (o->compared)
        fill_verdict(cs->compared, &o->baseline);
    o->frontier = cs->frontier;
    o->largest_batch = cs->largest_ok_batch;
    o->first_failing_batch = cs->first_failing_batch;
}

static int write_text(const run_ctx *run, const char *name, const char *text, mb_err *err)
{
    char *path = mb_asprintf("%s/%s", run->dir, name);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(path);
    return rc;
}

/* The order the repetitions ran in (run.json's "schedule"): the cell names
 * as they ran, a NULL closing each round (run/schedule's -1). */
static const char **ran_names(const run_ctx *run)
{
    const run_schedule *s = &run->schedule;
    const char **ran = mb_calloc(s->n_ran + 1, sizeof *ran);
    for (size_t i = 0; i < s->n_ran; i++)
        ran[i] = s->ran[i] >= 0 ? run->cells[s->ran[i]].bench_name : NULL;
    return ran;
}

/* The cells whose every repetition ran on a new worker process. */
static const char **fresh_names(const run_ctx *run, size_t *n)
{
    const char **fresh = mb_calloc(run->n_cells + 1, sizeof *fresh);
    for (size_t i = 0; i < run->n_cells; i++)
        if (run->cells[i].fresh_worker && run->schedule.order == MB_ORDER_INTERLEAVED)
            fresh[(*n)++] = run->cells[i].bench_name;
    return fresh;
}

/* The contrasts and their gates, as results/ records them. */
static void fill_contrasts(const run_ctx *run, mb_res_run *h)
{
    size_t n = run->contrasts != NULL ? run->contrasts->n_cells : 0;
    h->contrasts = mb_calloc(n + 1, sizeof *h->contrasts);
    for (size_t i = 0; i < n; i++) {
        const mb_compare_cell *cc = &run->contrasts->cells[i];
        mb_res_contrast *c = &h->contrasts[h->n_contrasts++];
        c->name = mb_strdup(cc->cell);
        c->axis = mb_strdup(run->contrast_axes[i]);
        c->verdict = mb_strdup(mb_verdict_name(cc->verdict));
        c->summary = mb__contrast_sentence(run, i);
        c->rounds = (double)cc->n_baseline;
        c->change = cc->change;
        c->ci_low = cc->ci_low;
        c->ci_high = cc->ci_high;
        c->p_value = cc->p_value;
        c->mde = cc->mde;
        c->threshold = cc->threshold;
        c->reason = cc->reason ? mb_strdup(cc->reason) : NULL;
        const mb_contrast_gate *g = mb__contrast_gate_of(run, i);
        if (g != NULL) {
            c->gated = true;
            mb__contrast_gate_fill(g, &c->gate);
        }
    }
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
    h->cells = mb_calloc(run->n_cells + 1, sizeof *h->cells);
    for (size_t i = 0; i < run->n_cells; i++)
        fill_cell(&run->cells[i], &h->cells[h->n_cells++]);
    fill_contrasts(run, h);
}

int mb__report_write_run_json(const run_ctx *run, const char *status, mb_err *err)
{
    mb_res_run h;
    mb_res_run_init(&h);
    fill_header(run, status, &h);
    const char **ran = ran_names(run);
    size_t n_fresh = 0;
    const char **fresh = fresh_names(run, &n_fresh);
    mb_res_parts parts = {.devices = run->devices_json,
                          .hellos = run->hellos.records, .n_hellos = run->hellos.n, .ran = ran,
                          .n_ran = run->schedule.n_ran, .fresh_workers = fresh,
                          .n_fresh_workers = n_fresh};
    char *path = mb_res_run_json_path(run->dir);
    int rc = mb_res_run_write(path, &h, &parts, err);
    free(path);
    free(ran);
    free(fresh);
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

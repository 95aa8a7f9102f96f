/* The one writer of run.json.  The runner rewrites the file as the run goes
 * (status "running" at the start and as each worker says hello, then the
 * final status), and a later run marks a dead run's file "incomplete"; both
 * go through here, so every run.json on disk carries the format this
 * module reads, and is replaced atomically: a reader, or a harness killed
 * mid-write, sees the previous whole file or the new one, never half. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_dir.h"

static json_t *text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *part_or(json_t *part, json_t *fallback)
{
    if (part == NULL)
        return fallback;
    json_decref(fallback);
    return part;
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

/* The schedule: the order, its seed (as text: 64 bits do not survive a
 * JSON number in every reader), the rounds the runner records. */
static json_t *schedule_json(const mb_res_run *run, mb_res_parts *parts)
{
    json_t *o = json_pack("{s:o, s:o, s:i, s:o}", "order", text_or_null(run->order), "seed",
                          text_or_null(run->seed), "max_live_workers", run->max_live_workers,
                          "fallback", text_or_null(run->fallback));
    json_object_set_new(o, "rounds", part_or(parts->rounds, json_array()));
    json_object_set_new(o, "fresh_workers", part_or(parts->fresh_workers, json_array()));
    parts->rounds = parts->fresh_workers = NULL;
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

static json_t *run_json(const mb_res_run *run, mb_res_parts *parts)
{
    json_t *scenarios = json_array();
    for (size_t i = 0; i < run->n_scenarios; i++)
        json_array_append_new(scenarios, json_string(run->scenarios[i]));
    json_t *o = json_pack("{s:i, s:s, s:s, s:o, s:o}", "format", MB_RES_FORMAT, "status",
                          run->status ? run->status : "running", "written_at",
                          run->written_at ? run->written_at : "", "machine", machine_json(run),
                          "scenarios", scenarios);
    json_object_set_new(o, "cells", part_or(parts->cells, json_array()));
    json_object_set_new(o, "torch_version", text_or_null(run->torch_version));
    json_object_set_new(o, "devices", part_or(parts->devices, json_null()));
    json_object_set_new(o, "workers", part_or(parts->workers, json_array()));
    json_object_set_new(o, "jobs_enqueued", json_integer(run->jobs_enqueued));
    json_object_set_new(o, "schedule", schedule_json(run, parts));
    json_object_set_new(o, "contrasts", part_or(parts->contrasts, json_array()));
    parts->cells = parts->devices = parts->workers = parts->contrasts = NULL;
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

static int write_doc(const char *path, json_t *doc, mb_err *err)
{
    json_object_set_new(doc, "format", json_integer(MB_RES_FORMAT));
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    if (text == NULL)
        return mb_err_set(err, MB_EIO, "cannot write %s: the document cannot be encoded", path);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

int mb_res_run_write(const char *path, const mb_res_run *run, mb_res_parts *parts, mb_err *err)
{
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

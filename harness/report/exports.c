/* The exports for tracking tools.  Each carries an OOM as its own measure
 * (an OOM count per cell), and a cell with no successful repetition has no
 * throughput or latency at all rather than a 0 a tool would read as a
 * result. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exports.h"
#include "html_report.h"
#include "mb_util.h"

static const char *const format_names[MB_EXPORT_COUNT] = {
    [MB_EXPORT_BMF] = "bmf", [MB_EXPORT_GAB] = "gab", [MB_EXPORT_GAB_SMALLER] = "gab-smaller",
    [MB_EXPORT_CSV] = "csv",
};
static const char *const file_names[MB_EXPORT_COUNT] = {
    [MB_EXPORT_BMF] = "bencher.json", [MB_EXPORT_GAB] = "gab.json",
    [MB_EXPORT_GAB_SMALLER] = "gab-smaller.json", [MB_EXPORT_CSV] = "results.csv",
};

int mb_export_format_parse(const char *name, mb_export_format *out, mb_err *err)
{
    for (int i = 0; i < MB_EXPORT_COUNT; i++) {
        if (name != NULL && strcmp(name, format_names[i]) == 0) {
            *out = (mb_export_format)i;
            return 0;
        }
    }
    return mb_err_set(err, MB_EUSAGE, "option --format: '%s' is not bmf, gab, gab-smaller or csv",
                      name ? name : "");
}

const char *mb_export_file_name(mb_export_format format)
{
    return format < MB_EXPORT_COUNT ? file_names[format] : "export";
}

/* The memory that limits the cell: the device's on a GPU, host RSS on the CPU. */
static double peak_memory(const mb_rf_cell *c)
{
    return strcmp(c->device, "cpu") == 0 ? c->peak_rss_bytes : c->peak_device_bytes;
}

static json_t *bmf_metric(double value)
{
    return json_pack("{s:f}", "value", value);
}

/* Bencher Metric Format: {"<benchmark>": {"<measure>": {"value": ...}}}.
 * Bencher's built-in measures are "throughput" (operations per second,
 * here images per second) and "latency" (nanoseconds); BMF's lower_value
 * and upper_value are bounds of one value, not other percentiles, so p90
 * and p99 are measures of their own. */
static json_t *render_bmf(const mb_run_file *f)
{
    json_t *root = json_object();
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        json_t *m = json_object();
        if (isfinite(c->images_per_second))
            json_object_set_new(m, "throughput", bmf_metric(c->images_per_second));
        const struct { const char *slug; double ms; } lat[] = {
            {"latency", c->latency_p50_ms}, {"latency-p90", c->latency_p90_ms},
            {"latency-p99", c->latency_p99_ms},
        };
        for (size_t k = 0; k < sizeof lat / sizeof lat[0]; k++)
            if (isfinite(lat[k].ms))
                json_object_set_new(m, lat[k].slug, bmf_metric(lat[k].ms * 1e6));
        if (isfinite(peak_memory(c)))
            json_object_set_new(m, "peak-memory", bmf_metric(peak_memory(c)));
        json_object_set_new(m, "oom-count", bmf_metric(c->n_oom));
        json_object_set_new(root, c->name, m);
    }
    return root;
}

static char *gab_extra(const mb_rf_cell *c)
{
    return mb_asprintf("device: %s\nwatermark fix: %s\nimage: %s\nbatch: %d\nrepetitions: %zu "
                       "(%zu failed)\nverdict: %s", c->device, c->watermark_fix ? "on" : "off",
                       c->image, c->batch_size, c->n_reps, c->n_failed_reps, c->verdict);
}

static void gab_add(json_t *list, const char *name, const char *unit, double value, const char *extra)
{
    json_t *o = json_pack("{s:s, s:s, s:f}", "name", name, "unit", unit, "value", value);
    if (extra != NULL)
        json_object_set_new(o, "extra", json_string(extra));
    json_array_append_new(list, o);
}

/* github-action-benchmark's customBiggerIsBetter: images per second of
 * every cell that has a throughput. */
static json_t *render_gab(const mb_run_file *f)
{
    json_t *list = json_array();
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        if (!isfinite(c->images_per_second))
            continue;
        char *extra = gab_extra(c);
        gab_add(list, c->name, "img/s", c->images_per_second, extra);
        free(extra);
    }
    return list;
}

/* customSmallerIsBetter: latency p50 and p99, and every cell's OOM count,
 * so that an OOM where there was none is a rise the action alerts on. */
static json_t *render_gab_smaller(const mb_run_file *f)
{
    json_t *list = json_array();
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        char *extra = gab_extra(c);
        char *name;
        if (isfinite(c->latency_p50_ms)) {
            name = mb_asprintf("%s latency p50", c->name);
            gab_add(list, name, "ms", c->latency_p50_ms, extra);
            free(name);
            name = mb_asprintf("%s latency p99", c->name);
            gab_add(list, name, "ms", c->latency_p99_ms, extra);
            free(name);
        }
        name = mb_asprintf("%s OOM count", c->name);
        gab_add(list, name, "OOMs", c->n_oom, c->reason);
        free(name);
        free(extra);
    }
    return list;
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_field(mb_strbuf *b, const char *text, bool last)
{
    const char *t = text ? text : "";
    if (strpbrk(t, ",\"\r\n") != NULL) {
        mb_strbuf_printf(b, "\"");
        for (const char *p = t; *p; p++) {
            if (*p == '"')
                mb_strbuf_printf(b, "\"\"");
            else
                mb_strbuf_printf(b, "%c", *p);
        }
        mb_strbuf_printf(b, "\"");
    } else {
        mb_strbuf_printf(b, "%s", t);
    }
    mb_strbuf_printf(b, "%s", last ? "\r\n" : ",");
}

/* A number with the given decimals; an empty field when there is none. */
static void csv_number(mb_strbuf *b, double v, int decimals)
{
    char buf[64] = "";
    if (isfinite(v))
        snprintf(buf, sizeof buf, "%.*f", decimals, v);
    csv_field(b, buf, false);
}

static char *render_csv(const mb_run_file *f)
{
    mb_strbuf b = {0};
    static const char *const header[] = {
        "name", "scenario", "device", "watermark_fix", "image", "batch_size", "verdict",
        "images_per_second", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
        "peak_rss_bytes", "peak_device_bytes", "oom_count", "failed_jobs", "repetitions",
        "failed_repetitions", "reason",
    };
    size_t n = sizeof header / sizeof header[0];
    for (size_t i = 0; i < n; i++)
        csv_field(&b, header[i], i + 1 == n);
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        char batch[16] = "frontier";
        if (!c->frontier)
            snprintf(batch, sizeof batch, "%d", c->batch_size);
        csv_field(&b, c->name, false);
        csv_field(&b, c->scenario, false);
        csv_field(&b, c->device, false);
        csv_field(&b, c->watermark_fix ? "on" : "off", false);
        csv_field(&b, c->image, false);
        csv_field(&b, batch, false);
        csv_field(&b, c->verdict, false);
        csv_number(&b, c->images_per_second, 4);
        csv_number(&b, c->latency_p50_ms, 3);
        csv_number(&b, c->latency_p90_ms, 3);
        csv_number(&b, c->latency_p99_ms, 3);
        csv_number(&b, c->peak_rss_bytes, 0);
        csv_number(&b, c->peak_device_bytes, 0);
        csv_number(&b, c->n_oom, 0);
        csv_number(&b, c->n_crashed + c->n_timeout + c->n_error, 0);
        csv_number(&b, (double)c->n_reps + (double)c->n_failed_reps, 0);
        csv_number(&b, (double)c->n_failed_reps, 0);
        csv_field(&b, c->reason, true);
    }
    return b.s ? b.s : mb_strdup("");
}

char *mb_export_render(const mb_run_file *f, mb_export_format format)
{
    json_t *doc = NULL;
    switch (format) {
    case MB_EXPORT_BMF: doc = render_bmf(f); break;
    case MB_EXPORT_GAB: doc = render_gab(f); break;
    case MB_EXPORT_GAB_SMALLER: doc = render_gab_smaller(f); break;
    case MB_EXPORT_CSV:
    default: return render_csv(f);
    }
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(doc);
    char *out = mb_asprintf("%s\n", text ? text : "null");
    free(text);
    return out;
}

static int write_in(const char *dir, const char *name, const char *text, mb_err *err)
{
    char *path = mb_asprintf("%s/%s", dir, name);
    int rc = mb_write_file_atomic(path, text, strlen(text), err);
    free(path);
    return rc;
}

int mb_report_render_dir(const char *run_dir, mb_err *err)
{
    mb_run_file f;
    int rc = mb_run_file_load(run_dir, &f, err);
    if (rc != 0)
        return rc;
    char *junit = mb_junit_render(&f);
    rc = write_in(run_dir, "junit.xml", junit, err);
    free(junit);
    for (int i = 0; rc == 0 && i < MB_EXPORT_COUNT; i++) {
        char *text = mb_export_render(&f, (mb_export_format)i);
        rc = write_in(run_dir, file_names[i], text, err);
        free(text);
    }
    if (rc == 0)
        rc = mb_report_html_write(run_dir, &f, err);
    mb_run_file_free(&f);
    return rc;
}

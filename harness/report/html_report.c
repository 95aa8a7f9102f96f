/* report.html, rendered from run.json and the charts folder.  The charts are
 * found through charts/index.md, which the plot module writes (every chart
 * drawn, in order, and every chart not drawn with its reason), so that this
 * page shows exactly what that index lists.  Inline SVG keeps the page one
 * file; gnuplot's SVG already escapes the text it draws. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_report.h"
#include "mb_util.h"

/* Appends text with &, <, >, " and ' escaped. */
static void esc(mb_strbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': mb_strbuf_add(b, "&amp;"); break;
        case '<': mb_strbuf_add(b, "&lt;"); break;
        case '>': mb_strbuf_add(b, "&gt;"); break;
        case '"': mb_strbuf_add(b, "&quot;"); break;
        case '\'': mb_strbuf_add(b, "&#39;"); break;
        default: mb_strbuf_add_n(b, p, 1);
        }
    }
}

static void esc_n(mb_strbuf *b, const char *text, size_t n)
{
    char *copy = mb_calloc(n + 1, 1);
    memcpy(copy, text, n);
    esc(b, copy);
    free(copy);
}

/* A number cell: "–" for a figure run.json does not have (NaN).  A macro,
 * so that the compiler checks each format against its value. */
#define num(b, fmt, v) (isfinite(v) ? mb_strbuf_printf(b, fmt, v) : mb_strbuf_add(b, "–"))

static const char *const style =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1400px;"
    "padding:0 16px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:8px 0;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f3f3f3}.fail{color:#b00020;font-weight:600}"
    ".pass{color:#1a7f37}.chart{margin:16px 0;overflow-x:auto}"
    ".chart svg{max-width:100%;height:auto}dl{display:grid;grid-template-columns:max-content auto;"
    "gap:2px 16px}dt{font-weight:600}dd{margin:0}";

/* What the run measured, from run.json: the devices the workers described
 * (GPU and CPU models), the models, the machine. */
static void machine_section(mb_strbuf *b, const mb_run_file *f)
{
    const mb_res_run *run = &f->run;
    mb_strbuf devices = {0}, models = {0};
    for (size_t i = 0; i < run->n_workers; i++) {
        const char *texts[2] = {run->workers[i].device_description, run->workers[i].model};
        mb_strbuf *into[2] = {&devices, &models};
        for (int k = 0; k < 2; k++)
            if (texts[k] != NULL && (into[k]->s == NULL || !strstr(into[k]->s, texts[k])))
                mb_strbuf_printf(into[k], "%s%s", into[k]->len ? ", " : "", texts[k]);
    }
    mb_strbuf_add(b, "<dl>");
    mb_strbuf_add(b, "<dt>Devices</dt><dd>");
    esc(b, devices.s ? devices.s : "not recorded");
    mb_strbuf_add(b, "</dd><dt>Machine</dt><dd>");
    if (run->has_machine) {
        esc(b, run->os);
        mb_strbuf_add(b, " ");
        esc(b, run->release);
        mb_strbuf_add(b, " ");
        esc(b, run->arch);
        mb_strbuf_printf(b, ", %d CPUs", run->cpus);
    } else {
        mb_strbuf_add(b, "not recorded");
    }
    mb_strbuf_add(b, "</dd><dt>Model</dt><dd>");
    esc(b, models.s ? models.s : "not recorded");
    mb_strbuf_add(b, "</dd><dt>libtorch</dt><dd>");
    esc(b, f->torch_version ? f->torch_version : "not recorded");
    mb_strbuf_add(b, "</dd><dt>Status</dt><dd>");
    esc(b, f->status);
    mb_strbuf_add(b, ", written ");
    esc(b, f->written_at);
    mb_strbuf_add(b, "</dd></dl>\n");
    free(devices.s);
    free(models.s);
}

/* Inlines one SVG, without the XML prolog and doctype a document inside
 * HTML must not carry. */
static void inline_svg(mb_strbuf *b, const char *charts, const char *name)
{
    char *path = mb_asprintf("%s/%s.svg", charts, name);
    char *svg = mb_read_file(path, NULL, NULL);
    free(path);
    const char *start = svg ? strstr(svg, "<svg") : NULL;
    if (start == NULL) {
        mb_strbuf_add(b, "<p class=\"fail\">The chart's SVG is missing: ");
        esc(b, name);
        mb_strbuf_add(b, ".svg</p>\n");
    } else {
        mb_strbuf_add(b, start);
        mb_strbuf_add(b, "\n");
    }
    free(svg);
}

/* The charts, in the order of charts/index.md: a "## Title" heading, then
 * a line naming NAME.svg or NAME.png; "## Not drawn" lists the rest as
 * "- **Title** (`NAME`): reason". */
static void charts_section(mb_strbuf *b, const char *run_dir)
{
    char *charts = mb_asprintf("%s/charts", run_dir);
    char *index_path = mb_asprintf("%s/index.md", charts);
    char *index = mb_read_file(index_path, NULL, NULL);
    free(index_path);
    mb_strbuf_add(b, "<h2 id=\"charts\">Charts</h2>\n");
    if (index == NULL) {
        mb_strbuf_add(b, "<p>No charts: the run has no charts/index.md (gnuplot was missing? "
                         "<code>mpsbench report RUN_DIR</code> draws them).</p>\n");
        free(charts);
        return;
    }
    bool not_drawn = false;
    const char *title = NULL;
    size_t title_len = 0;
    for (char *line = index; line != NULL && *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "## ", 3) == 0) {
            not_drawn = strncmp(line, "## Not drawn", 12) == 0;
            title = line + 3;
            title_len = len - 3;
            if (not_drawn)
                mb_strbuf_add(b, "<h3>Not drawn</h3>\n<ul class=\"not-drawn\">\n");
        } else if (not_drawn && strncmp(line, "- ", 2) == 0) {
            /* Markdown's ** and ` marks are dropped, the text kept. */
            char *item = mb_calloc(len + 1, 1);
            size_t n = 0;
            for (size_t k = 2; k < len; k++)
                if (line[k] != '*' && line[k] != '`')
                    item[n++] = line[k];
            mb_strbuf_add(b, "<li>");
            esc(b, item);
            free(item);
            mb_strbuf_add(b, "</li>\n");
        } else if (!not_drawn && title != NULL && len > 0) {
            /* "![T](NAME.png)" or "[NAME.svg](NAME.svg)": NAME is what
             * precedes the extension inside the last parentheses. */
            char *row = mb_calloc(len + 1, 1);
            memcpy(row, line, len);
            const char *open = strstr(row, "](");
            const char *dot = open ? strchr(open, '.') : NULL;
            if (open != NULL && dot != NULL) {
                char *name = mb_calloc((size_t)(dot - open), 1);
                memcpy(name, open + 2, (size_t)(dot - open - 2));
                mb_strbuf_add(b, "<section class=\"chart\"><h3>");
                esc_n(b, title, title_len);
                mb_strbuf_add(b, "</h3>\n");
                inline_svg(b, charts, name);
                mb_strbuf_add(b, "</section>\n");
                free(name);
                title = NULL;
            }
            free(row);
        }
        line = end ? end + 1 : NULL;
    }
    if (not_drawn)
        mb_strbuf_add(b, "</ul>\n");
    free(index);
    free(charts);
}

static void summary_section(mb_strbuf *b, const mb_run_file *f)
{
    mb_strbuf_add(b, "<h2 id=\"summary\">Summary</h2>\n<table><tr><th>cell</th><th>device</th>"
                     "<th>fix</th><th>image</th><th>batch</th><th>verdict</th>"
                     "<th>images/s (median)</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th>"
                     "<th>jobs ok</th><th>OOM</th><th>crashed</th><th>timeout</th>"
                     "<th>peak memory (MiB)</th><th>reason</th></tr>\n");
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        mb_strbuf_add(b, "<tr><td>");
        esc(b, c->name);
        mb_strbuf_add(b, "</td><td>");
        esc(b, c->device);
        mb_strbuf_printf(b, "</td><td>%s</td><td>", c->watermark_fix ? "on" : "off");
        esc(b, c->image);
        mb_strbuf_printf(b, "</td><td class=\"n\">%d</td><td class=\"%s\">", c->batch_size,
                         strcmp(c->verdict, "fail") == 0 ? "fail" : "pass");
        esc(b, c->verdict);
        mb_strbuf_add(b, "</td><td class=\"n\">");
        num(b, "%.4g", c->images_per_second);
        const double lat[3] = {c->latency_p50_ms, c->latency_p90_ms, c->latency_p99_ms};
        for (int k = 0; k < 3; k++) {
            mb_strbuf_add(b, "</td><td class=\"n\">");
            num(b, "%.4g", lat[k]);
        }
        mb_strbuf_printf(b, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                            "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">",
                         c->n_ok, c->n_oom, c->n_crashed, c->n_timeout);
        double peak = isfinite(c->peak_device_bytes) ? c->peak_device_bytes : c->peak_rss_bytes;
        num(b, "%.0f", peak / 1048576.0);
        mb_strbuf_add(b, "</td><td>");
        esc(b, c->reason ? c->reason : c->skip_reason);
        mb_strbuf_add(b, "</td></tr>\n");
    }
    mb_strbuf_add(b, "</table>\n");
}

/* The change, its 95% interval and p of a comparison or contrast row, as
 * three cells (the caller has opened the first). */
static void change_cells(mb_strbuf *b, double change, double low, double high, double p)
{
    num(b, "%+.1f%%", change * 100);
    mb_strbuf_add(b, "</td><td class=\"n\">");
    num(b, "%+.1f%%", low * 100);
    mb_strbuf_add(b, " … ");
    num(b, "%+.1f%%", high * 100);
    mb_strbuf_add(b, "</td><td class=\"n\">");
    num(b, "%.3g", p);
}

/* Cells compared with a baseline, or the two sides of an A/B run. */
static void comparison_section(mb_strbuf *b, const mb_run_file *f)
{
    if (!f->any_compared)
        return;
    mb_strbuf_add(b, "<h2 id=\"comparison\">Comparison</h2>\n<table><tr><th>cell</th>"
                     "<th>verdict</th><th>change</th><th>95% interval</th><th>p</th>"
                     "<th>threshold</th><th>reason</th></tr>\n");
    for (size_t i = 0; i < f->n_cells; i++) {
        const mb_rf_cell *c = &f->cells[i];
        if (!c->compared)
            continue;
        mb_strbuf_add(b, "<tr><td>");
        esc(b, c->name);
        mb_strbuf_printf(b, "</td><td class=\"%s\">",
                         strcmp(c->compare_verdict, "regression") == 0 ? "fail" : "");
        esc(b, c->compare_verdict);
        mb_strbuf_add(b, "</td><td class=\"n\">");
        change_cells(b, c->change, c->ci_low, c->ci_high, c->p_value);
        mb_strbuf_add(b, "</td><td class=\"n\">");
        num(b, "%.0f%%", c->threshold * 100);
        mb_strbuf_add(b, "</td><td>");
        esc(b, c->compare_reason);
        mb_strbuf_add(b, "</td></tr>\n");
    }
    mb_strbuf_add(b, "</table>\n");
}

/* The paired contrasts of run.json (an axis compared within rounds). */
static void contrasts_section(mb_strbuf *b, const mb_run_file *f)
{
    const mb_res_run *run = &f->run;
    if (run->n_contrasts == 0)
        return;
    mb_strbuf_add(b, "<h2 id=\"contrasts\">Paired contrasts</h2>\n<table><tr><th>cell</th>"
                     "<th>axis</th><th>verdict</th><th>change</th><th>95% interval</th>"
                     "<th>p</th><th>rounds</th><th>summary</th></tr>\n");
    for (size_t i = 0; i < run->n_contrasts; i++) {
        const mb_res_contrast *c = &run->contrasts[i];
        const char *texts[] = {c->name, c->axis, c->verdict};
        mb_strbuf_add(b, "<tr>");
        for (int k = 0; k < 3; k++) {
            mb_strbuf_add(b, "<td>");
            esc(b, texts[k]);
            mb_strbuf_add(b, "</td>");
        }
        mb_strbuf_add(b, "<td class=\"n\">");
        change_cells(b, c->change, c->ci_low, c->ci_high, c->p_value);
        mb_strbuf_add(b, "</td><td class=\"n\">");
        num(b, "%.0f", c->rounds);
        mb_strbuf_add(b, "</td><td>");
        esc(b, c->summary);
        mb_strbuf_add(b, "</td></tr>\n");
    }
    mb_strbuf_add(b, "</table>\n");
}

/* One row of a Markdown pipe table: cells split at unescaped '|', code
 * spans shown as <code>. */
static void md_row(mb_strbuf *b, const char *line, size_t len, const char *tag)
{
    mb_strbuf_add(b, "<tr>");
    const char *p = line + 1, *end = line + len;
    while (p < end) {
        const char *q = p;
        while (q < end && !(*q == '|' && q[-1] != '\\'))
            q++;
        if (q >= end)
            break;
        while (p < q && *p == ' ')
            p++;
        const char *e = q;
        while (e > p && e[-1] == ' ')
            e--;
        mb_strbuf_printf(b, "<%s>", tag);
        bool code = e - p >= 2 && *p == '`' && e[-1] == '`';
        if (code)
            mb_strbuf_add(b, "<code>");
        esc_n(b, code ? p + 1 : p, (size_t)(e - p) - (code ? 2 : 0));
        if (code)
            mb_strbuf_add(b, "</code>");
        mb_strbuf_printf(b, "</%s>", tag);
        p = q + 1;
    }
    mb_strbuf_add(b, "</tr>\n");
}

/* The seed's option table, from charts/seed-options.md when the plot
 * module could recompute it. */
static void seed_section(mb_strbuf *b, const char *run_dir)
{
    char *path = mb_asprintf("%s/charts/seed-options.md", run_dir);
    char *md = mb_read_file(path, NULL, NULL);
    free(path);
    if (md == NULL)
        return;
    mb_strbuf_add(b, "<h2 id=\"seed-options\">The seed's options</h2>\n<table>\n");
    int row = 0;
    for (char *line = md; line != NULL && *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 1 && line[0] == '|') {
            if (row != 1)
                md_row(b, line, len, row == 0 ? "th" : "td");
            row++;
        } else if (row == 0 && len > 0 && line[0] != '#') {
            mb_strbuf_add(b, "<caption>");
            esc_n(b, line, len);
            mb_strbuf_add(b, "</caption>\n");
        }
        line = end ? end + 1 : NULL;
    }
    mb_strbuf_add(b, "</table>\n");
    free(md);
}

char *mb_report_html_render(const char *run_dir, const mb_run_file *f)
{
    mb_strbuf b = {0};
    const char *slash = strrchr(run_dir, '/');
    const char *base = slash && slash[1] ? slash + 1 : run_dir;
    mb_strbuf_add(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>mpsbench run ");
    esc(&b, base);
    mb_strbuf_printf(&b, "</title>\n<style>%s</style></head><body>\n<h1>mpsbench run ", style);
    esc(&b, base);
    mb_strbuf_add(&b, "</h1>\n");
    machine_section(&b, f);
    charts_section(&b, run_dir);
    summary_section(&b, f);
    comparison_section(&b, f);
    contrasts_section(&b, f);
    seed_section(&b, run_dir);
    mb_strbuf_add(&b, "</body></html>\n");
    return b.s;
}

int mb_report_html_write(const char *run_dir, const mb_run_file *f, mb_err *err)
{
    char *html = mb_report_html_render(run_dir, f);
    char *path = mb_asprintf("%s/report.html", run_dir);
    int rc = mb_write_file_atomic(path, html, strlen(html), err);
    free(path);
    free(html);
    return rc;
}

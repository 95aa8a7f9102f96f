/* The comparison's three shapes: a terminal table, a Markdown table for CI
 * job summaries, and a JSON report for tools (charts, dashboards). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "compare.h"
#include "mb_util.h"

static void fmt_number(char *buf, size_t size, double v)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (fabs(v) >= 1)
        snprintf(buf, size, "%.1f", v);
    else
        snprintf(buf, size, "%.3g", v);
}

static void fmt_percent(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isinf(v))
        snprintf(buf, size, "inf");
    else
        snprintf(buf, size, "%+.1f%%", 100 * v);
}

static void fmt_change(char *buf, size_t size, const mb_compare_cell *c)
{
    char mid[24], lo[24], hi[24];
    fmt_percent(mid, sizeof mid, c->change);
    if (isnan(c->change)) {
        snprintf(buf, size, "-");
        return;
    }
    if (isnan(c->ci_low) || isnan(c->ci_high)) {
        snprintf(buf, size, "%s", mid);
        return;
    }
    fmt_percent(lo, sizeof lo, c->ci_low);
    fmt_percent(hi, sizeof hi, c->ci_high);
    snprintf(buf, size, "%s [%s, %s]", mid, lo, hi);
}

static void fmt_p(char *buf, size_t size, const mb_compare_cell *c)
{
    if (isnan(c->p_value))
        snprintf(buf, size, "-");
    else if (c->p_value < 0.001)
        snprintf(buf, size, "<0.001");
    else
        snprintf(buf, size, "%.3f", c->p_value);
}

static void fmt_mde(char *buf, size_t size, double mde)
{
    if (isinf(mde))
        snprintf(buf, size, "inf");
    else if (isnan(mde))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", 100 * mde);
}

static char *verdict_text(const mb_compare_cell *c)
{
    if (c->reason == NULL)
        return mb_strdup(mb_verdict_label(c->verdict));
    if (c->verdict == MB_VERDICT_NOT_COMPARABLE || c->verdict == MB_VERDICT_INCONCLUSIVE)
        return mb_asprintf("%s: %s", mb_verdict_label(c->verdict), c->reason);
    return mb_asprintf("%s (%s)", mb_verdict_label(c->verdict), c->reason);
}

/* The cells of one row, formatted once for both tables. */
typedef struct row {
    char base[32], cur[32], change[96], p[16], mde[16], threshold[16];
    char *verdict;
} row;

static void make_row(const mb_compare_cell *c, row *r)
{
    fmt_number(r->base, sizeof r->base, c->baseline_median);
    fmt_number(r->cur, sizeof r->cur, c->current_median);
    fmt_change(r->change, sizeof r->change, c);
    fmt_p(r->p, sizeof r->p, c);
    fmt_mde(r->mde, sizeof r->mde, c->mde);
    snprintf(r->threshold, sizeof r->threshold, "%.1f%%", 100 * c->threshold);
    r->verdict = verdict_text(c);
}

static bool any_blind(const mb_compare_report *r)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (isinf(r->cells[i].mde) && r->cells[i].test != NULL &&
            strcmp(r->cells[i].test, MB_COMPARE_TEST_MWU) == 0)
            return true;
    return false;
}

static bool any_test(const mb_compare_report *r, const char *test)
{
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->cells[i].test != NULL && strcmp(r->cells[i].test, test) == 0)
            return true;
    return false;
}

static void footer(mb_strbuf *b, const mb_compare_report *r, const char *prefix)
{
    mb_strbuf_printf(b, "%s%zu cell(s): %zu regression(s), %zu improvement(s), %zu no change, "
              "%zu inconclusive, %zu not comparable.\n", prefix, r->n_cells, r->n_regressions,
              r->n_improvements, r->n_unchanged, r->n_inconclusive, r->n_not_comparable);
    if (r->n_inconclusive > 0 && r->one_run_each)
        mb_strbuf_printf(b, "%sNotice: %zu cell(s) inconclusive: one run on each side "
                  "measures the noise within the runs, not the drift between them, so neither "
                  "\"no change\" nor a regression can be claimed; keep a baseline of 3 or more "
                  "runs (`mpsbench baseline update`), run A/B (--candidate-worker), or pass "
                  "--assume-no-drift (--fail-on-inconclusive makes this exit 1).\n", prefix,
                  r->n_inconclusive);
    else if (r->n_inconclusive > 0)
        mb_strbuf_printf(b, "%sNotice: %zu cell(s) inconclusive: the noise hides a change of "
                  "the threshold's size (MDE > threshold), so neither \"no change\" nor a "
                  "regression can be claimed; more repetitions or baseline runs narrow it "
                  "(--fail-on-inconclusive makes this exit 1).\n", prefix, r->n_inconclusive);
    mb_strbuf_printf(b, "%sA regression is p < %g and a throughput drop whose interval "
              "reaches beyond the threshold; a cell is inconclusive when the MDE exceeds "
              "the threshold.\n", prefix, r->alpha);
    if (any_test(r, MB_COMPARE_TEST_MWU))
        mb_strbuf_printf(b, "%smann-whitney-u: two-sided Mann-Whitney U over repetitions; "
                  "the interval is a %g%% bootstrap interval, the MDE the smallest change "
                  "detected with %g%% power at the observed noise.\n", prefix,
                  100 * r->confidence, 100 * r->power);
    if (any_test(r, MB_COMPARE_TEST_WILCOXON))
        mb_strbuf_printf(b, "%swilcoxon-signed-rank: paired rounds, signed-rank test on the "
                  "log ratios; change is the median ratio, with a %g%% bootstrap interval, "
                  "the MDE at %g%% power.\n", prefix, 100 * r->confidence, 100 * r->power);
    if (any_test(r, MB_COMPARE_TEST_HISTORY))
        mb_strbuf_printf(b, "%shistory: the baseline's %zu run(s) predict one new run's "
                  "median from the spread between their medians (t, K-1 df); p < %g means "
                  "outside the %g%% prediction interval, whose half-width is the MDE; the "
                  "interval shown is at %g%%.\n", prefix, r->baseline_runs, r->alpha,
                  100 * (1 - r->alpha), 100 * r->confidence);
    if (any_blind(r))
        mb_strbuf_printf(b, "%sMDE inf: with so few repetitions no change at all can reach "
                  "p < %g (3 against 3 gives p >= 0.1); use 5 or more repetitions.\n",
                  prefix, r->alpha);
}

void mb_compare_write_table(FILE *f, const mb_compare_report *r)
{
    int width = 4;
    for (size_t i = 0; i < r->n_cells; i++) {
        int len = (int)strlen(r->cells[i].cell);
        if (len > width)
            width = len;
    }
    mb_strbuf b = {0};
    char ci_head[48];
    snprintf(ci_head, sizeof ci_head, "change [%g%% CI]", 100 * r->confidence);
    mb_strbuf_printf(&b, "%-*s  %12s  %12s  %-26s  %7s  %6s  %9s  %s\n", width, "cell",
              "base img/s", "cur img/s", ci_head, "p", "MDE", "threshold", "verdict");
    for (size_t i = 0; i < r->n_cells; i++) {
        row w;
        make_row(&r->cells[i], &w);
        mb_strbuf_printf(&b, "%-*s  %12s  %12s  %-26s  %7s  %6s  %9s  %s\n", width, r->cells[i].cell,
                  w.base, w.cur, w.change, w.p, w.mde, w.threshold, w.verdict);
        free(w.verdict);
    }
    mb_strbuf_printf(&b, "\n");
    footer(&b, r, "");
    if (b.s != NULL)
        fputs(b.s, f);
    free(b.s);
}

/* Pipes inside a cell would end it early in Markdown. */
static char *md_escape(const char *s)
{
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "%s", "");
    for (; *s; s++) {
        if (*s == '|')
            mb_strbuf_printf(&b, "\\|");
        else
            mb_strbuf_printf(&b, "%c", *s);
    }
    return b.s;
}

char *mb_compare_markdown(const mb_compare_report *r)
{
    mb_strbuf b = {0};
    /* Indexed by mb_verdict. */
    const char *icon[] = {"", ":red_circle: ", ":green_circle: ", ":white_circle: ",
                          ":yellow_circle: "};
    mb_strbuf_printf(&b, "### Comparison with the baseline\n\n");
    mb_strbuf_printf(&b, "| cell | baseline img/s | current img/s | change [%g%% CI] | p | MDE | "
              "threshold | verdict |\n", 100 * r->confidence);
    mb_strbuf_printf(&b, "|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->n_cells; i++) {
        const mb_compare_cell *c = &r->cells[i];
        row w;
        make_row(c, &w);
        char *name = md_escape(c->cell);
        char *verdict = md_escape(w.verdict);
        mb_strbuf_printf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s%s |\n", name, w.base, w.cur,
                  w.change, w.p, w.mde, w.threshold, icon[c->verdict], verdict);
        free(name);
        free(verdict);
        free(w.verdict);
    }
    mb_strbuf_printf(&b, "\n");
    footer(&b, r, "");
    return b.s;
}

static json_t *number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *mb_compare_json(const mb_compare_report *r)
{
    json_t *root = json_object();
    json_object_set_new(root, "format", json_integer(1));
    json_object_set_new(root, "baseline", json_string(r->baseline_path));
    json_object_set_new(root, "current", json_string(r->current_path));
    json_object_set_new(root, "baseline_torch_version", string_or_null(r->baseline_torch));
    json_object_set_new(root, "current_torch_version", string_or_null(r->current_torch));
    json_object_set_new(root, "alpha", json_real(r->alpha));
    json_object_set_new(root, "confidence", json_real(r->confidence));
    json_object_set_new(root, "power", json_real(r->power));
    json_t *summary = json_object();
    json_object_set_new(summary, "regression", json_integer((json_int_t)r->n_regressions));
    json_object_set_new(summary, "improvement", json_integer((json_int_t)r->n_improvements));
    json_object_set_new(summary, "no_change", json_integer((json_int_t)r->n_unchanged));
    json_object_set_new(summary, "not_comparable",
                        json_integer((json_int_t)r->n_not_comparable));
    json_object_set_new(summary, "inconclusive", json_integer((json_int_t)r->n_inconclusive));
    json_object_set_new(root, "baseline_runs", json_integer((json_int_t)r->baseline_runs));
    /* true: two plain runs, the drift between them not measured (every
     * judged cell inconclusive); false: a history, A/B or --assume-no-drift. */
    json_object_set_new(root, "one_run_each", json_boolean(r->one_run_each));
    json_object_set_new(root, "summary", summary);
    json_t *cells = json_array();
    for (size_t i = 0; i < r->n_cells; i++) {
        const mb_compare_cell *c = &r->cells[i];
        json_t *o = json_object();
        json_object_set_new(o, "cell", json_string(c->cell));
        json_object_set_new(o, "device", string_or_null(c->device));
        json_object_set_new(o, "baseline_n", json_integer((json_int_t)c->n_baseline));
        json_object_set_new(o, "current_n", json_integer((json_int_t)c->n_current));
        json_object_set_new(o, "baseline_median", number_or_null(c->baseline_median));
        json_object_set_new(o, "current_median", number_or_null(c->current_median));
        json_object_set_new(o, "change", number_or_null(c->change));
        json_object_set_new(o, "ci_low", number_or_null(c->ci_low));
        json_object_set_new(o, "ci_high", number_or_null(c->ci_high));
        json_object_set_new(o, "p_value", number_or_null(c->p_value));
        json_object_set_new(o, "p_exact", json_boolean(c->p_exact));
        json_object_set_new(o, "test", string_or_null(c->test));
        json_object_set_new(o, "mde", number_or_null(c->mde));
        json_object_set_new(o, "threshold", json_real(c->threshold));
        json_object_set_new(o, "verdict", json_string(mb_verdict_name(c->verdict)));
        json_object_set_new(o, "reason", string_or_null(c->reason));
        json_array_append_new(cells, o);
    }
    json_object_set_new(root, "cells", cells);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (text == NULL)
        abort();
    /* A file that ends with a newline is friendlier to diff and cat. */
    char *copy = mb_asprintf("%s\n", text);
    free(text);
    return copy;
}

/* A regular file is replaced atomically, so a reader never sees half a
 * report.  "-", a terminal, a pipe or /dev/stdout is written in place:
 * renaming a temp file over those would replace the device node itself. */
static int save(const char *path, char *text, mb_err *err)
{
    struct stat st;
    size_t len = strlen(text);
    int rc = 0;
    if (strcmp(path, "-") == 0) {
        fwrite(text, 1, len, stdout);
        rc = mb_flush_checked(stdout, "standard output", err);
    } else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(path, "w");
        bool ok = f != NULL && fwrite(text, 1, len, f) == len;
        int e = f == NULL ? errno : EIO;
        if (f != NULL && fclose(f) != 0)
            ok = false;
        if (!ok)
            rc = mb_err_set(err, MB_EIO, "%s: cannot write: %s", path, strerror(e));
    } else {
        rc = mb_write_file_atomic(path, text, len, err);
    }
    free(text);
    return rc;
}

int mb_compare_save_markdown(const mb_compare_report *r, const char *path, mb_err *err)
{
    return save(path, mb_compare_markdown(r), err);
}

int mb_compare_save_json(const mb_compare_report *r, const char *path, mb_err *err)
{
    return save(path, mb_compare_json(r), err);
}

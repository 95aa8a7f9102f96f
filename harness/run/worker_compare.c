/* The side-by-side comparison of the two worker kinds: for every cell of a
 * scenario whose worker axis holds both native and rq, the median images/s
 * of each and the native-to-RQ ratio.  The two cells of a row differ only
 * in the worker axis, so they ran the same images at the same batch size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_private.h"
#include "stats.h"

typedef struct compare_row {
    const cell_state *native, *rq;
    char *label;            /* the cell's name without its worker part */
} compare_row;

/* The index of the worker axis when it holds both kinds, else -1. */
static long both_kinds(const mb_scenario *s)
{
    for (size_t a = 0; a < s->n_axes; a++) {
        if (strcmp(s->axes[a].name, "worker") != 0)
            continue;
        bool native = false, rq = false;
        for (size_t v = 0; v < s->axes[a].n_values; v++) {
            native |= strcmp(s->axes[a].values[v], "native") == 0;
            rq |= strcmp(s->axes[a].values[v], "rq") == 0;
        }
        return native && rq ? (long)a : -1;
    }
    return -1;
}

static bool same_but(const mb_scenario *s, const mb_cell *a, const mb_cell *b, long skip)
{
    for (size_t i = 0; i < s->n_axes; i++)
        if ((long)i != skip && strcmp(a->values[i], b->values[i]) != 0)
            return false;
    return true;
}

/* "embed/worker:rq/device:cpu/image:224x224/batch:16" -> "device:cpu/image:224x224/batch:16". */
static char *label_of(const cell_state *cs)
{
    const char *name = cs->cell->name;
    const char *w = strstr(name, "/worker:");
    if (w == NULL)
        return mb_strdup(name);
    const char *rest = strchr(w + 1, '/');
    const char *after = rest != NULL ? rest + 1 : "";
    const char *first = strchr(name, '/');
    if (first == w)
        return mb_strdup(after);
    return mb_asprintf("%.*s/%s", (int)(w - name), name, after);
}

static size_t collect(const run_ctx *run, compare_row **rows)
{
    size_t n = 0;
    *rows = NULL;
    for (size_t i = 0; i < run->n_cells; i++) {
        const cell_state *cs = &run->cells[i];
        long axis = both_kinds(cs->scenario);
        if (axis < 0 || cs->cell->worker_kind != MB_WORKER_NATIVE)
            continue;
        for (size_t j = 0; j < run->n_cells; j++) {
            const cell_state *other = &run->cells[j];
            if (other->scenario != cs->scenario || other->cell->worker_kind != MB_WORKER_RQ ||
                !same_but(cs->scenario, cs->cell, other->cell, axis))
                continue;
            *rows = mb_realloc(*rows, (n + 1) * sizeof **rows);
            (*rows)[n].native = cs;
            (*rows)[n].rq = other;
            (*rows)[n].label = label_of(cs);
            n++;
            break;
        }
    }
    return n;
}

/* The median images/s over repetitions, or 0 when none completed. */
static double throughput(const cell_state *cs)
{
    return cs->n_reps > 0 ? mb_stats_median(cs->rep_images_per_s, cs->n_reps) : 0.0;
}

static void format_ips(char *buf, size_t size, const cell_state *cs)
{
    if (cs->n_reps == 0)
        snprintf(buf, size, "%s", cs->skip_reason != NULL ? "skipped" : "failed");
    else
        snprintf(buf, size, "%.2f", throughput(cs));
}

static void format_ratio(char *buf, size_t size, const compare_row *r)
{
    double n = throughput(r->native), q = throughput(r->rq);
    if (n > 0 && q > 0)
        snprintf(buf, size, "%.2fx", n / q);
    else
        snprintf(buf, size, "-");
}

static void free_rows(compare_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].label);
    free(rows);
}

char *mb__worker_compare_table(const run_ctx *run)
{
    compare_row *rows;
    size_t n = collect(run, &rows);
    if (n == 0)
        return NULL;
    char *md = mb_strdup("### native vs rq\n\n"
                         "Median images/s over repetitions; the ratio is native / rq.\n\n"
                         "| scenario | cell | native img/s | rq img/s | native / rq |\n"
                         "|---|---|---:|---:|---:|\n");
    for (size_t i = 0; i < n; i++) {
        char a[32], b[32], ratio[32];
        format_ips(a, sizeof a, rows[i].native);
        format_ips(b, sizeof b, rows[i].rq);
        format_ratio(ratio, sizeof ratio, &rows[i]);
        char *next = mb_asprintf("%s| %s | %s | %s | %s | %s |\n", md,
                                 rows[i].native->scenario->name, rows[i].label, a, b, ratio);
        free(md);
        md = next;
    }
    free_rows(rows, n);
    return md;
}

void mb__worker_compare_print(const run_ctx *run, FILE *out)
{
    compare_row *rows;
    size_t n = collect(run, &rows);
    if (n == 0)
        return;
    int width = 4;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(rows[i].label) > width)
            width = (int)strlen(rows[i].label);
    fprintf(out, "\nnative vs rq (median images/s; ratio = native / rq)\n");
    fprintf(out, "%-*s  %12s  %12s  %11s\n", width, "cell", "native img/s", "rq img/s",
            "native / rq");
    for (size_t i = 0; i < n; i++) {
        char a[32], b[32], ratio[32];
        format_ips(a, sizeof a, rows[i].native);
        format_ips(b, sizeof b, rows[i].rq);
        format_ratio(ratio, sizeof ratio, &rows[i]);
        fprintf(out, "%-*s  %12s  %12s  %11s\n", width, rows[i].label, a, b, ratio);
    }
    free_rows(rows, n);
}

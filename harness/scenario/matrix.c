/* Matrix expansion: the Cartesian product of a scenario's axes, one mb_cell
 * per point, with the typed fields a run needs and the overrides applied. */
#include "scenario_private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

/* Values go into benchmark names and worker keys, where '/', ':' and ';'
 * separate fields; anything outside a safe set is percent-encoded so two
 * different values can never produce the same name. */
static void add_escaped(mb_strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-' || *p == '+' || *p == ',') {
            mb_strbuf_add_n(b, (const char *)p, 1);
        } else {
            char hex[4];
            snprintf(hex, sizeof hex, "%%%02X", *p);
            mb_strbuf_add(b, hex);
        }
    }
}

/* The short labels of Google Benchmark names: "fix:on", "image:224x224". */
static const char *label_of(const char *axis)
{
    switch (mb__axis_kind_of(axis, NULL)) {
    case MB__AXIS_FIX: return "fix";
    case MB__AXIS_IMAGE: return "image";
    case MB__AXIS_BATCH: return "batch";
    default: return axis;
    }
}

static const char *device_literal(const char *value)
{
    static const char *const devices[] = {"mps", "cuda", "cpu", "auto"};
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if (strcmp(value, devices[i]) == 0)
            return devices[i];
    return "auto";
}

static int override_matches(const mb_scenario *s, const mb_override *ov, const mb_cell *cell)
{
    for (size_t i = 0; i < ov->n_when; i++) {
        long a = mb__axis_index(s, ov->when[i].key);
        if (a < 0 || strcmp(cell->values[a], ov->when[i].value) != 0)
            return 0;
    }
    return 1;
}

static void fill_cell(const mb_scenario *s, mb_cell *cell)
{
    mb_strbuf name = {0}, key = {0};
    cell->device = "auto";
    cell->watermark_fix = true;
    cell->batch_size = 16;
    cell->image_width = 224;
    cell->image_height = 224;
    cell->expect = s->expect;
    cell->run = s->run;
    const char *precision = "fp32";
    mb_strbuf_add(&name, "embed");
    for (size_t a = 0; a < s->n_axes; a++) {
        const char *axis = s->axes[a].name, *value = cell->values[a];
        long num;
        switch (mb__axis_kind_of(axis, NULL)) {
        case MB__AXIS_WORKER:
            cell->worker_kind = strcmp(value, "rq") == 0 ? MB_WORKER_RQ : MB_WORKER_NATIVE;
            break;
        case MB__AXIS_DEVICE:
            cell->device = device_literal(value);
            break;
        case MB__AXIS_FIX:
            cell->watermark_fix = strcmp(value, "off") != 0;
            break;
        case MB__AXIS_EXEC:
            cell->run.exec = strcmp(value, "fork_per_job") == 0 ? MB_EXEC_FORK_PER_JOB
                                                                 : MB_EXEC_PERSISTENT;
            break;
        case MB__AXIS_PRECISION:
            precision = value;
            break;
        case MB__AXIS_ENV:
            cell->env[cell->n_env].key = mb_strdup(axis + 4);
            cell->env[cell->n_env].value = mb_strdup(value);
            cell->env[cell->n_env].pos = s->axes[a].pos;
            cell->n_env++;
            break;
        case MB__AXIS_IMAGE:
            if (strcmp(value, MB__IMAGE_AS_IS) == 0) {
                cell->image_width = 0;
                cell->image_height = 0;
            } else if (mb_parse_size(value, &cell->image_width, &cell->image_height) != 0) {
                cell->image_width = 0;
                cell->image_height = 0;
            }
            break;
        case MB__AXIS_BATCH:
            if (mb_parse_long(value, &num) == 0 && num > 0 && num <= MB__MAX_BATCH)
                cell->batch_size = (int)num;
            break;
        case MB__AXIS_UNKNOWN:
            break;
        }
        mb_strbuf_add(&name, "/");
        mb_strbuf_add(&name, label_of(axis));
        mb_strbuf_add(&name, ":");
        add_escaped(&name, value);
    }
    cell->precision = mb_strdup(precision);
    cell->name = name.s;

    for (size_t i = 0; i < s->n_overrides; i++) {
        const mb_override *ov = &s->overrides[i];
        if (!override_matches(s, ov, cell))
            continue;
        if (ov->has_oom)
            cell->expect.oom = ov->expect.oom;
        if (ov->has_regression)
            cell->expect.regression = ov->expect.regression;
    }

    /* Everything a worker process is started with, and nothing a job can
     * change on its own (image size, batch size).  The native kind adds
     * nothing, so its keys read as they did before there were two kinds. */
    char num[128];
    if (cell->worker_kind == MB_WORKER_RQ)
        mb_strbuf_add(&key, "worker=rq;");
    mb_strbuf_add(&key, "device=");
    mb_strbuf_add(&key, cell->device);
    mb_strbuf_add(&key, ";fix=");
    mb_strbuf_add(&key, cell->watermark_fix ? "on" : "off");
    mb_strbuf_add(&key, ";exec=");
    mb_strbuf_add(&key, cell->run.exec == MB_EXEC_FORK_PER_JOB ? "fork_per_job" : "persistent");
    mb_strbuf_add(&key, ";precision=");
    mb_strbuf_add(&key, cell->precision);
    for (size_t i = 0; i < cell->n_env; i++) {
        mb_strbuf_add(&key, ";env.");
        mb_strbuf_add(&key, cell->env[i].key);
        mb_strbuf_add(&key, "=");
        add_escaped(&key, cell->env[i].value);
    }
    snprintf(num, sizeof num, ";threads=%d;decode_threads=%d;memory_limit=%llu;on_oom=",
             cell->run.threads, cell->run.decode_threads,
             (unsigned long long)cell->run.memory_limit);
    mb_strbuf_add(&key, num);
    mb_strbuf_add(&key, cell->run.on_oom == MB_ON_OOM_EXIT ? "exit" : "continue");
    if (cell->run.allow_paravirtual_mps)
        mb_strbuf_add(&key, ";allow_paravirtual_mps");
    cell->worker_key = key.s;
}

int mb_matrix_expand(const mb_scenario *s, mb_cell **cells, size_t *n, mb_err *err)
{
    if (cells != NULL)
        *cells = NULL;
    if (n != NULL)
        *n = 0;
    if (s == NULL || cells == NULL || n == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_matrix_expand: NULL argument");
    for (size_t a = 0; a < s->n_axes; a++)
        if (s->axes[a].n_values == 0)
            return mb_err_set(err, MB_ESCENARIO, "%s:0:0: matrix.%s: the axis has no values",
                              s->path != NULL ? s->path : "<scenario>", s->axes[a].name);
    size_t total = mb__cell_count(s, NULL);
    if (total > MB__MAX_CELLS)
        return mb_err_set(err, MB_ESCENARIO, "%s:0:0: matrix: more than %d cells",
                          s->path != NULL ? s->path : "<scenario>", MB__MAX_CELLS);
    size_t n_env = 0;
    for (size_t a = 0; a < s->n_axes; a++)
        if (mb__axis_kind_of(s->axes[a].name, NULL) == MB__AXIS_ENV)
            n_env++;

    mb_cell *out = mb_calloc(total, sizeof *out);
    for (size_t k = 0; k < total; k++) {
        mb_cell *cell = &out[k];
        cell->index = k;
        /* One slot more than the axes: mb_cell does not keep its length, so
         * the array ends with NULL for mb_cells_free. */
        cell->values = mb_calloc(s->n_axes + 1, sizeof *cell->values);
        cell->env = mb_calloc(n_env, sizeof *cell->env);
        /* The last axis varies fastest, so the first one is outermost. */
        size_t rest = k;
        for (size_t a = s->n_axes; a-- > 0;) {
            size_t nv = s->axes[a].n_values;
            cell->values[a] = mb_strdup(s->axes[a].values[rest % nv]);
            rest /= nv;
        }
        fill_cell(s, cell);
    }
    *cells = out;
    *n = total;
    return 0;
}

void mb_cells_free(mb_cell *cells, size_t n)
{
    if (cells == NULL)
        return;
    for (size_t k = 0; k < n; k++) {
        mb_cell *cell = &cells[k];
        free(cell->name);
        free(cell->precision);
        free(cell->worker_key);
        for (size_t i = 0; cell->values != NULL && cell->values[i] != NULL; i++)
            free(cell->values[i]);
        free(cell->values);
        for (size_t i = 0; i < cell->n_env; i++) {
            free(cell->env[i].key);
            free(cell->env[i].value);
        }
        free(cell->env);
    }
    free(cells);
}

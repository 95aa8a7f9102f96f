/* The checks that need more than one key at a time, once the file is read:
 * contrasts against the matrix, axes given twice, photos and sizes, the
 * cell limit; then the overrides, whose `when` names the final axes and
 * which must not overlap. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

static int pos_after(mb_pos a, mb_pos b)
{
    return a.line > b.line || (a.line == b.line && a.column > b.column);
}

static void default_axis(mb_scenario *s, const char *name, const char *value)
{
    if (mb__axis_index(s, name) >= 0)
        return;
    mb_axis axis = {0};
    axis.name = mb_strdup(name);
    axis.values = mb_calloc(1, sizeof *axis.values);
    axis.value_pos = mb_calloc(1, sizeof *axis.value_pos);
    axis.values[0] = mb_strdup(value);
    axis.n_values = 1;
    mb__axis_put(s, &axis);
}

static long ctx_axis(const mb__load *c, const char *name)
{
    for (size_t i = 0; i < c->n_axes; i++)
        if (strcmp(c->axes[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* A contrast compares cells that differ in one axis of the matrix. */
static int check_contrasts(mb__load *c)
{
    mb_scenario *s = c->s;
    for (size_t i = 0; i < c->contrasts.n_values; i++) {
        const char *name = c->contrasts.values[i];
        mb_pos p = c->contrasts.value_pos[i];
        char path[64];
        snprintf(path, sizeof path, "contrasts[%zu]", i);
        long a = ctx_axis(c, name);
        if (a < 0)
            return mb__fail_at(c, path, p, "'%s' is not an axis of the matrix", name);
        if (c->axes[a].n_values < 2)
            return mb__fail_at(c, path, p, "matrix.%s has one value: nothing to contrast", name);
        if (strcmp(name, "image_size") == 0 || strcmp(name, "batch_size") == 0)
            return mb__fail_at(c, path, p, "%s is measured, not contrasted (contrast a worker "
                               "setting: watermark_fix, worker, exec, device, precision or "
                               "env.*)", name);
    }
    s->contrasts = c->contrasts.values;
    s->n_contrasts = c->contrasts.n_values;
    s->contrast_max_cost = c->contrast_max_cost;
    c->contrast_max_cost = NULL;
    c->contrasts.values = NULL;
    c->contrasts.n_values = 0;
    return 0;
}

/* An axis given both in the matrix and as a one-value key elsewhere
 * (images.sizes, run.exec, worker.kind): the later of the two is wrong. */
static int given_twice(mb__load *c, const char *axis, const mb_axis *other, const char *key,
                       const char *what)
{
    long i = ctx_axis(c, axis);
    if (i < 0 || other->name == NULL)
        return 0;
    mb_pos a = other->pos, b = c->axes[i].pos;
    char matrix_key[64];
    snprintf(matrix_key, sizeof matrix_key, "matrix.%s", axis);
    if (pos_after(a, b))
        return mb__fail_at(c, key, a, "%s are already given by %s (line %d)", what, matrix_key,
                           b.line);
    return mb__fail_at(c, matrix_key, b, "%s are already given by %s (line %d)", what, key,
                       a.line);
}

static int check_photos(mb__load *c)
{
    mb_scenario *s = c->s;
    long image = ctx_axis(c, "image_size");
    mb_axis *sizes = image >= 0 ? &c->axes[image] : c->sizes.name != NULL ? &c->sizes : NULL;
    if (s->images.as_is) {
        if (s->images.dir == NULL)
            return mb__fail_at(c, "images.group_by_size", mb__pos_of(c->group_by_size),
                               "false needs images.dir (photos to take as they are)");
        if (sizes != NULL)
            return mb__fail_at(c, image >= 0 ? "matrix.image_size" : "images.sizes", sizes->pos,
                               "sizes cannot be chosen when images.group_by_size is false");
    } else if (s->images.dir != NULL && sizes == NULL) {
        return mb__fail_at(c, "images.dir", mb__pos_of(c->images_dir),
                           "give images.sizes to group the photos by, or set "
                           "images.group_by_size: false to take them as they are");
    }
    return 0;
}

int mb__assemble_axes(mb__load *c)
{
    mb_scenario *s = c->s;
    int rc = check_contrasts(c);
    if (rc == 0)
        rc = given_twice(c, "image_size", &c->sizes, "images.sizes", "image sizes");
    if (rc == 0)
        rc = given_twice(c, "exec", &c->run_exec, "run.exec", "exec modes");
    if (rc == 0)
        rc = given_twice(c, "worker", &c->worker_kind, "worker.kind", "worker kinds");
    if (rc == 0)
        rc = check_photos(c);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < c->n_axes; i++)
        mb__axis_put(s, &c->axes[i]);
    if (c->sizes.name != NULL)
        mb__axis_put(s, &c->sizes);
    if (c->run_exec.name != NULL)
        mb__axis_put(s, &c->run_exec);
    if (c->worker_kind.name != NULL)
        mb__axis_put(s, &c->worker_kind);
    default_axis(s, "device", "auto");
    default_axis(s, "watermark_fix", "on");
    default_axis(s, "image_size", s->images.as_is ? MB__IMAGE_AS_IS : "224x224");
    default_axis(s, "batch_size", "16");
    if (mb__cell_count(s, NULL) > MB__MAX_CELLS)
        return mb__fail_at(c, "matrix", c->matrix != NULL ? mb__pos_of(c->matrix) : (mb_pos){1, 1},
                           "more than %d cells", MB__MAX_CELLS);
    return 0;
}

/* ---- overrides ---------------------------------------------------------- */

/* "mps, cpu": a list of names or values, for messages. */
static void join_commas(char *buf, size_t size, const char *const *words, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i == 0 ? "" : ", ", words[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static int not_an_axis(mb__load *c, yaml_node_t *key_node, const char *key)
{
    mb_scenario *s = c->s;
    const char **names = mb_calloc(s->n_axes, sizeof *names);
    for (size_t a = 0; a < s->n_axes; a++)
        names[a] = s->axes[a].name;
    const char *hint = mb__did_you_mean(key, names, s->n_axes);
    char list[512];
    join_commas(list, sizeof list, names, s->n_axes);
    int rc;
    if (mb__axis_kind_of(key, NULL) != MB__AXIS_UNKNOWN)
        rc = mb__fail(c, key_node, "this scenario has no '%s' axis (axes: %s)", key, list);
    else if (hint != NULL)
        rc = mb__fail(c, key_node, "'%s' is not a matrix axis (did you mean '%s'?)", key, hint);
    else
        rc = mb__fail(c, key_node, "'%s' is not a matrix axis (axes: %s)", key, list);
    free(names);
    return rc;
}

/* One `when` pair: a value the axis really has, normalised as the axis is. */
static int when_pair(mb__load *c, int which, const char *key, yaml_node_t *key_node,
                     yaml_node_t *value, void *ctx)
{
    (void)which;
    mb_override *ov = ctx;
    const mb_scenario *s = c->s;
    long axis = mb__axis_index(s, key);
    const char *raw = NULL;
    int rc = axis < 0 ? not_an_axis(c, key_node, key) : mb__scalar(c, value, &raw);
    if (rc != 0)
        return rc;
    char *norm = NULL;
    char why[512];
    if (mb__axis_value(key, raw, &norm, why, sizeof why) != 0)
        norm = mb_strdup(raw);
    const mb_axis *a = &s->axes[axis];
    bool found = false;
    for (size_t v = 0; v < a->n_values; v++)
        found |= strcmp(a->values[v], norm) == 0;
    if (!found) {
        char list[512];
        join_commas(list, sizeof list, (const char *const *)a->values, a->n_values);
        free(norm);
        return mb__fail(c, value, "'%s' is not a value of matrix axis '%s' (values: %s)", raw,
                        key, list);
    }
    ov->when[ov->n_when].key = mb_strdup(key);
    ov->when[ov->n_when].value = norm;
    ov->when[ov->n_when].pos = mb__pos_of(value);
    ov->n_when++;
    return 0;
}

int mb__read_when(mb__load *c, yaml_node_t *node, void *field)
{
    mb_override *ov = field;
    int rc = mb__expect_mapping(c, node);
    if (rc == 0 && mb__n_pairs(node) == 0)
        rc = mb__fail(c, node, "empty (name at least one axis value)");
    if (rc == 0) {
        ov->when = mb_calloc(mb__n_pairs(node), sizeof *ov->when);
        rc = mb__each_pair(c, node, NULL, 0, when_pair, ov);
    }
    return rc;
}

int mb__read_override_expect(mb__load *c, yaml_node_t *node, void *field)
{
    mb_override *ov = field;
    unsigned long seen = 0;
    c->override_expect = node;
    int rc = mb__read_table(c, node, &mb__expect_table, &ov->expect, &seen);
    ov->has_oom |= (seen & 1) != 0;
    ov->has_regression |= (seen & 2) != 0;
    return rc;
}

static const char *when_value(const mb_override *ov, const char *key)
{
    for (size_t i = 0; i < ov->n_when; i++)
        if (strcmp(ov->when[i].key, key) == 0)
            return ov->when[i].value;
    return NULL;
}

/* Two overrides can match one cell unless some axis both name has different
 * values in them: every other axis can take whatever value each wants. */
static int can_both_match(const mb_override *a, const mb_override *b)
{
    for (size_t i = 0; i < a->n_when; i++) {
        const char *other = when_value(b, a->when[i].key);
        if (other != NULL && strcmp(other, a->when[i].value) != 0)
            return 0;
    }
    return 1;
}

/* Override i, against the ones before it. */
static int check_override(mb__load *c, yaml_node_t *node, size_t i, unsigned long seen)
{
    const mb_scenario *s = c->s;
    const mb_override *ov = &s->overrides[i];
    if (!(seen & 1))
        return mb__fail(c, node, "missing 'when' (the axis values the override applies to)");
    if (!ov->has_oom && !ov->has_regression)
        return mb__fail(c, c->override_expect != NULL ? c->override_expect : node,
                        "changes nothing (give expect.oom or expect.regression)");
    for (size_t j = 0; j < i; j++) {
        const mb_override *first = &s->overrides[j];
        if (!can_both_match(first, ov))
            continue;
        const char *field = first->has_oom && ov->has_oom ? "expect.oom"
                            : first->has_regression && ov->has_regression
                                ? "expect.regression" : NULL;
        if (field != NULL)
            return mb__fail(c, node, "overlaps overrides[%zu] (line %d): a cell can match both "
                            "and both set %s", j, first->pos.line, field);
    }
    return 0;
}

int mb__read_overrides(mb__load *c)
{
    mb_scenario *s = c->s;
    yaml_node_t *list = c->overrides;
    size_t n = mb__n_items(list);
    size_t top = mb__path_push_key(c, "overrides");
    s->overrides = mb_calloc(n, sizeof *s->overrides);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *node = mb__item(c, list, i);
        mb_override *ov = &s->overrides[s->n_overrides++];
        size_t mark = mb__path_push_index(c, i);
        ov->pos = mb__pos_of(node);
        ov->expect = s->expect;
        c->override_expect = NULL;
        unsigned long seen = 0;
        rc = mb__read_table(c, node, &mb__override_table, ov, &seen);
        if (rc == 0)
            rc = check_override(c, node, i, seen);
        mb__path_pop(c, mark);
    }
    mb__path_pop(c, top);
    return rc;
}

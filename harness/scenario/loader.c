/* The generic part of the scenario loader: errors, the key path, scalar
 * conversions and the one read loop that walks a YAML mapping against a
 * schema table.  Every failure names the file, the node's line and column
 * and the dotted key, at one site: mb__fail(). */
#include "schema.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"

/* The checks that compare entries pairwise (duplicate keys) stay bounded:
 * real scenarios stay far below this. */
#define MAX_PAIRS 256

/* Every enum a table row writes is stored as an int. */
_Static_assert(sizeof(mb_image_format) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(mb_order) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(mb_oom_expect) == sizeof(int), "enum stored as int");

mb_pos mb__pos_of(const yaml_node_t *node)
{
    return (mb_pos){(int)node->start_mark.line + 1, (int)node->start_mark.column + 1};
}

yaml_node_t *mb__node_at(mb__load *c, int id)
{
    return yaml_document_get_node(&c->doc, id);
}

size_t mb__n_pairs(const yaml_node_t *map)
{
    return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

size_t mb__n_items(const yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *mb__item(mb__load *c, yaml_node_t *seq, size_t i)
{
    return mb__node_at(c, seq->data.sequence.items.start[i]);
}

const char *mb__type_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_NO_NODE: break;
    }
    return "nothing";
}

int mb__fail(mb__load *c, const yaml_node_t *node, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    mb_pos p = node == NULL ? (mb_pos){1, 1} : mb__pos_of(node);
    return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: %s: %s", c->file, p.line, p.column,
                      c->path_len == 0 ? "(root)" : c->path, reason);
}

int mb__fail_at(mb__load *c, const char *path, mb_pos p, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: %s: %s", c->file, p.line, p.column, path,
                      reason);
}

static void path_append(mb__load *c, const char *text)
{
    size_t n = strlen(text);
    if (c->path_len + n + 1 > c->path_cap) {
        c->path_cap = (c->path_len + n + 1) * 2;
        c->path = mb_realloc(c->path, c->path_cap);
    }
    memcpy(c->path + c->path_len, text, n + 1);
    c->path_len += n;
}

size_t mb__path_push_key(mb__load *c, const char *key)
{
    size_t mark = c->path_len;
    if (c->path_len > 0)
        path_append(c, ".");
    path_append(c, key);
    return mark;
}

size_t mb__path_push_index(mb__load *c, size_t i)
{
    size_t mark = c->path_len;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    path_append(c, buf);
    return mark;
}

void mb__path_pop(mb__load *c, size_t mark)
{
    c->path_len = mark;
    if (c->path != NULL)
        c->path[mark] = '\0';
}

/* libyaml keeps scalars NUL-terminated; one that holds a NUL itself (a "\0"
 * escape) would be cut short silently, so it is refused. */
int mb__scalar(mb__load *c, yaml_node_t *node, const char **out)
{
    if (node->type != YAML_SCALAR_NODE)
        return mb__fail(c, node, "expected a scalar, found %s", mb__type_name(node));
    const char *text = (const char *)node->data.scalar.value;
    if (memchr(text, '\0', node->data.scalar.length) != NULL)
        return mb__fail(c, node, "contains a NUL character");
    *out = text;
    return 0;
}

int mb__nonempty_scalar(mb__load *c, yaml_node_t *node, const char **out)
{
    int rc = mb__scalar(c, node, out);
    if (rc == 0 && (*out)[0] == '\0')
        return mb__fail(c, node, "missing value");
    return rc;
}

int mb__expect_mapping(mb__load *c, yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE)
        return mb__fail(c, node, "expected a mapping, found %s", mb__type_name(node));
    if (mb__n_pairs(node) > MAX_PAIRS)
        return mb__fail(c, node, "more than %d keys", MAX_PAIRS);
    return 0;
}

/* ---- conversions of scalar text (shared by the file and the defaults) --- */

static int parse_int(const char *text, long min, long max, int *out, char *why, size_t n)
{
    const char *p = text[0] == '-' ? text + 1 : text;
    int digits = *p != '\0';
    for (; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            digits = 0;
    long v = 0;
    if (!digits)
        snprintf(why, n, "expected an integer, got '%s'", text);
    else if (mb_parse_long(text, &v) != 0 || v > max)
        snprintf(why, n, "%s is absurd (at most %ld)", text, max);
    else if (v < min && min == 1)
        snprintf(why, n, "must be a positive integer, got %ld", v);
    else if (v < min)
        snprintf(why, n, "must be at least %ld, got %ld", min, v);
    else {
        *out = (int)v;
        return 0;
    }
    return -1;
}

static int parse_bool(const char *text, bool *out, char *why, size_t n)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(text, yes[i]) == 0 || strcasecmp(text, no[i]) == 0) {
            *out = strcasecmp(text, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(why, n, "expected true or false, got '%s'", text);
    return -1;
}

static int parse_fraction(const char *text, double max, double *out, char *why, size_t n)
{
    double v;
    if (mb_parse_fraction(text, &v) != 0)
        snprintf(why, n, "expected a fraction such as 5%% or 0.05, got '%s'", text);
    else if (v > max && strchr(text, '%') == NULL)
        snprintf(why, n, "must be between 0%% and %g%%, got %s (write %s%% for percent)",
                 max * 100, text, text);
    else if (v > max)
        snprintf(why, n, "must be between 0%% and %g%%, got %s", max * 100, text);
    else {
        *out = v;
        return 0;
    }
    return -1;
}

static int parse_word(const char *text, const char *what, const char *const *words,
                      size_t n_words, int *out, char *why, size_t n)
{
    for (size_t i = 0; i < n_words; i++) {
        if (strcmp(text, words[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    char list[256];
    mb__join_or(list, sizeof list, words, n_words);
    snprintf(why, n, "unknown %s '%s' (expected %s)", what, text, list);
    return -1;
}

static int parse_duration(const char *text, double max, double *out, char *why, size_t n)
{
    double t;
    if (mb_parse_duration(text, &t) != 0)
        snprintf(why, n, "expected a duration such as 120s or 500ms, got '%s'", text);
    else if (t <= 0)
        snprintf(why, n, "must be longer than zero, got %s", text);
    else if (t > max)
        snprintf(why, n, "%s is absurd (at most %gh)", text, max / 3600);
    else {
        *out = t;
        return 0;
    }
    return -1;
}

static int parse_bytes(const char *text, uint64_t *out, char *why, size_t n)
{
    if (strcmp(text, "none") == 0) {
        *out = 0;
        return 0;
    }
    if (mb_parse_bytes(text, out) == 0)
        return 0;
    snprintf(why, n, "expected a size such as 8GiB or 512MiB (or none), got '%s'", text);
    return -1;
}

/* Converts text by a simple-typed row into field.  -1 with the reason in
 * why; 1 when the row's type is not a simple one. */
static int convert(const mb__key *k, const char *text, void *field, char *why, size_t n)
{
    int word = 0, rc;
    switch (k->type) {
    case MB__KEY_INT:
        return parse_int(text, k->min, k->max, field, why, n);
    case MB__KEY_BOOL:
        return parse_bool(text, field, why, n);
    case MB__KEY_FRACTION:
        rc = parse_fraction(text, k->fmax, field, why, n);
        if (rc == 0 && k->positive && *(double *)field <= 0) {
            snprintf(why, n, "must be more than 0%%");
            rc = -1;
        }
        return rc;
    case MB__KEY_ENUM:
        rc = parse_word(text, k->what, k->words, k->n_words, &word, why, n);
        if (rc == 0)
            memcpy(field, &word, sizeof word);
        return rc;
    case MB__KEY_DURATION:
        return parse_duration(text, k->fmax, field, why, n);
    case MB__KEY_BYTES:
        return parse_bytes(text, field, why, n);
    default:
        return 1;
    }
}

int mb__get_int(mb__load *c, yaml_node_t *node, long min, long max, int *out)
{
    const char *text;
    char why[512];
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && parse_int(text, min, max, out, why, sizeof why) != 0)
        rc = mb__fail(c, node, "%s", why);
    return rc;
}

int mb__get_bool(mb__load *c, yaml_node_t *node, bool *out)
{
    const char *text;
    char why[512];
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && parse_bool(text, out, why, sizeof why) != 0)
        rc = mb__fail(c, node, "%s", why);
    return rc;
}

int mb__get_fraction(mb__load *c, yaml_node_t *node, double max, double *out)
{
    const char *text;
    char why[512];
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && parse_fraction(text, max, out, why, sizeof why) != 0)
        rc = mb__fail(c, node, "%s", why);
    return rc;
}

int mb__get_word(mb__load *c, yaml_node_t *node, const char *what, const char *const *words,
                 size_t n, int *out)
{
    const char *text;
    char why[512];
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && parse_word(text, what, words, n, out, why, sizeof why) != 0)
        rc = mb__fail(c, node, "%s", why);
    return rc;
}

/* ---- the read loop ------------------------------------------------------ */

static int unknown_key(mb__load *c, yaml_node_t *key_node, const char *key,
                       const char *const *known, size_t n_known)
{
    const char *hint = mb__did_you_mean(key, known, n_known);
    if (hint != NULL)
        return mb__fail(c, key_node, "unknown key '%s' (did you mean '%s'?)", key, hint);
    char list[512];
    mb__join_or(list, sizeof list, known, n_known);
    return mb__fail(c, key_node, "unknown key '%s' (expected %s)", key, list);
}

/* Checks pair i of a mapping: a scalar key, one of `known` (when given;
 * otherwise the caller judges the key) and not seen before in this mapping.
 * On success the key is pushed onto the path and *mark says where to pop
 * it back to. */
static int enter_pair(mb__load *c, yaml_node_t *map, size_t i, const char *const *known,
                      size_t n_known, int *which, const char **key, yaml_node_t **value,
                      size_t *mark)
{
    yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];
    yaml_node_t *key_node = mb__node_at(c, pair->key);
    int rc = mb__scalar(c, key_node, key);
    if (rc != 0)
        return rc;
    *mark = mb__path_push_key(c, *key);
    *which = -1;
    for (size_t k = 0; known != NULL && k < n_known; k++)
        if (strcmp(*key, known[k]) == 0)
            *which = (int)k;
    if (known != NULL && *which < 0)
        rc = unknown_key(c, key_node, *key, known, n_known);
    for (size_t j = 0; rc == 0 && j < i; j++) {
        yaml_node_t *other = mb__node_at(c, map->data.mapping.pairs.start[j].key);
        if (other->type == YAML_SCALAR_NODE &&
            strcmp((const char *)other->data.scalar.value, *key) == 0)
            rc = mb__fail(c, key_node, "duplicate key (first given at line %d)",
                          mb__pos_of(other).line);
    }
    if (rc != 0) {
        mb__path_pop(c, *mark);
        return rc;
    }
    *value = mb__node_at(c, pair->value);
    return 0;
}

int mb__read_key(mb__load *c, const mb__key *k, yaml_node_t *node, void *base)
{
    void *field = (char *)base + k->offset;
    const char *text;
    char why[512];
    int rc;
    switch (k->type) {
    case MB__KEY_TABLE:
        return mb__read_table(c, node, k->sub, field, NULL);
    case MB__KEY_CUSTOM:
        return k->read(c, node, field);
    case MB__KEY_STRING:
        rc = mb__nonempty_scalar(c, node, &text);
        if (rc == 0) {
            free(*(char **)field);
            *(char **)field = mb_strdup(text);
        }
        return rc;
    default:
        rc = mb__nonempty_scalar(c, node, &text);
        if (rc == 0 && convert(k, text, field, why, sizeof why) != 0)
            rc = mb__fail(c, node, "%s", why);
        return rc;
    }
}

int mb__each_pair(mb__load *c, yaml_node_t *node, const char *const *known, size_t n_known,
                  mb__pair_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < mb__n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, known, n_known, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        yaml_node_t *key_node = mb__node_at(c, node->data.mapping.pairs.start[i].key);
        rc = fn(c, which, key, key_node, value, ctx);
        mb__path_pop(c, mark);
    }
    return rc;
}

typedef struct table_read {
    const mb__table *t;
    void *base;
    unsigned long *seen;
} table_read;

static int read_row(mb__load *c, int which, const char *key, yaml_node_t *key_node,
                    yaml_node_t *value, void *ctx)
{
    (void)key;
    (void)key_node;
    table_read *r = ctx;
    int rc = mb__read_key(c, &r->t->keys[which], value, r->base);
    if (rc == 0 && r->seen != NULL)
        *r->seen |= 1ul << which;
    return rc;
}

int mb__read_table(mb__load *c, yaml_node_t *node, const mb__table *t, void *base,
                   unsigned long *seen)
{
    const char *names[MB__MAX_TABLE_KEYS];
    for (size_t k = 0; k < t->n; k++)
        names[k] = t->keys[k].name;
    table_read r = {t, base, seen};
    int rc = mb__expect_mapping(c, node);
    if (rc == 0)
        rc = mb__each_pair(c, node, names, t->n, read_row, &r);
    return rc;
}

static int apply_table(const mb__table *t, void *base)
{
    for (size_t i = 0; i < t->n; i++) {
        const mb__key *k = &t->keys[i];
        char why[512];
        if (k->type == MB__KEY_TABLE && apply_table(k->sub, (char *)base + k->offset) != 0)
            return -1;
        if (k->def != NULL && convert(k, k->def, (char *)base + k->offset, why, sizeof why) < 0)
            return -1;
    }
    return 0;
}

int mb__apply_defaults(mb_scenario *s)
{
    return apply_table(&mb__root_table, s);
}

char *mb__resolve(const mb_scenario *s, const char *path)
{
    if (path[0] == '/' || s->dir == NULL || s->dir[0] == '\0')
        return mb_strdup(path);
    return mb_asprintf("%s/%s", s->dir, path);
}

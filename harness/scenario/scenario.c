/* The scenario loader: YAML (libyaml's document API, so every node keeps its
 * position) into a validated mb_scenario.  Every failure names the file, the
 * node's line and column and the dotted key, at one site: fail(). */
#include "scenario_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "mb_util.h"

/* Deeper nesting than any scenario needs is refused before the document is
 * built, so no input can make the loader use unbounded memory or stack.  The
 * other limits bound the checks that compare entries pairwise (duplicate
 * keys, overlapping overrides); real scenarios stay far below them. */
#define MAX_DEPTH 32
#define MAX_PAIRS 256
#define MAX_OVERRIDES 256
#define MAX_REQUIRE 16
#define DEFAULT_MODEL "builtin:resnet50"
#define MAX_COMMAND_ARGS 64
#define MAX_PYTHONPATH 16
#define DEFAULT_RQ_FUNCTION "embed_job.embed"
#define DEFAULT_RQ_QUEUE "mpsbench"

/* The stock `rq worker` of python3-rq 1.13 and RQ 2.x: JSON serializer
 * (the harness writes JSON, never pickles), the run's Redis and queue, a
 * name the harness chooses and the worker class the exec axis picks. */
static const char *const default_rq_command[] = {
    "rq", "worker", "--url", "{redis}", "--name", "{name}", "--worker-class", "{class}",
    "--serializer", "rq.serializers.JSONSerializer", "{queue}",
};
static const char *const rq_placeholders[] = {"{redis}", "{queue}", "{name}", "{class}"};

static const char *const builtin_models[] = {"tiny", "resnet18", "resnet50"};

typedef struct load_ctx {
    const char *file;
    mb_err *err;
    yaml_document_t doc;
    mb_scenario *s;
    /* The dotted path of the node being read, e.g. "matrix.batch_size[2]". */
    char *path;
    size_t path_len, path_cap;
    /* Axes as the file gives them; they are checked against each other and
     * put in canonical order once the whole file is read. */
    mb_axis *axes;
    size_t n_axes;
    mb_axis sizes;          /* images.sizes */
    mb_axis run_exec;       /* run.exec, a one-value exec axis */
    mb_axis worker_kind;    /* worker.kind, a one-value worker axis */
    mb_axis contrasts;      /* `contrasts:`, axis names checked once the matrix is read */
    double *contrast_max_cost; /* parallel to contrasts.values, NAN = no gate */
    yaml_node_t *overrides; /* read last: `when` needs the final axes */
    yaml_node_t *group_by_size;
    yaml_node_t *images_dir;
    yaml_node_t *matrix;
} load_ctx;

static mb_pos pos_of(const yaml_node_t *node)
{
    return (mb_pos){(int)node->start_mark.line + 1, (int)node->start_mark.column + 1};
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(load_ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    mb_pos p = node == NULL ? (mb_pos){1, 1} : pos_of(node);
    return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: %s: %s", c->file, p.line, p.column,
                      c->path_len == 0 ? "(root)" : c->path, reason);
}

static void path_append(load_ctx *c, const char *text)
{
    size_t n = strlen(text);
    if (c->path_len + n + 1 > c->path_cap) {
        c->path_cap = (c->path_len + n + 1) * 2;
        c->path = mb_realloc(c->path, c->path_cap);
    }
    memcpy(c->path + c->path_len, text, n + 1);
    c->path_len += n;
}

static size_t path_push_key(load_ctx *c, const char *key)
{
    size_t mark = c->path_len;
    if (c->path_len > 0)
        path_append(c, ".");
    path_append(c, key);
    return mark;
}

static size_t path_push_index(load_ctx *c, size_t i)
{
    size_t mark = c->path_len;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    path_append(c, buf);
    return mark;
}

static void path_pop(load_ctx *c, size_t mark)
{
    c->path_len = mark;
    if (c->path != NULL)
        c->path[mark] = '\0';
}

static const char *type_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE: return "a scalar";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_NO_NODE: break;
    }
    return "nothing";
}

static yaml_node_t *node_at(load_ctx *c, int id)
{
    return yaml_document_get_node(&c->doc, id);
}

/* The text of a scalar node.  libyaml keeps scalars NUL-terminated; one that
 * holds a NUL itself (a "\0" escape) would be cut short silently, so it is
 * refused. */
static int scalar(load_ctx *c, yaml_node_t *node, const char **out)
{
    if (node->type != YAML_SCALAR_NODE)
        return fail(c, node, "expected a scalar, found %s", type_name(node));
    const char *text = (const char *)node->data.scalar.value;
    if (memchr(text, '\0', node->data.scalar.length) != NULL)
        return fail(c, node, "contains a NUL character");
    *out = text;
    return 0;
}

static int nonempty_scalar(load_ctx *c, yaml_node_t *node, const char **out)
{
    int rc = scalar(c, node, out);
    if (rc == 0 && (*out)[0] == '\0')
        return fail(c, node, "missing value");
    return rc;
}

static int expect_mapping(load_ctx *c, yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE)
        return fail(c, node, "expected a mapping, found %s", type_name(node));
    size_t n = (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    if (n > MAX_PAIRS)
        return fail(c, node, "more than %d keys", MAX_PAIRS);
    return 0;
}

static size_t n_pairs(const yaml_node_t *map)
{
    return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static size_t n_items(const yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* Checks pair i of a mapping: a scalar key, one of `known` (when given) and
 * not seen before in this mapping.  On success the key is pushed onto the
 * path and *mark says where to pop it back to. */
static int enter_pair(load_ctx *c, yaml_node_t *map, size_t i, const char *const *known,
                      size_t n_known, int *which, const char **key, yaml_node_t **value,
                      size_t *mark)
{
    yaml_node_pair_t *pair = &map->data.mapping.pairs.start[i];
    yaml_node_t *key_node = node_at(c, pair->key);
    int rc = scalar(c, key_node, key);
    if (rc != 0)
        return rc;
    *mark = path_push_key(c, *key);
    *which = -1;
    if (known != NULL) {
        for (size_t k = 0; k < n_known; k++)
            if (strcmp(*key, known[k]) == 0)
                *which = (int)k;
        if (*which < 0) {
            const char *hint = mb__did_you_mean(*key, known, n_known);
            if (hint != NULL) {
                rc = fail(c, key_node, "unknown key '%s' (did you mean '%s'?)", *key, hint);
            } else {
                char list[512];
                mb__join_or(list, sizeof list, known, n_known);
                rc = fail(c, key_node, "unknown key '%s' (expected %s)", *key, list);
            }
            path_pop(c, *mark);
            return rc;
        }
    }
    for (size_t j = 0; j < i; j++) {
        yaml_node_t *other = node_at(c, map->data.mapping.pairs.start[j].key);
        if (other->type == YAML_SCALAR_NODE &&
            strcmp((const char *)other->data.scalar.value, *key) == 0) {
            rc = fail(c, key_node, "duplicate key (first given at line %d)", pos_of(other).line);
            path_pop(c, *mark);
            return rc;
        }
    }
    *value = node_at(c, pair->value);
    return 0;
}

static int get_int(load_ctx *c, yaml_node_t *node, long min, long max, int *out)
{
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    const char *p = text[0] == '-' ? text + 1 : text;
    int digits = *p != '\0';
    for (; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            digits = 0;
    if (!digits)
        return fail(c, node, "expected an integer, got '%s'", text);
    long v;
    if (mb_parse_long(text, &v) != 0 || v > max)
        return fail(c, node, "%s is absurd (at most %ld)", text, max);
    if (v < min) {
        if (min == 1)
            return fail(c, node, "must be a positive integer, got %ld", v);
        return fail(c, node, "must be at least %ld, got %ld", min, v);
    }
    *out = (int)v;
    return 0;
}

/* Picks one of a fixed set of words; *out gets the word's index. */
static int get_word(load_ctx *c, yaml_node_t *node, const char *what,
                    const char *const *words, size_t n, int *out)
{
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(text, words[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    char list[256];
    mb__join_or(list, sizeof list, words, n);
    return fail(c, node, "unknown %s '%s' (expected %s)", what, text, list);
}

static int get_bool(load_ctx *c, yaml_node_t *node, bool *out)
{
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return fail(c, node, "expected true or false, got '%s'", text);
}

/* A fraction such as 5% or 0.05, at most max (1.0 for 100%). */
static int get_fraction_upto(load_ctx *c, yaml_node_t *node, double max, double *out)
{
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    double v;
    if (mb_parse_fraction(text, &v) != 0)
        return fail(c, node, "expected a fraction such as 5%% or 0.05, got '%s'", text);
    if (v > max) {
        if (strchr(text, '%') == NULL)
            return fail(c, node, "must be between 0%% and %g%%, got %s (write %s%% for percent)",
                        max * 100, text, text);
        return fail(c, node, "must be between 0%% and %g%%, got %s", max * 100, text);
    }
    *out = v;
    return 0;
}

static int get_fraction(load_ctx *c, yaml_node_t *node, double *out)
{
    return get_fraction_upto(c, node, 1.0, out);
}

/* A path in the file, resolved against the scenario's folder. */
static char *resolve(const mb_scenario *s, const char *path)
{
    if (path[0] == '/' || s->dir == NULL || s->dir[0] == '\0')
        return mb_strdup(path);
    return mb_asprintf("%s/%s", s->dir, path);
}

/* Reads an axis from a list or a lone scalar.  The values are checked and
 * normalised by the same rules as command-line lists and override values. */
static int read_axis(load_ctx *c, yaml_node_t *node, const char *name, mb_axis *axis)
{
    size_t n = 1;
    axis->name = mb_strdup(name);
    axis->pos = pos_of(node);
    if (node->type == YAML_SEQUENCE_NODE) {
        n = n_items(node);
        if (n == 0)
            return fail(c, node, "empty list (give at least one value)");
        if (n > MB__MAX_AXIS_VALUES)
            return fail(c, node, "more than %d values", MB__MAX_AXIS_VALUES);
    } else if (node->type != YAML_SCALAR_NODE) {
        return fail(c, node, "expected a list or a scalar, found %s", type_name(node));
    }
    axis->values = mb_calloc(n, sizeof *axis->values);
    axis->value_pos = mb_calloc(n, sizeof *axis->value_pos);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node;
        size_t mark = c->path_len;
        if (node->type == YAML_SEQUENCE_NODE) {
            item = node_at(c, node->data.sequence.items.start[i]);
            mark = path_push_index(c, i);
        }
        const char *raw;
        char why[512];
        char *norm = NULL;
        int rc = scalar(c, item, &raw);
        if (rc == 0 && raw[0] == '\0' && strncmp(name, "env.", 4) != 0)
            rc = fail(c, item, "missing value");
        if (rc == 0 && mb__axis_value(name, raw, &norm, why, sizeof why) != 0)
            rc = fail(c, item, "%s", why);
        for (size_t j = 0; rc == 0 && j < axis->n_values; j++)
            if (strcmp(axis->values[j], norm) == 0)
                rc = fail(c, item, "duplicate value '%s' (first given at line %d)", raw,
                          axis->value_pos[j].line);
        if (rc != 0) {
            free(norm);
            path_pop(c, mark);
            return rc;
        }
        axis->values[axis->n_values] = norm;
        axis->value_pos[axis->n_values] = pos_of(item);
        axis->n_values++;
        path_pop(c, mark);
    }
    return 0;
}

static int read_matrix(load_ctx *c, yaml_node_t *node)
{
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, NULL, 0, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        yaml_node_t *key_node = node_at(c, node->data.mapping.pairs.start[i].key);
        const char *why;
        if (mb__axis_kind_of(key, &why) == MB__AXIS_UNKNOWN) {
            const char *hint = mb__did_you_mean(key, mb__axis_names, mb__n_axis_names);
            if (why != NULL) {
                rc = fail(c, key_node, "%s", why);
            } else if (hint != NULL) {
                rc = fail(c, key_node, "unknown key '%s' (did you mean '%s'?)", key, hint);
            } else {
                char list[256];
                mb__join_or(list, sizeof list, mb__axis_names, mb__n_axis_names);
                rc = fail(c, key_node, "unknown key '%s' (expected %s or env.NAME)", key, list);
            }
        } else if (c->n_axes >= MB__MAX_AXES) {
            rc = fail(c, key_node, "more than %d matrix axes", MB__MAX_AXES);
        } else {
            c->axes = mb_realloc(c->axes, (c->n_axes + 1) * sizeof *c->axes);
            memset(&c->axes[c->n_axes], 0, sizeof *c->axes);
            c->n_axes++;
            rc = read_axis(c, value, key, &c->axes[c->n_axes - 1]);
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_images(load_ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"sizes", "per_job", "format", "dir", "group_by_size",
                                       "allow_unreadable"};
    static const char *const formats[] = {"jpeg", "png"};
    mb_scenario *s = c->s;
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key, *text;
        yaml_node_t *value;
        size_t mark;
        int which, word = 0;
        rc = enter_pair(c, node, i, keys, 6, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        switch (which) {
        case 0:
            rc = read_axis(c, value, "image_size", &c->sizes);
            break;
        case 1:
            rc = get_int(c, value, 1, 10000, &s->images.per_job);
            break;
        case 2:
            rc = get_word(c, value, "image format", formats, 2, &word);
            s->images.format = word == 1 ? MB_FORMAT_PNG : MB_FORMAT_JPEG;
            break;
        case 3:
            rc = nonempty_scalar(c, value, &text);
            if (rc == 0) {
                struct stat st;
                char *dir = resolve(s, text);
                if (stat(dir, &st) != 0)
                    rc = fail(c, value, "cannot use '%s' (%s: %s)", text, dir, strerror(errno));
                else if (!S_ISDIR(st.st_mode))
                    rc = fail(c, value, "'%s' is not a folder (%s)", text, dir);
                if (rc == 0) {
                    free(s->images.dir);
                    s->images.dir = dir;
                    s->images.dir_pos = pos_of(value);
                    c->images_dir = value;
                }
                else
                    free(dir);
            }
            break;
        case 5:
            rc = get_bool(c, value, &s->images.allow_unreadable);
            break;
        default: {
            bool group = true;
            rc = get_bool(c, value, &group);
            s->images.as_is = !group;
            c->group_by_size = value;
            break;
        }
        }
        path_pop(c, mark);
    }
    return rc;
}

/* `repetitions: 5`, or `repetitions: {min: 5, max: 20, target_ci: 2%}`. */
static int read_repetitions(load_ctx *c, yaml_node_t *node, mb_run_opts *run)
{
    static const char *const keys[] = {"min", "max", "target_ci"};
    if (node->type != YAML_MAPPING_NODE) {
        int rc = get_int(c, node, 1, 1000, &run->repetitions);
        run->repetitions_min = run->repetitions;
        run->target_ci = 0;
        return rc;
    }
    int min = 0, max = 0;
    double target = 0;
    bool has_target = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, keys, 3, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        if (which == 0)
            rc = get_int(c, value, 2, 1000, &min);
        else if (which == 1)
            rc = get_int(c, value, 2, 1000, &max);
        else if ((rc = get_fraction(c, value, &target)) == 0 && target <= 0)
            rc = fail(c, value, "must be more than 0%%");
        else
            has_target = true;
        path_pop(c, mark);
    }
    if (rc != 0)
        return rc;
    if (min == 0 || max == 0 || !has_target)
        return fail(c, node, "adaptive repetitions need min, max and target_ci");
    if (min > max)
        return fail(c, node, "min (%d) is more than max (%d)", min, max);
    run->repetitions = max;
    run->repetitions_min = min;
    run->target_ci = target;
    return 0;
}

static int read_run(load_ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"jobs", "warmup_jobs", "repetitions", "timeout",
                                       "memory_limit", "exec", "on_oom", "threads",
                                       "inflight", "decode_threads", "order",
                                       "max_live_workers", "allow_paravirtual_mps", "max_cells"};
    static const char *const on_oom[] = {"continue", "exit"};
    static const char *const orders[] = {"interleaved", "sequential"};
    mb_run_opts *run = &c->s->run;
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key, *text;
        yaml_node_t *value;
        size_t mark;
        int which, word = 0;
        rc = enter_pair(c, node, i, keys, sizeof keys / sizeof keys[0], &which, &key, &value,
                        &mark);
        if (rc != 0)
            break;
        switch (which) {
        case 0:
            rc = get_int(c, value, 1, 100000, &run->jobs);
            break;
        case 1:
            rc = get_int(c, value, 0, 100000, &run->warmup_jobs);
            break;
        case 2:
            rc = read_repetitions(c, value, run);
            break;
        case 3:
            rc = nonempty_scalar(c, value, &text);
            if (rc == 0) {
                double t;
                if (mb_parse_duration(text, &t) != 0)
                    rc = fail(c, value, "expected a duration such as 120s or 500ms, got '%s'",
                              text);
                else if (t <= 0)
                    rc = fail(c, value, "must be longer than zero, got %s", text);
                else if (t > 86400)
                    rc = fail(c, value, "%s is absurd (at most 24h)", text);
                else
                    run->timeout_s = t;
            }
            break;
        case 4:
            rc = nonempty_scalar(c, value, &text);
            if (rc == 0) {
                uint64_t bytes;
                if (strcmp(text, "none") == 0)
                    run->memory_limit = 0;
                else if (mb_parse_bytes(text, &bytes) != 0)
                    rc = fail(c, value,
                              "expected a size such as 8GiB or 512MiB (or none), got '%s'", text);
                else
                    run->memory_limit = bytes;
            }
            break;
        case 5:
            if (value->type != YAML_SCALAR_NODE) {
                rc = fail(c, value, "expected a scalar, found %s (a list of exec modes "
                                    "belongs in matrix.exec)", type_name(value));
            } else {
                rc = read_axis(c, value, "exec", &c->run_exec);
                if (rc == 0)
                    run->exec = strcmp(c->run_exec.values[0], "fork_per_job") == 0
                                    ? MB_EXEC_FORK_PER_JOB : MB_EXEC_PERSISTENT;
            }
            break;
        case 6:
            rc = get_word(c, value, "on_oom action", on_oom, 2, &word);
            run->on_oom = word == 1 ? MB_ON_OOM_EXIT : MB_ON_OOM_CONTINUE;
            break;
        case 7:
            rc = get_int(c, value, 0, 4096, &run->threads);
            break;
        case 8:
            rc = get_int(c, value, 1, 1024, &run->inflight);
            break;
        case 9:
            rc = get_int(c, value, 0, 4096, &run->decode_threads);
            break;
        case 10:
            rc = get_word(c, value, "order", orders, 2, &word);
            run->order = word == 1 ? MB_ORDER_SEQUENTIAL : MB_ORDER_INTERLEAVED;
            break;
        case 11:
            rc = get_int(c, value, 1, 64, &run->max_live_workers);
            break;
        case 12:
            rc = get_bool(c, value, &run->allow_paravirtual_mps);
            break;
        default:
            rc = get_int(c, value, 1, MB__MAX_CELLS, &run->max_cells);
            break;
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_expect(load_ctx *c, yaml_node_t *node, mb_expect *expect, bool *has_oom,
                       bool *has_regression)
{
    static const char *const keys[] = {"oom", "regression"};
    static const char *const oom[] = {"never", "allowed", "expected"};
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which, word = 0;
        rc = enter_pair(c, node, i, keys, 2, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        if (which == 0) {
            rc = get_word(c, value, "oom expectation", oom, 3, &word);
            expect->oom = word == 2 ? MB_OOM_EXPECTED : word == 1 ? MB_OOM_ALLOWED : MB_OOM_NEVER;
            *has_oom = true;
        } else {
            rc = get_fraction(c, value, &expect->regression);
            *has_regression = true;
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_fault(load_ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"emulate_mps_accounting", "crash_after_jobs",
                                       "hang_after_jobs", "slowdown"};
    mb_fault *f = &c->s->fault;
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, keys, sizeof keys / sizeof keys[0], &which, &key, &value,
                        &mark);
        if (rc != 0)
            break;
        switch (which) {
        case 0:
            rc = get_bool(c, value, &f->emulate_mps_accounting);
            break;
        case 1:
            rc = get_int(c, value, 0, 100000, &f->crash_after_jobs);
            break;
        case 2:
            rc = get_int(c, value, 0, 100000, &f->hang_after_jobs);
            break;
        default:
            /* Up to 100 times slower: more is no longer a benchmark. */
            rc = get_fraction_upto(c, value, 100.0, &f->slowdown);
            break;
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_search(load_ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"batch_size", "max_batch_size"};
    static const char *const modes[] = {"frontier"};
    mb_search *search = &c->s->search;
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which, word = 0;
        rc = enter_pair(c, node, i, keys, 2, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        if (which == 0) {
            rc = get_word(c, value, "search mode", modes, 1, &word);
            search->batch_frontier = rc == 0;
        } else {
            rc = get_int(c, value, 1, 4096, &search->max_batch_size);
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_require(load_ctx *c, yaml_node_t *node)
{
    mb_scenario *s = c->s;
    mb_axis devices = {0};
    int rc = read_axis(c, node, "device", &devices);
    if (rc == 0 && devices.n_values > MAX_REQUIRE)
        rc = fail(c, node, "more than %d devices", MAX_REQUIRE);
    for (size_t i = 0; rc == 0 && i < devices.n_values; i++) {
        if (strcmp(devices.values[i], "auto") == 0) {
            size_t mark = node->type == YAML_SEQUENCE_NODE ? path_push_index(c, i) : c->path_len;
            yaml_node_t *item = node->type == YAML_SEQUENCE_NODE
                                    ? node_at(c, node->data.sequence.items.start[i]) : node;
            rc = fail(c, item, "'auto' cannot be required (name mps, cuda or cpu)");
            path_pop(c, mark);
        }
    }
    if (rc == 0) {
        s->require = devices.values;
        s->n_require = devices.n_values;
        devices.values = NULL;
        devices.n_values = 0;
    }
    mb__axis_clear(&devices);
    return rc;
}

static int read_model(load_ctx *c, yaml_node_t *node)
{
    mb_scenario *s = c->s;
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    if (strncmp(text, "builtin:", 8) == 0) {
        for (size_t i = 0; i < sizeof builtin_models / sizeof builtin_models[0]; i++) {
            if (strcmp(text + 8, builtin_models[i]) == 0) {
                free(s->model);
                s->model = mb_strdup(text);
                return 0;
            }
        }
        char list[128];
        mb__join_or(list, sizeof list, builtin_models, 3);
        return fail(c, node, "unknown builtin model '%s' (expected builtin: followed by %s)",
                    text + 8, list);
    }
    char *file = resolve(s, text);
    struct stat st;
    if (stat(file, &st) != 0) {
        rc = fail(c, node, "cannot use model file '%s' (%s: %s)", text, file, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = fail(c, node, "model '%s' is not a regular file (%s)", text, file);
    } else {
        free(s->model);
        s->model = file;
        s->model_pos = pos_of(node);
        return 0;
    }
    free(file);
    return rc;
}

/* Checks one argument of worker.command: every "{...}" in it must be a
 * placeholder the harness fills, so a typo cannot reach the worker. */
static int command_arg(load_ctx *c, yaml_node_t *item, const char *text, bool *has_redis,
                       bool *has_queue)
{
    for (const char *p = strchr(text, '{'); p != NULL; p = strchr(p + 1, '{')) {
        bool known = false;
        for (size_t k = 0; k < sizeof rq_placeholders / sizeof rq_placeholders[0]; k++) {
            size_t n = strlen(rq_placeholders[k]);
            if (strncmp(p, rq_placeholders[k], n) == 0) {
                known = true;
                *has_redis |= k == 0;
                *has_queue |= k == 1;
            }
        }
        if (!known) {
            char list[128];
            mb__join_or(list, sizeof list, rq_placeholders,
                        sizeof rq_placeholders / sizeof rq_placeholders[0]);
            return fail(c, item, "unknown placeholder in '%s' (expected %s)", text, list);
        }
    }
    return 0;
}

static int read_command(load_ctx *c, yaml_node_t *node)
{
    mb_worker_opts *w = &c->s->worker;
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(c, node, "expected a list of arguments (no shell is used), found %s",
                    type_name(node));
    size_t n = n_items(node);
    if (n == 0)
        return fail(c, node, "empty list (give the program and its arguments)");
    if (n > MAX_COMMAND_ARGS)
        return fail(c, node, "more than %d arguments", MAX_COMMAND_ARGS);
    char **argv = mb_calloc(n, sizeof *argv);
    bool has_redis = false, has_queue = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = node_at(c, node->data.sequence.items.start[i]);
        size_t mark = path_push_index(c, i);
        const char *text;
        rc = i == 0 ? nonempty_scalar(c, item, &text) : scalar(c, item, &text);
        if (rc == 0)
            rc = command_arg(c, item, text, &has_redis, &has_queue);
        /* A program named with a slash is a path in the scenario's folder;
         * a bare name is looked up in PATH, as a shell would. */
        if (rc == 0)
            argv[i] = i == 0 && strchr(text, '/') != NULL ? resolve(c->s, text) : mb_strdup(text);
        path_pop(c, mark);
    }
    if (rc == 0 && (!has_redis || !has_queue))
        rc = fail(c, node, "must contain %s (the harness fills in the Redis URL and the queue)",
                  !has_redis && !has_queue ? "{redis} and {queue}"
                  : !has_redis ? "{redis}" : "{queue}");
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            free(argv[i]);
        free(argv);
        return rc;
    }
    for (size_t i = 0; i < w->n_command; i++)
        free(w->command[i]);
    free(w->command);
    w->command = argv;
    w->n_command = n;
    return 0;
}

/* A Python dotted path: identifiers joined by dots, at least one dot
 * (module.function). */
static bool dotted_path(const char *text)
{
    bool start = true, dot = false;
    for (const char *p = text; *p != '\0'; p++) {
        char ch = *p;
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (ch == '.') {
            if (start)
                return false;
            start = true;
            dot = true;
        } else if (alpha || (!start && ch >= '0' && ch <= '9')) {
            start = false;
        } else {
            return false;
        }
    }
    return dot && !start;
}

static int read_pythonpath(load_ctx *c, yaml_node_t *node)
{
    mb_worker_opts *w = &c->s->worker;
    size_t n = node->type == YAML_SEQUENCE_NODE ? n_items(node) : 1;
    if (node->type != YAML_SEQUENCE_NODE && node->type != YAML_SCALAR_NODE)
        return fail(c, node, "expected a list of folders, found %s", type_name(node));
    if (n > MAX_PYTHONPATH)
        return fail(c, node, "more than %d folders", MAX_PYTHONPATH);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = node;
        size_t mark = c->path_len;
        if (node->type == YAML_SEQUENCE_NODE) {
            item = node_at(c, node->data.sequence.items.start[i]);
            mark = path_push_index(c, i);
        }
        const char *text;
        rc = nonempty_scalar(c, item, &text);
        if (rc == 0 && strchr(text, ':') != NULL)
            rc = fail(c, item, "'%s' contains ':', which separates PYTHONPATH entries", text);
        if (rc == 0) {
            struct stat st;
            char *dir = resolve(c->s, text);
            if (stat(dir, &st) != 0)
                rc = fail(c, item, "cannot use '%s' (%s: %s)", text, dir, strerror(errno));
            else if (!S_ISDIR(st.st_mode))
                rc = fail(c, item, "'%s' is not a folder (%s)", text, dir);
            if (rc == 0) {
                w->pythonpath = mb_realloc(w->pythonpath,
                                           (w->n_pythonpath + 1) * sizeof *w->pythonpath);
                w->pythonpath[w->n_pythonpath++] = dir;
            } else {
                free(dir);
            }
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_worker(load_ctx *c, yaml_node_t *node)
{
    static const char *const keys[] = {"kind", "command", "function", "queue", "pythonpath"};
    mb_worker_opts *w = &c->s->worker;
    int rc = expect_mapping(c, node);
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key, *text;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, keys, sizeof keys / sizeof keys[0], &which, &key, &value,
                        &mark);
        if (rc != 0)
            break;
        switch (which) {
        case 0:
            if (value->type != YAML_SCALAR_NODE)
                rc = fail(c, value, "expected a scalar, found %s (a list of worker kinds "
                                    "belongs in matrix.worker)", type_name(value));
            else
                rc = read_axis(c, value, "worker", &c->worker_kind);
            break;
        case 1:
            rc = read_command(c, value);
            break;
        case 2:
            rc = nonempty_scalar(c, value, &text);
            if (rc == 0 && (strlen(text) > 256 || !dotted_path(text)))
                rc = fail(c, value, "'%s' is not a dotted path such as module.function", text);
            if (rc == 0) {
                free(w->function);
                w->function = mb_strdup(text);
            }
            break;
        default:
            if (which == 4) {
                rc = read_pythonpath(c, value);
                break;
            }
            rc = nonempty_scalar(c, value, &text);
            /* The name becomes part of Redis keys and of SCAN patterns, so
             * glob characters and separators are kept out. */
            for (const char *p = text; rc == 0 && *p != '\0'; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
                    rc = fail(c, value, "'%s' may use only letters, digits, '-', '_' and '.'",
                              text);
            if (rc == 0 && strlen(text) > 64)
                rc = fail(c, value, "longer than 64 characters");
            if (rc == 0) {
                free(w->queue);
                w->queue = mb_strdup(text);
            }
            break;
        }
        path_pop(c, mark);
    }
    return rc;
}

/* One `contrasts:` entry: an axis name, or {axis: NAME, max_cost: 2%}. */
static int read_contrast(load_ctx *c, yaml_node_t *item, const char **axis, double *max_cost)
{
    static const char *const keys[] = {"axis", "max_cost"};
    *max_cost = NAN;
    if (item->type != YAML_MAPPING_NODE)
        return nonempty_scalar(c, item, axis);
    *axis = NULL;
    int rc = expect_mapping(c, item);
    for (size_t i = 0; rc == 0 && i < n_pairs(item); i++) {
        const char *key;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, item, i, keys, 2, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        if (which == 0)
            rc = nonempty_scalar(c, value, axis);
        else
            rc = get_fraction(c, value, max_cost);
        path_pop(c, mark);
    }
    if (rc == 0 && *axis == NULL)
        rc = fail(c, item, "missing 'axis' (the axis whose cells are contrasted)");
    return rc;
}

static int read_contrasts(load_ctx *c, yaml_node_t *node)
{
    mb_axis *list = &c->contrasts;
    size_t n = node->type == YAML_SEQUENCE_NODE ? n_items(node) : 1;
    if (node->type == YAML_MAPPING_NODE)
        return fail(c, node, "expected a list, found a mapping (write [{axis: ..., "
                             "max_cost: ...}])");
    if (node->type == YAML_SEQUENCE_NODE && n == 0)
        return fail(c, node, "empty list (give at least one value)");
    if (n > MB__MAX_AXIS_VALUES)
        return fail(c, node, "more than %d values", MB__MAX_AXIS_VALUES);
    list->name = mb_strdup("contrasts");
    list->pos = pos_of(node);
    list->values = mb_calloc(n, sizeof *list->values);
    list->value_pos = mb_calloc(n, sizeof *list->value_pos);
    c->contrast_max_cost = mb_calloc(n, sizeof *c->contrast_max_cost);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = node;
        size_t mark = c->path_len;
        if (node->type == YAML_SEQUENCE_NODE) {
            item = node_at(c, node->data.sequence.items.start[i]);
            mark = path_push_index(c, i);
        }
        const char *axis = NULL;
        double max_cost;
        rc = read_contrast(c, item, &axis, &max_cost);
        for (size_t j = 0; rc == 0 && j < list->n_values; j++)
            if (strcmp(list->values[j], axis) == 0)
                rc = fail(c, item, "duplicate value '%s' (first given at line %d)", axis,
                          list->value_pos[j].line);
        if (rc == 0) {
            c->contrast_max_cost[list->n_values] = max_cost;
            list->value_pos[list->n_values] = pos_of(item);
            list->values[list->n_values++] = mb_strdup(axis);
        }
        path_pop(c, mark);
    }
    return rc;
}

static int read_name(load_ctx *c, yaml_node_t *node)
{
    const char *text;
    int rc = nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    if (strlen(text) > 128)
        return fail(c, node, "longer than 128 characters");
    /* The name becomes part of file names and benchmark names. */
    for (const char *p = text; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return fail(c, node, "'%s' may use only letters, digits, '-', '_' and '.'", text);
    }
    free(c->s->name);
    c->s->name = mb_strdup(text);
    return 0;
}

static int read_root(load_ctx *c, yaml_node_t *root)
{
    static const char *const keys[] = {"name", "model", "input_size", "resize_on", "images",
                                       "matrix", "run", "expect", "require", "overrides",
                                       "fault", "search", "worker", "contrasts"};
    static const char *const resize[] = {"host", "device"};
    mb_scenario *s = c->s;
    int rc = expect_mapping(c, root);
    for (size_t i = 0; rc == 0 && i < n_pairs(root); i++) {
        const char *key, *text;
        yaml_node_t *value;
        size_t mark;
        int which, word = 0;
        bool ignored;
        rc = enter_pair(c, root, i, keys, sizeof keys / sizeof keys[0], &which, &key, &value,
                        &mark);
        if (rc != 0)
            break;
        switch (which) {
        case 0:
            rc = read_name(c, value);
            break;
        case 1:
            rc = read_model(c, value);
            break;
        case 2:
            rc = nonempty_scalar(c, value, &text);
            if (rc == 0 && strcmp(text, "native") == 0)
                s->input_size = 0;
            else if (rc == 0)
                rc = get_int(c, value, 1, 16384, &s->input_size);
            break;
        case 3:
            rc = get_word(c, value, "resize_on", resize, 2, &word);
            s->resize_on = word == 1 ? MB_RESIZE_DEVICE : MB_RESIZE_HOST;
            break;
        case 4:
            rc = read_images(c, value);
            break;
        case 5:
            c->matrix = value;
            rc = read_matrix(c, value);
            break;
        case 6:
            rc = read_run(c, value);
            break;
        case 7:
            rc = read_expect(c, value, &s->expect, &ignored, &ignored);
            break;
        case 8:
            rc = read_require(c, value);
            break;
        case 10:
            rc = read_fault(c, value);
            break;
        case 11:
            rc = read_search(c, value);
            break;
        case 12:
            rc = read_worker(c, value);
            break;
        case 13:
            rc = read_contrasts(c, value);
            break;
        default:
            if (value->type != YAML_SEQUENCE_NODE)
                rc = fail(c, value, "expected a list, found %s", type_name(value));
            else if (n_items(value) > MAX_OVERRIDES)
                rc = fail(c, value, "more than %d overrides", MAX_OVERRIDES);
            else
                c->overrides = value;
            break;
        }
        path_pop(c, mark);
    }
    return rc;
}

/* Like fail(), for checks that span keys and name a position kept earlier. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail_at(load_ctx *c, const char *path, mb_pos p, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: %s: %s", c->file, p.line, p.column, path,
                      reason);
}

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

static long ctx_axis(const load_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_axes; i++)
        if (strcmp(c->axes[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Moves the file's axes into the scenario in canonical order, after the
 * checks that need to see more than one key at a time. */
static int assemble_axes(load_ctx *c)
{
    mb_scenario *s = c->s;
    long image = ctx_axis(c, "image_size");
    long exec = ctx_axis(c, "exec");
    long worker = ctx_axis(c, "worker");
    /* A contrast compares cells that differ in one axis of the matrix. */
    for (size_t i = 0; i < c->contrasts.n_values; i++) {
        const char *name = c->contrasts.values[i];
        char *path = mb_asprintf("contrasts[%zu]", i);
        long a = ctx_axis(c, name);
        int rc = 0;
        if (a < 0)
            rc = fail_at(c, path, c->contrasts.value_pos[i], "'%s' is not an axis of the matrix",
                         name);
        else if (c->axes[a].n_values < 2)
            rc = fail_at(c, path, c->contrasts.value_pos[i],
                         "matrix.%s has one value: nothing to contrast", name);
        else if (strcmp(name, "image_size") == 0 || strcmp(name, "batch_size") == 0)
            rc = fail_at(c, path, c->contrasts.value_pos[i], "%s is measured, not contrasted "
                         "(contrast a worker setting: watermark_fix, worker, exec, device, "
                         "precision or env.*)", name);
        free(path);
        if (rc != 0)
            return rc;
    }
    s->contrasts = c->contrasts.values;
    s->n_contrasts = c->contrasts.n_values;
    s->contrast_max_cost = c->contrast_max_cost;
    c->contrast_max_cost = NULL;
    c->contrasts.values = NULL;
    c->contrasts.n_values = 0;
    if (image >= 0 && c->sizes.name != NULL) {
        mb_pos a = c->sizes.pos, b = c->axes[image].pos;
        if (pos_after(a, b))
            return fail_at(c, "images.sizes", a,
                           "image sizes are already given by matrix.image_size (line %d)",
                           b.line);
        return fail_at(c, "matrix.image_size", b,
                       "image sizes are already given by images.sizes (line %d)", a.line);
    }
    if (exec >= 0 && c->run_exec.name != NULL) {
        mb_pos a = c->run_exec.pos, b = c->axes[exec].pos;
        if (pos_after(a, b))
            return fail_at(c, "run.exec", a,
                           "exec modes are already given by matrix.exec (line %d)", b.line);
        return fail_at(c, "matrix.exec", b, "exec modes are already given by run.exec (line %d)",
                       a.line);
    }
    if (worker >= 0 && c->worker_kind.name != NULL) {
        mb_pos a = c->worker_kind.pos, b = c->axes[worker].pos;
        if (pos_after(a, b))
            return fail_at(c, "worker.kind", a,
                           "worker kinds are already given by matrix.worker (line %d)", b.line);
        return fail_at(c, "matrix.worker", b,
                       "worker kinds are already given by worker.kind (line %d)", a.line);
    }
    mb_axis *sizes = image >= 0 ? &c->axes[image] : c->sizes.name != NULL ? &c->sizes : NULL;
    if (s->images.as_is) {
        if (s->images.dir == NULL)
            return fail_at(c, "images.group_by_size", pos_of(c->group_by_size),
                           "false needs images.dir (photos to take as they are)");
        if (sizes != NULL)
            return fail_at(c, image >= 0 ? "matrix.image_size" : "images.sizes", sizes->pos,
                           "sizes cannot be chosen when images.group_by_size is false");
    } else if (s->images.dir != NULL && sizes == NULL) {
        return fail_at(c, "images.dir", pos_of(c->images_dir),
                       "give images.sizes to group the photos by, or set "
                       "images.group_by_size: false to take them as they are");
    }
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
        return fail_at(c, "matrix", c->matrix != NULL ? pos_of(c->matrix) : (mb_pos){1, 1},
                       "more than %d cells", MB__MAX_CELLS);
    return 0;
}

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

static int read_when(load_ctx *c, yaml_node_t *node, mb_override *ov)
{
    mb_scenario *s = c->s;
    int rc = expect_mapping(c, node);
    if (rc == 0 && n_pairs(node) == 0)
        rc = fail(c, node, "empty (name at least one axis value)");
    if (rc == 0) {
        ov->when = mb_calloc(n_pairs(node), sizeof *ov->when);
    }
    for (size_t i = 0; rc == 0 && i < n_pairs(node); i++) {
        const char *key, *raw = NULL;
        yaml_node_t *value;
        size_t mark;
        int which;
        rc = enter_pair(c, node, i, NULL, 0, &which, &key, &value, &mark);
        if (rc != 0)
            break;
        long axis = mb__axis_index(s, key);
        if (axis < 0) {
            yaml_node_t *key_node = node_at(c, node->data.mapping.pairs.start[i].key);
            const char **names = mb_calloc(s->n_axes, sizeof *names);
            for (size_t a = 0; a < s->n_axes; a++)
                names[a] = s->axes[a].name;
            const char *hint = mb__did_you_mean(key, names, s->n_axes);
            char list[512];
            join_commas(list, sizeof list, names, s->n_axes);
            if (mb__axis_kind_of(key, NULL) != MB__AXIS_UNKNOWN)
                rc = fail(c, key_node, "this scenario has no '%s' axis (axes: %s)", key, list);
            else if (hint != NULL)
                rc = fail(c, key_node, "'%s' is not a matrix axis (did you mean '%s'?)", key,
                          hint);
            else
                rc = fail(c, key_node, "'%s' is not a matrix axis (axes: %s)", key, list);
            free(names);
        } else {
            rc = scalar(c, value, &raw);
        }
        char *norm = NULL;
        char why[512];
        if (rc == 0 && mb__axis_value(key, raw, &norm, why, sizeof why) != 0)
            norm = mb_strdup(raw);
        const mb_axis *a = rc == 0 ? &s->axes[axis] : NULL;
        int found = 0;
        for (size_t v = 0; a != NULL && v < a->n_values; v++)
            if (strcmp(a->values[v], norm) == 0)
                found = 1;
        if (rc == 0 && !found) {
            char list[512];
            join_commas(list, sizeof list, (const char *const *)a->values, a->n_values);
            rc = fail(c, value, "'%s' is not a value of matrix axis '%s' (values: %s)", raw, key,
                      list);
        }
        if (rc == 0) {
            ov->when[ov->n_when].key = mb_strdup(key);
            ov->when[ov->n_when].value = norm;
            ov->when[ov->n_when].pos = pos_of(value);
            ov->n_when++;
        } else {
            free(norm);
        }
        path_pop(c, mark);
    }
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

static int read_overrides(load_ctx *c)
{
    static const char *const keys[] = {"when", "expect"};
    mb_scenario *s = c->s;
    yaml_node_t *list = c->overrides;
    size_t n = n_items(list);
    size_t top = path_push_key(c, "overrides");
    s->overrides = mb_calloc(n, sizeof *s->overrides);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *node = node_at(c, list->data.sequence.items.start[i]);
        mb_override *ov = &s->overrides[s->n_overrides++];
        size_t item_mark = path_push_index(c, i);
        ov->pos = pos_of(node);
        ov->expect = s->expect;
        yaml_node_t *when = NULL, *expect = NULL;
        rc = expect_mapping(c, node);
        for (size_t k = 0; rc == 0 && k < n_pairs(node); k++) {
            const char *key;
            yaml_node_t *value;
            size_t mark;
            int which;
            rc = enter_pair(c, node, k, keys, 2, &which, &key, &value, &mark);
            if (rc != 0)
                break;
            if (which == 0) {
                when = value;
                rc = read_when(c, value, ov);
            } else {
                expect = value;
                rc = read_expect(c, value, &ov->expect, &ov->has_oom, &ov->has_regression);
            }
            path_pop(c, mark);
        }
        if (rc == 0 && when == NULL)
            rc = fail(c, node, "missing 'when' (the axis values the override applies to)");
        if (rc == 0 && !ov->has_oom && !ov->has_regression)
            rc = fail(c, expect != NULL ? expect : node,
                      "changes nothing (give expect.oom or expect.regression)");
        for (size_t j = 0; rc == 0 && j < i; j++) {
            const mb_override *first = &s->overrides[j];
            if (!can_both_match(first, ov))
                continue;
            const char *field = first->has_oom && ov->has_oom ? "expect.oom"
                                : first->has_regression && ov->has_regression
                                    ? "expect.regression" : NULL;
            if (field != NULL)
                rc = fail(c, node,
                          "overlaps overrides[%zu] (line %d): a cell can match both and both "
                          "set %s",
                          j, first->pos.line, field);
        }
        path_pop(c, item_mark);
    }
    path_pop(c, top);
    return rc;
}

static int yaml_failure(load_ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    const char *problem = p->problem != NULL ? p->problem : "cannot parse";
    if (p->error == YAML_MEMORY_ERROR)
        return mb_err_set(c->err, MB_ESCENARIO, "%s: yaml: out of memory", c->file);
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset rather than a mark. */
        line = 1;
        column = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: yaml: %s", c->file, line, column,
                          problem);
    }
    if (p->context != NULL)
        return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: yaml: %s (%s at line %d, column %d)",
                          c->file, line, column, problem, p->context,
                          (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return mb_err_set(c->err, MB_ESCENARIO, "%s:%d:%d: yaml: %s", c->file, line, column, problem);
}

/* A first pass over the events refuses what the document loader would take
 * but a scenario never needs: deep nesting and more than one document. */
static int prescan(load_ctx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return mb_err_set(c->err, MB_ESCENARIO, "%s: yaml: out of memory", c->file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc = 0, depth = 0, docs = 0, done = 0;
    while (rc == 0 && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_failure(c, &parser, text, len);
            break;
        }
        int line = (int)ev.start_mark.line + 1, column = (int)ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                rc = mb_err_set(c->err, MB_ESCENARIO,
                                "%s:%d:%d: yaml: a second document (a scenario file holds one)",
                                c->file, line, column);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > MAX_DEPTH)
                rc = mb_err_set(c->err, MB_ESCENARIO,
                                "%s:%d:%d: yaml: nested deeper than %d levels", c->file, line,
                                column, MAX_DEPTH);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return mb_strdup(".");
    if (slash == path)
        return mb_strdup("/");
    return mb_strndup(path, (size_t)(slash - path));
}

static char *stem_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash == NULL ? path : slash + 1;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot == base)
        return mb_strdup(base);
    return mb_strndup(base, (size_t)(dot - base));
}

static mb_scenario *scenario_new(const char *name, const char *dir)
{
    mb_scenario *s = mb_calloc(1, sizeof *s);
    s->path = mb_strdup(name);
    s->dir = dir != NULL ? mb_strdup(dir) : folder_of(name);
    s->name = stem_of(name);
    s->model = mb_strdup(DEFAULT_MODEL);
    s->input_size = 224;
    s->resize_on = MB_RESIZE_HOST;
    s->images.per_job = 32;
    s->images.format = MB_FORMAT_JPEG;
    s->run.jobs = 10;
    s->run.warmup_jobs = 1;
    s->run.repetitions = 5;
    s->run.repetitions_min = 5;
    s->run.timeout_s = 120;
    s->run.exec = MB_EXEC_PERSISTENT;
    s->run.on_oom = MB_ON_OOM_CONTINUE;
    s->run.inflight = 1;
    s->run.order = MB_ORDER_INTERLEAVED;
    /* Workers kept alive across rounds: a few ResNet-50 workers fit in an
     * 8 GiB Mac beside the system. */
    s->run.max_live_workers = 4;
    s->run.max_cells = MB_SCENARIO_MAX_CELLS_DEFAULT;
    s->expect.oom = MB_OOM_NEVER;
    s->expect.regression = 0.05;
    s->search.max_batch_size = 1024;
    size_t n = sizeof default_rq_command / sizeof default_rq_command[0];
    s->worker.command = mb_calloc(n, sizeof *s->worker.command);
    for (size_t i = 0; i < n; i++)
        s->worker.command[i] = mb_strdup(default_rq_command[i]);
    s->worker.n_command = n;
    s->worker.function = mb_strdup(DEFAULT_RQ_FUNCTION);
    s->worker.queue = mb_strdup(DEFAULT_RQ_QUEUE);
    return s;
}

static int load(load_ctx *c, const char *text, size_t len)
{
    int rc = prescan(c, text, len);
    if (rc != 0)
        return rc;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return mb_err_set(c->err, MB_ESCENARIO, "%s: yaml: out of memory", c->file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c->doc)) {
        rc = yaml_failure(c, &parser, text, len);
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    yaml_node_t *root = yaml_document_get_root_node(&c->doc);
    if (root == NULL)
        rc = mb_err_set(c->err, MB_ESCENARIO,
                        "%s:1:1: (root): empty file (expected a mapping of scenario settings)",
                        c->file);
    if (rc == 0)
        rc = read_root(c, root);
    if (rc == 0)
        rc = assemble_axes(c);
    if (rc == 0 && c->overrides != NULL)
        rc = read_overrides(c);
    yaml_document_delete(&c->doc);
    return rc;
}

int mb_scenario_load_string(const char *text, size_t len, const char *name, const char *dir,
                            mb_scenario **out, mb_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (text == NULL || out == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_scenario_load_string: NULL argument");
    if (name == NULL)
        name = "<string>";
    load_ctx c;
    memset(&c, 0, sizeof c);
    c.file = name;
    c.err = err;
    c.s = scenario_new(name, dir);
    int rc = load(&c, text, len);
    for (size_t i = 0; i < c.n_axes; i++)
        mb__axis_clear(&c.axes[i]);
    free(c.axes);
    mb__axis_clear(&c.sizes);
    mb__axis_clear(&c.run_exec);
    mb__axis_clear(&c.worker_kind);
    mb__axis_clear(&c.contrasts);
    free(c.contrast_max_cost);
    free(c.path);
    if (rc != 0) {
        mb_scenario_free(c.s);
        return rc;
    }
    *out = c.s;
    return 0;
}

int mb_scenario_load(const char *path, mb_scenario **out, mb_err *err)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_scenario_load: NULL argument");
    size_t len;
    errno = 0;
    /* A scenario is a few KiB; the cap keeps `mpsbench run /dev/zero` (or a
     * FIFO, or a huge file named by mistake) from reading without end. */
    char *text = mb_read_file_max(path, MB_SCENARIO_MAX_BYTES, &len);
    if (text == NULL && errno == EFBIG)
        return mb_err_set(err, MB_ESCENARIO, "%s: (file): larger than %d KiB; a scenario is a "
                          "short YAML file", path, MB_SCENARIO_MAX_BYTES / 1024);
    if (text == NULL)
        return mb_err_set(err, MB_ESCENARIO, "%s: (file): cannot read: %s", path,
                          strerror(errno != 0 ? errno : EIO));
    char *dir = folder_of(path);
    int rc = mb_scenario_load_string(text, len, path, dir, out, err);
    free(dir);
    free(text);
    return rc;
}

void mb_scenario_free(mb_scenario *s)
{
    if (s == NULL)
        return;
    free(s->path);
    free(s->dir);
    free(s->name);
    free(s->model);
    free(s->images.dir);
    for (size_t i = 0; i < s->n_axes; i++)
        mb__axis_clear(&s->axes[i]);
    free(s->axes);
    for (size_t i = 0; i < s->n_overrides; i++) {
        for (size_t k = 0; k < s->overrides[i].n_when; k++) {
            free(s->overrides[i].when[k].key);
            free(s->overrides[i].when[k].value);
        }
        free(s->overrides[i].when);
    }
    free(s->overrides);
    for (size_t i = 0; i < s->n_require; i++)
        free(s->require[i]);
    free(s->require);
    for (size_t i = 0; i < s->n_contrasts; i++)
        free(s->contrasts[i]);
    free(s->contrasts);
    free(s->contrast_max_cost);
    for (size_t i = 0; i < s->worker.n_command; i++)
        free(s->worker.command[i]);
    free(s->worker.command);
    free(s->worker.function);
    free(s->worker.queue);
    for (size_t i = 0; i < s->worker.n_pythonpath; i++)
        free(s->worker.pythonpath[i]);
    free(s->worker.pythonpath);
    free(s);
}

/* The custom readers: keys whose value is more than one scalar of a simple
 * type (axes, the model, paths checked on disk, the RQ worker's command,
 * contrasts) or whose rule spans a few fields.  The schema table names
 * each; the generic loop calls it with the key already on the path. */
#include "schema.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mb_util.h"

#define MAX_REQUIRE 16
#define MAX_OVERRIDES 256
#define MAX_COMMAND_ARGS 64
#define MAX_PYTHONPATH 16

static const char *const rq_placeholders[] = {"{redis}", "{queue}", "{name}", "{class}"};
static const char *const builtin_models[] = {"tiny", "resnet18", "resnet50"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Letters, digits, '-', '_' and '.': names that become parts of file
 * names, benchmark names and Redis keys (where glob characters and
 * separators must stay out). */
static bool plain_name(const char *text)
{
    for (const char *p = text; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

/* A folder named in the file, resolved and checked on disk (heap). */
static int existing_folder(mb__load *c, yaml_node_t *node, const char *text, char **out)
{
    struct stat st;
    char *dir = mb__resolve(c->s, text);
    int rc = 0;
    if (stat(dir, &st) != 0)
        rc = mb__fail(c, node, "cannot use '%s' (%s: %s)", text, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = mb__fail(c, node, "'%s' is not a folder (%s)", text, dir);
    if (rc != 0) {
        free(dir);
        return rc;
    }
    *out = dir;
    return 0;
}

int mb__read_axis(mb__load *c, yaml_node_t *node, const char *name, mb_axis *axis)
{
    size_t n = 1;
    axis->name = mb_strdup(name);
    axis->pos = mb__pos_of(node);
    if (node->type == YAML_SEQUENCE_NODE) {
        n = mb__n_items(node);
        if (n == 0)
            return mb__fail(c, node, "empty list (give at least one value)");
        if (n > MB__MAX_AXIS_VALUES)
            return mb__fail(c, node, "more than %d values", MB__MAX_AXIS_VALUES);
    } else if (node->type != YAML_SCALAR_NODE) {
        return mb__fail(c, node, "expected a list or a scalar, found %s", mb__type_name(node));
    }
    axis->values = mb_calloc(n, sizeof *axis->values);
    axis->value_pos = mb_calloc(n, sizeof *axis->value_pos);
    for (size_t i = 0; i < n; i++) {
        bool list = node->type == YAML_SEQUENCE_NODE;
        yaml_node_t *item = list ? mb__item(c, node, i) : node;
        size_t mark = list ? mb__path_push_index(c, i) : c->path_len;
        const char *raw;
        char why[512];
        char *norm = NULL;
        int rc = mb__scalar(c, item, &raw);
        if (rc == 0 && raw[0] == '\0' && strncmp(name, "env.", 4) != 0)
            rc = mb__fail(c, item, "missing value");
        if (rc == 0 && mb__axis_value(name, raw, &norm, why, sizeof why) != 0)
            rc = mb__fail(c, item, "%s", why);
        for (size_t j = 0; rc == 0 && j < axis->n_values; j++)
            if (strcmp(axis->values[j], norm) == 0)
                rc = mb__fail(c, item, "duplicate value '%s' (first given at line %d)", raw,
                              axis->value_pos[j].line);
        mb__path_pop(c, mark);
        if (rc != 0) {
            free(norm);
            return rc;
        }
        axis->values[axis->n_values] = norm;
        axis->value_pos[axis->n_values] = mb__pos_of(item);
        axis->n_values++;
    }
    return 0;
}

/* ---- the root ----------------------------------------------------------- */

int mb__read_name(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    const char *text;
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    if (strlen(text) > 128)
        return mb__fail(c, node, "longer than 128 characters");
    /* The name becomes part of file names and benchmark names. */
    if (!plain_name(text))
        return mb__fail(c, node, "'%s' may use only letters, digits, '-', '_' and '.'", text);
    free(c->s->name);
    c->s->name = mb_strdup(text);
    return 0;
}

int mb__read_model(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_scenario *s = c->s;
    const char *text;
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc != 0)
        return rc;
    if (strncmp(text, "builtin:", 8) == 0) {
        for (size_t i = 0; i < COUNT(builtin_models); i++) {
            if (strcmp(text + 8, builtin_models[i]) == 0) {
                free(s->model);
                s->model = mb_strdup(text);
                return 0;
            }
        }
        char list[128];
        mb__join_or(list, sizeof list, builtin_models, COUNT(builtin_models));
        return mb__fail(c, node, "unknown builtin model '%s' (expected builtin: followed by %s)",
                        text + 8, list);
    }
    char *file = mb__resolve(s, text);
    struct stat st;
    if (stat(file, &st) != 0) {
        rc = mb__fail(c, node, "cannot use model file '%s' (%s: %s)", text, file,
                      strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = mb__fail(c, node, "model '%s' is not a regular file (%s)", text, file);
    } else {
        free(s->model);
        s->model = file;
        s->model_pos = mb__pos_of(node);
        return 0;
    }
    free(file);
    return rc;
}

int mb__read_input_size(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    const char *text;
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && strcmp(text, "native") == 0)
        c->s->input_size = 0;
    else if (rc == 0)
        rc = mb__get_int(c, node, 1, 16384, &c->s->input_size);
    return rc;
}

static int matrix_axis(mb__load *c, int which, const char *key, yaml_node_t *key_node,
                       yaml_node_t *value, void *ctx)
{
    (void)which;
    (void)ctx;
    const char *why;
    if (mb__axis_kind_of(key, &why) == MB__AXIS_UNKNOWN) {
        const char *hint = mb__did_you_mean(key, mb__axis_names, mb__n_axis_names);
        if (why != NULL)
            return mb__fail(c, key_node, "%s", why);
        if (hint != NULL)
            return mb__fail(c, key_node, "unknown key '%s' (did you mean '%s'?)", key, hint);
        char list[256];
        mb__join_or(list, sizeof list, mb__axis_names, mb__n_axis_names);
        return mb__fail(c, key_node, "unknown key '%s' (expected %s or env.NAME)", key, list);
    }
    if (c->n_axes >= MB__MAX_AXES)
        return mb__fail(c, key_node, "more than %d matrix axes", MB__MAX_AXES);
    c->axes = mb_realloc(c->axes, (c->n_axes + 1) * sizeof *c->axes);
    memset(&c->axes[c->n_axes], 0, sizeof *c->axes);
    c->n_axes++;
    return mb__read_axis(c, value, key, &c->axes[c->n_axes - 1]);
}

/* The matrix's keys are axis names (axis.c), env.NAME included, so they are
 * checked by the axis rules rather than a table. */
int mb__read_matrix(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    c->matrix = node;
    int rc = mb__expect_mapping(c, node);
    if (rc == 0)
        rc = mb__each_pair(c, node, NULL, 0, matrix_axis, NULL);
    return rc;
}

int mb__read_require(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_scenario *s = c->s;
    mb_axis devices = {0};
    int rc = mb__read_axis(c, node, "device", &devices);
    if (rc == 0 && devices.n_values > MAX_REQUIRE)
        rc = mb__fail(c, node, "more than %d devices", MAX_REQUIRE);
    for (size_t i = 0; rc == 0 && i < devices.n_values; i++) {
        if (strcmp(devices.values[i], "auto") != 0)
            continue;
        bool list = node->type == YAML_SEQUENCE_NODE;
        size_t mark = list ? mb__path_push_index(c, i) : c->path_len;
        rc = mb__fail(c, list ? mb__item(c, node, i) : node,
                      "'auto' cannot be required (name mps, cuda or cpu)");
        mb__path_pop(c, mark);
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

/* Overrides are read last (validate.c), once the axes are final. */
int mb__read_overrides_node(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    if (node->type != YAML_SEQUENCE_NODE)
        return mb__fail(c, node, "expected a list, found %s", mb__type_name(node));
    if (mb__n_items(node) > MAX_OVERRIDES)
        return mb__fail(c, node, "more than %d overrides", MAX_OVERRIDES);
    c->overrides = node;
    return 0;
}

/* ---- images ------------------------------------------------------------- */

int mb__read_sizes(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    return mb__read_axis(c, node, "image_size", &c->sizes);
}

int mb__read_images_dir(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    const char *text;
    char *dir;
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0)
        rc = existing_folder(c, node, text, &dir);
    if (rc == 0) {
        free(c->s->images.dir);
        c->s->images.dir = dir;
        c->s->images.dir_pos = mb__pos_of(node);
        c->images_dir = node;
    }
    return rc;
}

int mb__read_group_by_size(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    bool group = true;
    int rc = mb__get_bool(c, node, &group);
    c->s->images.as_is = !group;
    c->group_by_size = node;
    return rc;
}

/* ---- run ---------------------------------------------------------------- */

/* `repetitions: 5`, or `repetitions: {min: 5, max: 20, target_ci: 2%}`. */
int mb__read_repetitions(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_run_opts *run = &c->s->run;
    if (node->type != YAML_MAPPING_NODE) {
        int rc = mb__get_int(c, node, 1, 1000, &run->repetitions);
        run->repetitions_min = run->repetitions;
        run->target_ci = 0;
        return rc;
    }
    mb__adaptive a = {0};
    unsigned long seen = 0;
    int rc = mb__read_table(c, node, &mb__adaptive_table, &a, &seen);
    if (rc != 0)
        return rc;
    if (seen != 7)
        return mb__fail(c, node, "adaptive repetitions need min, max and target_ci");
    if (a.min > a.max)
        return mb__fail(c, node, "min (%d) is more than max (%d)", a.min, a.max);
    run->repetitions = a.max;
    run->repetitions_min = a.min;
    run->target_ci = a.target_ci;
    return 0;
}

int mb__read_run_exec(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    if (node->type != YAML_SCALAR_NODE)
        return mb__fail(c, node, "expected a scalar, found %s (a list of exec modes belongs in "
                                 "matrix.exec)", mb__type_name(node));
    int rc = mb__read_axis(c, node, "exec", &c->run_exec);
    if (rc == 0)
        c->s->run.exec = strcmp(c->run_exec.values[0], "fork_per_job") == 0
                             ? MB_EXEC_FORK_PER_JOB : MB_EXEC_PERSISTENT;
    return rc;
}

/* ---- search ------------------------------------------------------------- */

int mb__read_search_mode(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    static const char *const modes[] = {"frontier"};
    int word = 0;
    int rc = mb__get_word(c, node, "search mode", modes, 1, &word);
    c->s->search.batch_frontier = rc == 0;
    return rc;
}

/* ---- contrasts ---------------------------------------------------------- */

/* One entry: an axis name, or {axis: NAME, max_cost: 2%}. */
static int read_contrast(mb__load *c, yaml_node_t *item, char **axis, double *max_cost)
{
    *max_cost = NAN;
    if (item->type != YAML_MAPPING_NODE) {
        const char *text;
        int rc = mb__nonempty_scalar(c, item, &text);
        *axis = rc == 0 ? mb_strdup(text) : NULL;
        return rc;
    }
    mb__contrast_entry e = {NULL, NAN};
    unsigned long seen = 0;
    int rc = mb__read_table(c, item, &mb__contrast_table, &e, &seen);
    if (rc == 0 && e.axis == NULL)
        rc = mb__fail(c, item, "missing 'axis' (the axis whose cells are contrasted)");
    if (rc != 0) {
        free(e.axis);
        return rc;
    }
    *axis = e.axis;
    *max_cost = e.max_cost;
    return 0;
}

int mb__read_contrasts(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_axis *list = &c->contrasts;
    bool seq = node->type == YAML_SEQUENCE_NODE;
    size_t n = seq ? mb__n_items(node) : 1;
    if (node->type == YAML_MAPPING_NODE)
        return mb__fail(c, node, "expected a list, found a mapping (write [{axis: ..., "
                                 "max_cost: ...}])");
    if (seq && n == 0)
        return mb__fail(c, node, "empty list (give at least one value)");
    if (n > MB__MAX_AXIS_VALUES)
        return mb__fail(c, node, "more than %d values", MB__MAX_AXIS_VALUES);
    list->name = mb_strdup("contrasts");
    list->pos = mb__pos_of(node);
    list->values = mb_calloc(n, sizeof *list->values);
    list->value_pos = mb_calloc(n, sizeof *list->value_pos);
    c->contrast_max_cost = mb_calloc(n, sizeof *c->contrast_max_cost);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = seq ? mb__item(c, node, i) : node;
        size_t mark = seq ? mb__path_push_index(c, i) : c->path_len;
        char *axis = NULL;
        double max_cost;
        rc = read_contrast(c, item, &axis, &max_cost);
        for (size_t j = 0; rc == 0 && j < list->n_values; j++)
            if (strcmp(list->values[j], axis) == 0)
                rc = mb__fail(c, item, "duplicate value '%s' (first given at line %d)", axis,
                              list->value_pos[j].line);
        if (rc == 0) {
            c->contrast_max_cost[list->n_values] = max_cost;
            list->value_pos[list->n_values] = mb__pos_of(item);
            list->values[list->n_values++] = axis;
        } else {
            free(axis);
        }
        mb__path_pop(c, mark);
    }
    return rc;
}

/* ---- worker ------------------------------------------------------------- */

int mb__read_worker_kind(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    if (node->type != YAML_SCALAR_NODE)
        return mb__fail(c, node, "expected a scalar, found %s (a list of worker kinds belongs "
                                 "in matrix.worker)", mb__type_name(node));
    return mb__read_axis(c, node, "worker", &c->worker_kind);
}

/* Checks one argument of worker.command: every "{...}" in it must be a
 * placeholder the harness fills, so a typo cannot reach the worker. */
static int command_arg(mb__load *c, yaml_node_t *item, const char *text, bool *has_redis,
                       bool *has_queue)
{
    for (const char *p = strchr(text, '{'); p != NULL; p = strchr(p + 1, '{')) {
        bool known = false;
        for (size_t k = 0; k < COUNT(rq_placeholders); k++) {
            if (strncmp(p, rq_placeholders[k], strlen(rq_placeholders[k])) == 0) {
                known = true;
                *has_redis |= k == 0;
                *has_queue |= k == 1;
            }
        }
        if (!known) {
            char list[128];
            mb__join_or(list, sizeof list, rq_placeholders, COUNT(rq_placeholders));
            return mb__fail(c, item, "unknown placeholder in '%s' (expected %s)", text, list);
        }
    }
    return 0;
}

static void free_argv(char **argv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(argv[i]);
    free(argv);
}

int mb__read_command(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_worker_opts *w = &c->s->worker;
    if (node->type != YAML_SEQUENCE_NODE)
        return mb__fail(c, node, "expected a list of arguments (no shell is used), found %s",
                        mb__type_name(node));
    size_t n = mb__n_items(node);
    if (n == 0)
        return mb__fail(c, node, "empty list (give the program and its arguments)");
    if (n > MAX_COMMAND_ARGS)
        return mb__fail(c, node, "more than %d arguments", MAX_COMMAND_ARGS);
    char **argv = mb_calloc(n, sizeof *argv);
    bool has_redis = false, has_queue = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = mb__item(c, node, i);
        size_t mark = mb__path_push_index(c, i);
        const char *text;
        rc = i == 0 ? mb__nonempty_scalar(c, item, &text) : mb__scalar(c, item, &text);
        if (rc == 0)
            rc = command_arg(c, item, text, &has_redis, &has_queue);
        /* A program named with a slash is a path in the scenario's folder;
         * a bare name is looked up in PATH, as a shell would. */
        if (rc == 0)
            argv[i] = i == 0 && strchr(text, '/') != NULL ? mb__resolve(c->s, text)
                                                          : mb_strdup(text);
        mb__path_pop(c, mark);
    }
    if (rc == 0 && (!has_redis || !has_queue))
        rc = mb__fail(c, node, "must contain %s (the harness fills in the Redis URL and the "
                      "queue)", !has_redis && !has_queue ? "{redis} and {queue}"
                                : !has_redis ? "{redis}" : "{queue}");
    if (rc != 0) {
        free_argv(argv, n);
        return rc;
    }
    free_argv(w->command, w->n_command);
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

int mb__read_function(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    const char *text;
    int rc = mb__nonempty_scalar(c, node, &text);
    if (rc == 0 && (strlen(text) > 256 || !dotted_path(text)))
        rc = mb__fail(c, node, "'%s' is not a dotted path such as module.function", text);
    if (rc == 0) {
        free(c->s->worker.function);
        c->s->worker.function = mb_strdup(text);
    }
    return rc;
}

int mb__read_queue(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    const char *text;
    int rc = mb__nonempty_scalar(c, node, &text);
    /* The name becomes part of Redis keys and of SCAN patterns. */
    if (rc == 0 && !plain_name(text))
        rc = mb__fail(c, node, "'%s' may use only letters, digits, '-', '_' and '.'", text);
    if (rc == 0 && strlen(text) > 64)
        rc = mb__fail(c, node, "longer than 64 characters");
    if (rc == 0) {
        free(c->s->worker.queue);
        c->s->worker.queue = mb_strdup(text);
    }
    return rc;
}

int mb__read_pythonpath(mb__load *c, yaml_node_t *node, void *field)
{
    (void)field;
    mb_worker_opts *w = &c->s->worker;
    bool seq = node->type == YAML_SEQUENCE_NODE;
    size_t n = seq ? mb__n_items(node) : 1;
    if (!seq && node->type != YAML_SCALAR_NODE)
        return mb__fail(c, node, "expected a list of folders, found %s", mb__type_name(node));
    if (n > MAX_PYTHONPATH)
        return mb__fail(c, node, "more than %d folders", MAX_PYTHONPATH);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        yaml_node_t *item = seq ? mb__item(c, node, i) : node;
        size_t mark = seq ? mb__path_push_index(c, i) : c->path_len;
        const char *text;
        char *dir;
        rc = mb__nonempty_scalar(c, item, &text);
        if (rc == 0 && strchr(text, ':') != NULL)
            rc = mb__fail(c, item, "'%s' contains ':', which separates PYTHONPATH entries",
                          text);
        if (rc == 0)
            rc = existing_folder(c, item, text, &dir);
        if (rc == 0) {
            w->pythonpath = mb_realloc(w->pythonpath,
                                       (w->n_pythonpath + 1) * sizeof *w->pythonpath);
            w->pythonpath[w->n_pythonpath++] = dir;
        }
        mb__path_pop(c, mark);
    }
    return rc;
}

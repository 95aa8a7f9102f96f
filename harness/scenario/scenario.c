/* The scenario loader's entry points: the YAML document (libyaml's document
 * API, so every node keeps its position), the defaults, then the schema
 * (schema.c) read by the generic loop (loader.c), the custom readers
 * (readers.c) and the checks across keys (validate.c). */
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

/* Deeper nesting than any scenario needs is refused before the document is
 * built, so no input can make the loader use unbounded memory or stack. */
#define MAX_DEPTH 32
#define DEFAULT_MODEL "builtin:resnet50"
#define DEFAULT_RQ_FUNCTION "embed_job.embed"
#define DEFAULT_RQ_QUEUE "mpsbench"

/* The stock `rq worker` of python3-rq 1.13 and RQ 2.x: JSON serializer
 * (the harness writes JSON, never pickles), the run's Redis and queue, a
 * name the harness chooses and the worker class the exec axis picks. */
static const char *const default_rq_command[] = {
    "rq", "worker", "--url", "{redis}", "--name", "{name}", "--worker-class", "{class}",
    "--serializer", "rq.serializers.JSONSerializer", "{queue}",
};

static int yaml_failure(mb__load *c, const yaml_parser_t *p, const char *text, size_t len)
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
static int prescan(mb__load *c, const char *text, size_t len)
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
    /* The simple keys' defaults come from the schema, the one place the
     * reference in the README is generated from.  One that does not parse
     * is a bug in the table (test_schema reads every one). */
    if (mb__apply_defaults(s) != 0)
        abort();
    s->run.repetitions = 5;
    s->run.repetitions_min = 5;
    s->run.exec = MB_EXEC_PERSISTENT;
    size_t n = sizeof default_rq_command / sizeof default_rq_command[0];
    s->worker.command = mb_calloc(n, sizeof *s->worker.command);
    for (size_t i = 0; i < n; i++)
        s->worker.command[i] = mb_strdup(default_rq_command[i]);
    s->worker.n_command = n;
    s->worker.function = mb_strdup(DEFAULT_RQ_FUNCTION);
    s->worker.queue = mb_strdup(DEFAULT_RQ_QUEUE);
    return s;
}

static int load(mb__load *c, const char *text, size_t len)
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
        rc = mb__read_table(c, root, &mb__root_table, c->s, NULL);
    if (rc == 0)
        rc = mb__assemble_axes(c);
    if (rc == 0 && c->overrides != NULL)
        rc = mb__read_overrides(c);
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
    mb__load c;
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
    /* A scenario is a few KiB; the cap keeps `mpsbench run /dev/zero` (or a
     * FIFO, or a huge file named by mistake) from reading without end. */
    mb_err rerr;
    char *text = mb_read_file_max(path, MB_SCENARIO_MAX_BYTES, &len, &rerr);
    /* The scenario's own wording: every scenario error names file:line:column
     * (here the file as a whole) and is exit 2, whatever the file system said. */
    if (text == NULL && rerr.code == MB_EINVAL)
        return mb_err_set(err, MB_ESCENARIO, "%s: (file): larger than %d KiB; a scenario is a "
                          "short YAML file", path, MB_SCENARIO_MAX_BYTES / 1024);
    if (text == NULL) {
        /* rerr.msg is "PATH: cannot read: CAUSE"; the position goes after PATH. */
        size_t n = strlen(path);
        bool named = strncmp(rerr.msg, path, n) == 0 && strncmp(rerr.msg + n, ": ", 2) == 0;
        return mb_err_set(err, MB_ESCENARIO, "%s: (file): %s", path,
                          named ? rerr.msg + n + 2 : rerr.msg);
    }
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

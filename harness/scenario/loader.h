/* What the loader's files share: the load context, the one place errors are
 * made (mb__fail), the dotted key path, the scalar readers every key type is
 * built from, and the generic read loop that walks a YAML mapping against a
 * schema table (schema.h).  Not part of the module's interface. */
#ifndef MB_SCENARIO_LOADER_H
#define MB_SCENARIO_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "scenario_private.h"

struct mb__table;

typedef struct mb__load {
    const char *file;
    mb_err *err;
    yaml_document_t doc;
    mb_scenario *s;
    /* The dotted path of the node being read, e.g. "matrix.batch_size[2]". */
    char *path;
    size_t path_len, path_cap;
    /* Axes as the file gives them; they are checked against each other and
     * put in canonical order once the whole file is read (validate.c). */
    mb_axis *axes;
    size_t n_axes;
    mb_axis sizes;          /* images.sizes */
    mb_axis run_exec;       /* run.exec, a one-value exec axis */
    mb_axis worker_kind;    /* worker.kind, a one-value worker axis */
    mb_axis contrasts;      /* `contrasts:`, axis names checked once the matrix is read */
    double *contrast_max_cost; /* parallel to contrasts.values, NAN = no gate */
    yaml_node_t *overrides; /* read last: `when` needs the final axes */
    yaml_node_t *override_expect; /* the `expect` of the override being read */
    yaml_node_t *group_by_size;
    yaml_node_t *images_dir;
    yaml_node_t *matrix;
} mb__load;

mb_pos mb__pos_of(const yaml_node_t *node);
yaml_node_t *mb__node_at(mb__load *c, int id);
size_t mb__n_pairs(const yaml_node_t *map);
size_t mb__n_items(const yaml_node_t *seq);
/* "a scalar", "a list", "a mapping": for "expected X, found Y". */
const char *mb__type_name(const yaml_node_t *node);
/* Item i of a sequence node. */
yaml_node_t *mb__item(mb__load *c, yaml_node_t *seq, size_t i);

/* The one error site: "file:line:column: path: reason" at node (1:1 for
 * NULL), returns MB_ESCENARIO.  mb__fail_at names a path and a position kept
 * earlier, for checks that span keys. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int mb__fail(mb__load *c, const yaml_node_t *node, const char *fmt, ...);
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int mb__fail_at(mb__load *c, const char *path, mb_pos p, const char *fmt, ...);

/* The path: push returns a mark that pop goes back to. */
size_t mb__path_push_key(mb__load *c, const char *key);
size_t mb__path_push_index(mb__load *c, size_t i);
void mb__path_pop(mb__load *c, size_t mark);

/* Scalar text; NUL bytes and (for the nonempty variant) "" are refused. */
int mb__scalar(mb__load *c, yaml_node_t *node, const char **out);
int mb__nonempty_scalar(mb__load *c, yaml_node_t *node, const char **out);
/* A mapping of at most MB__MAX_PAIRS keys. */
int mb__expect_mapping(mb__load *c, yaml_node_t *node);

int mb__get_int(mb__load *c, yaml_node_t *node, long min, long max, int *out);
int mb__get_bool(mb__load *c, yaml_node_t *node, bool *out);
/* A fraction such as 5% or 0.05, from 0 to max (1.0 for 100%). */
int mb__get_fraction(mb__load *c, yaml_node_t *node, double max, double *out);
/* One of n words; *out gets its index.  `what` names it in messages. */
int mb__get_word(mb__load *c, yaml_node_t *node, const char *what, const char *const *words,
                 size_t n, int *out);

/* Walks the pairs of a mapping node in file order.  Each key must be a
 * scalar, not given twice, and one of `known` when known is not NULL (an
 * unknown one gets a did-you-mean from known); fn then reads the value
 * with the key on the path (which: its index in known, -1 without). */
typedef int (*mb__pair_fn)(mb__load *c, int which, const char *key, yaml_node_t *key_node,
                           yaml_node_t *value, void *ctx);
int mb__each_pair(mb__load *c, yaml_node_t *node, const char *const *known, size_t n_known,
                  mb__pair_fn fn, void *ctx);

/* The generic read loop: every key of the mapping node is looked up in the
 * table (unknown ones get a did-you-mean from it) and read into base by its
 * row.  Bit k of *seen (when given) is set when row k was read. */
int mb__read_table(mb__load *c, yaml_node_t *node, const struct mb__table *t, void *base,
                   unsigned long *seen);

/* A path in the file, resolved against the scenario's folder (heap). */
char *mb__resolve(const mb_scenario *s, const char *path);

/* An axis from a list or a lone scalar; values are checked and normalised
 * by the same rules as command-line lists and override values. */
int mb__read_axis(mb__load *c, yaml_node_t *node, const char *name, mb_axis *axis);

/* validate.c: the checks that need the whole file, then the overrides
 * (whose `when` names the final axes). */
int mb__assemble_axes(mb__load *c);
int mb__read_overrides(mb__load *c);

#endif

/* The scenario schema: one row per key, with its type, range, default,
 * target field and help text.  The generic read loop (loader.c) reads a
 * mapping against a table, the did-you-mean list of unknown keys comes from
 * the table, and the README's scenario reference is generated from it
 * (mb_scenario_reference_markdown).  Not part of the module's interface. */
#ifndef MB_SCENARIO_SCHEMA_H
#define MB_SCENARIO_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "loader.h"

typedef enum {
    MB__KEY_INT,        /* int in [min, max] */
    MB__KEY_BOOL,       /* bool: true/false, yes/no, on/off */
    MB__KEY_FRACTION,   /* double: 5% or 0.05, from 0 to fmax */
    MB__KEY_ENUM,       /* int (an enum): the index of one of words */
    MB__KEY_DURATION,   /* double seconds: 120s, 500ms; (0, fmax] */
    MB__KEY_BYTES,      /* uint64_t: 8GiB, 512MiB, or none (0) */
    MB__KEY_STRING,     /* char *, non-empty (heap; replaces the old value) */
    MB__KEY_TABLE,      /* a nested mapping read against sub */
    MB__KEY_CUSTOM,     /* read by `read`; sub, when given, only documents it */
} mb__key_type;

/* A custom reader gets the row's target (the table's base + offset). */
typedef int (*mb__key_reader)(mb__load *c, yaml_node_t *node, void *field);

typedef struct mb__key {
    const char *name;
    mb__key_type type;
    size_t offset;              /* of the target field in the table's struct */
    long min, max;              /* INT */
    double fmax;                /* FRACTION, DURATION: the largest value */
    bool positive;              /* FRACTION: 0 is refused */
    const char *what;           /* ENUM: what a word is, for messages */
    const char *const *words;   /* ENUM: in the order of the enum's values */
    size_t n_words;
    const struct mb__table *sub;
    mb__key_reader read;        /* CUSTOM */
    /* The default as a scenario spells it.  Applied at load for the simple
     * types (INT to BYTES), so the reference cannot disagree with the
     * loader; for the others it documents what scenario.c sets. */
    const char *def;
    const char *doc_type;       /* the type in the reference, when not implied */
    const char *doc_range;      /* the accepted values, when not implied */
    const char *help;
} mb__key;

typedef struct mb__table {
    const mb__key *keys;
    size_t n;
} mb__table;

/* At most this many keys in one table (a bit each in `seen`). */
#define MB__MAX_TABLE_KEYS 32

extern const mb__table mb__root_table;
extern const mb__table mb__expect_table;
extern const mb__table mb__adaptive_table;
extern const mb__table mb__contrast_table;
extern const mb__table mb__override_table;
/* The matrix axes, for the reference only (matrix is read against axis.c). */
extern const mb__table mb__matrix_table;

/* Where adaptive repetitions ({min, max, target_ci}) are read into. */
typedef struct mb__adaptive {
    int min, max;
    double target_ci;
} mb__adaptive;

/* One `contrasts:` entry written as a mapping. */
typedef struct mb__contrast_entry {
    char *axis;
    double max_cost;
} mb__contrast_entry;

/* Reads one row's value into base (dispatch on the row's type). */
int mb__read_key(mb__load *c, const mb__key *k, yaml_node_t *node, void *base);
/* Sets every simple-typed row's default into s; 0, or -1 when a default in
 * the table does not parse (a bug the unit tests catch). */
int mb__apply_defaults(mb_scenario *s);

/* The custom readers (readers.c) the tables name. */
int mb__read_name(mb__load *c, yaml_node_t *node, void *field);
int mb__read_model(mb__load *c, yaml_node_t *node, void *field);
int mb__read_input_size(mb__load *c, yaml_node_t *node, void *field);
int mb__read_sizes(mb__load *c, yaml_node_t *node, void *field);
int mb__read_images_dir(mb__load *c, yaml_node_t *node, void *field);
int mb__read_group_by_size(mb__load *c, yaml_node_t *node, void *field);
int mb__read_matrix(mb__load *c, yaml_node_t *node, void *field);
int mb__read_repetitions(mb__load *c, yaml_node_t *node, void *field);
int mb__read_run_exec(mb__load *c, yaml_node_t *node, void *field);
int mb__read_require(mb__load *c, yaml_node_t *node, void *field);
int mb__read_overrides_node(mb__load *c, yaml_node_t *node, void *field);
int mb__read_search_mode(mb__load *c, yaml_node_t *node, void *field);
int mb__read_worker_kind(mb__load *c, yaml_node_t *node, void *field);
int mb__read_command(mb__load *c, yaml_node_t *node, void *field);
int mb__read_function(mb__load *c, yaml_node_t *node, void *field);
int mb__read_queue(mb__load *c, yaml_node_t *node, void *field);
int mb__read_pythonpath(mb__load *c, yaml_node_t *node, void *field);
int mb__read_contrasts(mb__load *c, yaml_node_t *node, void *field);
int mb__read_when(mb__load *c, yaml_node_t *node, void *field);
int mb__read_override_expect(mb__load *c, yaml_node_t *node, void *field);

#endif

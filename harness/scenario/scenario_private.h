/* What the loader (scenario.c and the files of loader.h), the axis rules
 * (axis.c) and the matrix expansion (matrix.c) share.  Not part of the
 * module's interface. */
#ifndef MB_SCENARIO_PRIVATE_H
#define MB_SCENARIO_PRIVATE_H

#include <stddef.h>

#include "scenario.h"

/* Limits that keep a hostile or mistaken file from exhausting memory or
 * time: a real scenario stays far below each of them. */
#define MB__MAX_AXIS_VALUES 1024
#define MB__MAX_AXES 64
#define MB__MAX_CELLS 100000
#define MB__MAX_BATCH 4096
#define MB__MAX_IMAGE_SIDE 32768

/* The value an image_size axis holds when images.dir is taken as it is. */
#define MB__IMAGE_AS_IS "as-is"

typedef enum {
    MB__AXIS_DEVICE = 0,
    MB__AXIS_FIX,
    MB__AXIS_EXEC,
    MB__AXIS_PRECISION,
    MB__AXIS_ENV,
    MB__AXIS_IMAGE,
    MB__AXIS_BATCH,
    MB__AXIS_WORKER,
    MB__AXIS_UNKNOWN
} mb__axis_kind;

/* The fixed axis names, for did-you-mean suggestions and messages. */
extern const char *const mb__axis_names[];
extern const size_t mb__n_axis_names;

/* The kind of an axis name; "env.NAME" is MB__AXIS_ENV only when NAME is a
 * valid environment variable name, which *why then explains otherwise. */
mb__axis_kind mb__axis_kind_of(const char *name, const char **why);

/* Checks one value of an axis and returns its normalised spelling ("on" for
 * "yes", "8" for "08", "1024x768" for "1024x0768") in *norm, which the caller
 * frees.  On failure returns -1 and writes the reason into why. */
int mb__axis_value(const char *axis, const char *raw, char **norm, char *why,
                   size_t why_size);

/* The axis's index in s->axes, or -1. */
long mb__axis_index(const mb_scenario *s, const char *name);

/* Puts axis into s->axes in the canonical order (worker, device,
 * watermark_fix, exec, precision, env.* in the order added, image_size,
 * batch_size),
 * replacing an axis of the same name.  s takes the axis's contents. */
void mb__axis_put(mb_scenario *s, mb_axis *axis);
void mb__axis_clear(mb_axis *axis);

/* Number of cells the axes multiply to, saturated at MB__MAX_CELLS + 1;
 * with a non-NULL `with`, as if that axis were put into s. */
size_t mb__cell_count(const mb_scenario *s, const mb_axis *with);

/* Levenshtein distance, and the candidate close enough to word to suggest
 * (NULL when none is). */
size_t mb__edit_distance(const char *a, const char *b);
const char *mb__did_you_mean(const char *word, const char *const *candidates, size_t n);

/* "a, b or c" into buf, for "expected ..." messages. */
void mb__join_or(char *buf, size_t size, const char *const *words, size_t n);

#endif

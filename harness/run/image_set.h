/* The images a cell's jobs draw from: generated fixtures at the cell's
 * size, or the user's own photos from images.dir. */
#ifndef MB_IMAGE_SET_H
#define MB_IMAGE_SET_H

#include <stddef.h>

#include "mb_error.h"
#include "scenario.h"

typedef struct mb_image_set mb_image_set;

/* cache_dir holds generated fixtures, shared between runs. */
mb_image_set *mb_image_set_new(const char *cache_dir);
void mb_image_set_free(mb_image_set *set);

/* Paths for the cell (borrowed; valid until the set is freed). */
int mb_image_set_for_cell(mb_image_set *set, const mb_scenario *s, const mb_cell *cell,
                          char ***paths, size_t *n, mb_err *err);

/* The distinct "WxH" sizes of the photos in dir, comma-separated (for
 * turning images.dir into an image_size axis).  Heap string. */
int mb_image_set_dir_sizes(mb_image_set *set, const char *dir, char **csv, mb_err *err);

#endif

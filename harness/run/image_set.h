/* The images a cell's jobs draw from: generated fixtures at the cell's
 * size, or the user's own photos from images.dir. */
#ifndef MB_IMAGE_SET_H
#define MB_IMAGE_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "mb_error.h"
#include "scenario.h"

typedef struct mb_image_set mb_image_set;

/* cache_dir holds generated fixtures, shared between runs. */
mb_image_set *mb_image_set_new(const char *cache_dir);
void mb_image_set_free(mb_image_set *set);

/* A check called between folder entries and fixture rows: when it returns
 * true, set-up stops with an error (an interrupt).  Process-wide for the
 * fixture generator. */
void mb_image_set_set_cancel(mb_image_set *set, bool (*cancelled)(void));

/* The photos of dir (as walked for a cell) that cannot be read, each as
 * "path: reason"; *reasons is a heap array of borrowed strings, valid
 * until the set is freed.  Returns how many. */
size_t mb_image_set_unreadable(mb_image_set *set, const char *dir, const char ***reasons);

/* Paths for the cell (borrowed; valid until the set is freed). */
int mb_image_set_for_cell(mb_image_set *set, const mb_scenario *s, const mb_cell *cell,
                          char ***paths, size_t *n, mb_err *err);

/* The distinct "WxH" sizes of the photos in dir, comma-separated (for
 * turning images.dir into an image_size axis).  Heap string. */
int mb_image_set_dir_sizes(mb_image_set *set, const char *dir, char **csv, mb_err *err);

#endif

/* Deterministic, photo-like fixture images: smooth lighting gradients, soft
 * shapes and sensor-like noise, so that JPEG sizes and decode costs resemble
 * real photos.  The same (w, h, seed, format) always gives the same file. */
#ifndef MB_FIXTURES_H
#define MB_FIXTURES_H

#include <stdint.h>

#include "mb_error.h"
#include "scenario.h"   /* mb_image_format */

/* Writes one image to path (atomically: temp file then rename). */
int mb_fixture_write(const char *path, int w, int h, uint32_t seed,
                     mb_image_format fmt, mb_err *err);

/* Makes sure dir holds `count` images of w x h in fmt, generating missing
 * ones, and returns their paths (*paths is an array of count heap strings;
 * free with mb_fixture_paths_free).  Names are stable:
 * dir/<w>x<h>-<i>.jpg|png. */
int mb_fixture_ensure(const char *dir, int w, int h, mb_image_format fmt, int count,
                      char ***paths, mb_err *err);
void mb_fixture_paths_free(char **paths, int count);

/* Writes the small broken images the tests and fault scenarios use into dir:
 * truncated.jpg, empty.jpg, png-named.jpg (a JPEG named .png is fine; a PNG
 * named .jpg too), bad-crc.png, bomb.png (header declares 100000x100000). */
int mb_fixture_write_corrupt_set(const char *dir, mb_err *err);

#endif

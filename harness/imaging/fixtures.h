/* Deterministic, photo-like fixture images: smooth lighting gradients, soft
 * shapes and sensor-like noise, so that JPEG sizes and decode costs resemble
 * real photos.  The same (w, h, seed, format) always gives the same file. */
#ifndef MB_FIXTURES_H
#define MB_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>

#include "image_format.h"
#include "mb_error.h"

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

/* A check the generator calls every few rows; when it returns true the
 * image being made is dropped and mb_fixture_ensure fails (an interrupt).
 * Process-wide; NULL (the default) never cancels. */
void mb_fixture_set_cancel(bool (*cancelled)(void));

/* Writes the small broken images the tests and fault scenarios use into dir:
 * truncated.jpg (a valid JPEG cut in half), empty.jpg (0 bytes), text.jpg
 * (plain text), bad-crc.png (a flipped byte in IDAT data), bomb.png (a tiny
 * PNG whose IHDR, with a correct CRC, declares 100000x100000), and two that
 * must decode because the format comes from the magic bytes:
 * wrong-extension.png (a JPEG) and png-named.jpg (a PNG).  Copies are
 * committed under fixtures/images/corrupt/. */
int mb_fixture_write_corrupt_set(const char *dir, mb_err *err);

#endif

/* Internals of fixtures.c that the module's tests check directly. */
#ifndef MB_FIXTURES_PRIVATE_H
#define MB_FIXTURES_PRIVATE_H

#include <stdint.h>

/* The generator's raw pixels before encoding: w*h*3 bytes of interleaved
 * RGB, freed with free(); NULL when allocation fails.  A PNG fixture decodes
 * to exactly these bytes. */
unsigned char *mb__fixture_pixels(int w, int h, uint32_t seed);

#endif

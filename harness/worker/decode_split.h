/* With `decode: auto` on a worker with nvJPEG, the decode pool, idle while
 * nvJPEG decodes, takes a share of each batch's images and decodes them on
 * the host meanwhile: at 12 MP the two decoders add up (one H200's NVJPG
 * engines and 16 host threads, issue 18).  The share is tuned batch by batch
 * from what the device side waited for: the pool (its share is too large)
 * or nothing (the pool keeps up, so it can take more). */
#ifndef MB_DECODE_SPLIT_H
#define MB_DECODE_SPLIT_H

#include <stdbool.h>

/* Images of at most this many times the model's input area (side x side) go
 * to the host pool whatever the share: at such sizes nvJPEG's hardware
 * engines pay a fixed cost per image that the host does not (224x224 on an
 * H200, 2026-12-02: nvJPEG 4208 images/s against 7950 on 16 host threads),
 * and nvJPEG's part of a batch only adds its device time to the batch's
 * (issue 18: 88% of the forward ceiling end to end with a quarter on nvJPEG,
 * 99% with the host alone).  4032x3024 is 243 times 224x224; 1024x768 is
 * 15.7 times. */
#define MB_SPLIT_HOST_AREA 4.0

/* Where the share starts, its step and its bounds. */
#define MB_SPLIT_START 0.25
#define MB_SPLIT_STEP 0.02
#define MB_SPLIT_MAX 0.75

/* The next batch's share, given how long the device side waited for the
 * pool to finish this batch (pool_wait_ms) and how long the device side
 * spent on it in all (device_ms: nvJPEG's call and the wait for the forward
 * pass).  A wait over 2% of the device time means the pool is behind. */
double mb_split_next(double share, double pool_wait_ms, double device_ms);

/* Whether row i of a batch goes to the host at this share: rows spread
 * evenly, so that share x n rows of every n do. */
bool mb_split_host_row(double share, int i);

/* Whether an image of width x height decodes on the host under `decode:
 * auto` whatever its row, for a model input of side x side. */
bool mb_split_small_image(int width, int height, int side);

#endif

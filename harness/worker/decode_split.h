/* With `decode: auto` on a worker with nvJPEG, the decode pool, idle while
 * nvJPEG decodes, takes a share of each batch's images and decodes them on
 * the host meanwhile: at 12 MP the two decoders add up (one H200's NVJPG
 * engines and 16 host threads, issue 18).  The share is tuned batch by batch
 * from what the device side waited for: the pool (its share is too large)
 * or nothing (the pool keeps up, so it can take more). */
#ifndef MB_DECODE_SPLIT_H
#define MB_DECODE_SPLIT_H

#include <stdbool.h>

/* Where the share starts, its step and its bounds.  The host may take every
 * row: where the pool keeps up alone (224x224 on an H200's 16 host threads,
 * nvJPEG at 4378 images/s against the pool's 10704), nvJPEG's part only
 * adds its own device time to each batch (issue 18: 88% of the forward
 * ceiling end to end with nvJPEG capped at a quarter, 92% with the host
 * alone).  The start is half and half, so that both sizes the targets
 * measure reach their share within a few batches (12 MP settles near 0.36,
 * 224x224 at 1). */
#define MB_SPLIT_START 0.5
#define MB_SPLIT_STEP 0.02
#define MB_SPLIT_MAX 1.0

/* The next batch's share, given how long the device side waited for the
 * pool to finish this batch (pool_wait_ms) and how long the device side
 * spent on it in all (device_ms: nvJPEG's call and the wait for the forward
 * pass).  A wait over 2% of the device time means the pool is behind. */
double mb_split_next(double share, double pool_wait_ms, double device_ms);

/* Whether row i of a batch goes to the host at this share: rows spread
 * evenly, so that share x n rows of every n do. */
bool mb_split_host_row(double share, int i);

#endif

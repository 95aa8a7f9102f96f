/* With `decode: auto` on a worker with nvJPEG, the decode pool, idle while
 * nvJPEG decodes, takes a share of each batch's images and decodes them on
 * the host meanwhile: at 12 MP the two decoders add up (one H200's NVJPG
 * engines and 16 host threads, issue 18).  The share is tuned batch by batch
 * from what the device side waited for: the pool (its share is too large)
 * or nothing (the pool keeps up, so it can take more). */
#ifndef MB_DECODE_SPLIT_H
#define MB_DECODE_SPLIT_H

#include <stdbool.h>

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

#endif

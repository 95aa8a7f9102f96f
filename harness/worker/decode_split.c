#include "decode_split.h"

double mb_split_next(double share, double pool_wait_ms, double device_ms)
{
    bool pool_behind = pool_wait_ms > 0.02 * device_ms;
    share += pool_behind ? -MB_SPLIT_STEP : MB_SPLIT_STEP;
    return share < 0 ? 0 : share > MB_SPLIT_MAX ? MB_SPLIT_MAX : share;
}

bool mb_split_host_row(double share, int i)
{
    /* Row i is the host's when the running count share * (i + 1) passes a
     * whole number there. */
    return (int)(share * (i + 1) + 1e-9) > (int)(share * i + 1e-9);
}

bool mb_split_small_image(int width, int height, int side)
{
    return (double)width * height <= MB_SPLIT_HOST_AREA * side * side;
}

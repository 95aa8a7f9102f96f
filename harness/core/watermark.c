#include "watermark.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PyTorch's default LOW ratio where the worker runs (see the header). */
#if defined(__APPLE__) && defined(__aarch64__)
static const double default_low = 1.4;   /* Apple silicon: unified memory */
#else
static const double default_low = 1.0;   /* discrete GPUs (Intel Macs) */
#endif

void mb_watermark_rule(bool fix, const char *high, const char *low, bool keep_high_when_off,
                       mb_watermark *out)
{
    memset(out, 0, sizeof *out);
    if (fix) {
        out->high_was_explicit = high != NULL;
        if (high == NULL)
            high = "0.0";
    } else if (!keep_high_when_off) {
        high = NULL;
    }
    if (high != NULL) {
        out->high_set = true;
        snprintf(out->high, sizeof out->high, "%s", high);
    }
    if (low != NULL) {
        out->low_set = true;
        snprintf(out->low, sizeof out->low, "%s", low);
    } else if (high != NULL) {
        double ratio = strtod(high, NULL);
        if (ratio > 0.0 && ratio < default_low) {
            out->low_set = true;
            out->low_lowered = true;
            snprintf(out->low, sizeof out->low, "%s", high);
        }
    }
}

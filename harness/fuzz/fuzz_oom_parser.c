/* libFuzzer target for the OOM message parser: worker error text is copied
 * verbatim from allocators and from other programs (the Python service), so
 * the parser must classify any byte string without crashing or reading past
 * its end, and whatever figures it extracts must be sane. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_oom_parser: invariant broken: %s\n", what);
        abort();
    }
}

/* A figure is either absent (negative) or a byte count, never NaN. */
static int sane_bytes(double x)
{
    return x == x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The parser takes a C string: an exact-size heap copy lets ASan catch
     * a read one byte past the terminator. */
    char *msg = malloc(size + 1);
    if (msg == NULL)
        return 0;
    memcpy(msg, data, size);
    msg[size] = '\0';

    mb_oom_info info;
    memset(&info, 0xa5, sizeof info);
    mb_oom_kind kind = mb_oom_parse(msg, &info);
    check(kind == info.kind, "the returned kind is the one stored");
    check(kind >= MB_OOM_NONE && kind <= MB_OOM_CPU, "the kind is known");
    check(mb_oom_kind_name(kind) != NULL, "every kind has a name");
    check(sane_bytes(info.allocated) && sane_bytes(info.other) &&
              sane_bytes(info.max_allowed) && sane_bytes(info.tried),
          "figures are numbers");

    const char *end = NULL;
    double bytes = mb_oom_parse_size(msg, &end);
    check(sane_bytes(bytes), "a parsed size is a number");
    if (bytes >= 0)
        check(end != NULL && end >= msg && end <= msg + strlen(msg), "end points into the text");
    free(msg);
    return 0;
}

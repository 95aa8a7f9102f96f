/* libFuzzer target for the scenario loader: any byte string is a candidate
 * scenario file.  A scenario that loads is expanded into its matrix, so the
 * override and cell-naming code sees every shape the loader accepts.  The
 * loader must never crash, leak or read out of bounds; errors are fine. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/* Expanding is linear in the cell count and the code per cell does not
 * change past a few cells, so large matrices (the loader allows 100000
 * cells) are skipped to keep the fuzzer fast. */
#define MB_FUZZ_MAX_CELLS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t cell_count(const mb_scenario *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->n_axes; i++) {
        if (s->axes[i].n_values == 0)
            return 0;
        if (n > MB_FUZZ_MAX_CELLS / s->axes[i].n_values)
            return MB_FUZZ_MAX_CELLS + 1;
        n *= s->axes[i].n_values;
    }
    return n;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scenario: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Relative paths (model files, images.dir) resolve against the scenario
     * fixtures, so seeds that name fixtures/scenarios/data load fully. */
    const char *dir = MB_SOURCE_DIR "/fixtures/scenarios";
    mb_scenario *s = NULL;
    mb_err err;
    int rc = mb_scenario_load_string((const char *)data, size, "fuzz.yaml", dir, &s, &err);
    if (rc != 0) {
        check(s == NULL, "a failed load returned a scenario");
        check(strncmp(err.msg, "fuzz.yaml:", 10) == 0, "error message names the file");
        return 0;
    }
    check(s != NULL, "a successful load returned no scenario");
    size_t expected = cell_count(s);
    if (expected <= MB_FUZZ_MAX_CELLS) {
        mb_cell *cells = NULL;
        size_t n = 0;
        if (mb_matrix_expand(s, &cells, &n, &err) == 0) {
            check(n == expected, "cell count is the product of the axis sizes");
            for (size_t i = 0; i < n; i++) {
                check(cells[i].name != NULL && cells[i].worker_key != NULL,
                      "every cell has a name and a worker key");
                check(cells[i].batch_size > 0, "every cell has a positive batch size");
            }
            mb_cells_free(cells, n);
        }
    }
    mb_scenario_free(s);
    return 0;
}

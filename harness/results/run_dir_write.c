/* The one writer of run.json.  The runner composes the document from its
 * state and rewrites it as the run goes (status "running", then the final
 * status), and a later run marks a dead run's file "incomplete"; both go
 * through here, so every run.json on disk carries the format this module
 * reads, and is replaced atomically: a reader, or a harness killed
 * mid-write, sees the previous whole file or the new one, never half. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "run_dir.h"

int mb_res_run_json_write(const char *path, json_t *doc, mb_err *err)
{
    json_object_set_new(doc, "format", json_integer(MB_RES_FORMAT));
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
    if (text == NULL)
        return mb_err_set(err, MB_EIO, "cannot write %s: the document cannot be encoded", path);
    int rc = mb_write_file_atomic(path, text, strlen(text));
    free(text);
    if (rc != 0)
        return mb_err_set(err, MB_EIO, "cannot write %s: %s", path, strerror(-rc));
    return 0;
}

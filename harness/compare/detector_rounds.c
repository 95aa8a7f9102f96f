#include "detector_rounds.h"

#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

int mb_det_rounds_save(const char *path, json_t *meta, const double *rows, size_t n_rows,
                       size_t width, mb_err *err)
{
    json_t *root = json_object();
    json_object_set(root, "meta", meta);
    json_t *list = json_array();
    for (size_t i = 0; i < n_rows; i++) {
        json_t *row = json_array();
        for (size_t k = 0; k < width; k++)
            json_array_append_new(row, json_real(rows[i * width + k]));
        json_array_append_new(list, row);
    }
    json_object_set_new(root, "rounds", list);
    /* Written whole or not at all: a stream cut by SIGKILL mid-write keeps
     * the file of its previous round. */
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    int rc = text != NULL ? mb_write_file_atomic(path, text, strlen(text), err)
                          : mb_err_set(err, MB_ENOMEM, "cannot encode %s", path);
    free(text);
    return rc;
}

int mb_det_rounds_load(const char *path, json_t **meta, double **rows, size_t *n_rows,
                       size_t width, mb_err *err)
{
    *meta = NULL;
    *rows = NULL;
    *n_rows = 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL)
        return mb_err_set(err, MB_EIO, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    json_t *list = json_object_get(root, "rounds");
    json_t *m = json_object_get(root, "meta");
    if (!json_is_array(list) || !json_is_object(m)) {
        json_decref(root);
        return mb_err_set(err, MB_EINVAL, "%s: not a detector rounds file (no \"meta\" "
                                          "object and \"rounds\" array)", path);
    }
    size_t n = json_array_size(list);
    double *out = mb_calloc(n * width + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(list, i);
        if (json_array_size(row) != width) {
            free(out);
            json_decref(root);
            return mb_err_set(err, MB_EINVAL, "%s: rounds[%zu]: expected %zu numbers", path, i,
                              width);
        }
        for (size_t k = 0; k < width; k++) {
            json_t *v = json_array_get(row, k);
            if (!json_is_number(v)) {
                free(out);
                json_decref(root);
                return mb_err_set(err, MB_EINVAL, "%s: rounds[%zu][%zu]: not a number", path,
                                  i, k);
            }
            out[i * width + k] = json_number_value(v);
        }
    }
    *meta = json_incref(m);
    *rows = out;
    *n_rows = n;
    json_decref(root);
    return 0;
}

#include "protocol.h"

#include <float.h>
#include <stdbool.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"

static const char *const status_names[] = {
    [MB_JOB_OK] = "ok",
    [MB_JOB_OOM] = "oom",
    [MB_JOB_ERROR] = "error",
    [MB_JOB_CRASHED] = "crashed",
    [MB_JOB_TIMEOUT] = "timeout",
    [MB_JOB_SKIPPED] = "skipped",
    [MB_JOB_INTERRUPTED] = "interrupted",
};

#define N_NAMES(t) (sizeof(t) / sizeof(t)[0])

/* The name of entry i of an enum's table of names, "unknown" beyond it. */
static const char *name_in(const char *const *names, size_t n, size_t i)
{
    return i < n ? names[i] : "unknown";
}

/* The entry whose name is name, from `first` on (entry 0 of a table may be
 * a value no message carries); -1 when none is. */
static int index_in(const char *const *names, size_t n, size_t first, const char *name)
{
    for (size_t i = first; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *mb_job_status_name(mb_job_status s)
{
    return name_in(status_names, N_NAMES(status_names), (size_t)s);
}

int mb_job_status_parse(const char *name)
{
    return index_in(status_names, N_NAMES(status_names), 0, name);
}

static const char *const decode_names[] = {
    [MB_DECODE_AUTO] = "auto",
    [MB_DECODE_HOST] = "host",
    [MB_DECODE_GPU] = "gpu",
};

static const char *const sent_names[] = {"unknown", "at_once", "before_next_wait",
                                         "behind_next_submit", "after_next"};

const char *mb_sent_name(mb_sent s)
{
    return name_in(sent_names, N_NAMES(sent_names), (size_t)s);
}

int mb_sent_parse(const char *name)
{
    return index_in(sent_names, N_NAMES(sent_names), 1, name);
}

const char *mb_decode_mode_name(mb_decode_mode m)
{
    return name_in(decode_names, N_NAMES(decode_names), (size_t)m);
}

int mb_decode_mode_parse(const char *name)
{
    return index_in(decode_names, N_NAMES(decode_names), 0, name);
}

double mb_embedding_checksum(const float *emb, size_t n, size_t offset)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)emb[i] * (double)(1 + (offset + i) % 7);
    return sum;
}

/* Serialises and frees the object in one step. */
static char *dump_and_free(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(obj);
    if (text == NULL) {
        fputs("mpsbench: cannot encode JSON\n", stderr);
        abort();
    }
    return text;
}

/* JSON strings must be UTF-8 and jansson refuses anything else, which
 * would silently drop an error text from libtorch or an image path from a
 * user's folder.  Invalid bytes become '?'. */
static json_t *text_json(const char *text)
{
    json_t *v = json_string(text);
    if (v != NULL)
        return v;
    char *copy = mb_strdup(text);
    for (unsigned char *p = (unsigned char *)copy; *p; p++) {
        int extra = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        bool ok = extra >= 0;
        for (int k = 1; ok && k <= extra; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (!ok)
            *p = '?';
        else
            p += extra;
    }
    v = json_string(copy);
    free(copy);
    return v != NULL ? v : json_string("?");
}

char *mb_job_encode(const mb_job *job)
{
    json_t *images = json_array();
    for (size_t i = 0; i < job->n_images; i++)
        json_array_append_new(images, text_json(job->images[i]));
    json_t *o = json_pack("{s:i, s:o, s:o, s:o, s:i, s:i, s:b, s:b}",
                          "v", MB_PROTOCOL_VERSION,
                          "id", text_json(job->id),
                          "cell", text_json(job->cell ? job->cell : ""),
                          "images", images,
                          "batch_size", job->batch_size,
                          "input_size", job->input_size,
                          "resize_on_device", job->resize_on_device,
                          "return_embeddings", job->return_embeddings);
    if (job->fault_slowdown > 0)
        json_object_set_new(o, "fault_slowdown", json_real(job->fault_slowdown));
    if (job->fault_nan_image > 0)
        json_object_set_new(o, "fault_nan_image", json_integer(job->fault_nan_image));
    if (job->decode != MB_DECODE_AUTO)
        json_object_set_new(o, "decode", json_string(mb_decode_mode_name(job->decode)));
    return dump_and_free(o);
}

/* Typed field readers: each fails with a message naming the field. */
static int get_string(json_t *o, const char *key, bool required, char **out, mb_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        if (required)
            return mb_err_set(err, MB_EPROTO, "missing field '%s'", key);
        return 0;
    }
    if (!json_is_string(v))
        return mb_err_set(err, MB_EPROTO, "field '%s' must be a string", key);
    *out = mb_strdup(json_string_value(v));
    return 0;
}

static int get_int(json_t *o, const char *key, bool required, long lo, long hi, int *out,
                   mb_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL) {
        if (required)
            return mb_err_set(err, MB_EPROTO, "missing field '%s'", key);
        return 0;
    }
    if (!json_is_integer(v))
        return mb_err_set(err, MB_EPROTO, "field '%s' must be an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return mb_err_set(err, MB_EPROTO, "field '%s' = %lld is out of range [%ld, %ld]", key,
                          (long long)x, lo, hi);
    *out = (int)x;
    return 0;
}

static int get_bool(json_t *o, const char *key, bool *out, mb_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return mb_err_set(err, MB_EPROTO, "field '%s' must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int get_number(json_t *o, const char *key, double lo, double hi, double *out, mb_err *err)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_number(v))
        return mb_err_set(err, MB_EPROTO, "field '%s' must be a number", key);
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi)
        return mb_err_set(err, MB_EPROTO, "field '%s' = %g is out of range", key, x);
    *out = x;
    return 0;
}

static int get_u64(json_t *o, const char *key, uint64_t *out, mb_err *err)
{
    double x = 0;
    /* JSON integers are signed 64-bit here (json_int_t), so that is the
     * largest count that survives a round trip. */
    int rc = get_number(o, key, 0, 9.2e18, &x, err);
    if (rc == 0)
        *out = (uint64_t)x;
    return rc;
}

static json_t *parse_object(const char *json, size_t len, mb_err *err)
{
    if (len > MB_MSG_MAX_BYTES) {
        mb_err_set(err, MB_EPROTO, "message of %zu bytes exceeds the limit", len);
        return NULL;
    }
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) {
        mb_err_set(err, MB_EPROTO, "invalid JSON at column %d: %s", jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        mb_err_set(err, MB_EPROTO, "message must be a JSON object");
        return NULL;
    }
    int version = MB_PROTOCOL_VERSION;
    mb_err verr;
    if (get_int(o, "v", false, 0, 1000, &version, &verr) != 0 || version != MB_PROTOCOL_VERSION) {
        json_decref(o);
        mb_err_set(err, MB_EPROTO, "unsupported protocol version (this side speaks %d)",
                   MB_PROTOCOL_VERSION);
        return NULL;
    }
    return o;
}

/* "decode": absent is auto. */
static int get_decode_mode(json_t *o, mb_decode_mode *out, mb_err *err)
{
    json_t *v = json_object_get(o, "decode");
    if (v == NULL)
        return 0;
    int m = json_is_string(v) ? mb_decode_mode_parse(json_string_value(v)) : -1;
    if (m < 0)
        return mb_err_set(err, MB_EPROTO, "field 'decode' must be \"auto\", \"host\" or \"gpu\"");
    *out = (mb_decode_mode)m;
    return 0;
}

int mb_job_decode(const char *json, size_t len, mb_job *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *o = parse_object(json, len, err);
    if (o == NULL)
        return MB_EPROTO;
    int rc = 0;
    out->input_size = 224;
    if ((rc = get_string(o, "id", true, &out->id, err)) ||
        (rc = get_string(o, "cell", false, &out->cell, err)) ||
        (rc = get_int(o, "batch_size", true, 1, 65536, &out->batch_size, err)) ||
        (rc = get_int(o, "input_size", false, 0, 16384, &out->input_size, err)) ||
        (rc = get_bool(o, "resize_on_device", &out->resize_on_device, err)) ||
        (rc = get_bool(o, "return_embeddings", &out->return_embeddings, err)) ||
        (rc = get_number(o, "fault_slowdown", 0, 100, &out->fault_slowdown, err)) ||
        (rc = get_int(o, "fault_nan_image", false, 0, MB_JOB_MAX_IMAGES, &out->fault_nan_image,
                      err)) ||
        (rc = get_decode_mode(o, &out->decode, err)))
        goto done;
    json_t *images = json_object_get(o, "images");
    if (!json_is_array(images) || json_array_size(images) == 0 ||
        json_array_size(images) > MB_JOB_MAX_IMAGES) {
        rc = mb_err_set(err, MB_EPROTO, "field 'images' must be a non-empty array of at most %d paths",
                        MB_JOB_MAX_IMAGES);
        goto done;
    }
    out->images = mb_calloc(json_array_size(images), sizeof *out->images);
    size_t i;
    json_t *v;
    json_array_foreach(images, i, v) {
        if (!json_is_string(v)) {
            rc = mb_err_set(err, MB_EPROTO, "images[%zu] must be a string", i);
            goto done;
        }
        out->images[i] = mb_strdup(json_string_value(v));
        out->n_images = i + 1;
    }
done:
    json_decref(o);
    if (rc != 0)
        mb_job_clear(out);
    return rc;
}

void mb_job_clear(mb_job *job)
{
    if (job == NULL)
        return;
    free(job->id);
    free(job->cell);
    for (size_t i = 0; i < job->n_images; i++)
        free(job->images[i]);
    free(job->images);
    memset(job, 0, sizeof *job);
}

/* JSON has no NaN or infinity; jansson refuses them and would make the
 * whole message unencodable.  The worker turns a non-finite embedding into
 * an error before it gets here, so this only keeps a stray value from
 * costing the result. */
static double finite_or_zero(double x)
{
    return isfinite(x) ? x : 0.0;
}

char *mb_result_encode(const mb_result *r)
{
    json_t *o = json_pack("{s:i, s:o, s:o, s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:i}",
                          "v", MB_PROTOCOL_VERSION,
                          "id", text_json(r->job_id ? r->job_id : ""),
                          "worker", text_json(r->worker_id ? r->worker_id : ""),
                          "status", mb_job_status_name(r->status),
                          "images", r->images,
                          "batches", r->batches,
                          "decode_ms", finite_or_zero(r->decode_ms),
                          "preprocess_ms", finite_or_zero(r->preprocess_ms),
                          "transfer_ms", finite_or_zero(r->transfer_ms),
                          "forward_ms", finite_or_zero(r->forward_ms),
                          "wall_ms", finite_or_zero(r->wall_ms),
                          "checksum", finite_or_zero(r->checksum),
                          "embedding_dim", r->embedding_dim);
    json_object_set_new(o, "batch_size", json_integer(r->batch_size));
    if (r->decode != MB_DECODE_AUTO) {
        json_object_set_new(o, "decode", json_string(mb_decode_mode_name(r->decode)));
        json_object_set_new(o, "gpu_images", json_integer(r->gpu_images));
    }
    if (r->has_gap)
        json_object_set_new(o, "gap", json_pack("{s:b, s:b, s:f, s:f, s:f, s:f, s:f}",
                                                "prefetched", r->prefetched,
                                                "first_batch_ready", r->first_batch_ready > 0,
                                                "tail_ms", finite_or_zero(r->gap_tail_ms),
                                                "handoff_ms", finite_or_zero(r->gap_handoff_ms),
                                                "dequeue_ms", finite_or_zero(r->gap_dequeue_ms),
                                                "setup_ms", finite_or_zero(r->gap_setup_ms),
                                                "first_batch_ms",
                                                finite_or_zero(r->gap_first_batch_ms)));
    if (r->sent != MB_SENT_UNKNOWN) {
        json_object_set_new(o, "sent", json_string(mb_sent_name(r->sent)));
        json_object_set_new(o, "held_ms", json_real(finite_or_zero(r->held_ms)));
    }
    json_object_set_new(o, "peak_rss_bytes", json_integer((json_int_t)r->peak_rss_bytes));
    json_object_set_new(o, "peak_allocated_bytes", json_integer((json_int_t)r->peak_allocated_bytes));
    json_object_set_new(o, "peak_reserved_bytes", json_integer((json_int_t)r->peak_reserved_bytes));
    if (r->error != NULL)
        json_object_set_new(o, "error", text_json(r->error));
    if (r->embeddings != NULL) {
        json_t *emb = json_array();
        for (size_t i = 0; i < r->n_embeddings; i++)
            json_array_append_new(emb, json_real(finite_or_zero(r->embeddings[i])));
        json_object_set_new(o, "embeddings", emb);
    }
    return dump_and_free(o);
}

/* The optional "gap" object: the stages between this job and the one before. */
static int get_gap(json_t *o, mb_result *out, mb_err *err)
{
    json_t *gap = json_object_get(o, "gap");
    out->first_batch_ready = -1;
    if (gap == NULL)
        return 0;
    if (!json_is_object(gap))
        return mb_err_set(err, MB_EPROTO, "field 'gap' must be an object");
    json_t *pre = json_object_get(gap, "prefetched");
    if (pre != NULL && !json_is_boolean(pre))
        return mb_err_set(err, MB_EPROTO, "field 'gap.prefetched' must be a boolean");
    out->prefetched = json_is_true(pre);
    out->has_gap = true;
    int rc;
    bool ready = false;
    if ((rc = get_bool(gap, "first_batch_ready", &ready, err)) ||
        (rc = get_number(gap, "tail_ms", 0, 1e12, &out->gap_tail_ms, err)) ||
        (rc = get_number(gap, "handoff_ms", 0, 1e12, &out->gap_handoff_ms, err)) ||
        (rc = get_number(gap, "dequeue_ms", 0, 1e12, &out->gap_dequeue_ms, err)) ||
        (rc = get_number(gap, "setup_ms", 0, 1e12, &out->gap_setup_ms, err)) ||
        (rc = get_number(gap, "first_batch_ms", 0, 1e12, &out->gap_first_batch_ms, err)))
        return rc;
    if (json_object_get(gap, "first_batch_ready") != NULL)
        out->first_batch_ready = ready;
    return 0;
}

/* The optional "sent" and "held_ms": when the result left the worker. */
static int get_held(json_t *o, mb_result *out, mb_err *err)
{
    json_t *v = json_object_get(o, "sent");
    if (v != NULL) {
        int s = json_is_string(v) ? mb_sent_parse(json_string_value(v)) : -1;
        if (s < 0)
            return mb_err_set(err, MB_EPROTO, "field 'sent' must be \"at_once\", "
                              "\"before_next_wait\", \"behind_next_submit\" or \"after_next\"");
        out->sent = (mb_sent)s;
    }
    return get_number(o, "held_ms", 0, 1e12, &out->held_ms, err);
}

int mb_result_decode(const char *json, size_t len, mb_result *out, mb_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *o = parse_object(json, len, err);
    if (o == NULL)
        return MB_EPROTO;
    int rc = 0;
    char *status = NULL;
    if ((rc = get_string(o, "id", true, &out->job_id, err)) ||
        (rc = get_string(o, "worker", false, &out->worker_id, err)) ||
        (rc = get_string(o, "status", true, &status, err)) ||
        (rc = get_string(o, "error", false, &out->error, err)) ||
        (rc = get_int(o, "images", false, 0, MB_JOB_MAX_IMAGES, &out->images, err)) ||
        (rc = get_int(o, "batches", false, 0, MB_JOB_MAX_IMAGES, &out->batches, err)) ||
        (rc = get_int(o, "batch_size", false, 0, 65536, &out->batch_size, err)) ||
        (rc = get_number(o, "decode_ms", 0, 1e12, &out->decode_ms, err)) ||
        (rc = get_number(o, "preprocess_ms", 0, 1e12, &out->preprocess_ms, err)) ||
        (rc = get_number(o, "transfer_ms", 0, 1e12, &out->transfer_ms, err)) ||
        (rc = get_number(o, "forward_ms", 0, 1e12, &out->forward_ms, err)) ||
        (rc = get_number(o, "wall_ms", 0, 1e12, &out->wall_ms, err)) ||
        (rc = get_number(o, "checksum", -1e300, 1e300, &out->checksum, err)) ||
        (rc = get_int(o, "embedding_dim", false, 0, 1 << 20, &out->embedding_dim, err)) ||
        (rc = get_u64(o, "peak_rss_bytes", &out->peak_rss_bytes, err)) ||
        (rc = get_u64(o, "peak_allocated_bytes", &out->peak_allocated_bytes, err)) ||
        (rc = get_u64(o, "peak_reserved_bytes", &out->peak_reserved_bytes, err)) ||
        (rc = get_decode_mode(o, &out->decode, err)) ||
        (rc = get_int(o, "gpu_images", false, 0, MB_JOB_MAX_IMAGES, &out->gpu_images, err)))
        goto done;
    if ((rc = get_gap(o, out, err)) || (rc = get_held(o, out, err)))
        goto done;
    int st = mb_job_status_parse(status);
    if (st < 0) {
        rc = mb_err_set(err, MB_EPROTO, "unknown status '%s'", status);
        goto done;
    }
    out->status = (mb_job_status)st;
    json_t *emb = json_object_get(o, "embeddings");
    if (emb != NULL) {
        if (!json_is_array(emb)) {
            rc = mb_err_set(err, MB_EPROTO, "field 'embeddings' must be an array");
            goto done;
        }
        out->n_embeddings = json_array_size(emb);
        out->embeddings = mb_calloc(out->n_embeddings, sizeof *out->embeddings);
        size_t i;
        json_t *v;
        json_array_foreach(emb, i, v) {
            if (!json_is_number(v) || fabs(json_number_value(v)) > FLT_MAX) {
                rc = mb_err_set(err, MB_EPROTO, "embeddings[%zu] must be a float32 number", i);
                goto done;
            }
            out->embeddings[i] = (float)json_number_value(v);
        }
    }
done:
    free(status);
    json_decref(o);
    if (rc != 0)
        mb_result_clear(out);
    return rc;
}

void mb_result_clear(mb_result *r)
{
    if (r == NULL)
        return;
    free(r->job_id);
    free(r->worker_id);
    free(r->error);
    free(r->embeddings);
    memset(r, 0, sizeof *r);
}

/* libFuzzer target for the queue message codec: every input is tried as a
 * job and as a result, the two messages a Redis stream carries.  Whatever
 * decodes must survive the round trip encode -> decode unchanged, because
 * the harness and the worker each re-read what the other wrote. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_protocol: round trip broken: %s\n", what);
        abort();
    }
}

/* The encoder writes an absent string as "", so NULL and "" are equal. */
static int same_string(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static void job_round_trip(const mb_job *a)
{
    char *text = mb_job_encode(a);
    mb_job b;
    mb_err err;
    if (mb_job_decode(text, strlen(text), &b, &err) != 0) {
        fprintf(stderr, "fuzz_protocol: re-decoding the job failed: %s\n%s\n", err.msg, text);
        abort();
    }
    check(same_string(a->id, b.id), "job id");
    check(same_string(a->cell, b.cell), "job cell");
    check(a->n_images == b.n_images, "job image count");
    for (size_t i = 0; i < a->n_images; i++)
        check(same_string(a->images[i], b.images[i]), "job image path");
    check(a->batch_size == b.batch_size, "job batch_size");
    check(a->input_size == b.input_size, "job input_size");
    check(a->resize_on_device == b.resize_on_device, "job resize_on_device");
    check(a->return_embeddings == b.return_embeddings, "job return_embeddings");
    check(a->fault_slowdown == b.fault_slowdown, "job fault_slowdown");
    check(a->fault_nan_image == b.fault_nan_image, "job fault_nan_image");
    mb_job_clear(&b);
    free(text);
}

static void result_round_trip(const mb_result *a)
{
    char *text = mb_result_encode(a);
    mb_result b;
    mb_err err;
    if (mb_result_decode(text, strlen(text), &b, &err) != 0) {
        fprintf(stderr, "fuzz_protocol: re-decoding the result failed: %s\n%s\n", err.msg, text);
        abort();
    }
    check(same_string(a->job_id, b.job_id), "result id");
    check(same_string(a->worker_id, b.worker_id), "result worker");
    check(a->status == b.status, "result status");
    check((a->error == NULL) == (b.error == NULL) && same_string(a->error, b.error),
          "result error");
    check(a->images == b.images && a->batches == b.batches, "result images/batches");
    check(a->decode_ms == b.decode_ms && a->preprocess_ms == b.preprocess_ms &&
              a->transfer_ms == b.transfer_ms && a->forward_ms == b.forward_ms &&
              a->wall_ms == b.wall_ms,
          "result stage times");
    check(a->checksum == b.checksum, "result checksum");
    check(a->embedding_dim == b.embedding_dim, "result embedding_dim");
    check(a->peak_rss_bytes == b.peak_rss_bytes, "result peak_rss_bytes");
    check(a->peak_allocated_bytes == b.peak_allocated_bytes, "result peak_allocated_bytes");
    check(a->peak_reserved_bytes == b.peak_reserved_bytes, "result peak_reserved_bytes");
    check(a->n_embeddings == b.n_embeddings, "result embedding count");
    for (size_t i = 0; i < a->n_embeddings; i++)
        check(a->embeddings[i] == b.embeddings[i] ||
                  (a->embeddings[i] != a->embeddings[i] && b.embeddings[i] != b.embeddings[i]),
              "result embedding value");
    mb_result_clear(&b);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    mb_err err;
    mb_job job;
    if (mb_job_decode(text, size, &job, &err) == 0) {
        check(job.id != NULL && job.n_images > 0 && job.batch_size > 0, "decoded job is complete");
        job_round_trip(&job);
        mb_job_clear(&job);
    }
    mb_result result;
    if (mb_result_decode(text, size, &result, &err) == 0) {
        check(result.job_id != NULL, "decoded result has an id");
        result_round_trip(&result);
        mb_result_clear(&result);
    }
    return 0;
}

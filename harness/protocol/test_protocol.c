/* Job and result messages: round trips, and rejection of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

static void job_round_trip(void **state)
{
    (void)state;
    char *images[] = {"/data/a.jpg", "/data/b \"quoted\".png"};
    mb_job job = {.id = "j1", .cell = "default/embed/device:cpu", .images = images, .n_images = 2,
                  .batch_size = 8, .input_size = 224, .resize_on_device = true,
                  .decode = MB_DECODE_GPU, .return_embeddings = true, .fault_slowdown = 0.25,
                  .fault_nan_image = 2};
    char *text = mb_job_encode(&job);
    mb_job back;
    mb_err err;
    assert_int_equal(mb_job_decode(text, strlen(text), &back, &err), 0);
    assert_string_equal(back.id, "j1");
    assert_string_equal(back.cell, "default/embed/device:cpu");
    assert_int_equal(back.n_images, 2);
    assert_string_equal(back.images[1], "/data/b \"quoted\".png");
    assert_int_equal(back.batch_size, 8);
    assert_int_equal(back.input_size, 224);
    assert_true(back.resize_on_device);
    assert_int_equal(back.decode, MB_DECODE_GPU);
    assert_true(back.return_embeddings);
    assert_true(back.fault_slowdown > 0.2499 && back.fault_slowdown < 0.2501);
    assert_int_equal(back.fault_nan_image, 2);
    mb_job_clear(&back);
    free(text);
}

static void result_round_trip(void **state)
{
    (void)state;
    float emb[] = {0.5f, -0.25f, 1.0f};
    mb_result r = {.job_id = "j7", .worker_id = "w1.1", .status = MB_JOB_OOM,
                   .error = "MPS backend out of memory (MPS allocated: 1.49 GiB)", .images = 3,
                   .batches = 1, .decode_ms = 1.5, .preprocess_ms = 2.5, .transfer_ms = 0.5,
                   .forward_ms = 10.25, .wall_ms = 15, .peak_rss_bytes = 123456789012ULL,
                   .peak_allocated_bytes = 42, .peak_reserved_bytes = 43, .checksum = -1.125,
                   .embedding_dim = 1, .embeddings = emb, .n_embeddings = 3,
                   .decode = MB_DECODE_GPU, .gpu_images = 2, .has_gap = true,
                   .prefetched = true, .gap_tail_ms = 0.25, .gap_handoff_ms = 0.5,
                   .gap_setup_ms = 0.125, .gap_first_batch_ms = 1.5,
                   .first_batch_ready = 1, .sent = MB_SENT_BEHIND_NEXT_SUBMIT, .held_ms = 0.75};
    char *text = mb_result_encode(&r);
    mb_result back;
    mb_err err;
    assert_int_equal(mb_result_decode(text, strlen(text), &back, &err), 0);
    assert_string_equal(back.job_id, "j7");
    assert_string_equal(back.worker_id, "w1.1");
    assert_int_equal(back.status, MB_JOB_OOM);
    assert_string_equal(back.error, r.error);
    assert_int_equal(back.images, 3);
    assert_true(back.forward_ms == 10.25);
    assert_true(back.peak_rss_bytes == 123456789012ULL);
    assert_true(back.checksum == -1.125);
    assert_int_equal(back.n_embeddings, 3);
    assert_true(back.embeddings[1] == -0.25f);
    assert_int_equal(back.decode, MB_DECODE_GPU);
    assert_int_equal(back.gpu_images, 2);
    /* The gap by stage (issue 18). */
    assert_true(back.has_gap && back.prefetched);
    assert_true(back.gap_tail_ms == 0.25 && back.gap_handoff_ms == 0.5);
    assert_true(back.gap_dequeue_ms == 0 && back.gap_setup_ms == 0.125);
    assert_true(back.gap_first_batch_ms == 1.5 && back.first_batch_ready == 1);
    /* Whether and how long the result was held in the worker. */
    assert_int_equal(back.sent, MB_SENT_BEHIND_NEXT_SUBMIT);
    assert_true(back.held_ms == 0.75);
    mb_result_clear(&back);
    free(text);
    /* An older worker's result says nothing of it. */
    const char *old = "{\"v\":1,\"id\":\"j1\",\"status\":\"ok\"}";
    assert_int_equal(mb_result_decode(old, strlen(old), &back, &err), 0);
    assert_int_equal(back.sent, MB_SENT_UNKNOWN);
    assert_int_equal(back.first_batch_ready, -1);
    mb_result_clear(&back);
}

/* Every malformed message is MB_EPROTO with a reason, never a crash. */
static void malformed_messages_are_rejected(void **state)
{
    (void)state;
    static const struct { const char *json; const char *reason; } cases[] = {
        {"", "invalid JSON"},
        {"not json", "invalid JSON"},
        {"[1,2]", "must be a JSON object"},
        {"{\"id\":\"x\",\"images\":[\"a\"]}", "missing field 'batch_size'"},
        {"{\"id\":1,\"images\":[\"a\"],\"batch_size\":1}", "field 'id' must be a string"},
        {"{\"id\":\"x\",\"images\":[],\"batch_size\":1}", "non-empty array"},
        {"{\"id\":\"x\",\"images\":[3],\"batch_size\":1}", "images[0] must be a string"},
        {"{\"id\":\"x\",\"images\":[\"a\"],\"batch_size\":0}", "out of range"},
        {"{\"id\":\"x\",\"images\":[\"a\"],\"batch_size\":99999999999}", "out of range"},
        {"{\"v\":9,\"id\":\"x\",\"images\":[\"a\"],\"batch_size\":1}", "protocol version"},
        {"{\"id\":\"x\",\"images\":[\"a\"],\"batch_size\":1,\"decode\":\"fpga\"}",
         "field 'decode' must be"},
        {"{\"id\":\"x\",\"id\":\"y\",\"images\":[\"a\"],\"batch_size\":1}", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_job job;
        mb_err err;
        assert_int_equal(mb_job_decode(cases[i].json, strlen(cases[i].json), &job, &err), MB_EPROTO);
        if (strstr(err.msg, cases[i].reason) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].reason);
        mb_job_clear(&job);
    }
    mb_result r;
    mb_err err;
    const char *bad_status = "{\"id\":\"j\",\"status\":\"exploded\"}";
    assert_int_equal(mb_result_decode(bad_status, strlen(bad_status), &r, &err), MB_EPROTO);
    assert_non_null(strstr(err.msg, "unknown status 'exploded'"));
    const char *bad_emb = "{\"id\":\"j\",\"status\":\"ok\",\"embeddings\":[1,\"x\"]}";
    assert_int_equal(mb_result_decode(bad_emb, strlen(bad_emb), &r, &err), MB_EPROTO);
    const char *negative = "{\"id\":\"j\",\"status\":\"ok\",\"wall_ms\":-1}";
    assert_int_equal(mb_result_decode(negative, strlen(negative), &r, &err), MB_EPROTO);
}

static void checksum_is_batch_independent(void **state)
{
    (void)state;
    float emb[10];
    for (int i = 0; i < 10; i++)
        emb[i] = (float)i / 10.0f;
    double whole = mb_embedding_checksum(emb, 10, 0);
    double split = mb_embedding_checksum(emb, 4, 0) + mb_embedding_checksum(emb + 4, 6, 4);
    assert_true(whole == split);
    float swapped[10];
    memcpy(swapped, emb, sizeof emb);
    swapped[1] = emb[2];
    swapped[2] = emb[1];
    assert_true(mb_embedding_checksum(swapped, 10, 0) != whole);
}

/* What the fuzzer found: values that decode but cannot survive a round
 * trip are refused, and the encoder never loses a result to a NaN or to
 * bytes that are not UTF-8. */
static void round_trip_edges(void **state)
{
    (void)state;
    mb_result r;
    mb_err err;
    const char *huge = "{\"id\":\"c\",\"status\":\"ok\",\"embeddings\":[51.8e190,0]}";
    assert_int_equal(mb_result_decode(huge, strlen(huge), &r, &err), MB_EPROTO);
    const char *big = "{\"id\":\"c\",\"status\":\"ok\",\"peak_rss_bytes\":9223372036854775807}";
    assert_int_equal(mb_result_decode(big, strlen(big), &r, &err), MB_EPROTO);
    mb_result nan = {.job_id = "j\xff\xfe", .status = MB_JOB_ERROR, .checksum = NAN,
                     .forward_ms = INFINITY, .error = "bad \xc3 byte"};
    char *text = mb_result_encode(&nan);
    assert_int_equal(mb_result_decode(text, strlen(text), &r, &err), 0);
    assert_string_equal(r.job_id, "j??");
    assert_string_equal(r.error, "bad ? byte");
    assert_true(r.checksum == 0 && r.forward_ms == 0);
    mb_result_clear(&r);
    free(text);
}

static void status_names(void **state)
{
    (void)state;
    for (int s = MB_JOB_OK; s < MB_JOB_STATUS_COUNT; s++)
        assert_int_equal(mb_job_status_parse(mb_job_status_name((mb_job_status)s)), s);
    assert_int_equal(mb_job_status_parse("nope"), -1);
    for (int m = MB_DECODE_AUTO; m <= MB_DECODE_GPU; m++)
        assert_int_equal(mb_decode_mode_parse(mb_decode_mode_name((mb_decode_mode)m)), m);
    assert_int_equal(mb_decode_mode_parse("fpga"), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(job_round_trip),
    cmocka_unit_test(result_round_trip),
    cmocka_unit_test(malformed_messages_are_rejected),
    cmocka_unit_test(checksum_is_batch_independent),
    cmocka_unit_test(round_trip_edges),
    cmocka_unit_test(status_names),
};

MB_TEST_MAIN("protocol", tests, NULL, NULL)

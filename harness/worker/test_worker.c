/* Integration tests: a real redis-server and a real mpsbench-worker on the
 * CPU, driven through the queue protocol exactly as the harness does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "heap_policy.h"
#include "mb_testing.h"
#include "mb_util.h"

typedef struct fixture {
    mb_test_env env;
    char **images;      /* 6 generated 96x80 JPEGs */
} fixture;

static int setup(void **state)
{
    fixture *f = mb_calloc(1, sizeof *f);
    if (!mb_test_env_start(&f->env)) {
        free(f);
        *state = NULL;
        return 0;
    }
    mb_err err;
    char *dir = mb_asprintf("%s/images", f->env.tmp);
    if (mb_mkdir_p(dir, 0755, NULL) != 0 ||
        mb_fixture_ensure(dir, 96, 80, MB_FORMAT_JPEG, 6, &f->images, &err) != 0) {
        fprintf(stderr, "fixtures: %s\n", err.msg);
        return -1;
    }
    free(dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f == NULL)
        return 0;
    mb_fixture_paths_free(f->images, 6);
    mb_test_env_stop(&f->env);
    free(f);
    return 0;
}

#define NEED_ENV(f) MB_TEST_NEED(f)

static mb_job make_job(const char *id, char **images, size_t n, int batch)
{
    mb_job job = {.id = (char *)id, .cell = "test", .images = images, .n_images = n,
                  .batch_size = batch, .input_size = 64};
    return job;
}

static void every_job_comes_back(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    char ids[8][8];
    for (int i = 0; i < 8; i++) {
        snprintf(ids[i], sizeof ids[i], "j%d", i);
        mb_job job = make_job(ids[i], f->images, 6, 1 + i % 4);
        mb_test_submit(&f->env, &job);
    }
    for (int i = 0; i < 8; i++) {
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_string_equal(r.job_id, ids[i]);
        assert_int_equal(r.status, MB_JOB_OK);
        assert_int_equal(r.images, 6);
        assert_int_equal(r.batches, (6 + (1 + i % 4) - 1) / (1 + i % 4));
        assert_true(r.embedding_dim > 0);
        assert_true(r.forward_ms > 0 && r.decode_ms > 0 && r.wall_ms >= r.forward_ms);
        assert_true(r.peak_rss_bytes > 0);
        assert_string_equal(r.worker_id, "tw");
        mb_result_clear(&r);
    }
}

/* The same images at batch sizes 1, 2, 3 and 6 give the same embeddings
 * (within 1e-5) and the same checksum. */
static void embeddings_do_not_depend_on_batch_size(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    const int batches[] = {1, 2, 3, 6};
    mb_result first = {0};
    for (size_t b = 0; b < 4; b++) {
        mb_job job = make_job("e", f->images, 6, batches[b]);
        job.return_embeddings = true;
        mb_test_submit(&f->env, &job);
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_int_equal(r.status, MB_JOB_OK);
        assert_int_equal(r.n_embeddings, (size_t)6 * (size_t)r.embedding_dim);
        if (b == 0) {
            first = r;
            continue;
        }
        double worst = 0;
        for (size_t i = 0; i < r.n_embeddings; i++)
            worst = fmax(worst, fabs((double)r.embeddings[i] - (double)first.embeddings[i]));
        if (worst > 1e-5)
            fail_msg("batch %d differs from batch 1 by %g", batches[b], worst);
        assert_true(fabs(r.checksum - first.checksum) < 1e-4);
        mb_result_clear(&r);
    }
    /* Rows are L2-normalised. */
    for (int row = 0; row < 6; row++) {
        double norm = 0;
        for (int k = 0; k < first.embedding_dim; k++) {
            double v = first.embeddings[row * first.embedding_dim + k];
            norm += v * v;
        }
        assert_true(fabs(sqrt(norm) - 1.0) < 1e-5);
    }
    mb_result_clear(&first);
}

/* A corrupt image fails its job with the reason; the worker lives on and
 * the next job succeeds. */
static void corrupt_image_fails_only_its_job(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    static const struct { const char *file; const char *reason; } bad[] = {
        {"fixtures/images/corrupt/truncated.jpg", "truncated JPEG"},
        {"fixtures/images/corrupt/empty.jpg", "empty file"},
        {"fixtures/images/corrupt/text.jpg", "not a JPEG or PNG"},
        {"fixtures/images/corrupt/bad-crc.png", "CRC"},
        {"fixtures/images/corrupt/bomb.png", "pixel limit"},
        {"fixtures/images/does-not-exist.jpg", "does-not-exist.jpg"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *path = mb_test_source_path(bad[i].file);
        char *images[] = {f->images[0], path};
        mb_job job = make_job("bad", images, 2, 2);
        mb_test_submit(&f->env, &job);
        mb_job good = make_job("good", f->images, 2, 2);
        mb_test_submit(&f->env, &good);
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_string_equal(r.job_id, "bad");
        assert_int_equal(r.status, MB_JOB_ERROR);
        assert_non_null(r.error);
        if (strstr(r.error, bad[i].reason) == NULL)
            fail_msg("%s: error '%s' lacks '%s'", bad[i].file, r.error, bad[i].reason);
        mb_result_clear(&r);
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_string_equal(r.job_id, "good");
        assert_int_equal(r.status, MB_JOB_OK);
        mb_result_clear(&r);
        free(path);
    }
    assert_true(mb_proc_alive(&f->env.worker));
}

/* A non-finite embedding fails its job, naming the image and where it was
 * decoded (the fault poisons the sixth image: row 2 of the second batch);
 * the worker lives on. */
static void non_finite_embedding_names_its_image(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    mb_job job = make_job("nan", f->images, 6, 4);
    job.fault_nan_image = 6;
    mb_test_submit(&f->env, &job);
    mb_job good = make_job("good", f->images, 6, 4);
    mb_test_submit(&f->env, &good);
    mb_result r;
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "nan");
    assert_int_equal(r.status, MB_JOB_ERROR);
    assert_non_null(r.error);
    if (strstr(r.error, f->images[5]) == NULL || strstr(r.error, "non-finite") == NULL ||
        strstr(r.error, "decoded on the host") == NULL ||
        strstr(r.error, "1 of the 2 images of its batch (images 5 to 6") == NULL)
        fail_msg("non-finite row: error '%s' should name %s, decoded on the host", r.error,
                 f->images[5]);
    mb_result_clear(&r);
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "good");
    assert_int_equal(r.status, MB_JOB_OK);
    mb_result_clear(&r);
}

/* On the CPU, `decode: auto` decodes on the host and says so, and `decode:
 * gpu` fails its job with the reason; the worker lives on. */
static void decode_modes_on_the_cpu(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    mb_job job = make_job("auto", f->images, 3, 2);
    mb_test_submit(&f->env, &job);
    job = make_job("gpu", f->images, 3, 2);
    job.decode = MB_DECODE_GPU;
    mb_test_submit(&f->env, &job);
    job = make_job("host", f->images, 3, 2);
    job.decode = MB_DECODE_HOST;
    mb_test_submit(&f->env, &job);
    mb_result r;
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "auto");
    assert_int_equal(r.status, MB_JOB_OK);
    assert_int_equal(r.decode, MB_DECODE_HOST);
    assert_int_equal(r.gpu_images, 0);
    mb_result_clear(&r);
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "gpu");
    assert_int_equal(r.status, MB_JOB_ERROR);
    assert_non_null(r.error);
    if (strstr(r.error, "decode: gpu: ") == NULL ||
        (strstr(r.error, "without nvJPEG") == NULL && strstr(r.error, "needs the CUDA") == NULL))
        fail_msg("error '%s' does not say why the GPU cannot decode", r.error);
    mb_result_clear(&r);
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "host");
    assert_int_equal(r.status, MB_JOB_OK);
    assert_int_equal(r.decode, MB_DECODE_HOST);
    mb_result_clear(&r);
}

/* A malformed message on the jobs stream is answered with an error naming
 * the stream entry, and the worker keeps consuming. */
static void malformed_job_is_reported(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    mb_test_submit_raw(&f->env, "{\"id\": 42}");
    mb_test_submit_raw(&f->env, "\xff\xfe not json");
    mb_job good = make_job("after", f->images, 1, 1);
    mb_test_submit(&f->env, &good);
    mb_result r;
    for (int i = 0; i < 2; i++) {
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_int_equal(r.status, MB_JOB_ERROR);
        assert_true(strncmp(r.job_id, "entry:", 6) == 0);
        assert_non_null(strstr(r.error, "malformed job"));
        mb_result_clear(&r);
    }
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_string_equal(r.job_id, "after");
    assert_int_equal(r.status, MB_JOB_OK);
    mb_result_clear(&r);
}

/* Any TorchScript file is a model; the committed fixture embeds in 16-d. */
static void torchscript_model_serves_jobs(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    char *model = mb_test_source_path("fixtures/models/tiny_script.pt");
    assert_true(mb_test_start_worker(&f->env, model, NULL));
    mb_job job = make_job("ts", f->images, 3, 3);
    job.input_size = 32;
    mb_test_submit(&f->env, &job);
    mb_result r;
    assert_true(mb_test_next_result(&f->env, 60000, &r));
    assert_int_equal(r.status, MB_JOB_OK);
    assert_int_equal(r.embedding_dim, 16);
    mb_result_clear(&r);
    free(model);
}

/* A model that cannot load is reported in the hello record, and the worker
 * exits instead of consuming jobs it cannot serve. */
static void bad_model_is_announced(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_false(mb_test_start_worker(&f->env, "/nonexistent/model.pt", NULL));
    char *hello = NULL;
    mb_queue_get(f->env.q, "test:hello", &hello, NULL);
    assert_non_null(hello);
    assert_non_null(strstr(hello, "\"state\":\"error\""));
    assert_non_null(strstr(hello, "model.pt"));
    /* The heap policy is in place before the model loads (heap_policy.h),
     * wherever the allocator takes it: asked here, in this process of the
     * same build (a sanitizer's allocator does not), it says what to
     * expect. */
    bool heap_kept = mb_heap_keep_freed();
    assert_non_null(strstr(hello, heap_kept ? "\"heap_keeps_freed\":true"
                                            : "\"heap_keeps_freed\":false"));
    free(hello);
    assert_true(mb_proc_wait(&f->env.worker, 10000));
    /* Only a CPU worker keeps its freed memory: on CUDA the forward's
     * memory is the device's, and the host heap holds the decoders' buffers
     * (an H200 run with the policy on gave NaN embeddings at 12 MP under
     * decode: auto).  Whether or not this machine has a GPU, the hello
     * says so before the device or the model fails. */
    static const char *const cuda[] = {"--device", "cuda", NULL};
    mb_queue_del(f->env.q, "test:hello", NULL);
    assert_false(mb_test_start_worker(&f->env, "/nonexistent/model.pt", cuda));
    hello = NULL;
    mb_queue_get(f->env.q, "test:hello", &hello, NULL);
    assert_non_null(hello);
    assert_non_null(strstr(hello, "\"heap_keeps_freed\":false"));
    free(hello);
    assert_true(mb_proc_wait(&f->env.worker, 10000));
}

/* Overlap between jobs (issue 18): with every job queued before the worker
 * starts, each job after the first is taken while the one before runs its
 * last batch.  Each still gets exactly one result, in order, with its own
 * images' embeddings (distinct subsets at batch sizes that rotate the batch
 * slots), and a corrupt image among them fails only its job. */
static void prefetched_jobs_keep_their_own_results(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    enum { N_JOBS = 13, BAD_JOB = 7 };
    char *corrupt = mb_test_source_path("fixtures/images/corrupt/truncated.jpg");
    char ids[N_JOBS][8];
    char *paths[N_JOBS][6];
    size_t counts[N_JOBS];
    size_t first_image[N_JOBS];
    for (int i = 0; i < N_JOBS; i++) {
        snprintf(ids[i], sizeof ids[i], "p%d", i);
        /* Job 0: all six images in order, the reference rows. */
        counts[i] = i == 0 ? 6 : 1 + (size_t)i % 6;
        first_image[i] = i == 0 ? 0 : ((size_t)i * 5) % 6;
        for (size_t k = 0; k < counts[i]; k++)
            paths[i][k] = f->images[(first_image[i] + k) % 6];
        if (i == BAD_JOB)
            paths[i][counts[i] - 1] = corrupt;
        mb_job job = make_job(ids[i], paths[i], counts[i], i == 0 ? 1 : 1 + i % 3);
        job.return_embeddings = true;
        mb_test_submit(&f->env, &job);
    }
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    mb_result ref = {0};
    for (int i = 0; i < N_JOBS; i++) {
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 60000, &r));
        assert_string_equal(r.job_id, ids[i]);
        assert_true(r.has_gap);
        /* Deterministic: job i was queued before job i-1 reached its tail;
         * a job that failed has no tail (its batches stopped at the error). */
        if (i > 0 && i != BAD_JOB + 1 && !r.prefetched)
            fail_msg("job %s was not prefetched", ids[i]);
        if (i == BAD_JOB) {
            assert_int_equal(r.status, MB_JOB_ERROR);
            assert_non_null(strstr(r.error, "truncated JPEG"));
            mb_result_clear(&r);
            continue;
        }
        assert_int_equal(r.status, MB_JOB_OK);
        assert_int_equal(r.images, (int)counts[i]);
        assert_int_equal(r.n_embeddings, counts[i] * (size_t)r.embedding_dim);
        if (i == 0) {
            ref = r;
            continue;
        }
        size_t dim = (size_t)r.embedding_dim;
        for (size_t k = 0; k < counts[i]; k++) {
            const float *row = r.embeddings + k * dim;
            const float *want = ref.embeddings + ((first_image[i] + k) % 6) * dim;
            double worst = 0;
            for (size_t d = 0; d < dim; d++)
                worst = fmax(worst, fabs((double)row[d] - (double)want[d]));
            if (worst > 1e-5)
                fail_msg("job %s image %zu: embedding differs from its image's by %g", ids[i],
                         k, worst);
        }
        mb_result_clear(&r);
    }
    /* The reference rows differ, so a row from another image would show. */
    size_t dim = (size_t)ref.embedding_dim;
    for (size_t a = 0; a < 6; a++)
        for (size_t b = a + 1; b < 6; b++) {
            double diff = 0;
            for (size_t d = 0; d < dim; d++)
                diff = fmax(diff, fabs((double)ref.embeddings[a * dim + d] -
                                       (double)ref.embeddings[b * dim + d]));
            assert_true(diff > 1e-4);
        }
    mb_result extra;
    assert_false(mb_test_next_result(&f->env, 300, &extra));
    mb_result_clear(&ref);
    free(corrupt);
}

/* When a result goes out once the next job is taken ahead (issue 18): held
 * behind the next job's first submit only where that batch is decoded and
 * the device queues its submit (CUDA; the CPU's submit runs the forward
 * pass, which the result would wait for); otherwise before the wait for
 * that batch, never after it.  Each result says when it was sent, each gap
 * whether the job's first batch was decoded before that wait.  The worker
 * is started with args (its device); queues: it is CUDA. */
static void check_handoff_moments(fixture *f, const char *const *args, bool queues)
{
    char *dir = mb_asprintf("%s/large", f->env.tmp);
    char **large = NULL;
    mb_err err;
    assert_int_equal(mb_mkdir_p(dir, 0755, NULL), 0);
    if (mb_fixture_ensure(dir, 1024, 768, MB_FORMAT_JPEG, 4, &large, &err) != 0)
        fail_msg("fixtures: %s", err.msg);
    /* h3's first batch: 32 large images on one decode thread, still
     * decoding when h3 reaches it right after h2. */
    char *slow[32];
    for (int i = 0; i < 32; i++)
        slow[i] = large[i % 4];
    mb_job jobs[] = {make_job("h0", f->images, 2, 1), make_job("h1", f->images, 2, 1),
                     make_job("h2", f->images, 2, 1), make_job("h3", slow, 32, 32)};
    /* h1's tail sleeps fifty times its work: h2's one small first image is
     * decoded by the time h2 reaches it. */
    jobs[1].fault_slowdown = 50;
    for (size_t i = 0; i < 4; i++)
        mb_test_submit(&f->env, &jobs[i]);
    if (!mb_test_start_worker(&f->env, "builtin:tiny", args))
        fail_msg("the worker did not start; see %s", f->env.worker_log);
    /* h0's moment depends on how fast h1's first image decodes: not checked. */
    const mb_sent want[] = {MB_SENT_UNKNOWN,
                            queues ? MB_SENT_BEHIND_NEXT_SUBMIT : MB_SENT_BEFORE_NEXT_WAIT,
                            MB_SENT_BEFORE_NEXT_WAIT, MB_SENT_AT_ONCE};
    for (int i = 0; i < 4; i++) {
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 120000, &r));
        assert_string_equal(r.job_id, jobs[i].id);
        if (r.status != MB_JOB_OK)
            fail_msg("%s failed: %s", r.job_id, r.error ? r.error : "?");
        printf("%s: sent %s, held %.3f ms; first batch ready %d, waited %.3f ms\n", r.job_id,
               mb_sent_name(r.sent), r.held_ms, r.first_batch_ready, r.gap_first_batch_ms);
        if (want[i] != MB_SENT_UNKNOWN && r.sent != want[i])
            fail_msg("%s was sent %s, not %s", r.job_id, mb_sent_name(r.sent),
                     mb_sent_name(want[i]));
        assert_true(r.sent != MB_SENT_UNKNOWN && r.sent != MB_SENT_AFTER_NEXT);
        assert_true(isfinite(r.held_ms) && r.held_ms >= 0);
        if (i >= 2) {
            assert_true(r.prefetched);
            assert_int_equal(r.first_batch_ready, i == 2 ? 1 : 0);
        }
        mb_result_clear(&r);
    }
    mb_fixture_paths_free(large, 4);
    free(dir);
}

static void results_wait_for_no_decoding(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    static const char *const one_thread[] = {"--decode-threads", "1", NULL};
    check_handoff_moments(f, one_thread, false);
}

/* SIGTERM stops the worker cleanly between jobs, and it removes its hello. */
static void sigterm_stops_cleanly(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    assert_true(mb_test_start_worker(&f->env, "builtin:tiny", NULL));
    kill(f->env.worker.pid, SIGTERM);
    assert_true(mb_proc_wait(&f->env.worker, (int)(5000 * mb_test_time_scale())));
    char how[128];
    mb_proc_describe_exit(&f->env.worker, how, sizeof how);
    assert_string_equal(how, "exited with status 0");
    char *hello = NULL;
    mb_queue_get(f->env.q, "test:hello", &hello, NULL);
    assert_null(hello);
}

/* nvJPEG's embeddings against the host-decoded ones (first): the decoders
 * and resizers differ in rounding only; a corrupt JPEG still fails its job
 * with the host decoder's reason. */
static void cuda_gpu_decode_matches_host(fixture *f, const mb_result *first)
{
    mb_job job = make_job("g", f->images, 6, 4);
    job.return_embeddings = true;
    job.decode = MB_DECODE_GPU;
    mb_test_submit(&f->env, &job);
    char *cut = mb_test_source_path("fixtures/images/corrupt/truncated.jpg");
    char *images[] = {f->images[0], cut};
    mb_job bad = make_job("gbad", images, 2, 2);
    bad.decode = MB_DECODE_GPU;
    mb_test_submit(&f->env, &bad);
    mb_result r;
    assert_true(mb_test_next_result(&f->env, 120000, &r));
    if (r.status != MB_JOB_OK)
        fail_msg("GPU-decoded job failed: %s", r.error ? r.error : "?");
    assert_int_equal(r.decode, MB_DECODE_GPU);
    assert_int_equal(r.gpu_images, 6);
    int dim = r.embedding_dim;
    for (int row = 0; row < 6; row++) {
        double dot = 0, na = 0, nb = 0;
        for (int k = 0; k < dim; k++) {
            double x = first->embeddings[row * dim + k], y = r.embeddings[row * dim + k];
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        double cosine = dot / sqrt(na * nb);
        printf("gpu decode row %d: cosine %.6f against host decode\n", row, cosine);
        if (cosine < 0.99)
            fail_msg("gpu decode row %d: cosine %.6f against host decode", row, cosine);
    }
    mb_result_clear(&r);
    assert_true(mb_test_next_result(&f->env, 120000, &r));
    assert_int_equal(r.status, MB_JOB_ERROR);
    if (r.error == NULL || strstr(r.error, "truncated JPEG") == NULL)
        fail_msg("corrupt JPEG under decode: gpu: '%s'", r.error ? r.error : "(no error)");
    mb_result_clear(&r);
    free(cut);
    /* A non-finite row of nvJPEG's says so. */
    mb_job nan = make_job("gnan", f->images, 6, 4);
    nan.decode = MB_DECODE_GPU;
    nan.fault_nan_image = 3;
    mb_test_submit(&f->env, &nan);
    assert_true(mb_test_next_result(&f->env, 120000, &r));
    assert_int_equal(r.status, MB_JOB_ERROR);
    if (r.error == NULL || strstr(r.error, f->images[2]) == NULL ||
        strstr(r.error, "decoded by nvJPEG") == NULL ||
        strstr(r.error, "1 of the 4 images") == NULL)
        fail_msg("non-finite nvJPEG row: '%s'", r.error ? r.error : "(no error)");
    mb_result_clear(&r);
    /* decode: auto leaves images near the model's size to the host pool
     * (96x80 against an input of 64x64: 1.9 times its area). */
    mb_job small = make_job("auto", f->images, 6, 4);
    small.decode = MB_DECODE_AUTO;
    mb_test_submit(&f->env, &small);
    assert_true(mb_test_next_result(&f->env, 120000, &r));
    if (r.status != MB_JOB_OK)
        fail_msg("decode: auto job failed: %s", r.error ? r.error : "?");
    assert_int_equal(r.gpu_images, 0);
    mb_result_clear(&r);
}

/* The same worker on CUDA, where the machine has a usable GPU (skipped
 * visibly otherwise): every batch size gives the same embeddings to within
 * what cuDNN's algorithm choice and TF32 allow, and the device times and
 * memory are reported. */
static void cuda_worker_serves_jobs(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    /* Decided by the machine, not by the worker: where there is a GPU, a
     * worker that calls it unusable fails this test. */
    if (!mb_test_machine_has_cuda())
        MB_SKIP("no CUDA build of libtorch with a GPU on this machine");
    static const char *const cuda[] = {"--device", "cuda", "--decode-threads", "3", NULL};
    if (!mb_test_start_worker(&f->env, "builtin:resnet18", cuda)) {
        char *hello = NULL;
        mb_queue_get(f->env.q, "test:hello", &hello, NULL);
        fail_msg("the CUDA worker did not start (hello: %s); see %s", hello ? hello : "none",
                 f->env.worker_log);
    }
    const int batches[] = {1, 4, 6};
    mb_result first = {0};
    for (size_t b = 0; b < 3; b++) {
        mb_job job = make_job("c", f->images, 6, batches[b]);
        job.return_embeddings = true;
        job.decode = MB_DECODE_HOST;
        mb_test_submit(&f->env, &job);
        mb_result r;
        assert_true(mb_test_next_result(&f->env, 120000, &r));
        if (r.status != MB_JOB_OK)
            fail_msg("cuda job failed: %s", r.error ? r.error : "?");
        assert_true(r.forward_ms > 0 && r.transfer_ms > 0 && r.decode_ms > 0);
        assert_true(r.peak_allocated_bytes > 0);
        if (b == 0) {
            first = r;
            continue;
        }
        int dim = r.embedding_dim;
        for (int row = 0; row < 6; row++) {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < dim; k++) {
                double x = first.embeddings[row * dim + k], y = r.embeddings[row * dim + k];
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            double cosine = dot / sqrt(na * nb);
            if (cosine < 0.9999)
                fail_msg("batch %d row %d: cosine %.6f against batch 1", batches[b], row, cosine);
        }
        mb_result_clear(&r);
    }
    cuda_gpu_decode_matches_host(f, &first);
    mb_result_clear(&first);
}

/* The hand-off moments on CUDA, where a result may be held behind the next
 * job's first submit (skipped visibly without a GPU). */
static void cuda_results_held_only_behind_a_ready_batch(void **state)
{
    fixture *f = *state;
    NEED_ENV(f);
    if (!mb_test_machine_has_cuda())
        MB_SKIP("no CUDA build of libtorch with a GPU on this machine");
    static const char *const cuda[] = {"--device", "cuda", "--decode-threads", "1", NULL};
    check_handoff_moments(f, cuda, true);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_job_comes_back),
    cmocka_unit_test(embeddings_do_not_depend_on_batch_size),
    cmocka_unit_test(corrupt_image_fails_only_its_job),
    cmocka_unit_test(decode_modes_on_the_cpu),
    cmocka_unit_test(non_finite_embedding_names_its_image),
    cmocka_unit_test(malformed_job_is_reported),
    cmocka_unit_test(torchscript_model_serves_jobs),
    cmocka_unit_test(bad_model_is_announced),
    cmocka_unit_test(prefetched_jobs_keep_their_own_results),
    cmocka_unit_test(results_wait_for_no_decoding),
    cmocka_unit_test(sigterm_stops_cleanly),
    cmocka_unit_test(cuda_worker_serves_jobs),
    cmocka_unit_test(cuda_results_held_only_behind_a_ready_batch),
};

MB_TEST_MAIN_EACH("worker (integration)", tests, setup, teardown)

/* The generic Redis wrappers of the queue module, against a throwaway
 * redis-server: hashes with binary values, lists, sets and the newest entry
 * of a stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mb_testing.h"
#include "queue.h"

static int setup(void **state)
{
    mb_test_env *t = calloc(1, sizeof *t);
    if (!mb_test_env_start(t)) {
        free(t);
        t = NULL;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    mb_test_env *t = *state;
    if (t != NULL) {
        mb_test_env_stop(t);
        free(t);
    }
    return 0;
}

#define NEED_REDIS(t) MB_NEED("redis-server", (t) != NULL)

/* --redis URLs: every malformed one is a usage error naming the problem,
 * before any connection is tried. */
static void test_bad_urls(void **state)
{
    (void)state;
    static const struct { const char *url; const char *reason; } cases[] = {
        {"http://127.0.0.1:6379", "must start with redis:// or unix://"},
        {"rediss://127.0.0.1:6380", "TLS (rediss://) is not supported"},
        {"redis://127.0.0.1:99999", "bad port"},
        {"redis://:secret@", "missing host"},
        {"redis://127.0.0.1/x", "bad database number"},
        {"unix://relative/redis.sock", "must be absolute"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mb_queue *q = NULL;
        mb_err err;
        assert_int_equal(mb_queue_connect(cases[i].url, 1000, &q, &err), MB_EUSAGE);
        assert_null(q);
        if (strstr(err.msg, cases[i].reason) == NULL)
            fail_msg("%s: '%s' lacks '%s'", cases[i].url, err.msg, cases[i].reason);
    }
    mb_queue *q = NULL;
    mb_err err;
    assert_int_equal(mb_queue_connect("unix:///nonexistent/redis.sock", 1000, &q, &err), MB_EREDIS);
    assert_non_null(strstr(err.msg, "cannot connect to redis"));
}

/* A unix socket URL's query: each parameter ends at '&' (the password was
 * once 'secret&db=99'); an unknown one is refused. */
static void test_unix_url_query(void **state)
{
    (void)state;
    char *password = NULL;
    int db = -1;
    mb_err err;
    assert_int_equal(mb__queue_parse_url("unix:///tmp/r.sock?password=secret&db=99", &password,
                                         &db, &err), 0);
    assert_string_equal(password, "secret");
    assert_int_equal(db, 99);
    free(password);
    password = NULL;
    assert_int_equal(mb__queue_parse_url("unix:///tmp/r.sock?db=3", &password, &db, &err), 0);
    assert_null(password);
    assert_int_equal(db, 3);
    assert_int_equal(mb__queue_parse_url("unix:///tmp/r.sock?db=x", &password, &db, &err),
                     MB_EUSAGE);
    assert_non_null(strstr(err.msg, "bad database number"));
    assert_int_equal(mb__queue_parse_url("unix:///tmp/r.sock?pasword=x", &password, &db, &err),
                     MB_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown parameter 'pasword'"));
}

static void test_hash_binary_values(void **state)
{
    mb_test_env *t = *state;
    NEED_REDIS(t);
    mb_err err;
    const char *fields[] = {"data", "status"};
    const char bytes[] = {'x', '\0', 'y', (char)0xff};
    const char *values[] = {bytes, "queued"};
    size_t lens[] = {sizeof bytes, 6};
    assert_int_equal(mb_queue_hset(t->q, "h", 2, fields, values, lens, &err), 0);

    const char *want[] = {"status", "data", "missing"};
    char *got[3];
    size_t got_lens[3];
    assert_int_equal(mb_queue_hmget(t->q, "h", 3, want, got, got_lens, &err), 0);
    assert_string_equal(got[0], "queued");
    assert_int_equal(got_lens[1], sizeof bytes);
    assert_memory_equal(got[1], bytes, sizeof bytes);
    assert_null(got[2]);
    for (size_t i = 0; i < 3; i++)
        free(got[i]);

    /* An absent key reads as absent fields, not as an error. */
    assert_int_equal(mb_queue_hmget(t->q, "nothing", 1, want, got, got_lens, &err), 0);
    assert_null(got[0]);
    /* A key of another type is a server error, reported. */
    assert_int_equal(mb_queue_rpush(t->q, "list", "a", &err), 0);
    assert_int_not_equal(mb_queue_hmget(t->q, "list", 1, want, got, got_lens, &err), 0);
    assert_non_null(strstr(err.msg, "WRONGTYPE"));
}

static void test_list_and_set(void **state)
{
    mb_test_env *t = *state;
    NEED_REDIS(t);
    mb_err err;
    long long n = -1;
    assert_int_equal(mb_queue_rpush(t->q, "l", "j1", &err), 0);
    assert_int_equal(mb_queue_rpush(t->q, "l", "j2", &err), 0);
    assert_int_equal(mb_queue_lrem(t->q, "l", "j1", &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mb_queue_lrem(t->q, "l", "j1", &n, &err), 0);
    assert_int_equal(n, 0);

    assert_int_equal(mb_queue_scard(t->q, "s", &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(mb_queue_sadd(t->q, "s", "a", &err), 0);
    assert_int_equal(mb_queue_sadd(t->q, "s", "a", &err), 0);
    assert_int_equal(mb_queue_sadd(t->q, "s", "b", &err), 0);
    assert_int_equal(mb_queue_scard(t->q, "s", &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(mb_queue_srem(t->q, "s", "a", &err), 0);
    assert_int_equal(mb_queue_scard(t->q, "s", &n, &err), 0);
    assert_int_equal(n, 1);
}

static void test_last_entry(void **state)
{
    mb_test_env *t = *state;
    NEED_REDIS(t);
    mb_err err;
    const char *fields[] = {"type", "exc_string"};
    char *got[2];
    size_t lens[2];
    assert_int_equal(mb_queue_last_entry(t->q, "stream", 2, fields, got, lens, &err), 0);
    assert_null(got[0]);
    assert_int_equal(mb_queue_add(t->q, "stream", "type", "1", 1, NULL, &err), 0);
    assert_int_equal(mb_queue_add(t->q, "stream", "type", "2", 1, NULL, &err), 0);
    assert_int_equal(mb_queue_last_entry(t->q, "stream", 2, fields, got, lens, &err), 1);
    assert_string_equal(got[0], "2");
    assert_int_equal(lens[0], 1);
    assert_null(got[1]);
    free(got[0]);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bad_urls),
    cmocka_unit_test(test_unix_url_query),
    cmocka_unit_test_setup_teardown(test_hash_binary_values, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_and_set, setup, teardown),
    cmocka_unit_test_setup_teardown(test_last_entry, setup, teardown),
};

MB_TEST_MAIN("queue", tests, NULL, NULL)

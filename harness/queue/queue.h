/* The Redis side of the protocol (PROTOCOL.md beside this file): a jobs
 * stream read through a consumer group, a results stream, and a worker
 * hello/heartbeat key.  Works with hiredis 0.14 (Debian 12) and 1.x. */
#ifndef MB_QUEUE_H
#define MB_QUEUE_H

#include <stddef.h>

#include "mb_error.h"

typedef struct mb_queue mb_queue;

/* url: "redis://[:password@]host[:port][/db]" or
 * "unix:///path/to/socket[?password=...]".  Connect and first PING within
 * timeout_ms. */
int mb_queue_connect(const char *url, int timeout_ms, mb_queue **out, mb_err *err);
/* The password (heap, or NULL) and database number a URL names, as connect
 * reads them; for tests. */
int mb__queue_parse_url(const char *url, char **password, int *db, mb_err *err);
void mb_queue_free(mb_queue *q);
/* The URL the queue was opened with, to hand to workers. */
const char *mb_queue_url(const mb_queue *q);

/* Key names of a namespace (one run), all "mb:<ns>:..." */
char *mb_key_jobs(const char *ns, const char *worker_key_hash);
char *mb_key_results(const char *ns);
char *mb_key_worker(const char *ns, const char *worker_id);

/* XGROUP CREATE stream group $ MKSTREAM; an existing group is fine. */
int mb_queue_create_group(mb_queue *q, const char *stream, const char *group, mb_err *err);
/* XADD stream * field payload; *entry_id (may be NULL) receives the id. */
int mb_queue_add(mb_queue *q, const char *stream, const char *field, const char *payload,
                 size_t len, char **entry_id, mb_err *err);
/* XREADGROUP ... COUNT 1 BLOCK block_ms STREAMS stream >.  Returns 1 with
 * *entry_id and *payload (field `field`) set, 0 on timeout, <0 on error.
 * block_ms < 0: no BLOCK, 0 at once when the stream has nothing new. */
int mb_queue_read_group(mb_queue *q, const char *stream, const char *group,
                        const char *consumer, const char *field, int block_ms,
                        char **entry_id, char **payload, size_t *len, mb_err *err);
int mb_queue_ack(mb_queue *q, const char *stream, const char *group, const char *entry_id,
                 mb_err *err);
/* XREAD COUNT 1 BLOCK block_ms STREAMS stream last_id; on success
 * last_id (a buffer of at least 64 bytes) advances.  1 / 0 / <0 as above. */
int mb_queue_read(mb_queue *q, const char *stream, char *last_id, const char *field,
                  int block_ms, char **payload, size_t *len, mb_err *err);
/* SET key value EX ttl_s / GET key (*value NULL when absent) / DEL key. */
int mb_queue_set(mb_queue *q, const char *key, const char *value, int ttl_s, mb_err *err);
int mb_queue_get(mb_queue *q, const char *key, char **value, mb_err *err);
int mb_queue_del(mb_queue *q, const char *key, mb_err *err);
/* Small generic wrappers, enough to speak other queues' data layouts (RQ's
 * job hashes, queue lists and sets; PROTOCOL.md, "The RQ worker").  Values
 * may hold any bytes, so they travel with explicit lengths. */
/* HSET key f1 v1 f2 v2 ...: n pairs, lens[i] the length of values[i]. */
int mb_queue_hset(mb_queue *q, const char *key, size_t n, const char *const *fields,
                  const char *const *values, const size_t *lens, mb_err *err);
/* HMGET key f1 f2 ...: values[i] becomes a heap copy, NUL-terminated, of
 * lens[i] bytes, or NULL when the field (or the key) is absent. */
int mb_queue_hmget(mb_queue *q, const char *key, size_t n, const char *const *fields,
                   char **values, size_t *lens, mb_err *err);
/* The newest entry of a stream (XREVRANGE key + - COUNT 1), its fields
 * picked out as HMGET does.  Returns 1 when there is one, 0 when the stream
 * is empty or absent, < 0 on an error. */
int mb_queue_last_entry(mb_queue *q, const char *stream, size_t n, const char *const *fields,
                        char **values, size_t *lens, mb_err *err);
/* RPUSH key value / LREM key 0 value (*removed, may be NULL: how many). */
int mb_queue_rpush(mb_queue *q, const char *key, const char *value, mb_err *err);
int mb_queue_lrem(mb_queue *q, const char *key, const char *value, long long *removed,
                  mb_err *err);
/* SADD / SREM key member; SCARD key into *n. */
int mb_queue_sadd(mb_queue *q, const char *key, const char *member, mb_err *err);
int mb_queue_srem(mb_queue *q, const char *key, const char *member, mb_err *err);
int mb_queue_scard(mb_queue *q, const char *key, long long *n, mb_err *err);
/* Every key matching pattern (SCAN); *keys is a heap array of *n heap strings. */
int mb_queue_scan(mb_queue *q, const char *pattern, char ***keys, size_t *n, mb_err *err);
/* Deletes every key matching pattern, for cleaning a namespace.
 * Returns how many keys it deleted, or a negative error. */
int mb_queue_delete_matching(mb_queue *q, const char *pattern, mb_err *err);

#endif

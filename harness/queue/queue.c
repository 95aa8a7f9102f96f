#include "queue.h"

#include <hiredis/hiredis.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "mb_util.h"

struct mb_queue {
    redisContext *ctx;
    char *url;
};

/* Splits a URL into its parts.  Everything returned is heap-allocated. */
typedef struct parsed_url {
    char *host;      /* NULL for unix sockets */
    int port;
    char *socket;    /* NULL for TCP */
    char *password;
    int db;
} parsed_url;

static int parse_url(const char *url, parsed_url *u, mb_err *err);

static void parsed_url_free(parsed_url *u)
{
    free(u->host);
    free(u->socket);
    free(u->password);
}

/* "password=secret&db=3" after a unix socket path: each parameter ends at
 * the next '&'; anything else is refused rather than taken as part of a
 * password. */
static int parse_query(const char *url, const char *query, parsed_url *u, mb_err *err)
{
    const char *p = query;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        char *param = mb_strndup(p, n);
        char *eq = strchr(param, '=');
        int rc = 0;
        long db;
        if (eq == NULL) {
            rc = mb_err_set(err, MB_EUSAGE, "redis URL '%s': '%s' is not NAME=VALUE", url, param);
        } else if (strncmp(param, "password=", 9) == 0) {
            free(u->password);
            u->password = mb_strdup(eq + 1);
        } else if (strncmp(param, "db=", 3) == 0) {
            if (mb_parse_long(eq + 1, &db) != 0 || db < 0 || db > INT_MAX)
                rc = mb_err_set(err, MB_EUSAGE, "redis URL '%s': bad database number", url);
            else
                u->db = (int)db;
        } else {
            *eq = '\0';
            rc = mb_err_set(err, MB_EUSAGE, "redis URL '%s': unknown parameter '%s' (expected "
                            "password or db)", url, param);
        }
        free(param);
        if (rc != 0)
            return rc;
        p += n;
        if (*p == '&')
            p++;
    }
    return 0;
}

int mb__queue_parse_url(const char *url, char **password, int *db, mb_err *err)
{
    parsed_url u;
    int rc = parse_url(url, &u, err);
    if (rc == 0) {
        *password = u.password;
        u.password = NULL;
        *db = u.db;
    }
    parsed_url_free(&u);
    return rc;
}

static int parse_url(const char *url, parsed_url *u, mb_err *err)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7;
        const char *query = strchr(path, '?');
        u->socket = query ? mb_strndup(path, (size_t)(query - path)) : mb_strdup(path);
        if (u->socket[0] != '/')
            return mb_err_set(err, MB_EUSAGE, "redis URL '%s': unix socket path must be absolute", url);
        return query != NULL ? parse_query(url, query + 1, u, err) : 0;
    }
    if (strncmp(url, "rediss://", 9) == 0)
        return mb_err_set(err, MB_EUSAGE,
                          "redis URL '%s': TLS (rediss://) is not supported by this build; reach "
                          "a TLS-only server through a local TLS tunnel (stunnel, spiped) and give "
                          "its redis:// or unix:// address",
                          url);
    if (strncmp(url, "redis://", 8) != 0)
        return mb_err_set(err, MB_EUSAGE,
                          "redis URL '%s' must start with redis:// or unix://", url);
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        u->password = mb_strndup(pw, (size_t)(at - pw));
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *colon = memchr(p, ':', (size_t)(end - p));
    u->host = mb_strndup(p, (size_t)((colon ? colon : end) - p));
    if (colon != NULL) {
        char *port_text = mb_strndup(colon + 1, (size_t)(end - colon - 1));
        long port;
        int bad = mb_parse_long(port_text, &port) != 0 || port <= 0 || port > 65535;
        free(port_text);
        if (bad)
            return mb_err_set(err, MB_EUSAGE, "redis URL '%s': bad port", url);
        u->port = (int)port;
    }
    if (slash != NULL && slash[1] != '\0') {
        long db;
        if (mb_parse_long(slash + 1, &db) != 0 || db < 0 || db > INT_MAX)
            return mb_err_set(err, MB_EUSAGE, "redis URL '%s': bad database number", url);
        u->db = (int)db;
    }
    if (u->host[0] == '\0')
        return mb_err_set(err, MB_EUSAGE, "redis URL '%s': missing host", url);
    return 0;
}

/* Runs a command and checks for connection and server errors.  On success
 * the reply is returned and must be freed with freeReplyObject. */
static redisReply *command_checked(mb_queue *q, mb_err *err, int argc, const char **argv,
                                   const size_t *lens)
{
    redisReply *r = redisCommandArgv(q->ctx, argc, argv, lens);
    if (r == NULL) {
        mb_err_set(err, MB_EREDIS, "redis %s: %s", argv[0],
                   q->ctx->err ? q->ctx->errstr : "no reply");
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        mb_err_set(err, MB_EREDIS, "redis %s: %s", argv[0], r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* Variadic convenience over command_checked for NUL-terminated arguments. */
#define MB_ARGC(...) (sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))
#define COMMAND(q, err, ...) \
    command_checked((q), (err), (int)MB_ARGC(__VA_ARGS__), (const char *[]){__VA_ARGS__}, NULL)

int mb_queue_connect(const char *url, int timeout_ms, mb_queue **out, mb_err *err)
{
    *out = NULL;
    parsed_url u;
    int rc = parse_url(url, &u, err);
    if (rc != 0) {
        parsed_url_free(&u);
        return rc;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *ctx = u.socket ? redisConnectUnixWithTimeout(u.socket, tv)
                                 : redisConnectWithTimeout(u.host, u.port, tv);
    if (ctx == NULL || ctx->err) {
        rc = mb_err_set(err, MB_EREDIS, "cannot connect to redis at %s: %s", url,
                        ctx ? ctx->errstr : "out of memory");
        redisFree(ctx);
        parsed_url_free(&u);
        return rc;
    }
    mb_queue *q = mb_calloc(1, sizeof *q);
    q->ctx = ctx;
    q->url = mb_strdup(url);
    redisReply *r = NULL;
    if (u.password != NULL)
        r = COMMAND(q, err, "AUTH", u.password);
    else
        r = COMMAND(q, err, "PING");
    if (r != NULL && u.db != 0) {
        freeReplyObject(r);
        char db[16];
        snprintf(db, sizeof db, "%d", u.db);
        r = COMMAND(q, err, "SELECT", db);
    }
    parsed_url_free(&u);
    if (r == NULL) {
        mb_queue_free(q);
        return err ? err->code : MB_EREDIS;
    }
    freeReplyObject(r);
    *out = q;
    return 0;
}

void mb_queue_free(mb_queue *q)
{
    if (q == NULL)
        return;
    redisFree(q->ctx);
    free(q->url);
    free(q);
}

const char *mb_queue_url(const mb_queue *q)
{
    return q->url;
}

char *mb_key_jobs(const char *ns, const char *worker_key_hash)
{
    return mb_asprintf("mb:%s:jobs:%s", ns, worker_key_hash);
}

char *mb_key_results(const char *ns)
{
    return mb_asprintf("mb:%s:results", ns);
}

char *mb_key_worker(const char *ns, const char *worker_id)
{
    return mb_asprintf("mb:%s:worker:%s", ns, worker_id);
}

int mb_queue_create_group(mb_queue *q, const char *stream, const char *group, mb_err *err)
{
    redisReply *r = redisCommand(q->ctx, "XGROUP CREATE %s %s $ MKSTREAM", stream, group);
    if (r == NULL)
        return mb_err_set(err, MB_EREDIS, "redis XGROUP: %s", q->ctx->errstr);
    int rc = 0;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
        rc = mb_err_set(err, MB_EREDIS, "redis XGROUP CREATE %s: %s", stream, r->str);
    freeReplyObject(r);
    return rc;
}

int mb_queue_add(mb_queue *q, const char *stream, const char *field, const char *payload,
                 size_t len, char **entry_id, mb_err *err)
{
    const char *argv[] = {"XADD", stream, "*", field, payload};
    size_t lens[] = {4, strlen(stream), 1, strlen(field), len};
    redisReply *r = command_checked(q, err, 5, argv, lens);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    if (entry_id != NULL)
        *entry_id = r->type == REDIS_REPLY_STRING ? mb_strdup(r->str) : NULL;
    freeReplyObject(r);
    return 0;
}

/* Pulls (id, payload of `field`) out of one stream entry reply:
 * [id, [field, value, field, value, ...]]. */
static int take_entry(const redisReply *entry, const char *field, char **entry_id,
                      char **payload, size_t *len, mb_err *err)
{
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[0]->type != REDIS_REPLY_STRING)
        return mb_err_set(err, MB_EPROTO, "unexpected stream entry shape");
    const redisReply *fields = entry->element[1];
    if (entry_id != NULL)
        *entry_id = mb_strdup(entry->element[0]->str);
    *payload = NULL;
    if (fields->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < fields->elements; i += 2) {
            if (fields->element[i]->type == REDIS_REPLY_STRING &&
                strcmp(fields->element[i]->str, field) == 0 &&
                fields->element[i + 1]->type == REDIS_REPLY_STRING) {
                *payload = mb_strndup(fields->element[i + 1]->str, fields->element[i + 1]->len);
                if (len != NULL)
                    *len = fields->element[i + 1]->len;
                break;
            }
        }
    }
    /* An entry without the field (deleted, or written by a stranger) still
     * has an id, so the caller can acknowledge and report it. */
    if (*payload == NULL) {
        *payload = mb_strdup("");
        if (len != NULL)
            *len = 0;
    }
    return 0;
}

/* Unwraps [[stream, [entry]]] as returned by XREAD/XREADGROUP COUNT 1. */
static const redisReply *first_entry(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
        return NULL;
    const redisReply *stream = r->element[0];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
        return NULL;
    const redisReply *entries = stream->element[1];
    if (entries->type != REDIS_REPLY_ARRAY || entries->elements < 1)
        return NULL;
    return entries->element[0];
}

int mb_queue_read_group(mb_queue *q, const char *stream, const char *group,
                        const char *consumer, const char *field, int block_ms,
                        char **entry_id, char **payload, size_t *len, mb_err *err)
{
    char block[24];
    snprintf(block, sizeof block, "%d", block_ms);
    /* Without BLOCK, XREADGROUP answers at once (BLOCK 0 would wait forever):
     * the worker's prefetch must never hold up the batch on the device. */
    redisReply *r = block_ms < 0
        ? COMMAND(q, err, "XREADGROUP", "GROUP", group, consumer, "COUNT", "1", "STREAMS",
                  stream, ">")
        : COMMAND(q, err, "XREADGROUP", "GROUP", group, consumer, "COUNT", "1", "BLOCK", block,
                  "STREAMS", stream, ">");
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    int rc = 0;
    if (r->type == REDIS_REPLY_NIL) {
        rc = 0;
    } else {
        const redisReply *entry = first_entry(r);
        if (entry == NULL)
            rc = mb_err_set(err, MB_EPROTO, "unexpected XREADGROUP reply");
        else
            rc = take_entry(entry, field, entry_id, payload, len, err) == 0 ? 1 : MB_EPROTO;
    }
    freeReplyObject(r);
    return rc;
}

int mb_queue_ack(mb_queue *q, const char *stream, const char *group, const char *entry_id,
                 mb_err *err)
{
    redisReply *r = COMMAND(q, err, "XACK", stream, group, entry_id);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    freeReplyObject(r);
    return 0;
}

int mb_queue_read(mb_queue *q, const char *stream, char *last_id, const char *field,
                  int block_ms, char **payload, size_t *len, mb_err *err)
{
    char block[24];
    snprintf(block, sizeof block, "%d", block_ms);
    redisReply *r = COMMAND(q, err, "XREAD", "COUNT", "1", "BLOCK", block, "STREAMS", stream,
                            last_id);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    int rc = 0;
    if (r->type != REDIS_REPLY_NIL) {
        const redisReply *entry = first_entry(r);
        char *id = NULL;
        if (entry == NULL) {
            rc = mb_err_set(err, MB_EPROTO, "unexpected XREAD reply");
        } else if (take_entry(entry, field, &id, payload, len, err) == 0) {
            snprintf(last_id, 64, "%s", id);
            rc = 1;
        } else {
            rc = MB_EPROTO;
        }
        free(id);
    }
    freeReplyObject(r);
    return rc;
}

int mb_queue_set(mb_queue *q, const char *key, const char *value, int ttl_s, mb_err *err)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    redisReply *r = ttl_s > 0 ? COMMAND(q, err, "SET", key, value, "EX", ttl)
                              : COMMAND(q, err, "SET", key, value);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    freeReplyObject(r);
    return 0;
}

int mb_queue_get(mb_queue *q, const char *key, char **value, mb_err *err)
{
    *value = NULL;
    redisReply *r = COMMAND(q, err, "GET", key);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    if (r->type == REDIS_REPLY_STRING)
        *value = mb_strndup(r->str, r->len);
    freeReplyObject(r);
    return 0;
}

int mb_queue_del(mb_queue *q, const char *key, mb_err *err)
{
    redisReply *r = COMMAND(q, err, "DEL", key);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    freeReplyObject(r);
    return 0;
}

int mb_queue_scan(mb_queue *q, const char *pattern, char ***keys, size_t *n, mb_err *err)
{
    char cursor[32] = "0";
    *keys = NULL;
    *n = 0;
    do {
        redisReply *r = COMMAND(q, err, "SCAN", cursor, "MATCH", pattern, "COUNT", "200");
        if (r == NULL)
            return err ? err->code : MB_EREDIS;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            return mb_err_set(err, MB_EPROTO, "unexpected SCAN reply");
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        const redisReply *found = r->element[1];
        *keys = mb_realloc(*keys, (*n + found->elements + 1) * sizeof **keys);
        for (size_t i = 0; i < found->elements; i++)
            (*keys)[(*n)++] = mb_strdup(found->element[i]->str);
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

int mb_queue_delete_matching(mb_queue *q, const char *pattern, mb_err *err)
{
    char **keys;
    size_t n;
    int rc = mb_queue_scan(q, pattern, &keys, &n, err);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && mb_queue_del(q, keys[i], err) != 0)
            rc = err ? err->code : MB_EREDIS;
        free(keys[i]);
    }
    free(keys);
    return rc == 0 ? (int)n : rc;
}

int mb_queue_hset(mb_queue *q, const char *key, size_t n, const char *const *fields,
                  const char *const *values, const size_t *lens, mb_err *err)
{
    if (n == 0)
        return mb_err_set(err, MB_EINVAL, "redis HSET %s: no fields", key);
    size_t argc = 2 + 2 * n;
    const char **argv = mb_calloc(argc, sizeof *argv);
    size_t *arglens = mb_calloc(argc, sizeof *arglens);
    argv[0] = "HSET";
    arglens[0] = 4;
    argv[1] = key;
    arglens[1] = strlen(key);
    for (size_t i = 0; i < n; i++) {
        argv[2 + 2 * i] = fields[i];
        arglens[2 + 2 * i] = strlen(fields[i]);
        argv[3 + 2 * i] = values[i];
        arglens[3 + 2 * i] = lens != NULL ? lens[i] : strlen(values[i]);
    }
    redisReply *r = command_checked(q, err, (int)argc, argv, arglens);
    free(argv);
    free(arglens);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    freeReplyObject(r);
    return 0;
}

/* Fills values/lens from an array reply of n strings or nils. */
static void take_values(const redisReply *arr, size_t n, char **values, size_t *lens)
{
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = arr != NULL && i < arr->elements ? arr->element[i] : NULL;
        bool str = e != NULL && e->type == REDIS_REPLY_STRING;
        values[i] = str ? mb_strndup(e->str, e->len) : NULL;
        if (lens != NULL)
            lens[i] = str ? e->len : 0;
    }
}

int mb_queue_hmget(mb_queue *q, const char *key, size_t n, const char *const *fields,
                   char **values, size_t *lens, mb_err *err)
{
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    if (n == 0)
        return 0;
    size_t argc = 2 + n;
    const char **argv = mb_calloc(argc, sizeof *argv);
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[2 + i] = fields[i];
    redisReply *r = command_checked(q, err, (int)argc, argv, NULL);
    free(argv);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
        rc = mb_err_set(err, MB_EPROTO, "unexpected HMGET reply");
    else
        take_values(r, n, values, lens);
    freeReplyObject(r);
    return rc;
}

int mb_queue_last_entry(mb_queue *q, const char *stream, size_t n, const char *const *fields,
                        char **values, size_t *lens, mb_err *err)
{
    for (size_t i = 0; i < n; i++)
        values[i] = NULL;
    redisReply *r = COMMAND(q, err, "XREVRANGE", stream, "+", "-", "COUNT", "1");
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    int rc = 0;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = mb_err_set(err, MB_EPROTO, "unexpected XREVRANGE reply");
    } else if (r->elements > 0) {
        const redisReply *entry = r->element[0];
        const redisReply *pairs = entry->type == REDIS_REPLY_ARRAY && entry->elements == 2
                                      ? entry->element[1] : NULL;
        if (pairs == NULL || pairs->type != REDIS_REPLY_ARRAY) {
            rc = mb_err_set(err, MB_EPROTO, "unexpected stream entry shape");
        } else {
            for (size_t i = 0; i < n; i++) {
                if (lens != NULL)
                    lens[i] = 0;
                for (size_t k = 0; k + 1 < pairs->elements; k += 2) {
                    const redisReply *f = pairs->element[k], *v = pairs->element[k + 1];
                    if (f->type == REDIS_REPLY_STRING && strcmp(f->str, fields[i]) == 0 &&
                        v->type == REDIS_REPLY_STRING && values[i] == NULL) {
                        values[i] = mb_strndup(v->str, v->len);
                        if (lens != NULL)
                            lens[i] = v->len;
                    }
                }
            }
            rc = 1;
        }
    }
    freeReplyObject(r);
    return rc;
}

/* Runs a command whose integer reply the caller may want. */
static int command_integer(mb_queue *q, mb_err *err, long long *out, int argc,
                           const char **argv)
{
    redisReply *r = command_checked(q, err, argc, argv, NULL);
    if (r == NULL)
        return err ? err->code : MB_EREDIS;
    int rc = 0;
    if (r->type != REDIS_REPLY_INTEGER)
        rc = mb_err_set(err, MB_EPROTO, "redis %s: expected an integer reply", argv[0]);
    else if (out != NULL)
        *out = r->integer;
    freeReplyObject(r);
    return rc;
}

int mb_queue_rpush(mb_queue *q, const char *key, const char *value, mb_err *err)
{
    const char *argv[] = {"RPUSH", key, value};
    return command_integer(q, err, NULL, 3, argv);
}

int mb_queue_lrem(mb_queue *q, const char *key, const char *value, long long *removed,
                  mb_err *err)
{
    const char *argv[] = {"LREM", key, "0", value};
    return command_integer(q, err, removed, 4, argv);
}

int mb_queue_sadd(mb_queue *q, const char *key, const char *member, mb_err *err)
{
    const char *argv[] = {"SADD", key, member};
    return command_integer(q, err, NULL, 3, argv);
}

int mb_queue_srem(mb_queue *q, const char *key, const char *member, mb_err *err)
{
    const char *argv[] = {"SREM", key, member};
    return command_integer(q, err, NULL, 3, argv);
}

int mb_queue_scard(mb_queue *q, const char *key, long long *n, mb_err *err)
{
    const char *argv[] = {"SCARD", key};
    return command_integer(q, err, n, 2, argv);
}

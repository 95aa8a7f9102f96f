#include "redis_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mb_util.h"
#include "queue.h"

int mb_redis_server_start(const char *log_path, mb_redis_server *s, mb_err *err)
{
    memset(s, 0, sizeof *s);
    /* Unix socket paths are limited to ~104 bytes, so the socket lives in a
     * short private directory under the temp folder rather than in the run
     * directory, whose path can be long. */
    const char *tmp = getenv("TMPDIR");
    char *templ = mb_asprintf("%s/mb-redis-XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (mkdtemp(templ) == NULL) {
        int rc = mb_err_set(err, MB_EIO, "cannot create a private directory for redis-server");
        free(templ);
        return rc;
    }
    chmod(templ, 0700);
    s->dir = templ;
    s->socket_path = mb_asprintf("%s/redis.sock", templ);
    s->url = mb_asprintf("unix://%s", s->socket_path);
    const char *bin = getenv("MPSBENCH_REDIS_SERVER");
    char *argv[] = {
        (char *)(bin && *bin ? bin : "redis-server"),
        "--port", "0",                 /* no TCP listener at all */
        "--unixsocket", s->socket_path,
        "--unixsocketperm", "700",
        "--protected-mode", "yes",
        "--save", "",
        "--appendonly", "no",
        "--dir", s->dir,
        "--daemonize", "no",
        "--loglevel", "warning",
        NULL,
    };
    if (mb_spawn(argv, NULL, log_path, &s->proc, err) != 0) {
        mb_redis_server_stop(s);
        return MB_ESPAWN;
    }
    /* Ready once a PING over the socket succeeds. */
    double deadline = mb_now_ms() + 10000;
    while (mb_now_ms() < deadline) {
        if (!mb_proc_alive(&s->proc)) {
            char how[128];
            mb_proc_describe_exit(&s->proc, how, sizeof how);
            mb_redis_server_stop(s);
            return mb_err_set(err, MB_EREDIS, "redis-server %s before accepting connections; see %s",
                              how, log_path ? log_path : "its output");
        }
        mb_queue *q = NULL;
        if (access(s->socket_path, F_OK) == 0 && mb_queue_connect(s->url, 1000, &q, NULL) == 0) {
            mb_queue_free(q);
            return 0;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    mb_redis_server_stop(s);
    return mb_err_set(err, MB_EREDIS, "redis-server did not accept connections within 10 s");
}

void mb_redis_server_stop(mb_redis_server *s)
{
    mb_proc_stop(&s->proc, 3000);
    if (s->socket_path != NULL)
        unlink(s->socket_path);
    if (s->dir != NULL)
        rmdir(s->dir);
    free(s->socket_path);
    free(s->dir);
    free(s->url);
    memset(s, 0, sizeof *s);
}

int mb_redis_server_start_scratch(const char *prefix, char **scratch, mb_redis_server *s,
                                  mb_err *err)
{
    memset(s, 0, sizeof *s);
    *scratch = mb_asprintf("/tmp/%s-XXXXXX", prefix);
    if (mkdtemp(*scratch) == NULL) {
        int rc = mb_err_set(err, MB_EIO, "cannot create %s: %s", *scratch, strerror(errno));
        free(*scratch);
        *scratch = NULL;
        return rc;
    }
    char *log = mb_asprintf("%s/redis.log", *scratch);
    int rc = mb_redis_server_start(log, s, err);
    free(log);
    return rc;
}


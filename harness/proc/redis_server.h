/* The embedded redis-server: started per run on a unix socket inside a
 * private 0700 directory, no TCP port, no persistence, stopped at the end. */
#ifndef MB_REDIS_SERVER_H
#define MB_REDIS_SERVER_H

#include "mb_error.h"
#include "process.h"

typedef struct mb_redis_server {
    mb_proc proc;
    char *dir;          /* private directory holding the socket */
    char *socket_path;
    char *url;          /* "unix:///.../redis.sock" */
} mb_redis_server;

/* log_path receives the server's log.  The binary is $MPSBENCH_REDIS_SERVER
 * or redis-server from PATH. */
int mb_redis_server_start(const char *log_path, mb_redis_server *s, mb_err *err);
void mb_redis_server_stop(mb_redis_server *s);

/* The start of a program or a test that owns a scratch folder for its
 * files: creates *scratch, /tmp/PREFIX-XXXXXX (heap), and starts the server
 * with its log in SCRATCH/redis.log.  On failure *scratch is what was made
 * (or NULL), for the caller's usual cleanup with mb_remove_tree. */
int mb_redis_server_start_scratch(const char *prefix, char **scratch, mb_redis_server *s,
                                  mb_err *err);

#endif

/* One error model for every module: a negative code from one table, plus a
 * message buffer owned by the caller.  Functions return 0 or a negative
 * MB_E* code and, when given a non-NULL mb_err, describe the failure there. */
#ifndef MB_ERROR_H
#define MB_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, exit_code, description).  The exit code is what a program returns
 * when this error ends its work (mb_exit_code, core/mb_exit.h). */
#define MB_ERRNO_MAP(X)                                                   \
    X(USAGE,    2, "bad usage")                                           \
    X(SCENARIO, 2, "bad scenario file")                                   \
    X(BASELINE, 2, "bad baseline file")                                   \
    X(INVAL,    2, "invalid argument")                                    \
    X(IO,       3, "input/output error")                                  \
    X(NOMEM,    3, "out of host memory")                                  \
    X(REDIS,    3, "redis failure")                                       \
    X(PROTO,    3, "malformed queue message")                             \
    X(SPAWN,    3, "cannot start process")                                \
    X(WORKER,   3, "worker failure")                                      \
    X(TIMEOUT,  3, "timed out")                                           \
    X(GNUPLOT,  3, "gnuplot failure")                                     \
    X(DEVICE,   3, "device unavailable")                                  \
    X(TORCH,    1, "libtorch error")                                      \
    X(OOM,      1, "out of memory")                                       \
    X(IMAGE,    1, "bad image")

typedef enum {
    MB_OK = 0,
    MB__ERRNO_BASE = -100,
#define MB_ERR_ENUM(name, exit_code, text) MB_E##name,
    MB_ERRNO_MAP(MB_ERR_ENUM)
#undef MB_ERR_ENUM
    MB__ERRNO_END
} mb_errno;

#define MB_ERR_MSG_MAX 2048

typedef struct mb_err {
    int code;                   /* MB_OK or an MB_E* code */
    char msg[MB_ERR_MSG_MAX];   /* human-readable, no trailing newline */
} mb_err;

/* C API headers mark their functions MB_NOEXCEPT: noexcept when a C++ shim
 * includes them, so the compiler holds each definition to the promise that
 * no exception crosses into C (core/mb_cxx_guard.hpp). */
#ifdef __cplusplus
#define MB_NOEXCEPT noexcept
#else
#define MB_NOEXCEPT
#endif

/* Sets code and message; returns code so callers can `return mb_err_set(...)`.
 * err may be NULL.  The message is truncated, never overflowed. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int mb_err_set(mb_err *err, int code, const char *fmt, ...);
void mb_err_clear(mb_err *err);

/* "MB_EREDIS" style name and the table's description, for logs. */
const char *mb_err_name(int code);
const char *mb_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif

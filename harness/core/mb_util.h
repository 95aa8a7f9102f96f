/* Small helpers every module needs: time, strings, units. */
#ifndef MB_UTIL_H
#define MB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mb_error.h"

/* Monotonic clock in milliseconds / nanoseconds. */
double mb_now_ms(void);
uint64_t mb_now_ns(void);
/* Wall-clock time in milliseconds since the Unix epoch. */
double mb_wall_ms(void);
/* Wall-clock time as ISO 8601 UTC, e.g. "2026-11-26T19:09:41Z". */
void mb_iso8601_now(char *buf, size_t size);

/* strdup that aborts on allocation failure: a benchmark harness that cannot
 * allocate a few bytes has nothing useful left to do. */
char *mb_strdup(const char *s);
char *mb_strndup(const char *s, size_t n);
void *mb_calloc(size_t n, size_t size);
void *mb_realloc(void *p, size_t size);
/* printf into a fresh heap string. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
char *mb_asprintf(const char *fmt, ...);

/* A growing heap string (s is NUL-terminated once anything was added; the
 * owner frees s). */
typedef struct mb_strbuf {
    char *s;
    size_t len, cap;
} mb_strbuf;
void mb_strbuf_add_n(mb_strbuf *b, const char *text, size_t n);
void mb_strbuf_add(mb_strbuf *b, const char *text);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void mb_strbuf_printf(mb_strbuf *b, const char *fmt, ...);

/* Two conventions, one per kind of helper.  The parsers below are pure
 * and return 0 or -1: only the caller knows what the text was (an option,
 * a scenario key at file:line:column), so the caller writes the one error
 * message.  The helpers that touch the file system follow the project's
 * model (mb_error.h): they take a caller-owned mb_err (may be NULL), name
 * the path and the cause (strerror) there, and return 0 or MB_EIO; a
 * reader that produces a buffer returns it, NULL on failure with err set,
 * so callers pass err->msg on instead of wording the failure again. */

/* Strict number parsing: the whole string must be the number.  0 or -1. */
int mb_parse_long(const char *s, long *out);
int mb_parse_double(const char *s, double *out);
/* "8GiB", "512MiB", "100MB", "1024" (bytes).  0 or -1. */
int mb_parse_bytes(const char *s, uint64_t *out);
/* "120s", "500ms", "2m", "1.5" (seconds).  0 or -1. */
int mb_parse_duration(const char *s, double *out_seconds);
/* "5%", "0.05" -> 0.05.  0 or -1. */
int mb_parse_fraction(const char *s, double *out);
/* "1024x768" -> 1024, 768.  0 or -1. */
int mb_parse_size(const char *s, int *width, int *height);

/* Creates every missing directory of path with mode.  0 or MB_EIO
 * ("DIR: cannot create directory: CAUSE", DIR the first that failed). */
int mb_mkdir_p(const char *path, unsigned mode, mb_err *err);
/* Removes path and, for a folder, everything below it, in C (no rm child,
 * no shell) and without following links.  Best effort and quiet: what
 * cannot be removed stays, as with rm -rf, for cleanups that must not turn
 * a finished run or test into a failure.  NULL is ignored. */
void mb_remove_tree(const char *path);
/* Reads a whole file into a NUL-terminated heap buffer; NULL on failure
 * with err set: MB_EIO ("PATH: cannot read: CAUSE"). */
char *mb_read_file(const char *path, size_t *len_out, mb_err *err);
/* The same, refusing past max bytes (max 0 = no cap): MB_EINVAL
 * ("PATH: larger than MAX bytes"). */
char *mb_read_file_max(const char *path, size_t max, size_t *len_out, mb_err *err);
/* Writes data to path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory.  0 or MB_EIO ("PATH: cannot write:
 * CAUSE"); no temp file is left behind. */
int mb_write_file_atomic(const char *path, const void *data, size_t len, mb_err *err);

/* Flushes a stream and says whether everything written to it arrived: a
 * full disk, a closed pipe or a file size limit shows only in fflush or in
 * the stream's error flag, so a command that printed its answer checks
 * here before it reports success.  0 or MB_EIO ("NAME: cannot write:
 * CAUSE"). */
int mb_flush_checked(FILE *stream, const char *name, mb_err *err);

/* Number of CPUs this process may run on (at least 1): on Linux the
 * affinity mask (taskset, a container's cpuset), elsewhere the online CPUs.
 * Thread pools sized by it do not put 16 threads on 2 pinned CPUs. */
int mb_cpu_count(void);

#endif

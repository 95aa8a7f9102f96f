#include "mb_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double mb_now_ms(void)
{
    return (double)mb_now_ns() / 1e6;
}

uint64_t mb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double mb_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void mb_iso8601_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void *check_alloc(void *p)
{
    if (p == NULL) {
        fputs("mpsbench: out of memory\n", stderr);
        abort();
    }
    return p;
}

char *mb_strdup(const char *s)
{
    return s == NULL ? NULL : mb_strndup(s, strlen(s));
}

char *mb_strndup(const char *s, size_t n)
{
    char *p = check_alloc(malloc(n + 1));
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *mb_calloc(size_t n, size_t size)
{
    return check_alloc(calloc(n == 0 ? 1 : n, size == 0 ? 1 : size));
}

void *mb_realloc(void *p, size_t size)
{
    return check_alloc(realloc(p, size == 0 ? 1 : size));
}

char *mb_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return mb_strdup("");
    char *p = check_alloc(malloc((size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static void strbuf_reserve(mb_strbuf *b, size_t more)
{
    if (b->len + more + 1 > b->cap) {
        b->cap = (b->len + more + 1) * 2;
        b->s = mb_realloc(b->s, b->cap);
    }
}

void mb_strbuf_add_n(mb_strbuf *b, const char *text, size_t n)
{
    strbuf_reserve(b, n);
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void mb_strbuf_add(mb_strbuf *b, const char *text)
{
    mb_strbuf_add_n(b, text, strlen(text));
}

void mb_strbuf_printf(mb_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    strbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int mb_parse_long(const char *s, long *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int mb_parse_double(const char *s, double *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Splits "12.5GiB" into 12.5 and "GiB"; the unit may be empty. */
static int split_number_unit(const char *s, double *num, const char **unit)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(v) || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    *num = v;
    *unit = end;
    return 0;
}

int mb_parse_bytes(const char *s, uint64_t *out)
{
    static const struct { const char *unit; double scale; } units[] = {
        {"", 1}, {"B", 1},
        {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
        {"K", 1024.0}, {"KiB", 1024.0}, {"M", 1048576.0}, {"MiB", 1048576.0},
        {"G", 1073741824.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
    };
    double v;
    const char *unit;
    if (split_number_unit(s, &v, &unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(unit, units[i].unit) == 0 &&
            (strcmp(unit, units[i].unit) == 0 || strlen(unit) > 1)) {
            double bytes = v * units[i].scale;
            if (bytes >= 18446744073709551615.0)
                return -1;
            *out = (uint64_t)llround(bytes);
            return 0;
        }
    }
    return -1;
}

int mb_parse_duration(const char *s, double *out_seconds)
{
    static const struct { const char *unit; double scale; } units[] = {
        {"", 1}, {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"m", 60}, {"min", 60}, {"h", 3600},
    };
    double v;
    const char *unit;
    if (split_number_unit(s, &v, &unit) != 0)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(unit, units[i].unit) == 0) {
            *out_seconds = v * units[i].scale;
            return 0;
        }
    }
    return -1;
}

int mb_parse_fraction(const char *s, double *out)
{
    double v;
    const char *unit;
    if (split_number_unit(s, &v, &unit) != 0)
        return -1;
    if (strcmp(unit, "%") == 0)
        v /= 100.0;
    else if (*unit != '\0')
        return -1;
    *out = v;
    return 0;
}

int mb_parse_size(const char *s, int *width, int *height)
{
    if (s == NULL)
        return -1;
    const char *x = strchr(s, 'x');
    if (x == NULL || x == s)
        return -1;
    char *w_text = mb_strndup(s, (size_t)(x - s));
    long w, h;
    int rc = mb_parse_long(w_text, &w);
    free(w_text);
    if (rc != 0 || mb_parse_long(x + 1, &h) != 0)
        return -1;
    if (w <= 0 || h <= 0 || w > INT_MAX || h > INT_MAX)
        return -1;
    *width = (int)w;
    *height = (int)h;
    return 0;
}

int mb_mkdir_p(const char *path, unsigned mode, mb_err *err)
{
    char *copy = mb_strdup(path);
    int rc = 0;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, (mode_t)mode) != 0 && errno != EEXIST) {
                rc = mb_err_set(err, MB_EIO, "%s: cannot create directory: %s", copy,
                                strerror(errno));
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(copy);
    return rc;
}

void mb_remove_tree(const char *path)
{
    struct stat st;
    if (path == NULL || lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *child = mb_asprintf("%s/%s", path, e->d_name);
        mb_remove_tree(child);
        free(child);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

char *mb_read_file(const char *path, size_t *len_out, mb_err *err)
{
    return mb_read_file_max(path, 0, len_out, err);
}

char *mb_read_file_max(const char *path, size_t max, size_t *len_out, mb_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        mb_err_set(err, MB_EIO, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = mb_realloc(NULL, cap);
    size_t n;
    bool too_big = false;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (max > 0 && len > max) {
            too_big = true;
            break;
        }
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = mb_realloc(buf, cap);
        }
    }
    int failed = ferror(f);
    int e = errno;
    fclose(f);
    if (too_big || failed) {
        free(buf);
        if (too_big)
            mb_err_set(err, MB_EINVAL, "%s: larger than %zu bytes", path, max);
        else
            mb_err_set(err, MB_EIO, "%s: cannot read: %s", path, strerror(e != 0 ? e : EIO));
        return NULL;
    }
    buf[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return buf;
}

int mb_flush_checked(FILE *stream, const char *name, mb_err *err)
{
    errno = 0;
    int flushed = fflush(stream);
    int cause = errno;
    if (flushed == 0 && !ferror(stream))
        return 0;
    /* stdio drops what a failed write held and keeps only the flag, so the
     * cause of an earlier failure is gone by now. */
    return mb_err_set(err, MB_EIO, "%s: cannot write: %s", name,
                      flushed != 0 && cause != 0 ? strerror(cause)
                                                 : "an earlier write failed, output was lost");
}

/* The write half of mb_write_file_atomic: data into a new file at tmp,
 * flushed to the disk.  The cause is in errno when it fails. */
static bool write_synced(const char *tmp, const void *data, size_t len)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return false;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    return close(fd) == 0;
}

int mb_write_file_atomic(const char *path, const void *data, size_t len, mb_err *err)
{
    char *tmp = mb_asprintf("%s.tmp.%ld", path, (long)getpid());
    if (!write_synced(tmp, data, len) || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return mb_err_set(err, MB_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    free(tmp);
    /* Make the rename itself durable. */
    char *dir = mb_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        int dfd = open(*dir ? dir : "/", O_RDONLY);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(dir);
    return 0;
}


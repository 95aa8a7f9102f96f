/* The run's progress on stderr (progress.h): the live line on a terminal,
 * one plain line per finished cell everywhere. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mb_util.h"

/* A name cut shorter than this says nothing; the line drops it instead. */
#define MB_PROGRESS_MIN_NAME 8
/* Finished-cell lines in a log pad the name to this, so the figures line up. */
#define MB_PROGRESS_LOG_NAME 64

void mb_progress_init(mb_progress_state *p, FILE *out, bool live, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->live = live;
    p->quiet = quiet;
}

int mb_progress_terminal_width(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    long cols;
    const char *env = getenv("COLUMNS");
    if (env != NULL && mb_parse_long(env, &cols) == 0 && cols > 0 && cols < 10000)
        return (int)cols;
    return 80;
}

size_t mb_progress_columns(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Appends s cut to max columns, its last column "…" when cut. */
static void add_cut(mb_strbuf *b, const char *s, size_t max)
{
    if (mb_progress_columns(s) <= max) {
        mb_strbuf_add(b, s);
        return;
    }
    if (max == 0)
        return;
    size_t cols = 0;
    const char *p = s;
    /* Keep max - 1 code points, then the ellipsis. */
    while (*p != '\0') {
        if (((unsigned char)*p & 0xC0) != 0x80 && cols++ == max - 1)
            break;
        p++;
    }
    mb_strbuf_add_n(b, s, (size_t)(p - s));
    mb_strbuf_add(b, "…");
}

/* The byte offset of code point n of s (its end when s is shorter). */
static size_t offset_of(const char *s, size_t n)
{
    size_t cols = 0, i = 0;
    for (; s[i] != '\0'; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && cols++ == n)
            break;
    return i;
}

/* Appends a name cut to max columns in its middle: names differ at their
 * end (the image and batch axes), and start with the scenario. */
static void add_name(mb_strbuf *b, const char *s, size_t max)
{
    size_t cols = mb_progress_columns(s);
    if (cols <= max) {
        mb_strbuf_add(b, s);
        return;
    }
    if (max < 2) {
        add_cut(b, s, max);
        return;
    }
    size_t head = (max - 1) / 3, tail = max - 1 - head;
    mb_strbuf_add_n(b, s, offset_of(s, head));
    mb_strbuf_add(b, "…");
    mb_strbuf_add(b, s + offset_of(s, cols - tail));
}

double mb_progress_eta_s(double elapsed_s, long reps_done, long reps_left)
{
    if (reps_done <= 0 || elapsed_s < 0 || reps_left < 0)
        return -1;
    return elapsed_s / (double)reps_done * (double)reps_left;
}

void mb_progress_format_eta(double seconds, bool at_most, char *buf, size_t size)
{
    if (seconds < 0) {
        snprintf(buf, size, "ETA ?");
        return;
    }
    const char *bound = at_most ? "≤" : "";
    long s = (long)(seconds + 0.5);
    if (s < 60)
        snprintf(buf, size, "ETA %s%lds", bound, s);
    else if (s < 3600)
        snprintf(buf, size, "ETA %s%ldm%02lds", bound, s / 60, s % 60);
    else
        snprintf(buf, size, "ETA %s%ldh%02ldm", bound, s / 3600, (s % 3600) / 60);
}

char *mb_progress_format_line(int width, const char *counter, const char *name,
                              const char *what, const char *eta)
{
    /* The figures around the name, which are never cut. */
    mb_strbuf tail = {0};
    mb_strbuf_printf(&tail, "  %s", what);
    if (eta != NULL && *eta)
        mb_strbuf_printf(&tail, "  %s", eta);
    size_t room = width > 1 ? (size_t)width - 1 : 0;
    size_t fixed = mb_progress_columns(counter) + 1 + mb_progress_columns(tail.s);
    mb_strbuf line = {0};
    mb_strbuf_add(&line, counter);
    if (room > fixed && room - fixed >= MB_PROGRESS_MIN_NAME) {
        mb_strbuf_add(&line, " ");
        add_name(&line, name, room - fixed);
    }
    mb_strbuf_add(&line, tail.s);
    free(tail.s);
    /* A terminal too narrow even for the figures still gets no wrap. */
    if (mb_progress_columns(line.s) > room) {
        mb_strbuf cut = {0};
        add_cut(&cut, line.s, room);
        free(line.s);
        return cut.s != NULL ? cut.s : mb_strdup("");
    }
    return line.s;
}

char *mb_progress_format_done(int width, const char *name, const char *text)
{
    mb_strbuf line = {0};
    if (width <= 0) {
        mb_strbuf_printf(&line, "%-*s  %s", MB_PROGRESS_LOG_NAME, name, text);
        return line.s;
    }
    size_t room = width > 1 ? (size_t)width - 1 : 0;
    size_t text_cols = mb_progress_columns(text);
    size_t name_room = room > text_cols + 2 ? room - text_cols - 2 : 0;
    if (name_room < MB_PROGRESS_MIN_NAME)
        name_room = MB_PROGRESS_MIN_NAME;
    add_name(&line, name, name_room);
    mb_strbuf_add(&line, "  ");
    size_t used = mb_progress_columns(line.s);
    add_cut(&line, text, room > used ? room - used : 0);
    return line.s;
}

/* "\r" then erase to the end of the line: the cursor is back at column 0. */
static void erase_line(mb_progress_state *p)
{
    if (p->line_shown)
        fputs("\r\033[K", p->out);
    p->line_shown = false;
}

void mb_progress_update(mb_progress_state *p, size_t cell, size_t n_cells, const char *name,
                        const char *what, long reps_done, long reps_left, bool at_most)
{
    if (p->quiet || !p->live)
        return;
    double now = mb_now_ms();
    if (p->started_ms == 0) {
        p->started_ms = now;
        p->reps_at_start = reps_done;
    }
    char counter[48], eta[32];
    snprintf(counter, sizeof counter, "[%zu/%zu]", cell + 1, n_cells);
    mb_progress_format_eta(mb_progress_eta_s((now - p->started_ms) / 1000.0,
                                             reps_done - p->reps_at_start, reps_left),
                           at_most, eta, sizeof eta);
    char *line = mb_progress_format_line(mb_progress_terminal_width(fileno(p->out)), counter,
                                         name, what, eta);
    fputs("\r\033[K", p->out);
    fputs(line, p->out);
    fflush(p->out);
    free(line);
    p->line_shown = true;
}

void mb_progress_cell_done(mb_progress_state *p, const char *name, const char *text)
{
    if (p->quiet)
        return;
    erase_line(p);
    int width = p->live ? mb_progress_terminal_width(fileno(p->out)) : 0;
    char *line = mb_progress_format_done(width, name, text);
    fprintf(p->out, "%s\n", line);
    fflush(p->out);
    free(line);
}

void mb_progress_clear(mb_progress_state *p)
{
    if (p->quiet || !p->live)
        return;
    erase_line(p);
    fflush(p->out);
}

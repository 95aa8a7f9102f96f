/* What a run says on stderr while it runs.  On a terminal: one live line,
 * rewritten in place, that never wraps (a wrapped line cannot be erased by
 * "\r", and each redraw would leave a stale copy behind), with an estimate
 * of the time left; one line per finished cell above it.  Anywhere else (a
 * CI log, a pipe): only the line per finished cell, never a "\r".  There is
 * no colour, so NO_COLOR has nothing to turn off. */
#ifndef MB_PROGRESS_H
#define MB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct mb_progress_state {
    FILE *out;
    bool live;              /* out is a terminal: the live line is drawn */
    bool quiet;             /* nothing at all */
    bool line_shown;        /* a live line is on screen, to erase first */
    double started_ms;      /* the first update (monotonic), 0 before it */
    long reps_at_start;     /* repetitions already done at the first update */
} mb_progress_state;

void mb_progress_init(mb_progress_state *p, FILE *out, bool live, bool quiet);

/* Redraws the live line: "[cell/n_cells] NAME  WHAT  ETA ...".  reps_done
 * and reps_left count repetitions of the whole schedule; the pace is
 * measured from the first update.  at_most: reps_left counts adaptive
 * cells at their maximum, which they may not need, so the ETA is an upper
 * bound and says so ("ETA ≤3m20s").  Does nothing unless live. */
void mb_progress_update(mb_progress_state *p, size_t cell, size_t n_cells, const char *name,
                        const char *what, long reps_done, long reps_left, bool at_most);

/* A finished cell: "NAME  TEXT" on a line of its own (replacing the live
 * line on a terminal, where the name is cut to fit the width). */
void mb_progress_cell_done(mb_progress_state *p, const char *name, const char *text);

/* Erases the live line, if one is shown. */
void mb_progress_clear(mb_progress_state *p);

/* ---- pure parts, unit-tested ------------------------------------------ */

/* The width of the terminal on fd (TIOCGWINSZ), else $COLUMNS, else 80. */
int mb_progress_terminal_width(int fd);

/* Columns a UTF-8 string takes (one per code point). */
size_t mb_progress_columns(const char *s);

/* Seconds left at the measured pace, or -1 when nothing measured yet. */
double mb_progress_eta_s(double elapsed_s, long reps_done, long reps_left);

/* "ETA 45s", "ETA 3m20s", "ETA 2h05m", or "ETA ?" for a negative time;
 * "ETA ≤3m20s" for an upper bound (at_most). */
void mb_progress_format_eta(double seconds, bool at_most, char *buf, size_t size);

/* "COUNTER NAME  WHAT  ETA" in at most width - 1 columns (the last column
 * is left free: writing into it makes some terminals wrap).  Only the name
 * is cut, in its middle ("…"), keeping its start (the scenario) and its end
 * (the axes that tell cells apart); when even the figures do not fit, the
 * line is cut at the width.  Heap string. */
char *mb_progress_format_line(int width, const char *counter, const char *name,
                              const char *what, const char *eta);

/* "NAME  TEXT" for a finished cell within width - 1 columns, cutting the
 * name (down to a few columns) before the text; width <= 0: not cut, the
 * name padded to 64 columns as in a log.  Heap string, no newline. */
char *mb_progress_format_done(int width, const char *name, const char *text);

#endif

/* The rules every matrix axis value obeys, wherever it comes from: the
 * scenario file, an override's `when`, or a command-line list. */
#include "scenario_private.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"

const char *const mb__axis_names[] = {
    "device", "watermark_fix", "exec", "precision", "image_size", "batch_size", "worker",
};
const size_t mb__n_axis_names = sizeof mb__axis_names / sizeof mb__axis_names[0];

static const char *const device_names[] = {"mps", "cuda", "cpu", "auto"};
static const char *const precision_names[] = {"fp32", "fp16", "bf16"};
static const char *const exec_names[] = {"persistent", "fork_per_job"};
static const char *const worker_names[] = {"native", "rq"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Environment variable names as POSIX shells accept them, so the worker can
 * always export the value. */
static int env_name_valid(const char *name)
{
    if (!(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (const char *p = name; *p != '\0'; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

mb__axis_kind mb__axis_kind_of(const char *name, const char **why)
{
    static const mb__axis_kind kinds[] = {
        MB__AXIS_DEVICE, MB__AXIS_FIX, MB__AXIS_EXEC, MB__AXIS_PRECISION,
        MB__AXIS_IMAGE, MB__AXIS_BATCH, MB__AXIS_WORKER,
    };
    if (why != NULL)
        *why = NULL;
    for (size_t i = 0; i < mb__n_axis_names; i++)
        if (strcmp(name, mb__axis_names[i]) == 0)
            return kinds[i];
    if (strncmp(name, "env.", 4) == 0) {
        if (name[4] == '\0') {
            if (why != NULL)
                *why = "an environment axis needs a variable name, as in env.NAME";
            return MB__AXIS_UNKNOWN;
        }
        if (!env_name_valid(name + 4)) {
            if (why != NULL)
                *why = "not a valid environment variable name (letters, digits and '_', "
                       "not starting with a digit)";
            return MB__AXIS_UNKNOWN;
        }
        return MB__AXIS_ENV;
    }
    return MB__AXIS_UNKNOWN;
}

/* Case-insensitive lookup in a word list; the list's spelling is returned so
 * values are normalised to lower case. */
static const char *find_word(const char *raw, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(raw, words[i]) == 0)
            return words[i];
    return NULL;
}

/* Digits only, with an optional leading minus: strtol alone would also take
 * "+8", " 8" and "0x8". */
static int all_digits(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int side_value(const char *s, size_t n, long *out)
{
    if (n == 0 || n > 18)
        return n == 0 ? -1 : 1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    char buf[20];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return mb_parse_long(buf, out) == 0 ? 0 : 1;
}

static int image_value(const char *raw, char **norm, char *why, size_t why_size)
{
    const char *x = strchr(raw, 'x');
    long w = 0, h = 0;
    int rw = x == NULL ? -1 : side_value(raw, (size_t)(x - raw), &w);
    int rh = x == NULL ? -1 : side_value(x + 1, strlen(x + 1), &h);
    if (rw < 0 || rh < 0) {
        snprintf(why, why_size, "'%s' is not an image size WIDTHxHEIGHT such as 1024x768", raw);
        return -1;
    }
    if (rw > 0 || rh > 0 || w > MB__MAX_IMAGE_SIDE || h > MB__MAX_IMAGE_SIDE) {
        snprintf(why, why_size, "image size %s is absurd (at most %d pixels a side)", raw,
                 MB__MAX_IMAGE_SIDE);
        return -1;
    }
    if (w == 0 || h == 0) {
        snprintf(why, why_size, "image size %s has a zero side", raw);
        return -1;
    }
    *norm = mb_asprintf("%ldx%ld", w, h);
    return 0;
}

static int batch_value(const char *raw, char **norm, char *why, size_t why_size)
{
    long v;
    if (!all_digits(raw)) {
        snprintf(why, why_size, "expected a positive integer, got '%s'", raw);
        return -1;
    }
    if (mb_parse_long(raw, &v) != 0 || v > MB__MAX_BATCH) {
        snprintf(why, why_size, "batch size %s is absurd (at most %d)", raw, MB__MAX_BATCH);
        return -1;
    }
    if (v < 1) {
        snprintf(why, why_size, "must be a positive integer, got %ld", v);
        return -1;
    }
    *norm = mb_asprintf("%ld", v);
    return 0;
}

int mb__axis_value(const char *axis, const char *raw, char **norm, char *why,
                   size_t why_size)
{
    char list[128];
    const char *word;
    *norm = NULL;
    switch (mb__axis_kind_of(axis, NULL)) {
    case MB__AXIS_DEVICE:
        word = find_word(raw, device_names, COUNT(device_names));
        if (word == NULL) {
            mb__join_or(list, sizeof list, device_names, COUNT(device_names));
            snprintf(why, why_size, "unknown device '%s' (expected %s)", raw, list);
            return -1;
        }
        *norm = mb_strdup(word);
        return 0;
    case MB__AXIS_FIX:
        if (strcasecmp(raw, "on") == 0 || strcasecmp(raw, "true") == 0 ||
            strcasecmp(raw, "yes") == 0) {
            *norm = mb_strdup("on");
            return 0;
        }
        if (strcasecmp(raw, "off") == 0 || strcasecmp(raw, "false") == 0 ||
            strcasecmp(raw, "no") == 0) {
            *norm = mb_strdup("off");
            return 0;
        }
        snprintf(why, why_size, "expected on or off (or true, false, yes, no), got '%s'", raw);
        return -1;
    case MB__AXIS_EXEC:
        word = find_word(raw, exec_names, COUNT(exec_names));
        if (word == NULL) {
            mb__join_or(list, sizeof list, exec_names, COUNT(exec_names));
            snprintf(why, why_size, "unknown exec mode '%s' (expected %s)", raw, list);
            return -1;
        }
        *norm = mb_strdup(word);
        return 0;
    case MB__AXIS_PRECISION:
        word = find_word(raw, precision_names, COUNT(precision_names));
        if (word == NULL) {
            mb__join_or(list, sizeof list, precision_names, COUNT(precision_names));
            snprintf(why, why_size, "unknown precision '%s' (expected %s)", raw, list);
            return -1;
        }
        *norm = mb_strdup(word);
        return 0;
    case MB__AXIS_WORKER:
        word = find_word(raw, worker_names, COUNT(worker_names));
        if (word == NULL) {
            mb__join_or(list, sizeof list, worker_names, COUNT(worker_names));
            snprintf(why, why_size, "unknown worker kind '%s' (expected %s)", raw, list);
            return -1;
        }
        *norm = mb_strdup(word);
        return 0;
    case MB__AXIS_ENV:
        *norm = mb_strdup(raw);
        return 0;
    case MB__AXIS_IMAGE:
        return image_value(raw, norm, why, why_size);
    case MB__AXIS_BATCH:
        return batch_value(raw, norm, why, why_size);
    case MB__AXIS_UNKNOWN:
        break;
    }
    snprintf(why, why_size, "unknown matrix axis '%s'", axis);
    return -1;
}

long mb__axis_index(const mb_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->n_axes; i++)
        if (strcmp(s->axes[i].name, name) == 0)
            return (long)i;
    return -1;
}

const mb_axis *mb_scenario_axis(const mb_scenario *s, const char *name)
{
    if (s == NULL || name == NULL)
        return NULL;
    long i = mb__axis_index(s, name);
    return i < 0 ? NULL : &s->axes[i];
}

/* The canonical order keeps the axes that need their own worker process
 * outermost, so the cells one worker serves come out contiguous.  The worker
 * kind comes first: every cell of one kind runs before the other kind's
 * worker starts, so the two never compete for the machine. */
static int axis_rank(const char *name)
{
    switch (mb__axis_kind_of(name, NULL)) {
    case MB__AXIS_WORKER: return -1;
    case MB__AXIS_DEVICE: return 0;
    case MB__AXIS_FIX: return 1;
    case MB__AXIS_EXEC: return 2;
    case MB__AXIS_PRECISION: return 3;
    case MB__AXIS_ENV: return 4;
    case MB__AXIS_IMAGE: return 5;
    case MB__AXIS_BATCH: return 6;
    case MB__AXIS_UNKNOWN: break;
    }
    return 7;
}

void mb__axis_clear(mb_axis *axis)
{
    if (axis == NULL)
        return;
    for (size_t i = 0; i < axis->n_values; i++)
        free(axis->values[i]);
    free(axis->values);
    free(axis->value_pos);
    free(axis->name);
    memset(axis, 0, sizeof *axis);
}

void mb__axis_put(mb_scenario *s, mb_axis *axis)
{
    long existing = mb__axis_index(s, axis->name);
    if (existing >= 0) {
        mb__axis_clear(&s->axes[existing]);
        s->axes[existing] = *axis;
        memset(axis, 0, sizeof *axis);
        return;
    }
    int rank = axis_rank(axis->name);
    size_t at = s->n_axes;
    while (at > 0 && axis_rank(s->axes[at - 1].name) > rank)
        at--;
    s->axes = mb_realloc(s->axes, (s->n_axes + 1) * sizeof *s->axes);
    memmove(&s->axes[at + 1], &s->axes[at], (s->n_axes - at) * sizeof *s->axes);
    s->axes[at] = *axis;
    s->n_axes++;
    memset(axis, 0, sizeof *axis);
}

static size_t times(size_t total, size_t n)
{
    if (n == 0)
        return 0;
    if (total > (MB__MAX_CELLS + 1) / n)
        return MB__MAX_CELLS + 1;
    total *= n;
    return total > MB__MAX_CELLS ? MB__MAX_CELLS + 1 : total;
}

size_t mb__cell_count(const mb_scenario *s, const mb_axis *with)
{
    size_t total = 1;
    int replaced = 0;
    for (size_t i = 0; i < s->n_axes; i++) {
        if (with != NULL && strcmp(s->axes[i].name, with->name) == 0) {
            total = times(total, with->n_values);
            replaced = 1;
        } else {
            total = times(total, s->axes[i].n_values);
        }
    }
    if (with != NULL && !replaced)
        total = times(total, with->n_values);
    return total;
}

size_t mb__edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = mb_calloc(lb + 1, sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

/* A suggestion is worth making when the word is a near miss: a typo or two,
 * or an abbreviation of a longer name such as "batch" for "batch_size". */
const char *mb__did_you_mean(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    if (len == 0 || len > 64)
        return NULL;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = mb__edit_distance(word, candidates[i]);
        size_t cl = strlen(candidates[i]);
        size_t allowed = cl / 3 > 2 ? cl / 3 : 2;
        int prefix = len >= 3 && strncmp(word, candidates[i], len) == 0;
        if ((d <= allowed || prefix) && d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

void mb__join_or(char *buf, size_t size, const char *const *words, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
        int w = snprintf(buf + used, size - used, "%s%s", sep, words[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* "--device" for "device", "--batch-size" for "batch_size": the CLI spells
 * its flags after the axes they set. */
static char *flag_name(const char *axis)
{
    char *flag = mb_asprintf("--%s", axis);
    for (char *p = flag + 2; *p != '\0'; p++)
        if (*p == '_')
            *p = '-';
    return flag;
}

static char *trimmed(const char *start, size_t n)
{
    while (n > 0 && isspace((unsigned char)*start)) {
        start++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)start[n - 1]))
        n--;
    return mb_strndup(start, n);
}

int mb_scenario_set_axis(mb_scenario *s, const char *name, const char *csv, mb_err *err)
{
    if (s == NULL || name == NULL || csv == NULL)
        return mb_err_set(err, MB_EINVAL, "mb_scenario_set_axis: NULL argument");
    char *flag = flag_name(name);
    char why[512];
    const char *name_why;
    mb__axis_kind kind = mb__axis_kind_of(name, &name_why);
    int rc = 0;
    mb_axis axis = {0};
    if (kind == MB__AXIS_UNKNOWN) {
        const char *hint = mb__did_you_mean(name, mb__axis_names, mb__n_axis_names);
        if (name_why != NULL)
            rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: %s", flag, name_why);
        else if (hint != NULL)
            rc = mb_err_set(err, MB_ESCENARIO,
                            "command line: %s: unknown matrix axis '%s' (did you mean '%s'?)",
                            flag, name, hint);
        else
            rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: unknown matrix axis '%s'",
                            flag, name);
        goto out;
    }
    if (kind == MB__AXIS_IMAGE && s->images.as_is) {
        rc = mb_err_set(err, MB_ESCENARIO,
                        "command line: %s: the scenario takes its images as they are "
                        "(images.group_by_size: false), so it has no sizes to choose",
                        flag);
        goto out;
    }
    axis.name = mb_strdup(name);
    for (const char *p = csv;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma == NULL ? strlen(p) : (size_t)(comma - p);
        char *raw = trimmed(p, n);
        char *norm = NULL;
        if (raw[0] == '\0' && kind != MB__AXIS_ENV) {
            rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: empty value in '%s'",
                            flag, csv);
        } else if (mb__axis_value(name, raw, &norm, why, sizeof why) != 0) {
            rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: %s", flag, why);
        } else if (axis.n_values >= MB__MAX_AXIS_VALUES) {
            rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: more than %d values",
                            flag, MB__MAX_AXIS_VALUES);
        } else {
            for (size_t i = 0; i < axis.n_values && rc == 0; i++)
                if (strcmp(axis.values[i], norm) == 0)
                    rc = mb_err_set(err, MB_ESCENARIO,
                                    "command line: %s: duplicate value '%s'", flag, raw);
        }
        free(raw);
        if (rc != 0) {
            free(norm);
            goto out;
        }
        axis.values = mb_realloc(axis.values, (axis.n_values + 1) * sizeof *axis.values);
        axis.value_pos = mb_realloc(axis.value_pos, (axis.n_values + 1) * sizeof *axis.value_pos);
        axis.values[axis.n_values] = norm;
        axis.value_pos[axis.n_values] = (mb_pos){0, 0};
        axis.n_values++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    if (mb__axis_index(s, name) < 0 && s->n_axes >= MB__MAX_AXES) {
        rc = mb_err_set(err, MB_ESCENARIO, "command line: %s: more than %d matrix axes",
                        flag, MB__MAX_AXES);
        goto out;
    }
    if (mb__cell_count(s, &axis) > MB__MAX_CELLS) {
        rc = mb_err_set(err, MB_ESCENARIO,
                        "command line: %s: the matrix would have more than %d cells",
                        flag, MB__MAX_CELLS);
        goto out;
    }
    mb__axis_put(s, &axis);
out:
    mb__axis_clear(&axis);
    free(flag);
    return rc;
}

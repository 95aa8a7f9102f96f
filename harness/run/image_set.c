#include "image_set.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fixtures.h"
#include "image.h"
#include "mb_util.h"

/* Distinct generated images per size: jobs cycle through them.  Enough to
 * defeat caches, few enough that 4032x3024 fixtures are made in seconds. */
#define FIXTURES_PER_SIZE 16

/* A folder walk is bounded: folders nested deeper than this, or more files
 * than this, are a scenario mistake (a link back up the tree, the wrong
 * folder), not a photo collection to benchmark. */
#define MAX_WALK_DEPTH 32
#define MAX_WALK_FILES 100000

typedef struct photo {
    char *path;
    int width, height;
    char *unreadable;       /* why it cannot be read, or NULL */
} photo;

typedef struct pool {
    char *key;              /* "gen:jpeg:224x224" or "dir:/path:224x224" */
    char **paths;
    size_t n;
} pool;

typedef struct photo_dir {
    char *dir;
    photo *photos;
    size_t n, cap;
    size_t n_unreadable;
} photo_dir;

/* A folder already walked, by identity: a symbolic link back to it (or a
 * second link to the same folder) is not followed again. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

typedef struct walk_ctx {
    photo_dir *pd;
    const mb_scenario *s;
    bool (*cancelled)(void);
    dir_id *seen;
    size_t n_seen, cap_seen;
    size_t n_entries;
    mb_err *err;
} walk_ctx;

struct mb_image_set {
    char *cache_dir;
    pool *pools;
    size_t n_pools;
    photo_dir *dirs;
    size_t n_dirs;
    bool (*cancelled)(void);
};

mb_image_set *mb_image_set_new(const char *cache_dir)
{
    mb_image_set *set = mb_calloc(1, sizeof *set);
    set->cache_dir = mb_strdup(cache_dir);
    return set;
}

void mb_image_set_set_cancel(mb_image_set *set, bool (*cancelled)(void))
{
    set->cancelled = cancelled;
    mb_fixture_set_cancel(cancelled);
}

void mb_image_set_free(mb_image_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n_pools; i++) {
        for (size_t j = 0; j < set->pools[i].n; j++)
            free(set->pools[i].paths[j]);
        free(set->pools[i].paths);
        free(set->pools[i].key);
    }
    for (size_t i = 0; i < set->n_dirs; i++) {
        for (size_t j = 0; j < set->dirs[i].n; j++) {
            free(set->dirs[i].photos[j].path);
            free(set->dirs[i].photos[j].unreadable);
        }
        free(set->dirs[i].photos);
        free(set->dirs[i].dir);
    }
    free(set->pools);
    free(set->dirs);
    free(set->cache_dir);
    free(set);
}

static bool has_image_extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
                           strcasecmp(dot, ".png") == 0);
}

static int compare_photos(const void *a, const void *b)
{
    return strcmp(((const photo *)a)->path, ((const photo *)b)->path);
}

/* "scenario.yaml:4:8: images.dir: " when the scenario is known. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int dir_fail(const mb_scenario *s, mb_err *err, int code, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (s == NULL || s->path == NULL || s->images.dir_pos.line <= 0)
        return mb_err_set(err, code, "images.dir: %s", reason);
    return mb_err_set(err, code, "%s:%d:%d: images.dir: %s", s->path, s->images.dir_pos.line,
                      s->images.dir_pos.column, reason);
}

/* False when the folder was walked before (a link loop, or two links to
 * one folder); remembers it otherwise. */
static bool first_visit(walk_ctx *w, const struct stat *st)
{
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return false;
    if (w->n_seen == w->cap_seen) {
        w->cap_seen = w->cap_seen ? w->cap_seen * 2 : 16;
        w->seen = mb_realloc(w->seen, w->cap_seen * sizeof *w->seen);
    }
    w->seen[w->n_seen++] = (dir_id){st->st_dev, st->st_ino};
    return true;
}

static void add_photo(photo_dir *pd, char *path)
{
    if (pd->n == pd->cap) {
        pd->cap = pd->cap ? pd->cap * 2 : 64;
        pd->photos = mb_realloc(pd->photos, pd->cap * sizeof *pd->photos);
    }
    photo *p = &pd->photos[pd->n++];
    memset(p, 0, sizeof *p);
    p->path = path;
    /* Unreadable images are kept, with the reason, so that the run lists
     * them and the cell fails (or a job reports them) rather than the run
     * silently leaving them out. */
    mb_err perr;
    if (mb_image_probe_file(path, &p->width, &p->height, &perr) != 0) {
        p->unreadable = mb_strdup(perr.msg);
    } else if ((unsigned long long)p->width * (unsigned long long)p->height >
               MB_IMAGE_MAX_PIXELS) {
        p->unreadable = mb_asprintf("%s: %dx%d exceeds the pixel limit (%llu)", path, p->width,
                                    p->height, (unsigned long long)MB_IMAGE_MAX_PIXELS);
    }
    if (p->unreadable != NULL) {
        p->width = p->height = 0;
        pd->n_unreadable++;
    }
}

/* Recursive walk with opendir/readdir (nftw needs XSI).  Bounded: a folder
 * is walked once however many links lead to it, and depth and file count
 * are capped; interruptible between entries. */
static int walk(walk_ctx *w, const char *dir, int depth)
{
    if (depth > MAX_WALK_DEPTH)
        return dir_fail(w->s, w->err, MB_ESCENARIO, "'%s' nests folders deeper than %d levels "
                        "(at %s)", w->pd->dir, MAX_WALK_DEPTH, dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (w->cancelled != NULL && w->cancelled())
            rc = mb_err_set(w->err, MB_EIO, "interrupted while reading images.dir '%s'",
                            w->pd->dir);
        else if (++w->n_entries > MAX_WALK_FILES)
            rc = dir_fail(w->s, w->err, MB_ESCENARIO, "'%s' holds more than %d files and folders; "
                          "point it at a smaller folder", w->pd->dir, MAX_WALK_FILES);
        if (rc != 0 || e->d_name[0] == '.')
            continue;
        char *path = mb_asprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (first_visit(w, &st))
                rc = walk(w, path, depth + 1);
            free(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !has_image_extension(e->d_name)) {
            free(path);
            continue;
        }
        add_photo(w->pd, path);
    }
    closedir(d);
    return rc;
}

static void photo_dir_clear(photo_dir *pd)
{
    for (size_t j = 0; j < pd->n; j++) {
        free(pd->photos[j].path);
        free(pd->photos[j].unreadable);
    }
    free(pd->photos);
    free(pd->dir);
    memset(pd, 0, sizeof *pd);
}

static photo_dir *photos_of(mb_image_set *set, const mb_scenario *s, const char *dir,
                            mb_err *err)
{
    for (size_t i = 0; i < set->n_dirs; i++)
        if (strcmp(set->dirs[i].dir, dir) == 0)
            return &set->dirs[i];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        dir_fail(s, err, MB_ESCENARIO, "'%s' is not a readable folder", dir);
        return NULL;
    }
    photo_dir pd = {0};
    pd.dir = mb_strdup(dir);
    walk_ctx w = {.pd = &pd, .s = s, .cancelled = set->cancelled, .err = err};
    first_visit(&w, &st);
    int rc = walk(&w, dir, 0);
    free(w.seen);
    if (rc != 0) {
        photo_dir_clear(&pd);
        return NULL;
    }
    /* readdir order is arbitrary; sort so runs are reproducible. */
    if (pd.n > 1)
        qsort(pd.photos, pd.n, sizeof *pd.photos, compare_photos);
    if (pd.n == 0) {
        dir_fail(s, err, MB_ESCENARIO, "'%s' holds no .jpg, .jpeg or .png files", dir);
        photo_dir_clear(&pd);
        return NULL;
    }
    set->dirs = mb_realloc(set->dirs, (set->n_dirs + 1) * sizeof *set->dirs);
    set->dirs[set->n_dirs] = pd;
    return &set->dirs[set->n_dirs++];
}

size_t mb_image_set_unreadable(mb_image_set *set, const char *dir, const char ***reasons)
{
    *reasons = NULL;
    for (size_t i = 0; i < set->n_dirs; i++) {
        const photo_dir *pd = &set->dirs[i];
        if (strcmp(pd->dir, dir) != 0 || pd->n_unreadable == 0)
            continue;
        const char **out = mb_calloc(pd->n_unreadable, sizeof *out);
        size_t n = 0;
        for (size_t j = 0; j < pd->n; j++)
            if (pd->photos[j].unreadable != NULL)
                out[n++] = pd->photos[j].unreadable;
        *reasons = out;
        return n;
    }
    return 0;
}

int mb_image_set_dir_sizes(mb_image_set *set, const char *dir, char **csv, mb_err *err)
{
    photo_dir *pd = photos_of(set, NULL, dir, err);
    if (pd == NULL)
        return err != NULL ? err->code : MB_EIO;
    size_t cap = 64, len = 0;
    char *out = mb_calloc(cap, 1);
    for (size_t i = 0; i < pd->n; i++) {
        if (pd->photos[i].width == 0)
            continue;
        char size[40];
        snprintf(size, sizeof size, "%dx%d", pd->photos[i].width, pd->photos[i].height);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = pd->photos[j].width == pd->photos[i].width &&
                   pd->photos[j].height == pd->photos[i].height;
        if (seen)
            continue;
        size_t need = len + strlen(size) + 2;
        if (need > cap) {
            cap = need * 2;
            out = mb_realloc(out, cap);
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", size);
    }
    if (len == 0) {
        free(out);
        return mb_err_set(err, MB_EIO, "images.dir '%s': no file could be read as an image", dir);
    }
    *csv = out;
    return 0;
}

static pool *find_pool(mb_image_set *set, const char *key)
{
    for (size_t i = 0; i < set->n_pools; i++)
        if (strcmp(set->pools[i].key, key) == 0)
            return &set->pools[i];
    return NULL;
}

static pool *add_pool(mb_image_set *set, char *key)
{
    set->pools = mb_realloc(set->pools, (set->n_pools + 1) * sizeof *set->pools);
    pool *p = &set->pools[set->n_pools++];
    memset(p, 0, sizeof *p);
    p->key = key;
    return p;
}

int mb_image_set_for_cell(mb_image_set *set, const mb_scenario *s, const mb_cell *cell,
                          char ***paths, size_t *n, mb_err *err)
{
    bool as_is = cell->image_width == 0;
    const char *fmt = mb_image_format_name(s->images.format);
    char *key = s->images.dir
        ? mb_asprintf("dir:%s:%dx%d", s->images.dir, cell->image_width, cell->image_height)
        : mb_asprintf("gen:%s:%dx%d", fmt, cell->image_width, cell->image_height);
    pool *p = find_pool(set, key);
    if (p != NULL) {
        free(key);
        *paths = p->paths;
        *n = p->n;
        return 0;
    }
    if (s->images.dir == NULL) {
        char *dir = mb_asprintf("%s/%s", set->cache_dir, fmt);
        int rc = mb_mkdir_p(dir, 0755, err);
        char **generated = NULL;
        if (rc == 0)
            rc = mb_fixture_ensure(dir, cell->image_width, cell->image_height, s->images.format,
                                   FIXTURES_PER_SIZE, &generated, err);
        free(dir);
        if (rc != 0) {
            free(key);
            return rc;
        }
        p = add_pool(set, key);
        p->paths = generated;
        p->n = FIXTURES_PER_SIZE;
    } else {
        photo_dir *pd = photos_of(set, s, s->images.dir, err);
        if (pd == NULL) {
            free(key);
            return err->code;
        }
        p = add_pool(set, key);
        p->paths = mb_calloc(pd->n, sizeof *p->paths);
        for (size_t i = 0; i < pd->n; i++) {
            const photo *ph = &pd->photos[i];
            /* Taken as they are, unreadable photos go to the worker, whose
             * jobs then fail with the reason, unless they are allowed (and
             * then only listed). */
            if (as_is ? ph->unreadable == NULL || !s->images.allow_unreadable
                      : ph->width == cell->image_width && ph->height == cell->image_height)
                p->paths[p->n++] = mb_strdup(ph->path);
        }
        if (p->n == 0)
            return dir_fail(s, err, MB_ESCENARIO, "'%s' has no readable photo of %dx%d",
                            s->images.dir, cell->image_width, cell->image_height);
    }
    *paths = p->paths;
    *n = p->n;
    return 0;
}

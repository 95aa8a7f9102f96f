#include "image_set.h"

#include <dirent.h>
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

typedef struct photo {
    char *path;
    int width, height;
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
} photo_dir;

struct mb_image_set {
    char *cache_dir;
    pool *pools;
    size_t n_pools;
    photo_dir *dirs;
    size_t n_dirs;
};

mb_image_set *mb_image_set_new(const char *cache_dir)
{
    mb_image_set *set = mb_calloc(1, sizeof *set);
    set->cache_dir = mb_strdup(cache_dir);
    return set;
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
        for (size_t j = 0; j < set->dirs[i].n; j++)
            free(set->dirs[i].photos[j].path);
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

/* Recursive walk with opendir/readdir (nftw needs XSI).  Unreadable images
 * are kept with size 0x0 so that a job reports them rather than the run
 * silently skipping them. */
static void walk(photo_dir *pd, const char *dir, int depth)
{
    if (depth > 32)
        return;
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = mb_asprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(pd, path, depth + 1);
            free(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !has_image_extension(e->d_name)) {
            free(path);
            continue;
        }
        if (pd->n == pd->cap) {
            pd->cap = pd->cap ? pd->cap * 2 : 64;
            pd->photos = mb_realloc(pd->photos, pd->cap * sizeof *pd->photos);
        }
        photo *p = &pd->photos[pd->n++];
        p->path = path;
        p->width = p->height = 0;
        mb_image_probe_file(path, &p->width, &p->height, NULL);
    }
    closedir(d);
}

static photo_dir *photos_of(mb_image_set *set, const char *dir, mb_err *err)
{
    for (size_t i = 0; i < set->n_dirs; i++)
        if (strcmp(set->dirs[i].dir, dir) == 0)
            return &set->dirs[i];
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        mb_err_set(err, MB_EIO, "images.dir '%s' is not a readable folder", dir);
        return NULL;
    }
    set->dirs = mb_realloc(set->dirs, (set->n_dirs + 1) * sizeof *set->dirs);
    photo_dir *pd = &set->dirs[set->n_dirs++];
    memset(pd, 0, sizeof *pd);
    pd->dir = mb_strdup(dir);
    walk(pd, dir, 0);
    /* readdir order is arbitrary; sort so runs are reproducible. */
    qsort(pd->photos, pd->n, sizeof *pd->photos, compare_photos);
    if (pd->n == 0) {
        mb_err_set(err, MB_EIO, "images.dir '%s' holds no .jpg, .jpeg or .png files", dir);
        return NULL;
    }
    return pd;
}

int mb_image_set_dir_sizes(mb_image_set *set, const char *dir, char **csv, mb_err *err)
{
    photo_dir *pd = photos_of(set, dir, err);
    if (pd == NULL)
        return MB_EIO;
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
    const char *fmt = s->images.format == MB_FORMAT_PNG ? "png" : "jpeg";
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
        int rc = mb_mkdir_p(dir, 0755);
        char **generated = NULL;
        if (rc == 0)
            rc = mb_fixture_ensure(dir, cell->image_width, cell->image_height, s->images.format,
                                   FIXTURES_PER_SIZE, &generated, err);
        else
            mb_err_set(err, MB_EIO, "cannot create image cache %s", dir);
        free(dir);
        if (rc != 0) {
            free(key);
            return rc;
        }
        p = add_pool(set, key);
        p->paths = generated;
        p->n = FIXTURES_PER_SIZE;
    } else {
        photo_dir *pd = photos_of(set, s->images.dir, err);
        if (pd == NULL) {
            free(key);
            return MB_EIO;
        }
        p = add_pool(set, key);
        p->paths = mb_calloc(pd->n, sizeof *p->paths);
        for (size_t i = 0; i < pd->n; i++) {
            const photo *ph = &pd->photos[i];
            if (as_is || (ph->width == cell->image_width && ph->height == cell->image_height))
                p->paths[p->n++] = mb_strdup(ph->path);
        }
        if (p->n == 0)
            return mb_err_set(err, MB_EIO, "images.dir '%s' has no photo of %dx%d", s->images.dir,
                              cell->image_width, cell->image_height);
    }
    *paths = p->paths;
    *n = p->n;
    return 0;
}

/* Promoting a run to a baseline: validate, key, stage, rename. */
#include "baseline.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "baseline_private.h"
#include "mb_util.h"
#include "results_file.h"
#include "run_dir.h"

static mb__baseline_hook before_rename;

void mb__baseline_set_hook(mb__baseline_hook hook)
{
    before_rename = hook;
}

/* ---- the machine key --------------------------------------------------- */

/* Appends the slug of text to buf (at most cap - 1 characters in all). */
static void slug_append(char *buf, size_t cap, const char *text)
{
    size_t len = strlen(buf);
    bool dash = len > 0 && buf[len - 1] == '-';
    for (const char *p = text; *p && len + 1 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) || ch == '.') {
            buf[len++] = (char)tolower(ch);
            dash = false;
        } else if (!dash && len > 0) {
            buf[len++] = '-';
            dash = true;
        }
    }
    buf[len] = '\0';
    if (len > 0 && buf[len - 1] == '-')
        buf[len - 1] = '\0';
}

/* Adds one '_'-separated part made of the slugs of up to three pieces. */
static void key_part(char *key, size_t cap, const char *a, const char *b, const char *c)
{
    size_t start = strlen(key);
    if (start > 0 && start + 1 < cap) {
        key[start++] = '_';
        key[start] = '\0';
    }
    const char *pieces[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (pieces[i] == NULL || *pieces[i] == '\0')
            continue;
        size_t len = strlen(key);
        if (len > start && key[len - 1] != '-' && len + 1 < cap) {
            key[len++] = '-';
            key[len] = '\0';
        }
        slug_append(key, cap, pieces[i]);
    }
    size_t len = strlen(key);
    if (len > 0 && (key[len - 1] == '-' || key[len - 1] == '_'))
        key[len - 1] = '\0';
}

char *mb_baseline_key_from(const char *const *devices, const char *const *descriptions,
                           size_t n, long cpus, const char *os, const char *torch)
{
    char key[MB_BASELINE_KEY_MAX + 1] = "";
    for (size_t i = 0; i < n; i++) {
        char cores[32] = "";
        if (strcmp(devices[i], "cpu") == 0 && cpus > 0)
            snprintf(cores, sizeof cores, "%ldc", cpus);
        key_part(key, sizeof key, devices[i], descriptions ? descriptions[i] : NULL, cores);
    }
    key_part(key, sizeof key, os ? os : "unknown-os", NULL, NULL);
    key_part(key, sizeof key, "torch", torch ? torch : "unknown", NULL);
    return mb_strdup(key);
}

static int key_of(const mb_res_gb_file *f, char **key, mb_err *err)
{
    json_t *devices = f->devices;
    if (devices == NULL)
        return mb_err_set(err, MB_EINVAL, "%s: no device probe (context.mpsbench_devices) to "
                          "build a machine key from; pass --key", f->path);
    /* Accelerators first, so that the key reads from the most telling
     * device; then any device this code does not know yet. */
    static const char *const known[] = {"cuda", "mps", "cpu"};
    const char *names[16];
    const char *descs[16];
    size_t n = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        json_t *d = json_object_get(devices, known[i]);
        if (json_is_true(json_object_get(d, "usable")) && n < 16) {
            names[n] = known[i];
            descs[n++] = json_string_value(json_object_get(d, "description"));
        }
    }
    const char *name;
    json_t *d;
    json_object_foreach(devices, name, d) {
        if (strcmp(name, "cuda") == 0 || strcmp(name, "mps") == 0 || strcmp(name, "cpu") == 0)
            continue;
        if (json_is_true(json_object_get(d, "usable")) && n < 16) {
            names[n] = name;
            descs[n++] = json_string_value(json_object_get(d, "description"));
        }
    }
    if (n == 0)
        return mb_err_set(err, MB_EINVAL, "%s: the device probe lists no usable device; "
                          "pass --key", f->path);
    *key = mb_baseline_key_from(names, descs, n, f->num_cpus, f->os, f->torch_version);
    return 0;
}

int mb_baseline_machine_key(const char *results, char **key, mb_err *err)
{
    mb_res_gb_file f;
    int rc = mb_res_gb_load(results, MB_EINVAL, &f, err);
    if (rc != 0)
        return rc;
    rc = key_of(&f, key, err);
    mb_res_gb_clear(&f);
    return rc;
}

bool mb_baseline_key_valid(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > MB_BASELINE_KEY_MAX || key[0] == '.')
        return false;
    for (const char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && strchr("._+-", *p) == NULL)
            return false;
    return true;
}

/* ---- promotion ------------------------------------------------------------ */

static bool has_success(const mb_res_gb_file *f)
{
    for (size_t i = 0; i < f->n_cells; i++)
        if (f->cells[i].n_ips > 0)
            return true;
    return false;
}

/* The run's run.json says whether the run finished; a run that died
 * half-way would make a baseline with cells missing.  Only a run's own
 * results.json has one (results_file.h). */
static int check_complete(const mb_res_gb_file *f, mb_err *err)
{
    char *path = mb_res_gb_run_json(f->path);
    int rc = 0;
    if (path != NULL && access(path, F_OK) == 0) {
        mb_res_run run;
        rc = mb_res_run_load_file(path, &run, err);
        if (rc != 0) {
            char *why = mb_strdup(err->msg);
            rc = mb_err_set(err, MB_EINVAL, "%s (use --force to promote the results anyway)",
                            why);
            free(why);
        }
        else if (mb_res_run_unfinished(&run))
            rc = mb_err_set(err, MB_EINVAL, "%s: the run is incomplete (run.json says %s); not "
                            "promoting it (use --force to promote it anyway)", path, run.status);
        mb_res_run_free(&run);
    }
    free(path);
    return rc;
}

/* Staged files of updates that were killed are removed once their process
 * is gone; those of a live process belong to an update in progress. */
static void remove_stale(const char *dir, const char *key)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    char *prefix = mb_asprintf(".%s.json.staged.", key);
    size_t plen = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + plen, &end, 10);
        if (end == e->d_name + plen || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char *stale = mb_asprintf("%s/%s", dir, e->d_name);
            unlink(stale);
            free(stale);
        }
    }
    free(prefix);
    closedir(d);
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* One entry of mpsbench_history: where a run came from and its rows. */
static json_t *history_entry(json_t *root, const char *added, const char *source)
{
    json_t *e = json_object();
    json_object_set_new(e, "added", added ? json_string(added) : json_null());
    json_object_set_new(e, "source", source ? json_string(source) : json_null());
    json_t *ctx = json_object_get(root, "context");
    json_object_set_new(e, "context", ctx ? json_deep_copy(ctx) : json_object());
    json_object_set_new(e, "benchmarks", json_deep_copy(json_object_get(root, "benchmarks")));
    return e;
}

/* The new baseline: the run's own results file, so that every reader of
 * results.json (compare's two-file rule, the charts) still reads it as the
 * latest run, plus the history of the last `keep` runs, this one included.
 * An old baseline without a history is its own single run; old is NULL
 * when there is none (or a corrupt one is being replaced with --force). */
static char *history_text(const mb_res_gb_file *run, const mb_res_gb_file *old, size_t keep)
{
    json_t *root = json_loadb(run->text, run->len, 0, NULL);
    json_object_del(root, "mpsbench_history");
    json_t *runs = json_array();
    if (old != NULL) {
        json_t *old_root = json_loadb(old->text, old->len, 0, NULL);
        json_t *old_runs = json_object_get(json_object_get(old_root, "mpsbench_history"), "runs");
        if (json_is_array(old_runs))
            json_array_extend(runs, old_runs);
        else
            json_array_append_new(runs, history_entry(old_root, NULL, old->path));
        json_decref(old_root);
    }
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_array_append_new(runs, history_entry(root, now, run->path));
    while (json_array_size(runs) > keep)
        json_array_remove(runs, 0);
    json_t *hist = json_object();
    json_object_set_new(hist, "format", json_integer(1));
    json_object_set_new(hist, "runs", runs);
    json_object_set_new(root, "mpsbench_history", hist);
    /* 17 significant digits: every throughput survives the round trip. */
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (text == NULL)
        abort();
    return text;
}

static int install(const char *dir, const char *key, const char *final, const char *text,
                   mb_err *err)
{
    char *staged = mb_asprintf("%s/.%s.json.staged.%ld", dir, key, (long)getpid());
    int rc = mb_write_file_atomic(staged, text, strlen(text), err);
    if (rc != 0) {
        unlink(staged);
        free(staged);
        return MB_EIO;
    }
    if (before_rename != NULL)
        before_rename(staged, final);
    if (rename(staged, final) != 0) {
        int e = errno;
        unlink(staged);
        free(staged);
        return mb_err_set(err, MB_EIO, "%s: cannot rename into place: %s", final, strerror(e));
    }
    free(staged);
    fsync_dir(dir);
    return 0;
}

int mb_baseline_update(const char *run_path, const mb_baseline_options *opt, char **path_out,
                       mb_err *err)
{
    static const mb_baseline_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    if (path_out != NULL)
        *path_out = NULL;
    if (opt->key != NULL && !mb_baseline_key_valid(opt->key))
        return mb_err_set(err, MB_EUSAGE, "key '%s' is not a file name of letters, digits and "
                          "._+- (at most %d, no leading dot)", opt->key, MB_BASELINE_KEY_MAX);
    mb_res_gb_file run;
    int rc = mb_res_gb_load(run_path, MB_EINVAL, &run, err);
    if (rc != 0)
        return rc;
    char *key = NULL, *final = NULL;
    mb_res_gb_file old;
    bool have_old = false;
    size_t keep = opt->keep ? opt->keep : MB_BASELINE_DEFAULT_KEEP;
    const char *dir = opt->dir ? opt->dir : MB_BASELINE_DEFAULT_DIR;
    if (!has_success(&run))
        rc = mb_err_set(err, MB_EINVAL, "%s: no cell has a successful repetition; nothing to "
                        "promote", run.path);
    if (rc == 0 && !opt->force)
        rc = check_complete(&run, err);
    if (rc == 0) {
        if (opt->key != NULL)
            key = mb_strdup(opt->key);
        else
            rc = key_of(&run, &key, err);
    }
    if (rc == 0) {
        rc = mb_mkdir_p(dir, 0755, err);
    }
    if (rc == 0) {
        final = mb_asprintf("%s/%s.json", dir, key);
        if (access(final, F_OK) == 0) {
            mb_err old_err;
            mb_res_gb_history hist;
            int lrc = mb_res_gb_load(final, MB_EBASELINE, &old, &old_err);
            if (lrc == 0) {
                lrc = mb_res_gb_load_history(&old, MB_EBASELINE, &hist, &old_err);
                if (lrc == 0)
                    mb_res_gb_history_clear(&hist);
                else
                    mb_res_gb_clear(&old);
            }
            have_old = lrc == 0;
            /* With --force a corrupt baseline is replaced by a history that
             * starts afresh with this run. */
            if (lrc != 0 && !opt->force)
                rc = mb_err_set(err, MB_EBASELINE, "existing baseline is corrupt, not "
                                "replacing it (use --force to replace it): %s", old_err.msg);
        }
    }
    if (rc == 0) {
        remove_stale(dir, key);
        char *text = history_text(&run, have_old ? &old : NULL, keep);
        rc = install(dir, key, final, text, err);
        free(text);
    }
    if (have_old)
        mb_res_gb_clear(&old);
    if (rc == 0 && path_out != NULL) {
        *path_out = final;
        final = NULL;
    }
    free(final);
    free(key);
    mb_res_gb_clear(&run);
    return rc;
}

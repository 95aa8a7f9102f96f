/* `mpsbench run`: options -> mb_run_config -> mb_run. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

#include "commands.h"
#include "mb_opts.h"
#include "cell_select.h"
#include "mb_util.h"
#include "run.h"

#ifndef MB_DEFAULT_SCENARIO_DIR
#define MB_DEFAULT_SCENARIO_DIR "scenarios"
#endif

static void on_stop_signal(int sig)
{
    (void)sig;
    mb_run_request_stop();
}

/* SIGINT and SIGTERM stop the run in order (partial results are written);
 * they are caught before mb_run starts, because every set-up step (models,
 * folder walks, fixtures) checks for a stop too.  A Redis connection that
 * dies under a write must be an error to report, not a SIGPIPE that kills
 * the harness before it can say so. */
static void install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The folder holding this executable, where mpsbench-worker lives too. */
static char *exe_dir(const char *argv0)
{
    char path[PATH_MAX] = "";
#if defined(__linux__)
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0)
        path[n] = '\0';
#elif defined(__APPLE__)
    uint32_t size = sizeof path;
    if (_NSGetExecutablePath(path, &size) != 0)
        path[0] = '\0';
#endif
    if (path[0] == '\0' && strchr(argv0, '/') != NULL)
        snprintf(path, sizeof path, "%s", argv0);
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return NULL;
    *slash = '\0';
    return mb_strdup(path);
}

static char *find_worker(const char *argv0)
{
    const char *env = getenv("MPSBENCH_WORKER");
    if (env != NULL && *env)
        return mb_strdup(env);
    char *dir = exe_dir(argv0);
    if (dir != NULL) {
        char *candidate = mb_asprintf("%s/mpsbench-worker", dir);
        free(dir);
        if (access(candidate, X_OK) == 0)
            return candidate;
        free(candidate);
    }
    return mb_strdup("mpsbench-worker");   /* from PATH */
}

static char *default_image_cache(void)
{
    const char *env = getenv("MPSBENCH_CACHE");
    if (env != NULL && *env)
        return mb_asprintf("%s/images", env);
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg != NULL && *xdg)
        return mb_asprintf("%s/mpsbench/images", xdg);
    const char *home = getenv("HOME");
    return mb_asprintf("%s/.cache/mpsbench/images", home && *home ? home : "/tmp");
}

static char *default_scenario(void)
{
    if (access("scenarios/default.yaml", R_OK) == 0)
        return mb_strdup("scenarios/default.yaml");
    return mb_strdup(MB_DEFAULT_SCENARIO_DIR "/default.yaml");
}

enum { OPT_OUT = 1, OPT_DEVICE, OPT_REDIS, OPT_CACHE, OPT_QUIET, OPT_HELP, OPT_BASELINE,
       OPT_THRESHOLD, OPT_NO_CHARTS, OPT_SEED, OPT_FAIL_INCONCLUSIVE, OPT_NO_DRIFT, OPT_CAND_WORKER,
       OPT_CAND_ENV, OPT_CAND_FAULT, OPT_FORCE, OPT_YES, OPT_LIST, OPT_FILTER, OPT_REPETITIONS,
       OPT_WARMUP_JOBS, OPT_JOBS };

static const mb_opt run_opts[] = {
    {"out", 'o', 1, OPT_OUT},
    {"device", 'd', 1, OPT_DEVICE},
    {"redis", 0, 1, OPT_REDIS},
    {"image-cache", 0, 1, OPT_CACHE},
    {"quiet", 'q', 0, OPT_QUIET},
    {"baseline", 'b', 1, OPT_BASELINE},
    {"threshold", 0, 1, OPT_THRESHOLD},
    {"no-charts", 0, 0, OPT_NO_CHARTS},
    {"seed", 0, 1, OPT_SEED},
    {"fail-on-inconclusive", 0, 0, OPT_FAIL_INCONCLUSIVE},
    {"assume-no-drift", 0, 0, OPT_NO_DRIFT},
    {"candidate-worker", 0, 1, OPT_CAND_WORKER},
    {"candidate-env", 0, 1, OPT_CAND_ENV},
    {"candidate-fault", 0, 1, OPT_CAND_FAULT},
    {"force", 0, 0, OPT_FORCE},
    {"yes", 0, 0, OPT_YES},
    {"list", 0, 0, OPT_LIST},
    {"filter", 0, 1, OPT_FILTER},
    {"repetitions", 0, 1, OPT_REPETITIONS},
    {"warmup-jobs", 0, 1, OPT_WARMUP_JOBS},
    {"jobs", 0, 1, OPT_JOBS},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

/* A whole number in [min, max] for option --name, the scenario's own bounds. */
static int parse_count(const char *name, const char *text, long min, long max, bool *set,
                       int *out, mb_err *err)
{
    long v;
    if (mb_parse_long(text, &v) != 0 || v < min || v > max)
        return mb_err_set(err, MB_EUSAGE, "option --%s: expected a whole number from %ld to "
                          "%ld, got '%s'", name, min, max, text);
    *out = (int)v;
    *set = true;
    return 0;
}

/* The options that choose and shape cells (--list, --filter, the
 * overrides) and the other options with a value to check.  Returns 1 when
 * id is not one of them. */
static int cell_option(int id, const char *arg, mb_run_config *cfg, const char **filters,
                       mb_err *err)
{
    mb_run_overrides *o = &cfg->overrides;
    switch (id) {
    case OPT_LIST: cfg->list = true; return 0;
    case OPT_FILTER: {
        /* Checked here, so a bad expression is refused before anything starts. */
        mb_cell_filter f;
        int rc = mb_cell_filter_init(&f, &arg, 1, err);
        mb_cell_filter_free(&f);
        if (rc == 0)
            filters[cfg->n_filters++] = arg;
        return rc;
    }
    case OPT_REPETITIONS:
        return parse_count("repetitions", arg, 1, 1000, &o->repetitions_set, &o->repetitions, err);
    case OPT_WARMUP_JOBS:
        return parse_count("warmup-jobs", arg, 0, 100000, &o->warmup_jobs_set, &o->warmup_jobs,
                           err);
    case OPT_JOBS:
        return parse_count("jobs", arg, 1, 100000, &o->jobs_set, &o->jobs, err);
    case OPT_THRESHOLD:
        if (mb_parse_fraction(arg, &cfg->threshold) != 0 || cfg->threshold <= 0 ||
            cfg->threshold >= 1)
            return mb_err_set(err, MB_EUSAGE, "option --threshold: expected a percentage such "
                              "as 5%%, got '%s'", arg);
        cfg->threshold_set = true;
        return 0;
    case OPT_SEED: {
        char *end = NULL;
        errno = 0;
        cfg->seed = strtoull(arg, &end, 10);
        if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-')
            return mb_err_set(err, MB_EUSAGE, "option --seed: expected a whole number, got '%s'",
                              arg);
        cfg->seed_set = true;
        return 0;
    }
    default: return 1;
    }
}

int mb_cmd_run(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    mb_run_config cfg = {0};
    const char **scenarios = mb_calloc((size_t)argc, sizeof *scenarios);
    const char **cand_env = mb_calloc((size_t)argc, sizeof *cand_env);
    const char **cand_fault = mb_calloc((size_t)argc, sizeof *cand_fault);
    const char **filters = mb_calloc((size_t)argc, sizeof *filters);
    cfg.filters = filters;
    cfg.candidate_env = cand_env;
    cfg.candidate_fault = cand_fault;
    char *cache = NULL, *worker = NULL, *fallback = NULL;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    int rc = 0;
    for (;;) {
        int id;
        if ((rc = mb_opt_next(&it, run_opts, &id, err)) != 0)
            goto out;
        if (id == MB_OPT_END)
            break;
        if ((rc = cell_option(id, it.arg, &cfg, filters, err)) <= 0) {
            if (rc < 0)
                goto out;
            continue;
        }
        rc = 0;
        switch (id) {
        case MB_OPT_POSITIONAL: scenarios[cfg.n_scenarios++] = it.arg; break;
        case OPT_OUT: cfg.out_dir = it.arg; break;
        case OPT_DEVICE: cfg.devices = it.arg; break;
        case OPT_REDIS: cfg.redis_url = it.arg; break;
        case OPT_CACHE: cfg.image_cache = it.arg; break;
        case OPT_QUIET: cfg.quiet = true; break;
        case OPT_FORCE: cfg.force = true; break;
        case OPT_YES: cfg.yes = true; break;
        case OPT_BASELINE: cfg.baseline = it.arg; break;
        case OPT_NO_CHARTS: cfg.no_charts = true; break;
        case OPT_FAIL_INCONCLUSIVE: cfg.fail_on_inconclusive = true; break;
        case OPT_NO_DRIFT: cfg.assume_no_drift = true; break;
        case OPT_CAND_WORKER:
            /* One executable, never a shell line. */
            if (access(it.arg, X_OK) != 0) {
                rc = mb_err_set(err, MB_EUSAGE, "option --candidate-worker: %s is not an "
                                "executable file", it.arg);
                goto out;
            }
            cfg.candidate_worker = it.arg;
            break;
        case OPT_CAND_ENV: cand_env[cfg.n_candidate_env++] = it.arg; break;
        case OPT_CAND_FAULT: cand_fault[cfg.n_candidate_fault++] = it.arg; break;
        case OPT_HELP: mb_cli_verb_usage("run", stdout); goto out;
        }
    }
    if (cfg.baseline != NULL &&
        (cfg.candidate_worker || cfg.n_candidate_env || cfg.n_candidate_fault)) {
        rc = mb_err_set(err, MB_EUSAGE, "--baseline and --candidate-* do not go together: an A/B "
                        "run compares its two sides with each other");
        goto out;
    }
    if (cfg.n_scenarios == 0)
        scenarios[cfg.n_scenarios++] = fallback = default_scenario();
    cfg.scenarios = scenarios;
    if (cfg.image_cache == NULL)
        cfg.image_cache = cache = default_image_cache();
    cfg.worker_path = worker = find_worker(argv[0]);
    cfg.progress = isatty(STDERR_FILENO) && !cfg.quiet;
    install_stop_handlers();
    char *dir = NULL;
    if (cfg.list) {
        rc = mb_run(&cfg, NULL, outcome, err);
        goto out;
    }
    rc = mb_run(&cfg, &dir, outcome, err);
    if (dir != NULL && outcome->interrupted && rc == 0)
        fprintf(stderr, "mpsbench: interrupted; partial results are in %s\n", dir);
    if (dir != NULL && !cfg.quiet)
        fprintf(stderr, "mpsbench: results in %s\n", dir);
    free(dir);
out:
    free(scenarios);
    free(cand_env);
    free(cand_fault);
    free(filters);
    free(cache);
    free(worker);
    free(fallback);
    return rc;
}


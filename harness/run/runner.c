/* The run from start to finish: set-up (setup.c), the schedule
 * (schedule.c) executing repetitions (execute.c, jobs.c, frontier.c), the
 * recorded repetitions replayed into Google Benchmark and the verdicts
 * (record.c), then the comparisons, charts and reports. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cell_select.h"
#include "compare.h"
#include "exports.h"
#include "gbench_c.h"
#include "image_set.h"
#include "mb_util.h"
#include "plot.h"
#include "redis_server.h"
#include "run_private.h"

/* Ties each cell to its verdict in run->compare, saves the comparison
 * beside results.json (compare.json, compare.md) and prints its table. */
static int publish_comparison(run_ctx *run, mb_err *err)
{
    for (size_t i = 0; i < run->n_cells; i++)
        for (size_t j = 0; j < run->compare->n_cells; j++)
            if (strcmp(run->compare->cells[j].cell, run->cells[i].bench_name) == 0)
                run->cells[i].compared = &run->compare->cells[j];
    char *json = mb_asprintf("%s/compare.json", run->dir);
    char *md = mb_asprintf("%s/compare.md", run->dir);
    int rc = mb_compare_save_json(run->compare, json, err);
    if (rc == 0)
        rc = mb_compare_save_markdown(run->compare, md, err);
    free(json);
    free(md);
    if (rc == 0 && !run->cfg->quiet)
        mb_compare_write_table(stderr, run->compare);
    return rc;
}

/* The paired contrasts, as sentences on the terminal. */
static void print_contrasts(const run_ctx *run)
{
    if (run->cfg->quiet || run->contrasts == NULL || run->contrasts->n_cells == 0)
        return;
    fprintf(stderr, "Contrasts (paired by round; change of the first side against the second):\n");
    for (size_t i = 0; i < run->contrasts->n_cells; i++) {
        char *line = mb__contrast_sentence(run, i);
        fprintf(stderr, "  %s\n", line);
        free(line);
    }
}

/* Compares results.json with the baseline (run --baseline), saves the
 * comparison beside it and ties each cell to its verdict. */
static int compare_with_baseline(run_ctx *run, mb_err *err)
{
    mb_compare_options opt = {0};
    opt.threshold_set = run->cfg->threshold_set;
    opt.threshold = run->cfg->threshold;
    opt.assume_no_drift = run->cfg->assume_no_drift;
    char *run_json = mb_asprintf("%s/run.json", run->dir);
    char *results = mb_asprintf("%s/results.json", run->dir);
    opt.run_json = run_json;
    int rc = mb_compare_files(run->cfg->baseline, results, &opt, &run->compare, err);
    free(run_json);
    free(results);
    if (rc != 0)
        return rc;
    return publish_comparison(run, err);
}

/* Charts at the end of every run; a missing gnuplot costs the charts only. */
static int draw_charts(run_ctx *run, mb_err *err)
{
    mb_plot_options opt = {0};
    opt.baseline = run->cfg->baseline;
    mb_plot_report rep = {0};
    int rc = mb_plot_run_dir(run->dir, &opt, &rep, err);
    if (rc == 0 && rep.none_drawn != NULL) {
        /* Said even with --quiet, as a failure to draw them would be. */
        fprintf(stderr, "mpsbench: no charts: %s\n", rep.none_drawn);
        run->plot_error = mb_strdup(rep.none_drawn);
    } else if (rc == 0 && !run->cfg->quiet) {
        fprintf(stderr, "mpsbench: %zu of %zu charts in %s (the others: see charts/index.md)\n",
                rep.n_made, rep.n_charts, rep.out_dir);
        for (size_t i = 0; i < rep.n_charts; i++)
            if (rep.charts[i].note != NULL)
                fprintf(stderr, "mpsbench: chart %s: %s\n", rep.charts[i].name,
                        rep.charts[i].note);
    }
    if (rc != 0)
        run->plot_error = mb_strdup(err->msg);
    mb_plot_report_free(&rep);
    return rc;
}

/* One cell's verdict and OOMs into the outcome.  An OOM is unexpected
 * where it failed its cell (expect.oom: never); the frontier search's
 * OOMs are its method, and a paravirtual device's cap is not an MPS OOM. */
static void count_cell(const cell_state *cs, mb_outcome *o)
{
    size_t ooms = (size_t)cs->counts[MB_JOB_OOM];
    bool unexpected = cs->verdict == CELL_FAIL && !cs->frontier &&
                      cs->cell->expect.oom == MB_OOM_NEVER;
    if (cs->verdict == CELL_FAIL)
        o->cells_failed++;
    if (unexpected)
        o->ooms_unexpected += ooms;
    else
        o->ooms_expected += ooms;
}

/* The baseline comparison or the A/B report, made and written. */
static int make_comparison(run_ctx *run, mb_err *err)
{
    if (run->n_candidates > 0) {
        run->compare = mb__ab_report(run);
        return publish_comparison(run, err);
    }
    return compare_with_baseline(run, err);
}

/* Verdicts, the baseline comparison, then every report and chart.  Runs for
 * complete and incomplete runs alike, so a run that died still leaves valid
 * files.  error is what stopped the run (0 when it ran to the end); returns
 * the run's error, that one or a later one. */
static int finish_run(run_ctx *run, int error, mb_outcome *o, mb_err *err)
{
    bool complete = error == 0 && !o->interrupted;
    for (size_t i = 0; i < run->n_cells; i++) {
        mb__decide_cell(&run->cells[i]);
        count_cell(&run->cells[i], o);
    }
    mb__contrasts_make(run);
    if (!run->cfg->quiet)
        mb__worker_compare_print(run, stderr);
    print_contrasts(run);
    /* A contrast's max_cost gate is an expectation like any other. */
    mb__contrast_gates_count(run, o);
    const char *status = !complete ? "incomplete" : mb_outcome_failed(o) ? "failed" : "passed";
    mb_err werr;
    int rc = mb__report_write_run_json(run, status, &werr);
    if (rc == 0 && complete && (run->cfg->baseline != NULL || run->n_candidates > 0)) {
        mb_err cerr;
        int crc = make_comparison(run, &cerr);
        bool made = crc == 0;
        /* A baseline with no cell in common is an error, saying why. */
        if (made)
            crc = mb_compare_outcome(run->compare, o, &cerr);
        if (crc != 0) {
            *err = cerr;
            error = crc;
        }
        status = !made ? "incomplete" : crc != 0 || mb_outcome_failed(o) ? "failed" : "passed";
    }
    if (rc == 0)
        rc = mb__report_write_run_json(run, status, &werr);
    if (rc == 0 && complete)
        rc = mb__contrast_gates_publish(run, &werr);
    /* Charts before the rendered reports (report.html inlines them) and
     * before summary.md, which says why there are none. */
    if (rc == 0 && !run->cfg->no_charts) {
        mb_err perr;
        /* Charts are a by-product: their failure is the run's error only
         * when the run itself passed, so that a missing gnuplot never hides
         * a failed expectation. */
        if (draw_charts(run, &perr) != 0) {
            fprintf(stderr, "mpsbench: no charts: %s\n", perr.msg);
            if (error == 0 && !o->interrupted && !mb_outcome_failed(o)) {
                *err = perr;
                error = perr.code;
            }
        }
    }
    if (rc == 0)
        rc = mb__report_write_summary(run, &werr);
    /* junit.xml, the exports and report.html come from the run.json just
     * written, as `mpsbench report` renders them again later. */
    if (rc == 0)
        rc = mb_report_render_dir(run->dir, &werr);
    if (rc != 0) {
        *err = werr;
        return rc;
    }
    return error;
}

/* The run's Redis: --redis, or an embedded redis-server logging into the
 * run directory; and the run's key namespace in it. */
static int open_queue(run_ctx *run, mb_redis_server *server, mb_err *err)
{
    int rc;
    if (run->cfg->redis_url != NULL) {
        rc = mb_queue_connect(run->cfg->redis_url, 5000, &run->q, err);
    } else {
        char *log = mb_asprintf("%s/logs/redis.log", run->dir);
        rc = mb_redis_server_start(log, server, err);
        free(log);
        run->redis_pid = (long)server->proc.pid;
        if (rc == 0)
            mb__leftovers_note_child(run, "redis", run->redis_pid);
        if (rc == 0)
            rc = mb_queue_connect(server->url, 5000, &run->q, err);
    }
    if (rc != 0)
        return rc;
    run->ns = mb_asprintf("%lx%ld", (unsigned long)time(NULL), (long)getpid());
    run->results_stream = mb_key_results(run->ns);
    snprintf(run->last_result_id, sizeof run->last_result_id, "0-0");
    return 0;
}

/* Probes the devices (run.json records them) and replaces `device: auto`
 * by the usable ones.  A probe that fails matters only to `device: auto`. */
static int resolve_auto_devices(run_ctx *run, mb_scenario **scenarios, mb_err *err)
{
    size_t n = run->cfg->n_scenarios;
    bool need_probe = false;
    for (size_t i = 0; i < n; i++)
        need_probe |= mb__axis_has(scenarios[i], "device", "auto");
    int rc = mb__probe_devices(run, err);
    if (!need_probe)
        return 0;
    if (rc != 0)
        return rc;
    char *usable = mb__usable_devices(run);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (mb__axis_has(scenarios[i], "device", "auto"))
            rc = mb_scenario_set_axis(scenarios[i], "device", usable, err);
    free(usable);
    return rc;
}

/* Registers one Google Benchmark per cell, runs the schedule, then lets
 * Google Benchmark replay the recorded repetitions into results.json. */
static int measure(run_ctx *run, mb_scenario **scenarios, mb_err *err)
{
    const mb_run_config *cfg = run->cfg;
    int rc;
    mb_gb_clear();
    for (size_t i = 0; i < run->n_cells; i++) {
        cell_state *cs = &run->cells[i];
        mb_gb_options opt = {
            .iterations = cs->frontier ? 1 : cs->cell->run.jobs,
            .repetitions = cs->frontier ? 1 : cs->cell->run.repetitions,
            .use_manual_time = true,
            .unit = MB_GB_MS,
        };
        if ((rc = mb_gb_register(cs->bench_name, mb__replay_cell, cs, &opt, err)) != 0)
            return rc;
    }
    mb__add_context(run, scenarios, cfg->n_scenarios);
    run->schedule.seed = cfg->seed_set ? cfg->seed : mb__seed_from_clock();
    mb__schedule_run(run);
    mb__slot_stop_all(run);
    char *json_tmp = mb_asprintf("%s/results.json.partial", run->dir);
    char *json_out = mb_asprintf("%s/results.json", run->dir);
    mb_gb_run_options ro = {.json_out = json_tmp};
    rc = mb_gb_run(&ro, err);
    mb_progress_clear(&run->progress);
    /* Google Benchmark writes its JSON as it goes; the file only becomes
     * results.json once complete, so a dead run never leaves half a file
     * under the name tools read. */
    if (rc >= 0 && rename(json_tmp, json_out) != 0)
        rc = mb_err_set(err, MB_EIO, "cannot write %s", json_out);
    free(json_tmp);
    free(json_out);
    mb__slot_stop_all(run);
    return rc < 0 ? rc : 0;
}

int mb_run(const mb_run_config *cfg, char **run_dir_out, mb_outcome *outcome, mb_err *err)
{
    mb_err_clear(err);
    mb_outcome ignored;
    mb_outcome *o = outcome != NULL ? outcome : &ignored;
    *o = (mb_outcome){.fail_on_inconclusive = cfg->fail_on_inconclusive};
    mb_scenario **scenarios = mb_calloc(cfg->n_scenarios, sizeof *scenarios);
    mb_cell **cell_arrays = mb_calloc(cfg->n_scenarios, sizeof *cell_arrays);
    size_t *cell_counts = mb_calloc(cfg->n_scenarios, sizeof *cell_counts);
    run_ctx run = {0};
    run.cfg = cfg;
    mb_progress_init(&run.progress, stderr, cfg->progress, cfg->quiet);
    mb_redis_server server = {0};
    mb_image_set *images = NULL;
    int rc = mb__load_scenarios(cfg, scenarios, err);
    if (rc == 0 && cfg->list) {
        /* Before any process starts or is reaped: --list runs nothing. */
        rc = mb_run_list(cfg, scenarios, stdout, err);
        goto out;
    }
    if (rc == 0)
        rc = mb_run_check_filter(cfg, scenarios, err);
    /* Before the folder is judged: a run killed outright there may have
     * left processes behind. */
    if (rc == 0)
        mb__leftovers_reap(cfg->out_dir, cfg->quiet);
    if (rc == 0)
        rc = mb__check_out_dir(cfg, err);
    if (rc == 0)
        rc = mb__check_models(cfg, scenarios, cfg->n_scenarios, err);
    if (rc != 0)
        goto out;

    run.dir = cfg->out_dir ? mb_strdup(cfg->out_dir) : mb__default_run_dir(scenarios[0]);
    char *logs = mb_asprintf("%s/logs", run.dir);
    rc = mb_mkdir_p(logs, 0755, err);
    free(logs);
    if (rc != 0)
        goto out;
    if (run_dir_out != NULL)
        *run_dir_out = mb_strdup(run.dir);

    /* A URL that does not parse is bad usage (2); a Redis that does not
     * answer is infrastructure (3). */
    if ((rc = open_queue(&run, &server, err)) != 0)
        goto out;
    if ((rc = resolve_auto_devices(&run, scenarios, err)) != 0)
        goto out;

    const char *cache = cfg->image_cache;
    images = mb_image_set_new(cache);
    mb_image_set_set_cancel(images, mb__run_interrupted);
    if ((rc = mb__prepare_cells(&run, scenarios, cfg->n_scenarios, cell_arrays, cell_counts, images,
                            err)) != 0)
        goto out;
    mb__report_write_run_json(&run, "running", NULL);

    if ((rc = measure(&run, scenarios, err)) != 0)
        goto out;
    /* A repetition cut by the stop request fails like a lost worker; the
     * interrupt, not the infrastructure, is then what happened. */
    if (run.infra_failed && !mb__run_interrupted()) {
        *err = run.infra_err;
        rc = run.infra_err.code;
    }

out:
    /* Set-up stopped by a signal says so through its error; a measurement
     * stopped by one is an outcome: the cells that ran are judged. */
    o->interrupted = mb__run_interrupted();
    if (run.dir != NULL && run.cells != NULL)
        rc = finish_run(&run, rc, o, err);
    mb__slot_stop_all(&run);
    if (run.q != NULL && cfg->redis_url != NULL) {
        /* A shared Redis keeps nothing of ours once the run is over. */
        char *pattern = mb_asprintf("mb:%s:*", run.ns);
        mb_queue_delete_matching(run.q, pattern, NULL);
        free(pattern);
    }
    mb_queue_free(run.q);
    mb_redis_server_stop(&server);
    mb_image_set_free(images);
    mb__free_cells(&run);
    for (size_t i = 0; i < cfg->n_scenarios; i++) {
        mb_cells_free(cell_arrays[i], cell_counts[i]);
        mb_scenario_free(scenarios[i]);
    }
    free(cell_arrays);
    free(cell_counts);
    free(scenarios);
    free(run.dir);
    free(run.ns);
    free(run.children);
    free(run.results_stream);
    free(run.torch_version);
    free(run.devices_json);
    free(run.plot_error);
    mb_compare_report_free(run.compare);
    return rc;
}

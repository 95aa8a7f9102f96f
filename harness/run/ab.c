/* Comparisons inside one run, paired by round.
 *
 * A/B (--candidate-worker, --candidate-env, --candidate-fault): every cell
 * also runs on a candidate side, a twin with its own worker (another
 * executable, other environment variables or faults).  The schedule
 * interleaves both sides in its rounds, so each round measures baseline and
 * candidate of a cell minutes apart at most, and the verdict is drawn from
 * the per-round ratios (Wilcoxon signed-rank, mb_compare_paired): what the
 * machine does over the run falls on both sides alike.  This is duet-style
 * benchmarking (Bulej et al., ICPE 2020) at the granularity of a round.
 *
 * Contrasts: cells of one scenario that differ in exactly one axis (the
 * watermark fix on and off, native and rq, and any axis the scenario's
 * `contrasts:` names), compared the same way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "mb_util.h"
#include "run_dir.h"
#include "run_private.h"

/* ---- the candidate side ------------------------------------------------ */

static int apply_fault(mb_fault *f, const char *spec, mb_err *err)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL)
        return mb_err_set(err, MB_EUSAGE, "option --candidate-fault: expected KEY=VALUE, got '%s'",
                          spec);
    size_t klen = (size_t)(eq - spec);
    const char *value = eq + 1;
    long n = 0;
    double x = 0;
    if (klen == 8 && strncmp(spec, "slowdown", klen) == 0) {
        if (mb_parse_fraction(value, &x) != 0 || x < 0 || x > 100)
            return mb_err_set(err, MB_EUSAGE, "option --candidate-fault: slowdown: expected a "
                              "percentage from 0%% to 10000%%, got '%s'", value);
        f->slowdown = x;
    } else if ((klen == 16 && strncmp(spec, "crash_after_jobs", klen) == 0) ||
               (klen == 15 && strncmp(spec, "hang_after_jobs", klen) == 0)) {
        if (mb_parse_long(value, &n) != 0 || n < 0 || n > 100000)
            return mb_err_set(err, MB_EUSAGE, "option --candidate-fault: %.*s: expected a count, "
                              "got '%s'", (int)klen, spec, value);
        if (spec[0] == 'c')
            f->crash_after_jobs = (int)n;
        else
            f->hang_after_jobs = (int)n;
    } else if (klen == 22 && strncmp(spec, "emulate_mps_accounting", klen) == 0) {
        f->emulate_mps_accounting = strcmp(value, "true") == 0 || strcmp(value, "on") == 0;
    } else {
        return mb_err_set(err, MB_EUSAGE, "option --candidate-fault: unknown fault '%.*s' "
                          "(slowdown, crash_after_jobs, hang_after_jobs, emulate_mps_accounting)",
                          (int)klen, spec);
    }
    return 0;
}

/* The candidate's twin of a scenario: a shallow copy (it borrows every
 * string) with the candidate's faults and worker. */
static int candidate_scenario(const run_ctx *run, const mb_scenario *s, mb_scenario **out,
                              mb_err *err)
{
    mb_scenario *c = mb_calloc(1, sizeof *c);
    *c = *s;
    for (size_t i = 0; i < run->cfg->n_candidate_fault; i++)
        if (apply_fault(&c->fault, run->cfg->candidate_fault[i], err) != 0) {
            free(c);
            return err->code;
        }
    const char *path = run->cfg->candidate_worker;
    c->worker.native_path = path;
    if (path != NULL && s->worker.n_command > 0) {
        /* The RQ kind: the candidate is a Python interpreter running the
         * stock `rq` command line of its own installation. */
        size_t n = s->worker.n_command + 2;
        char **cmd = mb_calloc(n + 1, sizeof *cmd);
        cmd[0] = (char *)path;
        cmd[1] = "-c";
        cmd[2] = "import sys; from rq.cli import main; sys.argv[0] = 'rq'; sys.exit(main())";
        for (size_t i = 1; i < s->worker.n_command; i++)
            cmd[i + 2] = s->worker.command[i];
        c->worker.command = cmd;
        c->worker.n_command = n;
    }
    *out = c;
    return 0;
}

/* The candidate's twin of a cell: its own worker key and environment. */
static mb_cell *candidate_cell(const run_ctx *run, const mb_cell *cell)
{
    mb_cell *c = mb_calloc(1, sizeof *c);
    *c = *cell;
    c->worker_key = mb_asprintf("%s|candidate", cell->worker_key);
    c->n_env = cell->n_env + run->cfg->n_candidate_env;
    c->env = mb_calloc(c->n_env ? c->n_env : 1, sizeof *c->env);
    for (size_t i = 0; i < cell->n_env; i++) {
        c->env[i].key = mb_strdup(cell->env[i].key);
        c->env[i].value = mb_strdup(cell->env[i].value);
    }
    for (size_t i = 0; i < run->cfg->n_candidate_env; i++) {
        const char *spec = run->cfg->candidate_env[i];
        const char *eq = strchr(spec, '=');
        mb_kv *kv = &c->env[cell->n_env + i];
        kv->key = mb_strndup(spec, (size_t)(eq - spec));
        kv->value = mb_strdup(eq + 1);
    }
    return c;
}

int mb__ab_add_candidates(run_ctx *run, size_t n_base, mb_err *err)
{
    for (size_t i = 0; i < run->cfg->n_candidate_env; i++) {
        const char *spec = run->cfg->candidate_env[i];
        const char *eq = strchr(spec, '=');
        if (eq == NULL || eq == spec)
            return mb_err_set(err, MB_EUSAGE, "option --candidate-env: expected NAME=VALUE, got "
                              "'%s'", spec);
    }
    run->candidate_scenarios = mb_calloc(n_base, sizeof *run->candidate_scenarios);
    run->candidate_cells = mb_calloc(n_base, sizeof *run->candidate_cells);
    for (size_t i = 0; i < n_base; i++) {
        cell_state *base = &run->cells[i];
        mb_scenario *s = NULL;
        /* One twin per scenario, shared by its cells. */
        for (size_t j = 0; j < i && s == NULL; j++)
            if (run->cells[j].scenario == base->scenario)
                s = run->candidate_scenarios[j];
        bool own = s == NULL;
        if (own && candidate_scenario(run, base->scenario, &s, err) != 0)
            return err->code;
        run->candidate_scenarios[i] = own ? s : NULL;
        mb_cell *cell = candidate_cell(run, base->cell);
        run->candidate_cells[i] = cell;
        run->n_candidates = i + 1;
        cell_state *cs = &run->cells[run->n_cells++];
        *cs = (cell_state){0};
        cs->run = run;
        cs->scenario = s;
        cs->backend = base->backend;
        cs->cell = cell;
        cs->frontier = base->frontier;
        cs->n_planned = base->n_planned;
        cs->reps = mb_calloc((size_t)cs->n_planned, sizeof *cs->reps);
        cs->images = base->images;
        cs->n_images = base->n_images;
        cs->bench_name = mb_asprintf("%s/side:candidate", base->bench_name);
        cs->candidate = true;
        cs->partner = base;
        base->partner = cs;
    }
    return 0;
}

void mb__ab_free(run_ctx *run)
{
    for (size_t i = 0; i < run->n_candidates; i++) {
        mb_cell *c = run->candidate_cells[i];
        if (c != NULL) {
            for (size_t k = 0; k < c->n_env; k++) {
                free(c->env[k].key);
                free(c->env[k].value);
            }
            free(c->env);
            free(c->worker_key);
            free(c);
        }
        mb_scenario *s = run->candidate_scenarios[i];
        if (s != NULL) {
            if (s->worker.native_path != NULL && s->worker.n_command > 0)
                free(s->worker.command);
            free(s);
        }
    }
    free(run->candidate_cells);
    free(run->candidate_scenarios);
    run->candidate_cells = NULL;
    run->candidate_scenarios = NULL;
    run->n_candidates = 0;
}

/* ---- pairing by round -------------------------------------------------- */

/* The throughputs of the rounds in which both cells ran a repetition to the
 * end; *n of them.  Heap arrays. */
static void pair_rounds(const cell_state *a, const cell_state *b, double **xa, double **xb,
                        size_t *n)
{
    *xa = mb_calloc((size_t)a->n_planned + 1, sizeof **xa);
    *xb = mb_calloc((size_t)a->n_planned + 1, sizeof **xb);
    *n = 0;
    for (int i = 0; i < a->n_planned; i++) {
        const rep_record *ra = &a->reps[i];
        if (ra->outcome != REP_OK || ra->round < 0)
            continue;
        for (int j = 0; j < b->n_planned; j++) {
            const rep_record *rb = &b->reps[j];
            if (rb->outcome == REP_OK && rb->round == ra->round) {
                (*xa)[*n] = ra->images_per_s;
                (*xb)[*n] = rb->images_per_s;
                (*n)++;
                break;
            }
        }
    }
}

static double threshold_of(const run_ctx *run, const cell_state *cs)
{
    return run->cfg->threshold_set ? run->cfg->threshold : cs->cell->expect.regression;
}

/* One paired comparison of two cells into out (whose reason must be NULL). */
static void compare_pair(const run_ctx *run, const cell_state *a, const cell_state *b,
                         const char *name, mb_compare_cell *out)
{
    out->cell = mb_strdup(name);
    out->device = mb_strdup(a->cell->device);
    if (a->skip_reason != NULL || b->skip_reason != NULL) {
        out->verdict = MB_VERDICT_NOT_COMPARABLE;
        out->reason = mb_asprintf("skipped: %s", a->skip_reason ? a->skip_reason : b->skip_reason);
        out->change = out->ci_low = out->ci_high = out->p_value = out->mde = NAN;
        out->baseline_median = out->current_median = NAN;
        out->threshold = threshold_of(run, a);
        return;
    }
    double *xa, *xb;
    size_t n;
    pair_rounds(a, b, &xa, &xb, &n);
    mb_compare_paired(xa, xb, n, threshold_of(run, a), NULL, out);
    if (out->verdict == MB_VERDICT_NOT_COMPARABLE && n < 2 && out->reason == NULL)
        out->reason = mb_asprintf("%zu round(s) in which both sides ran", n);
    free(xa);
    free(xb);
}

static mb_compare_report *new_report(const char *baseline, const char *current, size_t cap)
{
    mb_compare_report *r = mb_calloc(1, sizeof *r);
    r->baseline_path = mb_strdup(baseline);
    r->current_path = mb_strdup(current);
    r->alpha = MB_COMPARE_DEFAULT_ALPHA;
    r->confidence = MB_COMPARE_DEFAULT_CONFIDENCE;
    r->power = MB_COMPARE_DEFAULT_POWER;
    r->baseline_runs = 1;
    r->cells = mb_calloc(cap ? cap : 1, sizeof *r->cells);
    return r;
}

static void count(mb_compare_report *r, const mb_compare_cell *c)
{
    switch (c->verdict) {
    case MB_VERDICT_REGRESSION: r->n_regressions++; break;
    case MB_VERDICT_IMPROVEMENT: r->n_improvements++; break;
    case MB_VERDICT_NOT_COMPARABLE: r->n_not_comparable++; break;
    case MB_VERDICT_INCONCLUSIVE: r->n_inconclusive++; break;
    default: r->n_unchanged++; break;
    }
}

mb_compare_report *mb__ab_report(const run_ctx *run)
{
    char *current = mb_asprintf("candidate: %s%s%s",
                                run->cfg->candidate_worker ? run->cfg->candidate_worker
                                                           : "the same worker",
                                run->cfg->n_candidate_env ? " with other environment" : "",
                                run->cfg->n_candidate_fault ? " with faults" : "");
    mb_compare_report *r = new_report("baseline: this build's worker", current, run->n_cells);
    free(current);
    for (size_t i = 0; i < run->n_cells; i++) {
        const cell_state *a = &run->cells[i];
        if (a->candidate || a->partner == NULL || a->frontier)
            continue;
        mb_compare_cell *c = &r->cells[r->n_cells++];
        compare_pair(run, a, a->partner, a->bench_name, c);
        count(r, c);
    }
    return r;
}

/* ---- contrasts ---------------------------------------------------------- */

static bool scenario_contrasts(const mb_scenario *s, const char *axis)
{
    if (strcmp(axis, "watermark_fix") == 0 || strcmp(axis, "worker") == 0)
        return true;
    for (size_t i = 0; i < s->n_contrasts; i++)
        if (strcmp(s->contrasts[i], axis) == 0)
            return true;
    return false;
}

/* The max_cost the scenario set on an axis's contrasts, NAN for none. */
static double scenario_max_cost(const mb_scenario *s, const char *axis)
{
    for (size_t i = 0; i < s->n_contrasts; i++)
        if (strcmp(s->contrasts[i], axis) == 0 && s->contrast_max_cost != NULL)
            return s->contrast_max_cost[i];
    return NAN;
}

/* Judges a contrast's gate from the same paired rounds as its change: a
 * ratio is the other side's throughput over the reference side's. */
static void gate_pair(const cell_state *a, const cell_state *b, double max_cost,
                      mb_contrast_gate *out)
{
    if (a->skip_reason != NULL || b->skip_reason != NULL) {
        mb_contrast_gate_unmeasured(max_cost, mb_asprintf("skipped: %s", a->skip_reason
                                                          ? a->skip_reason : b->skip_reason),
                                    out);
        return;
    }
    double *xa, *xb;
    size_t n;
    pair_rounds(a, b, &xa, &xb, &n);
    for (size_t i = 0; i < n; i++)
        xb[i] = xa[i] > 0 ? xb[i] / xa[i] : NAN;
    mb_contrast_gate_judge(xb, n, max_cost, out);
    free(xa);
    free(xb);
}

/* The value a contrast measures against: the fix off (so the change is what
 * the fix costs or gains), else the axis's first value. */
static const char *reference_value(const mb_axis *axis)
{
    if (strcmp(axis->name, "watermark_fix") == 0)
        for (size_t i = 0; i < axis->n_values; i++)
            if (strcmp(axis->values[i], "off") == 0)
                return "off";
    return axis->values[0];
}

/* True when a and b hold the same value on every axis but `skip`. */
static bool differ_only_in(const cell_state *a, const cell_state *b, size_t skip)
{
    for (size_t i = 0; i < a->scenario->n_axes; i++)
        if (i != skip && strcmp(a->cell->values[i], b->cell->values[i]) != 0)
            return false;
    return strcmp(a->cell->values[skip], b->cell->values[skip]) != 0;
}

bool mb__cell_contrasted(const run_ctx *run, const cell_state *cs)
{
    if (cs->candidate || cs->frontier)
        return false;
    const mb_scenario *s = cs->scenario;
    for (size_t x = 0; x < s->n_axes; x++) {
        if (s->axes[x].n_values < 2 || !scenario_contrasts(s, s->axes[x].name))
            continue;
        for (size_t j = 0; j < run->n_cells; j++) {
            const cell_state *b = &run->cells[j];
            if (b != cs && !b->candidate && !b->frontier && b->scenario == s &&
                differ_only_in(cs, b, x))
                return true;
        }
    }
    return false;
}

void mb__contrasts_make(run_ctx *run)
{
    size_t cap = run->n_cells * 4 + 1, n = 0;
    mb_compare_report *r = new_report("reference side", "other side", cap);
    char **axes = mb_calloc(cap, sizeof *axes);
    mb_contrast_gate *gates = mb_calloc(cap, sizeof *gates);
    for (size_t i = 0; i < run->n_cells; i++) {
        const cell_state *a = &run->cells[i];
        if (a->candidate || a->frontier)
            continue;
        const mb_scenario *s = a->scenario;
        for (size_t x = 0; x < s->n_axes; x++) {
            const mb_axis *axis = &s->axes[x];
            if (axis->n_values < 2 || !scenario_contrasts(s, axis->name) ||
                strcmp(a->cell->values[x], reference_value(axis)) != 0)
                continue;
            for (size_t j = 0; j < run->n_cells && n < cap; j++) {
                const cell_state *b = &run->cells[j];
                if (b->candidate || b->frontier || b->scenario != s || !differ_only_in(a, b, x))
                    continue;
                char *name = mb_asprintf("%s: %s vs %s", b->bench_name, b->cell->values[x],
                                         a->cell->values[x]);
                mb_compare_cell *c = &r->cells[n];
                compare_pair(run, a, b, name, c);
                free(name);
                count(r, c);
                double max_cost = scenario_max_cost(s, axis->name);
                if (isnan(max_cost)) {
                    gates[n].max_cost = NAN;
                } else {
                    gate_pair(a, b, max_cost, &gates[n]);
                    gates[n].side = mb_asprintf("%s=%s", axis->name, b->cell->values[x]);
                }
                axes[n++] = mb_strdup(axis->name);
                r->n_cells = n;
            }
        }
    }
    run->contrasts = r;
    run->contrast_axes = axes;
    run->contrast_gates = gates;
}

void mb__contrasts_free(run_ctx *run)
{
    for (size_t i = 0; run->contrasts != NULL && i < run->contrasts->n_cells; i++) {
        free(run->contrast_axes[i]);
        mb_contrast_gate_clear(&run->contrast_gates[i]);
    }
    free(run->contrast_axes);
    free(run->contrast_gates);
    mb_compare_report_free(run->contrasts);
    run->contrast_axes = NULL;
    run->contrast_gates = NULL;
    run->contrasts = NULL;
}

const mb_contrast_gate *mb__contrast_gate_of(const run_ctx *run, size_t i)
{
    const mb_contrast_gate *g = &run->contrast_gates[i];
    return isnan(g->max_cost) ? NULL : g;
}

void mb__contrast_gate_fill(const mb_contrast_gate *g, mb_res_gate *out)
{
    out->verdict = mb_strdup(mb_gate_verdict_name(g->verdict));
    out->summary = mb_contrast_gate_sentence(g);
    out->reason = g->reason ? mb_strdup(g->reason) : NULL;
    out->rounds = (double)g->rounds;
    out->max_cost = g->max_cost;
    out->cost = g->cost;
    out->cost_low = g->cost_low;
    out->cost_high = g->cost_high;
    out->mde = g->mde;
}

void mb__contrast_gates_count(const run_ctx *run, mb_outcome *outcome)
{
    for (size_t i = 0; run->contrasts != NULL && i < run->contrasts->n_cells; i++) {
        const mb_contrast_gate *g = mb__contrast_gate_of(run, i);
        if (g == NULL || g->verdict == MB_GATE_PASS)
            continue;
        bool fails = g->verdict == MB_GATE_FAIL || run->cfg->fail_on_inconclusive;
        if (!run->cfg->quiet) {
            char *text = mb_contrast_gate_sentence(g);
            fprintf(stderr, "mpsbench: %s: contrast gate: %s: %s%s\n",
                    fails ? "error" : "notice", run->contrasts->cells[i].cell, text,
                    g->verdict == MB_GATE_INCONCLUSIVE && fails ? " (--fail-on-inconclusive)"
                                                                : "");
            free(text);
        }
        if (g->verdict == MB_GATE_FAIL)
            outcome->gates_failed++;
        else
            outcome->gates_inconclusive++;
    }
}

static void percent(char *buf, size_t size, double x)
{
    if (isfinite(x))
        snprintf(buf, size, "%+.1f%%", x * 100);
    else
        snprintf(buf, size, "?");
}

char *mb__contrast_sentence(const run_ctx *run, size_t i)
{
    return mb__contrast_sentence_named(run, i, NULL);
}

char *mb__contrast_sentence_named(const run_ctx *run, size_t i, const char *name)
{
    const mb_compare_cell *c = &run->contrasts->cells[i];
    char change[32], lo[32], hi[32], mde[32];
    percent(change, sizeof change, c->change);
    percent(lo, sizeof lo, c->ci_low);
    percent(hi, sizeof hi, c->ci_high);
    if (isfinite(c->mde))
        snprintf(mde, sizeof mde, "%.1f%%", c->mde * 100);
    else
        snprintf(mde, sizeof mde, "any size");
    const char *verdict;
    char *owned = NULL;
    switch (c->verdict) {
    case MB_VERDICT_NO_CHANGE:
        verdict = owned = mb_asprintf("no difference detectable above %s", mde);
        break;
    case MB_VERDICT_REGRESSION:
        verdict = owned = mb_asprintf("slower, beyond the %.0f%% threshold", c->threshold * 100);
        break;
    case MB_VERDICT_IMPROVEMENT:
        verdict = owned = mb_asprintf("faster, beyond the %.0f%% threshold", c->threshold * 100);
        break;
    case MB_VERDICT_INCONCLUSIVE:
        verdict = owned = mb_asprintf("inconclusive (%s)", c->reason ? c->reason : "noise");
        break;
    default:
        verdict = owned = mb_asprintf("not comparable (%s)", c->reason ? c->reason : "?");
        break;
    }
    char *text = mb_asprintf("%s: %s [%s, %s], %s (%s, %zu rounds)", name ? name : c->cell,
                             change, lo, hi,
                             verdict, run->contrast_axes[i], c->n_baseline);
    free(owned);
    const mb_contrast_gate *g = mb__contrast_gate_of(run, i);
    if (g != NULL) {
        char *gate = mb_contrast_gate_sentence(g);
        char *both = mb_asprintf("%s; gate: %s", text, gate);
        free(gate);
        free(text);
        text = both;
    }
    return text;
}

/* compare.md's section of the contrasts' max_cost gates, one row each with
 * the interval the verdict rests on; NULL when no contrast has a gate. */
static char *gates_markdown(const run_ctx *run)
{
    mb_strbuf b = {0};
    for (size_t i = 0; run->contrasts != NULL && i < run->contrasts->n_cells; i++) {
        const mb_contrast_gate *g = mb__contrast_gate_of(run, i);
        if (g == NULL)
            continue;
        if (b.s == NULL)
            mb_strbuf_add(&b, "### Contrast gates\n\nEach `max_cost` bound on what one side "
                              "costs against the other, paired by round: pass when the upper "
                              "end of the cost's 95% interval is within the bound, fail when "
                              "its lower end is beyond it, inconclusive otherwise.\n\n"
                              "| contrast | gate | verdict |\n|---|---|---|\n");
        char *text = mb_contrast_gate_sentence(g);
        mb_strbuf_printf(&b, "| %s | %s | %s |\n", run->contrasts->cells[i].cell, text,
                         mb_gate_verdict_name(g->verdict));
        free(text);
    }
    return b.s;
}

int mb__contrast_gates_publish(const run_ctx *run, mb_err *err)
{
    char *md = gates_markdown(run);
    if (md == NULL)
        return 0;
    char *path = mb_asprintf("%s/compare.md", run->dir);
    /* After the comparison's own table, or on its own when there is none
     * (a stale file from an earlier run in a --force'd folder goes). */
    FILE *f = fopen(path, run->compare != NULL ? "a" : "w");
    int rc = 0;
    if (f == NULL || fprintf(f, "%s%s", run->compare != NULL ? "\n" : "", md) < 0)
        rc = mb_err_set(err, MB_EIO, "cannot write %s", path);
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = mb_err_set(err, MB_EIO, "cannot write %s", path);
    free(path);
    free(md);
    return rc;
}

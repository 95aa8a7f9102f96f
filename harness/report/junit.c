/* junit.xml from run.json: one test suite per scenario, three cases per
 * cell (oom, crash, regression), so a CI page says which expectation
 * failed.  An OOM the scenario allows or expects passes, with what
 * happened in the case's system-out; a skipped device is a skipped case.
 * Valid against Jenkins' junit-10.xsd (ci/schemas/), which every CI page
 * that reads JUnit accepts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exports.h"
#include "mb_util.h"

/* XML-escapes text; control characters XML 1.0 cannot carry become '?'. */
static void sb_xml(mb_strbuf *b, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': mb_strbuf_printf(b, "&amp;"); break;
        case '<': mb_strbuf_printf(b, "&lt;"); break;
        case '>': mb_strbuf_printf(b, "&gt;"); break;
        case '"': mb_strbuf_printf(b, "&quot;"); break;
        default:
            if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
                mb_strbuf_printf(b, "?");
            else
                mb_strbuf_printf(b, "%c", *p);
        }
    }
}

enum { CASE_PASS = 0, CASE_FAIL, CASE_SKIP };

typedef struct junit_case {
    const char *check;
    int outcome;
    char *message;          /* heap, or NULL */
    char *out;              /* system-out of a passing case, heap or NULL */
    double seconds;
} junit_case;

static char *dup_or_null(const char *s)
{
    return s ? mb_strdup(s) : NULL;
}

static void cell_cases(const mb_run_file *f, const mb_rf_cell *c, junit_case k[3])
{
    memset(k, 0, 3 * sizeof *k);
    k[0].check = "oom";
    k[1].check = "crash";
    k[2].check = "regression";
    k[0].seconds = c->seconds;
    /* An incomplete cell (the run stopped before it finished) is neither a
     * crash nor a pass: its checks are skipped, with the reason. */
    bool skipped = strcmp(c->verdict, "skipped") == 0 || strcmp(c->verdict, "incomplete") == 0;
    if (skipped || (c->skip_reason != NULL && strcmp(c->verdict, "fail") == 0)) {
        for (int i = 0; i < 3; i++) {
            k[i].outcome = skipped ? CASE_SKIP : CASE_FAIL;
            k[i].message = dup_or_null(c->reason);
        }
        return;
    }
    bool never = strcmp(c->expect_oom, "never") == 0, expected = strcmp(c->expect_oom, "expected") == 0;
    bool oom_failed = !c->frontier && ((c->n_oom > 0 && never) || (c->n_oom == 0 && expected &&
                                                                    c->n_jobs > 0));
    k[0].outcome = oom_failed ? CASE_FAIL : CASE_PASS;
    if (oom_failed)
        k[0].message = dup_or_null(c->reason);
    else if (c->n_oom > 0 && c->frontier)
        k[0].out = mb_asprintf("%d OOM(s) while searching for the largest batch: %s", c->n_oom,
                               c->reason ? c->reason : "");
    else if (c->n_oom > 0)
        k[0].out = mb_asprintf("%d OOM(s), %s by the scenario: %s", c->n_oom,
                               expected ? "expected" : "allowed", c->reason ? c->reason : "");
    int broken = c->n_crashed + c->n_timeout + c->n_error;
    k[1].outcome = broken > 0 || c->n_jobs == 0 ? CASE_FAIL : CASE_PASS;
    if (k[1].outcome == CASE_FAIL)
        k[1].message = dup_or_null(c->reason);
    if (!c->compared) {
        k[2].outcome = CASE_SKIP;
        k[2].message = mb_strdup(f->any_compared ? "not in the baseline" : "no baseline given");
    } else {
        k[2].outcome = strcmp(c->compare_verdict, "regression") == 0 ? CASE_FAIL
                     : strcmp(c->compare_verdict, "not_comparable") == 0 ? CASE_SKIP : CASE_PASS;
        char *text = mb_asprintf("%s: %+.1f%% [%+.1f%%, %+.1f%%], p = %.3g, threshold %.1f%%%s%s",
                                 c->compare_verdict, c->change * 100, c->ci_low * 100,
                                 c->ci_high * 100, c->p_value, c->threshold * 100,
                                 c->compare_reason ? "; " : "",
                                 c->compare_reason ? c->compare_reason : "");
        if (k[2].outcome == CASE_PASS)
            k[2].out = text;
        else
            k[2].message = text;
    }
}

static void write_case(mb_strbuf *b, const char *suite, const char *name, const junit_case *k)
{
    mb_strbuf_printf(b, "    <testcase classname=\"mpsbench.");
    sb_xml(b, suite);
    mb_strbuf_printf(b, "\" name=\"");
    sb_xml(b, name);
    mb_strbuf_printf(b, " [%s]\" time=\"%.3f\">", k->check, k->seconds);
    const char *message = k->message ? k->message : "";
    if (k->outcome == CASE_FAIL) {
        mb_strbuf_printf(b, "\n      <failure type=\"%s\" message=\"", k->check);
        sb_xml(b, message);
        mb_strbuf_printf(b, "\">");
        sb_xml(b, message);
        mb_strbuf_printf(b, "</failure>\n    ");
    } else if (k->outcome == CASE_SKIP) {
        mb_strbuf_printf(b, "\n      <skipped message=\"");
        sb_xml(b, message);
        mb_strbuf_printf(b, "\"/>\n    ");
    } else if (k->out != NULL) {
        mb_strbuf_printf(b, "\n      <system-out>");
        sb_xml(b, k->out);
        mb_strbuf_printf(b, "</system-out>\n    ");
    }
    mb_strbuf_printf(b, "</testcase>\n");
}

/* The contrasts' max_cost gates of run.json, one case each: a failed gate
 * is a failed case whose message is the gate's sentence (the cost, its 95%
 * interval, the bound), an inconclusive one a skipped case saying why.
 * Appends the suite to body; adds to the totals. */
static void gate_suite(const mb_run_file *f, mb_strbuf *body, int *tests, int *failures,
                       int *skipped)
{
    mb_strbuf cases = {0};
    int t = 0, fl = 0, sk = 0;
    for (size_t i = 0; i < f->run.n_contrasts; i++) {
        const mb_res_contrast *c = &f->run.contrasts[i];
        if (!c->gated || c->name == NULL)
            continue;
        const mb_res_gate *g = &c->gate;
        junit_case k = {.check = "max_cost"};
        k.outcome = strcmp(g->verdict, "fail") == 0           ? CASE_FAIL
                    : strcmp(g->verdict, "inconclusive") == 0 ? CASE_SKIP
                                                              : CASE_PASS;
        char *text = mb_strdup(g->summary ? g->summary : g->verdict);
        if (k.outcome == CASE_PASS)
            k.out = text;
        else
            k.message = text;
        write_case(&cases, "contrasts", c->name, &k);
        free(text);
        t++;
        fl += k.outcome == CASE_FAIL;
        sk += k.outcome == CASE_SKIP;
    }
    if (t == 0)
        return;
    mb_strbuf_printf(body, "  <testsuite name=\"contrast gates\" tests=\"%d\" failures=\"%d\" "
                           "errors=\"0\" skipped=\"%d\" time=\"0.000\" timestamp=\"", t, fl, sk);
    sb_xml(body, f->written_at);
    mb_strbuf_printf(body, "\" hostname=\"");
    sb_xml(body, f->hostname);
    mb_strbuf_printf(body, "\">\n%s  </testsuite>\n", cases.s);
    free(cases.s);
    *tests += t;
    *failures += fl;
    *skipped += sk;
}

typedef struct suite_totals {
    int tests, failures, skipped;
    double seconds;
} suite_totals;

char *mb_junit_render(const mb_run_file *f)
{
    mb_strbuf body = {0};
    suite_totals all = {0};
    /* One suite per scenario, in the order the scenarios first appear. */
    bool *done = mb_calloc(f->n_cells + 1, sizeof *done);
    for (size_t i = 0; i < f->n_cells; i++) {
        if (done[i])
            continue;
        const char *scenario = f->cells[i].scenario;
        mb_strbuf cases = {0};
        suite_totals t = {0};
        for (size_t j = i; j < f->n_cells; j++) {
            const mb_rf_cell *c = &f->cells[j];
            if (done[j] || strcmp(c->scenario, scenario) != 0)
                continue;
            done[j] = true;
            junit_case k[3];
            cell_cases(f, c, k);
            for (int n = 0; n < 3; n++) {
                write_case(&cases, c->scenario, c->name, &k[n]);
                t.tests++;
                t.failures += k[n].outcome == CASE_FAIL;
                t.skipped += k[n].outcome == CASE_SKIP;
                t.seconds += k[n].seconds;
                free(k[n].message);
                free(k[n].out);
            }
        }
        mb_strbuf_printf(&body, "  <testsuite name=\"");
        sb_xml(&body, scenario);
        mb_strbuf_printf(&body, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" "
                                "time=\"%.3f\" timestamp=\"", t.tests, t.failures, t.skipped,
                         t.seconds);
        sb_xml(&body, f->written_at);
        mb_strbuf_printf(&body, "\" hostname=\"");
        sb_xml(&body, f->hostname);
        mb_strbuf_printf(&body, "\">\n%s  </testsuite>\n", cases.s ? cases.s : "");
        free(cases.s);
        all.tests += t.tests;
        all.failures += t.failures;
        all.skipped += t.skipped;
        all.seconds += t.seconds;
    }
    free(done);
    gate_suite(f, &body, &all.tests, &all.failures, &all.skipped);
    mb_strbuf b = {0};
    mb_strbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    mb_strbuf_printf(&b, "<testsuites name=\"mpsbench\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
                         "time=\"%.3f\">\n%s</testsuites>\n", all.tests, all.failures, all.seconds,
                     body.s ? body.s : "");
    free(body.s);
    return b.s;
}

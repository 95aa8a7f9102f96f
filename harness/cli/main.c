/* mpsbench: the command-line tool.  main = pick the verb -> operate; every
 * error is reported once, here, and mapped to the documented exit code. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mb_error.h"
#include "mb_exit.h"
#include "mb_util.h"

void mb_cli_usage(FILE *f)
{
    fputs("usage: mpsbench run [SCENARIO...] [options]       run scenarios, write a run directory\n"
          "       mpsbench compare BASELINE CURRENT [options] per-cell regression verdicts\n"
          "       mpsbench baseline update|key RUN_DIR [options]\n"
          "       mpsbench plot RUN_DIR|RESULTS.json [options] (re)draw the charts\n"
          "       mpsbench report RUN_DIR [options]          render charts, reports, report.html again\n"
          "       mpsbench export RUN_DIR --format F [--out FILE]\n"
          "       mpsbench VERB --help | mpsbench --help | --version\n"
          "\n"
          "With no scenario, run scenarios/default.yaml on every available device.\n"
          "Exit codes: 0 all expectations met, 1 an expectation failed (OOM, crash,\n"
          "            regression), 2 bad usage or scenario, 3 infrastructure failure.\n",
          f);
}

/* Each verb's own help: what it does and every option it takes. */
static const struct {
    const char *verb;
    const char *text;
} verb_help[] = {
    {"run",
     "usage: mpsbench run [SCENARIO...] [options]\n"
     "Runs every cell of the scenarios (default scenarios/default.yaml) and writes a run\n"
     "directory: results.json, run.json, summary.md, junit.xml, the exports, charts/.\n"
     "  -o, --out DIR              run directory (default results/runs/<time>-<scenario>-<pid>)\n"
     "      --force                reuse a non-empty --out folder (its files are replaced)\n"
     "  -d, --device LIST          replace every scenario's device axis, e.g. cuda,cpu\n"
     "      --list                 print the cells (name, repetitions, jobs) and run nothing\n"
     "      --filter REGEX         run only the cells whose name matches (POSIX extended\n"
     "                             regex; repeat for more: a cell matching any one runs)\n"
     "      --repetitions N        repetitions of every cell (1-1000; a fixed count)\n"
     "      --jobs N               measured jobs per repetition in every cell (1-100000)\n"
     "      --warmup-jobs N        warm-up jobs of every cell (0-100000)\n"
     "      --yes                  run more cells than run.max_cells (after --filter)\n"
     "      --redis URL            use this Redis instead of starting one\n"
     "      --image-cache DIR      where generated fixture images are kept\n"
     "  -b, --baseline FILE        compare with a baseline once the run ends\n"
     "      --threshold PCT        regression threshold for every cell\n"
     "      --fail-on-inconclusive with a baseline, an inconclusive cell fails the run\n"
     "      --assume-no-drift      with a plain results.json baseline, judge on the\n"
     "                             repetitions alone (no drift between the two runs)\n"
     "      --seed N               seed of the interleaved order of repetitions\n"
     "      --candidate-worker P   A/B run: a candidate worker binary\n"
     "      --candidate-env K=V    A/B run: an environment variable for the candidate\n"
     "      --candidate-fault F    A/B run: a fault for the candidate\n"
     "      --no-charts            skip the gnuplot charts\n"
     "  -q, --quiet                no progress output\n"},
    {"compare",
     "usage: mpsbench compare BASELINE CURRENT [options]\n"
     "Per-cell verdicts of CURRENT (a run directory or results.json) against BASELINE.\n"
     "A run directory's failed repetitions, per-cell thresholds and whether it finished\n"
     "come from its run.json; any other results file (a baseline stored in a run\n"
     "folder, a copy) has only the failures in its rows and the default threshold.\n"
     "  -t, --threshold PCT        regression threshold for every cell\n"
     "      --json FILE            write the verdicts as JSON\n"
     "      --markdown FILE        write the verdicts as Markdown\n"
     "      --fail-on-inconclusive an inconclusive cell is exit 1\n"
     "      --assume-no-drift      two plain results files: judge on the repetitions\n"
     "                             alone (otherwise inconclusive: the drift between\n"
     "                             two runs is not measured)\n"
     "  -q, --quiet                print nothing but errors\n"},
    {"baseline",
     "usage: mpsbench baseline update|key RUN_DIR [options]\n"
     "update adds the run to its baseline file (atomically); key prints the machine key.\n"
     "      --dir DIR              baselines folder (default results/baselines)\n"
     "      --key KEY              use this key instead of the machine's\n"
     "      --keep K               runs kept in the history (default 10)\n"
     "  -f, --force                add a run that did not pass\n"},
    {"plot",
     "usage: mpsbench plot RUN_DIR|RESULTS.json [options]\n"
     "Draws the charts (gnuplot) of a run.\n"
     "  -o, --out DIR              charts folder (default RUN_DIR/charts)\n"
     "  -b, --baseline FILE        add the baseline to the charts that compare\n"
     "  -f, --format LIST          svg, png or svg,png\n"
     "  -q, --quiet                no list of charts\n"},
    {"report",
     "usage: mpsbench report RUN_DIR [options]\n"
     "Renders the charts, junit.xml, bencher.json, gab.json, gab-smaller.json,\n"
     "results.csv and report.html again from RUN_DIR/run.json, running nothing.\n"
     "  -b, --baseline FILE        a baseline results.json for the baseline chart\n"
     "  -q, --quiet                print nothing but errors\n"},
    {"export",
     "usage: mpsbench export RUN_DIR --format FORMAT [--out FILE]\n"
     "Renders one export of a run from its run.json.\n"
     "  -f, --format FORMAT        bmf (Bencher Metric Format), gab (github-action-benchmark\n"
     "                             customBiggerIsBetter: images/s), gab-smaller\n"
     "                             (customSmallerIsBetter: latency, OOM count), csv\n"
     "  -o, --out FILE             write to FILE (default stdout)\n"},
};

void mb_cli_verb_usage(const char *verb, FILE *f)
{
    for (size_t i = 0; i < sizeof verb_help / sizeof verb_help[0]; i++) {
        if (strcmp(verb_help[i].verb, verb) == 0) {
            fputs(verb_help[i].text, f);
            return;
        }
    }
    mb_cli_usage(f);
}

/* One row per verb; each returns 0 or an MB_E* code and fills an outcome,
 * which mb_exit_code turns into the exit code. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv, mb_outcome *outcome, mb_err *err);
} commands[] = {
    {"run", mb_cmd_run},
    {"plot", mb_cmd_plot},
    {"compare", mb_cmd_compare},
    {"baseline", mb_cmd_baseline},
    {"report", mb_cmd_report},
    {"export", mb_cmd_export},
};

/* The exit code of a verb that returned rc, once what it printed on stdout
 * has arrived: an answer lost to a full disk or a closed pipe is an I/O
 * error, not a success (a verb's own error comes first and is the one
 * reported).  Every error is reported here, once. */
static int finish(int rc, const mb_outcome *outcome, mb_err *err)
{
    if (rc == MB_OK && err->code == MB_OK)
        rc = mb_flush_checked(stdout, "standard output", err);
    if (err->code != MB_OK)
        fprintf(stderr, "mpsbench: %s\n", err->msg);
    return mb_exit_code(rc, outcome);
}

int main(int argc, char **argv)
{
    mb_err err;
    mb_err_clear(&err);
    if (argc < 2) {
        mb_cli_usage(stderr);
        return mb_exit_code(MB_EUSAGE, NULL);
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
        mb_cli_usage(stdout);
        return finish(MB_OK, NULL, &err);
    }
    if (strcmp(verb, "--version") == 0) {
        puts("mpsbench " MB_VERSION);
        return finish(MB_OK, NULL, &err);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(verb, commands[i].name) != 0)
            continue;
        mb_outcome outcome = {0};
        int rc = commands[i].run(argc, argv, &outcome, &err);
        return finish(rc, &outcome, &err);
    }
    fprintf(stderr, "mpsbench: unknown command '%s'\n", verb);
    mb_cli_usage(stderr);
    return mb_exit_code(MB_EUSAGE, NULL);
}

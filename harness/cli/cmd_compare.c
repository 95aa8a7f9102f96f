/* `mpsbench compare BASELINE CURRENT`: the per-cell table on stdout, optional
 * JSON and Markdown reports; exit 1 on a regression (or, with
 * --fail-on-inconclusive, an inconclusive cell), 2 when nothing was
 * comparable. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "compare.h"
#include "mb_opts.h"
#include "mb_util.h"

enum {
    OPT_THRESHOLD = 1, OPT_JSON, OPT_MARKDOWN, OPT_QUIET, OPT_FAIL_INCONCLUSIVE, OPT_NO_DRIFT,
    OPT_HELP
};

static const mb_opt compare_opts[] = {
    {"threshold", 't', 1, OPT_THRESHOLD},
    {"json", 0, 1, OPT_JSON},
    {"markdown", 0, 1, OPT_MARKDOWN},
    {"quiet", 'q', 0, OPT_QUIET},
    {"fail-on-inconclusive", 0, 0, OPT_FAIL_INCONCLUSIVE},
    {"assume-no-drift", 0, 0, OPT_NO_DRIFT},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

int mb_cmd_compare(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    mb_compare_options opt = {0};
    const char *files[2] = {NULL, NULL};
    const char *json_path = NULL, *md_path = NULL;
    int n_files = 0;
    bool quiet = false, fail_on_inconclusive = false;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = mb_opt_next(&it, compare_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            if (n_files == 2)
                return mb_err_set(err, MB_EUSAGE, "compare: unexpected argument '%s' "
                                  "(give BASELINE and CURRENT)", it.arg);
            files[n_files++] = it.arg;
            break;
        case OPT_THRESHOLD:
            if (mb_parse_fraction(it.arg, &opt.threshold) != 0 || opt.threshold < 0 ||
                opt.threshold >= 1)
                return mb_err_set(err, MB_EUSAGE, "option --threshold: '%s' is not a "
                                  "percentage like 5%% or a fraction like 0.05", it.arg);
            opt.threshold_set = true;
            break;
        case OPT_JSON: json_path = it.arg; break;
        case OPT_MARKDOWN: md_path = it.arg; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_FAIL_INCONCLUSIVE: fail_on_inconclusive = true; break;
        case OPT_NO_DRIFT: opt.assume_no_drift = true; break;
        case OPT_HELP: mb_cli_verb_usage("compare", stdout); return MB_OK;
        }
    }
    if (n_files != 2)
        return mb_err_set(err, MB_EUSAGE, "compare: give BASELINE and CURRENT (results.json "
                          "files or run directories)");
    mb_compare_report *report = NULL;
    int rc = mb_compare_files(files[0], files[1], &opt, &report, err);
    if (rc != 0)
        return rc;
    if (!quiet)
        mb_compare_write_table(stdout, report);
    if (json_path != NULL)
        rc = mb_compare_save_json(report, json_path, err);
    if (rc == 0 && md_path != NULL)
        rc = mb_compare_save_markdown(report, md_path, err);
    outcome->fail_on_inconclusive = fail_on_inconclusive;
    if (rc == 0)
        rc = mb_compare_outcome(report, outcome, err);
    mb_compare_report_free(report);
    return rc;
}

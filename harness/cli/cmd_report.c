/* `mpsbench report RUN_DIR` renders a run directory's junit.xml and exports
 * again from its run.json, running nothing; `mpsbench export RUN_DIR
 * --format F [--out FILE]` renders one export, to stdout by default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exports.h"
#include "mb_opts.h"
#include "mb_util.h"

enum { OPT_FORMAT = 1, OPT_OUT, OPT_QUIET, OPT_HELP };

static const mb_opt report_opts[] = {
    {"quiet", 'q', 0, OPT_QUIET},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

int mb_cmd_report(int argc, char **argv, mb_err *err)
{
    const char *dir = NULL;
    bool quiet = false;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = mb_opt_next(&it, report_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            if (dir != NULL)
                return mb_err_set(err, MB_EUSAGE, "report: one run directory, got '%s' and '%s'",
                                  dir, it.arg);
            dir = it.arg;
            break;
        case OPT_QUIET: quiet = true; break;
        case OPT_HELP: mb_cli_verb_usage("report", stdout); return MB_EXIT_OK;
        }
    }
    if (dir == NULL)
        return mb_err_set(err, MB_EUSAGE, "report: give a run directory (mpsbench report RUN_DIR)");
    int rc = mb_cli_need_run_dir("report", dir, false, err);
    if (rc != 0)
        return rc;
    rc = mb_report_render_dir(dir, err);
    if (rc == 0 && !quiet) {
        fprintf(stderr, "mpsbench: junit.xml");
        for (int i = 0; i < MB_EXPORT_COUNT; i++)
            fprintf(stderr, ", %s", mb_export_file_name((mb_export_format)i));
        fprintf(stderr, " rendered from %s/run.json\n", dir);
    }
    return rc;
}

static const mb_opt export_opts[] = {
    {"format", 'f', 1, OPT_FORMAT},
    {"out", 'o', 1, OPT_OUT},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

int mb_cmd_export(int argc, char **argv, mb_err *err)
{
    const char *dir = NULL, *out = NULL;
    mb_export_format format = MB_EXPORT_COUNT;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 2);
    for (;;) {
        int id, rc;
        if ((rc = mb_opt_next(&it, export_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            if (dir != NULL)
                return mb_err_set(err, MB_EUSAGE, "export: one run directory, got '%s' and '%s'",
                                  dir, it.arg);
            dir = it.arg;
            break;
        case OPT_FORMAT:
            if ((rc = mb_export_format_parse(it.arg, &format, err)) != 0)
                return rc;
            break;
        case OPT_OUT: out = it.arg; break;
        case OPT_HELP: mb_cli_verb_usage("export", stdout); return MB_EXIT_OK;
        }
    }
    if (dir == NULL)
        return mb_err_set(err, MB_EUSAGE, "export: give a run directory (mpsbench export RUN_DIR "
                                          "--format bmf|gab|gab-smaller|csv)");
    if (format == MB_EXPORT_COUNT)
        return mb_err_set(err, MB_EUSAGE, "export: option --format is required "
                                          "(bmf, gab, gab-smaller or csv)");
    mb_run_file f;
    int rc = mb_cli_need_run_dir("export", dir, false, err);
    if (rc == 0)
        rc = mb_run_file_load(dir, &f, err);
    if (rc != 0)
        return rc;
    char *text = mb_export_render(&f, format);
    mb_run_file_free(&f);
    if (out == NULL) {
        fputs(text, stdout);
        if (fflush(stdout) != 0)
            rc = mb_err_set(err, MB_EIO, "export: cannot write to stdout");
    } else {
        int wrc = mb_write_file_atomic(out, text, strlen(text));
        if (wrc != 0)
            rc = mb_err_set(err, MB_EIO, "cannot write %s: %s", out, strerror(-wrc));
    }
    free(text);
    return rc;
}

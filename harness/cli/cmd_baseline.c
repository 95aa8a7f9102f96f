/* `mpsbench baseline update RUN_DIR` adds a run to its baseline in
 * results/baselines/, keeping the last --keep runs;
 * `mpsbench baseline key RUN_DIR` prints the machine key it would use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "commands.h"
#include "mb_opts.h"

enum { OPT_DIR = 1, OPT_KEY, OPT_FORCE, OPT_KEEP, OPT_HELP };

static const mb_opt baseline_opts[] = {
    {"dir", 0, 1, OPT_DIR},
    {"key", 0, 1, OPT_KEY},
    {"force", 'f', 0, OPT_FORCE},
    {"keep", 0, 1, OPT_KEEP},
    {"help", 'h', 0, OPT_HELP},
    {NULL, 0, 0, 0},
};

int mb_cmd_baseline(int argc, char **argv, mb_outcome *outcome, mb_err *err)
{
    (void)outcome;  /* judges nothing: the exit code is the error's */
    if (argc < 3 || (strcmp(argv[2], "update") != 0 && strcmp(argv[2], "key") != 0)) {
        if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            mb_cli_verb_usage("baseline", stdout);
            return MB_OK;
        }
        return mb_err_set(err, MB_EUSAGE, "baseline: expected 'update RUN_DIR' or "
                          "'key RUN_DIR'");
    }
    bool update = strcmp(argv[2], "update") == 0;
    mb_baseline_options opt = {0};
    const char *run = NULL;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 3);
    for (;;) {
        int id, rc;
        if ((rc = mb_opt_next(&it, baseline_opts, &id, err)) != 0)
            return rc;
        if (id == MB_OPT_END)
            break;
        switch (id) {
        case MB_OPT_POSITIONAL:
            if (run != NULL)
                return mb_err_set(err, MB_EUSAGE, "baseline: unexpected argument '%s'",
                                  it.arg);
            run = it.arg;
            break;
        case OPT_DIR: opt.dir = it.arg; break;
        case OPT_KEY: opt.key = it.arg; break;
        case OPT_FORCE: opt.force = true; break;
        case OPT_KEEP: {
            char *end;
            errno = 0;
            long keep = strtol(it.arg, &end, 10);
            if (errno != 0 || end == it.arg || *end != '\0' || keep < 1 || keep > 1000)
                return mb_err_set(err, MB_EUSAGE, "option --keep: '%s' is not a number of runs "
                                  "from 1 to 1000", it.arg);
            opt.keep = (size_t)keep;
            break;
        }
        case OPT_HELP: mb_cli_verb_usage("baseline", stdout); return MB_OK;
        }
    }
    if (run == NULL)
        return mb_err_set(err, MB_EUSAGE, "baseline %s: give the run directory (or its "
                          "results.json)", argv[2]);
    char *out = NULL;
    int rc = update ? mb_baseline_update(run, &opt, &out, err)
                    : mb_baseline_machine_key(run, &out, err);
    if (rc == 0)
        puts(out);
    free(out);
    return rc;
}

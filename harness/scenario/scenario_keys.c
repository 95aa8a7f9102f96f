/* mpsbench-scenario-keys: prints the scenario reference generated from the
 * loader's schema table, or puts it into (or checks it against) the
 * README's section between its markers.
 *
 *   mpsbench-scenario-keys               the Markdown table on stdout
 *   mpsbench-scenario-keys --write FILE  replace FILE's section
 *   mpsbench-scenario-keys --check FILE  exit 1 when FILE's section differs */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_util.h"
#include "scenario.h"

static int usage(void)
{
    fprintf(stderr, "usage: mpsbench-scenario-keys [--markdown | --write FILE | --check FILE]\n");
    return 2;
}

static int with_file(const char *mode, const char *path)
{
    mb_err err;
    char *text = mb_read_file(path, NULL, &err);
    if (text == NULL) {
        fprintf(stderr, "mpsbench-scenario-keys: %s\n", err.msg);
        return 1;
    }
    char *spliced = mb_scenario_reference_splice(text);
    int rc = 0;
    if (spliced == NULL) {
        fprintf(stderr, "mpsbench-scenario-keys: %s: no '%s' ... '%s' markers\n", path,
                MB_SCENARIO_REFERENCE_BEGIN, MB_SCENARIO_REFERENCE_END);
        rc = 1;
    } else if (strcmp(mode, "--check") == 0) {
        if (strcmp(spliced, text) != 0) {
            fprintf(stderr, "mpsbench-scenario-keys: %s: the scenario reference differs from "
                            "the schema; regenerate it with: mpsbench-scenario-keys --write "
                            "%s\n", path, path);
            rc = 1;
        }
    } else {
        if (mb_write_file_atomic(path, spliced, strlen(spliced), &err) != 0) {
            fprintf(stderr, "mpsbench-scenario-keys: %s\n", err.msg);
            rc = 1;
        }
    }
    free(spliced);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && strcmp(argv[1], "--markdown") == 0)) {
        char *md = mb_scenario_reference_markdown();
        fputs(md, stdout);
        free(md);
        return 0;
    }
    if (argc == 3 && (strcmp(argv[1], "--write") == 0 || strcmp(argv[1], "--check") == 0))
        return with_file(argv[1], argv[2]);
    return usage();
}

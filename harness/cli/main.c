/* mpsbench: the command-line tool.  main = pick the verb -> operate; every
 * error is reported once, here, and mapped to the documented exit code. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "mb_error.h"

void mb_cli_usage(FILE *f)
{
    fputs("usage: mpsbench run [SCENARIO...] [--out DIR] [--device LIST] [--redis URL]\n"
          "                    [--baseline FILE] [--threshold PCT] [--image-cache DIR]\n"
          "                    [--fail-on-inconclusive] [--no-charts] [--quiet]\n"
          "       mpsbench plot RUN_DIR|RESULTS.json [--out DIR] [--baseline FILE] [--format svg,png]\n"
          "       mpsbench compare BASELINE CURRENT [--threshold PCT] [--json FILE] [--markdown FILE]\n"
          "                        [--fail-on-inconclusive] [--quiet]\n"
          "       mpsbench baseline update|key RUN_DIR [--dir DIR] [--key KEY] [--keep K] [--force]\n"
          "       mpsbench --help | --version\n"
          "\n"
          "With no scenario, run scenarios/default.yaml on every available device.\n"
          "Exit codes: 0 all expectations met, 1 an expectation failed (OOM, crash,\n"
          "            regression),\n"
          "            2 bad usage or scenario, 3 infrastructure failure.\n",
          f);
}

/* One row per verb; each command returns an exit code, or a negative MB_E*
 * code that main maps to one. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv, mb_err *err);
} commands[] = {
    {"run", mb_cmd_run},
    {"plot", mb_cmd_plot},
    {"compare", mb_cmd_compare},
    {"baseline", mb_cmd_baseline},
};

int main(int argc, char **argv)
{
    mb_err err;
    mb_err_clear(&err);
    if (argc < 2) {
        mb_cli_usage(stderr);
        return MB_EXIT_USAGE;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
        mb_cli_usage(stdout);
        return MB_EXIT_OK;
    }
    if (strcmp(verb, "--version") == 0) {
        puts("mpsbench " MB_VERSION);
        return MB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(verb, commands[i].name) != 0)
            continue;
        int code = commands[i].run(argc, argv, &err);
        if (code < 0)
            code = mb_err_exit_code(code);
        if (err.code != MB_OK)
            fprintf(stderr, "mpsbench: %s\n", err.msg);
        return code;
    }
    fprintf(stderr, "mpsbench: unknown command '%s'\n", verb);
    mb_cli_usage(stderr);
    return MB_EXIT_USAGE;
}

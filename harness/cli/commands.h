/* The verbs of the mpsbench CLI, one file each (cmd_<verb>.c).  argv[1] is
 * the verb itself; options start at argv[2]. */
#ifndef MB_COMMANDS_H
#define MB_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "mb_error.h"
#include "mb_outcome.h"

void mb_cli_usage(FILE *f);
/* The help of one verb, with every option it takes. */
void mb_cli_verb_usage(const char *verb, FILE *f);

/* MB_EUSAGE, naming verb and path, unless path is a folder holding a
 * run.json (or, with file_ok, any existing file, such as a results.json). */
int mb_cli_need_run_dir(const char *verb, const char *path, bool file_ok, mb_err *err);

/* Each verb returns 0 or an MB_E* code (err says why) and fills outcome
 * with what it judged; main turns the two into the exit code
 * (mb_exit_code).  A verb that judges nothing leaves outcome zero. */
int mb_cmd_run(int argc, char **argv, mb_outcome *outcome, mb_err *err);
int mb_cmd_plot(int argc, char **argv, mb_outcome *outcome, mb_err *err);
int mb_cmd_compare(int argc, char **argv, mb_outcome *outcome, mb_err *err);
int mb_cmd_baseline(int argc, char **argv, mb_outcome *outcome, mb_err *err);
int mb_cmd_report(int argc, char **argv, mb_outcome *outcome, mb_err *err);
int mb_cmd_export(int argc, char **argv, mb_outcome *outcome, mb_err *err);

#endif

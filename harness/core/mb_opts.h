/* Table-driven long-option parsing shared by mpsbench and mpsbench-worker:
 * one table of names and argument kinds, errors reported once as
 * "option --name: reason". */
#ifndef MB_OPTS_H
#define MB_OPTS_H

#include "mb_error.h"

typedef struct mb_opt {
    const char *name;   /* long name without dashes */
    char short_name;    /* 0 for none */
    int takes_arg;      /* 1: "--name VALUE" or "--name=VALUE" */
    int id;             /* returned to the caller */
} mb_opt;

typedef struct mb_opt_iter {
    int argc;
    char **argv;
    int index;            /* next argv element to read */
    const char *arg;      /* the option's argument, or the positional */
    int only_positionals; /* set after "--" */
} mb_opt_iter;

#define MB_OPT_POSITIONAL 0
#define MB_OPT_END (-1)

void mb_opt_init(mb_opt_iter *it, int argc, char **argv, int first);
/* Returns the next option's id, MB_OPT_POSITIONAL with it->arg set, or
 * MB_OPT_END.  Unknown options and missing arguments fail with MB_EUSAGE;
 * "--" ends option parsing. */
int mb_opt_next(mb_opt_iter *it, const mb_opt *table, int *id, mb_err *err);

#endif

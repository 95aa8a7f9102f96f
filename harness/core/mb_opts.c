#include "mb_opts.h"

#include <string.h>

void mb_opt_init(mb_opt_iter *it, int argc, char **argv, int first)
{
    it->argc = argc;
    it->argv = argv;
    it->index = first;
    it->arg = NULL;
    it->only_positionals = 0;
}

static const mb_opt *find_long(const mb_opt *table, const char *name, size_t len)
{
    for (const mb_opt *o = table; o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const mb_opt *find_short(const mb_opt *table, char c)
{
    for (const mb_opt *o = table; o->name != NULL; o++)
        if (o->short_name != 0 && o->short_name == c)
            return o;
    return NULL;
}

int mb_opt_next(mb_opt_iter *it, const mb_opt *table, int *id, mb_err *err)
{
    it->arg = NULL;
    if (it->index >= it->argc) {
        *id = MB_OPT_END;
        return 0;
    }
    const char *a = it->argv[it->index++];
    if (it->only_positionals || a[0] != '-' || a[1] == '\0') {
        it->arg = a;
        *id = MB_OPT_POSITIONAL;
        return 0;
    }
    if (strcmp(a, "--") == 0) {
        it->only_positionals = 1;
        return mb_opt_next(it, table, id, err);
    }
    const mb_opt *o;
    const char *inline_arg = NULL;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_long(table, name, len);
        if (o == NULL)
            return mb_err_set(err, MB_EUSAGE, "option %.*s: unknown option", (int)(len + 2), a);
        inline_arg = eq ? eq + 1 : NULL;
    } else {
        if (a[2] != '\0')
            return mb_err_set(err, MB_EUSAGE, "option %s: unknown option", a);
        o = find_short(table, a[1]);
        if (o == NULL)
            return mb_err_set(err, MB_EUSAGE, "option %s: unknown option", a);
    }
    if (o->takes_arg) {
        if (inline_arg != NULL) {
            it->arg = inline_arg;
        } else if (it->index < it->argc) {
            it->arg = it->argv[it->index++];
        } else {
            return mb_err_set(err, MB_EUSAGE, "option --%s: needs a value", o->name);
        }
    } else if (inline_arg != NULL) {
        return mb_err_set(err, MB_EUSAGE, "option --%s: takes no value", o->name);
    }
    *id = o->id;
    return 0;
}

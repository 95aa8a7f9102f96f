/* The check every verb that reads a run directory makes first, so that a
 * wrong path is bad usage (exit 2) with the path named, not an I/O error
 * from deep inside a reader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "mb_util.h"
#include "run_dir.h"

int mb_cli_need_run_dir(const char *verb, const char *path, bool file_ok, mb_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return mb_err_set(err, MB_EUSAGE, "%s: %s: %s", verb, path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (file_ok)
            return 0;
        return mb_err_set(err, MB_EUSAGE, "%s: %s is not a folder (give a run directory, "
                          "the folder `mpsbench run` wrote)", verb, path);
    }
    char *run_json = mb_res_run_json_path(path);
    bool found = access(run_json, R_OK) == 0;
    free(run_json);
    if (!found)
        return mb_err_set(err, MB_EUSAGE, "%s: %s holds no run.json, so it is not a run "
                          "directory (the folder `mpsbench run` wrote)", verb, path);
    return 0;
}

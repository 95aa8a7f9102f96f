#include "mb_exit.h"

/* The exit-code column of the error table. */
static int error_row(int code)
{
    switch (code) {
#define MB_ERR_EXIT(name, exit_code, text) case MB_E##name: return exit_code;
    MB_ERRNO_MAP(MB_ERR_EXIT)
#undef MB_ERR_EXIT
    default: return MB_EXIT_INFRA;
    }
}

int mb_exit_code(int error, const mb_outcome *outcome)
{
    if (error != MB_OK)
        return error_row(error);
    if (outcome == NULL)
        return MB_EXIT_OK;
    if (outcome->interrupted)
        return MB_EXIT_INFRA;
    if (outcome->device_unusable)
        return MB_EXIT_DEVICE_UNUSABLE;
    if (mb_outcome_failed(outcome))
        return MB_EXIT_EXPECTATION;
    return MB_EXIT_OK;
}

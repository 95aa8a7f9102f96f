#include "exit_code.h"

int mb_cli_exit_code(int error, const mb_outcome *outcome)
{
    if (error != MB_OK)
        return mb_err_exit_code(error);
    if (outcome == NULL)
        return MB_EXIT_OK;
    if (outcome->interrupted)
        return MB_EXIT_INFRA;
    if (mb_outcome_failed(outcome))
        return MB_EXIT_EXPECTATION;
    return MB_EXIT_OK;
}

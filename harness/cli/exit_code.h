/* The process exit code of every mpsbench verb, computed in one place from
 * what the verb returned (0 or an MB_E* code) and what it found (its
 * mb_outcome).  README "Exit codes" and DESIGN.md section 4 hold the table. */
#ifndef MB_CLI_EXIT_CODE_H
#define MB_CLI_EXIT_CODE_H

#include "mb_error.h"
#include "mb_outcome.h"

/* In order, the first that applies:
 *   error != MB_OK            -> the error's row of MB_ERRNO_MAP (2, 3, or 1
 *                                for a libtorch error, an OOM, a bad image)
 *   outcome->interrupted      -> 3 (MB_EXIT_INFRA): the run did not finish
 *   mb_outcome_failed(outcome) -> 1 (MB_EXIT_EXPECTATION)
 *   otherwise                 -> 0
 * outcome may be NULL (a verb that judges nothing). */
int mb_cli_exit_code(int error, const mb_outcome *outcome);

#endif

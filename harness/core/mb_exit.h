/* The exit code of every program of the tree (the mpsbench CLI, the worker,
 * the tools), computed in one place from what the program's work returned
 * (0 or an MB_E* code) and what it found (its mb_outcome).  No program maps
 * on its own: each names the error or fills the outcome and returns
 * mb_exit_code's answer.  README "Exit codes", DESIGN.md section 4 and the
 * worker's PROTOCOL.md hold the table. */
#ifndef MB_EXIT_H
#define MB_EXIT_H

#include "mb_error.h"
#include "mb_outcome.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MB_EXIT_OK = 0,
    MB_EXIT_EXPECTATION = 1,
    MB_EXIT_USAGE = 2,
    MB_EXIT_INFRA = 3,
    MB_EXIT_DEVICE_UNUSABLE = 4     /* the worker only (PROTOCOL.md, hello "unusable") */
};

/* In order, the first that applies:
 *   error != MB_OK             -> the error's row of MB_ERRNO_MAP (2, 3, or 1
 *                                 for a libtorch error, an OOM, a bad image;
 *                                 a code outside the table is 3)
 *   outcome->interrupted       -> 3 (MB_EXIT_INFRA): the work did not finish
 *   outcome->device_unusable   -> 4 (MB_EXIT_DEVICE_UNUSABLE)
 *   mb_outcome_failed(outcome) -> 1 (MB_EXIT_EXPECTATION)
 *   otherwise                  -> 0
 * outcome may be NULL (a program or verb that judges nothing). */
int mb_exit_code(int error, const mb_outcome *outcome);

#ifdef __cplusplus
}
#endif
#endif

/* The run's stop flag: set by the program's SIGINT/SIGTERM handler through
 * mb_run_request_stop (the library installs no handler), read by every
 * stage that can stop early (set-up, the schedule, the job flow). */
#include <signal.h>

#include "run_private.h"

static volatile sig_atomic_t stop_requested;

void mb_run_request_stop(void)
{
    stop_requested = 1;
}

bool mb__run_interrupted(void)
{
    return stop_requested != 0;
}

#include "handoff.h"

mb_sent mb_handoff_moment(bool first_batch_ready, bool submit_queues)
{
    return first_batch_ready && submit_queues ? MB_SENT_BEHIND_NEXT_SUBMIT
                                              : MB_SENT_BEFORE_NEXT_WAIT;
}

#include "handoff.h"

bool mb_handoff_behind_submit(bool first_batch_ready, bool submit_queues)
{
    return first_batch_ready && submit_queues;
}

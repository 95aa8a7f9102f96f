/* When the worker sends the previous job's result once it has taken the
 * next job ahead (issue 18).  Sent behind the next job's first submit, the
 * hand-off (encoding, XADD, XACK) runs while the device works instead of
 * while it idles; but the result's client waits for it meanwhile.  That wait
 * buys throughput only when the first batch is decoded (else the device
 * waits for the pool anyway, and the result can go out during that wait:
 * at 12 MP it waited 59-139 ms for nothing) and when submit returns once
 * the work is queued (CUDA; on the CPU and MPS submit runs the whole
 * forward pass before returning, which the result would wait for). */
#ifndef MB_HANDOFF_H
#define MB_HANDOFF_H

#include <stdbool.h>

#include "protocol.h"

/* MB_SENT_BEHIND_NEXT_SUBMIT (right after the next job's first submit) or
 * MB_SENT_BEFORE_NEXT_WAIT (before the wait for that job's first batch). */
mb_sent mb_handoff_moment(bool first_batch_ready, bool submit_queues);

#endif

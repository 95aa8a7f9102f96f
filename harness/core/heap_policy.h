/* How the process's heap hands memory back to the system. */
#ifndef MB_HEAP_POLICY_H
#define MB_HEAP_POLICY_H

#include <stdbool.h>

/* Keeps the memory that free() releases inside the process, for the next
 * malloc to reuse, instead of returning it to the system.
 *
 * A CPU forward pass allocates and frees the same activations, batch after
 * batch.  glibc serves each block of 32 MiB or more (ResNet-50's at batch
 * 16) with a fresh mmap, unmapped again on free, and gives the top of the
 * heap back once more than the trim threshold is free there: every
 * forward then faults its activations in again, page by page (about
 * 335,000 faults, a third of its CPU time, for ResNet-50 at batch 16 on
 * 224x224).  With mmap off and trimming off, the blocks stay in the heap
 * and the second forward touches no new page.  The price: the resident
 * size stays at its peak.
 *
 * Call it once, before the first large allocation.  Returns true where it
 * took effect (glibc), false where this libc has no such knobs. */
bool mb_heap_keep_freed(void);

/* mb_heap_keep_freed where it helps and is safe, the one rule the worker
 * and the microbenchmark share: a CPU forward pass (on CUDA and MPS the
 * forward's memory is the device's, and with the policy on a CUDA worker's
 * 12 MP decode: auto jobs gave NaN embeddings in two runs on an H200 and
 * hung in a third; without it 408 came back finite:
 * results/reference/gpu-h200/README.md) in a process
 * without a memory limit (a capped heap that never shrinks leaves the job
 * after an OOM no memory at all, and glibc without its mmap fallback then
 * fails inside libtorch, where a NULL is not checked).  Returns whether it
 * took effect. */
bool mb_heap_keep_freed_for(bool cpu_forward, bool memory_limited);

#endif

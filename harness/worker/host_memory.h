/* Host memory of the worker process, the Linux way and the macOS way. */
#ifndef MB_HOST_MEMORY_H
#define MB_HOST_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

/* Peak resident set size since the last reset (or process start). */
uint64_t mb_host_peak_rss(void);
/* Current resident set size. */
uint64_t mb_host_current_rss(void);
/* Starts a new peak window.  Linux: writes 5 to /proc/self/clear_refs, which
 * resets VmHWM.  macOS has no equivalent: the peak then stays the process
 * lifetime's, and this returns false so callers can say so. */
bool mb_host_reset_peak_rss(void);
/* The private writable memory that RLIMIT_DATA counts (Linux: VmData);
 * 0 where the system does not say (macOS, which does not enforce the
 * limit either). */
uint64_t mb_host_data_bytes(void);

#endif

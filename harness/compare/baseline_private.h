/* Test seam of baseline.c: a hook called after the new baseline is staged
 * (complete and fsynced) and before it is renamed over the old one, so a
 * test can kill the process exactly there. */
#ifndef MB_BASELINE_PRIVATE_H
#define MB_BASELINE_PRIVATE_H

typedef void (*mb__baseline_hook)(const char *staged_path, const char *final_path);

/* NULL removes the hook.  Not thread-safe; for tests only. */
void mb__baseline_set_hook(mb__baseline_hook hook);

#endif

/* Whether an MPS device can be benchmarked, decided from what the worker's
 * device probe recorded.  Pure: the Metal and torch calls that gather the
 * inputs live in harness/torch/torch_device.cc; this file only judges them, so
 * the judgement is unit-tested on any system.
 *
 * GitHub's hosted Apple-silicon runners are virtual machines whose Metal
 * device, "Apple Paravirtual device", reports MPS as available.  Older
 * images fail every allocation (actions/runner-images#9918); macos-15 arm64
 * images let allocations succeed until the driver's total reaches about
 * 1 GiB and then fail even for 256 bytes (actions/runner-images#11899).  A
 * probe that allocates a few bytes would call the second kind usable, and a
 * large cell would then report an MPS OOM that no real Mac would see. */
#ifndef MB_MPS_DEVICE_H
#define MB_MPS_DEVICE_H

#include <stddef.h>

typedef enum {
    MB_MPS_USABLE = 0,      /* a real Metal device: run the cells */
    MB_MPS_PARAVIRTUAL,     /* a hosted runner's capped virtual GPU */
    MB_MPS_UNUSABLE         /* MPS fails for another reason */
} mb_mps_class;

/* The hosted runners' cap on the driver's total, as #11899 reports it
 * ("MPS allocated: 1024.00 MB", "hard-capped at 1.03 GB"). */
#define MB_MPS_HOSTED_CAP_BYTES 1073741824.0
/* The large probe asks for more than that cap in one tensor. */
#define MB_MPS_LARGE_PROBE_BYTES (1280.0 * 1048576.0)
/* A recommendedMaxWorkingSetSize at or below this matches the cap; the
 * smallest real Apple-silicon Mac (8 GB) reports well above 4 GiB. */
#define MB_MPS_CAPPED_WORKING_SET_BYTES (1.5 * 1073741824.0)

/* What the probe recorded.  Strings are borrowed; NULL means absent. */
typedef struct mb_mps_probe {
    const char *device_name;    /* MTLDevice.name; NULL or "" when unknown */
    double working_set;         /* recommendedMaxWorkingSetSize in bytes; <= 0 unknown */
    const char *small_error;    /* the small probe (allocation, kernel, read-back): NULL ok */
    int large_tried;            /* whether the large probe ran */
    const char *large_error;    /* the large probe: NULL ok (or not tried) */
} mb_mps_probe;

/* Classifies the probe and writes why into reason (always terminated;
 * empty for a usable device).  Never reads past the strings' ends. */
mb_mps_class mb_mps_classify(const mb_mps_probe *p, char *reason, size_t reason_size);
/* "usable" | "paravirtual" | "unusable". */
const char *mb_mps_class_name(mb_mps_class c);
/* The inverse of mb_mps_class_name; -1 when unknown or NULL. */
int mb_mps_class_parse(const char *name);

/* The label that replaces "MPS OOM" for an out-of-memory error on a
 * paravirtual device, so that no report calls it an MPS OOM. */
#define MB_MPS_PARAVIRTUAL_LIMIT "paravirtual-device limit"

#endif

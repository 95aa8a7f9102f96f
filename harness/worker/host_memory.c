#include "host_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#if defined(__APPLE__)
#include <mach/mach.h>
#endif

#if defined(__linux__)
/* Reads a "Name:   123 kB" line from /proc/self/status. */
static uint64_t proc_status_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 0;
    char line[256];
    size_t len = strlen(name);
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            sscanf(line + len + 1, "%llu", &kb);
            break;
        }
    }
    fclose(f);
    return (uint64_t)kb * 1024u;
}
#endif

uint64_t mb_host_peak_rss(void)
{
#if defined(__linux__)
    uint64_t hwm = proc_status_kb("VmHWM");
    if (hwm > 0)
        return hwm;
#endif
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
#if defined(__APPLE__)
    return (uint64_t)ru.ru_maxrss;          /* bytes on macOS */
#else
    return (uint64_t)ru.ru_maxrss * 1024u;  /* kilobytes on Linux and the BSDs */
#endif
}

uint64_t mb_host_current_rss(void)
{
#if defined(__linux__)
    return proc_status_kb("VmRSS");
#elif defined(__APPLE__)
    mach_task_basic_info_data_t info;
    mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
    if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, (task_info_t)&info, &count) != KERN_SUCCESS)
        return 0;
    return (uint64_t)info.resident_size;
#else
    return 0;
#endif
}

bool mb_host_reset_peak_rss(void)
{
#if defined(__linux__)
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return false;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
#else
    return false;
#endif
}

uint64_t mb_host_data_bytes(void)
{
#if defined(__linux__)
    return proc_status_kb("VmData");
#else
    return 0;
#endif
}

/* Every chart kind, in the order index.md and report.html list them. */
#include "plot_private.h"

const mb__plot_chart_kind mb__plot_kinds[] = {
    {"throughput", "Throughput against batch size, per image size and device",
     mb__plot_chart_throughput},
    {"speedup", "GPU/CPU speedup against batch size", mb__plot_chart_speedup},
    {"memory", "Peak memory against batch size, OOM cells and the cap", mb__plot_chart_memory},
    {"oom-matrix", "OOM matrix (batch × image size), fix off and on, per device",
     mb__plot_chart_oom_matrix},
    {"baseline", "Current against baseline, with 95% intervals", mb__plot_chart_baseline},
    {"stages", "Time per job by stage", mb__plot_chart_stages},
    {"latency", "Per-job latency distribution", mb__plot_chart_latency},
    {"seed-options", "The seed's option comparison, measured", mb__plot_chart_seed_options},
};
const size_t mb__plot_n_kinds = sizeof mb__plot_kinds / sizeof mb__plot_kinds[0];

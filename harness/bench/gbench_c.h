/* A small C API over Google Benchmark, which has none.  gbench_c.cc is the
 * only file that includes benchmark/benchmark.h.  Google Benchmark owns
 * iterations, repetitions, aggregates (mean/median/stddev/cv) and the JSON
 * and console reporters; mpsbench only registers functions and feeds times. */
#ifndef MB_GBENCH_C_H
#define MB_GBENCH_C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mb_error.h"

/* Every function is MB_NOEXCEPT: the implementation catches every C++
 * exception at the boundary (core/mb_cxx_guard.hpp). */
#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_gb_state mb_gb_state;   /* wraps benchmark::State */
typedef void (*mb_gb_fn)(mb_gb_state *state, void *arg);

typedef enum { MB_GB_NS = 0, MB_GB_US, MB_GB_MS, MB_GB_S } mb_gb_unit;

typedef struct mb_gb_options {
    int64_t iterations;         /* fixed iteration count; 0 = let Google Benchmark choose */
    int repetitions;            /* 0 = default (1) */
    bool use_manual_time;       /* times come from mb_gb_set_iteration_time */
    bool use_real_time;
    mb_gb_unit unit;
    bool aggregates_only;       /* report only mean/median/stddev/cv when repeating */
} mb_gb_options;

/* Registers fn under name; arg is passed through untouched (owned by caller,
 * must outlive mb_gb_run).  Reports carry the name as registered: the
 * "/iterations:N/repeats:N/manual_time" Google Benchmark would append is
 * left out, so a name does not change with the options.  Aggregates add
 * "_mean", "_median", "_stddev", "_cv". */
int mb_gb_register(const char *name, mb_gb_fn fn, void *arg, const mb_gb_options *opt,
                   mb_err *err) MB_NOEXCEPT;
/* Drops every registered benchmark. */
void mb_gb_clear(void) MB_NOEXCEPT;

/* Inside a benchmark function. */
bool mb_gb_keep_running(mb_gb_state *st) MB_NOEXCEPT;         /* while (mb_gb_keep_running(st)) { ... } */
void mb_gb_set_iteration_time(mb_gb_state *st, double seconds) MB_NOEXCEPT;
void mb_gb_pause_timing(mb_gb_state *st) MB_NOEXCEPT;
void mb_gb_resume_timing(mb_gb_state *st) MB_NOEXCEPT;
int64_t mb_gb_iterations(const mb_gb_state *st) MB_NOEXCEPT;
int64_t mb_gb_max_iterations(const mb_gb_state *st) MB_NOEXCEPT;

/* Counter flags mirror benchmark::Counter::Flags. */
enum {
    MB_GB_COUNTER_DEFAULT = 0,
    /* Divided by the run's time, which is the time Google Benchmark bases its
     * decisions on: the manual time with use_manual_time, else the real time
     * with use_real_time, else the CPU time.  Checked in 1.7.1 source
     * (BenchmarkRunner::DoNIterations sets IterationResults::seconds that
     * way and CreateRunReport passes it to internal::Finish, which divides
     * kIsRate counters by it) and by test_gbench; 1.8 and 1.9 do the same.
     * So with manual time a rate counter is per second of manual time, and
     * the harness can use it for images/s. */
    MB_GB_COUNTER_RATE = 1,
    MB_GB_COUNTER_AVG_ITERATIONS = 2,  /* divided by the iteration count */
};
void mb_gb_set_counter(mb_gb_state *st, const char *name, double value, int flags) MB_NOEXCEPT;
void mb_gb_set_label(mb_gb_state *st, const char *label) MB_NOEXCEPT;
void mb_gb_set_items_processed(mb_gb_state *st, int64_t items) MB_NOEXCEPT;
/* Marks the run as failed.  The on_run callback sees it with error_occurred
 * and its message; the JSON and console reporters never do, because a failed
 * run has no time and tools that read the JSON would take its real_time of 0
 * for the fastest result.  Google Benchmark leaves it out of the aggregates.
 * The caller must leave the loop (or not enter it) afterwards. */
void mb_gb_skip_with_error(mb_gb_state *st, const char *message) MB_NOEXCEPT;
/* Ends a repetition that was not needed (adaptive repetitions met their
 * target): Google Benchmark leaves it out of the aggregates as it does any
 * skipped run, and the reporters here drop it, so results.json holds only
 * the repetitions that ran.  The caller must leave the loop afterwards. */
void mb_gb_skip_unreported(mb_gb_state *st) MB_NOEXCEPT;

/* One finished run (one repetition, or one aggregate), as the reporters see it. */
typedef struct mb_gb_run_report {
    const char *name;           /* benchmark name, "name_median" etc. for aggregates */
    const char *run_name;       /* name without aggregate suffix */
    const char *aggregate;      /* "", "mean", "median", "stddev", "cv" */
    int repetition_index;
    int64_t iterations;
    double real_time;           /* per iteration, in the unit below */
    double cpu_time;
    const char *time_unit;      /* "ns", "us", "ms", "s" */
    bool error_occurred;
    const char *error_message;
    size_t n_counters;
    const char *const *counter_names;
    const double *counter_values;
} mb_gb_run_report;

typedef void (*mb_gb_report_fn)(const mb_gb_run_report *run, void *arg);

typedef struct mb_gb_run_options {
    const char *json_out;       /* Google Benchmark JSON file (results.json); NULL = none */
    bool console;               /* Google Benchmark's console reporter on stdout */
    mb_gb_report_fn on_run;     /* called for every run and aggregate; may be NULL */
    void *on_run_arg;
    const char *filter;         /* regex like --benchmark_filter; NULL = all */
} mb_gb_run_options;

/* Adds a key/value to the JSON "context" (machine, device, torch version...).
 * Google Benchmark keeps the first value given for a key and complains on
 * stderr about later ones. */
void mb_gb_add_context(const char *key, const char *value) MB_NOEXCEPT;
/* Runs the registered benchmarks once.  Returns the number of benchmarks run
 * (>= 0) or an error: MB_EIO when the JSON file cannot be opened or written,
 * MB_EINVAL for a filter that is not an extended regular expression.  The
 * JSON is written by Google Benchmark's JSONReporter, fed by mpsbench's display
 * reporter, so --benchmark_out and the BENCHMARK_OUT environment variable are
 * not needed; when nothing matches the filter the file is left empty. */
int mb_gb_run(const mb_gb_run_options *opt, mb_err *err) MB_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif

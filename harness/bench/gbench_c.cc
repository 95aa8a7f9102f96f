// The only translation unit that sees benchmark/benchmark.h.  Every extern "C"
// function is noexcept; those that can fail run through mb_cxx_guard
// (core/mb_cxx_guard.hpp), which turns C++ exceptions into mb_err codes.

// mb_error.h has no extern "C" block of its own and gbench_c.h includes it
// before opening one, so it is included here first, with C linkage; the
// include guard then makes the inclusion from gbench_c.h a no-op.
extern "C" {
#include "mb_error.h"
}
#include "gbench_c.h"
#include "mb_cxx_guard.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>

#include <regex.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

struct mb_gb_state {
    benchmark::State *st;
    bool started;   /* the iteration loop has begun */
};

namespace {

// Google Benchmark 1.8 replaced Run::error_occurred/error_message with
// Run::skipped/skip_message and ships no version macro in its header, so the
// member is detected instead of the version.  The discarded branch of the
// `if constexpr` below is never instantiated, which keeps one source valid for
// 1.7.1 (Debian) and 1.8/1.9 (Homebrew, the GPU machine).
/* The message that marks a repetition left out by mb_gb_skip_unreported. */
const char *const kUnreported = "mpsbench: repetition not needed";

template <typename R, typename = void>
struct mb_has_skipped : std::false_type {};
template <typename R>
struct mb_has_skipped<R, std::void_t<decltype(std::declval<const R &>().skipped)>>
    : std::true_type {};

template <typename R>
void mb_run_error(const R &run, bool *occurred, const std::string **message)
{
    if constexpr (mb_has_skipped<R>::value) {
        // The C API only offers skip-with-error, so every skip is an error.
        *occurred = static_cast<int>(run.skipped) != 0;
        *message = &run.skip_message;
    } else {
        *occurred = run.error_occurred;
        *message = &run.error_message;
    }
}

benchmark::TimeUnit mb_to_gb_unit(mb_gb_unit unit)
{
    switch (unit) {
    case MB_GB_US: return benchmark::kMicrosecond;
    case MB_GB_MS: return benchmark::kMillisecond;
    case MB_GB_S: return benchmark::kSecond;
    case MB_GB_NS:
    default: return benchmark::kNanosecond;
    }
}

benchmark::Counter::Flags mb_to_gb_flags(int flags)
{
    int out = benchmark::Counter::kDefaults;
    if (flags & MB_GB_COUNTER_RATE)
        out |= benchmark::Counter::kIsRate;
    if (flags & MB_GB_COUNTER_AVG_ITERATIONS)
        out |= benchmark::Counter::kAvgIterations;
    return static_cast<benchmark::Counter::Flags>(out);
}

// The display reporter of a run: converts each Run for the on_run callback
// and fans out to the JSON and console reporters.  The JSON reporter is fed
// from here rather than passed as Google Benchmark's file reporter because
// RunSpecifiedBenchmarks only accepts a file reporter together with
// --benchmark_out, then opens that file itself and calls std::exit(1) when it
// cannot, which a harness must not do.
class MbReporter : public benchmark::BenchmarkReporter {
public:
    MbReporter(const mb_gb_run_options *opt, benchmark::BenchmarkReporter *json,
               benchmark::BenchmarkReporter *console)
        : opt_(opt), json_(json), console_(console)
    {
    }

    bool ReportContext(const Context &context) override
    {
        if (json_ != nullptr)
            json_->ReportContext(context);
        if (console_ != nullptr)
            console_->ReportContext(context);
        return true;
    }

    void ReportRuns(const std::vector<Run> &reported) override
    {
        std::vector<Run> runs = with_stable_names(without_non_finite(without_unreported(reported)));
        if (runs.empty())
            return;
        if (opt_->on_run != nullptr) {
            for (const Run &run : runs)
                forward(run);
        }
        const std::vector<Run> timed = without_failed(runs);
        if (timed.empty())
            return;
        if (json_ != nullptr)
            json_->ReportRuns(timed);
        if (console_ != nullptr)
            console_->ReportRuns(timed);
    }

    /* Google Benchmark appends "/iterations:N", "/repeats:N" and
     * "/manual_time" to the registered name when those are set explicitly,
     * so a cell's name would change with the number of jobs or
     * repetitions, and every tool that tracks results by name (compare.py,
     * github-action-benchmark, Bencher) would start a new series.  The
     * reported name is the registered one; BenchmarkName's fields exist to
     * be cleared like this. */
    static std::vector<Run> with_stable_names(const std::vector<Run> &runs)
    {
        std::vector<Run> out = runs;
        for (Run &run : out) {
            run.run_name.min_time.clear();
            run.run_name.iterations.clear();
            run.run_name.repetitions.clear();
            run.run_name.time_type.clear();
        }
        return out;
    }

    /* A failed repetition has no time: Google Benchmark writes it with
     * real_time 0 and error_occurred, and compare.py, github-action-
     * benchmark's googlecpp extractor and Bencher's cpp_google adapter all
     * read only name and real_time, so it would look like the fastest
     * result.  It is left out of what the file and console reporters see;
     * the on_run callback still gets it, and the harness keeps it in its
     * own records. */
    static std::vector<Run> without_failed(const std::vector<Run> &runs)
    {
        std::vector<Run> out;
        for (const Run &run : runs) {
            bool occurred;
            const std::string *message;
            mb_run_error(run, &occurred, &message);
            if (!occurred)
                out.push_back(run);
        }
        return out;
    }

    static std::vector<Run> without_unreported(const std::vector<Run> &runs)
    {
        std::vector<Run> out;
        for (const Run &run : runs) {
            bool occurred;
            const std::string *message;
            mb_run_error(run, &occurred, &message);
            if (!(occurred && *message == kUnreported))
                out.push_back(run);
        }
        return out;
    }

    /* Google Benchmark's "cv" aggregate of a counter that is 0 in every
     * repetition (oom_count, device memory on a CPU) is 0/0, and its JSON
     * writer prints NaN, which is not JSON: JSON.parse in CI tools such as
     * github-action-benchmark rejects the whole file.  A series with no
     * spread has a coefficient of variation of 0 by convention. */
    static std::vector<Run> without_non_finite(const std::vector<Run> &runs)
    {
        std::vector<Run> out = runs;
        for (Run &run : out)
            for (auto &counter : run.counters)
                if (!std::isfinite(counter.second.value))
                    counter.second.value = 0;
        return out;
    }

    void Finalize() override
    {
        if (json_ != nullptr)
            json_->Finalize();
        if (console_ != nullptr)
            console_->Finalize();
    }

private:
    void forward(const Run &run)
    {
        // The strings must outlive the callback, so they live here until it
        // returns.
        const std::string name = run.benchmark_name();
        const std::string run_name = run.run_name.str();
        bool error = false;
        const std::string *message = nullptr;
        mb_run_error(run, &error, &message);

        std::vector<const char *> names;
        std::vector<double> values;
        names.reserve(run.counters.size());
        values.reserve(run.counters.size());
        for (const auto &kv : run.counters) {
            names.push_back(kv.first.c_str());
            values.push_back(kv.second.value);
        }

        mb_gb_run_report rep{};
        rep.name = name.c_str();
        rep.run_name = run_name.c_str();
        rep.aggregate = run.run_type == Run::RT_Aggregate ? run.aggregate_name.c_str() : "";
        rep.repetition_index = static_cast<int>(run.repetition_index);
        rep.iterations = static_cast<int64_t>(run.iterations);
        rep.real_time = run.GetAdjustedRealTime();
        rep.cpu_time = run.GetAdjustedCPUTime();
        rep.time_unit = benchmark::GetTimeUnitString(run.time_unit);
        rep.error_occurred = error;
        rep.error_message = message->c_str();
        rep.n_counters = names.size();
        rep.counter_names = names.data();
        rep.counter_values = values.data();
        opt_->on_run(&rep, opt_->on_run_arg);
    }

    const mb_gb_run_options *opt_;
    benchmark::BenchmarkReporter *json_;
    benchmark::BenchmarkReporter *console_;
};

// Google Benchmark reports a bad filter only on its error stream and then
// runs nothing; checking the expression first turns that into an error code.
bool mb_filter_is_valid(const char *filter)
{
    regex_t re;
    if (regcomp(&re, filter, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    regfree(&re);
    return true;
}

int mb_gb_run_impl(const mb_gb_run_options *opt, mb_err *err)
{
    std::ofstream json_file;
    std::unique_ptr<benchmark::JSONReporter> json;
    if (opt->json_out != nullptr) {
        json_file.open(opt->json_out, std::ios::out | std::ios::trunc);
        if (!json_file.is_open())
            return mb_err_set(err, MB_EIO, "cannot open %s for writing", opt->json_out);
        json.reset(new benchmark::JSONReporter());
        json->SetOutputStream(&json_file);
        json->SetErrorStream(&json_file);
    }

    std::unique_ptr<benchmark::ConsoleReporter> console;
    if (opt->console) {
        // Colour only on a terminal, as Google Benchmark's own default does,
        // so that logs captured by CI stay free of escape sequences.
        const auto options = isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                   : benchmark::ConsoleReporter::OO_Tabular;
        console.reset(new benchmark::ConsoleReporter(options));
    }

    std::string spec = ".";
    if (opt->filter != nullptr && opt->filter[0] != '\0') {
        if (!mb_filter_is_valid(opt->filter))
            return mb_err_set(err, MB_EINVAL, "invalid benchmark filter regex: %s", opt->filter);
        spec = opt->filter;
    }

    MbReporter display(opt, json.get(), console.get());
    const size_t n = benchmark::RunSpecifiedBenchmarks(&display, nullptr, spec);

    if (json) {
        json_file.close();
        if (json_file.fail())
            return mb_err_set(err, MB_EIO, "cannot write %s", opt->json_out);
    }
    return static_cast<int>(n);
}

} // namespace

extern "C" {

int mb_gb_register(const char *name, mb_gb_fn fn, void *arg, const mb_gb_options *opt,
                   mb_err *err) noexcept
{
    if (name == nullptr || name[0] == '\0' || fn == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_gb_register: name and function are required");
    const mb_gb_options defaults{};
    if (opt == nullptr)
        opt = &defaults;
    if (opt->iterations < 0 || opt->repetitions < 0)
        return mb_err_set(err, MB_EINVAL, "benchmark %s: negative iterations or repetitions",
                          name);
    return mb_cxx_guard(
        err,
        [&]() -> int {
            benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
                name, [fn, arg](benchmark::State &s) {
                    mb_gb_state st{&s, false};
                    fn(&st, arg);
                });
            if (opt->iterations > 0)
                b->Iterations(opt->iterations);
            if (opt->repetitions > 0)
                b->Repetitions(opt->repetitions);
            if (opt->use_manual_time)
                b->UseManualTime();
            if (opt->use_real_time)
                b->UseRealTime();
            b->Unit(mb_to_gb_unit(opt->unit));
            if (opt->aggregates_only)
                b->ReportAggregatesOnly(true);
            return 0;
        },
        [name](mb_err *e) {
            char context[160];
            std::snprintf(context, sizeof context, "benchmark %s: while registering", name);
            return mb_cxx_translate(e, MB_EIO, MB_ENOMEM, context);
        });
}

void mb_gb_clear(void) noexcept
{
    // Clearing only destroys registrations; nothing can be reported from
    // a void function, and a failure leaves the registry as it was.
    mb_cxx_best_effort([&] {
        benchmark::ClearRegisteredBenchmarks();
    });
}

bool mb_gb_keep_running(mb_gb_state *st) noexcept
{
    st->started = true;
    return st->st->KeepRunning();
}

/* Google Benchmark counts a run that never entered its loop as 0
 * iterations, and its aggregates then abort on a repetition whose count
 * differs from the others (statistics.cc: "run_iterations == run.iterations",
 * checked before skipped runs are set aside).  Entering the loop first makes
 * a skipped run report the same count as its siblings. */
static void enter_loop(mb_gb_state *st)
{
    if (!st->started) {
        st->started = true;
        st->st->KeepRunning();
    }
}

void mb_gb_set_iteration_time(mb_gb_state *st, double seconds) noexcept
{
    st->st->SetIterationTime(seconds);
}

void mb_gb_pause_timing(mb_gb_state *st) noexcept
{
    st->st->PauseTiming();
}

void mb_gb_resume_timing(mb_gb_state *st) noexcept
{
    st->st->ResumeTiming();
}

int64_t mb_gb_iterations(const mb_gb_state *st) noexcept
{
    return static_cast<int64_t>(st->st->iterations());
}

int64_t mb_gb_max_iterations(const mb_gb_state *st) noexcept
{
    return static_cast<int64_t>(st->st->max_iterations);
}

void mb_gb_set_counter(mb_gb_state *st, const char *name, double value, int flags) noexcept
{
    if (name == nullptr)
        return;
    // A counter that cannot be allocated is dropped; the run itself stays
    // valid and the missing column shows in the report.
    mb_cxx_best_effort([&] {
        st->st->counters[name] = benchmark::Counter(value, mb_to_gb_flags(flags));
    });
}

void mb_gb_set_label(mb_gb_state *st, const char *label) noexcept
{
    // Same reasoning as for counters: a label is decoration.
    mb_cxx_best_effort([&] {
        st->st->SetLabel(label != nullptr ? label : "");
    });
}

void mb_gb_set_items_processed(mb_gb_state *st, int64_t items) noexcept
{
    // Same reasoning as for counters.
    mb_cxx_best_effort([&] {
        st->st->SetItemsProcessed(items);
    });
}

void mb_gb_skip_unreported(mb_gb_state *st) noexcept
{
    // As in mb_gb_skip_with_error.
    mb_cxx_best_effort([&] {
        enter_loop(st);
        st->st->SkipWithError(kUnreported);
    });
}

void mb_gb_skip_with_error(mb_gb_state *st, const char *message) noexcept
{
    // Only copying the message can throw, and only when memory is
    // exhausted; there is then nothing left to record it with.
    mb_cxx_best_effort([&] {
        enter_loop(st);
        st->st->SkipWithError(message != nullptr ? message : "error");
    });
}

void mb_gb_add_context(const char *key, const char *value) noexcept
{
    if (key == nullptr || value == nullptr)
        return;
    // The context is descriptive; losing one key must not stop a run.
    mb_cxx_best_effort([&] {
        benchmark::AddCustomContext(key, value);
    });
}

int mb_gb_run(const mb_gb_run_options *opt, mb_err *err) noexcept
{
    const mb_gb_run_options defaults{};
    if (opt == nullptr)
        opt = &defaults;
    return mb_cxx_guard(
        err, [&]() -> int { return mb_gb_run_impl(opt, err); },
        [](mb_err *e) { return mb_cxx_translate(e, MB_EIO, MB_ENOMEM, "google benchmark"); });
}

} // extern "C"

// The one exception boundary of the two C++ shims (the torch/ files,
// bench/gbench_c.cc).  Their extern "C" functions are declared MB_NOEXCEPT
// and run their bodies through mb_cxx_guard, so no C++ exception ever
// reaches the C harness: each becomes an mb_err (DESIGN.md section 2).
//
// A shim with exceptions of its own (libtorch's c10::Error) passes a
// translator that catches those first and hands the rest to
// mb_cxx_translate, the usual "Lippincott function" shape: it is called
// inside a catch (...) block and rethrows the exception being handled.
#ifndef MB_CXX_GUARD_HPP
#define MB_CXX_GUARD_HPP

#include "mb_error.h"

#include <exception>
#include <new>

// Turns the exception being handled into err: an allocation failure into
// oom_code, anything else into code.  context prefixes the message ("what
// failed: "), or nothing when it is null.  Call only inside a catch block.
inline int mb_cxx_translate(mb_err *err, int code, int oom_code, const char *context) noexcept
{
    const char *sep = context != nullptr ? ": " : "";
    if (context == nullptr)
        context = "";
    try {
        throw;
    } catch (const std::bad_alloc &e) {
        return mb_err_set(err, oom_code, "%s%sout of memory (%s)", context, sep, e.what());
    } catch (const std::exception &e) {
        return mb_err_set(err, code, "%s%s%s", context, sep, e.what());
    } catch (...) {
        return mb_err_set(err, code, "%s%sunknown C++ exception", context, sep);
    }
}

// Runs body (returning int: 0 or an MB_E* code set in err) and, when it
// throws, returns translate(err) instead.  translate must not throw.
template <class Body, class Translate>
int mb_cxx_guard(mb_err *err, Body &&body, Translate &&translate) noexcept
{
    try {
        return body();
    } catch (...) {
        return translate(err);
    }
}

// For a void function that has nowhere to report to: runs body and drops any
// exception.  The caller says in a comment why losing the effect is safe.
template <class Body>
void mb_cxx_best_effort(Body &&body) noexcept
{
    try {
        body();
    } catch (...) {
    }
}

#endif

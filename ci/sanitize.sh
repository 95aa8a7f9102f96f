#!/usr/bin/env bash
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan (Debug) and runs the whole test suite through CTest, the
# integration tests included: they start the sanitized worker, so the
# worker's job loop runs under ASan too.  Idempotent: an existing build is
# reused and only rebuilt.
#
# libtorch, OpenMP and OpenBLAS are not built with ASan; their few
# process-lifetime allocations are suppressed by ci/lsan.supp, which names
# third-party libraries only: a leak in project code still fails.
#
# Environment: BUILD_DIR (default build-asan), CTEST_ARGS (extra ctest
# arguments, e.g. "-L unit"), CI=true turns warnings into errors.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build-asan}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DMPSBENCH_SANITIZE=address,undefined \
  -DMPSBENCH_WERROR=$werror >/dev/null
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
cmake --build "$build" -j "$jobs"

# Children (the worker) inherit these.  halt_on_error turns a UBSan report
# into a failing exit instead of a line in a log nobody reads.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_init_order=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$root/ci/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
rc=0
# shellcheck disable=SC2086
# The workflow lints and the portability check have no C to sanitize and
# run in the main suite; here they would look for their tools in the wrong
# build folder.
ctest --test-dir "$build" --output-on-failure --timeout 600 -j "$jobs" -LE '^(ci|portability)$' \
  ${CTEST_ARGS:-} || rc=$?
./ci/skip-reasons.sh "$build"
exit "$rc"

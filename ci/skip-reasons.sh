#!/usr/bin/env bash
# Prints why the tests of the last ctest run in BUILD_DIR skipped: CTest
# names a skipped test but shows none of its output, and each skip of ours
# prints one "SKIP: reason" line (harness/testing/mb_test_main.h).
#
#   ci/skip-reasons.sh BUILD_DIR
set -euo pipefail
log=${1:?usage: ci/skip-reasons.sh BUILD_DIR}/Testing/Temporary/LastTest.log
[ -f "$log" ] || exit 0
reasons=$(grep -h '^SKIP: ' "$log" | sort | uniq -c | sort -rn || true)
[ -n "$reasons" ] || exit 0
echo "Why tests skipped (count, reason):"
printf '%s\n' "$reasons"

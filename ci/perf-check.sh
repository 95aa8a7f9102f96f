#!/usr/bin/env bash
# The perf check the CI workflows in ci/github/ run after the tests: one
# `mpsbench run` of a scenario, then `mpsbench compare` against the
# committed baseline of this machine when there is one.
#
#   ci/perf-check.sh SCENARIO [DEVICE_LIST]
#
# Environment:
#   BUILD_DIR                  build folder holding bin/mpsbench (default build)
#   MPSBENCH_OUT               run directory (default results/runs/ci), emptied first
#   MPSBENCH_BASELINE          baseline key (results/baselines/<key>.json) or a path
#   MPSBENCH_REQUIRE_BASELINE  "true": a missing baseline fails instead of warning
#   MPSBENCH_REQUIRE_DEVICES   comma list, e.g. "mps": a cell of one of these
#                              devices that was skipped (device unusable) fails
#                              the check; needs jq.  For machines that must have
#                              the device, such as a self-hosted Mac.
#
# Exit status: the first failure wins.  `run` exits 1 on an unexpected OOM,
# crash or timeout, 2 on a bad scenario, 3 on an infrastructure failure;
# `compare` exits 1 on a regression, 2 on a bad or corrupt file or when no
# cell was comparable; inconclusive cells are 0 with a notice.  A
# missing baseline is a warning (the first run on a new machine has none)
# unless MPSBENCH_REQUIRE_BASELINE=true.  `run` itself appends summary.md to
# $GITHUB_STEP_SUMMARY; this script adds the comparison below it.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SCENARIO [DEVICE_LIST]" >&2
  exit 2
fi
scenario=$1
devices=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${BUILD_DIR:-build}/bin/mpsbench
out=${MPSBENCH_OUT:-results/runs/ci}

# Annotations reach the GitHub job page; elsewhere they are plain lines.
note() { echo "::$1::$2"; }
summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"; fi
}

[ -x "$bin" ] || { echo "perf-check: $bin is missing; build first (ci/setup.sh build)" >&2; exit 3; }
rm -rf "$out"

run_args=(run "$scenario" --out "$out")
[ -n "$devices" ] && run_args+=(--device "$devices")
echo "perf-check: $bin ${run_args[*]}"
run_rc=0
"$bin" "${run_args[@]}" || run_rc=$?
case $run_rc in
  0) ;;
  1) note error "mpsbench run: an expectation failed (unexpected OOM, crash, timeout or bad image); see $out/junit.xml" ;;
  *) note error "mpsbench run exited $run_rc (2 bad scenario or usage, 3 infrastructure)" ;;
esac

# A scenario without `require:` skips the cells of an unusable device, which
# is right on a hosted runner and wrong on a machine bought for that device.
required=${MPSBENCH_REQUIRE_DEVICES:-}
if [ -n "$required" ]; then
  if ! command -v jq >/dev/null; then
    note error "MPSBENCH_REQUIRE_DEVICES is set but jq is missing (ci/setup.sh installs it)"
    [ "$run_rc" -eq 0 ] && run_rc=3
  elif [ -f "$out/run.json" ]; then
    skipped=$(jq -r --arg req "$required" '($req | split(",")) as $r
      | .cells[] | select(.verdict == "skipped" and (.device as $d | $r | index($d)))
      | .name' "$out/run.json")
    if [ -n "$skipped" ]; then
      note error "required device ($required) unusable, cells skipped: $(echo "$skipped" | tr '\n' ' ')"
      summary "" "**Perf check:** required device ($required) was unusable; its cells were skipped."
      [ "$run_rc" -eq 0 ] && run_rc=1
    fi
  fi
fi

baseline=${MPSBENCH_BASELINE:-}
case $baseline in
  "") ;;
  */*|*.json) ;;
  *) baseline=results/baselines/$baseline.json ;;
esac

compare_rc=0
if [ -z "$baseline" ] || [ ! -f "$baseline" ]; then
  msg="no baseline ${baseline:-configured} for this machine: the run was not compared (see README, CI on GitHub)"
  if [ "${MPSBENCH_REQUIRE_BASELINE:-}" = "true" ]; then
    note error "$msg"
    compare_rc=2
  else
    note warning "$msg"
  fi
  summary "" "**Perf check:** $msg."
elif [ ! -f "$out/results.json" ]; then
  note error "no $out/results.json to compare (mpsbench run exited $run_rc)"
  compare_rc=3
else
  echo "perf-check: $bin compare $baseline $out/results.json"
  "$bin" compare "$baseline" "$out/results.json" >"$out/compare.txt" 2>&1 || compare_rc=$?
  cat "$out/compare.txt"
  case $compare_rc in
    0) if grep -q "Notice: .* inconclusive" "$out/compare.txt"; then
         verdict="no regression; some cells inconclusive (noise above the threshold)"
       else
         verdict="no regression"
       fi ;;
    1) verdict="REGRESSION"; note error "mpsbench compare: a regression against $baseline" ;;
    2) verdict="bad input or nothing comparable"; note error "mpsbench compare: bad input or no comparable cell ($baseline or $out/results.json)" ;;
    *) verdict="failed ($compare_rc)"; note error "mpsbench compare exited $compare_rc" ;;
  esac
  summary "" "### Compared with \`$baseline\`: $verdict" "" '```' "$(cat "$out/compare.txt")" '```'
fi

[ "$run_rc" -ne 0 ] && exit "$run_rc"
exit "$compare_rc"

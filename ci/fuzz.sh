#!/usr/bin/env bash
# Builds the libFuzzer targets (harness/fuzz) with clang in build-fuzz and runs
# each for FUZZ_SECONDS (default 30), as many at once as there are cores.
# Fails on any crash, leak, timeout or broken invariant, leaving the input
# under build-fuzz/artifacts/<target>/.
# Idempotent: the configured build and the corpus grown by earlier runs
# (build-fuzz/corpus/<target>) are reused; the seeds in fixtures/fuzz are
# only read.
#
#   ci/fuzz.sh                   every target, FUZZ_SECONDS each
#   ci/fuzz.sh fuzz_protocol     only the named targets
#
# Environment: FUZZ_SECONDS, BUILD_DIR (default build-fuzz), CI=true turns
# warnings into errors.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
case "$seconds" in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac
all_targets=(fuzz_scenario fuzz_protocol fuzz_oom_parser)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

# Dictionaries are per input language, not per target.
declare -A dict=([fuzz_scenario]=yaml.dict [fuzz_protocol]=json.dict [fuzz_oom_parser]=oom.dict)

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT

# libFuzzer ships in compiler-rt, which Debian packages apart from clang.
have_libfuzzer() {
  command -v clang >/dev/null || return 1
  printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    > "$probe/probe.c"
  clang -fsanitize=fuzzer "$probe/probe.c" -o "$probe/probe" >/dev/null 2>&1
}

if ! have_libfuzzer; then
  if command -v apt-get >/dev/null; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "fuzz: installing clang libclang-rt-dev"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends clang libclang-rt-dev
  fi
  have_libfuzzer || { echo "fuzz: clang with libFuzzer (compiler-rt) is required" >&2; exit 3; }
fi

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DMPSBENCH_FUZZ=ON \
  -DMPSBENCH_WERROR=$werror >/dev/null
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

total=0
failed=()
# fuzz_target T: runs one target, its exit code in logs/T.rc.
fuzz_target() {
  local t=$1 rc=0
  local corpus="$build/corpus/$t" artifacts="$build/artifacts/$t" log="$build/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$artifacts/")
  [ -n "${dict[$t]:-}" ] && args+=(-dict="fixtures/fuzz/${dict[$t]}")
  # New inputs go to the first folder (the build's), never to the seeds.
  "$build/fuzz/$t" "${args[@]}" "$corpus" "fixtures/fuzz/$t" >"$log" 2>&1 || rc=$?
  echo "$rc" >"$build/logs/$t.rc"
}

# report_target T: says how T went and counts its executions.
report_target() {
  local t=$1 rc execs
  local log="$build/logs/$t.log"
  rc=$(cat "$build/logs/$t.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  total=$((total + execs))
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc) after $execs executions; log $log, input in $build/artifacts/$t/" >&2
    tail -n 60 "$log" >&2
    failed+=("$t")
  else
    echo "fuzz: $t ok: $execs executions, corpus $(find "$build/corpus/$t" -type f | wc -l) inputs"
  fi
}

# A fuzzer uses one core: as many run at once as there are cores, each
# still for the whole FUZZ_SECONDS.
running=()
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s"
  fuzz_target "$t" &
  running+=("$t")
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait
    for r in "${running[@]}"; do report_target "$r"; done
    running=()
  fi
done
wait
for r in "${running[@]}"; do report_target "$r"; done
echo "fuzz: total executions: $total in ${#targets[@]} targets x ${seconds}s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi

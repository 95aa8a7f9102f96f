#!/usr/bin/env bash
# Builds, tests and benchmarks mpsbench on a lent GPU machine (Ubuntu 24.04,
# CUDA, a torch wheel in /opt/torch/.venv, no package registry), for issue 7.
#
#   ci/gpu-machine.sh [all|build|test|targets|reference|parity|detector]...   (default: all)
#
# all        build, test, targets and reference; each step's seconds go to
#            summary.txt.  On the H200 (2026-12-02 06:38) build 63 s, test
#            85 s, targets 262 s, reference 216 s (gpu-vs-cpu at 3 jobs x 2
#            repetitions): about 10.5 minutes, so on a lent machine whose
#            commands stop at 10 it runs detached (setsid) and a second
#            command waits for its exit status.
#            The detector and the CPU parity are steps of their own: they
#            measure the CPU for minutes.
# build      unpack the carried Debian 12 .deb files (.debs/, made here with
#            `apt-get download`, see below) into a prefix, configure against
#            the wheel's libtorch, build
# test       ctest, CUDA tests included (they must run, not skip)
# targets    every anchor in this run on this card: the forward-only ceiling
#            of the worker's ResNet-50 (mpsbench-microbench) and of
#            torchvision's (harness/bench/torchvision_forward.py, same torch),
#            mpsbench-decode-bench (host decode against nvJPEG, 12 MP and
#            224x224), scenarios/gpu-e2e.yaml (decode: auto, so nvJPEG) and
#            gpu-e2e-host.yaml (decode: host) through the queue, the service's real
#            pipeline, the stock RQ SimpleWorker through Redis
#            (scenarios/gpu-rq.yaml, gpu-rq-12mp.yaml: PIL draft mode on and
#            off); then the ratios (targets.md, harness/bench/gpu_targets.py)
# reference  scenarios/gpu-watermark-sweep.yaml, gpu-vs-cpu.yaml and
#            oom-frontier.yaml on CUDA (the cap is a real CUDA memory fraction)
# parity     the CPU forward of the worker's ResNet-50 against torchvision's
#            on the same torch in duet rounds: both at once, each on its own
#            CPU pair (2,3 and 4,5, swapped every round) with 2 threads,
#            batch 16 at 224x224, NCHW and channels-last; parity.md has each
#            round's ratio and the verdict (harness/bench/parity_rounds.py)
# detector   mpsbench-bench-detector pinned to CPUs 2 and 3 (taskset; the
#            target machine has 2 cores) on this machine's quiet CPU, within
#            $DETECTOR_SECONDS (default 480) in all: --mode fresh (new workers
#            every round, measured live) for 60% of it, then the variants
#            that look for the cause of a worker's lasting offset (default,
#            decode1, bind, noaslr, nothp, rotated) for the rest; each stops
#            starting rounds 40 s before its share ends, leaving the analysis
#            its time.  Writes detector-fresh.{txt,json}, detector-variants.
#            {txt,json} and their raw rounds (*-rounds.json, written before the
#            analysis: `mpsbench-bench-detector --replay FILE --json ...`
#            analyses them again elsewhere).  DETECTOR_DESIGN=sessions runs
#            the replayed designs instead (--mode all: detector.{txt,json},
#            detector-rounds.json).  $DETECTOR_ARGS adds options to each.
#            DETECTOR_STREAMS (default nproc/2, at most 8) > 1 replaces the
#            above: that many --mode fresh detectors side by side, stream i
#            pinned to its own CPU pair (DETECTOR_CPUS="2,3 4,5 ..." to
#            choose), each saving detector-stream<i>-rounds.json after every
#            round, all cut (SIGINT) 60 s before DETECTOR_SECONDS; then one
#            pooled --replay analysis: detector-streams.{txt,json}, the
#            independent verdicts as its headline, at DETECTOR_RESAMPLES
#            (200) resampled windows: repeat it elsewhere for 2000.  `lscpu -e` goes into
#            summary.txt (is a pair one physical core?).  DETECTOR_STREAMS=1
#            is the single-stream step above.
#
# Everything it writes goes under $OUT (default results/runs/gpu-machine):
# logs, Google Benchmark JSON, and runs.tar.gz with the run directories
# (charts are made elsewhere: gnuplot is not on that machine).  The .deb files
# come from a Debian 12 machine:
#   mkdir -p .debs && cd .debs && apt-get download libhiredis0.14 \
#     libhiredis-dev redis-server redis-tools liblzf1 libjemalloc2 liburing2 \
#     libsystemd0 libcmocka0 libcmocka-dev libyaml-0-2 libyaml-dev libjansson4 \
#     libjansson-dev libbenchmark1debian libbenchmark-dev libturbojpeg0 \
#     libturbojpeg0-dev libjpeg62-turbo libjpeg62-turbo-dev libpng16-16 \
#     libpng-dev zlib1g-dev pkgconf pkgconf-bin libpkgconf3 \
#     python3-rq python3-redis python3-click python3-async-timeout \
#     python3-deprecated
# (the last five are pure Python: rq and redis-py for the RQ worker, run by
# the wheel's python3, which has torch and torchvision but not these)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/results/runs/gpu-machine}
PREFIX=${MPSBENCH_PREFIX:-/tmp/mpsbench-prefix}
BUILD=${MPSBENCH_BUILD:-$ROOT/build-gpu}
DEBS=${MPSBENCH_DEBS:-$ROOT/.debs}
RUNS=${MPSBENCH_RUNS:-/tmp/mpsbench-runs}
export MPSBENCH_CACHE=${MPSBENCH_CACHE:-/tmp/mpsbench-cache}
PY=/opt/torch/.venv/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
JOBS=$(nproc)
mkdir -p "$OUT" "$RUNS"
status=0

note() { printf '== %s\n' "$*" | tee -a "$OUT/summary.txt"; }
# Runs one step and notes its seconds, so that `all` can be held to its limit.
timed() {
    local t0=$SECONDS rc
    "$@"
    rc=$?
    note "$1: $((SECONDS - t0)) s"
    return $rc
}

# The Debian packages unpack into $PREFIX; pkg-config then sees only them,
# through a sysroot, so their .pc files (prefix=/usr) need no rewriting.
setup_env() {
    local multi=$PREFIX/usr/lib/x86_64-linux-gnu
    if [ ! -e "$PREFIX/.unpacked" ]; then
        mkdir -p "$PREFIX"
        for deb in "$DEBS"/*.deb; do dpkg -x "$deb" "$PREFIX" || return 1; done
        touch "$PREFIX/.unpacked"
    fi
    export PATH=$PREFIX/usr/bin:$PATH
    export LD_LIBRARY_PATH=$multi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export PKG_CONFIG_LIBDIR=$multi/pkgconfig:$PREFIX/usr/share/pkgconfig
    export PKG_CONFIG_SYSROOT_DIR=$PREFIX
    # Some headers are included by their folder (<hiredis/hiredis.h>) while
    # the .pc files name the folder itself: the compiler searches the prefix
    # as it would /usr/include.
    export CPATH=$PREFIX/usr/include${CPATH:+:$CPATH}
    export LIBRARY_PATH=$multi${LIBRARY_PATH:+:$LIBRARY_PATH}
    command -v pkg-config >/dev/null || ln -sf pkgconf "$PREFIX/usr/bin/pkg-config"
}

do_build() {
    local torch_prefix
    torch_prefix=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)') || return 1
    note "torch $("$PY" -c 'import torch; print(torch.__version__, torch.version.cuda)')"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
        | tee -a "$OUT/summary.txt"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_PREFIX_PATH="$torch_prefix;$PREFIX/usr" \
        -DCUDAToolkit_ROOT=/usr/local/cuda -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc \
        >"$OUT/configure.log" 2>&1 || { tail -40 "$OUT/configure.log"; return 1; }
    grep -E "mb_torch: libtorch has CUDA" "$OUT/configure.log" || note "WARNING: no CUDA in mb_torch"
    # shellcheck disable=SC2086 # MPSBENCH_TARGETS: a list of targets, default all
    cmake --build "$BUILD" -j"$JOBS" ${MPSBENCH_TARGETS:+--target $MPSBENCH_TARGETS} \
        >"$OUT/build.log" 2>&1 || { grep -E "error" "$OUT/build.log" | head -30; return 1; }
    note "build ok"
}

do_test() {
    (cd "$BUILD" && ctest -j8 --timeout 600 --output-on-failure) >"$OUT/ctest.log" 2>&1
    local rc=$?
    "$ROOT/ci/skip-reasons.sh" "$BUILD" | tee -a "$OUT/summary.txt"
    grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(Skipped\)|Total Test time" "$OUT/ctest.log" | tee -a "$OUT/summary.txt"
    # The CUDA cases must have run: a skip here is a failure of this script.
    # CTest lists every skipped case by name ("test_torch/test_cuda (Skipped)").
    if grep -E "(test_cuda|cuda_worker_serves_jobs).*\(Skipped\)" "$OUT/ctest.log"; then
        note "FAIL: CUDA tests were skipped"; rc=1
    fi
    "$BUILD/harness/torch/test_torch" --run test_cuda_precisions >"$OUT/test_torch_cuda.log" 2>&1
    grep -E "worst cosine|cuda:" "$OUT/test_torch_cuda.log" | tee -a "$OUT/summary.txt"
    return $rc
}

# The RQ worker runs as `python3 -m rq.cli`: python3 is the wheel's
# interpreter (torch, torchvision, PIL), rq and redis-py come from the
# carried .debs.
rq_env() {
    local dist=$PREFIX/usr/lib/python3/dist-packages
    [ -d "$dist/rq" ] || { note "no python3-rq in $DEBS: the RQ anchors are not measured"; return 1; }
    export PATH=$(dirname "$PY"):$PATH
    export PYTHONPATH=$dist${PYTHONPATH:+:$PYTHONPATH}
}

run_scenario() {  # NAME [mpsbench run options...]
    local name=$1
    shift
    rm -rf "${RUNS:?}/$name"
    "$BUILD/bin/mpsbench" run "$ROOT/scenarios/$name.yaml" --out "$RUNS/$name" --no-charts "$@" \
        >"$OUT/$name.log" 2>&1
    local rc=$?
    note "$name: exit $rc"
    [ $rc -eq 0 ] || { tail -20 "$OUT/$name.log"; status=1; }
}

do_targets() {
    local bin=$BUILD/bin card
    card=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)
    note "card: $card"
    "$bin/mpsbench-microbench" --out "$OUT/microbench.json" --batches 1,8,16,32,64 \
        >"$OUT/microbench.log" 2>&1 || { tail -20 "$OUT/microbench.log"; status=1; }
    PYTHONUNBUFFERED=1 "$PY" "$ROOT/harness/bench/torchvision_forward.py" --device cuda \
        --batches 1,8,16,32,64 --json "$OUT/torchvision.json" 2>&1 | tee -a "$OUT/summary.txt"
    local size
    for size in 4032x3024 224x224; do
        # The fixtures of `mpsbench run` (its image cache), made once here.
        "$bin/mpsbench-decode-bench" --size "$size" --images 128 --batch 32 \
            --dir "$MPSBENCH_CACHE/jpeg" --json "$OUT/decode-$size.json" \
            2>&1 | tee -a "$OUT/summary.txt" || status=1
    done
    run_scenario gpu-e2e
    run_scenario gpu-e2e-host
    if (rq_env); then
        (rq_env && run_scenario gpu-rq && run_scenario gpu-rq-12mp) || status=1
    fi
    "$PY" "$ROOT/harness/bench/gpu_targets.py" --card "$card" --microbench "$OUT/microbench.json" \
        --torchvision "$OUT/torchvision.json" --e2e "$RUNS/gpu-e2e" \
        --e2e-host "$RUNS/gpu-e2e-host" --decode "$OUT/decode-4032x3024.json" \
        --decode "$OUT/decode-224x224.json" --rq "$RUNS/gpu-rq" \
        --rq "$RUNS/gpu-rq-12mp" >"$OUT/targets.md" && cat "$OUT/targets.md"
}

# Duet rounds (harness/bench/parity_rounds.py says why): in each round the
# worker's forward and torchvision's run at the same time, each on its own
# CPU pair with 2 threads, batch 16 at 224x224, the pairs swapped every
# round; PARITY_ROUNDS rounds of NCHW, then of channels-last.
do_parity() {
    local rounds=${PARITY_ROUNDS:-5} pairs cl fmt r
    local args=()
    read -r -a pairs <<<"${PARITY_CPUS:-2,3 4,5}"
    for cl in "" --channels-last; do
        fmt=${cl:+channels-last}
        fmt=${fmt:-nchw}
        args+=(--format "$fmt")
        for ((r = 1; r <= rounds; r++)); do
            local w=${pairs[$((r % 2))]} t=${pairs[$(((r + 1) % 2))]}
            local wj=$OUT/parity-$fmt-$r-worker.json tj=$OUT/parity-$fmt-$r-torchvision.json
            # shellcheck disable=SC2086 # $cl is an option or nothing
            taskset -c "$w" "$BUILD/bin/mpsbench-microbench" --device cpu --batches 16 \
                --precisions fp32 --iterations 10 --filter "forward/" --out "$wj" $cl \
                >>"$OUT/parity.log" 2>&1 &
            local wpid=$!
            # shellcheck disable=SC2086
            taskset -c "$t" "$PY" "$ROOT/harness/bench/torchvision_forward.py" --device cpu \
                --threads 2 --batches 16 --min-time 8 --min-iters 3 $cl \
                --json "$tj" >>"$OUT/parity.log" 2>&1 || status=1
            wait "$wpid" || status=1
            args+=("$wj" "$tj")
        done
    done
    "$PY" "$ROOT/harness/bench/parity_rounds.py" "${args[@]}" >"$OUT/parity.md" || status=1
    tee -a "$OUT/summary.txt" <"$OUT/parity.md"
    # At most 8 files come back: the rounds travel as one archive.
    (cd "$OUT" && tar czf parity-rounds.tar.gz --remove-files -- parity-*.json)
}

# One detector run pinned to the CPUs, bounded by its share of the time
# (SIGINT then; the finished rounds or sessions are kept): detector_run NAME
# SECONDS OPTION...
detector_run() {
    local name=$1 seconds=$2 cpus=${DETECTOR_CPUS:-2,3}
    shift 2
    # shellcheck disable=SC2086 # DETECTOR_ARGS is a list of options
    timeout -s INT -k 30 "$seconds" taskset -c "$cpus" \
        "$BUILD/bin/mpsbench-bench-detector" "$@" --json "$OUT/$name.json" \
        --rounds-out "$OUT/$name-rounds.json" \
        --machine-note "$(nproc)-CPU $(uname -m) machine with nothing else running; the detector and its workers pinned to CPUs $cpus with taskset" \
        ${DETECTOR_ARGS:-} >"$OUT/$name.txt" 2>"$OUT/$name.log"
    note "$name: exit $?"
    cat "$OUT/$name.txt"
}

# DETECTOR_STREAMS detectors side by side (--mode fresh, live rounds), stream
# i pinned to its own pair of CPUs (DETECTOR_CPUS: a space-separated list of
# taskset lists, default pairs from CPU 2 up, leaving 0 and 1 to the system
# where there is room), all cut with SIGINT at DETECTOR_SECONDS less the
# analysis' share; each saves its rounds after every round, so a cut stream
# keeps them.  Then one pooled --replay of every stream's rounds.
detector_streams() {
    local total=$1 n=$2 cpus=${DETECTOR_CPUS:-} i pids=()
    if [ -z "$cpus" ]; then
        local first=$(( $(nproc) >= 2 * n + 2 ? 2 : 0 ))
        for ((i = 0; i < n; i++)); do cpus+="$((first + 2 * i)),$((first + 2 * i + 1)) "; done
    fi
    read -r -a slices <<<"$cpus"
    [ "${#slices[@]}" -ge "$n" ] || { note "detector-streams: $n streams need $n CPU lists, DETECTOR_CPUS has ${#slices[@]}"; return 1; }
    { echo "CPUs (lscpu -e; a pair with one CORE value is one physical core's two threads):"
      lscpu -e 2>/dev/null || grep -H . /sys/devices/system/cpu/cpu*/topology/thread_siblings_list; } >>"$OUT/summary.txt"
    # The pooled analysis' time: its resampled verdicts (each with a
    # bootstrap) cost about 3 CPU-minutes at 2000 resamples whatever the
    # rounds, so it runs at DETECTOR_RESAMPLES (200); the rounds files come
    # back for the full analysis elsewhere.
    local measure=$((total > 120 ? total - 60 : total * 2 / 3))
    local listed="${slices[*]:0:$n}"
    for ((i = 0; i < n; i++)); do
        # shellcheck disable=SC2086 # DETECTOR_ARGS is a list of options
        timeout -s INT -k 30 "$measure" taskset -c "${slices[$i]}" \
            "$BUILD/bin/mpsbench-bench-detector" --mode fresh --rounds 100000 \
            --max-seconds $((measure > 30 ? measure - 10 : measure)) \
            --rounds-out "$OUT/detector-stream$i-rounds.json" --repetitions 24 --resamples 10 \
            --machine-note "stream $i of $n run side by side on a $(nproc)-CPU $(uname -m) machine (CPU lists $listed), not a quiet machine: the streams share memory bandwidth and caches; this stream and its workers pinned to CPUs ${slices[$i]} with taskset" \
            ${DETECTOR_ARGS:-} >"$OUT/detector-stream$i.txt" 2>"$OUT/detector-stream$i.log" &
        pids+=($!)
    done
    for ((i = 0; i < n; i++)); do
        wait "${pids[$i]}"
        note "detector-stream$i (CPUs ${slices[$i]}): exit $?"
    done
    local replay=()
    for ((i = 0; i < n; i++)); do
        [ -s "$OUT/detector-stream$i-rounds.json" ] && replay+=(--replay "$OUT/detector-stream$i-rounds.json")
    done
    [ "${#replay[@]}" -gt 0 ] || { note "detector-streams: no stream saved rounds"; return 1; }
    # shellcheck disable=SC2086 # DETECTOR_ARGS is a list of options
    timeout -s INT -k 10 $((total - measure > 20 ? total - measure : 20)) \
        "$BUILD/bin/mpsbench-bench-detector" --mode fresh "${replay[@]}" \
        --resamples "${DETECTOR_RESAMPLES:-200}" --json "$OUT/detector-streams.json" ${DETECTOR_ARGS:-} \
        >"$OUT/detector-streams.txt" 2>"$OUT/detector-streams.log"
    note "detector-streams (pooled analysis of $((${#replay[@]} / 2)) streams): exit $?"
    cat "$OUT/detector-streams.txt"
}

do_detector() {
    local total=${DETECTOR_SECONDS:-480}
    if [ "${DETECTOR_DESIGN:-fresh}" = sessions ]; then
        detector_run detector "$total" --mode all
        return
    fi
    local streams=${DETECTOR_STREAMS:-$(( $(nproc) / 2 > 8 ? 8 : $(nproc) / 2 ))}
    if [ "$streams" -gt 1 ]; then
        detector_streams "$total" "$streams"
        return
    fi
    local live=$((total * 6 / 10))
    local rest=$((total - live))
    detector_run detector-fresh "$live" --mode fresh --rounds 1000 \
        --max-seconds $((live > 150 ? live - 90 : live / 2))
    detector_run detector-variants "$rest" --mode fresh --rounds 1000 \
        --variants default,decode1,bind,noaslr,nothp --repetitions 8 --resamples 500 \
        --max-seconds $((rest > 80 ? rest - 40 : rest / 2))
}

# gpu-vs-cpu's CPU cells (ResNet-50 at batch 1 on the CPU) took 194 s of
# its 10 jobs x 3 repetitions alone: here it runs 3 jobs x 2 repetitions,
# as gpu-watermark-sweep does, so that `all` fits one 10-minute command.
# The overrides are recorded in each run.json ("overrides").
REFERENCE_ARGS=${REFERENCE_ARGS---jobs 3 --repetitions 2 --warmup-jobs 1}
do_reference() {
    local bin=$BUILD/bin
    for spec in gpu-watermark-sweep:cuda,cpu gpu-vs-cpu:cuda,cpu oom-frontier:cuda; do
        local name=${spec%%:*} devices=${spec#*:} args=()
        # shellcheck disable=SC2206 # REFERENCE_ARGS is a list of options
        [ "$name" = gpu-vs-cpu ] && args=($REFERENCE_ARGS)
        rm -rf "${RUNS:?}/$name"
        "$bin/mpsbench" run "$ROOT/scenarios/$name.yaml" --device "$devices" --out "$RUNS/$name" \
            --no-charts --quiet "${args[@]}" >"$OUT/$name.log" 2>&1
        note "$name ($devices${args[*]:+, ${args[*]}}): exit $?"
        tail -3 "$OUT/$name.log"
    done
}

pack() {
    # At most 8 files come back from the machine: the run directories travel
    # as one archive, without their logs (worker logs are in logs.tar.gz).
    (cd "$RUNS" && tar czf "$OUT/runs.tar.gz" --exclude='*/logs' -- */ 2>/dev/null)
    (cd "$RUNS" && tar czf "$OUT/logs.tar.gz" -- */logs 2>/dev/null)
    (cd "$OUT" && tar czf "$OUT/logs-misc.tar.gz" --remove-files -- *.log 2>/dev/null)
}

setup_env || { echo "cannot unpack $DEBS"; exit 3; }
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
for step in "${steps[@]}"; do
    case $step in
        all) timed do_build && { timed do_test || status=1; timed do_targets;
                                 timed do_reference; } || status=1 ;;
        build) timed do_build || status=1 ;;
        test) timed do_test || status=1 ;;
        targets) timed do_targets ;;
        reference) timed do_reference ;;
        parity) timed do_parity ;;
        detector) do_detector ;;
        *) echo "unknown step '$step'"; exit 2 ;;
    esac
done
pack
exit $status

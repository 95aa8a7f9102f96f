"""Prints issue 7's ratios from one GPU machine run: the end-to-end queued
throughput of mpsbench-worker (an `mpsbench run` of scenarios/gpu-e2e.yaml)
against the forward-only ceiling (mpsbench-microbench) and against the
Python RQ worker, both the DESIGN.md section 7 anchors and the figures
measured in the same run (rq_baseline.py).

    gpu_targets.py MICROBENCH.json RUN_DIR [PYTHON.json ...] > targets.md
"""

import json
import os
import sys

ANCHORS = {  # DESIGN.md section 7: Python RQ worker, one H100, batch 32
    "224x224": {"no draft": 534.0},
    "4032x3024": {"no draft": 5.8, "draft": 18.2},
}
FORWARD_ANCHOR = 5386.0


def median_of(run_dir, size):
    """Median images/s and mean stage times per job of the e2e cell."""
    with open(os.path.join(run_dir, "results.json")) as f:
        res = json.load(f)
    reps = [b for b in res["benchmarks"]
            if size in b["name"] and b.get("run_type") == "iteration"
            and not b.get("error_occurred")]
    if not reps:
        return None
    ips = sorted(b["images_per_second"] for b in reps)
    stages = {k: sum(b.get(k, 0.0) for b in reps) / len(reps)
              for k in ("decode_ms", "preprocess_ms", "transfer_ms", "forward_ms",
                        "latency_p50_ms")}
    return ips[len(ips) // 2], stages, len(reps)


def main():
    micro_path, run_dir = sys.argv[1], sys.argv[2]
    with open(micro_path) as f:
        micro = json.load(f)
    card = micro["context"].get("mpsbench_device_description", "?")
    fwd = {}
    for b in micro["benchmarks"]:
        name = b["name"]
        if name.startswith("forward/") and not b.get("error_occurred"):
            fwd[name.replace("/manual_time", "")] = b["images_per_second"]
    pythons = []
    for p in sys.argv[3:]:
        with open(p) as f:
            pythons.append(json.load(f))

    ceiling = fwd.get("forward/fp32/batch:32")
    print("# Issue 7 targets on %s\n" % card)
    print("forward-only ResNet-50 fp32 (mpsbench-microbench), img/s by batch:\n")
    print("| precision | " + " | ".join(
        "b%s" % n.split(":")[1] for n in fwd if n.startswith("forward/fp32/")) + " |")
    print("|---|" + "---|" * sum(1 for n in fwd if n.startswith("forward/fp32/")))
    for prec in ("fp32", "fp16", "bf16"):
        row = [v for n, v in fwd.items() if n.startswith("forward/%s/" % prec)]
        if row:
            print("| %s | " % prec + " | ".join("%.0f" % v for v in row) + " |")
    print("\n(DESIGN.md anchor: %.0f img/s fp32 batch 32 on an H100)\n" % FORWARD_ANCHOR)

    print("| source | mpsbench e2e img/s | vs forward b32 | Python same run | ratio | "
          "anchor (Python RQ) | ratio | per job ms: decode / preprocess (CPU, summed) "
          "/ transfer / forward (GPU) / latency p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for size in ("224x224", "4032x3024"):
        m = median_of(run_dir, size)
        if m is None:
            print("| %s | (no result) |" % size)
            continue
        ips, st, n = m
        same = [p for p in pythons if p["size"] == size]
        same_txt = "; ".join("%.1f (%s)" % (p["images_per_second"],
                                            "draft" if p["draft"] else "no draft")
                             for p in same) or "-"
        same_ratio = "; ".join("%.1fx" % (ips / p["images_per_second"]) for p in same) or "-"
        anchors = ANCHORS[size]
        anc_txt = "; ".join("%.1f (%s)" % (v, k) for k, v in anchors.items())
        anc_ratio = "; ".join("%.1fx" % (ips / v) for v in anchors.values())
        vs_fwd = "%.0f%%" % (100.0 * ips / ceiling) if ceiling else "-"
        print("| %s | %.0f | %s | %s | %s | %s | %s | %.0f / %.0f / %.1f / %.0f / %.0f |" % (
            size, ips, vs_fwd, same_txt, same_ratio, anc_txt, anc_ratio,
            st["decode_ms"], st["preprocess_ms"], st["transfer_ms"], st["forward_ms"],
            st["latency_p50_ms"]))
    print("\nTargets: e2e at 224x224 >= 80%% of forward-only; >= 5x Python RQ at 224x224; "
          ">= 20x at 4032x3024.")


if __name__ == "__main__":
    main()

"""Prints the performance targets of issues 7 and 18 from one GPU machine run,
every anchor measured in that run on that card (no figure from another
machine):

  - the forward-only ceilings: mpsbench-microbench's forward/fp32/batch:<n>
    (the worker's own ResNet-50) and torchvision_forward.py's (torchvision's
    ResNet-50 on the same torch), side by side, with their ratio (forward
    parity);
  - the worker end to end through Redis: an `mpsbench run` of
    scenarios/gpu-e2e.yaml (decode: auto, nvJPEG on a CUDA build with it) and
    of gpu-e2e-host.yaml (the same, decode: host), each row naming where its
    images were decoded (results.json's gpu_decoded_fraction);
  - the decoders alone: mpsbench-decode-bench's JSON (host decode per image
    on one thread and on all, nvJPEG batched, both at once);
  - the service's real pipeline: the stock RQ SimpleWorker with
    fixtures/rq/embed_job.py through Redis (scenarios/gpu-rq.yaml at 224x224;
    scenarios/gpu-rq-12mp.yaml at 4032x3024 with PIL draft mode on and off).

    gpu_targets.py --card "NAME, MEMORY, DRIVER" --microbench microbench.json \
        --torchvision torchvision.json --e2e RUN_DIR [--e2e-host RUN_DIR] \
        [--decode decode.json ...] --rq RUN_DIR [--rq RUN_DIR] > targets.md

A missing figure prints as "(not measured)" and its target as not checked,
never as a number from elsewhere.
"""

import argparse
import json
import os
import statistics

# (what, e2e size, anchor key, factor): the targets as the issues state them.
# anchor keys: "forward" (the worker's forward-only fp32 batch 32), "rq-draft"
# and "rq-nodraft" (the RQ worker at that size with PIL draft mode on / off).
TARGETS = [
    ("e2e 224x224 >= 80% of the worker's forward-only b32 (issue 7)", "224x224", "forward", 0.80),
    ("e2e 224x224 >= 95% of the worker's forward-only b32 (issue 18)", "224x224", "forward", 0.95),
    ("e2e 224x224 >= 5x the RQ worker (issue 7)", "224x224", "rq-draft", 5.0),
    ("e2e 4032x3024 >= 20x the RQ worker, draft mode on (issue 7)", "4032x3024", "rq-draft", 20.0),
    ("e2e 4032x3024 >= 25x the RQ worker, draft mode on (issue 18)", "4032x3024", "rq-draft", 25.0),
]
SIZES = ("224x224", "4032x3024")
STAGES = ("decode_ms", "preprocess_ms", "transfer_ms", "forward_ms", "latency_p50_ms")


def decode_name(stages):
    """Where a cell's images were decoded, from its gpu_decoded_fraction
    (absent from runs that predate it, and from the RQ worker: the host)."""
    f = stages.get("gpu_decoded_fraction", 0.0)
    return "host" if f <= 0 else "gpu" if f >= 0.999 else "gpu %.0f%%" % (100 * f)


def median(values):
    """The median, None for no values."""
    return statistics.median(values) if values else None


def forward_table(bench):
    """{batch: images/s} of the fp32 forward cases of a microbench (Google
    Benchmark) or torchvision_forward.py JSON."""
    out = {}
    for b in bench.get("benchmarks", []):
        name = b["name"].replace("/manual_time", "")
        if name.startswith("forward/fp32/batch:") and not b.get("error_occurred") \
                and b.get("run_type", "iteration") == "iteration":
            out[int(name.split(":")[1])] = b["images_per_second"]
    return out


def draft_of(name):
    """True/False for a cell with an EMBED_JOB_PIL_DRAFT axis, None without.
    PIL's draft mode is on unless the variable is 0 (embed_job.py)."""
    for part in name.split("/"):
        if "EMBED_JOB_PIL_DRAFT" in part:
            return not part.endswith(":0")
    return None


def cells(results):
    """{(size, draft): (median images/s, mean stage ms, repetitions)} of the
    repetitions of a run's results.json; draft is None for cells without
    the axis."""
    groups = {}
    for b in results.get("benchmarks", []):
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        size = next((s for s in SIZES if "image:%s/" % s in b["name"]), None)
        if size is None:
            continue
        groups.setdefault((size, draft_of(b["name"])), []).append(b)
    out = {}
    for key, reps in groups.items():
        stages = {k: sum(r.get(k, 0.0) for r in reps) / len(reps)
                  for k in STAGES + ("gpu_decoded_fraction",)}
        out[key] = (median([r["images_per_second"] for r in reps]), stages, len(reps))
    return out


def failures(run_json):
    """{size: what failed} of the cells a run.json judged failed: such a cell
    has no throughput, and its row says why instead of "(not measured)"."""
    out = {}
    for c in run_json.get("cells", []):
        size = "%sx%s" % (c.get("image_width"), c.get("image_height"))
        if size not in SIZES or c.get("verdict") != "fail":
            continue
        errors = [j.get("error") for j in c.get("jobs", []) if j.get("error")]
        counts = c.get("counts", {})
        bad = sum(v for k, v in counts.items() if k != "ok" and k != "skipped")
        out[size] = "failed: %d of %d jobs%s" % (
            bad, bad + counts.get("ok", 0), ", " + errors[0] if errors else "")
    return out


def anchors(fwd_worker, rq_cells):
    """The denominators of TARGETS, by (anchor key, size); absent when not
    measured.  The RQ cells without a draft axis ran with the service's
    default (draft on; at 224x224 draft mode changes nothing)."""
    out = {}
    if 32 in fwd_worker:
        for s in SIZES:
            out[("forward", s)] = fwd_worker[32]
    for (size, draft), (ips, _, _) in rq_cells.items():
        key = "rq-nodraft" if draft is False else "rq-draft"
        out[(key, size)] = ips
    return out


def judge(e2e_cells, anchor, failed=None):
    """Rows (what, measured text, verdict) of TARGETS.  A failed cell misses
    every target it was measured for."""
    rows = []
    for what, size, key, factor in TARGETS:
        e2e = e2e_cells.get((size, None))
        den = anchor.get((key, size))
        if e2e is None and size in (failed or {}):
            rows.append((what, "(%s)" % failed[size], "NOT met"))
            continue
        if e2e is None or not den:
            rows.append((what, "(not measured)", "not checked"))
            continue
        ratio = e2e[0] / den
        text = "%.0f%%" % (100 * ratio) if factor < 1.5 else "%.1fx" % ratio
        shown = float(text.rstrip("x%")) / (100 if factor < 1.5 else 1)
        if ratio < factor <= shown:
            # Rounded up to the target while short of it: one more digit.
            text = "%.1f%%" % (100 * ratio) if factor < 1.5 else "%.2fx" % ratio
        rows.append((what, text, "met" if ratio >= factor else "NOT met"))
    return rows


def fmt(v, spec="%.0f"):
    return spec % v if v is not None else "(not measured)"


def decode_section(benches):
    """The decoders alone, one row per mpsbench-decode-bench JSON."""
    lines = ["", "## Decoding alone (mpsbench-decode-bench), JPEG to the model's input", "",
             "| source | host, ms per image on 1 thread | host, images/s (threads) "
             "| nvJPEG, images/s (backend, batch) | nvJPEG, host ms per image in the call "
             "| both at once, images/s |", "|---|---|---|---|---|---|"]
    for d in benches:
        gpu = d.get("gpu_images_per_s")
        lines.append("| %s | %.2f | %.0f (%d) | %s | %s | %s |" % (
            d["size"], d["host_ms_per_image_1_thread"], d["host_images_per_s"], d["threads"],
            "%.0f (%s, %d)" % (gpu, d["gpu_backend"], d["batch"]) if gpu else "(not measured)",
            fmt(d.get("gpu_host_ms_per_image"), "%.2f"), fmt(d.get("both_images_per_s"))))
    return lines


GAP_STAGES = ("tail_ms", "handoff_ms", "dequeue_ms", "setup_ms", "first_batch_ms")


def gap_rows(label, run_json):
    """Rows of the gap section for one e2e run.json: per cell, the time per
    job that the repetition's throughput implies, the job's own wall and
    forward (medians of the measured jobs that succeeded), what runs
    between two jobs (the worker's `gap` record, issue 18), and how long a
    result waited in the worker after its job ended (`held_ms`), with how
    many were held behind the next job's first submit (`sent`)."""
    rows = []
    for c in run_json.get("cells", []):
        jobs = [j for j in c.get("jobs", []) if not j.get("warmup") and j.get("status") == "ok"]
        ips = c.get("images_per_second_median")
        if not jobs or not ips:
            continue
        per_job = 1000.0 * c["images_per_job"] / ips
        wall = median([j["wall_ms"] for j in jobs])
        fwd = median([j["forward_ms"] for j in jobs])
        gaps = [j["gap"] for j in jobs if isinstance(j.get("gap"), dict)]
        stages = [median([g[k] for g in gaps if isinstance(g.get(k), (int, float))])
                  for k in GAP_STAGES]
        ahead = "%d/%d" % (sum(1 for g in gaps if g.get("prefetched")), len(gaps)) if gaps else "-"
        held = [j["held_ms"] for j in jobs if isinstance(j.get("held_ms"), (int, float))]
        behind = sum(1 for j in jobs if j.get("sent") == "behind_next_submit")
        held_text = "%s (%d/%d)" % (fmt(median(held), "%.2f"), behind, len(held)) if held else "-"
        rows.append("| %dx%d | %s | %.1f | %.1f | %.1f | %.0f%% | %s | %s | %s |" % (
            c["image_width"], c["image_height"], label, per_job, wall, fwd,
            100 * fwd / per_job, " / ".join(fmt(v, "%.2f") for v in stages), ahead, held_text))
    return rows


def gap_section(runs):
    """runs: (label, run.json) pairs."""
    rows = [r for label, doc in runs for r in gap_rows(label, doc)]
    if not rows:
        return []
    return ["", "## Where a job's time goes, batch 32 (medians over the measured jobs), ms", "",
            "Per job in the repetition: the images of a job over the repetition's throughput, "
            "so it includes the repetition's start and end (the first job decodes with the "
            "pipeline empty, the harness collects the last result); job wall: the worker's "
            "`wall_ms` for the job (a job taken ahead starts before the previous one ends, so "
            "consecutive walls overlap); between jobs: the worker's `gap` record (the previous "
            "job's tail / its result's hand-off / dequeue / set-up / waiting for the first "
            "batch), and how many jobs were taken ahead during the previous one's last batch; "
            "result held: how long a result waited in the worker after its job ended (the "
            "latency its client pays for the overlap), and how many were held behind the next "
            "job's first submit.",
            "",
            "| source | decode | per job in the repetition | job wall | forward "
            "| forward share | between jobs (tail / hand-off / dequeue / setup / first batch) "
            "| taken ahead | result held, ms (behind the next submit) |",
            "|---|---|---|---|---|---|---|---|---|"] + rows


def render(card, torch_version, fwd_w, fwd_tv, e2e, rq, e2e_host=None, decode=(), gaps=(),
           failed=None):
    """targets.md.  e2e: the cells of gpu-e2e.yaml (decode: auto, labelled
    "auto: " with where its images went); failed: {size: why} of its cells
    that failed."""
    failed = failed or {}
    lines = ["# Performance targets on %s" % card, ""]
    lines.append("Every figure below was measured in one run of `ci/gpu-machine.sh targets` "
                 "on this card (torch %s); no anchor comes from another machine." % torch_version)
    lines += ["", "## Forward-only ceilings, ResNet-50 fp32, images/s", "",
              "| batch | worker (mpsbench-microbench) | torchvision (same torch) | worker / torchvision |",
              "|---|---|---|---|"]
    for b in sorted(set(fwd_w) | set(fwd_tv)):
        w, t = fwd_w.get(b), fwd_tv.get(b)
        ratio = "%.3f" % (w / t) if w and t else "-"
        lines.append("| %d | %s | %s | %s |" % (b, fmt(w), fmt(t), ratio))
    anchor = anchors(fwd_w, rq)
    lines += ["", "## End to end through Redis, batch 32, images/s (median of repetitions)", "",
              "| source | decode | mpsbench-worker | vs worker forward b32 "
              "| vs torchvision forward b32 | RQ worker, draft on | ratio | RQ worker, draft off "
              "| ratio |",
              "|---|---|---|---|---|---|---|---|---|"]
    runs = [e2e] + ([e2e_host] if e2e_host else [])
    for size, run in ((s, r) for s in SIZES for r in runs):
        m = run.get((size, None))
        if m is None and run is not e2e:
            continue
        ips = m[0] if m else None
        label = ("auto: " if run is e2e else "") + (decode_name(m[1]) if m else "-")
        shown = "(%s)" % failed[size] if m is None and size in failed else fmt(ips)
        cols = [size, label, shown]
        for den in (fwd_w.get(32), fwd_tv.get(32)):
            cols.append("%.0f%%" % (100 * ips / den) if ips and den else "-")
        for key in ("rq-draft", "rq-nodraft"):
            den = anchor.get((key, size))
            cols.append(fmt(den, "%.1f"))
            cols.append("%.1fx" % (ips / den) if ips and den else "-")
        lines.append("| " + " | ".join(cols) + " |")
    lines += ["", "Stages per job, ms (decode and preprocess are CPU time summed over the "
              "decoding threads; transfer and forward are device time):", "",
              "| source | worker | decode | preprocess | transfer | forward | latency p50 |",
              "|---|---|---|---|---|---|---|"]
    for size in SIZES:
        rows = [("mpsbench-worker, decode %s%s" % ("auto: " if run is e2e else "",
                                                    decode_name(run[(size, None)][1])),
                 run.get((size, None))) for run in runs if (size, None) in run]
        rows += [("RQ, draft %s" % ("off" if d is False else "on"), v)
                 for (s, d), v in sorted(rq.items(), key=lambda kv: str(kv[0])) if s == size]
        for who, v in rows:
            if v is None:
                continue
            st = v[1]
            lines.append("| %s | %s | %s |" % (size, who, " | ".join(
                "%.1f" % st[k] for k in STAGES)))
    lines += gap_section(gaps)
    if decode:
        lines += decode_section(decode)
    lines += ["", "## Targets (the worker's default, decode: auto)", "",
              "| target | measured | verdict |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % row for row in judge(e2e, anchor, failed)]
    return "\n".join(lines) + "\n"


def load(path):
    with open(path) as f:
        return json.load(f)


def load_cells(run_dir):
    path = os.path.join(run_dir, "results.json")
    return cells(load(path)) if os.path.exists(path) else {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--card", required=True, help="nvidia-smi's name, memory and driver")
    ap.add_argument("--microbench", required=True)
    ap.add_argument("--torchvision", required=True)
    ap.add_argument("--e2e", required=True, help="run directory of gpu-e2e.yaml")
    ap.add_argument("--e2e-host", help="run directory of gpu-e2e-host.yaml (decode: host)")
    ap.add_argument("--decode", action="append", default=[],
                    help="mpsbench-decode-bench --json output")
    ap.add_argument("--rq", action="append", default=[], help="run directory of an RQ scenario")
    a = ap.parse_args()
    fwd_w = forward_table(load(a.microbench)) if os.path.exists(a.microbench) else {}
    tv = load(a.torchvision) if os.path.exists(a.torchvision) else {}
    rq = {}
    for d in a.rq:
        rq.update(load_cells(d))
    decode = [load(p) for p in a.decode if os.path.exists(p)]
    gaps = [(label, load(os.path.join(d, "run.json")))
            for label, d in (("auto", a.e2e), ("host", a.e2e_host))
            if d and os.path.exists(os.path.join(d, "run.json"))]
    e2e_run = os.path.join(a.e2e, "run.json")
    failed = failures(load(e2e_run)) if os.path.exists(e2e_run) else {}
    print(render(a.card, tv.get("torch_version", "?"), fwd_w, forward_table(tv),
                 load_cells(a.e2e), rq, load_cells(a.e2e_host) if a.e2e_host else None,
                 decode, gaps, failed), end="")


if __name__ == "__main__":
    main()

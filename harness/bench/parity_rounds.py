"""Forward parity on the CPU, measured in duet rounds (issue 18).

Two processes on one machine drift together and apart: a single run of
each, one after the other, gave the worker 17.0 img/s against torchvision's
11.0 in NCHW and 18.8 against 23.0 in channels-last on the same H200 host,
two answers that disagree on who is faster.  So ci/gpu-machine.sh's parity
step measures in rounds, and in each round it runs the two side by side on
two disjoint CPU pairs (duet benchmarking, Bulej et al., ICPE 2020: both
share whatever disturbs the machine at that moment), swapping the pairs from
one round to the next so that neither keeps the better pair.  This script
reads the rounds' JSON files and prints, per memory format, each round's
ratio (worker / torchvision), their median and range, and the verdict
against the 2% target:

    parity_rounds.py --format nchw W1.json T1.json W2.json T2.json ... \
        --format channels-last W1.json T1.json ... > parity.md

W*.json is mpsbench-microbench's Google Benchmark JSON (forward/fp32/batch:N),
T*.json torchvision_forward.py's.  The verdict: "within 2%" when every
round's ratio is within 2% of 1; "worker slower" or "worker faster" when
every round is beyond 2% on the same side; otherwise "inconclusive" (the
rounds disagree), never a verdict the rounds do not all support.
"""

import argparse
import json
import statistics
import sys

TOLERANCE = 0.02


def forward_ips(path):
    """images/s of the first forward/ benchmark in a JSON file of either
    program: Google Benchmark's (an iteration row, not an aggregate) or
    torchvision_forward.py's (no run_type)."""
    with open(path) as f:
        doc = json.load(f)
    for b in doc.get("benchmarks", []):
        if b.get("run_type", "iteration") == "iteration" and "images_per_second" in b \
                and b["name"].startswith("forward/"):
            return float(b["images_per_second"])
    raise ValueError("%s: no forward/ benchmark with images_per_second" % path)


def verdict(ratios):
    if not ratios:
        return "not measured"
    if all(abs(r - 1) <= TOLERANCE for r in ratios):
        return "within 2%"
    if all(r < 1 - TOLERANCE for r in ratios):
        return "worker slower"
    if all(r > 1 + TOLERANCE for r in ratios):
        return "worker faster"
    return "inconclusive"


def table(fmt, pairs):
    """Markdown lines for one memory format: pairs of (worker, torchvision)
    images/s, one per round."""
    ratios = [w / t for w, t in pairs]
    lines = ["### %s" % fmt, "", "| round | worker img/s | torchvision img/s | ratio |",
             "|---:|---:|---:|---:|"]
    for i, (w, t) in enumerate(pairs):
        lines.append("| %d | %.2f | %.2f | %.3f |" % (i + 1, w, t, w / t))
    lines.append("")
    if ratios:
        lines.append("median ratio %.3f (range %.3f to %.3f, %d rounds): %s" % (
            statistics.median(ratios), min(ratios), max(ratios), len(ratios), verdict(ratios)))
    else:
        lines.append("no rounds: not measured")
    lines.append("")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--format", nargs="+", action="append", required=True,
                    metavar=("NAME", "FILES"),
                    help="a memory format's name, then worker and torchvision JSON files in pairs")
    a = ap.parse_args(argv)
    out = ["## CPU forward parity (duet rounds)", ""]
    for group in a.format:
        name, files = group[0], group[1:]
        if len(files) % 2:
            ap.error("--format %s: files come in pairs (worker, torchvision)" % name)
        pairs = []
        for w, t in zip(files[0::2], files[1::2]):
            try:
                pairs.append((forward_ips(w), forward_ips(t)))
            except (OSError, ValueError) as e:
                print("parity_rounds: round left out: %s" % e, file=sys.stderr)
        out += table(name, pairs)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

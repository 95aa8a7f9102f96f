#!/usr/bin/env python3
"""How tracking tools read a Google Benchmark results.json, ported from their
parsers so that the tests can hold mpsbench's file against them.

- github-action-benchmark, tool 'googlecpp' (benchmark-action/
  github-action-benchmark, src/extract.ts, extractGoogleCppResult): every
  entry of "benchmarks" becomes {name: b.name, value: b.real_time,
  unit: b.time_unit + '/iter'}; nothing is filtered.
- Bencher, adapter 'cpp_google' (bencherdev/bencher, lib/bencher_adapter/
  src/adapters/cpp/google.rs): the file must have context.caches; every entry
  becomes a latency measure named b.name with value real_time converted to
  nanoseconds; nothing is filtered.

Usage: tracking_tools.py RESULTS.json
Prints one line per result of each tool ("googlecpp NAME VALUE UNIT",
"cpp_google NAME NANOSECONDS") and exits 1, naming them, when any value is
not a positive number: a failed repetition read as the fastest result.
"""
import json
import math
import sys

NANOS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def googlecpp(text):
    data = json.loads(text)
    return [{"name": b["name"], "value": b["real_time"], "unit": b["time_unit"] + "/iter"}
            for b in data["benchmarks"]]


def cpp_google(text):
    data = json.loads(text)
    if not isinstance(data["context"]["caches"], list):
        raise ValueError("context.caches is not a list")
    return [(b["name"], float(b["real_time"]) * NANOS[b["time_unit"]]) for b in data["benchmarks"]]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    bad = []
    for r in googlecpp(text):
        print("googlecpp", r["name"], r["value"], r["unit"])
        if not (isinstance(r["value"], (int, float)) and math.isfinite(r["value"]) and r["value"] > 0):
            bad.append("googlecpp: %s = %r" % (r["name"], r["value"]))
    for name, value in cpp_google(text):
        print("cpp_google", name, value)
        if not (math.isfinite(value) and value > 0):
            bad.append("cpp_google: %s = %r" % (name, value))
    for line in bad:
        print("not a time:", line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

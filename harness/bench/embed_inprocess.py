"""fixtures/rq/embed_job.py's embed() called in-process, job after job: no
Redis, no RQ, no job (de)serialization.  It is NOT the service's pipeline:
that is the stock RQ worker through Redis, which `mpsbench run
scenarios/gpu-rq.yaml` (and gpu-rq-12mp.yaml) measures and ci/gpu-machine.sh
targets divides by.  This figure is what the job function alone costs, so
the difference between the two is what RQ and the queue add.  With
--no-draft, PIL decodes JPEGs at full size; by default it uses draft mode,
as embed_job.py does.

    embed_inprocess.py --images DIR --size 224x224 --batch 32 --per-job 256 \
                       --jobs 4 --warmup 1 --device cuda [--no-draft] --json OUT
"""

import argparse
import glob
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures", "rq"))

import embed_job  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True, help="folder of <w>x<h>-<i>.jpg fixtures")
    ap.add_argument("--size", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--per-job", type=int, default=256)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", default="builtin:resnet50")
    ap.add_argument("--no-draft", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()

    paths = sorted(glob.glob(os.path.join(a.images, a.size + "-*.jpg")))
    if not paths:
        sys.exit("no %s images in %s" % (a.size, a.images))
    if a.no_draft:
        os.environ["EMBED_JOB_PIL_DRAFT"] = "0"

    stages = {"decode_ms": 0.0, "preprocess_ms": 0.0, "transfer_ms": 0.0, "forward_ms": 0.0}
    images = 0
    seconds = 0.0
    for j in range(a.warmup + a.jobs):
        job = [paths[(j * a.per_job + i) % len(paths)] for i in range(a.per_job)]
        t0 = time.perf_counter()
        r = embed_job.embed(job, a.batch, 224, model=a.model, device=a.device)
        dt = time.perf_counter() - t0
        if j < a.warmup:
            continue
        images += r["images"]
        seconds += dt
        for k in stages:
            stages[k] += r[k]
    out = {
        "size": a.size, "batch": a.batch, "per_job": a.per_job, "jobs": a.jobs,
        "device": a.device, "draft": not a.no_draft, "images": images, "seconds": seconds,
        "images_per_second": images / seconds,
        "per_job_ms": {k: v / a.jobs for k, v in stages.items()},
        "torch_version": embed_job.torch.__version__,
    }
    print("in-process embed() %s %s draft=%s: %.1f img/s (per job: %s)" % (
        a.device, a.size, out["draft"], out["images_per_second"],
        ", ".join("%s %.0f" % (k, v) for k, v in out["per_job_ms"].items())))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()

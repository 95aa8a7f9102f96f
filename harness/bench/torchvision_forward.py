"""Forward-only throughput of torchvision's ResNet-50 on the same card and the
same torch as mpsbench-microbench's forward/<precision>/batch:<n>, measured
the same way, so the two models can be read side by side (forward parity,
issue 18) and the worker's end-to-end figure against both ceilings.

As the microbenchmark does: random weights, the classifier head dropped
(the pooled 2048-d features, as fixtures/rq/embed_job.py builds the model),
eval mode under torch.inference_mode(), a random input already on the
device, one untimed pass per shape (cuDNN picks its algorithms), then each
timed pass between two device synchronizations; images/s is the images of
the timed passes over their summed time.

    torchvision_forward.py --device cuda --batches 1,8,16,32,64 \
        --precisions fp32 --min-time 1.0 --json OUT
"""

import argparse
import json
import time

import torch
import torchvision

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure(net, device, batch, side, dtype, min_time, min_iters):
    x = torch.randn(batch, 3, side, side, device=device, dtype=dtype)
    with torch.inference_mode():
        net(x)
        sync(device)
        total, iters = 0.0, 0
        while total < min_time or iters < min_iters:
            sync(device)
            t0 = time.perf_counter()
            net(x)
            sync(device)
            total += time.perf_counter() - t0
            iters += 1
    return batch * iters / total, iters, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batches", default="1,8,16,32,64")
    ap.add_argument("--precisions", default="fp32")
    ap.add_argument("--input-size", type=int, default=224)
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of timed passes")
    ap.add_argument("--min-iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads (0: torch's default, which can be fewer "
                         "than mpsbench-microbench's every CPU: 1 on a 2-CPU Debian VM)")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    out = {"model": "torchvision.models.resnet50(weights=None), fc=Identity",
           "device": a.device, "torch_version": torch.__version__,
           "torchvision_version": torchvision.__version__,
           "card": torch.cuda.get_device_name() if a.device.startswith("cuda") else "cpu",
           "input_size": a.input_size, "threads": torch.get_num_threads(),
           "channels_last": a.channels_last, "benchmarks": []}
    for prec in a.precisions.split(","):
        net = torchvision.models.resnet50(weights=None)
        net.fc = torch.nn.Identity()
        net = net.eval().to(a.device, DTYPES[prec])
        if a.channels_last:
            net = net.to(memory_format=torch.channels_last)
        for b in (int(v) for v in a.batches.split(",")):
            ips, iters, total = measure(net, a.device, b, a.input_size, DTYPES[prec],
                                        a.min_time, a.min_iters)
            name = "forward/%s/batch:%d" % (prec, b)
            out["benchmarks"].append({"name": name, "images_per_second": ips,
                                      "iterations": iters, "seconds": total})
            print("torchvision %s: %.0f img/s (%d passes)" % (name, ips, iters), flush=True)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()

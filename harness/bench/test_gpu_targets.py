"""gpu_targets.py on synthetic run files: every ratio divides by a figure
of the same run, a missing anchor is said to be missing, and the verdicts
follow the targets.  python3 -m unittest test_gpu_targets (CTest:
test_gpu_targets)."""

import unittest

import gpu_targets as gt


def rep(name, ips, **stages):
    b = {"name": name, "run_type": "iteration", "images_per_second": ips}
    b.update(stages)
    return b


def run(*benchmarks):
    return {"benchmarks": list(benchmarks)}


E2E = "gpu-e2e/embed/device:cuda/fix:on/exec:persistent/image:%s/batch:32/iterations:8/manual_time"
RQ = ("gpu-rq-12mp/embed/device:cuda/fix:on/exec:persistent/image:4032x3024/"
      "env.EMBED_JOB_PIL_DRAFT:%s/batch:32/manual_time")


class Targets(unittest.TestCase):
    def setUp(self):
        self.fwd_w = gt.forward_table(run(
            {"name": "forward/fp32/batch:32/manual_time", "images_per_second": 6000.0,
             "run_type": "iteration"},
            {"name": "forward/fp16/batch:32/manual_time", "images_per_second": 9000.0,
             "run_type": "iteration"}))
        self.fwd_tv = gt.forward_table(run(
            {"name": "forward/fp32/batch:32", "images_per_second": 6100.0}))
        self.e2e = gt.cells(run(
            rep(E2E % "224x224", 5000.0, decode_ms=100.0),
            rep(E2E % "224x224", 5400.0, decode_ms=110.0),
            rep(E2E % "224x224", 5300.0, decode_ms=120.0),
            rep(E2E % "4032x3024", 300.0, gpu_decoded_fraction=1.0)))
        self.e2e_host = gt.cells(run(rep(E2E % "4032x3024", 250.0)))
        self.rq = gt.cells(run(
            rep(RQ % "1", 15.0), rep(RQ % "1", 15.0),
            rep(RQ % "0", 6.0),
            rep(E2E.replace("gpu-e2e", "gpu-rq") % "224x224", 600.0)))

    def test_forward_table_takes_fp32_only(self):
        self.assertEqual(self.fwd_w, {32: 6000.0})
        self.assertEqual(self.fwd_tv, {32: 6100.0})

    def test_cells_median_and_draft_axis(self):
        self.assertEqual(self.e2e[("224x224", None)][0], 5300.0)
        self.assertAlmostEqual(self.e2e[("224x224", None)][1]["decode_ms"], 110.0)
        self.assertEqual(self.rq[("4032x3024", True)][0], 15.0)
        self.assertEqual(self.rq[("4032x3024", False)][0], 6.0)
        self.assertEqual(self.rq[("224x224", None)][0], 600.0)

    def test_verdicts_divide_by_this_run(self):
        rows = {what: (text, verdict) for what, text, verdict in
                gt.judge(self.e2e, gt.anchors(self.fwd_w, self.rq))}
        by_start = lambda s: next(v for k, v in rows.items() if k.startswith(s))
        self.assertEqual(rows[gt.TARGETS[0][0]], ("88%", "met"))       # 5300 / 6000
        self.assertEqual(rows[gt.TARGETS[1][0]], ("88%", "NOT met"))
        self.assertEqual(rows[gt.TARGETS[2][0]], ("8.8x", "met"))      # 5300 / 600
        self.assertEqual(rows[gt.TARGETS[3][0]], ("20.0x", "met"))     # 300 / 15
        self.assertEqual(by_start("e2e 4032x3024 >= 25x"), ("20.0x", "NOT met"))

    def test_a_ratio_short_of_its_target_never_rounds_up_to_it(self):
        e2e = gt.cells(run(rep(E2E % "4032x3024", 600.28)))
        rq = gt.cells(run(rep(RQ % "1", 24.05)))
        rows = {what: (text, verdict) for what, text, verdict in
                gt.judge(e2e, gt.anchors(self.fwd_w, rq))}
        self.assertEqual(rows[gt.TARGETS[4][0]], ("24.96x", "NOT met"))
        self.assertEqual(rows[gt.TARGETS[3][0]], ("25.0x", "met"))

    def test_missing_anchor_is_not_a_number_from_elsewhere(self):
        rows = gt.judge(self.e2e, gt.anchors({}, {}))
        self.assertTrue(all(r[1] == "(not measured)" and r[2] == "not checked" for r in rows))
        text = gt.render("NVIDIA X", "2.11", {}, {}, self.e2e, {})
        for stale in ("534", "5.8", "18.2", "5386", "%%"):
            self.assertNotIn(stale, text)

    def test_render_names_card_and_every_anchor(self):
        text = gt.render("NVIDIA H200, 143771 MiB, 580.1", "2.11", self.fwd_w, self.fwd_tv,
                         self.e2e, self.rq)
        self.assertIn("NVIDIA H200, 143771 MiB", text)
        self.assertIn("| 32 | 6000 | 6100 | 0.984 |", text)
        self.assertIn("| 224x224 | auto: host | 5300 | 88% | 87% | 600.0 | 8.8x | (not measured) "
                      "| - |", text)
        self.assertIn("| 4032x3024 | auto: gpu | 300 | 5% | 5% | 15.0 | 20.0x | 6.0 | 50.0x |",
                      text)

    def test_host_decode_row_and_decoders_alone(self):
        decode = {"size": "4032x3024", "host_ms_per_image_1_thread": 40.0,
                  "host_images_per_s": 350.0, "threads": 16, "batch": 32,
                  "gpu_backend": "hardware", "gpu_images_per_s": 900.0,
                  "gpu_host_ms_per_image": 0.5, "both_images_per_s": 1100.0}
        text = gt.render("NVIDIA H200", "2.11", self.fwd_w, self.fwd_tv, self.e2e, self.rq,
                         self.e2e_host, [decode])
        self.assertIn("| 4032x3024 | host | 250 | 4% | 4% | 15.0 | 16.7x | 6.0 | 41.7x |", text)
        self.assertIn("| 4032x3024 | mpsbench-worker, decode auto: gpu |", text)
        self.assertIn("| 4032x3024 | 40.00 | 350 (16) | 900 (hardware, 32) | 0.50 | 1100 |", text)
        self.assertNotIn("%%", text)

    def test_a_failed_cell_says_so_and_misses_its_targets(self):
        run_json = {"cells": [
            {"image_width": 4032, "image_height": 3024, "verdict": "fail",
             "counts": {"ok": 5, "error": 1, "oom": 0, "skipped": 0},
             "jobs": [{"status": "ok"}, {"status": "error", "error": "non-finite embeddings"}]},
            {"image_width": 224, "image_height": 224, "verdict": "pass",
             "counts": {"ok": 52}, "jobs": []}]}
        failed = gt.failures(run_json)
        self.assertEqual(failed, {"4032x3024": "failed: 1 of 6 jobs, non-finite embeddings"})
        e2e = {k: v for k, v in self.e2e.items() if k[0] != "4032x3024"}
        text = gt.render("NVIDIA H200", "2.11", self.fwd_w, self.fwd_tv, e2e, self.rq,
                         failed=failed)
        self.assertIn("| 4032x3024 | auto: - | (failed: 1 of 6 jobs, non-finite embeddings) | - |",
                      text)
        self.assertIn("| e2e 4032x3024 >= 25x the RQ worker, draft mode on (issue 18) "
                      "| (failed: 1 of 6 jobs, non-finite embeddings) | NOT met |", text)
        self.assertNotIn("not checked", text.split("## Targets")[1].split("4032")[1])


class GapSection(unittest.TestCase):
    def run_json(self):
        job = {"status": "ok", "wall_ms": 45.0, "forward_ms": 43.0,
               "gap": {"prefetched": True, "tail_ms": 0.1, "handoff_ms": 0.3, "dequeue_ms": 0.0,
                       "setup_ms": 0.02, "first_batch_ms": 0.0},
               "sent": "behind_next_submit", "held_ms": 2.5}
        warm = dict(job, warmup=True, wall_ms=900.0)
        failed = dict(job, status="oom", wall_ms=1.0)
        return {"cells": [{"image_width": 224, "image_height": 224, "images_per_job": 256,
                           "images_per_second_median": 5120.0,
                           "jobs": [warm, failed, job, dict(job, gap={"prefetched": False},
                                                            sent="at_once", held_ms=0.5)]}]}

    def test_row_divides_the_job_by_the_repetition_throughput(self):
        rows = gt.gap_rows("auto", self.run_json())
        self.assertEqual(len(rows), 1)
        # 256 images at 5120 img/s: 50 ms a job; the forward's share 43/50;
        # warm-up and failed jobs left out; one of two measured jobs taken ahead,
        # and one of two results held behind the next submit (median 1.5 ms)
        self.assertEqual(rows[0], "| 224x224 | auto | 50.0 | 45.0 | 43.0 | 86% "
                                  "| 0.10 / 0.30 / 0.00 / 0.02 / 0.00 | 1/2 | 1.50 (1/2) |")

    def test_older_worker_says_nothing_of_holding(self):
        doc = self.run_json()
        for j in doc["cells"][0]["jobs"]:
            j.pop("sent", None)
            j.pop("held_ms", None)
        self.assertTrue(gt.gap_rows("auto", doc)[0].endswith("| 1/2 | - |"))

    def test_no_throughput_no_row(self):
        doc = self.run_json()
        doc["cells"][0]["images_per_second_median"] = None
        self.assertEqual(gt.gap_section([("auto", doc)]), [])


if __name__ == "__main__":
    unittest.main()

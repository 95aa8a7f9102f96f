"""parity_rounds.py's verdicts on synthetic rounds: only a verdict every
round supports.  python3 -m unittest test_parity_rounds (CTest:
test_gpu_targets runs it too)."""

import unittest

import parity_rounds as pr


class Verdict(unittest.TestCase):
    def test_all_within(self):
        self.assertEqual(pr.verdict([0.99, 1.01, 1.0]), "within 2%")

    def test_all_slower(self):
        self.assertEqual(pr.verdict([0.90, 0.95, 0.97]), "worker slower")

    def test_all_faster(self):
        self.assertEqual(pr.verdict([1.05, 1.03]), "worker faster")

    def test_rounds_disagree(self):
        # one round within, one beyond: the rounds do not all say one thing
        self.assertEqual(pr.verdict([1.0, 0.90]), "inconclusive")
        self.assertEqual(pr.verdict([1.10, 0.90]), "inconclusive")

    def test_nothing(self):
        self.assertEqual(pr.verdict([]), "not measured")

    def test_table_ratio_is_worker_over_torchvision(self):
        lines = pr.table("nchw", [(18.0, 20.0)])
        self.assertIn("| 1 | 18.00 | 20.00 | 0.900 |", lines)
        self.assertTrue(any("worker slower" in l for l in lines))


if __name__ == "__main__":
    unittest.main()

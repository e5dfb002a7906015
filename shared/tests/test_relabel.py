# shared/relabel: class rename / merge / delete in segments, cluster majorities.
import unittest

from shared import relabel as R


class TestRelabel(unittest.TestCase):
    def test_rename_keeps_positions(self):
        segs, n = R.rename([(0, 10, "walk"), (10, 20, "idle")], "walk", "walking")
        self.assertEqual(segs, [(0, 10, "walking"), (10, 20, "idle")])
        self.assertEqual(n, 10)

    def test_merge_joins_touching_segments(self):
        segs, n = R.rename([(0, 10, "a"), (10, 20, "b"), (30, 40, "a")], "a", "b")
        self.assertEqual(segs, [(0, 20, "b"), (30, 40, "b")])
        self.assertEqual(n, 20)

    def test_delete_removes_only_that_class(self):
        segs, n = R.rename([(0, 10, "a"), (10, 20, "b")], "a", None)
        self.assertEqual(segs, [(10, 20, "b")])
        self.assertEqual(n, 10)

    def test_class_list(self):
        self.assertEqual(R.class_list(["a", "b", "c"], "a", "c"), ["c", "b"])
        self.assertEqual(R.class_list(["a", "b"], "a", None), ["b"])
        self.assertEqual(R.class_list(["a", "b"], "a", "z"), ["z", "b"])

    def test_majority(self):
        clusters = [0, 0, 0, 1, 1, 2, 2]
        labels = [1, 1, 0, -1, -1, 0, 1]
        out = R.majority(clusters, labels, 3)
        self.assertEqual(out[0][0], 1)
        self.assertAlmostEqual(out[0][1], 2 / 3)
        self.assertEqual(out[1], (-1, 0.0, 0))      # nothing labelled: ask
        self.assertEqual(out[2][0], -1)             # a tie: ask


if __name__ == "__main__":
    unittest.main()

# shared/relabel: a class renamed, merged and deleted in a session's segments, and a cluster's
# majority label (or none: the page asks). Plain tests (CPython, MicroPython).
from shared import relabel as R


def test_rename_keeps_positions():
    segs, n = R.rename([(0, 10, "walk"), (10, 20, "idle")], "walk", "walking")
    assert segs == [(0, 10, "walking"), (10, 20, "idle")]
    assert n == 10


def test_merge_joins_touching_segments():
    segs, n = R.rename([(0, 10, "a"), (10, 20, "b"), (30, 40, "a")], "a", "b")
    assert segs == [(0, 20, "b"), (30, 40, "b")]
    assert n == 20


def test_delete_removes_only_that_class():
    segs, n = R.rename([(0, 10, "a"), (10, 20, "b")], "a", None)
    assert segs == [(10, 20, "b")]
    assert n == 10


def test_class_list():
    assert R.class_list(["a", "b", "c"], "a", "c") == ["c", "b"]
    assert R.class_list(["a", "b"], "a", None) == ["b"]
    assert R.class_list(["a", "b"], "a", "z") == ["z", "b"]


def test_majority_or_none():
    clusters = [0, 0, 0, 1, 1, 2, 2]
    labels = [1, 1, 0, -1, -1, 0, 1]
    out = R.majority(clusters, labels, 3)
    assert out[0][0] == 1 and abs(out[0][1] - 2 / 3) < 1e-9 and out[0][2] == 3
    assert out[1] == (-1, 0.0, 0)      # nothing labelled: ask
    assert out[2][0] == -1             # a tie: ask

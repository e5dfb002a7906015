# Nearest neighbours with emlearn_neighbors's API (pure shared.knn and the C module where our
# build has it) against a numpy brute force: few-shot label proposals (class, vote share,
# distance; ties decided by item index) and outlier scores (golden vectors from
# scripts/make_golden_explore.py).
from array import array

from shared import knn
from shared.fewshot import Proposer
from shared.outliers import Outliers
from shared.tests.explore_data import golden, implementations, raises


def _impls():
    return implementations(knn, "emlearn_neighbors")


def test_proposals_match_bruteforce():
    g = golden("neighbours")
    Q = array("h", g["Q"])
    for name, nb in _impls():
        p = Proposer(Q, g["d"], g["labelled"], g["labels"], k=g["k"], nb=nb)
        list(p.steps(per_step=7))
        want = g["proposals"]
        assert list(p.rows) == [w["row"] for w in want], name
        for i in range(len(want)):
            assert p.labels[i] == want[i]["label"], (name, want[i], p.labels[i])
            assert abs(p.share[i] - want[i]["share"]) < 1e-6, (name, want[i])
            assert p.distance[i] == want[i]["distance"], (name, want[i], p.distance[i])


def test_accepted_filters_by_share_and_distance():
    g = golden("neighbours")
    p = Proposer(array("h", g["Q"]), g["d"], g["labelled"], g["labels"], k=g["k"]).run()
    sure = p.accepted(min_share=1.0)
    want = [(w["row"], w["label"]) for w in g["proposals"] if w["share"] == 1.0]
    assert sure == want and 0 < len(sure) < len(p.rows)
    near = p.accepted(min_share=0.0, max_distance=300)
    assert near == [(w["row"], w["label"]) for w in g["proposals"] if w["distance"] <= 300]


def test_outlier_scores_match_bruteforce():
    g = golden("neighbours")
    Q = array("h", g["Q"])
    for name, nb in _impls():
        o = Outliers(Q, g["d"], k=g["outlier_k"], nb=nb)
        list(o.steps(per_step=9))
        for r in range(len(g["outlier_scores"])):
            assert abs(o.scores[r] - g["outlier_scores"][r]) < 1e-3, (name, r)
        top = o.worst(3)
        order = sorted(range(len(g["outlier_scores"])),
                       key=lambda r: (-g["outlier_scores"][r], r))[:3]
        assert [r for r, _ in top] == order, name


def test_pure_model_matches_emlearn_semantics():
    m = knn.new(4, 2, 3)
    for row, label in (([0, 0], 1), ([3, 4], 2), ([6, 8], 2), ([100, 0], 1)):
        m.additem(array("h", row), label)
    assert m.predict(array("h", [0, 0])) == 2        # votes: 1 x class 1, 2 x class 2
    assert m.getresult(0) == (0, 0, 1) and m.getresult(1) == (1, 5, 2)
    assert knn.isqrt(2 ** 31 - 1) == 46340
    assert knn.distance([32767] * 3, 0, [-32768] * 3, 0, 3) == 0   # uint32/int32 overflow, as C
    raises(ValueError, m.additem, array("h", [1, 2]), 1)            # full
    raises(ValueError, knn.new(2, 2, 1).additem, array("h", [1, 2]), 10)
    raises(ValueError, knn.new(2, 2, 2).predict, array("h", [1, 2]))

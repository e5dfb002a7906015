# Model insight against scikit-learn: the mean decrease in impurity of a forest's trees
# (ExtraTreesClassifier.feature_importances_) recomputed by passing its training windows down
# the same trees in our TreeModel, and the confusion cells with their windows
# (confusion_matrix); golden vectors from scripts/make_golden_explore.py.
from array import array

from shared.insight import confusions, importance, ranked
from shared.model import TreeModel
from shared.tests.explore_data import close, golden


def _model(g):
    nodes = [tuple(v) for v in g["nodes"]]
    return TreeModel(g["n_features"], g["n_classes"], nodes, g["roots"], g["leaves"])


def test_tree_conversion_predicts_as_sklearn():
    # each tree alone (scikit-learn's forest averages probabilities, ours votes)
    g = golden("insight")
    m, nf = _model(g), g["n_features"]
    X = array("h", g["X"])
    for t in range(len(g["roots"])):
        for i in range(len(g["y"])):
            x = X[i * nf:(i + 1) * nf]
            assert m.leaves[m.tree_leaf(m.roots[t], x)] == g["tree_predict"][t][i], (t, i)


def test_importance_matches_sklearn_feature_importances():
    g = golden("insight")
    m = _model(g)
    r = importance(m, array("h", g["X"]), bytearray(g["y"]))
    close(r["importance"], g["importance"], 1e-6, "importance")
    assert abs(sum(r["importance"]) - 1.0) < 1e-9
    # split counts: every node counted once, every window reaches each tree's root
    assert sum(r["splits"]) == m.n_nodes
    assert min(r["samples"][f] for f in range(g["n_features"]) if r["splits"][f]) > 0
    assert sum(r["samples"]) >= len(g["roots"]) * len(g["y"])


def test_ranked_lists_largest_first():
    assert ranked(["a", "b", "c"], [0.2, 0.5, 0.2]) == [("b", 0.5), ("a", 0.2), ("c", 0.2)]
    assert ranked(["a", "b"], [1, 2], top=1) == [("b", 2)]


def test_confusions_match_confusion_matrix():
    g = golden("insight")["confusion"]
    cells = confusions(g["truth"], g["pred"], per_cell=100)
    want = g["cells"]
    assert len(cells) == len(want)
    for c in cells:
        w = want["%d,%d" % (c["true"], c["pred"])]
        assert c["count"] == w["count"] and c["windows"] == w["windows"], c
    counts = [c["count"] for c in cells]
    assert counts == sorted(counts, reverse=True)
    few = confusions(g["truth"], g["pred"], index=[100 + i for i in range(len(g["truth"]))],
                     classes=["a", "b", "c"], per_cell=1)
    assert all(len(c["windows"]) == 1 and c["windows"][0] >= 100 for c in few)
    assert few[0]["true"] in ("a", "b", "c")

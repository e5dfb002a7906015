# Regression trees and their evaluation on every runtime: a step is learnt exactly, the same seed
# gives the same trees, limits and bad targets hold, a dye's concentration is estimated from its
# spectrum on unseen sessions, metrics match hand-made examples, too few sessions give no estimate.
from array import array

from shared import evaluate as E
from shared import pipeline as P
from shared import regress_eval as RE
from shared.model import ModelError
from shared.regress import RegressionModel, Regressor
from shared.tests import synth
from shared.tests.test_trainer import _walk

LEVELS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)


def _close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


def test_a_step_is_learnt_exactly_with_float32_leaves():
    # y = 10.5 left of x0 = 0, 20.25 right: one split, two leaves holding those values
    X = array("h", [0] * 80)
    y = []
    for i in range(40):
        X[2 * i] = i * 50 - 1000
        X[2 * i + 1] = (i * 37) % 100
        y.append(10.5 if X[2 * i] < 0 else 20.25)
    for m in ("extra", "rf"):
        model = Regressor(X, y, 2, n_trees=3, method=m, max_depth=None, seed=2,
                          bootstrap=False).fit()   # a bootstrap may miss the edge
        assert sorted(model.leaves) == [10.5, 20.25], m
        assert len(bytes(model.leaves)) == 8, m        # float32 leaves, as eml_trees leaf_bits 32
        for i in range(40):
            assert model.predict(X[2 * i:2 * i + 2]) == y[i], (m, i)


def _fingerprint(method):
    """sha256 of a model's nodes, roots and float32 leaf bytes, trained on exact data (int
    features, targets int/8: no libm, no float literal parsing), so every runtime must agree."""
    import binascii
    X, _ = synth.table(150, 6, 3, seed=5)
    y = [(X[6 * i] + 2 * X[6 * i + 1] - X[6 * i + 2]) / 8 for i in range(150)]
    m = Regressor(X, y, 6, n_trees=4, max_depth=6, min_samples_leaf=2, seed=42,
                  method=method).fit()
    text = "%r|%r|%s" % (m.nodes(), list(m.roots),
                         binascii.hexlify(bytes(m.leaves)).decode())
    return P.model_hash(text)


GOLDEN = {  # made on CPython; a change here is a change of the trainer
    "extra": "fa60c92cfbc9ef9f430db4425e9d60e959132e6d8aab3d81e3baf1731ee6ca19",
    "rf": "d8a625b7a4aa252e0761302fdc2737e24d3763f57f7ac46b07fc96f68101b21c",
}


def test_same_seed_same_model_on_every_runtime():
    for method in GOLDEN:
        assert _fingerprint(method) == GOLDEN[method], (method, _fingerprint(method))


def test_constant_target_gives_a_leaf_only_tree():
    X, _ = synth.table(30, 4, 2, seed=2)
    model = Regressor(X, [0.25] * 30, 4, n_trees=2).fit()
    assert model.n_nodes == 2 and list(model.leaves) == [0.25]
    assert model.predict(X[0:4]) == 0.25


def test_same_seed_same_trees_other_seed_other_trees():
    X, y, _ = synth.spectra(LEVELS, 2, 6)
    for m in ("extra", "rf"):
        a = Regressor(X, y, 11, n_trees=3, method=m, seed=1).fit()
        b = Regressor(X, y, 11, n_trees=3, method=m, seed=1).fit()
        c = Regressor(X, y, 11, n_trees=3, method=m, seed=2).fit()
        assert a.nodes() == b.nodes() and list(a.leaves) == list(b.leaves), m
        assert a.nodes() != c.nodes(), m


def test_max_depth_and_min_samples_leaf_respected():
    X, y, _ = synth.spectra(LEVELS, 2, 6)
    rows = list(range(len(y)))
    for m in ("extra", "rf"):
        for depth, leaf in ((2, 1), (None, 5), (4, 9)):
            model = Regressor(X, y, 11, n_trees=3, max_depth=depth, min_samples_leaf=leaf,
                              method=m, bootstrap=False, seed=4).fit()
            for d, reach in _walk(model, X, rows, 11):
                assert depth is None or d <= depth, (m, depth, d)
                assert min(reach.values()) >= leaf, (m, leaf, sorted(reach.values())[:3])


def test_stepper_and_size_as_for_classes():
    X, y, _ = synth.spectra(LEVELS, 2, 6)
    r = Regressor(X, y, 11, n_trees=3, yield_every=5)
    seen = list(r.steps())
    assert seen[-1]["done"] == 1.0 and r.params()["kind"] == "regression"
    m = r.model()
    assert m.nodes() == Regressor(X, y, 11, n_trees=3).fit().nodes()
    size = E.model_size(m)
    assert size["c_bytes"] == 8 * m.n_nodes + 4 * 3 + 4 * len(m.leaves)   # float32 leaves


def test_bad_targets_refused_with_the_sample_named():
    X, _ = synth.table(10, 3, 2, seed=2)
    for bad, name in ((float("nan"), "nan"), ("0.3", "'0.3'"), (float("inf"), "inf")):
        y = [0.1] * 10
        y[7] = bad
        try:
            Regressor(X, y, 3)
        except ValueError as e:
            assert "target 7" in str(e) and name in str(e), str(e)
        else:
            assert False, bad
    try:
        Regressor(X, [0.1] * 9, 3)
    except ValueError as e:
        assert "expected 9 samples" in str(e), str(e)
    else:
        assert False


def test_regression_model_predicts_the_mean_of_its_trees_leaves():
    # tree 0: x0 < 5 -> leaf 0 (1.0) else leaf 1 (3.0); tree 1: leaf 2 (2.5) always
    nodes = [(0, 5, -1, -2), (0, 0, -3, -3)]
    m = RegressionModel(2, nodes, [0, 1], [1.0, 3.0, 2.5])
    assert m.predict(array("h", [4, 0])) == 1.75 and m.predict(array("h", [5, 0])) == 2.75
    for bad in (float("nan"), None, True):
        try:
            RegressionModel(2, nodes, [0, 1], [1.0, bad, 2.5])
        except ModelError as e:
            assert "leaf 1" in str(e), str(e)
        else:
            assert False, bad
    try:
        m.votes(array("h", [4, 0]))
    except TypeError:
        pass
    else:
        assert False


def test_concentration_estimated_on_unseen_sessions():
    X, y, groups = synth.spectra(LEVELS, 3, 8, seed=5)
    for m in ("extra", "rf"):
        out = RE.cross_validate(X, y, groups, 11, k=3, seed=1, n_trees=8, method=m,
                                max_depth=8, min_samples_leaf=2)
        est = out["estimate"]
        assert est["n"] == len(y) and out["folds"] == 3 and len(out["points"]) == len(y)
        assert est["r2"] > 0.9 and est["mae"] < 0.05, (m, est)
        assert est["baseline_mae"] > 4 * est["mae"], (m, est)
        assert [s["session"] for s in out["sessions"]][:3] == ["s1", "s2", "s3"]
        assert len(out["sessions"]) == 3 * len(LEVELS)


def test_cross_validate_in_steps_gives_the_same_answer():
    X, y, groups = synth.spectra((0.0, 0.5, 1.0), 2, 4, seed=3)
    out = {}
    done = [p["done"] for p in RE.cross_validate_steps(X, y, groups, 11, out, k=3, n_trees=3,
                                                        max_depth=4)]
    assert len(done) >= 9 and done == sorted(done) and done[-1] == 1.0, done
    whole = RE.cross_validate(X, y, groups, 11, k=3, n_trees=3, max_depth=4)
    assert out["result"]["points"] == whole["points"] and out["result"]["folds"] == 3
    out = {}                 # folds by value, errors by session
    names = ["run-%s" % g for g in groups]
    for _ in RE.cross_validate_steps(X, y, ["v%g" % v for v in y], 11, out, k=3, n_trees=3,
                                     max_depth=4, sessions=names):
        pass
    assert sorted(s["session"] for s in out["result"]["sessions"]) == sorted(set(names))
    out = {}
    assert list(RE.cross_validate_steps(X[:0], y[:4], groups[:4], 11, out)) == []
    assert out["result"]["estimate"] is None and "too few sessions" in out["result"]["reason"]


def test_metrics_by_hand():
    got = RE.metrics([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0], 2.5)
    assert got["n"] == 4 and _close(got["mae"], 0.25) and _close(got["rmse"], 0.5)
    # baseline 2.5 errs by 1.5, 0.5, 0.5, 1.5: SSE 5; the model's SSE is 1
    assert _close(got["r2"], 0.8) and _close(got["baseline_mae"], 1.0)
    assert _close(RE.metrics([1.0, 3.0], [1.0, 3.0])["r2"], 1.0)      # baseline: truth's mean
    per = RE.metrics([1.0, 3.0], [2.0, 2.0], [0.0, 4.0])   # one baseline per window: as bad
    assert _close(per["r2"], 0.0) and _close(per["baseline"], 2.0)
    assert RE.metrics([2.0, 2.0], [2.0, 2.0], 2.0)["r2"] is None      # baseline never wrong
    assert RE.metrics([], [])["mae"] is None


def test_per_session_errors():
    got = RE.per_session([1.0, 1.0, 2.0], [1.5, 0.5, 2.0], ["s10", "s10", "s2"])
    assert [g["session"] for g in got] == ["s2", "s10"]
    assert got[1]["n"] == 2 and _close(got[1]["mae"], 0.5) and _close(got[1]["predicted"], 1.0)
    assert got[0]["mae"] == 0.0 and got[0]["truth"] == 2.0


def test_too_few_sessions_or_one_value_give_no_estimate():
    X, y, groups = synth.spectra((0.1, 0.4), 1, 4)
    why = RE.check_sessions(y, groups, "mmol/L")
    assert "too few sessions" in why and "s1 (0.1 mmol/L)" in why and "s2 (0.4 mmol/L)" in why
    out = RE.cross_validate(X, y, groups, 11)
    assert out["estimate"] is None and out["reason"] == RE.check_sessions(y, groups)
    X, y, groups = synth.spectra((0.3,), 3, 4)
    assert "same value" in RE.check_sessions(y, groups)
    X, y, groups = synth.spectra((0.1, 0.4, 0.7), 1, 4)
    assert RE.check_sessions(y, groups) is None


def test_session_folds_keep_sessions_whole_and_span_the_values():
    X, y, groups = synth.spectra(LEVELS, 3, 4)
    folds = RE.session_kfold(y, groups, k=3, seed=2)
    seen = []
    for train, test in folds:
        ts = set(groups[i] for i in test)
        assert not ts & set(groups[i] for i in train)
        seen += list(ts)
        vals = set(y[i] for i in test)
        assert min(vals) <= 0.1 and max(vals) >= 0.7, sorted(vals)   # each fold spans the range
    assert len(folds) == 3 and sorted(seen) == sorted(set(groups))

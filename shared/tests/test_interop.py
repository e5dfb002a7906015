# Model interop with emlearn (CPython only, needs scikit-learn, emlearn and gcc):
# (1) a scikit-learn ExtraTrees model converted by emlearn and saved as CSV gives, through our
#     reader + pure-Python predictor, the same classes and probabilities as emlearn's compiled
#     C (eml_trees.h) on 1000 random int16 inputs;
# (2) files written by our writer, read the way emlearn-micropython's load_model reads CSV
#     (unknown lines ignored, threshold int(float(t)), children relative), run in emlearn's C
#     and agree with our predictor.
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared import modelformat as MF  # noqa: E402
from shared.quant import Quantizer  # noqa: E402

emlearn = pytest.importorskip("emlearn")
ensemble = pytest.importorskip("sklearn.ensemble")

N_FEATURES, N_CLASSES, N_TEST = 6, 3, 1000


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # emlearn compiles its C test programs under ./tmp
    return tmp_path


def _train():
    rs = np.random.RandomState(7)
    X = rs.randint(-1000, 1000, size=(600, N_FEATURES))
    y = ((X[:, 0] > 100).astype(int) + (X[:, 1] + X[:, 2] > 300).astype(int)) % N_CLASSES
    y[rs.rand(len(y)) < 0.1] = rs.randint(0, N_CLASSES)          # some label noise
    est = ensemble.ExtraTreesClassifier(n_estimators=10, max_depth=8, random_state=1)
    return est.fit(X, y)


def _test_inputs(model):
    rs = np.random.RandomState(11)
    X = rs.randint(-1200, 1200, size=(N_TEST, N_FEATURES))
    # a quarter of the rows put a feature exactly on a threshold: the x < t boundary case
    for r in range(0, N_TEST, 4):
        f, t, _, _ = model.nodes()[rs.randint(model.n_nodes)]
        X[r, f] = t
    return X


def _emlearn_reference_read(text):
    """emlearn-micropython's load_model semantics, into emlearn's forest (absolute children)."""
    nodes, roots, leaves = [], [], []
    for line in text.splitlines():
        tok = line.rstrip("\r").split(",")
        if tok[0] == "r":
            roots.append(int(tok[1]))
        elif tok[0] == "l":
            leaves.append(int(tok[1]))
        elif tok[0] == "n":
            i = len(nodes)
            le, ri = int(tok[3]), int(tok[4])
            nodes.append([int(tok[1]), int(float(tok[2])), le + i if le >= 0 else le,
                          ri + i if ri >= 0 else ri])
    return nodes, roots, leaves


def _emlearn_c_with_forest(cmodel, forest):
    cmodel.forest_ = forest
    cmodel._classifier = None     # recompile emlearn's C with this forest
    return cmodel


def test_emlearn_csv_matches_emlearn_c(in_tmp):
    est = _train()
    cmodel = emlearn.convert(est, method="loadable")
    ours = MF.loads(cmodel.save(name="interop", format="csv"), require_meta=False)
    assert ours.n_features == N_FEATURES and ours.n_classes == N_CLASSES
    assert len(ours.roots) == 10
    X = _test_inputs(ours)
    want = cmodel.predict(X)
    got = np.array([ours.predict(list(map(int, row))) for row in X])
    assert (got == want).all(), np.flatnonzero(got != want)[:10]
    proba = cmodel.predict_proba(X)
    got_p = np.array([ours.predict_proba(list(map(int, row))) for row in X])
    assert np.allclose(got_p, proba, atol=1e-6)
    # sanity: sklearn's own trees with hard voting agree away from thresholds (emlearn's
    # int(t) differs from sklearn's x <= t when x == int(t), as in the forced boundary rows)
    votes = sum(np.eye(N_CLASSES)[t.predict(X).astype(int)] for t in est.estimators_)
    away = np.arange(N_TEST) % 4 != 0
    assert (got == votes.argmax(axis=1))[away].mean() > 0.97


def test_our_writer_loads_in_emlearn_reference(in_tmp):
    est = _train()
    cmodel = emlearn.convert(est, method="loadable")
    ours = MF.loads(cmodel.save(name="interop", format="csv"), require_meta=False)
    meta = MF.make_meta(["f%d" % i for i in range(N_FEATURES)], ["a", "b", "c"],
                        Quantizer([0] * N_FEATURES, [0] * N_FEATURES), {"rate": 50})
    text = MF.dumps(ours, meta)
    assert MF.loads(text).nodes() == ours.nodes()
    ref = _emlearn_c_with_forest(cmodel, _emlearn_reference_read(text))
    X = _test_inputs(ours)
    got = np.array([ours.predict(list(map(int, row))) for row in X])
    assert (ref.predict(X) == got).all()


def test_golden_model_runs_in_emlearn_c(in_tmp):
    with open(os.path.join(ROOT, "shared", "tests", "golden", "model.csv")) as f:
        text = f.read()
    ours = MF.loads(text)
    est = _train()   # any converted model: only its wrapper is reused, the forest is replaced
    cmodel = emlearn.convert(est, method="loadable")
    cmodel.n_features, cmodel.n_classes = ours.n_features, ours.n_classes
    ref = _emlearn_c_with_forest(cmodel, _emlearn_reference_read(text))
    rs = np.random.RandomState(3)
    X = rs.randint(-32768, 32767, size=(N_TEST, ours.n_features))
    for r in range(0, N_TEST, 2):
        for f, t, _, _ in ours.nodes()[r % ours.n_nodes:r % ours.n_nodes + 3]:
            X[r, f] = t - (r // 2) % 2
    got = np.array([ours.predict(list(map(int, row))) for row in X])
    assert (ref.predict(X) == got).all()

# CPython only (scikit-learn): our extra-trees reaches the accuracy of scikit-learn's
# ExtraTreesClassifier, within a few points, on the same int16 features and the same split.
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared import evaluate as E  # noqa: E402
from shared import pipeline as P  # noqa: E402
from shared.compat import Rng  # noqa: E402
from shared.tests import synth  # noqa: E402
from shared.trainer import Trainer  # noqa: E402

np = pytest.importorskip("numpy")
ensemble = pytest.importorskip("sklearn.ensemble")

SEEDS = range(5)


def _sklearn_accuracy(cls, X, y, nf, train, test, seed, **kw):
    A = np.array(X, dtype=np.int64).reshape(-1, nf)
    Y = np.array(list(y))
    tr, te = np.array(list(train)), np.array(list(test))
    est = cls(n_estimators=10, random_state=seed, **kw).fit(A[tr], Y[tr])
    return float((est.predict(A[te]) == Y[te]).mean())


def _compare(X, y, nf, nc, max_depth):
    ours, theirs = [], []
    for s in SEEDS:
        train, test = E.stratified_split(y, 0.3, seed=s)
        model = Trainer(X, y, nf, nc, n_trees=10, max_depth=max_depth, rows=train, seed=s).fit()
        ours.append(E.evaluate(model, X, y, test)["accuracy"])
        theirs.append(_sklearn_accuracy(ensemble.ExtraTreesClassifier, X, y, nf, train, test, s,
                                        max_depth=max_depth, max_features="sqrt"))
    return sum(ours) / len(ours), sum(theirs) / len(theirs)


def test_close_to_sklearn_extra_trees_on_noisy_table():
    X, y = synth.table(900, 8, 3, seed=21, noise_pct=10)
    ours, theirs = _compare(X, y, 8, 3, None)
    print("table: ours %.3f sklearn %.3f" % (ours, theirs))
    assert ours >= theirs - 0.03, (ours, theirs)


def test_close_to_sklearn_extra_trees_on_window_features():
    # overlapping classes: amplitudes drawn over a wide range for every class
    rng = Rng(4)
    windows, labels = [], []
    for i in range(360):
        k = i % 3
        windows.append(synth.window(rng, k, 64))
        labels.append(k)
        if i % 4 == 0:   # some windows of a class look like another's (label noise)
            labels[-1] = rng.randbelow(3)
    win = {"rate": 50, "window": 64, "channels": 3, "scale": 1 / 4096}
    fe = P.extractor(win, "python")
    rows = [fe.compute(w, fe.new_output(), win["scale"]) for w in windows]
    from shared.quant import Quantizer
    X = P.quantise_rows(rows, Quantizer.fit(rows))
    ours, theirs = _compare(X, bytearray(labels), fe.n_features, 3, 12)
    print("windows: ours %.3f sklearn %.3f" % (ours, theirs))
    assert ours >= theirs - 0.03, (ours, theirs)

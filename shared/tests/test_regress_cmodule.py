# Regression trees in our C binding on every runtime: shared.regress.predictor runs a trained
# RegressionModel through emlearn_trees (leaf_bits 32, eml_trees_regress) where that module
# imports (our unix, WASM and firmware builds), and its estimates equal RegressionModel.predict
# within float32 rounding (the C sums float32 leaves in float32; Python sums them in double).
# Where the module is absent (npm WASM, PyPI unix) the Python path is checked to be chosen.
from array import array

from shared import regress
from shared.regress import Regressor
from shared.tests import synth


def _has_c():
    try:
        import emlearn_trees
    except ImportError:
        return False
    try:
        emlearn_trees.new(1, 1, 1, 32)
        return True
    except (TypeError, ValueError):   # emlearn-micropython's module: classifiers only
        return False


def _model(method, n_trees=7):
    X, y, _ = synth.spectra([k / 10 for k in range(10)], 2, 4, noise=3000, drift=0.3)
    m = Regressor(X, y, 11, n_trees=n_trees, method=method, max_depth=8, seed=3).fit()
    return m, X, len(y)


def test_c_estimates_equal_python_within_float32():
    if not _has_c():
        p, impl = regress.predictor(_model("extra", 2)[0])
        assert impl == "python"
        return      # no emlearn_trees with regression here: the Python path is chosen
    for method in ("extra", "rf"):
        m, X, rows = _model(method)
        assert len(set(m.leaves)) >= 8          # many distinct values: a mix-up would show
        c, impl = regress.predictor(m)
        assert impl == "c", impl
        for r in range(rows):
            x = X[r * 11:(r + 1) * 11]
            got = c.predict(x)
            want = m.predict(x)
            assert abs(got - want) <= 1e-6 * max(abs(want), 1e-1), (method, r, got, want)
            assert c.predict(list(x)) == got           # a list goes through the same array


def test_c_refuses_what_python_refuses_and_python_can_be_forced():
    m = _model("extra", 3)[0]
    p, impl = regress.predictor(m, impl="python")
    assert impl == "python" and p is m
    if not _has_c():
        return      # no emlearn_trees with regression here
    c = regress.predictor(m, impl="c")[0]
    for bad in (array("h", [0] * 10), [0] * 12):
        for f in (c.predict, m.predict):
            try:
                f(bad)
            except ValueError:
                continue
            raise AssertionError("accepted %d features" % len(bad))

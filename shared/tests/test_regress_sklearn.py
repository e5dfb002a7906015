# CPython only (scikit-learn): our regression trees reach the R² of scikit-learn's
# DecisionTreeRegressor and ExtraTreesRegressor (within 0.02) on the same int16 spectra, the same
# session split and the same depth / leaf settings; our metrics equal sklearn.metrics'.
import pytest

from shared import regress_eval as RE
from shared.compat import Rng
from shared.regress import Regressor
from shared.tests import synth

np = pytest.importorskip("numpy")
tree = pytest.importorskip("sklearn.tree")
ensemble = pytest.importorskip("sklearn.ensemble")
skm = pytest.importorskip("sklearn.metrics")

SEEDS = range(5)
NB = 11
NOISE, DRIFT = 3000, 0.3   # hard enough that R² is well below 1 (a difference shows)


def _data(seed):
    """Dye spectra at 12 concentrations drawn in 0..1 mmol/L, 3 sessions each, noisy."""
    rng = Rng(100 + seed)
    levels = [round(rng.uniform(0, 1), 3) for _ in range(12)]
    return synth.spectra(levels, 3, 8, seed=seed, noise=NOISE, drift=DRIFT)


def _compare(ours_kw, sk_cls, sk_kw):
    ours, theirs = [], []
    for s in SEEDS:
        X, y, groups = _data(s)
        train, test = RE.session_kfold(y, groups, k=4, seed=s)[0]
        A = np.array(X, dtype=np.int64).reshape(-1, NB)
        Y = np.array(y)
        tr, te = np.array(list(train)), np.array(list(test))
        model = Regressor(X, y, NB, rows=train, seed=s, **ours_kw).fit()
        ours.append(skm.r2_score(Y[te], RE.predict_values(model, X, test, NB)))
        est = sk_cls(random_state=s, **sk_kw).fit(A[tr], Y[tr])
        theirs.append(skm.r2_score(Y[te], est.predict(A[te])))
    return sum(ours) / len(ours), sum(theirs) / len(theirs)


@pytest.mark.parametrize("depth,leaf", [(4, 1), (8, 3), (None, 1)])
def test_decision_tree_r2_close_to_sklearn(depth, leaf):
    ours, theirs = _compare(
        {"method": "rf", "n_trees": 1, "bootstrap": False, "max_depth": depth,
         "min_samples_leaf": leaf},
        tree.DecisionTreeRegressor, {"max_depth": depth, "min_samples_leaf": leaf})
    print("tree depth %s leaf %d: ours %.4f sklearn %.4f" % (depth, leaf, ours, theirs))
    assert abs(ours - theirs) <= 0.02, (ours, theirs)
    assert 0.6 < theirs < 0.97       # the data can be learnt: the comparison means something


@pytest.mark.parametrize("depth,leaf", [(6, 1), (None, 2)])
def test_extra_trees_r2_close_to_sklearn(depth, leaf):
    ours, theirs = _compare(
        {"method": "extra", "n_trees": 10, "max_depth": depth, "min_samples_leaf": leaf},
        ensemble.ExtraTreesRegressor,
        {"n_estimators": 10, "max_depth": depth, "min_samples_leaf": leaf, "max_features": 1.0,
         "bootstrap": False})
    print("extra depth %s leaf %d: ours %.4f sklearn %.4f" % (depth, leaf, ours, theirs))
    assert abs(ours - theirs) <= 0.02, (ours, theirs)
    assert 0.6 < theirs < 0.97


def test_metrics_equal_sklearn_metrics():
    rng = Rng(9)
    truth = [rng.uniform(0, 1) for _ in range(50)]
    pred = [t + rng.uniform(-0.2, 0.2) for t in truth]
    got = RE.metrics(truth, pred)
    assert got["mae"] == pytest.approx(skm.mean_absolute_error(truth, pred), rel=1e-12)
    assert got["rmse"] == pytest.approx(skm.mean_squared_error(truth, pred) ** 0.5, rel=1e-12)
    assert got["r2"] == pytest.approx(skm.r2_score(truth, pred), rel=1e-12)

# CPython reference for the anomaly models (shared.envelope, shared.gmm, shared.anomaly):
# Ledoit-Wolf against scikit-learn's LedoitWolf; EM from the same start against scikit-learn's
# GaussianMixture (parameters, iterations, BIC, score_samples); the pure-Python scorers against
# scikit-learn's EllipticEnvelope / GaussianMixture scores and against emlearn's own C
# (emlearn.convert). The C bindings are checked against the same references in
# wasm/tests/test_modules.py, and against these pure-Python scorers by test_anomaly on our builds.
import os
from array import array

import pytest

np = pytest.importorskip("numpy")
covariance = pytest.importorskip("sklearn.covariance")
mixture = pytest.importorskip("sklearn.mixture")
neighbors = pytest.importorskip("sklearn.neighbors")

from shared import anomaly, envelope, gmm  # noqa: E402


@pytest.fixture(autouse=True)
def _no_underflow_errors():
    # scikit-learn's logsumexp underflows harmlessly for far components; another module may
    # have set numpy to raise on it
    with np.errstate(under="ignore"):
        yield


def _data(n=300, d=5, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(0, 1, (n // 2, d)) @ rng.normal(0, 1, (d, d))
    B = rng.normal(2.5, 0.6, (n - n // 2, d))
    return np.vstack([A, B])


def _rel(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    return float(np.max(np.abs(got - want) / (1e-3 + np.abs(want))))


@pytest.mark.parametrize("n", [40, 300])
def test_ledoit_wolf_matches_sklearn(n):
    X = _data(n)
    d = X.shape[1]
    mean, cov, shrink = envelope.ledoit_wolf(array("d", X.ravel()), d, min_shrinkage=0.0)
    lw = covariance.LedoitWolf().fit(X)
    assert abs(shrink - lw.shrinkage_) < 1e-12
    np.testing.assert_allclose(np.array(cov).reshape(d, d), lw.covariance_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mean, lw.location_, rtol=1e-12, atol=1e-12)
    p = envelope.fit(array("d", X.ravel()), d, min_shrinkage=0.0)
    np.testing.assert_allclose(np.array(p["precision"]).reshape(d, d), lw.precision_,
                               rtol=1e-8, atol=1e-10)


def test_envelope_scores_match_sklearn_and_emlearn_c(tmp_path):
    emlearn = pytest.importorskip("emlearn")
    X = _data()
    d = X.shape[1]
    ee = covariance.EllipticEnvelope(random_state=0).fit(X)
    Q = _data(60, seed=1) * 1.3
    m = envelope.new(d)
    m.setdata(array("f", ee.location_), array("f", ee.precision_.ravel()), -ee.offset_)
    out = array("f", [0.0] * len(Q))
    m.score(array("f", Q.ravel()), out)
    want = -ee.score_samples(Q)                     # scikit-learn: -squared Mahalanobis
    rel_sk = _rel(out, want)
    flags = bytearray(len(Q))
    m.predict(array("f", Q.ravel()), flags)
    assert list(flags) == [int(v) for v in ee.predict(Q) == -1]
    here = os.getcwd()
    os.chdir(tmp_path)          # emlearn compiles its C reference under the working folder
    try:
        c = emlearn.convert(ee, method="inline").mahalanobis(Q)  # emlearn's own C, eml_distance.h
    finally:
        os.chdir(here)
    rel_c = _rel(out, c)
    print("envelope: max rel diff vs sklearn %.2g, vs emlearn C %.2g" % (rel_sk, rel_c))
    assert rel_sk < 1e-5 and rel_c < 1e-5


def _same_start(p, k, d, cov_type):
    init = p["init"]
    U = np.array(init["prec_chol"])
    if cov_type == "full":
        U = U.reshape(k, d, d)
        P = np.einsum("kij,klj->kil", U, U)
    else:
        P = U.reshape(k, d) ** 2
    return dict(weights_init=init["weights"], means_init=np.array(init["means"]).reshape(k, d),
                precisions_init=P)


@pytest.mark.parametrize("cov_type", gmm.TYPES)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_em_matches_sklearn_from_the_same_start(cov_type, k):
    X = _data()
    n, d = X.shape
    p = gmm.fit(array("d", X.ravel()), d, k, cov_type, reg_covar=1e-6, seed=3)
    g = mixture.GaussianMixture(k, covariance_type=cov_type, reg_covar=1e-6,
                                **_same_start(p, k, d, cov_type)).fit(X)
    assert p["n_iter"] == g.n_iter_ and p["converged"] == g.converged_
    np.testing.assert_allclose(np.array(p["means"]).reshape(k, d), g.means_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(p["weights"], g.weights_, rtol=1e-8)
    np.testing.assert_allclose(np.array(p["prec_chol"]).reshape(g.precisions_cholesky_.shape),
                               g.precisions_cholesky_, rtol=1e-7, atol=1e-8)
    assert abs(p["bic"] - g.bic(X)) < 1e-6 * abs(g.bic(X))
    assert abs(p["log_likelihood"] - g.score(X) * n) < 1e-6 * abs(g.score(X) * n)


@pytest.mark.parametrize("cov_type", gmm.TYPES)
def test_mixture_scores_match_sklearn_and_emlearn_c(cov_type, tmp_path):
    emlearn = pytest.importorskip("emlearn")
    X = _data()
    d = X.shape[1]
    g = mixture.GaussianMixture(3, covariance_type=cov_type, random_state=0).fit(X)
    Q = _data(50, seed=2) * 1.2
    chol = g.precisions_cholesky_
    m = gmm.new(3, d, cov_type)
    m.setdata(array("f", g.means_.ravel()), array("f", chol.ravel()),
              array("f", np.log(g.weights_)), 0.0)
    out = array("f", [0.0] * len(Q))
    m.score(array("f", Q.ravel()), out)
    rel_sk = _rel(out, -g.score_samples(Q))
    lp = array("f", [0.0] * (3 * len(Q)))
    m.predict_log_proba(array("f", Q.ravel()), lp)
    np.testing.assert_allclose(np.array(lp).reshape(-1, 3), g._estimate_weighted_log_prob(Q),
                               rtol=1e-5, atol=1e-3)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        c = emlearn.convert(g).score_samples(Q)     # emlearn's own C, eml_mixture.h (full)
    finally:
        os.chdir(here)
    rel_c = _rel(out, -c)
    print("mixture %s: max rel diff vs sklearn %.2g, vs emlearn C %.2g" % (cov_type, rel_sk, rel_c))
    assert rel_sk < 1e-5 and rel_c < 1e-4


def test_bic_choice_matches_sklearn():
    X = _data()
    n, d = X.shape
    flat = array("d", X.ravel())
    p = gmm.select(flat, d, ks=(1, 2, 3, 4), types=("full", "diag"), reg_covar=1e-6, seed=2)
    bics = {}
    for cov_type, k, bic in p["tried"]:
        q = gmm.fit(flat, d, k, cov_type, reg_covar=1e-6, seed=2)
        g = mixture.GaussianMixture(k, covariance_type=cov_type, reg_covar=1e-6,
                                    **_same_start(q, k, d, cov_type)).fit(X)
        bics[(cov_type, k)] = g.bic(X)
        assert abs(bic - g.bic(X)) < 1e-6 * abs(g.bic(X))
    assert min(bics, key=bics.get) == (p["type"], p["k"])
    assert (p["type"], p["k"]) == ("full", 2)       # two blobs, one of them correlated


def test_knn_score_matches_sklearn_neighbours():
    X = _data()
    n, d = X.shape
    m = anomaly.fit(array("f", X.ravel()), d, "knn", k=5, max_items=n)
    Q = _data(40, seed=4)
    out = array("f", [0.0] * len(Q))
    m.score_rows(array("f", Q.ravel()), out)
    Z = (X - X.mean(0)) / X.std(0)
    Zq = (Q - X.mean(0)) / X.std(0)
    dist, _ = neighbors.NearestNeighbors(n_neighbors=5).fit(Z).kneighbors(Zq)
    # int16 rows (about 1/200 of a standard deviation a step) and floor(sqrt): within 2 %
    np.testing.assert_allclose(out, dist.mean(1), rtol=0.02, atol=0.02)


def test_anomaly_auc_close_to_sklearn():
    """Our fits rank perturbed rows about as well as scikit-learn's own estimators."""
    metrics = pytest.importorskip("sklearn.metrics")
    X = _data(400, seed=5)
    n, d = X.shape
    Qn = _data(100, seed=6)
    Qa = _data(100, seed=7) + np.random.default_rng(8).normal(0, 1.5, (100, d))
    Q = np.vstack([Qn, Qa])
    y = [0] * 100 + [1] * 100
    ours = {}
    for kind in anomaly.KINDS:
        m = anomaly.fit(array("f", X.ravel()), d, kind)
        s = array("f", [0.0] * len(Q))
        m.score_rows(array("f", Q.ravel()), s)
        ours[kind] = metrics.roc_auc_score(y, s)
    ref = {"envelope": -covariance.EllipticEnvelope(random_state=0).fit(X).score_samples(Q),
           "gmm": -mixture.GaussianMixture(2, random_state=0).fit(X).score_samples(Q)}
    sd = X.std(0)
    nn = neighbors.NearestNeighbors(n_neighbors=5).fit((X - X.mean(0)) / sd)
    ref["knn"] = nn.kneighbors((Q - X.mean(0)) / sd)[0].mean(1)
    for kind, s in ref.items():
        auc = metrics.roc_auc_score(y, s)
        print("%s AUC ours %.3f sklearn %.3f" % (kind, ours[kind], auc))
        assert ours[kind] > auc - 0.03

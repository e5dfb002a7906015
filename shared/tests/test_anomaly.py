# Anomaly models (shared.anomaly, envelope, gmm, linalg) on every runtime: the scorers in use
# (our C modules emlearn_distance / emlearn_mixture where the build has them, else the
# pure-Python ones) against the pure-Python models and an independent double-precision formula;
# detection on the classifiers' features of synthetic windows; bad input fails at fit time.
# Memory: tables of at most 240 rows of 6 features, or 48 windows of 3 x 64 samples.
from array import array
import math

from shared import anomaly, envelope, gmm, linalg
from shared.compat import Rng
from shared.tests import synth

_D = 5


def _normal_rows(n=200, seed=3, shift=0.0):
    """Correlated rows (feature j mixes the first two noises), n x _D, as array('f')."""
    return synth.correlated(n, _D, seed, shift)


def _close(got, want, what, rel=2e-5, abs_=1e-4):
    for i in range(len(want)):
        assert abs(got[i] - want[i]) <= abs_ + rel * abs(want[i]), \
            "%s[%d]: %r != %r" % (what, i, got[i], want[i])


def _solve_quadratic(cov, d, diff):
    """diff^T cov^-1 diff by Gauss-Jordan elimination (independent of linalg's Cholesky)."""
    a = [list(cov[i * d:(i + 1) * d]) + [diff[i]] for i in range(d)]
    for c in range(d):
        p = max(range(c, d), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(d):
            if r != c:
                f = a[r][c] / a[c][c]
                for k in range(c, d + 1):
                    a[r][k] -= f * a[c][k]
    return sum(diff[i] * a[i][d] / a[i][i] for i in range(d))


def test_linalg_cholesky_inverse_and_singular():
    A = [4.0, 2.0, 0.4, 2.0, 3.0, 0.5, 0.4, 0.5, 2.0]
    L = linalg.cholesky(A, 3)
    for i in range(3):
        for j in range(3):
            s = sum(L[i * 3 + k] * L[j * 3 + k] for k in range(3))
            assert abs(s - A[i * 3 + j]) < 1e-12
    P = linalg.gram(linalg.precision_cholesky(A, 3), 3)
    for i in range(3):          # A P = I
        for j in range(3):
            s = sum(A[i * 3 + k] * P[k * 3 + j] for k in range(3))
            assert abs(s - (1.0 if i == j else 0.0)) < 1e-12
    for bad in ([1.0, 2.0, 2.0, 4.0], [1.0, 0.0, 0.0, -1.0], [float("nan"), 0.0, 0.0, 1.0]):
        try:
            linalg.cholesky(bad, 2)
        except linalg.SingularError:
            continue
        raise AssertionError("no SingularError for %r" % bad)


def test_envelope_scorer_matches_formula_and_pure_python():
    X = _normal_rows()
    Z = anomaly.Standardiser(X, _D).transform(X)
    mean, cov, shrink = envelope.ledoit_wolf(Z, _D)
    assert envelope.MIN_SHRINKAGE <= shrink < 0.5
    p = envelope.fit(Z, _D)
    Q = _normal_rows(40, seed=11, shift=0.3)
    Qz = anomaly.Standardiser(X, _D).transform(Q)
    want = [_solve_quadratic(cov, _D, [Qz[r * _D + j] - mean[j] for j in range(_D)])
            for r in range(40)]
    for mod in (envelope.module(), envelope):
        m = mod.new(_D)
        m.setdata(array("f", p["mean"]), array("f", p["precision"]), 7.5)
        out = array("f", [0.0] * 40)
        m.score(Qz, out)
        _close(out, want, "%s score" % mod.__name__)
        flags = bytearray(40)
        assert m.predict(Qz, flags) == sum(1 for s in out if s > 7.5) == sum(flags)
        assert m.threshold() == 7.5


def _gmm_density(p, x, d):
    """-log sum_c w_c N(x | c) with the precision from the Cholesky factor, in doubles."""
    tot = 0.0
    for c in range(p["k"]):
        if p["type"] == "full":
            U = p["prec_chol"][c * d * d:(c + 1) * d * d]
            P = linalg.gram(U, d)
            det = 1.0
            for i in range(d):
                det *= U[i * d + i] ** 2
        else:
            u = p["prec_chol"][c * d:(c + 1) * d]
            P = [u[i] ** 2 if i == j else 0.0 for i in range(d) for j in range(d)]
            det = 1.0
            for v in u:
                det *= v * v
        diff = [x[j] - p["means"][c * d + j] for j in range(d)]
        q = sum(diff[i] * P[i * d + j] * diff[j] for i in range(d) for j in range(d))
        tot += p["weights"][c] * math.sqrt(det / (2 * math.pi) ** d) * math.exp(-0.5 * q)
    return -math.log(tot)


def test_gmm_scorer_matches_formula_and_pure_python():
    X = _normal_rows(120)
    Z = anomaly.Standardiser(X, _D).transform(X)
    Q = _normal_rows(30, seed=5, shift=0.2)
    Qz = anomaly.Standardiser(X, _D).transform(Q)
    for cov_type in gmm.TYPES:
        p = gmm.fit(Z, _D, 2, cov_type, max_iter=15)
        want = [_gmm_density(p, Qz[r * _D:(r + 1) * _D], _D) for r in range(30)]
        for mod in (gmm.module(), gmm):
            m = mod.new(2, _D, cov_type)
            m.setdata(array("f", p["means"]), array("f", p["prec_chol"]),
                      array("f", p["log_weights"]), 9.0)
            out = array("f", [0.0] * 30)
            m.score(Qz, out)
            _close(out, want, "%s %s score" % (mod.__name__, cov_type))
            lp = array("f", [0.0] * 60)
            m.predict_log_proba(Qz, lp)
            for r in range(30):     # -logsumexp of the component terms is the score
                s = -math.log(math.exp(lp[2 * r]) + math.exp(lp[2 * r + 1]))
                assert abs(s - out[r]) < 1e-3, (r, s, out[r])
            flags = bytearray(30)
            assert m.predict(Qz, flags) == sum(1 for s in out if s > 9.0)


def test_gmm_bic_picks_the_number_of_blobs():
    rng = Rng(4)
    one, two = array("f"), array("f")
    for r in range(160):
        c = 6.0 * (r % 2)
        for j in range(3):
            one.append(rng.uniform(-1, 1) + rng.uniform(-1, 1))
            two.append(c + rng.uniform(-1, 1) + rng.uniform(-1, 1))
    assert gmm.select(one, 3, ks=(1, 2, 3), types=("diag",))["k"] == 1
    p = gmm.select(two, 3, ks=(1, 2, 3), types=("diag",))
    assert p["k"] == 2, p["tried"]
    assert p["converged"]
    assert sorted(round(w, 1) for w in p["weights"]) == [0.5, 0.5]


def _windows(kind, n, seed):
    rng = Rng(seed)
    return [synth.window(rng, kind) for _ in range(n)]


def test_anomaly_models_flag_other_motion_on_classifier_features():
    settings = {"rate": 50, "window": 64, "channels": 3}
    X, d = anomaly.feature_table(_windows(1, 48, 1), settings)        # "walk" is normal
    N, _ = anomaly.feature_table(_windows(1, 12, 2), settings)        # new walks
    A, _ = anomaly.feature_table(_windows(2, 6, 3) + _windows(0, 6, 4), settings)  # shake, still
    for kind in anomaly.KINDS:
        m = anomaly.fit(X, d, kind, ks=(1, 2), types=("diag",), contamination=0.02)
        flags = bytearray(12)
        assert m.predict_rows(A, flags) == 12, (kind, list(flags))
        assert m.predict_rows(N, flags) <= 3, (kind, list(flags))
        s_a, s_n = array("f", [0.0] * 12), array("f", [0.0] * 12)
        m.score_rows(A, s_a)
        m.score_rows(N, s_n)
        assert min(s_a) > max(s_n), kind


def test_fit_refuses_bad_normal_data():
    X = _normal_rows(30)

    def refused(X, D=_D, **kw):
        for kind in anomaly.KINDS:
            try:
                anomaly.fit(X, D, kind, **kw)
            except ValueError as e:
                assert str(e)
                continue
            raise AssertionError("%s accepted bad data" % kind)
    for bad in (float("nan"), float("inf"), 1e300):
        Y = array("d", X)
        Y[7 * _D + 2] = bad
        refused(Y)
    refused(array("f", [1.5] * (30 * _D)))            # constant windows
    refused(X[:5 * _D])                               # too few windows
    refused(X[:-1])                                   # not whole windows
    try:
        anomaly.fit(X, _D, "forest")
    except ValueError:
        pass
    else:
        raise AssertionError("unknown kind accepted")


def test_fit_regularises_singular_covariance():
    # a duplicated feature and a constant one: the covariance is singular; the fit still gives
    # a usable model with finite scores, and the constant feature is reported as ignored
    X = _normal_rows(60)
    D = _D + 2
    Y = array("f", [0.0] * (60 * D))
    for r in range(60):
        for j in range(_D):
            Y[r * D + j] = X[r * _D + j]
        Y[r * D + _D] = X[r * _D + 1]
        Y[r * D + _D + 1] = 3.0
    for kind in anomaly.KINDS:
        m = anomaly.fit(Y, D, kind)
        assert m.ignored == [_D + 1], m.ignored
        s = array("f", [0.0] * 60)
        m.score_rows(Y, s)
        assert all(v == v and abs(v) < 1e30 for v in s)
        far = array("f", Y[:D])
        far[0] += 20.0                                  # about 30 standard deviations
        assert m.score(far) > m.threshold, kind


def test_scorers_refuse_nan_input_and_bad_shapes():
    X = _normal_rows(40)
    for kind in ("envelope", "gmm"):
        m = anomaly.fit(X, _D, kind, ks=(1,))
        row = array("f", X[:_D])
        row[1] = float("nan")
        for args in ((row, array("f", [0.0])), (X[:_D], array("f", [0.0, 0.0]))):
            try:
                m.scorer.score(*args)
            except ValueError:
                continue
            raise AssertionError("%s scored %r" % (kind, args))


def test_models_fit_the_device_limit():
    # 12 features where 4..11 repeat 0..3 with little noise: an envelope limited to 16 values
    # keeps 4 features, the drop takes the near copies; a mixture limited to 48 values takes no
    # full covariance (12*12 > 48) and scores as well on the same rows
    rng = Rng(7)
    D, n = 12, 160
    X = array("f", [0.0] * (n * D))
    for r in range(n):
        base = [rng.uniform(-1, 1) for _ in range(4)]
        for j in range(D):
            X[r * D + j] = base[j % 4] * (1 + j // 4) + 0.01 * rng.uniform(-1, 1)
    m = anomaly.fit(X, D, "envelope", max_values=16)
    assert m.std.d == 4 and len(m.params["reduced"]) == 8, (m.std.keep, m.params["reduced"])
    assert sorted(j % 4 for j in m.std.keep) == [0, 1, 2, 3], m.std.keep
    far = array("f", X[:D])
    for j in range(D):
        far[j] += 3.0 * (1 + j // 4)               # every base feature moved by 3
    assert m.score(far) > m.threshold
    full = anomaly.fit(X, D, "envelope", max_values=None)
    assert full.std.d == D and full.params["reduced"] == []
    g = anomaly.fit(X, D, "gmm", max_values=48, ks=(1, 2))
    assert g.params["type"] == "diag" and g.std.d == D, g.params["type"]
    assert [t for t in g.params["tried"] if t[0] == "full"] == \
        [("full", 1, "more than the device's 48 values"), ("full", 2, "more than the device's 48 values")]

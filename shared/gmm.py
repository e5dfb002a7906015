# Gaussian mixture of normal feature rows: EM as scikit-learn's GaussianMixture ("full" or
# "diag" covariances, reg_covar added to each variance, the same update order and stopping
# rule), started from k-means++ centres drawn with our seeded Rng, and k (and the covariance
# type) chosen by BIC. Scoring has emlearn's eml_mixture.h semantics, through our C module
# emlearn_mixture when importable (module()), else the pure-Python model below with the same
# API; the anomaly score is -log p(x). Memory: responsibilities k*n floats and one d*d (full) or
# d (diag) covariance per component while fitting; the model keeps k*d means, k*d*d or k*d
# precision-Cholesky values and k log weights.
#
#   p = gmm.select(X, d, ks=(1, 2, 3), types=("diag", "full"))   # or gmm.fit(X, d, k, "full")
#   m = gmm.module().new(p["k"], d, p["type"])
#   m.setdata(p["means"], p["prec_chol"], p["log_weights"], threshold)
#   m.score(rows, out)            # -log p(x) of each row; predict(rows, flags) as envelope
import math
from array import array

from shared import linalg
from shared.compat import Rng
from shared.limits import anomaly_values

LOG_2PI = 1.8378770664093453
_INF = float("inf")
TYPES = ("full", "diag")
_EPS10 = 10 * 2.220446049250313e-16     # scikit-learn adds 10 eps to each component's weight


def module():
    """emlearn_mixture (C, our builds) when importable, else this module (same API)."""
    try:
        import emlearn_mixture
        return emlearn_mixture
    except ImportError:
        import shared.gmm as me
        return me


def _chol_len(k, d, cov_type):
    return k * d * d if cov_type == "full" else k * d


def _log_dets(prec_chol, k, d, cov_type):
    out = []
    for c in range(k):
        s = 0.0
        for i in range(d):
            s += math.log(prec_chol[c * d * d + i * d + i] if cov_type == "full" else
                          prec_chol[c * d + i])
        out.append(s)
    return out


def _log_probs(x, b, d, k, means, prec_chol, log_dets, log_weights, cov_type, out):
    """Weighted log densities log(w_c) + log N(x | c) of row x[b:b+d] into out[0:k]."""
    diff = [0.0] * d
    for c in range(k):
        mb = c * d
        for j in range(d):
            diff[j] = x[b + j] - means[mb + j]
        s = 0.0
        if cov_type == "full":
            U = c * d * d
            for f in range(d):          # y_f = sum_p diff_p U[p, f]; U is upper-triangular
                y = 0.0
                for p in range(f + 1):
                    y += diff[p] * prec_chol[U + p * d + f]
                s += y * y
        else:
            for j in range(d):
                y = diff[j] * prec_chol[mb + j]
                s += y * y
        out[c] = -0.5 * (d * LOG_2PI + s) + log_dets[c] + log_weights[c]


def _logsumexp(v, k):
    m = v[0]
    for c in range(1, k):
        if v[c] > m:
            m = v[c]
    if m == -_INF:
        return m
    s = 0.0
    for c in range(k):
        s += math.exp(v[c] - m)
    return m + math.log(s)


def _m_step(X, d, k, resp, cov_type, reg_covar):
    """weights, means (flat k*d) and precision Cholesky factors from responsibilities."""
    n = len(X) // d
    nks, means, chol = [], array("d"), array("d")
    for c in range(k):
        mean, cov, nk = linalg.mean_cov(X, d, None, resp[c], cov_type == "diag")
        nks.append(nk + _EPS10)
        means.extend(mean)
        if cov_type == "full":
            for j in range(d):
                cov[j * d + j] += reg_covar
            try:
                chol.extend(linalg.precision_cholesky(cov, d))
            except linalg.SingularError as e:
                raise linalg.SingularError("component %d: %s; raise reg_covar" % (c, e))
        else:
            for j in range(d):
                v = cov[j * d + j] + reg_covar
                if not v > 0.0:
                    raise linalg.SingularError("component %d: variance %d is %r" % (c, j, v))
                chol.append(1.0 / math.sqrt(v))
    total = sum(nks)
    weights = [v / total for v in nks]
    if n <= 0:
        raise ValueError("no rows")
    return weights, means, chol


def kmeanspp(X, d, k, rng):
    """Row numbers of k k-means++ centres (first uniform, then by squared distance)."""
    n = len(X) // d
    centres = [rng.randbelow(n)]
    d2 = [_INF] * n
    while len(centres) < k:
        cb = centres[-1] * d
        total = 0.0
        for r in range(n):
            s = linalg.sqdist(X, r * d, X, cb, d)
            if s < d2[r]:
                d2[r] = s
            total += d2[r]
        if total <= 0.0:
            raise ValueError("fewer distinct rows than components (%d)" % k)
        t = rng.random() * total
        r = 0
        while r < n - 1 and (t >= d2[r] or d2[r] == 0.0):
            t -= d2[r]
            r += 1
        centres.append(r)
    return centres


def init_resp(X, d, k, seed=1):
    """One-hot responsibilities (k lists of n): each row to its nearest k-means++ centre."""
    n = len(X) // d
    centres = kmeanspp(X, d, k, Rng(seed))
    resp = [linalg.zeros(n) for _ in range(k)]
    for r in range(n):
        b = r * d
        best, bc = _INF, 0
        for c in range(k):
            cb = centres[c] * d
            s = 0.0
            for j in range(d):
                e = X[b + j] - X[cb + j]
                s += e * e
            if s < best:
                best, bc = s, c
        resp[bc][r] = 1.0
    return resp


def fit(X, d, k, cov_type="full", reg_covar=1e-3, max_iter=100, tol=1e-3, seed=1):
    """EM from k-means++ (seeded); returns the parameters (see _params), including "init"
    (weights, means, prec_chol the EM started from) for comparisons with scikit-learn.
    linalg.SingularError (a ValueError) when a covariance is singular even with reg_covar."""
    if cov_type not in TYPES:
        raise ValueError("covariance type must be one of %s" % (TYPES,))
    n = len(X) // d
    if n < 2 or k < 1 or n < k:
        raise ValueError("need at least 2 rows and one per component (%d rows, k=%d)" % (n, k))
    weights, means, chol = _m_step(X, d, k, init_resp(X, d, k, seed), cov_type, reg_covar)
    init = {"weights": weights, "means": means, "prec_chol": chol}
    lower = -_INF
    converged = False
    n_iter = 0
    lp = [0.0] * k
    resp = [linalg.zeros(n) for _ in range(k)]
    for n_iter in range(1, max_iter + 1):
        prev = lower
        ld = _log_dets(chol, k, d, cov_type)
        lw = [math.log(w) for w in weights]
        total = 0.0
        for r in range(n):
            _log_probs(X, r * d, d, k, means, chol, ld, lw, cov_type, lp)
            norm = _logsumexp(lp, k)
            total += norm
            for c in range(k):
                resp[c][r] = math.exp(lp[c] - norm)
        weights, means, chol = _m_step(X, d, k, resp, cov_type, reg_covar)
        lower = total / n
        if abs(lower - prev) < tol:
            converged = True
            break
    return _params(X, d, k, cov_type, weights, means, chol, reg_covar, n_iter, converged, init)


def n_parameters(k, d, cov_type):
    """Free parameters (as scikit-learn's _n_parameters): covariances, means, k-1 weights."""
    cov = k * d * (d + 1) // 2 if cov_type == "full" else k * d
    return cov + k * d + k - 1


def _params(X, d, k, cov_type, weights, means, chol, reg_covar, n_iter, converged, init):
    lw = [math.log(w) for w in weights]
    ld = _log_dets(chol, k, d, cov_type)
    n = len(X) // d
    lp = [0.0] * k
    ll = 0.0
    for r in range(n):
        _log_probs(X, r * d, d, k, means, chol, ld, lw, cov_type, lp)
        ll += _logsumexp(lp, k)
    return {"k": k, "d": d, "type": cov_type, "weights": weights, "log_weights": lw,
            "means": means, "prec_chol": chol, "reg_covar": reg_covar, "n_iter": n_iter,
            "converged": converged, "log_likelihood": ll,
            "bic": -2.0 * ll + n_parameters(k, d, cov_type) * math.log(n), "init": init}


def select(X, d, ks=(1, 2, 3), types=TYPES, max_values=None, **kw):
    """The fit of lowest BIC over ks x types (ties: fewer parameters); "tried" lists each
    (type, k, bic or the error). max_values: skip the mixtures whose Cholesky factors hold
    more values (limits.anomaly_values: what a device can load). ValueError when no fit
    succeeds."""
    tried, best = [], None
    n = len(X) // d
    for cov_type in types:
        for k in ks:
            if k > n // 2:
                tried.append((cov_type, k, "too few rows"))
                continue
            if max_values is not None and anomaly_values("gmm", d, k, cov_type) > max_values:
                tried.append((cov_type, k, "more than the device's %d values" % max_values))
                continue
            try:
                p = fit(X, d, k, cov_type, **kw)
            except ValueError as e:
                tried.append((cov_type, k, str(e)))
                continue
            tried.append((cov_type, k, p["bic"]))
            key = (p["bic"], n_parameters(k, d, cov_type))
            if best is None or key < best[0]:
                best = (key, p)
    if best is None:
        raise ValueError("no mixture could be fitted: %s" % tried)
    best[1]["tried"] = tried
    return best[1]


class _Mixture:
    def __init__(self, n_components, n_features, covariance_type):
        if covariance_type not in TYPES:
            raise ValueError("covariance_type must be 'full' or 'diag'")
        if not 1 <= n_components <= 255 or not 1 <= n_features <= 4096:
            raise ValueError("n_components must be in [1, 255], n_features in [1, 4096]")
        self.k, self.d, self.type = n_components, n_features, covariance_type
        self.means = None
        self._threshold = 0.0

    def setdata(self, means, prec_chol, log_weights, threshold):
        k, d = self.k, self.d
        if len(means) != k * d or len(prec_chol) != _chol_len(k, d, self.type) \
                or len(log_weights) != k:
            raise ValueError("expected %d means, %d precision values, %d log weights"
                             % (k * d, _chol_len(k, d, self.type), k))
        for v, what in ((means, "means"), (prec_chol, "precisions"), (log_weights, "log_weights"),
                        ([threshold], "threshold")):
            linalg.check_finite(v, what)
        self.means = array("f", means)
        self.chol = array("f", prec_chol)
        self.log_weights = array("f", log_weights)
        for c in range(k):
            for i in range(d):
                v = self.chol[c * d * d + i * d + i] if self.type == "full" else self.chol[c * d + i]
                if not v > 0.0 or v == _INF:
                    raise ValueError("precision Cholesky diagonal must be positive and finite")
        self.log_dets = _log_dets(self.chol, k, d, self.type)
        self._threshold = float(threshold)

    def _rows(self, values, n_out, per_row):
        if self.means is None:
            raise ValueError("no model (call setdata first)")
        if n_out % per_row or len(values) != (n_out // per_row) * self.d:
            raise ValueError("values/out: rows of %d values, %d outputs a row" % (self.d, per_row))
        linalg.check_finite(values, "values")
        return n_out // per_row

    def predict_log_proba(self, values, out):
        """log(w_c) + log N(x | c) of every row and component into out (rows * k)."""
        k = self.k
        lp = [0.0] * k
        for r in range(self._rows(values, len(out), k)):
            _log_probs(values, r * self.d, self.d, k, self.means, self.chol, self.log_dets,
                       self.log_weights, self.type, lp)
            for c in range(k):
                out[r * k + c] = lp[c]

    def score(self, values, out):
        """-log p(x) of each row (higher = more anomalous)."""
        k = self.k
        lp = [0.0] * k
        for r in range(self._rows(values, len(out), 1)):
            _log_probs(values, r * self.d, self.d, k, self.means, self.chol, self.log_dets,
                       self.log_weights, self.type, lp)
            out[r] = -_logsumexp(lp, k)

    def threshold(self):
        if self.means is None:
            raise ValueError("no model (call setdata first)")
        return self._threshold

    def predict(self, values, out):
        """out[r] = 1 where the row's score > threshold, else 0; returns how many are 1."""
        n = self._rows(values, len(out), 1)
        s = array("f", [0.0] * n)
        self.score(values, s)
        count = 0
        for r in range(n):
            out[r] = 1 if s[r] > self._threshold else 0
            count += out[r]
        return count


def new(n_components, n_features, covariance_type):
    """A pure-Python model with emlearn_mixture's API (see the header)."""
    return _Mixture(n_components, n_features, covariance_type)

# Elliptic envelope: the mean and a shrunk covariance of normal feature rows, scored by the
# squared Mahalanobis distance (x - mean)^T P (x - mean), P = covariance^-1. Fitting is here;
# scoring has emlearn's eml_distance.h semantics, through our C module emlearn_distance when
# importable (module()), else the pure-Python model below with the same API. Memory: the model
# keeps d means and the d*d precision; fit() makes a few d*d lists; rows are only read.
#
# Shrinkage: Ledoit-Wolf (as scikit-learn's LedoitWolf: the covariance pulled towards mu*I by a
# closed-form, data-chosen amount), floored at MIN_SHRINKAGE. Why not a fixed ridge: the right
# amount depends on windows per feature (a short normal recording can have fewer windows than
# the 39 features, where the sample covariance is singular) and LW picks it with no tuning and
# no search; the floor keeps an exactly collinear pair of features (the precision then grows as
# 1/shrinkage) within what 32-bit floats on the ESP32 score accurately. (scikit-learn's
# EllipticEnvelope uses a robust MCD fit instead: our normal data are normal by definition,
# and MCD's random subsets are costly in MicroPython.) The rows should be standardised first
# (shared.anomaly does it): mu*I is then the right target.
#
#   ed = envelope.module()                    # emlearn_distance, or this module
#   m = ed.new(d)
#   m.setdata(mean, precision, threshold)     # array('f') of d and d*d, float
#   m.score(rows, out)                        # rows: array('f') n*d; out: array('f') n
#   m.predict(rows, flags)                    # bytearray n: 1 where score > threshold
from array import array

from shared import linalg

MIN_SHRINKAGE = 1e-3


def module():
    """emlearn_distance (C, our builds) when importable, else this module (same API)."""
    try:
        import emlearn_distance
        return emlearn_distance
    except ImportError:
        import shared.envelope as me
        return me


def ledoit_wolf(X, d, min_shrinkage=MIN_SHRINKAGE):
    """(mean, shrunk covariance (flat d*d), shrinkage) of the rows of the flat table X, with
    scikit-learn's ledoit_wolf formula (covariance 1/n), shrinkage raised to min_shrinkage."""
    n = len(X) // d
    mean, emp, _ = linalg.mean_cov(X, d)
    if d == 1:
        return mean, emp, 0.0
    trace = 0.0
    for j in range(d):
        trace += emp[j * d + j]
    mu = trace / d
    fro2 = 0.0                          # ||S||_F^2
    for v in emp:
        fro2 += v * v
    beta_ = 0.0                         # sum over rows of |x - mean|^4
    for r in range(n):
        b = r * d
        s = 0.0
        for j in range(d):
            e = X[b + j] - mean[j]
            s += e * e
        beta_ += s * s
    beta = (beta_ / n - fro2) / (d * n)
    delta = (fro2 - 2.0 * mu * trace + d * mu * mu) / d
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    if shrinkage < min_shrinkage:
        shrinkage = min_shrinkage
    cov = linalg.zeros(d * d)
    for i in range(d * d):
        cov[i] = (1.0 - shrinkage) * emp[i]
    for j in range(d):
        cov[j * d + j] += shrinkage * mu
    return mean, cov, shrinkage


def fit(X, d, min_shrinkage=MIN_SHRINKAGE):
    """{"mean", "precision" (flat d*d), "shrinkage"} of the rows of X. linalg.SingularError
    (a ValueError) if the covariance is singular even after shrinkage (no variance at all)."""
    if len(X) < 2 * d:
        raise ValueError("need at least 2 rows")
    mean, cov, shrinkage = ledoit_wolf(X, d, min_shrinkage)
    precision = linalg.gram(linalg.precision_cholesky(cov, d), d)
    return {"mean": mean, "precision": precision, "shrinkage": shrinkage}


class _Envelope:
    def __init__(self, n_features):
        if not 1 <= n_features <= 4096:
            raise ValueError("n_features must be in [1, 4096], got %d" % n_features)
        self.d = n_features
        self.mean = None
        self.precision = None
        self._threshold = 0.0

    def setdata(self, mean, precision, threshold):
        d = self.d
        if len(mean) != d or len(precision) != d * d:
            raise ValueError("expected %d means and %d precision values" % (d, d * d))
        linalg.check_finite(mean, "means")
        linalg.check_finite(precision, "precision")
        linalg.check_finite([threshold], "threshold")
        for i in range(d):
            if not precision[i * d + i] > 0.0:
                raise ValueError("precision: diagonal %d must be positive" % i)
        self.mean = array("f", mean)
        self.precision = array("f", precision)
        self._threshold = float(threshold)

    def _rows(self, values, out):
        if self.mean is None:
            raise ValueError("no model (call setdata first)")
        if len(values) != len(out) * self.d:
            raise ValueError("values: expected %d rows of %d" % (len(out), self.d))
        linalg.check_finite(values, "values")
        return len(out)

    def score(self, values, out):
        """Squared Mahalanobis distance of each row (emlearn's eml_mahalanobis_distance_squared)."""
        d, m, P = self.d, self.mean, self.precision
        diff = [0.0] * d
        for r in range(self._rows(values, out)):
            b = r * d
            for j in range(d):
                diff[j] = values[b + j] - m[j]
            s = 0.0
            for i in range(d):
                a = 0.0
                for j in range(d):
                    a += P[j * d + i] * diff[j]
                s += a * diff[i]
            out[r] = s

    def threshold(self):
        if self.mean is None:
            raise ValueError("no model (call setdata first)")
        return self._threshold

    def predict(self, values, out):
        """out[r] = 1 where the row's score > threshold, else 0; returns how many are 1."""
        n = self._rows(values, out)
        s = array("f", [0.0])
        d = self.d
        count = 0
        for r in range(n):
            self.score(values[r * d:(r + 1) * d], s)
            out[r] = 1 if s[0] > self._threshold else 0
            count += out[r]
        return count


def new(n_features):
    """A pure-Python model with emlearn_distance's API (see the header)."""
    return _Envelope(n_features)

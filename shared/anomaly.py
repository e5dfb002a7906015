# "Is this normal?": anomaly models fitted on normal windows only, on the per-window features
# the classifiers use (shared.pipeline.extractor), as floats. One score convention for all of
# them: a score is a float, HIGHER = MORE ANOMALOUS, and a window is flagged when its score is
# above the model's threshold (the 1 - contamination quantile of the training windows' scores):
#   "envelope"  squared Mahalanobis distance to the mean (shared.envelope, C emlearn_distance)
#   "gmm"       -log p(x) under a Gaussian mixture, k and type by BIC (shared.gmm, C emlearn_mixture)
#   "knn"       mean distance, in standard deviations, to the k nearest normal windows
#               (emlearn_neighbors on int16 rows of shared.zscore, as shared.outliers)
# Memory: the model keeps d means and inverse deviations plus its scorer's parameters (envelope
# d*d floats; gmm k*d*d or k*d; knn max_items*d int16); fit() holds one standardised copy
# of the rows (n*d float32) and the fitting lists of envelope/gmm.
#
# Floats, not the trees' int16 features: eml_distance and eml_mixture take floats, and the
# int16 quantiser is fitted to the labelled range and clamps what lies outside it, which is
# exactly where anomalies are (a clamped window would score no worse than the range's edge).
# Features are standardised by the normal windows' mean and deviation first (the covariance
# targets and reg_covar are then in standard-deviation units, and 32-bit floats in C do not lose
# a small spread under a large mean); a feature that never moves in the normal data is left out
# (listed in `ignored`). The threshold comes from held-out scores (see fit()). Bad input fails at fit time with ValueError, never as a model that calls
# everything normal: NaN/inf or too-large values, too few windows, constant data, a covariance
# still singular after regularisation, NaN/inf or constant training scores.
#
#   X = anomaly.feature_table(windows, {"rate": 100, "window": 128, "channels": 3})
#   m = anomaly.fit(X, d, "gmm", contamination=0.02)
#   m.score_rows(X2, scores)                # scores: array('f') n; or m.score(row)
#   m.predict_rows(X2, flags)               # bytearray n, 1 = anomalous; returns the count
from array import array
import math

from shared import envelope, gmm, knn
from shared import linalg
from shared.cluster_metrics import sample_rows
from shared.compat import isfinite
from shared.limits import MAX_ANOMALY_VALUES
from shared.pipeline import extractor
from shared.zscore import ZScore

KINDS = ("envelope", "gmm", "knn")
MIN_WINDOWS = 8


def feature_table(windows, window, scales=None, fft="auto"):
    """Flat array('f') of the classifiers' features of each window (n * d) and d."""
    fe = extractor(window, fft)
    d = fe.n_features
    X = array("f", bytes(4 * len(windows) * d))
    out = fe.new_output()
    for i in range(len(windows)):
        fe.compute(windows[i], out, scales[i] if scales is not None else window.get("scale", 1.0))
        X[i * d:(i + 1) * d] = out
    return X, d


class Standardiser:
    """Per-feature mean and 1/std of the normal rows; keeps the features that vary."""

    def __init__(self, X, D):
        n = len(X) // D
        for i in range(n * D):
            if not isfinite(X[i]):
                raise ValueError("window %d, feature %d is %r" % (i // D, i % D, X[i]))
        mean = [0.0] * D
        for r in range(n):
            for j in range(D):
                mean[j] += X[r * D + j]
        mean = [v / n for v in mean]
        var = [0.0] * D
        for r in range(n):
            for j in range(D):
                e = X[r * D + j] - mean[j]
                var[j] += e * e
        self.D = D
        self.keep, self.mean, self.inv, self.ignored = [], [], [], []
        self.reduced = []          # dropped by reduce()
        for j in range(D):
            v = var[j] / n
            if not isfinite(v):
                raise ValueError("feature %d: values too large" % j)
            s = math.sqrt(v)
            if s <= 1e-6 * abs(mean[j]) or s == 0.0:
                self.ignored.append(j)
            else:
                self.keep.append(j)
                self.mean.append(mean[j])
                self.inv.append(1.0 / s)
        if not self.keep:
            raise ValueError("the normal windows are all the same: nothing to learn")
        self.d = len(self.keep)

    def reduce(self, X, d_max):
        """Keep at most d_max of the kept features: drop, one at a time, the feature most
        correlated with another kept one (an envelope's parameters grow as d*d, and a feature
        that another nearly repeats adds the least). The dropped ones are listed in `reduced`
        (indexes into the rows)."""
        self.reduced = []
        if self.d <= d_max:
            return
        d = self.d
        C = linalg.mean_cov(self.transform(X), d)[1]       # standardised: the correlations
        alive = list(range(d))
        while len(alive) > d_max:
            worst, wv = alive[0], -1.0
            for a in alive:
                m = 0.0
                for b in alive:
                    if b != a and abs(C[a * d + b]) > m:
                        m = abs(C[a * d + b])
                if m > wv:
                    worst, wv = a, m
            alive.remove(worst)
            self.reduced.append(self.keep[worst])
        self.keep = [self.keep[i] for i in alive]
        self.mean = [self.mean[i] for i in alive]
        self.inv = [self.inv[i] for i in alive]
        self.d = len(alive)

    def transform(self, X, out=None):
        """The kept, standardised features of the flat rows X (D a row) as array('f') n * d."""
        D, d, keep, m, inv = self.D, self.d, self.keep, self.mean, self.inv
        n = len(X) // D
        if out is None:
            out = array("f", bytes(4 * n * d))
        for r in range(n):
            b, o = r * D, r * d
            for i in range(d):
                out[o + i] = (X[b + keep[i]] - m[i]) * inv[i]
        return out


class _Knn:
    """Mean int16 distance to the k nearest reference rows, in standard deviations."""

    def __init__(self, Z, d, k=5, max_items=256, seed=1, nb=None):
        n = len(Z) // d
        self.d = d
        self.zs = ZScore([0.0] * d, [1.0] * d)          # Z is standardised already
        self.unit = self.zs.scale16
        self.rows = sample_rows(n, min(max_items, knn.MAX_ITEMS), seed)
        self.k = max(1, min(k, len(self.rows) - 1))
        self.model = (nb or knn.module()).new(len(self.rows), d, self.k)
        self.q = self.zs.i16(Z)
        for r in self.rows:
            self.model.additem(self.q[r * d:(r + 1) * d], 0)
        self.threshold = 0.0

    def score(self, Z, out):
        d = self.d
        q = self.zs.i16(Z)
        n_items = len(self.rows)
        for r in range(len(out)):
            self.model.predict(q[r * d:(r + 1) * d])
            near = knn.nearest(self.model, n_items, self.k)
            s = 0
            for dist, _, _ in near:
                s += dist
            out[r] = s / len(near) / self.unit


class Anomaly:
    """A fitted model: standardiser + scorer (C module or pure Python) + threshold."""

    def __init__(self, kind, std, scorer, threshold, params):
        self.kind, self.std, self.scorer = kind, std, scorer
        self.threshold, self.params = threshold, params
        self.ignored = std.ignored

    def score_rows(self, X, out):
        """Scores of the flat feature rows X (D values a row, as fitted) into out (n floats)."""
        z = self.std.transform(X)
        if len(z) != len(out) * self.std.d:
            raise ValueError("expected %d rows of %d features" % (len(out), self.std.D))
        self.scorer.score(z, out)
        return out

    def score(self, row):
        out = array("f", [0.0])
        return self.score_rows(row, out)[0]

    def predict_rows(self, X, flags):
        """flags[r] = 1 where row r's score > threshold; returns how many."""
        s = self.score_rows(X, array("f", bytes(4 * len(flags))))
        count = 0
        for r in range(len(flags)):
            flags[r] = 1 if s[r] > self.threshold else 0
            count += flags[r]
        return count


def _threshold(scores, contamination):
    n = len(scores)
    for i in range(n):
        if not isfinite(scores[i]):
            raise ValueError("training window %d scores %r: model unusable" % (i, scores[i]))
    s = sorted(scores)
    if s[-1] - s[0] <= 1e-6 * (abs(s[0]) + 1e-30):
        raise ValueError("every training window scores the same (%r): the model cannot tell "
                         "windows apart" % s[0])
    return s[min(n - 1, int((1.0 - contamination) * (n - 1) + 0.5))]


def _build(kind, Z, d, o, choice=None):
    """(scorer, setdata arguments without the threshold, params) of a model on rows Z.
    choice: the gmm's (k, type) to refit without a new BIC search."""
    if kind == "envelope":
        p = envelope.fit(Z, d)
        scorer = (envelope.module() if o["c_modules"] else envelope).new(d)
        return scorer, [array("f", p["mean"]), array("f", p["precision"])], p
    if kind == "gmm":
        if choice is None:
            p = gmm.select(Z, d, o["ks"], o["types"], o["max_values"], reg_covar=o["reg_covar"],
                           seed=o["seed"])
        else:
            p = gmm.fit(Z, d, choice[0], choice[1], reg_covar=o["reg_covar"], seed=o["seed"])
        scorer = (gmm.module() if o["c_modules"] else gmm).new(p["k"], d, p["type"])
        return scorer, [array("f", p["means"]), array("f", p["prec_chol"]),
                        array("f", p["log_weights"])], p
    scorer = _Knn(Z, d, o["k"], o["max_items"], o["seed"], None if o["c_modules"] else knn)
    return scorer, None, {"k": scorer.k, "items": len(scorer.rows)}


def _heldout_scores(kind, Z, d, o, folds, choice):
    """Each row's score by a model fitted without its block of consecutive rows (windows
    next to each other overlap, so blocks rather than single rows are held out)."""
    n = len(Z) // d
    scores = array("f", bytes(4 * n))
    for f in range(folds):
        a, b = f * n // folds, (f + 1) * n // folds
        train = Z[:a * d] + Z[b * d:]
        scorer, data, _ = _build(kind, train, d, o, choice)
        if data is not None:
            scorer.setdata(*(data + [0.0]))
        out = array("f", bytes(4 * (b - a)))
        scorer.score(Z[a * d:b * d], out)
        scores[a:b] = out
    return scores


def fit(X, D, kind="gmm", contamination=0.02, seed=1, ks=(1, 2, 3), types=gmm.TYPES,
        reg_covar=1e-3, k=5, max_items=256, folds=5, c_modules=True,
        max_values=MAX_ANOMALY_VALUES):
    """Fit a model of `kind` on the normal rows X (flat, D features a row). The threshold is
    the 1 - contamination quantile of held-out scores (`folds` blocks of consecutive windows,
    each scored by a model fitted on the others: in-sample scores of a model fitted on about as
    many windows as features are far too low, and every new window would be flagged).
    c_modules=False scores with the pure-Python models even where the C modules exist.
    max_values: the most scorer values the model may hold (shared.limits: what the device
    loads): an envelope keeps the floor(sqrt(max_values)) least redundant features
    (Standardiser.reduce; params["reduced"] lists the others), a mixture is chosen among those
    that fit. None: no limit. ValueError on bad input (see the header)."""
    if kind not in KINDS:
        raise ValueError("kind must be one of %s" % (KINDS,))
    if not 0.0 <= contamination < 0.5:
        raise ValueError("contamination must be in [0, 0.5)")
    n = len(X) // D
    if n < MIN_WINDOWS or len(X) != n * D:
        raise ValueError("need at least %d whole windows of %d features, got %d values"
                         % (MIN_WINDOWS, D, len(X)))
    folds = max(2, min(folds, n // 4))
    std = Standardiser(X, D)
    if kind == "envelope" and max_values is not None:
        std.reduce(X, int(math.sqrt(max_values)))
    d = std.d
    Z = std.transform(X)
    o = {"c_modules": c_modules, "ks": ks, "types": types, "reg_covar": reg_covar,
         "seed": seed, "k": k, "max_items": max_items, "max_values": max_values}
    try:
        scorer, data, params = _build(kind, Z, d, o)
        choice = (params["k"], params["type"]) if kind == "gmm" else None
        scores = _heldout_scores(kind, Z, d, o, folds, choice)
    except linalg.SingularError as e:
        raise ValueError("normal windows: %s (even after regularisation)" % e)
    threshold = _threshold(scores, contamination)
    if data is None:
        scorer.threshold = threshold
    else:
        scorer.setdata(*(data + [threshold]))
    params["heldout_scores"] = scores
    params["reduced"] = std.reduced
    return Anomaly(kind, std, scorer, threshold, params)

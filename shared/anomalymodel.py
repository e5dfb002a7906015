# A loaded anomaly model (shared.anomalyformat reads the file into it): the standardiser
# (keep, mean, inv arrays) and the scorer (C emlearn_distance / emlearn_mixture when importable,
# else shared.envelope / shared.gmm), threshold and hysteresis. Kept apart from the reader so
# a device can drop the reader's modules once the model is loaded (their globals would stay on
# the heap through this class's methods). Memory: 3 d values and the scorer's parameters;
# score_into() allocates nothing with the C scorer.
from array import array


class AnomalyModel:
    """A loaded anomaly model: standardiser (keep, mean, inv), scorer (C emlearn_distance /
    emlearn_mixture when importable, else shared.envelope / shared.gmm), threshold,
    hysteresis (n, m), scorer kind, D (features computed) and d (kept)."""
    kind = "anomaly"

    def __init__(self, meta, arrays, impl="auto"):
        self.scorer_kind = meta["scorer"]
        self.threshold = float(meta["threshold"])
        self.hysteresis = (meta["hysteresis"][0], meta["hysteresis"][1])
        self.D = len(meta["features"])
        self.d = d = meta["d"]
        self.keep, self.mean, self.inv = arrays["keep"], arrays["mean"], arrays["inv"]
        prev = -1
        for i in range(d):
            j = self.keep[i]
            if not prev < j < self.D:
                raise ValueError("keep: feature numbers must rise within 0..%d" % (self.D - 1))
            prev = j
            if not self.inv[i] > 0.0:
                raise ValueError("inv: feature %d's inverse deviation must be positive" % j)
        self.impl = "python"
        try:
            if self.scorer_kind == "envelope":
                from shared import envelope as mod
                m = mod.module() if impl != "python" else mod
                self.scorer = m.new(d)
                self.scorer.setdata(arrays["mu"], arrays["prec"], self.threshold)
            else:
                from shared import gmm as mod
                m = mod.module() if impl != "python" else mod
                self.scorer = m.new(meta["k"], d, meta["cov"])
                self.scorer.setdata(arrays["means"], arrays["chol"], arrays["logw"],
                                    self.threshold)
        except ValueError as e:
            raise ValueError("scorer parameters refused: %s" % e)
        if m is not mod:
            self.impl = "c"

    def standardise(self, feat, z):
        """The kept, standardised features of one row feat (D floats) into z (d floats)."""
        keep, mean, inv = self.keep, self.mean, self.inv
        for i in range(self.d):
            z[i] = (feat[keep[i]] - mean[i]) * inv[i]

    def score_into(self, feat, z, out):
        """Score of one row: standardise into z (array('f') d), score into out[0]; returns it.
        Allocation-free with the C scorer."""
        self.standardise(feat, z)
        self.scorer.score(z, out)
        return out[0]

    def score_rows(self, X, out):
        """Scores of the flat rows X (D a row) into out (n floats), as Anomaly.score_rows."""
        D, d = self.D, self.d
        z = array("f", bytes(4 * d))
        one = array("f", [0.0])
        for r in range(len(out)):
            out[r] = self.score_into(X[r * D:(r + 1) * D], z, one)
        return out

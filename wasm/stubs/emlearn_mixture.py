"""Stub: signatures of `emlearn_mixture` in our builds (wasm/modules/emlearn_mixture), a
Gaussian-mixture anomaly scorer on emlearn's eml_mixture.h (emlearn-micropython has no such
module; the API follows its style). Documentation only; shared/gmm.py is the pure-Python module
with the same API. Scores: higher = more anomalous.

    m = emlearn_mixture.new(2, 3, "full")
    m.setdata(means, precisions_cholesky, log_weights, threshold)    # array('f') each
    m.score(array.array("f", rows), out)        # out: array('f') of len(rows) // 3
"""


class emlmixture:
    def setdata(self, means, precisions_cholesky, log_weights, threshold: float) -> None:
        """means: k * d; precisions_cholesky: "full" k * d * d (per component the upper-
        triangular U with U U^T = precision, [p][f] as scikit-learn's precisions_cholesky_),
        "diag" k * d (1 / standard deviation); log_weights: k; all array('f'). log det is
        computed from U's diagonal. ValueError for another length or typecode, NaN/inf, or a
        diagonal that is not positive."""

    def score(self, values, out) -> None:
        """values: array('f') of rows * d (finite); out: array('f') of rows, filled with
        -log p(x) (emlearn's eml_mixture_score, negated)."""

    def predict(self, values, flags) -> int:
        """flags: array('B') or bytearray of rows, 1 where score > threshold; returns the count."""

    def predict_log_proba(self, values, out) -> None:
        """out: array('f') of rows * k, log(weight_c) + log N(x | c) per component."""

    def threshold(self) -> float:
        """The threshold given to setdata (ValueError before setdata)."""


def new(n_components: int, n_features: int, covariance_type: str) -> emlmixture:
    """An empty model: n_components 1..255, n_features 1..1024, covariance_type "full" or
    "diag" (emlearn 0.23.2's C scores only "full"; our module scores "diag" itself)."""

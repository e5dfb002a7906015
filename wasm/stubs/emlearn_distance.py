"""Stub: signatures of `emlearn_distance` in our builds (wasm/modules/emlearn_distance), an
elliptic-envelope anomaly scorer on emlearn's eml_distance.h (emlearn-micropython has no such
module; the API follows its style). Documentation only; shared/envelope.py is the pure-Python
module with the same API. Scores: higher = more anomalous.

    m = emlearn_distance.new(3)
    m.setdata(array.array("f", means), array.array("f", precision), threshold)
    m.score(array.array("f", rows), out)        # out: array('f') of len(rows) // 3
"""


class emlenvelope:
    def setdata(self, means, precision, threshold: float) -> None:
        """means: array('f') of n_features; precision (inverse covariance): array('f') of
        n_features**2, row-major; threshold: score above which predict() flags a row.
        ValueError for another length or typecode, NaN/inf, a non-positive diagonal."""

    def score(self, values, out) -> None:
        """values: array('f') of rows * n_features (finite); out: array('f') of rows, filled
        with the squared Mahalanobis distance (x - means)^T precision (x - means)."""

    def predict(self, values, flags) -> int:
        """flags: array('B') or bytearray of rows, 1 where score > threshold; returns the count."""

    def threshold(self) -> float:
        """The threshold given to setdata (ValueError before setdata)."""


def new(n_features: int) -> emlenvelope:
    """An empty model of n_features (1..1024): n_features + n_features**2 floats."""

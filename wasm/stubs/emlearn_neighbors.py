"""Stub: signatures of `emlearn_neighbors` in our builds (wasm/modules/emlearn_neighbors), the
same API as emlearn-micropython's module. Documentation only. Distances are
floor(sqrt(sum of squared int16 differences)) in uint32: keep feature differences small
enough (|diff| * sqrt(n_features) < 65536) or distances overflow.

    m = emlearn_neighbors.new(100, 3, 5)
    m.additem(array.array("h", [1, 2, 3]), 0)
    label = m.predict(array.array("h", [1, 2, 4]))
"""


class emlneighbors:
    def additem(self, features, label: int) -> int:
        """Store array('h') of n_features with label 0..9; returns its index. ValueError when full,
        for another length, label or typecode; TypeError for a non-array."""

    def predict(self, features) -> int:
        """Majority label of the k nearest items (ties: lowest label). ValueError with fewer
        than k items or another length."""

    def getresult(self, i: int) -> tuple:
        """(item index, distance, label) of the i-th nearest item of the last predict()."""

    def getitem(self, i: int, out) -> None:
        """Copy item i's features into array('h') `out` of n_features."""


def new(max_items: int, n_features: int, k: int) -> emlneighbors:
    """Room for max_items (1..32767) items of n_features (1..4096) int16; k in 1..max_items."""

"""Stub: signatures of `emlearn_kmeans` in our builds (wasm/modules/emlearn_kmeans + the frozen
wasm/frozen/common/emlearn_kmeans.py), the same API as emlearn-micropython's module of that name.
Documentation only. Rows are uint8 (array('B'), bytearray; bytes where nothing is written),
`features` values each, one after another. Distances are squared Euclidean, summed in uint32.
shared/kmeans.py is the pure-Python version with the same results.

    values = bytearray([0, 0, 0, 10, 5, 2, 200, 50, 100, 255, 255, 255])
    centroids = bytearray([0, 0, 0, 200, 200, 200])
    emlearn_kmeans.cluster(values, centroids, features=3)   # -> array('B', [0, 0, 1, 1])
"""


def euclidean_argmin(vectors, point) -> tuple:
    """(index, squared distance) of the vector in `vectors` (len(vectors) // len(point) of them)
    nearest to `point`; ties go to the lowest index. ValueError if the lengths do not divide."""


def cluster_iter(values, centroids, assignments, features: int, max_iter: int = 10,
                 stop_changes: int = 0):
    """Generator: per iteration, assign every row to its nearest centroid (assignments updated
    in place) and yield how many rows changed; stop after max_iter iterations or when the
    changes are <= stop_changes; otherwise move each centroid to the floor of its rows' mean
    (an empty cluster keeps its centroid). `centroids` is modified in place.
    Limits: features 1..254, 1..254 centroids, at most 65534 rows (ValueError)."""


def cluster(values, centroids, features: int, **kwargs):
    """cluster_iter from fresh assignments (all 255) to the end; returns array('B') of the
    cluster of each row. kwargs: max_iter, stop_changes."""

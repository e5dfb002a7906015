# motebook: emlearn_kmeans = our C module emlearn_kmeans_c (euclidean_argmin and the two steps of
# an iteration) plus cluster_iter() and cluster() in Python, the API of emlearn-micropython's
# module. Memory: cluster() makes the assignments array (one byte per sample); the steps work
# in the caller's arrays.
from array import array

from emlearn_kmeans_c import euclidean_argmin  # noqa: F401  (C, wasm/modules/emlearn_kmeans)
from emlearn_kmeans_c import assign as _assign, update as _update


def cluster_iter(values, centroids, assignments, features, max_iter=10, stop_changes=0):
    """k-means of the uint8 rows in `values` (features values each) from the initial
    `centroids` (uint8, modified in place); `assignments` (uint8, one per row) is updated in
    place. Yields the number of rows that changed cluster after each assignment; stops after
    max_iter assignments or when the changes are <= stop_changes."""
    for _ in range(max_iter):
        changes = _assign(values, centroids, assignments, features)
        yield changes
        if changes <= stop_changes:
            break
        _update(values, centroids, assignments, features)


def cluster(values, centroids, features, **kwargs):
    """Run cluster_iter to the end; returns array('B') with the cluster of each row."""
    if features < 1:
        raise ValueError("features must be >= 1")
    assignments = array("B", b"\xff" * (len(values) // features))
    for _ in cluster_iter(values, centroids, assignments, features, **kwargs):
        pass
    return assignments

# k-means over uint8 rows with emlearn-micropython's `emlearn_kmeans` API, in pure Python: the
# fallback where the C module is missing (npm/PyPI interpreters, CPython), with the same
# results as our C binding (wasm/modules/emlearn_kmeans) and upstream's module. Memory: the
# caller's arrays; update() allocates k * features sums and k counts per call.
#
# Semantics (shared with the C module): rows of `features` uint8 values one after another;
# squared Euclidean distance in integers; a tie goes to the lowest centroid; an update moves a
# centroid to the floor of its rows' mean and leaves an empty cluster's centroid alone.
#
#   km = kmeans.module()        # emlearn_kmeans when importable, else this module
#   assignments = km.cluster(values, centroids, features=d, max_iter=20)
from array import array

MAX_FEATURES = 254
MAX_CLUSTERS = 254
MAX_SAMPLES = 65534


def module():
    """emlearn_kmeans (C, our builds or emlearn-micropython's .mpy) when importable, else this
    pure-Python module: both have euclidean_argmin, cluster_iter and cluster."""
    try:
        import emlearn_kmeans
        return emlearn_kmeans
    except ImportError:
        import shared.kmeans as me
        return me


def _argmin(vectors, n_vectors, values, start, features):
    best = 0
    best_dist = -1
    for i in range(n_vectors):
        c = i * features
        dist = 0
        for j in range(features):
            diff = values[start + j] - vectors[c + j]
            dist += diff * diff
        if best_dist < 0 or dist < best_dist:
            best_dist = dist
            best = i
    return best, best_dist


def euclidean_argmin(vectors, point):
    """(index, squared distance) of the vector in `vectors` nearest to `point`."""
    n = len(point)
    if n == 0 or len(vectors) == 0:
        raise ValueError("vectors and point must not be empty")
    if len(vectors) % n:
        raise ValueError("vectors length must be divisible by @point dimensions")
    return _argmin(vectors, len(vectors) // n, point, 0, n)


def _shape(values, centroids, assignments, features):
    if not 1 <= features <= MAX_FEATURES:
        raise ValueError("features must be in [1, %d], got %d" % (MAX_FEATURES, features))
    if len(values) % features or len(centroids) % features:
        raise ValueError("values and centroids lengths must be multiples of features")
    n, k = len(values) // features, len(centroids) // features
    if not 1 <= k <= MAX_CLUSTERS:
        raise ValueError("need 1..%d centroids, got %d" % (MAX_CLUSTERS, k))
    if n > MAX_SAMPLES:
        raise ValueError("at most %d samples, got %d" % (MAX_SAMPLES, n))
    if len(assignments) < n:
        raise ValueError("assignments: need %d items, got %d" % (n, len(assignments)))
    return n, k


def assign(values, centroids, assignments, features):
    """Each row to its nearest centroid (assignments updated); returns how many changed."""
    n, k = _shape(values, centroids, assignments, features)
    changes = 0
    for s in range(n):
        c = _argmin(centroids, k, values, s * features, features)[0]
        if assignments[s] != c:
            changes += 1
            assignments[s] = c
    return changes


def update(values, centroids, assignments, features):
    """Each centroid with rows to the floor of their mean (centroids updated in place)."""
    n, k = _shape(values, centroids, assignments, features)
    for s in range(n):
        if assignments[s] >= k:
            raise ValueError("assignments[%d] = %d is not a centroid index" % (s, assignments[s]))
    sums = [0] * (k * features)
    counts = [0] * k
    for s in range(n):
        c = assignments[s]
        b = c * features
        v = s * features
        for j in range(features):
            sums[b + j] += values[v + j]
        counts[c] += 1
    for c in range(k):
        if counts[c]:
            b = c * features
            for j in range(features):
                centroids[b + j] = sums[b + j] // counts[c]


def cluster_iter(values, centroids, assignments, features, max_iter=10, stop_changes=0):
    """Per iteration: assign, yield the number of rows that changed cluster, stop when that is
    <= stop_changes (or after max_iter), else update the centroids."""
    for _ in range(max_iter):
        changes = assign(values, centroids, assignments, features)
        yield changes
        if changes <= stop_changes:
            break
        update(values, centroids, assignments, features)


def cluster(values, centroids, features, **kwargs):
    """cluster_iter from fresh assignments (255) to the end; returns array('B')."""
    if features < 1:
        raise ValueError("features must be >= 1")
    assignments = array("B", b"\xff" * (len(values) // features))
    for _ in cluster_iter(values, centroids, assignments, features, **kwargs):
        pass
    return assignments

# Clustering windows with k-means over their standardised features (uint8 rows from
# shared.zscore): a deterministic k-means++ start (shared.compat.Rng), emlearn_kmeans's
# iterations (C when importable, else shared.kmeans), inertia, and a comparison of several k by
# inertia and silhouette (shared.cluster_metrics). Memory: per run k * d centroid bytes, n
# assignment bytes and n distance ints (array('I')); the rows are only read.
#
#   run = KMeans(values, d, k=4, seed=1)
#   for p in run.steps(): ...            # {"stage", "done", "total"}; each step is short
#   run.assignments, run.centroids, run.inertia      # clusters numbered by first window
#   KMeans(values, d, 4).fit()           # the same, in one go
from array import array

from shared import kmeans as _pure
from shared.compat import Rng

MAX_ITER = 50


def _below(rng, n):
    """Uniform int in [0, n) for any n >= 1 (two 32-bit draws when n > 2**32)."""
    if n <= 1 << 32:
        return rng.randbelow(n)
    limit = (1 << 64) - ((1 << 64) % n)
    while True:
        x = (rng.next32() << 32) | rng.next32()
        if x < limit:
            return x % n


def _row(values, d, s):
    return memoryview(values)[s * d:(s + 1) * d]


def plus_plus_steps(values, d, k, rng, km=None, out=None):
    """k-means++ start in steps (one per centroid, each one pass over the rows): the first
    centroid a random row, each next one a row drawn with probability proportional to its
    squared distance to the nearest centroid so far (exact integers, so every runtime draws the
    same rows). Fills out (bytearray k * d, made when None) and yields the rows chosen so far;
    the last list yielded has k rows."""
    km = km or _pure.module()
    n = len(values) // d
    if not 1 <= k <= n:
        raise ValueError("k must be in 1..%d (the number of rows)" % n)
    centroids = out if out is not None else bytearray(k * d)
    first = rng.randbelow(n)
    chosen = [first]
    centroids[0:d] = values[first * d:(first + 1) * d]
    dist = array("I", [0] * n)
    for s in range(n):
        dist[s] = km.euclidean_argmin(_row(centroids, d, 0), _row(values, d, s))[1]
    yield chosen
    for c in range(1, k):
        total = 0
        for s in range(n):
            total += dist[s]
        if total == 0:              # every row sits on a centroid: take the next unused one
            pick = [s for s in range(n) if s not in chosen][0]
        else:
            r = _below(rng, total)
            pick = 0
            while r >= dist[pick]:
                r -= dist[pick]
                pick += 1
        chosen.append(pick)
        centroids[c * d:(c + 1) * d] = values[pick * d:(pick + 1) * d]
        new = _row(centroids, d, c)
        for s in range(n):
            e = km.euclidean_argmin(new, _row(values, d, s))[1]
            if e < dist[s]:
                dist[s] = e
        yield chosen


def init_plus_plus(values, d, k, rng, km=None):
    """plus_plus_steps in one go: (bytearray k * d of centroids, the rows chosen)."""
    centroids = bytearray(k * d)
    for chosen in plus_plus_steps(values, d, k, rng, km, centroids):
        pass
    return centroids, chosen


def inertia(values, d, centroids, km=None):
    """Sum over rows of the squared distance to the nearest centroid (int, uint8 units)."""
    km = km or _pure.module()
    total = 0
    for s in range(len(values) // d):
        total += km.euclidean_argmin(centroids, _row(values, d, s))[1]
    return total


def renumber(assignments, centroids, d, k):
    """Clusters renumbered in order of their first row (a stable colour per cluster on the
    timeline); centroids permuted to match. In place; returns the old -> new map."""
    order = []
    for a in assignments:
        if a < k and a not in order:
            order.append(a)
    for c in range(k):
        if c not in order:
            order.append(c)
    new_of = bytearray(k)
    for pos in range(k):
        new_of[order[pos]] = pos
    for s in range(len(assignments)):
        if assignments[s] < k:
            assignments[s] = new_of[assignments[s]]
    old = bytes(centroids)
    for c in range(k):
        o = order[c]
        centroids[c * d:(c + 1) * d] = old[o * d:(o + 1) * d]
    return new_of


class KMeans:
    """k-means of the uint8 rows `values` (d per row): n_init k-means++ starts (seeds seed,
    seed + 1, ...), each iterated by emlearn_kmeans.cluster_iter until no row changes or
    max_iter; the run with the lowest inertia is kept. km: the module to use (default: C when
    importable)."""

    def __init__(self, values, d, k, seed=1, n_init=3, max_iter=MAX_ITER, km=None):
        n = len(values) // d
        if len(values) != n * d or n < 1:
            raise ValueError("values must hold whole rows of %d" % d)
        if not 1 <= k <= min(n, _pure.MAX_CLUSTERS):
            raise ValueError("k must be in 1..%d" % min(n, _pure.MAX_CLUSTERS))
        self.values, self.d, self.k = values, d, k
        self.seed, self.n_init, self.max_iter = seed, n_init, max_iter
        self.km = km or _pure.module()
        self.assignments = self.centroids = self.inertia = None
        self.iterations = 0
        self.runs = []              # [{"seed", "inertia", "iterations"}] per start

    def steps(self):
        values, d, k, km = self.values, self.d, self.k, self.km
        n = len(values) // d
        for i in range(self.n_init):
            seed = self.seed + i
            centroids = bytearray(k * d)
            for _ in plus_plus_steps(values, d, k, Rng(seed), km, centroids):
                # done: runs, counted in fractions that only grow (the number of iterations
                # is not known in advance)
                yield {"stage": "init", "done": i, "total": self.n_init}
            assignments = array("B", b"\xff" * n)
            it = 0
            for _changes in km.cluster_iter(values, centroids, assignments, d,
                                            max_iter=self.max_iter):
                it += 1
                yield {"stage": "iterate", "done": i + it / (self.max_iter + 1.0),
                       "total": self.n_init}
            # the centroids of the final assignments (cluster_iter stops right after assigning)
            inert = inertia(values, d, centroids, km)
            self.runs.append({"seed": seed, "inertia": inert, "iterations": it})
            if self.inertia is None or inert < self.inertia:
                self.inertia, self.iterations = inert, it
                self.assignments, self.centroids = assignments, centroids
        renumber(self.assignments, self.centroids, d, k)
        yield {"stage": "done", "done": self.n_init, "total": self.n_init}

    def fit(self):
        for _ in self.steps():
            pass
        return self

    def sizes(self):
        """Rows per cluster."""
        out = [0] * self.k
        for a in self.assignments:
            out[a] += 1
        return out

# How good a clustering is: the adjusted Rand index against known labels (scikit-learn's
# adjusted_rand_score, in exact integers), and the silhouette of uint8 rows (scikit-learn's
# silhouette_score with Euclidean distances), on all rows or a deterministic sample.
# Memory: ARI keeps a dict of label pairs; the silhouette keeps the m*(m-1)/2 pairwise
# distances of its m sampled rows in one array('f') (m = 300: 180 KB), reused for every k.
#
#   adjusted_rand_index(truth, clusters)        # 1.0 = the same partition, ~0 = chance
#   sil = Silhouette(values, d, max_rows=300)   # pairwise distances once (steps() or fill())
#   sil.score(assignments)                      # mean silhouette of the sampled rows
import math
from array import array

from shared import kmeans as _pure
from shared.compat import Rng


def adjusted_rand_index(truth, pred):
    """Adjusted Rand index of two labelings of the same items (any hashable labels)."""
    n = len(truth)
    if len(pred) != n:
        raise ValueError("%d labels against %d" % (n, len(pred)))
    cells, rows, cols = {}, {}, {}
    for i in range(n):
        a, b = truth[i], pred[i]
        cells[(a, b)] = cells.get((a, b), 0) + 1
        rows[a] = rows.get(a, 0) + 1
        cols[b] = cols.get(b, 0) + 1
    s = sum(v * v for v in cells.values())
    a2 = sum(v * v for v in rows.values())
    b2 = sum(v * v for v in cols.values())
    tp = s - n              # ordered pairs together in both (scikit-learn's pair confusion)
    fp = b2 - s             # together in pred only
    fn = a2 - s             # together in truth only
    tn = n * n - a2 - b2 + s
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def sample_rows(n, max_rows, seed=1):
    """Sorted indices of min(n, max_rows) rows drawn without replacement by Rng(seed)."""
    if n <= max_rows:
        return list(range(n))
    idx = list(range(n))
    rng = Rng(seed)
    for i in range(max_rows):      # partial Fisher-Yates
        j = i + rng.randbelow(n - i)
        idx[i], idx[j] = idx[j], idx[i]
    out = idx[:max_rows]
    out.sort()
    return out


class Silhouette:
    """Silhouette of clusterings of the uint8 rows `values` (d per row): Euclidean distances
    between the sampled rows are computed once (emlearn_kmeans.euclidean_argmin of one row
    against another gives the squared distance, in C when available)."""

    def __init__(self, values, d, max_rows=300, seed=1, km=None):
        self.values, self.d = values, d
        self.rows = sample_rows(len(values) // d, max_rows, seed)
        m = self.m = len(self.rows)
        self.dist = array("f", [0.0] * (m * (m - 1) // 2))
        self.km = km or _pure.module()
        self._filled = 0             # rows of the triangle done

    def steps(self, rows_per_step=20):
        """Fill the distance triangle, yielding {"stage", "done", "total"} every few rows."""
        mv, d, rows, dist, argmin = memoryview(self.values), self.d, self.rows, self.dist, \
            self.km.euclidean_argmin
        m = self.m
        while self._filled < m - 1:
            end = min(m - 1, self._filled + rows_per_step)
            for i in range(self._filled, end):
                a = mv[rows[i] * d:(rows[i] + 1) * d]
                base = i * m - i * (i + 1) // 2 - i - 1     # index of pair (i, j) = base + j
                for j in range(i + 1, m):
                    b = rows[j] * d
                    dist[base + j] = math.sqrt(argmin(a, mv[b:b + d])[1])
            self._filled = end
            yield {"stage": "distances", "done": end, "total": m - 1}

    def fill(self):
        for _ in self.steps():
            pass
        return self

    def score(self, assignments):
        """Mean silhouette over the sampled rows, assignments[row] = cluster of each row of
        the whole table. Needs 2 <= clusters among the sample <= sampled rows - 1."""
        self.fill()
        m, rows, dist = self.m, self.rows, self.dist
        labels = [assignments[r] for r in rows]
        names = sorted(set(labels))
        nc = len(names)
        if not 2 <= nc <= m - 1:
            raise ValueError("the silhouette needs 2..%d clusters, got %d" % (m - 1, nc))
        pos = {}
        for c in range(nc):
            pos[names[c]] = c
        lab = [pos[v] for v in labels]
        size = [0] * nc
        for c in lab:
            size[c] += 1
        sums = [0.0] * (m * nc)      # sums[i*nc + c] = distance from row i to cluster c
        for i in range(m - 1):
            base = i * m - i * (i + 1) // 2 - i - 1
            li = lab[i]
            for j in range(i + 1, m):
                e = dist[base + j]
                sums[i * nc + lab[j]] += e
                sums[j * nc + li] += e
        total = 0.0
        for i in range(m):
            own = lab[i]
            if size[own] <= 1:
                continue                 # a singleton's silhouette is 0
            a = sums[i * nc + own] / (size[own] - 1)
            b = None
            for c in range(nc):
                if c != own:
                    v = sums[i * nc + c] / size[c]
                    if b is None or v < b:
                        b = v
            big = a if a > b else b
            if big > 0:
                total += (b - a) / big
        return total / m

# Nearest neighbours of int16 rows with emlearn-micropython's `emlearn_neighbors` API: the C
# module when importable, else the pure-Python model here with the same results, plus
# nearest(), which reads the k nearest items of the last predict() with ties broken by item
# index (emlearn sorts with an unstable quicksort, so the order of equal distances is its own).
# Memory: the pure model keeps its items in one array('h') (max_items * n_features) and its
# labels in a bytearray; predict() builds a list of (distance, index) pairs.
#
# Distance (as emlearn's eml_neighbors.h): floor(sqrt(sum of squared int16 differences)),
# the sum in uint32 and the root over int32 (a sum >= 2**31 gives 0): keep rows small enough,
# as shared.zscore's int16 rows are.
#
#   nb = knn.module()                   # emlearn_neighbors or this module
#   m = nb.new(max_items, d, k)
#   m.additem(row, label)               # row: array('h') of d; label 0..9
#   m.predict(query)                    # majority label of the k nearest
#   knn.nearest(m, n_items, k)          # [(distance, index, label)] of the last predict()
import math

from shared.model import zeros_h

MAX_ITEMS = 32767
MAX_FEATURES = 4096
MAX_CLASSES = 10


def module():
    """emlearn_neighbors (C) when importable, else this pure-Python module (same API)."""
    try:
        import emlearn_neighbors
        return emlearn_neighbors
    except ImportError:
        import shared.knn as me
        return me


def isqrt(v):
    """floor(sqrt(v)) of an int 0 <= v, exactly (the float root corrected by integer tests)."""
    r = int(math.sqrt(v))
    while r * r > v:
        r -= 1
    while (r + 1) * (r + 1) <= v:
        r += 1
    return r


def distance(a, ai, b, bi, n):
    """emlearn's int16 distance between a[ai:ai+n] and b[bi:bi+n]."""
    s = 0
    for j in range(n):
        e = a[ai + j] - b[bi + j]
        s += e * e
    s &= 0xFFFFFFFF                 # uint32 sum
    return 0 if s >= 1 << 31 else isqrt(s)


def _check_row(x, n, what):
    if len(x) != n:
        raise ValueError("%s: expected length %d, got %d" % (what, n, len(x)))


class _Model:
    def __init__(self, max_items, n_features, k):
        for name, v, hi in (("max_items", max_items, MAX_ITEMS),
                            ("n_features", n_features, MAX_FEATURES), ("k", k, max_items)):
            if not 1 <= v <= hi:
                raise ValueError("%s must be in [1, %d], got %d" % (name, hi, v))
        self.max_items, self.n_features, self.k = max_items, n_features, k
        self.n_items = 0
        self.data = zeros_h(max_items * n_features)
        self.labels = bytearray(max_items)
        self._results = []

    def additem(self, features, label):
        _check_row(features, self.n_features, "features")
        if not 0 <= label < MAX_CLASSES:
            raise ValueError("label must be in [0, %d], got %d" % (MAX_CLASSES - 1, label))
        if self.n_items >= self.max_items:
            raise ValueError("too many items (max_items reached)")
        i = self.n_items
        b = i * self.n_features
        for j in range(self.n_features):
            self.data[b + j] = features[j]
        self.labels[i] = label
        self.n_items += 1
        return i

    def predict(self, features):
        _check_row(features, self.n_features, "features")
        if self.n_items < self.k:
            raise ValueError("need at least k=%d items, have %d" % (self.k, self.n_items))
        nf = self.n_features
        res = [(distance(features, 0, self.data, i * nf, nf), i) for i in range(self.n_items)]
        res.sort()
        self._results = res
        votes = [0] * MAX_CLASSES
        for r in range(self.k):
            votes[self.labels[res[r][1]]] += 1
        best = -1
        for c in range(MAX_CLASSES):
            if votes[c] > (votes[best] if best >= 0 else 0):
                best = c
        return best

    def getresult(self, i):
        if not self._results:
            raise ValueError("no results (call predict first)")
        if not 0 <= i < len(self._results):
            raise ValueError("result index must be in [0, %d], got %d" % (len(self._results) - 1, i))
        dist, index = self._results[i]
        return index, dist, self.labels[index]

    def getitem(self, i, out):
        if not 0 <= i < self.n_items:
            raise ValueError("item index out of range")
        _check_row(out, self.n_features, "out")
        b = i * self.n_features
        for j in range(self.n_features):
            out[j] = self.data[b + j]


def new(max_items, n_features, k):
    """A pure-Python model with emlearn_neighbors' API (see the header)."""
    return _Model(max_items, n_features, k)


def nearest(model, n_items, k, exclude=-1):
    """The k nearest items of the model's last predict() as [(distance, index, label)],
    sorted by distance then item index; item `exclude` (e.g. the query itself) is skipped."""
    want = min(k, n_items - (1 if 0 <= exclude < n_items else 0))
    if want <= 0:
        return []
    got = []
    i = 0
    while i < n_items:
        index, dist, label = model.getresult(i)
        i += 1
        if index == exclude:
            continue
        if len(got) >= want and dist > got[want - 1][0]:
            break                   # sorted: nothing nearer follows
        got.append((dist, index, label))
        if len(got) >= want:
            got.sort()
    got.sort()
    return got[:want]

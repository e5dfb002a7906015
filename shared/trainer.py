# Tree-ensemble learner on int16 features (runs in the page's MicroPython-WASM, on CPython and on
# the unix interpreter): extra-trees (default) or random forest, giving a shared.model.TreeModel.
# Memory: X is one flat array('h') (row-major), labels a bytearray, one array('H'/'I') of sample
# indices per tree, partitioned in place (no per-node copy of X; a node scans one column at a time
# into a temporary list); the trees grow in five int lists.
#
# Why extra-trees by default: a random threshold per candidate feature costs one min/max scan and
# one counting scan per feature (no sort), which keeps 1000 windows x 10 trees within seconds in
# the browser's interpreter, and it generalises as well as a random forest on small data sets.
# method="rf" (bootstrap + the best threshold of a sorted scan) is there for comparison.
#
# Determinism (same seed -> same trees on every runtime): the only randomness is shared.compat.Rng
# (xorshift32); features are int16 and thresholds ints (`x < t` goes left, as eml_trees.h), a
# random threshold is an int in (min, max]; the Gini criterion is compared exactly as integer
# cross-products (no floats anywhere); ties keep the first candidate drawn and leaves take the
# lowest class among equal counts. Leaves are shared: leaf k is class k (emlearn leaf_bits 0), and
# a node whose two sides reach the same class is folded away (predictions unchanged).
#
# One tree builder for classes and values: the criterion (node statistics, leaf, split score) is
# in the methods _build, _targets, _stats, _varied, _leaf, _rest, _score_at and _scan; shared.regress's
# Regressor overrides them with variance reduction (the sampling, feature draws, thresholds,
# partitioning, depth/leaf limits and folding here are the same for both).
#
# C (issue 22): where our emlearn_extratrees module imports (our unix, WASM and firmware builds),
# Trainer (and shared.regress.Regressor, C_REGRESSION) grows the trees there, one tree per step: the same
# algorithm and random stream, so the same nodes, roots and model file byte for byte
# (shared/tests/test_trainer_c). impl="auto" (C when it imports and takes these inputs, else
# this Python code, the reference and the fallback), "c" (ValueError/ImportError if it cannot)
# or "python". The C module's memory is allocated once at its new(): ~7 bytes per node (sized
# for the most nodes the trees can need), 2 per sample (more for "rf"), no per-node objects.
from array import array

from shared.compat import Rng, c_module
from shared.model import MAX_FEATURES, MAX_CLASSES, MAX_NODES, TreeModel, zeros_h

METHODS = ("extra", "rf")


def isqrt(n):
    """floor(sqrt(n)) in integers (the same on every runtime)."""
    r = 0
    while (r + 1) * (r + 1) <= n:
        r += 1
    return r


def index_array(n, values=None):
    """An unsigned index array for n samples: 'H' when it fits, else 'I'."""
    code = "H" if n <= 65535 else "I"
    return array(code, values if values is not None else range(n))


def _majority(counts):
    best = 0
    for c in range(1, len(counts)):
        if counts[c] > counts[best]:
            best = c
    return best


class Trainer:
    """Fit an ensemble on X (flat array('h') of n_samples * n_features, row-major) and y
    (bytearray of class numbers < n_classes). rows: which samples to train on (default all).
    max_depth None = unlimited; max_features None = isqrt(n_features) (as scikit-learn's "sqrt");
    bootstrap None = True for "rf", False for "extra".
        t = Trainer(X, y, n_features, n_classes, n_trees=10, seed=1)
        for p in t.steps(): await asyncio.sleep_ms(1)  # p: {"tree", "trees", "nodes", "done"}
        model = t.model()                              # or model = t.fit()
    """

    def __init__(self, X, y, n_features, n_classes, n_trees=10, max_depth=12,
                 min_samples_leaf=1, max_features=None, seed=1, method="extra", bootstrap=None,
                 rows=None, yield_every=200, impl="auto"):
        if method not in METHODS:
            raise ValueError("method must be one of %s" % ", ".join(METHODS))
        if not 1 <= n_features <= MAX_FEATURES:
            raise ValueError("n_features must be 1..%d" % MAX_FEATURES)
        if not 1 <= n_classes <= MAX_CLASSES:
            raise ValueError("n_classes must be 1..%d" % MAX_CLASSES)
        if len(X) != len(y) * n_features:
            raise ValueError("X holds %d values, expected %d samples x %d features"
                             % (len(X), len(y), n_features))
        if n_trees < 1 or min_samples_leaf < 1 or (max_depth is not None and max_depth < 0):
            raise ValueError("need n_trees >= 1, min_samples_leaf >= 1, max_depth >= 0")
        self.n_features, self.n_classes = n_features, n_classes
        self.rows = index_array(len(y)) if rows is None else index_array(len(y), rows)
        if not len(self.rows):
            raise ValueError("no training samples")
        self.X, self.y = X, self._targets(y)
        self.n_trees, self.max_depth = n_trees, max_depth
        self.min_samples_leaf = min_samples_leaf
        mf = isqrt(n_features) if max_features is None else max_features
        self.max_features = max(1, min(n_features, mf))
        self.method = method
        self.bootstrap = (method == "rf") if bootstrap is None else bootstrap
        self.yield_every = yield_every
        self.seed = seed
        self._rng = Rng(seed)
        self._feats = bytearray(range(n_features))
        self._feat, self._thr, self._left, self._right = [], [], [], []
        self._roots = []
        self._model = None
        self._c = self._c_trainer(impl)
        self.impl = "python" if self._c is None else "c"

    def _c_trainer(self, impl):
        """The C module's trainer for these inputs (None: use the Python code)."""
        et = c_module("emlearn_extratrees", impl, "trainer")
        why = None
        if et is None:
            return None
        regression = getattr(self, "C_REGRESSION", False)
        if type(self) is not Trainer and not regression:
            why = "the C trainer knows the Gini and variance criteria only"
        elif len(self.y) > 65535:
            why = "the C trainer takes at most 65535 samples"
        elif repr(self.X[:0]) != "array('h')" or not (
                regression or isinstance(self.y, bytearray) or repr(self.y[:0]) == "array('B')"):
            why = "the C trainer needs X as array('h') and y as bytearray"
        if why is not None:
            if impl == "c":
                raise ValueError(why)
            return None
        kw = {}
        self._cy = self.y
        if regression:   # the Regressor's quantised targets, its lo and unit
            self._cy = array("H", self.y)
            kw = {"regression": True, "lo": self.lo, "unit": self.unit}
        try:
            c = et.new(self.n_features, self.n_classes, self.n_trees, self.max_depth,
                       self.min_samples_leaf, max_features=self.max_features,
                       method=self.method, bootstrap=self.bootstrap,
                       seed=int(self.seed) & 0xFFFFFFFF, max_samples=len(self.rows),
                       max_nodes=_c_max_nodes(self), **kw)
        except (MemoryError, TypeError):   # no heap for it; upstream's new() has no keywords
            if impl == "c":
                raise
            return None
        if not hasattr(c, "export"):
            if impl == "c":
                raise ValueError("this emlearn_extratrees cannot export its trees (not ours)")
            return None
        return c

    # -- the criterion: Gini on class counts (shared.regress.Regressor: variance on values) --

    def _build(self, nodes):
        """The model of the grown nodes: leaf k is class k."""
        return TreeModel(self.n_features, self.n_classes, nodes, self._roots,
                         list(range(self.n_classes)))

    def _targets(self, y):
        """What the split search reads as self.y (checked): here the class numbers."""
        n_classes = self.n_classes
        for c in y:
            if c >= n_classes:
                raise ValueError("label %d out of range 0..%d" % (c, n_classes - 1))
        return y

    def _stats(self, idx):
        """A node's statistics: its class counts."""
        y = self.y
        counts = [0] * self.n_classes
        for i in idx:
            counts[y[i]] += 1
        return counts

    def _varied(self, counts):
        """Is there anything left to split (more than one class)?"""
        return sum(1 for c in counts if c) > 1

    def _leaf(self, counts):
        """The leaf reference (< 0) of a node that is not split: its majority class."""
        return -_majority(counts) - 1

    def _rest(self, counts, lcounts):
        """The right side's statistics from the node's and the left side's."""
        return [counts[c] - lcounts[c] for c in range(len(counts))]

    def _score_at(self, col, t, labels, counts):
        """Extra-trees: (num, den, left counts) of threshold t on this column (the score is
        num / den, larger is better), or None when a side has fewer than min_samples_leaf."""
        n = len(col)
        msl = self.min_samples_leaf
        n_classes = self.n_classes
        lc = [0] * n_classes
        for k in range(n):
            if col[k] < t:
                lc[labels[k]] += 1
        nl = sum(lc)
        nr = n - nl
        if nl < msl or nr < msl:
            return None
        # Gini: maximise sum(l_c^2)/nl + sum(r_c^2)/nr, compared as exact cross-products
        al = 0
        ar = 0
        for c in range(n_classes):
            a = lc[c]
            b = counts[c] - a
            al += a * a
            ar += b * b
        return al * nr + ar * nl, nl * nr, lc

    def _scan(self, f, sel, counts, best):
        """Random forest: scan feature f of the samples sel in sorted order for the best
        threshold (midway between distinct neighbours, rounded up). Returns False when f is
        constant here, else best (None: none yet) or a better (num, den, f, threshold, left
        counts)."""
        X, nf, y = self.X, self.n_features, self.y
        msl = self.min_samples_leaf
        n = len(sel)
        n_classes = self.n_classes
        # key = (value + 32768) * 256 + class: one C sort of ints orders values
        keys = sorted([((X[i * nf + f] + 32768) << 8) | y[i] for i in sel])
        if keys[0] >> 8 == keys[-1] >> 8:
            return False
        lc = [0] * n_classes
        rc = list(counts)
        al = 0
        ar = 0
        for c in range(n_classes):
            ar += rc[c] * rc[c]
        for p in range(n - 1):
            key = keys[p]
            c = key & 255
            al += 2 * lc[c] + 1
            ar -= 2 * rc[c] - 1
            lc[c] += 1
            rc[c] -= 1
            v = key >> 8
            w = keys[p + 1] >> 8
            nl = p + 1
            nr = n - nl
            if v == w or nl < msl or nr < msl:
                continue
            num = al * nr + ar * nl
            den = nl * nr
            if best is None or num * best[1] > best[0] * den:
                best = (num, den, f, ((v + w + 1) >> 1) - 32768, list(lc))
        return best

    # -- the tree builder --

    def params(self):
        """The training parameters (for the model's metadata)."""
        return {"method": self.method, "n_trees": self.n_trees, "max_depth": self.max_depth,
                "min_samples_leaf": self.min_samples_leaf, "max_features": self.max_features,
                "bootstrap": self.bootstrap, "seed": self.seed}

    def fit(self):
        for _ in self.steps():
            pass
        return self.model()

    def model(self, meta=None):
        if self._c is not None and self._model is None:
            self._model = self._c_model()
        if len(self._roots) != self.n_trees and self._c is None:
            raise ValueError("training has not finished")
        if self._model is None:
            nodes = [(self._feat[i], self._thr[i], self._left[i], self._right[i])
                     for i in range(len(self._thr))]
            self._model = self._build(nodes)
        if meta is not None:
            self._model.meta = meta
        return self._model

    def steps(self):
        """Grow the trees, yielding a progress dict every yield_every nodes and after each tree."""
        if self._c is not None:
            X, y, rows, c = self.X, self._cy, self.rows, self._c
            c.reset()
            for t in range(self.n_trees):
                c.grow(X, y, rows)      # one tree in C, then back to the caller
                yield self._progress(t + 1)
            return
        for t in range(self.n_trees):
            for _ in self._grow():
                yield self._progress(t)
            yield self._progress(t + 1)

    def _c_model(self):
        """The C trainer's trees as our TreeModel (leaf k is class k; regression: its leaves)."""
        c = self._c
        if c.get_n_trees() != self.n_trees:
            raise ValueError("training has not finished")
        if getattr(self, "C_REGRESSION", False):
            n = c.get_n_nodes_used()
            f, t, le, ri = bytearray(n), zeros_h(n), zeros_h(n), zeros_h(n)
            roots = zeros_h(self.n_trees)
            c.export(f, t, le, ri, roots)
            self._roots = list(roots)
            self._leaves = c.leaves()
            return self._build([(f[i], t[i], le[i], ri[i]) for i in range(n)])
        m = TreeModel.zeros(self.n_features, self.n_classes, c.get_n_nodes_used(),
                            self.n_classes, self.n_trees)
        c.export(m.feature, m.threshold, m.left, m.right, m.roots)
        for k in range(self.n_classes):
            m.leaves[k] = k
        return m

    def _progress(self, trees_done):
        nodes = len(self._thr) if self._c is None else self._c.get_n_nodes_used()
        return {"tree": trees_done, "trees": self.n_trees, "nodes": nodes,
                "done": trees_done / self.n_trees}

    def _sample(self):
        rows = self.rows
        n = len(rows)
        if not self.bootstrap:
            return index_array(len(self.y), rows)
        rng = self._rng
        return index_array(len(self.y), [rows[rng.randbelow(n)] for _ in range(n)])

    def _grow(self):
        """One tree, depth first; nodes are appended so every child comes after its parent."""
        idx = self._sample()
        counts = self._stats(idx)
        base = len(self._thr)
        feat, thr, left, right = self._feat, self._thr, self._left, self._right
        split = self._split_extra if self.method == "extra" else self._split_rf
        max_depth = self.max_depth
        two_leaf = 2 * self.min_samples_leaf
        # work item: (lo, hi, depth, class counts, parent node or -1, 0 = left / 1 = right)
        stack = [(0, len(idx), 0, counts, -1, 0)]
        done = 0
        while stack:
            lo, hi, depth, counts, parent, side = stack.pop()
            s = None
            if hi - lo >= two_leaf and (max_depth is None or depth < max_depth) and \
                    self._varied(counts):
                s = split(idx, lo, hi, counts)
            if s is None:
                ref = self._leaf(counts)
            else:
                f, t, mid, lcounts = s
                ref = len(thr)
                if ref >= MAX_NODES:
                    raise ValueError("model would exceed %d nodes: lower max_depth or n_trees"
                                     % MAX_NODES)
                feat.append(f)
                thr.append(t)
                left.append(0)
                right.append(0)
                rcounts = self._rest(counts, lcounts)
                # right pushed first so the left subtree is grown (and numbered) first
                stack.append((mid, hi, depth + 1, rcounts, ref, 1))
                stack.append((lo, mid, depth + 1, lcounts, ref, 0))
            if parent < 0:
                root = ref
            elif side:
                right[parent] = ref
            else:
                left[parent] = ref
            done += 1
            if done % self.yield_every == 0:
                yield done
        self._roots.append(self._fold(base, root))

    def _fold(self, base, root):
        """Fold nodes whose sides reach the same class, renumber this tree's nodes compactly;
        returns the root node index (a leaf-only tree gets one node with equal sides)."""
        feat, thr, left, right = self._feat, self._thr, self._left, self._right
        end = len(thr)
        gone = {}

        def resolve(c):
            return gone.get(c, c) if c >= 0 else c
        for i in range(end - 1, base - 1, -1):   # children come after parents
            left[i] = resolve(left[i])
            right[i] = resolve(right[i])
            if left[i] < 0 and left[i] == right[i]:
                gone[i] = left[i]
        if root < 0 or root in gone:
            leaf = root if root < 0 else gone[root]
            del feat[base:], thr[base:], left[base:], right[base:]
            feat.append(0)
            thr.append(0)
            left.append(leaf)
            right.append(leaf)
            return base
        new = {}
        k = base
        for i in range(base, end):
            if i not in gone:
                new[i] = k
                feat[k], thr[k] = feat[i], thr[i]
                left[k], right[k] = left[i], right[i]   # old numbers, fixed below
                k += 1
        # children were renumbered after their parents were copied: fix the forward references
        for j in range(base, k):
            if left[j] >= 0:
                left[j] = new[left[j]]
            if right[j] >= 0:
                right[j] = new[right[j]]
        del feat[k:], thr[k:], left[k:], right[k:]
        return new[root]

    def _draw_feature(self, j):
        """Partial Fisher-Yates: a uniform feature among those not drawn yet at this node."""
        feats = self._feats
        k = j + self._rng.randbelow(len(feats) - j)
        feats[j], feats[k] = feats[k], feats[j]
        return feats[j]

    def _split_extra(self, idx, lo, hi, counts):
        """Extra-trees: up to max_features non-constant features, one random int threshold each;
        the best by the criterion. Returns (feature, threshold, mid, left stats) or None."""
        X, nf, y = self.X, self.n_features, self.y
        labels = [y[i] for i in idx[lo:hi]]
        rows = [i * nf for i in idx[lo:hi]]
        best = None
        bnum, bden = 0, 1
        visited = 0
        j = 0
        while j < nf and visited < self.max_features:
            f = self._draw_feature(j)
            j += 1
            col = [X[r + f] for r in rows]
            mn = min(col)
            mx = max(col)
            if mn == mx:
                continue                      # constant here: does not count as visited
            visited += 1
            t = mn + 1 + self._rng.randbelow(mx - mn)   # in (mn, mx]: both sides non-empty
            s = self._score_at(col, t, labels, counts)
            if s is None:
                continue
            num, den, lc = s
            if best is None or num * bden > bnum * den:
                best = (f, t, lc)
                bnum, bden = num, den
        if best is None:
            return None
        f, t, lc = best
        return f, t, self._partition(idx, lo, hi, f, t), lc

    def _split_rf(self, idx, lo, hi, counts):
        """Random forest: max_features non-constant features drawn per node, each scanned in
        sorted order for its best threshold (_scan); the best over them all."""
        nf = self.n_features
        best = None
        visited = 0
        j = 0
        sel = idx[lo:hi]
        while j < nf and visited < self.max_features:
            f = self._draw_feature(j)
            j += 1
            got = self._scan(f, sel, counts, best)
            if got is False:
                continue                      # constant here: does not count as visited
            visited += 1
            best = got
        if best is None:
            return None
        f, t, lc = best[2], best[3], best[4]
        return f, t, self._partition(idx, lo, hi, f, t), lc

    def _partition(self, idx, lo, hi, f, t):
        """Reorder idx[lo:hi] so samples with X[., f] < t come first; returns the boundary."""
        X, nf = self.X, self.n_features
        i, j = lo, hi - 1
        while i <= j:
            if X[idx[i] * nf + f] < t:
                i += 1
            else:
                idx[i], idx[j] = idx[j], idx[i]
                j -= 1
        return i


def _c_max_nodes(t):
    """The most nodes t's trees can need (each tree: leaves <= samples / min_samples_leaf and
    <= 2**max_depth, one node fewer than leaves, at least one), capped at MAX_NODES: the C
    trainer's node table, and past MAX_NODES it refuses as the Python code does."""
    leaves = len(t.rows) // t.min_samples_leaf
    if t.max_depth is not None and t.max_depth < 16:
        leaves = min(leaves, 1 << t.max_depth)
    return min(MAX_NODES, t.n_trees * max(1, leaves - 1))


def train(X, y, n_features, n_classes, **params):
    """Trainer(...).fit() in one call (blocking)."""
    return Trainer(X, y, n_features, n_classes, **params).fit()

# Tree-ensemble model (emlearn trees layout) and its pure-Python predictor, with the same
# semantics as emlearn's eml_trees.h. Memory: nodes in four compact arrays (feature 'B',
# threshold/left/right 'h'), leaves in 'B', roots in 'h'; predict() allocates one small vote list.
#
# Layout, as emlearn's flatten_forest: decision node i = (feature, threshold, left, right);
# a child >= 0 is a node index, a child < 0 is leaf number -child-1; each tree starts at a
# root node index; leaf = class number (hard voting, emlearn leaf_bits 0). Features are int16;
# `x[feature] < threshold` goes left (thresholds are ints: emlearn truncates sklearn's float
# thresholds with int()). Every child index is larger than its parent's (a DAG by
# construction, so no cycles); the CSV stores it relative to the parent (see modelformat.py).
from array import array

from shared.limits import MAX_CLASSES, MAX_FEATURES, MAX_LEAVES, MAX_NODES, MAX_TREES


class ModelError(ValueError):
    """A model file or model structure is malformed; the message names the problem."""
    pass


class TreeModel:
    """An ensemble of decision trees over int16 features, voting for one of n_classes."""

    def __init__(self, n_features, n_classes, nodes, roots, leaves, meta=None):
        """nodes: list of (feature, threshold, left, right) with absolute child indices;
        roots: node index per tree; leaves: class per leaf. Raises ModelError if invalid."""
        validate(n_features, n_classes, nodes, roots, leaves)
        n = len(nodes)
        self.n_features = n_features
        self.n_classes = n_classes
        self.feature = array("B", [0] * n)
        self.threshold = array("h", [0] * n)
        self.left = array("h", [0] * n)
        self.right = array("h", [0] * n)
        for i in range(n):
            f, t, le, ri = nodes[i]
            self.feature[i] = f
            self.threshold[i] = t
            self.left[i] = le
            self.right[i] = ri
        self.roots = array("h", roots)
        self.leaves = array("B", leaves)
        self.meta = meta if meta is not None else {}

    @classmethod
    def zeros(cls, n_features, n_classes, n_nodes, n_leaves, n_trees, meta=None):
        """A model over zeroed arrays of these sizes, not validated: a reader fills them in
        place (shared.modelformat.Reader), with no per-node tuples on the heap."""
        t = object.__new__(cls)
        t.n_features = n_features
        t.n_classes = n_classes
        t.feature = _zeros("B", n_nodes)
        t.threshold = _zeros("h", n_nodes)
        t.left = _zeros("h", n_nodes)
        t.right = _zeros("h", n_nodes)
        t.roots = _zeros("h", n_trees)
        t.leaves = _zeros("B", n_leaves)
        t.meta = meta if meta is not None else {}
        return t

    @property
    def n_nodes(self):
        return len(self.threshold)

    def nodes(self):
        """The decision nodes as a list of (feature, threshold, left, right)."""
        return [(self.feature[i], self.threshold[i], self.left[i], self.right[i])
                for i in range(len(self.threshold))]

    def tree_leaf(self, root, x):
        """Leaf number reached from node `root` for int16 features x (as eml_trees_predict_tree)."""
        feature = self.feature
        threshold = self.threshold
        left = self.left
        right = self.right
        i = root
        while i >= 0:
            i = left[i] if x[feature[i]] < threshold[i] else right[i]
        return -i - 1

    def votes(self, x):
        if len(x) != self.n_features:
            raise ValueError("expected %d features, got %d" % (self.n_features, len(x)))
        votes = [0] * self.n_classes
        leaves = self.leaves
        for r in self.roots:
            votes[leaves[self.tree_leaf(r, x)]] += 1
        return votes

    def predict_proba(self, x):
        """Fraction of trees voting for each class (eml_trees_predict_proba, leaf_bits 0)."""
        v = self.votes(x)
        n = len(self.roots)
        return [c / n for c in v]

    def predict(self, x):
        """Class with the most votes; ties go to the lowest class number (eml_trees_predict)."""
        v = self.votes(x)
        best = -1
        best_votes = 0
        for c in range(self.n_classes):
            if v[c] > best_votes:
                best = c
                best_votes = v[c]
        return best


def zeros_h(n):
    """A zeroed array('h') of n items, made without an n-item list on the heap."""
    return _zeros("h", n)


def _zeros(code, n):
    try:   # MicroPython: the zero bytes become the array's storage (no n-item list)
        return array(code, bytes(n if code == "B" else 2 * n))
    except TypeError:   # CPython takes bytes for 'B' only
        return array(code, [0]) * n


def _int_in(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def validate(n_features, n_classes, nodes, roots, leaves):
    """Check counts, ranges and references; raise ModelError naming the first problem."""
    if not _int_in(n_features, 1, MAX_FEATURES):
        raise ModelError("feature count %r out of range 1..%d" % (n_features, MAX_FEATURES))
    if not _int_in(n_classes, 1, MAX_CLASSES):
        raise ModelError("class count %r out of range 1..%d" % (n_classes, MAX_CLASSES))
    n, nl = len(nodes), len(leaves)
    if not 1 <= len(roots) <= MAX_TREES:
        raise ModelError("tree count %d out of range 1..%d" % (len(roots), MAX_TREES))
    if not 1 <= n <= MAX_NODES:
        raise ModelError("node count %d out of range 1..%d" % (n, MAX_NODES))
    if not 1 <= nl <= MAX_LEAVES:
        raise ModelError("leaf count %d out of range 1..%d" % (nl, MAX_LEAVES))
    for i in range(nl):
        if not _int_in(leaves[i], 0, n_classes - 1):
            raise ModelError("leaf %d: class %r out of range 0..%d" % (i, leaves[i], n_classes - 1))
    for t in range(len(roots)):
        if not _int_in(roots[t], 0, n - 1):
            raise ModelError("tree %d: root %r out of range 0..%d" % (t, roots[t], n - 1))
    for i in range(n):
        node = nodes[i]
        if len(node) != 4:
            raise ModelError("node %d: needs feature, threshold, left, right" % i)
        f, thr, le, ri = node
        if not _int_in(f, 0, n_features - 1):
            raise ModelError("node %d: feature %r out of range 0..%d" % (i, f, n_features - 1))
        if not _int_in(thr, -32768, 32767):
            raise ModelError("node %d: threshold %r is not an int16" % (i, thr))
        for side, c in (("left", le), ("right", ri)):
            if not isinstance(c, int) or isinstance(c, bool):
                raise ModelError("node %d: %s child %r is not an int" % (i, side, c))
            if c >= 0:
                if c <= i:
                    raise ModelError("node %d: %s child %d does not come after its parent "
                                     "(cycle)" % (i, side, c))
                if c >= n:
                    raise ModelError("node %d: %s child %d out of range (%d nodes)"
                                     % (i, side, c, n))
            elif -c - 1 >= nl:
                raise ModelError("node %d: %s leaf %d out of range (%d leaves)"
                                 % (i, side, -c - 1, nl))

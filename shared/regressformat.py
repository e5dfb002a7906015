# Regression models ("how much?"): RegressionModel (TreeModel's nodes, float32 leaves,
# predict = the mean of the trees' leaf values, as emlearn's eml_trees_regress), the checks of
# a regression model file's metadata (target, unit, range) and its leaves, and the metadata
# maker. shared/modelformat.py reads and writes the file ("kind": "regress"; emlearn's c,0 /
# lb,32 / l,<value>) and imports this module only for such a file, so a device that runs
# classes keeps its heap. Memory: the model's arrays (leaves: one array('f')).
from array import array

from shared.limits import MAX_CLASS_LEN, MAX_UNIT_LEN, VALUE_LIMIT
from shared.model import ModelError, TreeModel

_INF = float("inf")


def finite(v):
    """Is v a finite int or float (not a bool, a string, NaN or an infinity)? (the one check
    of a regression target or leaf value)"""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and \
        -_INF < v < _INF


class RegressionModel(TreeModel):
    """Decision nodes as TreeModel's; leaves are float32 values; predict(x) is the mean of the
    trees' leaf values (as eml_trees_regress). n_classes is 1 (one output). Trained by
    shared/regress.py, read and written by shared/modelformat.py (kind "regress")."""
    leaf_bytes = 4       # one float32 per leaf in emlearn's leaves table (leaf_bits 32)

    def __init__(self, n_features, nodes, roots, leaves, meta=None):
        """leaves: the value of each leaf (finite numbers). Raises ModelError if invalid."""
        for i in range(len(leaves)):
            if not finite(leaves[i]):
                raise ModelError("leaf %d: value %r is not a finite number" % (i, leaves[i]))
        # the structure is checked as a one-class model's (leaf numbers, children, roots)
        TreeModel.__init__(self, n_features, 1, nodes, roots, bytearray(len(leaves)), meta)
        self.leaves = array("f", leaves)

    @classmethod
    def empty(cls, n_features, n_nodes, n_leaves, n_trees, meta=None):
        """zeros() with float32 leaves: what a reader fills in place."""
        t = cls.zeros(n_features, 1, n_nodes, n_leaves, n_trees, meta)
        t.leaves = array("f", bytes(4 * n_leaves))
        return t

    def votes(self, x):
        raise TypeError("a regression model has no votes: use predict")

    def predict_proba(self, x):
        raise TypeError("a regression model has no class probabilities: use predict")

    def predict(self, x):
        """The mean over the trees of the value of the leaf each reaches."""
        if len(x) != self.n_features:
            raise ValueError("expected %d features, got %d" % (self.n_features, len(x)))
        leaves = self.leaves
        s = 0.0
        for r in self.roots:
            s += leaves[self.tree_leaf(r, x)]
        return s / len(self.roots)


def check_value_meta(meta):
    """The one check of a regression model's metadata: target (a name), unit (may be ""),
    range [lo, hi] of the values it was trained on; no classes. Raises ModelError."""
    t, u, r = meta.get("target"), meta.get("unit"), meta.get("range")
    if not isinstance(t, str) or not 1 <= len(t) <= MAX_CLASS_LEN:
        raise ModelError("a regression model's metadata needs its target's name (1..%d "
                         "characters), e.g. \"concentration\"" % MAX_CLASS_LEN)
    if not isinstance(u, str) or len(u) > MAX_UNIT_LEN:
        raise ModelError("a regression model's metadata needs the unit of %s (a string of at "
                         "most %d characters, \"\" for none)" % (t, MAX_UNIT_LEN))
    ok = isinstance(r, list) and len(r) == 2
    for v in (r if ok else ()):
        ok = ok and isinstance(v, (int, float)) and not isinstance(v, bool) and \
            -VALUE_LIMIT <= v <= VALUE_LIMIT
    if not ok or r[0] > r[1]:
        raise ModelError("a regression model's metadata needs range [lo, hi]: the values it "
                         "was trained on (lo <= hi, |value| <= %g), got %r" % (VALUE_LIMIT, r))
    if meta.get("classes"):
        raise ModelError("a regression model has no classes")


def in_range(v, r):
    """Is the leaf value v a finite number within range r = [lo, hi] (give or take float32
    rounding)?"""
    lo, hi = r
    slack = 1e-6 * max(1.0, abs(lo), abs(hi))
    return finite(v) and lo - slack <= v <= hi + slack


def make_value_meta(features, target, unit, value_range, quant, window=None, **extra):
    """The metadata dict of a regression model (kind "regress"): the target's name and unit,
    [lo, hi] of the training values."""
    from shared.modelformat import make_meta
    meta = make_meta(features, [], quant, window, **extra)
    del meta["classes"]
    meta.update(kind="regress", target=target, unit=unit,
                range=[float(value_range[0]), float(value_range[1])])
    return meta




def leaf_value(text, num, r):
    """The float of an l,<value> record (line num) within range r; ModelError otherwise."""
    try:
        v = float(text)
    except ValueError:
        raise ModelError("line %d: leaf value %r is not a number" % (num, text[:20]))
    if not in_range(v, r):
        raise ModelError("line %d: leaf value %s outside the model's range %g..%g"
                         % (num, text[:20], r[0], r[1]))
    return v


def write_leaves(w, model, meta):
    """The f/c/lb/l records of a RegressionModel (leaves %.9g: float32 exactly)."""
    lo, hi = meta["range"]
    w("f,%d\nc,0\nlb,32\n" % model.n_features)
    for v in model.leaves:
        if not in_range(v, meta["range"]):
            raise ModelError("leaf value %g outside the metadata's range %g..%g" % (v, lo, hi))
        w("l,%.9g\n" % v)

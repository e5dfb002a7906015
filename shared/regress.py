# Regression trees and forests on int16 features (every runtime): shared.trainer's one tree
# builder with a variance-reduction criterion (decision tree, bootstrap random forest, extra
# trees), and RegressionModel, whose leaves hold a value (emlearn eml_trees_regress: leaf_bits 32,
# one float32 per leaf, the mean over the trees). Memory: as the trainer, plus one int list of
# quantised targets; the model's leaves are one array('f'). predictor(model) runs it in our C
# binding (emlearn_trees with leaf_bits 32: eml_trees_regress) where that imports, as the
# classifier's loader does (device/model_store); C tables: 8 bytes a node, 4 a leaf, 4 a tree.
#
# Exact and the same on every runtime: targets are quantised once to ints 0..LEVELS-1 over the
# training rows' range (resolution range/16383, far below a sensor's noise), so node sums are
# ints and splits are compared as exact integer cross-products, as the classifier's Gini is. A
# split maximises sum_l^2/n_l + sum_r^2/n_r (the same as the largest drop of squared error). A leaf
# holds lo + unit * mean; equal leaf values share one leaf, so a node whose two sides reach the
# same value is folded away as for classes.
from array import array

from shared.compat import c_module
from shared.limits import MAX_LEAVES
from shared.model import TreeModel, ModelError  # noqa: F401
from shared.regressformat import RegressionModel  # noqa: F401  (re-exported)
from shared.regressformat import finite as _finite
from shared.trainer import Trainer

LEVELS = 16384   # target quantisation: sort keys (value + 32768) << 14 | target stay small ints
_SHIFT = 14


class Regressor(Trainer):
    """Fit regression trees on X (flat array('h'), row-major) and y (one number per sample).
    max_features None = all features (scikit-learn's regressors' default); method "extra"
    (default; no bootstrap) or "rf" (bootstrap; with n_trees=1, bootstrap=False a CART tree).
        r = Regressor(X, y, n_features, n_trees=10, seed=1)
        for p in r.steps(): await asyncio.sleep_ms(1)
        model = r.model()       # or r.fit(); model.predict(x) -> float
    """

    C_REGRESSION = True   # shared.trainer grows these in C too (emlearn_extratrees regression=True)

    def __init__(self, X, y, n_features, max_features=None, **kw):
        self._values = {}    # leaf value -> leaf number
        self._leaves = []
        Trainer.__init__(self, X, y, n_features, 1,
                         max_features=n_features if max_features is None else max_features, **kw)

    def params(self):
        p = Trainer.params(self)
        p["kind"] = "regression"
        return p

    # -- the criterion: variance reduction on quantised targets (stats = [n, sum, sum of squares])

    def _build(self, nodes):
        return RegressionModel(self.n_features, nodes, self._roots, self._leaves)

    def _targets(self, y):
        rows = self.rows
        for i in range(len(y)):
            if not _finite(y[i]):
                raise ValueError("target %d: %r is not a finite number" % (i, y[i]))
        lo = min(y[i] for i in rows)
        hi = max(y[i] for i in rows)
        self.lo = lo
        self.unit = (hi - lo) / (LEVELS - 1) if hi > lo else 0.0
        if hi == lo:
            return [0] * len(y)
        scale = (LEVELS - 1) / (hi - lo)
        return [max(0, min(LEVELS - 1, int((v - lo) * scale + 0.5))) for v in y]

    def _stats(self, idx):
        y = self.y
        s = ss = 0
        for i in idx:
            v = y[i]
            s += v
            ss += v * v
        return [len(idx), s, ss]

    def _varied(self, st):
        n, s, ss = st
        return n * ss != s * s          # not all targets equal

    def _leaf(self, st):
        v = self.lo + self.unit * (st[1] / st[0])     # equal means, equal values (one leaf)
        k = self._values.get(v)
        if k is None:
            k = len(self._leaves)
            if k >= MAX_LEAVES:
                raise ValueError("model would exceed %d leaves: lower max_depth or n_trees"
                                 % MAX_LEAVES)
            self._values[v] = k
            self._leaves.append(v)
        return -k - 1

    def _rest(self, st, lst):
        return [st[0] - lst[0], st[1] - lst[1], st[2] - lst[2]]

    def _score_at(self, col, t, labels, st):
        n = len(col)
        msl = self.min_samples_leaf
        nl = sl = ssl = 0
        for k in range(n):
            if col[k] < t:
                v = labels[k]
                nl += 1
                sl += v
                ssl += v * v
        nr = n - nl
        if nl < msl or nr < msl:
            return None
        sr = st[1] - sl
        return sl * sl * nr + sr * sr * nl, nl * nr, [nl, sl, ssl]

    def _scan(self, f, sel, st, best):
        X, nf, y = self.X, self.n_features, self.y
        msl = self.min_samples_leaf
        n = len(sel)
        mask = LEVELS - 1
        keys = sorted([((X[i * nf + f] + 32768) << _SHIFT) | y[i] for i in sel])
        if keys[0] >> _SHIFT == keys[-1] >> _SHIFT:
            return False
        total = st[1]
        sl = ssl = 0
        for p in range(n - 1):
            key = keys[p]
            v = key & mask
            sl += v
            ssl += v * v
            a = key >> _SHIFT
            b = keys[p + 1] >> _SHIFT
            nl = p + 1
            nr = n - nl
            if a == b or nl < msl or nr < msl:
                continue
            sr = total - sl
            num = sl * sl * nr + sr * sr * nl
            den = nl * nr
            if best is None or num * best[1] > best[0] * den:
                best = (num, den, f, ((a + b + 1) >> 1) - 32768, [nl, sl, ssl])
        return best


def to_c(model, et):
    """A RegressionModel as a model of the emlearn_trees module `et` (our C binding:
    leaf_bits 32, eml_trees_regress): the same nodes (children relative), roots and float32
    leaves, in a table sized once. Its predict(array('h'), array('f') of 1) gives
    model.predict within float32 rounding (shared/tests/test_regress_cmodule)."""
    n = model.n_nodes
    m = et.new(len(model.roots), n, len(model.leaves), 32)
    m.setdata(model.n_features, 1, 32)
    for r in model.roots:
        m.addroot(r)
    left, right = model.left, model.right
    for i in range(n):
        le, ri = left[i], right[i]
        m.addnode(le - i if le >= 0 else le, ri - i if ri >= 0 else ri, model.feature[i],
                  model.threshold[i])
    for v in model.leaves:
        m.addleaf(v)
    return m


class CRegression:
    """RegressionModel.predict run by the C module: predict(x) -> float for int16 features x
    (any sequence; copied into one preallocated array('h'))."""

    def __init__(self, model, et):
        self.n_features = model.n_features
        self._m = to_c(model, et)
        self._x = array("h", bytes(2 * model.n_features))
        self._out = array("f", [0.0])

    def predict(self, x):
        if len(x) != self.n_features:
            raise ValueError("expected %d features, got %d" % (self.n_features, len(x)))
        xa = self._x
        for i in range(self.n_features):
            xa[i] = x[i]
        self._m.predict(xa, self._out)
        return self._out[0]


def predictor(model, impl="auto"):
    """(an object with predict(x) -> float, impl name) for a RegressionModel: CRegression on
    our emlearn_trees (impl "auto" or "c") when it imports and takes regression trees, else the
    model itself ("python"). emlearn-micropython's published emlearn_trees has no regression
    (leaf_bits 0 only): "auto" falls back to Python there, "c" raises."""
    et = c_module("emlearn_trees", impl, "trees")
    if et is not None:
        try:
            return CRegression(model, et), "c"
        except (TypeError, ValueError):
            if impl == "c":
                raise
    return model, "python"


def regress(X, y, n_features, **params):
    """Regressor(...).fit() in one call (blocking)."""
    return Regressor(X, y, n_features, **params).fit()

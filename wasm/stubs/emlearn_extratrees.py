"""Stub: signatures of `emlearn_extratrees` in our builds (wasm/modules/emlearn_extratrees), a
tree-ensemble trainer in C in the shape of emlearn-micropython's on-device trainer of that name
(`new(n_features, n_classes, n_trees, max_depth, min_samples_leaf, ...)`, `train(X, y)`,
`predict`, `predict_proba`, `get_n_*`), running shared/trainer.Trainer's algorithm step for
step: the same seed gives the same trees as the Python trainer (shared/tests/test_trainer_c).
Documentation only; shared.trainer.Trainer uses it (impl "auto"/"c") and is the fallback.

    m = emlearn_extratrees.new(39, 4, 10, 12, 1, max_features=6, method="extra", seed=1,
                               max_samples=len(rows))
    for t in range(10):
        m.grow(X, y, rows)            # one tree; yield to the page between trees
    n = m.get_n_nodes_used()
    m.export(feature, threshold, left, right, roots)   # our TreeModel's arrays
"""


class extratrees:
    def train(self, X, y, rows=None) -> None:
        """reset(), then grow every tree. X: array('h') of len(y) * n_features (row-major);
        y: bytearray/array('B') of classes < n_classes (every label is checked); rows: None
        (all samples) or array('H') of the samples to train on (<= max_samples of them).
        ValueError for a wrong typecode or length, a label or row out of range, no rows, more
        nodes than max_nodes ("model would exceed N nodes", as the Python trainer)."""

    def grow(self, X, y, rows=None) -> int:
        """Grow one more tree (same checks as train); returns the trees grown so far.
        ValueError once all n_trees are grown."""

    def reset(self) -> None:
        """Forget the trees; the random stream and feature order start again from the seed."""

    def export(self, feature, threshold, left, right, roots) -> int:
        """Copy the grown model out: feature array('B')/bytearray, threshold/left/right
        array('h') of exactly get_n_nodes_used(), roots array('h') of n_trees. Children are
        absolute node indices, < 0 a leaf -c-1 = class c (shared.model.TreeModel's layout).
        ValueError before every tree is grown. Returns the node count."""

    def leaves(self) -> list:
        """Regression models: the leaves' values (leaf k is -k-1 in the nodes), floats of the
        interpreter; ValueError for a classifier (its leaf k is class k)."""

    def predict(self, x) -> int:
        """Class with the most votes of the grown trees (ties: the lowest) for array('h') x."""

    def predict_proba(self, x, out) -> int:
        """out: array('f') of n_classes, the fraction of trees voting for each; returns predict."""

    def get_n_features(self) -> int: ...
    def get_n_classes(self) -> int: ...
    def get_n_trees(self) -> int:
        """Trees grown so far."""
    def get_n_nodes_used(self) -> int: ...


def new(n_features: int, n_classes: int, n_trees: int = 10, max_depth=10,
        min_samples_leaf: int = 1, *, max_features: int = 0, method: str = "extra",
        bootstrap=None, seed: int = 1, max_samples: int = 1000,
        max_nodes: int = 0, regression: bool = False, lo: float = 0.0,
        unit: float = 0.0) -> extratrees:
    """n_features 1..127, n_classes 1..30, n_trees 1..1024, max_depth >= 0 or None (unlimited),
    min_samples_leaf >= 1; keywords only (upstream's later positional arguments, n_thresholds,
    subsample ratios, rng_seed, are not ours: calling with them is a TypeError): max_features
    (0: isqrt(n_features)), method "extra" (one random threshold per feature) or "rf" (best
    threshold of a sorted scan), bootstrap (None: True for "rf"), seed (low 32 bits, as
    shared.compat.Rng), max_samples (1..65535 training rows), max_nodes (0: the most the trees
    can need: n_trees * (min(max_samples // min_samples_leaf, 2**max_depth) - 1), at most
    32767). All memory is allocated here: ~7 bytes per node, 3-8 per sample.
    regression=True: shared/regress.Regressor's criterion (variance on its quantised targets:
    y is array('H') of 0..16383, a leaf is lo + unit * mean, equal values share a leaf;
    n_classes 1; predict() refuses: export() and leaves() it into a RegressionModel); ~12 more
    bytes per possible leaf."""

"""Stub: signatures of `emlearn_trees` in our builds (wasm/modules/emlearn_trees + the frozen
wasm/frozen/common/emlearn_trees.py), the same API as emlearn-micropython's module of that name.
Documentation only: the real module exists in MicroPython builds (our unix/WASM builds, or
emlearn-micropython's .mpy on the ESP32). Features are int16 (quantised), outputs float32.

    model = emlearn_trees.new(5, 30, 2)
    with open("model.csv") as f:
        emlearn_trees.load_model(model, f)
    out = array.array("f", [0.0] * model.outputs())
    model.predict(array.array("h", features), out)
"""


class emltrees:
    """A tree ensemble; arrays are sized once by new()."""

    def setdata(self, n_features: int, n_classes: int, leaf_bits: int = 0) -> None:
        """Model shape. n_features 1..127, n_classes 1..127; leaf_bits 0 = each leaf is a class
        (majority vote), 8 = each leaf is n_classes proportions 0..255. ValueError otherwise
        (regression leaves, leaf_bits 32, are not supported)."""

    def addroot(self, root: int) -> None:
        """Append a tree whose first node is `root`. ValueError past max_trees."""

    def addnode(self, left: int, right: int, feature: int, threshold: int) -> None:
        """Append a decision node: `x[feature] < threshold` goes to `left`, else `right`.
        A child >= 0 is a jump relative to this node (must be > 0), < 0 is leaf -child-1.
        All values must fit int16 (feature 0..126). ValueError past max_nodes."""

    def addleaf(self, value: int) -> None:
        """Append a leaf byte 0..255 (a class, or one class proportion). ValueError past max_leaves."""

    def outputs(self) -> int:
        """n_classes (ValueError before setdata)."""

    def predict(self, features, out) -> None:
        """features: array('h') of n_features; out: array('f') of n_classes, filled with the
        fraction of trees voting for each class (leaf_bits 8: mean proportion).
        The model is validated before its first use: a child, feature, root or leaf out of
        range raises ValueError. Wrong typecode or length: ValueError; not an array: TypeError."""


def new(max_trees: int, max_nodes: int, max_leaves: int) -> emltrees:
    """An empty model with room for that many trees, nodes and leaf bytes (ValueError if < 1 or
    more than 32767 trees/nodes)."""


def load_model(model: emltrees, f) -> emltrees:
    """Fill `model` from emlearn's trees CSV, read line by line from text file `f`:
    f,<n_features>  c,<n_classes>  lb,<leaf_bits> (also lf,)  l,<leaf> (or l,[p0 p1 ...])
    r,<root>  n,<feature>,<threshold>,<left>,<right>. The threshold is truncated to int
    (as emlearn-micropython). ValueError on a malformed line, NaN/inf threshold, metadata after
    trees, or a model bigger than `model`."""

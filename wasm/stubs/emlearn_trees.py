"""Stub: signatures of `emlearn_trees` in our builds (wasm/modules/emlearn_trees + the frozen
wasm/frozen/common/emlearn_trees.py), the same API as emlearn-micropython's module of that name.
Documentation only: the real module exists in MicroPython builds (our unix/WASM builds, or
emlearn-micropython's .mpy on the ESP32). Features are int16 (quantised), outputs float32.
Regression trees (leaf_bits 32, eml_trees_regress) are ours: emlearn-micropython's module is
classifiers only so far (its issue #65 plans regression through the same load_model/predict,
from emlearn's CSV with "lb,32"), which is the API used here.

    model = emlearn_trees.new(10, 300, 150)        # a regressor's CSV: c,0 lb,32 l,<value>
    emlearn_trees.load_model(model, f)
    out = array.array("f", [0.0])                  # outputs() == 1
    model.predict(array.array("h", features), out) # out[0]: the mean of the trees' values

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
        (majority vote), 8 = each leaf is n_classes proportions 0..255; 32 = a regressor, each
        leaf one float32 value, n_classes 0 (as emlearn writes it) or 1. ValueError otherwise,
        and when leaves were already added for the other kind (bytes vs values). On a model
        made without new(..., 32) and no leaves yet, 32 grows the leaf table to 4 bytes a leaf."""

    def addroot(self, root: int) -> None:
        """Append a tree whose first node is `root`. ValueError past max_trees."""

    def addnode(self, left: int, right: int, feature: int, threshold: int) -> None:
        """Append a decision node: `x[feature] < threshold` goes to `left`, else `right`.
        A child >= 0 is a jump relative to this node (must be > 0), < 0 is leaf -child-1.
        All values must fit int16 (feature 0..126). ValueError past max_nodes."""

    def addleaf(self, value) -> None:
        """Append a leaf byte 0..255 (a class, or one class proportion), or with leaf_bits 32 a
        finite number stored as float32 (NaN/inf: ValueError). ValueError past max_leaves."""

    def outputs(self) -> int:
        """n_classes, 1 for a regressor (ValueError before setdata)."""

    def predict(self, features, out) -> None:
        """features: array('h') of n_features; out: array('f') of outputs(), filled with the
        fraction of trees voting for each class (leaf_bits 8: mean proportion), or (leaf_bits
        32) out[0] = the mean of the trees' leaf values (eml_trees_regress, float32 sum).
        The model is validated before its first use: a child, feature, root or leaf out of
        range raises ValueError. Wrong typecode or length: ValueError; not an array: TypeError."""


def new(max_trees: int, max_nodes: int, max_leaves: int, leaf_bits: int = 0) -> emltrees:
    """An empty model with room for that many trees, nodes and leaves (ValueError if < 1 or
    more than 32767 trees/nodes). leaf_bits 32 sizes the leaf table for max_leaves float32
    values at once (4 bytes each); 0 or 8 (default): max_leaves bytes."""


def load_model(model: emltrees, f) -> emltrees:
    """Fill `model` from emlearn's trees CSV, read line by line from text file `f`:
    f,<n_features>  c,<n_classes>  lb,<leaf_bits> (also lf,)  l,<leaf> (or l,[p0 p1 ...];
    with lb,32 l,<value>)  r,<root>  n,<feature>,<threshold>,<left>,<right>. The shape is set
    before the first tree line. The threshold is truncated to int
    (as emlearn-micropython). ValueError on a malformed line, NaN/inf threshold, metadata after
    trees, or a model bigger than `model`."""

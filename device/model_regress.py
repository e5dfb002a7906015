# A regression model (kind "regress", shared.regressformat) on the device: RegressLoaded
# estimates a value from the quantised features (predict(q) -> float) in our emlearn_trees
# (leaf_bits 32: eml_trees_regress; 8 bytes a node, 4 a leaf) or, where the module has no
# regression (upstream's), shared's RegressionModel built by the Reader. Imported by
# model_store.load only for such a model: a classes device's heap holds none of this.
# Memory: the trees, the quantiser as arrays, one float32 output; no metadata dict.
import gc
from array import array

import model_store as MS


class RegressLoaded:
    """A regression model (kind "regress") ready to estimate: predict(q) -> float from the
    quantised features (emlearn_trees with leaf_bits 32: eml_trees_regress, or shared's
    RegressionModel in Python); target, unit, range; its feature set (shared.features)."""
    kind = "regress"
    classes = ()
    n_classes = 0
    smooth = 1

    def __init__(self, info, impl, trees):
        meta = info["meta"]
        self.hash = info["hash"]
        self.bytes = info["bytes"]
        self.nodes = info["nodes"]
        self.leaves = info["leaves"]
        self.trees = info["trees"]
        self.n_features = len(meta["features"])
        self.target = meta["target"]
        self.unit = meta["unit"]
        self.range = (meta["range"][0], meta["range"][1])
        self.feature_set = meta.get("feature_set", "motion")
        self.impl = impl
        self._t = trees
        self._out = array("f", [0.0])
        self.window = MS._window(meta)
        self._names = MS._sig(meta["features"])
        from shared.quant import Quantizer
        q = Quantizer.from_dict(meta["quant"])
        q.factors = array("f", q.factors)
        q.shifts = array("b", q.shifts)
        if max(q.offsets) < (1 << 31) and min(q.offsets) >= -(1 << 31):
            q.offsets = array("i", q.offsets)
        self.quant = q

    def fits(self, expect):
        return MS._fits(self.window, self._names, expect, self.feature_set)

    def predict(self, q):
        if self.impl == "c":
            self._t.predict(q, self._out)
            return self._out[0]
        return self._t.predict(q)

    def summary(self):
        return {"hash": self.hash, "kind": "regress", "target": self.target, "unit": self.unit,
                "range": list(self.range), "feature_set": self.feature_set,
                "nodes": self.nodes, "leaves": self.leaves, "trees": self.trees,
                "bytes": self.bytes, "features": self.n_features, "impl": self.impl}

    def describe(self):
        return "regression of %s (%s), %d trees, %d nodes, %s" % (
            self.target, self.unit, self.trees, self.nodes, self.impl)


async def load(path, info, impl):
    """A regression model: into emlearn_trees (leaf_bits 32) by its load_model where the module
    takes regression trees, else shared's RegressionModel from the Reader (build=True)."""
    et = MS._c_module() if impl in ("auto", "c") else None
    gc.collect()
    if et is not None:
        try:
            m = et.new(info["trees"], info["nodes"], info["leaves"], 32)
            with open(path, "r") as f:
                et.load_model(m, f)
            return RegressLoaded(info, "c", m)
        except (TypeError, ValueError, MemoryError):   # upstream's module: classes only
            if impl == "c":
                raise
            m = None
            gc.collect()
    r = MS._reader(build=True)
    try:
        await MS._read_into(path, r)
        r.finish()
        t = r.model
    finally:
        r = None
        MS.forget(MS._READER)
    t.meta = None
    return RegressLoaded(info, "python", t)

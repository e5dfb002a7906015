# A regression model (kind "regress", shared.regressformat) on the device: RegressLoaded
# estimates a value from the quantised features (predict(q) -> float) in our emlearn_trees
# (leaf_bits 32: eml_trees_regress; 8 bytes a node, 4 a leaf) or, where the module has no
# regression (upstream's), shared's RegressionModel built by the Reader. Imported by
# model_store.load only for such a model: a classes device's heap holds none of this.
# Memory: the trees, the quantiser as arrays, one float32 output; no metadata dict.
# Also the estimate's threshold (Threshold: value_over / value_under, as the sound meter's
# sound_over / sound_under; <data>/value.json) and its route GET/PUT /api/value (handle:
# api_node loads this module for it; a board without regression answers 404). Memory: the
# settings dict (4 small values), made on the first estimate or request.
import gc
import json
import os
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


FILE = "value.json"
HYSTERESIS = 0.02     # the band under the threshold, as a share of the model's range, by default


class Threshold:
    """An estimate at or over `threshold` (in the model's unit) is "value_over"; it is
    "value_under" again once under threshold - hysteresis (default HYSTERESIS x the model's
    range), so an estimate near the threshold does not flap. Set for one target and unit (the
    model running when it was set); another model's estimates are not judged."""

    def __init__(self, data_dir):
        self.path = data_dir + "/" + FILE
        self.s = {"threshold": None, "hysteresis": None, "target": None, "unit": None}
        try:
            with open(self.path) as f:
                v = json.load(f)
            for k in self.s:
                self.s[k] = v.get(k)
        except (OSError, ValueError, AttributeError):
            pass
        self.over = False
        self.value = None          # the last estimate
        self._hash = None          # the model judged

    def band(self, m):
        h = self.s["hysteresis"]
        return h if h is not None else HYSTERESIS * (m.range[1] - m.range[0])

    def active(self, m):
        s = self.s
        return m is not None and s["threshold"] is not None and \
            s["target"] == m.target and s["unit"] == m.unit

    def update(self, v, m):
        """Estimate v of model m: "value_over" / "value_under" when the state changes, else
        None."""
        self.value = v
        if m.hash != self._hash:      # a new model: judged afresh
            self._hash, self.over = m.hash, False
        if not self.active(m):
            return None
        thr = self.s["threshold"]
        over = v >= (thr - self.band(m) if self.over else thr)
        if over == self.over:
            return None
        self.over = over
        return "value_over" if over else "value_under"

    def event(self, seq, v, m):
        import clock
        return {"t": clock.now(), "seq": seq, "value": v, "unit": m.unit, "target": m.target,
                "threshold": self.s["threshold"], "hysteresis": self.band(m), "hash": m.hash}

    def apply(self, body, m):
        """PUT /api/value {"threshold": number or null, "hysteresis": number >= 0 or null
        (default)}: for model m's target and unit; saved. ValueError naming the field."""
        if not isinstance(body, dict) or not body:
            raise ValueError('body must be {"threshold": number or null, "hysteresis": '
                             'number or null}')
        new = dict(self.s)
        for k in body:
            v = body[k]
            if k not in ("threshold", "hysteresis"):
                raise ValueError("unknown value setting %r; valid: threshold, hysteresis"
                                 % (str(k)[:30],))
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or
                                  v != v or abs(v) > 1e9 or (k == "hysteresis" and v < 0)):
                raise ValueError("%s must be a number%s (in %s) or null, got %r" % (
                    k, " >= 0" if k == "hysteresis" else "", m.unit or "the model's unit",
                    str(v)[:20]))
            new[k] = v
        new["target"], new["unit"] = m.target, m.unit
        with open(self.path + ".tmp", "w") as f:
            f.write(json.dumps(new))
        os.rename(self.path + ".tmp", self.path)
        self.s = new
        self.over = False              # judged again from the next estimate
        self._hash = m.hash

    def status(self, m):
        d = dict(self.s)
        d["active"] = self.active(m)
        d["band"] = self.band(m) if m is not None and m.kind == "regress" else None
        d["over"] = self.over
        d["value"] = self.value
        return d


def handle(request, parts, dev):
    """GET /api/value: the threshold settings, whether they judge the running model, its
    state and last estimate. PUT (token): set them for the running regression model."""
    import api_node
    from httpd import err, json_body
    if len(parts) != 1:
        return api_node.no_route(request, parts)
    m = dev.model.current
    th = dev.node.value_threshold()
    if request.method == "GET":
        return th.status(m)
    if request.method != "PUT":
        return api_node.wrong_method(request, ["GET", "PUT"])
    if m is None or m.kind != "regress":
        return err(409, "no regression model runs: a threshold is set in the unit of the "
                   "value a model estimates (PUT /api/model first)")
    try:
        th.apply(json_body(request), m)
    except ValueError as e:
        return err(400, str(e))
    except OSError as e:
        return err(507, "value settings not stored (%s)" % e)
    return th.status(m)

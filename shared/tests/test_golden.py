# Golden vectors (scripts/make_golden.py, committed): windows -> features within the stated
# float tolerance, -> int16 features exactly, -> predictions of golden/model.csv exactly,
# on every FFT path available here. Tolerance per feature of axis a (13 features per axis):
#   |got - want| <= rtol*|want| + atol_rel_axis_variance*(1 + std_a^2)
from array import array

try:
    import ujson as json
except ImportError:
    import json

from shared import features as F
from shared import modelformat as MF
from shared.quant import Quantizer

_cache = {}


def _dir():
    path = __file__ if "/" in __file__ else "./" + __file__
    return path.rsplit("/", 1)[0] + "/golden/"


def _golden():
    if "doc" not in _cache:
        with open(_dir() + "features.json") as f:
            _cache["doc"] = json.load(f)
    return _cache["doc"]


def _model():
    with open(_dir() + "model.csv", "rb") as f:
        return MF.read_model(f)


def _tol(doc, want, j):
    t = doc["tolerance"]
    per = len(F.STATS) + len(F.BANDS_HZ) - 1
    std = want[(j // per) * per + 1]
    return t["rtol"] * abs(want[j]) + t["atol_rel_axis_variance"] * (1 + std * std)


def _extractor(doc, impl):
    s = doc["settings"]
    return F.FeatureExtractor(s["n_channels"], s["n_samples"], s["rate"], bands=s["bands"],
                              magnitude=s["magnitude"], fft=impl)


def test_golden_feature_names_pinned():
    doc = _golden()
    assert F.feature_names(3) == doc["feature_names"]
    assert _model().meta["features"] == doc["feature_names"]


def test_golden_features_within_tolerance():
    doc = _golden()
    scale = doc["settings"]["scale"]
    for impl in F.fft_impls():
        fe = _extractor(doc, impl)
        out = fe.new_output()
        for w in doc["windows"]:
            win = array(w["dtype"], w["samples"])
            fe.compute(win, out, scale if w["dtype"] == "h" else 1.0)
            want = w["features"]
            for j in range(fe.n_features):
                err = abs(out[j] - want[j])
                assert err <= _tol(doc, want, j), \
                    "%s %s %s: got %r want %r" % (impl, w["name"], fe.names[j], out[j], want[j])


def test_golden_quantised_features_exact():
    doc = _golden()
    qz = Quantizer.from_dict(doc["quant"])
    scale = doc["settings"]["scale"]
    q = array("h", [0] * qz.n_features)
    for impl in F.fft_impls():
        fe = _extractor(doc, impl)
        out = fe.new_output()
        for w in doc["windows"]:
            fe.compute(array(w["dtype"], w["samples"]), out, scale if w["dtype"] == "h" else 1.0)
            qz.quantize_into(out, q)
            assert list(q) == w["quantised"], (impl, w["name"], [
                (fe.names[j], q[j], w["quantised"][j]) for j in range(len(q))
                if q[j] != w["quantised"][j]])
            # the stored float64 reference quantises to the same ints
            assert qz.quantize(w["features"]) == w["quantised"], w["name"]


def test_golden_predictions_exact():
    doc = _golden()
    model = _model()
    assert model.meta["classes"] == doc["classes"]
    assert Quantizer.from_dict(model.meta["quant"]).to_dict() == Quantizer.from_dict(
        doc["quant"]).to_dict()
    seen = []
    for w in doc["windows"]:
        assert model.votes(w["quantised"]) == w["votes"], w["name"]
        assert model.predict(w["quantised"]) == w["prediction"], w["name"]
        seen.append(w["prediction"])
    assert sorted(set(seen)) == [0, 1, 2]   # the golden windows exercise every class


def test_golden_end_to_end_window_to_class():
    # what the device and the page do: window -> features -> int16 -> class name
    doc = _golden()
    model = _model()
    qz = Quantizer.from_dict(model.meta["quant"])
    fe = _extractor(doc, "auto")
    out = fe.new_output()
    q = array("h", [0] * qz.n_features)
    for w in doc["windows"]:
        fe.compute(array(w["dtype"], w["samples"]), out,
                   doc["settings"]["scale"] if w["dtype"] == "h" else 1.0)
        name = model.meta["classes"][model.predict(qz.quantize_into(out, q))]
        assert name == w["class"], (w["name"], name)


def test_golden_model_in_emlearn_trees_c_module():
    # our writer's file, loaded by the C module's own load_model (emlearn-micropython API):
    # same classes and vote fractions as our predictor. Passes trivially where the module is
    # absent (mprun's header says which C modules were present).
    try:
        import emlearn_trees
    except ImportError:
        return
    from shared.compat import Rng
    ours = _model()
    c = emlearn_trees.new(len(ours.roots), ours.n_nodes, len(ours.leaves))
    with open(_dir() + "model.csv") as f:
        emlearn_trees.load_model(c, f)
    inputs = [w["quantised"] for w in _golden()["windows"]]
    rng = Rng(99)
    nodes = ours.nodes()
    for i in range(300):
        x = [rng.randint(-32768, 32767) for _ in range(ours.n_features)]
        f, t, _, _ = nodes[i % len(nodes)]
        x[f] = t - (i % 2)          # on and just below a threshold
        inputs.append(x)
    proba = array("f", [0.0] * ours.n_classes)
    for x in inputs:
        c.predict(array("h", x), proba)
        want = ours.predict_proba(x)
        for k in range(ours.n_classes):
            assert abs(proba[k] - want[k]) < 1e-6, (x, list(proba), want)


def test_golden_any_window_length():
    # windows that are not a power of two long (50 samples at 10 Hz, 100, 37, even 2): the FFT
    # is zero-padded to the next power of two, the same on every runtime and FFT path
    for shape in _golden()["other_shapes"]:
        s = shape["settings"]
        for impl in F.fft_impls():
            fe = F.FeatureExtractor(s["n_channels"], s["n_samples"], s["rate"], fft=impl)
            assert fe.names == shape["feature_names"]
            assert fe.fft_n == s["fft_n"]
            out = fe.new_output()
            for w in shape["windows"]:
                fe.compute(array("h", w["samples"]), out, s["scale"])
                want = w["features"]
                for j in range(fe.n_features):
                    assert abs(out[j] - want[j]) <= _tol(_golden(), want, j), \
                        "%s %s %s: got %r want %r" % (impl, w["name"], fe.names[j], out[j],
                                                      want[j])

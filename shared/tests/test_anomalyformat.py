# Anomaly model files (shared.anomalyformat) on every runtime: a model fitted by shared.anomaly,
# written and read back, scores as the fitted one (C scorers where the build has them, and the
# pure-Python ones); either kind of file through any_reader; every refusal names its reason
# (kind, scorer, sizes, values, hysteresis, a cut or edited file, the caller's hook).
# Memory: 120 rows of 5 features; one model file of a few KB.
from array import array

from shared import anomaly, anomalyformat as AF, modelformat as MF
from shared.tests import synth
from shared.model import ModelError

_D = 5
_NAMES = ["f%d" % j for j in range(_D)]
_WINDOW = {"rate": 100, "window": 128, "channels": ["x", "y", "z"]}


def _rows(n=120, seed=5, shift=0.0):
    X = synth.correlated(n, _D, seed, shift, step=3.0)
    X[3] = 7.0      # a constant column would be left out: make feature 3 vary a little anyway
    return X


_CACHE = {}


def _model(kind):
    if kind not in _CACHE:
        kw = {"ks": (1, 2), "folds": 2} if kind == "gmm" else {"folds": 2}
        _CACHE[kind] = anomaly.fit(_rows(), _D, kind, contamination=0.05, **kw)
    return _CACHE[kind]


def _text(kind="envelope", **meta):
    m = {"features": _NAMES, "window": _WINDOW, "hysteresis": [2, 4], "note": "report"}
    for k in meta:
        m[k] = meta[k]
    return AF.dumps(_model(kind), m)


def _refused(text, want, **kw):
    try:
        AF.loads(text, **kw)
    except ModelError as e:
        assert want in str(e), "%r not in %r" % (want, str(e))
        return
    raise AssertionError("accepted: expected %r" % want)


def _same_scores(kind, impl):
    m = _model(kind)
    back = AF.loads(_text(kind), impl=impl)
    X = _rows(40, seed=9, shift=0.3)
    want = m.score_rows(X, array("f", bytes(4 * 40)))
    got = back.score_rows(X, array("f", bytes(4 * 40)))
    for i in range(40):
        assert abs(got[i] - want[i]) <= 1e-3 + 1e-4 * abs(want[i]), (kind, impl, i, got[i], want[i])
    assert abs(back.threshold - m.threshold) <= 1e-6 * abs(m.threshold) + 1e-6
    assert back.hysteresis == (2, 4) and back.meta["note"] == "report"
    assert back.scorer_kind == kind and back.D == _D and back.d == m.std.d
    assert back.impl == ("python" if impl == "python" or not _c(kind) else "c"), back.impl


def _c(kind):
    try:
        __import__("emlearn_distance" if kind == "envelope" else "emlearn_mixture")
        return True
    except ImportError:
        return False


def test_envelope_round_trip_scores_equal():
    _same_scores("envelope", "auto")
    _same_scores("envelope", "python")


def test_gmm_round_trip_scores_equal():
    _same_scores("gmm", "auto")
    _same_scores("gmm", "python")


def test_lines_are_bounded_and_file_ends():
    t = _text("gmm")
    lines = t.split("\n")
    assert lines[0].startswith(MF.META_PREFIX) and lines[-2] == MF.END and lines[-1] == ""
    for ln in lines[1:-2]:
        assert len(ln.split(",")) <= AF.PER_LINE + 1 and len(ln) < 300, ln


def test_any_reader_takes_both_kinds_in_small_pieces():
    with open(_golden()) as f:
        trees = f.read()
    for text, kind in ((trees, "classes"), (_text("envelope"), "anomaly")):
        r = AF.AnyReader(digest=True)
        for i in range(0, len(text), 7):
            r.feed(text[i:i + 7])
        s = r.finish()
        assert s["kind"] == kind and len(s["hash"]) == 64, s["kind"]
    r = AF.AnyReader(build=True)
    r.feed(_text("gmm"))
    r.finish()
    assert r.model.kind == "anomaly"


def _golden():
    here = __file__ if "/" in __file__ else "./" + __file__
    return here.rsplit("/", 1)[0] + "/golden/model.csv"


def test_refusals_name_the_reason():
    good = _text("envelope")
    head, rest = good.split("\n", 1)
    _refused("", "empty model file")
    _refused("hello\n", "must start with")
    _refused(good[:len(good) // 2], "truncated")
    _refused(good.replace("\n#end\n", "\n"), "truncated")
    cut = "\n".join([ln for ln in good.split("\n") if not ln.startswith("prec,")][:]) + "\n"
    _refused(cut, "prec values")
    _refused(good.replace("\nmean,", "\nmean,nan,", 1), "NaN")
    _refused(good.replace("\nmean,", "\nmean,1e999,", 1), "NaN or infinite")
    _refused(good.replace("\nmean,", "\nmean,abc,", 1), "not a number")
    _refused(good.replace("\n#end", "\nzz,1\n#end"), "unknown record")
    _refused(good + "mu,1\n", "data after")
    _refused(good.replace('"kind": "anomaly"', '"kind": "classes"'), "not an anomaly model")
    _refused(good.replace('"scorer": "envelope"', '"scorer": "knn"'), "scorer 'knn'")
    _refused(good.replace('"hysteresis": [2, 4]', '"hysteresis": [5, 4]'), "hysteresis n")
    _refused(good.replace('"version": 1', '"version": 7'), "version")
    d = _model("envelope").std.d
    _refused(good.replace('"d": %d' % d, '"d": 999'), "metadata d")
    _refused(good, "rate 50", check_meta=lambda m: "rate 50")
    # a trees reader given an anomaly file says what it is
    try:
        MF.loads(good)
        raise AssertionError("trees reader accepted an anomaly file")
    except ModelError as e:
        assert "not a classes model" in str(e), str(e)
    # an anomaly reader given a trees file
    with open(_golden()) as f:
        _refused(f.read(), "format is not")
    # values past the limits
    m = {"format": AF.FORMAT, "version": 1, "kind": "anomaly", "scorer": "gmm",
         "features": ["f%d" % j for j in range(64)], "d": 64, "k": 8, "cov": "full",
         "threshold": 1.0, "hysteresis": [1, 1], "window": {}}
    import json
    _refused(MF.META_PREFIX + json.dumps(m) + "\n#end\n", "too large for the device")


def test_writer_refuses_knn_and_bad_meta():
    try:
        AF.dumps(_model("envelope"), {"features": _NAMES[:3], "window": _WINDOW})
        raise AssertionError("wrong feature count written")
    except ModelError as e:
        assert "features" in str(e)
    assert AF.kinds()[0] == ("classes", "anomaly") and "knn" not in AF.kinds()[1]

# Regression model files (shared/modelformat + regressformat, kind "regress"; emlearn's regressor CSV: c,0,
# lb,32, l,<value>) on every runtime: a trained RegressionModel round-trips with the same
# float32 leaves and the same estimates; the metadata's target, unit and range are checked in
# one place (regressformat.check_value_meta) and every refusal names what is wrong; classifier
# files and readers are unchanged.
from shared import dye
from shared import modelformat as MF
from shared import regressformat as RF
from shared.model import ModelError, TreeModel
from shared.regressformat import RegressionModel
from shared.quant import Quantizer
from shared.regress import Regressor
from shared.tests import synth

NF = len(dye.CHANNELS)


def _trained():
    X, y, _ = synth.spectra((0.0, 0.25, 0.5, 1.0), 2, 4)
    model = Regressor(X, y, NF, n_trees=4, max_depth=5, seed=3).fit()
    return X, y, model


def _meta(**kw):
    m = RF.make_value_meta(list(dye.CHANNELS), "concentration", dye.UNIT, (0.0, 1.0),
                           Quantizer([0] * NF, [0] * NF),
                           {"rate": 10, "window": 20, "channels": list(dye.CHANNELS),
                            "sensor": "spectrometer"})
    m.update(kw)
    return m


def _refused(text, *words):
    try:
        MF.loads(text)
    except ModelError as e:
        for w in words:
            assert w in str(e), (w, str(e))
        return str(e)
    raise AssertionError("accepted: " + ", ".join(words))


def test_a_regression_model_round_trips_with_its_values():
    X, y, model = _trained()
    text = MF.dumps(model, _meta())
    lines = text.split("\n")
    assert lines[1:4] == ["f,%d" % NF, "c,0", "lb,32"], lines[:4]
    assert lines[4].startswith("l,")
    back = MF.loads(text)
    assert isinstance(back, RegressionModel)
    assert list(back.leaves) == list(model.leaves)      # float32 values exactly (%.9g)
    assert list(back.roots) == list(model.roots) and back.nodes() == model.nodes()
    for r in range(0, len(y)):
        x = X[r * NF:(r + 1) * NF]
        assert back.predict(x) == model.predict(x), r
    meta = back.meta
    assert meta["kind"] == "regress" and meta["unit"] == "mmol/L"
    assert meta["target"] == "concentration" and meta["range"] == [0.0, 1.0]
    assert "classes" not in meta
    # the device's upload check reads it without building it
    r = MF.Reader(build=False)
    for i in range(0, len(text), 97):
        r.feed(text[i:i + 97])
    info = r.finish()
    assert info["leaves"] == len(model.leaves) and info["meta"]["unit"] == "mmol/L"


def test_metadata_refusals_name_the_field():
    _, _, model = _trained()
    good = MF.dumps(model, _meta())
    first, rest = good.split("\n", 1)
    import json
    meta = json.loads(first[len(MF.META_PREFIX):])
    for change, words in (({"unit": None}, ("unit",)), ({"unit": "x" * 17}, ("unit", "16")),
                          ({"target": ""}, ("target",)), ({"range": [1.0, 0.0]}, ("range",)),
                          ({"range": [0.0, "1"]}, ("range",)), ({"range": [0.0]}, ("range",)),
                          ({"classes": ["a"]}, ("no classes",)),
                          ({"kind": "forecast"}, ("kind", "forecast", "regress"))):
        m = dict(meta)
        for k in change:
            m[k] = change[k]
        _refused(MF.META_PREFIX + json.dumps(m) + "\n" + rest, *words)


def test_records_are_checked_against_the_kind():
    _, _, model = _trained()
    good = MF.dumps(model, _meta())
    _refused(good.replace("\nlb,32\n", "\nlb,0\n"), "line 4", "leaf_bits 32")
    _refused(good.replace("\nc,0\n", "\nc,2\n"), "line 3", "c,0")
    first_leaf = good.split("\nl,")[1].split("\n")[0]
    for bad, words in (("7.5", ("outside", "0..1")), ("nan", ("outside",)),
                       ("big", ("not a number",)), ("-0.5", ("outside",))):
        e = _refused(good.replace("\nl,%s\n" % first_leaf, "\nl,%s\n" % bad, 1), *words)
        assert "line 5" in e, e
    # a classifier file says lb,0 and integer leaves; lb,32 there is refused
    cls = TreeModel(2, 2, [(0, 5, -1, -2)], [0], [0, 1])
    ctext = MF.dumps(cls, MF.make_meta(["a", "b"], ["x", "y"], Quantizer([0, 0], [0, 0])))
    assert isinstance(MF.loads(ctext), TreeModel) and not isinstance(MF.loads(ctext),
                                                                      RegressionModel)
    _refused(ctext.replace("\nlb,0\n", "\nlb,32\n"), "leaf_bits 0")


def test_the_writer_refuses_a_model_and_metadata_of_different_kinds():
    _, _, model = _trained()
    for m, meta, word in ((model, MF.make_meta(list(dye.CHANNELS), ["a"], Quantizer([0] * NF,
                                                                                   [0] * NF)),
                           "regress"),
                          (TreeModel(2, 2, [(0, 5, -1, -2)], [0], [0, 1]),
                           RF.make_value_meta(["a", "b"], "t", "", (0, 1),
                                              Quantizer([0, 0], [0, 0])), "classes")):
        try:
            MF.dumps(m, meta)
        except ModelError as e:
            assert word in str(e), str(e)
        else:
            raise AssertionError("written: %s" % word)
    try:
        MF.dumps(model, _meta(range=[0.0, 0.1]))       # leaves above 0.1
    except ModelError as e:
        assert "outside" in str(e), str(e)
    else:
        raise AssertionError("a leaf outside the range was written")

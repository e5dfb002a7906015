# Trainer, splits, metrics and pipeline on every runtime: the same seed gives byte-identical
# model files (golden/trainer_*.csv, made on CPython), separable data is learnt, limits hold,
# our predictor agrees with the emlearn_trees C module, metrics match a hand-made example.
# Regenerate the golden files (only after a deliberate change of the trainer):
#   .venv/bin/python -c "from shared.tests import test_trainer as t; t.write_golden()"
from array import array

from shared import evaluate as E
from shared import modelformat as MF
from shared import pipeline as P
from shared.compat import Rng
from shared.quant import Quantizer
from shared.tests import synth
from shared.trainer import Trainer

GOLDEN = {  # method -> sha256 of golden/trainer_<method>.csv
    "extra": "69d29ff7f3f254bd049bea8e152833d6cb4acfaf00df425c9ee6bd7618d9d017",
    "rf": "d6176f34d3cebcd14a05904c213a70e876c4ed4f072a63a8a7c02278851e451f",
}
_PARAMS = {"n_trees": 4, "max_depth": 6, "min_samples_leaf": 2, "seed": 42}


def _dir():
    path = __file__ if "/" in __file__ else "./" + __file__
    return path.rsplit("/", 1)[0] + "/golden/"


def golden_text(method):
    X, y = synth.table(150, 6, 3, seed=5)
    t = Trainer(X, y, 6, 3, method=method, **_PARAMS)
    model = t.fit()
    meta = MF.make_meta(["f%d" % j for j in range(6)], ["a", "b", "c"],
                        Quantizer([0] * 6, [0] * 6),
                        {"rate": 50, "window": 64, "channels": 3, "scale": 1 / 4096},
                        trainer=t.params())
    return P.model_text(model, meta)


def write_golden():
    for m in GOLDEN:
        text = golden_text(m)
        with open(_dir() + "trainer_%s.csv" % m, "w") as f:
            f.write(text)
        print(m, P.model_hash(text))


def _read(name):
    with open(_dir() + name) as f:
        return f.read()


def test_same_seed_same_model_file_on_every_runtime():
    for m in GOLDEN:
        want = _read("trainer_%s.csv" % m)
        assert P.model_hash(want) == GOLDEN[m], (m, P.model_hash(want))
        got = golden_text(m)
        assert got == want, (m, [l for l in got.split("\n") if l not in want.split("\n")][:5])
        assert MF.loads(got).n_nodes > 5


def test_other_seed_other_model():
    X, y = synth.table(150, 6, 3, seed=5)
    a = Trainer(X, y, 6, 3, seed=1).fit().nodes()
    b = Trainer(X, y, 6, 3, seed=2).fit().nodes()
    assert a != b and a == Trainer(X, y, 6, 3, seed=1).fit().nodes()


def _accuracy(model, X, y, rows):
    return E.evaluate(model, X, y, rows)["accuracy"]


def test_separable_data_learnt_both_methods():
    X, y = synth.blobs(240, 6, 3, seed=9)
    train, test = E.stratified_split(y, 0.25, seed=3)
    for m in ("extra", "rf"):
        model = Trainer(X, y, 6, 3, n_trees=10, max_depth=None, rows=train, method=m).fit()
        acc = _accuracy(model, X, y, test)
        assert acc >= 0.95, (m, acc)


def _walk(model, X, rows, nf):
    """Per tree: the depth of every leaf reached, and how many rows reach each (node, side)."""
    out = []
    for root in model.roots:
        reach = {}
        depth = 0
        for r in rows:
            i, d, side = root, 0, 0
            node = root
            while i >= 0:
                node = i
                side = 0 if X[r * nf + model.feature[i]] < model.threshold[i] else 1
                i = model.left[i] if side == 0 else model.right[i]
                d += 1
            reach[(node, side)] = reach.get((node, side), 0) + 1
            depth = max(depth, d)
        out.append((depth, reach))
    return out


def test_max_depth_and_min_samples_leaf_respected():
    X, y = synth.table(200, 6, 3, seed=11, noise_pct=25)
    rows = list(range(len(y)))
    for m in ("extra", "rf"):
        for depth, leaf in ((3, 1), (None, 7), (5, 12)):
            model = Trainer(X, y, 6, 3, n_trees=5, max_depth=depth, min_samples_leaf=leaf,
                            method=m, bootstrap=False, seed=4).fit()
            for d, reach in _walk(model, X, rows, 6):
                assert depth is None or d <= depth, (m, depth, d)
                assert min(reach.values()) >= leaf, (m, leaf, sorted(reach.values())[:3])
                if depth is None:
                    assert d >= 4      # unlimited depth does grow


def test_leaf_only_tree_and_pure_data():
    X, y = synth.table(30, 6, 3, seed=2)
    for i in range(len(y)):
        y[i] = 1
    model = Trainer(X, y, 6, 3, n_trees=2).fit()
    assert model.n_nodes == 2 and model.predict(X[0:6]) == 1
    assert MF.loads(P.model_text(model, _meta(6))).nodes() == model.nodes()


def _meta(nf):
    return MF.make_meta(["f%d" % j for j in range(nf)], ["a", "b", "c"],
                        Quantizer([0] * nf, [0] * nf),
                        {"rate": 50, "window": 64, "channels": 3, "scale": 0.25})


def test_steps_yield_between_trees_and_nodes():
    X, y = synth.table(200, 6, 3, seed=11, noise_pct=25)
    # the Python trainer also yields inside a tree; the C one (test_trainer_c) after each tree
    t = Trainer(X, y, 6, 3, n_trees=3, max_depth=None, yield_every=10, impl="python")
    seen = list(t.steps())
    assert len(seen) > 6 and seen[-1]["done"] == 1.0 and seen[-1]["tree"] == 3
    assert [p["tree"] for p in seen] == sorted(p["tree"] for p in seen)
    assert t.model().nodes() == Trainer(X, y, 6, 3, n_trees=3, max_depth=None).fit().nodes()


def test_predictor_matches_emlearn_trees_c_module():
    # trained models, written by our writer, loaded by the C module's load_model: same votes
    try:
        import emlearn_trees
    except ImportError:
        return
    X, y = synth.table(200, 6, 3, seed=11, noise_pct=25)
    rng = Rng(3)
    for m in ("extra", "rf"):
        model = Trainer(X, y, 6, 3, n_trees=6, max_depth=None, method=m).fit()
        c = emlearn_trees.new(len(model.roots), model.n_nodes, len(model.leaves))
        # load_model iterates over lines like a text file
        emlearn_trees.load_model(c, P.model_text(model, _meta(6)).split("\n"))
        proba = array("f", [0.0] * 3)
        for k in range(400):
            if k < len(y):
                x = array("h", X[k * 6:k * 6 + 6])
            else:
                x = array("h", [rng.randint(-1200, 1200) for _ in range(6)])
                i = rng.randbelow(model.n_nodes)
                x[model.feature[i]] = model.threshold[i]   # exactly on a threshold
            c.predict(x, proba)
            want = model.predict_proba(x)
            for j in range(3):
                assert abs(proba[j] - want[j]) < 1e-6, (m, list(x), list(proba), want)


def test_metrics_hand_example():
    truth = bytearray([0, 0, 0, 1, 1, 2, 2, 2])
    pred = bytearray([0, 0, 1, 1, 0, 2, 2, 1])
    cm = E.confusion(truth, pred, 4)
    assert cm == [[2, 1, 0, 0], [1, 1, 0, 0], [0, 1, 2, 0], [0, 0, 0, 0]]
    m = E.metrics(cm, ["a", "b", "c", "d"])
    assert m["accuracy"] == 5 / 8 and m["n"] == 8 and m["support"] == [3, 2, 3, 0]
    assert m["precision"] == [2 / 3, 1 / 3, 1.0, None]
    assert m["recall"] == [2 / 3, 1 / 2, 2 / 3, None]
    assert abs(m["f1"][2] - 0.8) < 1e-12 and m["f1"][3] is None
    assert E.add_confusion(cm, cm)[0] == [4, 2, 0, 0]


def test_stratified_split_and_kfold():
    y = bytearray([0] * 40 + [1] * 20 + [2] * 3)
    train, test = E.stratified_split(y, 0.25, seed=5)
    assert sorted(list(train) + list(test)) == list(range(63))
    assert [sum(1 for i in test if y[i] == c) for c in range(3)] == [10, 5, 1]
    assert list(E.stratified_split(y, 0.25, seed=5)[1]) == list(test)
    assert list(E.stratified_split(y, 0.25, seed=6)[1]) != list(test)
    folds = E.stratified_kfold(y, 4, seed=5)
    tests = [i for _, te in folds for i in te]
    assert sorted(tests) == list(range(63))
    for tr, te in folds:
        assert not set(tr) & set(te) and len(tr) + len(te) == 63
        assert [sum(1 for i in te if y[i] == c) for c in range(2)] == [10, 5]


def test_model_size_and_timing():
    X, y = synth.table(100, 6, 3, seed=5)
    model = Trainer(X, y, 6, 3, n_trees=3).fit()
    text = P.model_text(model, _meta(6))
    s = E.model_size(model, text)
    assert s["file_bytes"] == len(text) and s["nodes"] == model.n_nodes and s["trees"] == 3
    assert s["c_bytes"] == 8 * model.n_nodes + 12 + 3
    us = E.time_predict(model, X, list(range(20)), min_us=2000)
    assert us is not None and us >= 0


def test_pipeline_windows_to_model_file():
    windows, labels = synth.dataset(per_class=14, n=64, seed=7)
    win = {"rate": 50, "window": 64, "hop": 32, "channels": 3, "scale": 1 / 4096}
    p = P.Pipeline(windows, [synth.CLASSES[k] for k in labels], synth.CLASSES, win,
                   n_trees=5, seed=3)    # no sessions: a holdout by window
    stages = [s["stage"] for s in p.steps()]
    assert stages[0] == "features" and "train" in stages and stages[-1] == "done"
    r = p.result
    assert r["metrics"]["accuracy"] >= 0.9, r["metrics"]
    assert r["hash"] == P.model_hash(r["text"]) and len(r["hash"]) == 64
    m = MF.loads(r["text"])
    assert m.meta["window"] == win and m.meta["classes"] == list(synth.CLASSES)
    assert m.meta["trainer"]["seed"] == 3 and m.meta["trainer"]["method"] == "extra"
    assert m.nodes() == r["model"].nodes() and r["size"]["file_bytes"] == len(r["text"])
    # the window -> class path with the loaded file gives the classes the trained model gives
    clf = P.Classifier(m, fft="python")
    qz = Quantizer.from_dict(m.meta["quant"])
    fe = P.extractor(win, "python")
    right = 0
    for i in range(len(windows)):
        k = clf.classify(windows[i])
        q = qz.quantize(fe.compute(windows[i], fe.new_output(), win["scale"]))
        assert k == r["model"].predict(q)
        right += k == labels[i]
    assert right >= 0.9 * len(windows)
    # k-fold: pooled metrics over every window, deployed model trained on all of them
    r5 = P.Pipeline(windows, labels, synth.CLASSES, win, folds=3, n_trees=3).run()
    assert r5["metrics"]["n"] == len(windows) and r5["validation"]["folds"] == 3
    assert r5["validation"]["description"] == "3-fold by window"
    assert r5["metrics"]["accuracy"] >= 0.9


def test_canonical_json_sorted_and_compact():
    assert P.canonical_json({"b": [1, {"d": None, "c": True}], "a": "x"}) == \
        '{"a":"x","b":[1,{"c":true,"d":null}]}'
    assert P.model_hash("abc") == \
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_session_windows_cut_like_the_device():
    # interleaved recordings -> channel-major windows of `window` samples every `hop`
    rec = array("h", [v for k in range(10) for v in (k, 100 + k, -k)])   # 10 samples x 3
    sw = P.SessionWindows([(rec, "walk"), (rec[:12], "idle")], 3, 4, 3)
    assert len(sw) == 3 + 1 and sw.labels == ["walk"] * 3 + ["idle"]
    assert list(sw[1]) == [3, 4, 5, 6, 103, 104, 105, 106, -3, -4, -5, -6]
    assert list(sw[3]) == [0, 1, 2, 3, 100, 101, 102, 103, 0, -1, -2, -3]

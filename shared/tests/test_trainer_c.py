# The C trainer (our emlearn_extratrees module, issue 22) against the pure-Python trainer on every
# runtime that has it (our unix, firmware and WASM builds): the same data, parameters, seed and
# rows give the same nodes, roots and model file text, byte for byte, for extra-trees and random
# forests, with and without bootstrap, depth and leaf limits, max_features, row subsets (k-fold)
# and the page's pipeline (5-fold by session). Where the module is absent (PyPI unix, npm WASM,
# CPython) Trainer must choose Python (mprun prints "emlearn_extratrees: not importable").
from shared import modelformat as MF
from shared import pipeline as P
from shared.quant import Quantizer
from shared.tests import synth
from shared.trainer import Trainer


def _has_c():
    try:
        import emlearn_extratrees
    except ImportError:
        return False
    return hasattr(emlearn_extratrees.new(2, 2), "export")


def _meta(nf, nc, t):
    return MF.make_meta(["f%d" % j for j in range(nf)], ["c%d" % k for k in range(nc)],
                        Quantizer([0] * nf, [0] * nf),
                        {"rate": 50, "window": 64, "channels": 3, "scale": 1 / 4096},
                        trainer=t.params())


def _text(impl, X, y, nf, nc, **kw):
    t = Trainer(X, y, nf, nc, impl=impl, **kw)
    assert t.impl == impl, (impl, t.impl)
    steps = list(t.steps())
    assert steps[-1]["tree"] == t.n_trees and steps[-1]["done"] == 1.0
    m = t.model()
    return P.model_text(m, _meta(nf, nc, t)), m


CASES = (   # (n, n_features, n_classes, data seed, noise %, trainer parameters)
    (200, 6, 3, 5, 10, {"n_trees": 4, "max_depth": 6, "min_samples_leaf": 2}),
    (300, 8, 3, 7, 25, {"n_trees": 5, "max_depth": None}),
    (300, 8, 4, 8, 25, {"n_trees": 3, "max_depth": 3, "max_features": 8}),
    (250, 20, 5, 9, 30, {"n_trees": 4, "max_depth": 12, "min_samples_leaf": 5,
                         "max_features": 7}),
    (120, 3, 2, 1, 40, {"n_trees": 6, "max_depth": 0}),        # leaf-only trees
)


def test_c_model_text_equals_python():
    if not _has_c():
        X, y = synth.table(50, 6, 3, seed=5)
        assert Trainer(X, y, 6, 3).impl == "python"
        return
    compared = 0
    for n, nf, nc, dseed, noise, params in CASES:
        X, y = synth.table(n, nf, nc, seed=dseed, noise_pct=noise)
        for method in ("extra", "rf"):
            for seed, boot, rows in ((1, None, None), (2, True, None), (0, False, None),
                                     (-7, None, list(range(0, n, 3))),
                                     (123456789, None, [i for i in range(n) if i % 5 != 2])):
                kw = dict(params, method=method, seed=seed, bootstrap=boot, rows=rows)
                want, mp = _text("python", X, y, nf, nc, **kw)
                got, mc = _text("c", X, y, nf, nc, **kw)
                assert got == want, (n, nf, method, seed, boot, params,
                                     [l for l in got.split("\n") if l not in want][:3])
                assert mc.nodes() == mp.nodes() and list(mc.roots) == list(mp.roots)
                compared += 1
    assert compared == len(CASES) * 10


def test_c_blobs_unlimited_depth_and_default_impl():
    if not _has_c():
        return
    X, y = synth.blobs(240, 6, 3, seed=9)
    for method in ("extra", "rf"):
        a = Trainer(X, y, 6, 3, n_trees=10, max_depth=None, method=method)
        assert a.impl == "c"        # "auto" takes the C module where it imports
        b = Trainer(X, y, 6, 3, n_trees=10, max_depth=None, method=method, impl="python")
        assert a.fit().nodes() == b.fit().nodes()


def test_c_golden_files():
    if not _has_c():
        return
    from shared.tests import test_trainer as T
    for m in T.GOLDEN:
        X, y = synth.table(150, 6, 3, seed=5)
        t = Trainer(X, y, 6, 3, method=m, impl="c", **T._PARAMS)
        model = t.fit()
        meta = MF.make_meta(["f%d" % j for j in range(6)], ["a", "b", "c"],
                            Quantizer([0] * 6, [0] * 6),
                            {"rate": 50, "window": 64, "channels": 3, "scale": 1 / 4096},
                            trainer=t.params())
        assert P.model_hash(P.model_text(model, meta)) == T.GOLDEN[m], m


def test_c_pipeline_kfold_by_session_same_file():
    if not _has_c():
        return
    windows, labels = synth.dataset(per_class=12, n=64, seed=7)
    win = {"rate": 50, "window": 64, "hop": 32, "channels": 3, "scale": 1 / 4096}
    groups = ["s%d" % (i % 4) for i in range(len(labels))]
    out = {}
    for impl in ("python", "c"):
        out[impl] = P.Pipeline(windows, labels, synth.CLASSES, win, groups=groups, n_trees=4,
                               seed=3, fft="python", impl=impl).run()
    assert out["c"]["text"] == out["python"]["text"]
    assert out["c"]["heldout"]["pred"] == out["python"]["heldout"]["pred"]
    assert out["c"]["validation"]["folds"] == 4


def test_c_refuses_like_python():
    if not _has_c():
        return
    X, y = synth.table(60, 6, 3, seed=5)
    y[7] = 3
    for impl in ("python", "c"):
        try:
            Trainer(X, y, 6, 3, impl=impl)
            assert False, impl
        except ValueError as e:
            assert "out of range" in str(e), (impl, e)
    y[7] = 0
    t = Trainer(X, y, 6, 3, impl="c")
    try:
        t.model()
        assert False
    except ValueError as e:
        assert "not finished" in str(e)
    # a list is no array('h'): "auto" takes Python, "c" says why
    assert Trainer(list(X), y, 6, 3).impl == "python"
    try:
        Trainer(list(X), y, 6, 3, impl="c")
        assert False
    except ValueError as e:
        assert "array('h')" in str(e)


def test_c_yields_after_every_tree():
    if not _has_c():
        return
    X, y = synth.table(200, 6, 3, seed=11, noise_pct=25)
    t = Trainer(X, y, 6, 3, n_trees=3, max_depth=None, impl="c")
    seen = list(t.steps())
    assert [p["tree"] for p in seen] == [1, 2, 3] and seen[-1]["done"] == 1.0
    assert seen[0]["nodes"] < seen[1]["nodes"] < seen[2]["nodes"] == t.model().n_nodes


def test_quantise_rows_equals_quantizer():
    # pipeline.quantise_rows (C in our emlearn_arrayutils where it imports, else an inlined
    # loop) gives exactly Quantizer.quantize_into's int16 values, edge cases included
    from array import array
    from shared.compat import Rng
    inf = float("inf")
    rng = Rng(4)
    rows = [array("f", [rng.uniform(-50, 50) * (j + 1) for j in range(5)]) for _ in range(40)]
    rows.append(array("f", [float("nan"), inf, -inf, 0.5, -0.5]))
    rows.append(array("f", [1.5, -1.5, 2.5, -2.5, -0.0]))
    rows.append(array("f", [1e30, -1e30, 3e38, -3e38, 0.25]))
    qz = Quantizer.fit(rows[:40])
    assert qz.shifts != [0] * 5
    for q in (qz, Quantizer([0, 0, 0, -1, 2], [0, 3, -2, 1, 0])):
        X = P.quantise_rows(rows, q)
        want = array("h", [0] * 5)
        for i in range(len(rows)):
            q.quantize_into(rows[i], want)
            assert list(X[5 * i:5 * i + 5]) == list(want), (i, list(rows[i]))
        part = P.zeros_h(5 * len(rows))
        P.quantise_rows(rows, q, part, 3, 7)
        assert list(part[15:35]) == list(X[15:35]) and not any(part[:15]) and not any(part[35:])


def _values(n, nf, seed):
    """A table with continuous targets: many distinct leaf means."""
    from shared.compat import Rng
    X, _ = synth.table(n, nf, 2, seed=seed)
    rng = Rng(seed + 1)
    y = [X[i * nf] * 0.037 - X[i * nf + 1] * X[i * nf + 2] / 90000.0 + rng.uniform(-3, 3) + 12.5
         for i in range(n)]
    return X, y


def _value_meta(nf, y):
    from shared import regressformat as RF
    return RF.make_value_meta(["f%d" % j for j in range(nf)], "v", "mg",
                              [min(y) - 1, max(y) + 1], Quantizer([0] * nf, [0] * nf),
                              {"rate": 50, "window": 64, "channels": 3, "scale": 1 / 4096})


def test_c_regression_model_text_equals_python():
    # shared.regress.Regressor's criterion in C (emlearn_extratrees regression=True): same
    # nodes, roots, leaf values (in the interpreter's floats) and model file
    from shared.regress import Regressor
    if not _has_c():
        X, y = _values(40, 4, 1)
        assert Regressor(X, y, 4).impl == "python"
        return
    compared = 0
    for n, nf, seed in ((200, 6, 1), (300, 10, 2)):
        X, y = _values(n, nf, seed)
        for method in ("extra", "rf"):
            for kw in ({"n_trees": 5}, {"n_trees": 4, "bootstrap": True, "seed": 9},
                       {"n_trees": 3, "max_depth": None, "min_samples_leaf": 4, "seed": 0},
                       {"n_trees": 4, "rows": list(range(0, n, 3)), "max_features": 3},
                       {"n_trees": 1, "bootstrap": False, "max_depth": None}):
                a = Regressor(X, y, nf, method=method, impl="python", **kw)
                b = Regressor(X, y, nf, method=method, impl="c", **kw)
                assert b.impl == "c"
                ma, mb = a.fit(), b.fit()
                assert a._leaves == b._leaves, (method, kw)
                assert len(ma.leaves) > 20 or kw.get("max_depth", 12) is None
                assert ma.nodes() == mb.nodes() and list(ma.roots) == list(mb.roots)
                assert list(ma.leaves) == list(mb.leaves)
                text = MF.dumps(ma, _value_meta(nf, y))
                assert MF.dumps(mb, _value_meta(nf, y)) == text and "lb,32" in text
                compared += 1
    assert compared == 20

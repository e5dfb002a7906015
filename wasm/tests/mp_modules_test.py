# motebook: tests of our emlearn C modules (wasm/modules) that run inside any MicroPython with
# them: the unix build, the WASM build under Node, and in the page. Each module is checked
# against a small pure-Python reference, then every bad-input case must raise (not crash).
#   micropython wasm/tests/mp_modules_test.py     -> log lines, then one line "RESULT {json}"
#   import mp_modules_test; result = mp_modules_test.run(report)   # in the page
# Optional reference data from CPython (scipy/emlearn) can be set in REFERENCE before run().
# Memory: a few arrays of at most 256 floats per test.
import sys
import math
import array

try:
    import json
except ImportError:
    import ujson as json

REFERENCE = {}  # filled by wasm/tests/test_modules.py: {"iir": {...}, "trees": {...}}


class _Rng:
    # xorshift32: same numbers on every runtime
    def __init__(self, seed=12345):
        self.s = seed

    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s

    def uniform(self, lo, hi):
        return lo + (hi - lo) * (self.next() / 4294967296.0)

    def randint(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)


def _raises(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    except Exception as e:
        raise AssertionError("expected %s, got %s: %s" % (exc.__name__, type(e).__name__, e))
    raise AssertionError("expected %s, nothing raised" % exc.__name__)


def _close(a, b, tol, what=""):
    assert len(a) == len(b), (what, len(a), len(b))
    for i in range(len(a)):
        if not abs(a[i] - b[i]) <= tol:
            raise AssertionError("%s[%d]: %r != %r (tol %r)" % (what, i, a[i], b[i], tol))


# ---- emlearn_fft ----------------------------------------------------------------------

def _dft(x):
    n = len(x)
    re = []
    im = []
    for k in range(n):
        sr = 0.0
        si = 0.0
        for t in range(n):
            a = 2.0 * math.pi * k * t / n
            sr += x[t] * math.cos(a)
            si -= x[t] * math.sin(a)
        re.append(sr)
        im.append(si)
    return re, im


def test_fft_matches_dft():
    import emlearn_fft
    rng = _Rng(1)
    for n in (2, 4, 16, 64, 256):
        x = [rng.uniform(-1.0, 1.0) for _ in range(n)]
        re = array.array("f", x)
        im = array.array("f", [0.0] * n)
        fft = emlearn_fft.FFT(n)
        emlearn_fft.fill(fft, n)  # emlearn-micropython's usage; tables are made at FFT(n) too
        fft.run(re, im)
        rr, ri = _dft(x)
        tol = 2e-6 * n * math.log(n, 2) + 1e-5
        _close(re, rr, tol, "re n=%d" % n)
        _close(im, ri, tol, "im n=%d" % n)


def test_fft_reuse_and_fill_method():
    import emlearn_fft
    n = 8
    fft = emlearn_fft.FFT(n)
    sin = array.array("f", [math.sin(2 * math.pi * i / n) for i in range(n // 2)])
    cos = array.array("f", [math.cos(2 * math.pi * i / n) for i in range(n // 2)])
    fft.fill(sin, cos)
    for _ in range(3):  # the object is reusable; run() allocates nothing
        re = array.array("f", [1.0] * n)
        im = array.array("f", [0.0] * n)
        fft.run(re, im)
        _close(re, [n] + [0.0] * (n - 1), 1e-5, "re")
        _close(im, [0.0] * n, 1e-5, "im")


def test_fft_bad_input():
    import emlearn_fft
    for n in (0, 1, 3, 6, 100, -8, 1 << 20):
        _raises(ValueError, emlearn_fft.FFT, n)
    _raises(TypeError, emlearn_fft.FFT, "8")
    fft = emlearn_fft.FFT(8)
    ok = array.array("f", [0.0] * 8)
    _raises(ValueError, fft.run, array.array("d", [0.0] * 8), ok)
    _raises(ValueError, fft.run, ok, array.array("h", [0] * 8))
    _raises(TypeError, fft.run, [0.0] * 8, ok)
    _raises(ValueError, fft.run, array.array("f", [0.0] * 4), ok)
    _raises(ValueError, fft.run, ok, array.array("f", [0.0] * 16))
    _raises(ValueError, fft.run, ok, ok)
    nan = array.array("f", [0.0] * 8)
    nan[3] = float("nan")
    _raises(ValueError, fft.run, nan, array.array("f", [0.0] * 8))
    inf = array.array("f", [0.0] * 8)
    inf[0] = float("inf")
    _raises(ValueError, fft.run, array.array("f", [0.0] * 8), inf)
    _raises(ValueError, emlearn_fft.fill, fft, 16)
    _raises(ValueError, fft.fill, array.array("f", [0.0] * 3), array.array("f", [0.0] * 4))
    _raises(TypeError, emlearn_fft.fill, "fft", 8)


# ---- emlearn_iir ----------------------------------------------------------------------

def _sosfilt(sos, x):
    # direct form II transposed per stage, in doubles, as scipy.signal.sosfilt
    n_st = len(sos) // 6
    z = [[0.0, 0.0] for _ in range(n_st)]
    y = []
    for v in x:
        for s in range(n_st):
            b0, b1, b2, a0, a1, a2 = sos[6 * s:6 * s + 6]
            o = b0 * v + z[s][0]
            z[s][0] = b1 * v - a1 * o + z[s][1]
            z[s][1] = b2 * v - a2 * o
            v = o
        y.append(v)
    return y


# 2nd-order Butterworth low-pass at 0.1 * Nyquist, two stages (scipy.signal.butter(4, 0.1, output='sos'))
_SOS = [0.0004165992, 0.0008331984, 0.0004165992, 1.0, -1.4797949, 0.5558092,
        1.0, 2.0, 1.0, 1.0, -1.7008692, 0.7884534]


def test_iir_matches_reference():
    import emlearn_iir
    rng = _Rng(2)
    x = [rng.uniform(-1.0, 1.0) for _ in range(200)]
    sos = array.array("f", _SOS)
    f = emlearn_iir.new(sos)
    v = array.array("f", x)
    f.run(v)
    _close(v, _sosfilt(list(sos), x), 1e-4, "iir")


def test_iir_state_carries_over():
    import emlearn_iir
    rng = _Rng(3)
    x = [rng.uniform(-1.0, 1.0) for _ in range(64)]
    whole = array.array("f", x)
    emlearn_iir.new(array.array("f", _SOS)).run(whole)
    f = emlearn_iir.new(array.array("f", _SOS))
    a = array.array("f", x[:20])
    b = array.array("f", x[20:])
    f.run(a)
    f.run(b)
    _close(list(a) + list(b), whole, 1e-6, "split")


def test_iir_scipy_reference():
    # values computed by scipy.signal.sosfilt on CPython (set by the pytest driver)
    ref = REFERENCE.get("iir")
    if not ref:
        return "skip: no CPython reference data"
    import emlearn_iir
    f = emlearn_iir.new(array.array("f", ref["sos"]))
    v = array.array("f", ref["x"])
    f.run(v)
    _close(v, ref["y"], ref.get("tol", 1e-4), "sosfilt")


def test_iir_bad_input():
    import emlearn_iir
    _raises(ValueError, emlearn_iir.new, array.array("f", []))
    _raises(ValueError, emlearn_iir.new, array.array("f", _SOS[:5]))
    _raises(ValueError, emlearn_iir.new, array.array("d", _SOS))
    _raises(TypeError, emlearn_iir.new, _SOS)
    bad = array.array("f", _SOS)
    bad[1] = float("nan")
    _raises(ValueError, emlearn_iir.new, bad)
    a0 = array.array("f", _SOS)
    a0[3] = 2.0
    _raises(ValueError, emlearn_iir.new, a0)
    f = emlearn_iir.new(array.array("f", _SOS))
    _raises(ValueError, f.run, array.array("d", [0.0] * 4))
    _raises(TypeError, f.run, [0.0] * 4)
    v = array.array("f", [1.0, float("nan"), 1.0])
    _raises(ValueError, f.run, v)
    # the rejected call left the state untouched: output equals a fresh filter's
    x = [1.0, 0.5, -0.25, 0.0]
    a = array.array("f", x)
    f.run(a)
    b = array.array("f", x)
    emlearn_iir.new(array.array("f", _SOS)).run(b)
    _close(a, b, 0.0, "state")


# ---- emlearn_trees --------------------------------------------------------------------

def _py_trees_predict(model, x):
    # pure-Python predictor of the CSV model dict: relative child jumps, negative = leaf
    nodes, roots, leaves = model["nodes"], model["roots"], model["leaves"]
    n_classes, leaf_bits = model["n_classes"], model.get("leaf_bits", 0)
    out = [0.0] * n_classes
    for r in roots:
        i = r
        while i >= 0:
            feature, threshold, left, right = nodes[i]
            child = left if x[feature] < threshold else right
            i = i + child if child >= 0 else child
        leaf = -i - 1
        if leaf_bits == 0:
            out[leaves[leaf]] += 1.0
        else:
            for c in range(n_classes):
                out[c] += leaves[leaf * n_classes + c] / 255.0
    return [v / len(roots) for v in out]


def _model_csv(m):
    lines = ["f,%d" % m["n_features"], "c,%d" % m["n_classes"], "lb,%d" % m.get("leaf_bits", 0)]
    lines += ["l,%d" % v for v in m["leaves"]]
    lines += ["r,%d" % r for r in m["roots"]]
    lines += ["n,%d,%s,%d,%d" % (f, float(t), le, ri) for f, t, le, ri in m["nodes"]]
    return "\r\n".join(lines)


def _random_forest(rng, n_features, n_classes, n_trees, depth, leaf_bits=0):
    nodes = []
    leaves = []
    roots = []

    def leaf():
        if leaf_bits == 0:
            leaves.append(rng.randint(0, n_classes - 1))
            return -len(leaves)
        props = [rng.randint(0, 255) for _ in range(n_classes)]
        leaves.extend(props)
        return -(len(leaves) // n_classes)

    def grow(d):
        # preorder: parent first, children after it (relative jumps > 0)
        idx = len(nodes)
        nodes.append(None)
        left = leaf() if d == 0 else grow(d - 1) - idx
        right = leaf() if d == 0 else grow(d - 1) - idx
        nodes[idx] = (rng.randint(0, n_features - 1), rng.randint(-20000, 20000), left, right)
        return idx

    for _ in range(n_trees):
        roots.append(grow(depth))
    return {"n_features": n_features, "n_classes": n_classes, "leaf_bits": leaf_bits,
            "nodes": nodes, "roots": roots, "leaves": leaves}


def _load(m, text=None):
    import io
    import emlearn_trees
    model = emlearn_trees.new(max(1, len(m["roots"])), max(1, len(m["nodes"])), max(1, len(m["leaves"])))
    emlearn_trees.load_model(model, io.StringIO(text if text is not None else _model_csv(m)))
    return model


def test_trees_match_python_predictor():
    rng = _Rng(4)
    for leaf_bits in (0, 8):
        m = _random_forest(rng, n_features=5, n_classes=3, n_trees=4, depth=3, leaf_bits=leaf_bits)
        model = _load(m)
        assert model.outputs() == 3
        out = array.array("f", [0.0] * 3)
        for _ in range(100):
            x = [rng.randint(-32768, 32767) for _ in range(5)]
            model.predict(array.array("h", x), out)
            _close(out, _py_trees_predict(m, x), 1e-5, "proba lb=%d" % leaf_bits)


def test_trees_emlearn_reference():
    # a scikit-learn forest converted by emlearn's own CSV writer; expected probabilities from
    # emlearn's C code on CPython (set by the pytest driver)
    ref = REFERENCE.get("trees")
    if not ref:
        return "skip: no CPython reference data"
    import io
    import emlearn_trees
    model = emlearn_trees.new(ref["max_trees"], ref["max_nodes"], ref["max_leaves"])
    emlearn_trees.load_model(model, io.StringIO(ref["csv"]))
    out = array.array("f", [0.0] * model.outputs())
    for x, want in zip(ref["X"], ref["proba"]):
        model.predict(array.array("h", x), out)
        _close(out, want, 1e-5, "emlearn proba")


def test_trees_xor_like_upstream_example():
    import io
    import emlearn_trees
    csv = "f,2\r\nc,2\r\nlb,0\r\nl,0\r\nl,1\r\nr,0\r\nn,0,16383.5,1,2\r\nn,1,16383.5,-1,-2\r\nn,1,16383.5,-2,-1"
    model = emlearn_trees.new(5, 30, 2)
    emlearn_trees.load_model(model, io.StringIO(csv))
    out = array.array("f", range(model.outputs()))
    got = []
    for a, b in ((0, 0), (32767, 32767), (0, 32767), (32767, 0)):
        model.predict(array.array("h", [a, b]), out)
        got.append(0 if out[0] > out[1] else 1)
    assert got == [0, 0, 1, 1], got


def test_trees_builder_api():
    import emlearn_trees
    model = emlearn_trees.new(2, 3, 2)
    model.setdata(2, 2)
    model.addroot(0)
    model.addnode(1, -2, 0, 100)  # x0 < 100 -> node 1 else leaf 1
    model.addnode(-1, -2, 1, 0)   # x1 < 0 -> leaf 0 else leaf 1
    model.addleaf(0)
    model.addleaf(1)
    out = array.array("f", [0.0, 0.0])
    for x, want in (([0, -5], [1.0, 0.0]), ([0, 5], [0.0, 1.0]), ([200, -5], [0.0, 1.0])):
        model.predict(array.array("h", x), out)
        assert list(out) == want, (x, list(out))


def _tiny(**over):
    m = {"n_features": 2, "n_classes": 2, "leaf_bits": 0, "roots": [0],
         "nodes": [(0, 10, 1, -1), (1, 5, -1, -2)], "leaves": [0, 1]}
    m.update(over)
    return m


def test_trees_bad_input():
    import io
    import emlearn_trees
    for args in ((0, 10, 10), (1, 0, 10), (1, 10, 0), (-1, 10, 10), (1, 1 << 20, 10)):
        _raises(ValueError, emlearn_trees.new, *args)
    model = emlearn_trees.new(1, 2, 2)
    out = array.array("f", [0.0, 0.0])
    _raises(ValueError, model.outputs)  # not loaded
    _raises(ValueError, model.predict, array.array("h", [0, 0]), out)
    model.setdata(2, 2)
    _raises(ValueError, model.setdata, 0, 2)
    _raises(ValueError, model.setdata, 2, 0)
    _raises(ValueError, model.setdata, 200, 2)
    _raises(ValueError, model.setdata, 2, 2, 32)  # regression leaves: unsupported
    model.addroot(0)
    _raises(ValueError, model.addroot, 0)  # too many trees
    model.addnode(1, -1, 0, 10)
    model.addnode(-1, -2, 1, 5)
    _raises(ValueError, model.addnode, -1, -2, 0, 5)  # too many nodes
    model.addleaf(0)
    model.addleaf(1)
    _raises(ValueError, model.addleaf, 0)  # too many leaves
    _raises(ValueError, emlearn_trees.new(1, 1, 1).addleaf, 256)
    _raises(ValueError, emlearn_trees.new(1, 1, 1).addnode, 1, 2, 0, 40000)  # threshold
    _raises(ValueError, emlearn_trees.new(1, 1, 1).addnode, 1, 2, -1, 0)  # feature
    model.predict(array.array("h", [0, 0]), out)  # the model itself is fine
    _raises(ValueError, model.predict, array.array("h", [0, 0, 0]), out)
    _raises(ValueError, model.predict, array.array("h", [0]), out)
    _raises(ValueError, model.predict, array.array("f", [0.0, 0.0]), out)
    _raises(TypeError, model.predict, [0, 0], out)
    _raises(ValueError, model.predict, array.array("h", [0, 0]), array.array("f", [0.0]))
    _raises(ValueError, model.predict, array.array("h", [0, 0]), array.array("d", [0.0, 0.0]))
    _raises(TypeError, emlearn_trees.new(1, 1, 1).addnode, 1, 2, 0)
    # models that would read out of bounds are refused at the first predict
    x = array.array("h", [0, 0])
    for bad in (_tiny(nodes=[(0, 10, 5, -1), (1, 5, -1, -2)]),   # jump past the last node
                _tiny(nodes=[(0, 10, 0, -1), (1, 5, -1, -2)]),   # jump to itself (a cycle)
                _tiny(nodes=[(0, 10, 1, -1), (1, 5, -1, -3)]),   # leaf 2 of 2
                _tiny(nodes=[(0, 10, 1, -1), (2, 5, -1, -2)]),   # feature 2 of 2
                _tiny(leaves=[0, 2]),                            # class 2 of 2
                _tiny(roots=[2]),                                # root past the nodes
                _tiny(leaf_bits=8, leaves=[1, 2, 3])):           # 2 classes x 2 leaves needed
        m = _load(bad)
        _raises(ValueError, m.predict, x, out)
    # CSV errors
    for text in ("f,2\nc,2\nr,0\nn,0,nan,1,-1", "f,2\nc,2\nr,0\nn,0,inf,1,-1", "f,2\nc,2\nn,0,1",
                 "f,2\nc,2\nr,x", "r,0\nf,2\nc,2", "f,2\nl,0", "f,2\nc,2\nlb,32", "l,0"):
        _raises(ValueError, emlearn_trees.load_model, emlearn_trees.new(2, 4, 4), io.StringIO(text))
    _raises(ValueError, emlearn_trees.load_model, emlearn_trees.new(1, 1, 1),
            io.StringIO(_model_csv(_tiny())))  # does not fit


def test_extratrees_trainer_and_bad_input():
    # our C trainer (issue 22; same trees as shared/trainer.py: shared/tests/test_trainer_c):
    # it learns, and every bad input is a ValueError/TypeError, never a crash
    import emlearn_extratrees as et
    rng = _Rng(7)
    X = array.array("h", [rng.randint(-500, 500) for _ in range(60 * 3)])
    y = bytearray((X[3 * i] > 0) + (X[3 * i + 1] > 100) for i in range(60))
    for method in ("extra", "rf"):
        m = et.new(3, 3, 7, None, 1, max_features=3, method=method, seed=5, max_samples=60)
        m.train(X, y)
        right = sum(m.predict(X[3 * i:3 * i + 3]) == y[i] for i in range(60))
        assert right >= 57, (method, right)
        n = m.get_n_nodes_used()
        assert m.get_n_trees() == 7 and n >= 7
        p = array.array("f", [0.0] * 3)
        assert m.predict_proba(X[0:3], p) == m.predict(X[0:3]) and abs(sum(p) - 1) < 1e-6
        roots = array.array("h", [0] * 7)
        nodes = (bytearray(n), array.array("h", [0] * n), array.array("h", [0] * n),
                 array.array("h", [0] * n))
        assert m.export(*(nodes + (roots,))) == n
        for i in range(n):   # children after parents, leaves are classes
            for c in (nodes[2][i], nodes[3][i]):
                assert (c > i and c < n) or -3 <= c <= -1, (i, c)
        _raises(ValueError, m.export, bytearray(n - 1), *(nodes[1:] + (roots,)))
        _raises(ValueError, m.export, *(nodes + (array.array("h", [0] * 6),)))
        _raises(ValueError, m.export, nodes[0], array.array("f", [0.0] * n), nodes[2],
                nodes[3], roots)
        _raises(ValueError, m.grow, X, y)            # all trees grown
    for args, kw in (((0, 2), {}), ((128, 2), {}), ((3, 0), {}), ((3, 31), {}),
                     ((3, 2, 0), {}), ((3, 2, 5, -1), {}), ((3, 2, 5, 3, 0), {}),
                     ((3, 2), {"method": "gbm"}), ((3, 2), {"max_samples": 0}),
                     ((3, 2), {"max_samples": 70000}), ((3, 2), {"max_nodes": 40000})):
        _raises(ValueError, lambda: et.new(*args, **kw))
    _raises(TypeError, lambda: et.new(3, 2, 10, 10, 1, 10, 1.0, 1.0, 500, 100, 42))  # upstream's
    m = et.new(3, 3, 2, 4, 1, max_samples=60)
    _raises(ValueError, m.predict, X[0:3])                       # not trained
    _raises(ValueError, m.export, bytearray(1), array.array("h", [0]), array.array("h", [0]),
            array.array("h", [0]), array.array("h", [0, 0]))     # not trained
    _raises(ValueError, m.train, X[:-1], y)                      # not whole rows
    _raises(ValueError, m.train, X, y[:-1])
    _raises(ValueError, m.train, array.array("f", [0.0] * 180), y)
    _raises(ValueError, m.train, X, array.array("h", list(y)))   # labels: bytes
    _raises(TypeError, m.train, list(X), y)
    bad = bytearray(y)
    bad[17] = 3
    _raises(ValueError, m.train, X, bad)                          # label out of range
    _raises(ValueError, m.train, X, y, array.array("H", [0, 1, 60]))    # row out of range
    _raises(ValueError, m.train, X, y, array.array("H"))               # no rows
    _raises(ValueError, m.train, X, y, array.array("I", [0, 1]))       # rows: 'H'
    _raises(ValueError, et.new(3, 3, 2, 4, 1, max_samples=10).train, X, y)   # > max_samples
    _raises(ValueError, et.new(2, 3, 2, 4, 1, max_samples=90).train, X, y)   # n_features
    _raises(ValueError, et.new(3, 3, 2, None, 1, max_samples=60, max_nodes=3).train, X, y)
    m.train(X, y, array.array("H", range(0, 60, 2)))             # still usable after errors
    _raises(ValueError, m.predict, X[0:2])
    _raises(ValueError, m.predict_proba, X[0:3], array.array("f", [0.0] * 2))
    m.reset()
    assert m.get_n_trees() == 0 and m.grow(X, y) == 1
    _raises(ValueError, m.leaves)                                 # a classifier's leaves
    # regression (shared/regress.Regressor's criterion): targets array('H') 0..16383
    t = array.array("H", [(X[3 * i] + 500) * 16 for i in range(60)])
    r = et.new(3, 1, 4, 6, 1, max_samples=60, regression=True, lo=-2.0, unit=0.001)
    r.train(X, t)
    leaves = r.leaves()
    assert len(leaves) >= 4 and len(set(leaves)) == len(leaves), leaves
    assert min(leaves) >= -2.0 and max(leaves) <= -2.0 + 0.001 * 16383
    _raises(ValueError, r.predict, X[0:3])                        # use export() + leaves()
    _raises(ValueError, r.train, X, y)                            # bytearray: not targets
    _raises(ValueError, r.train, X, array.array("H", [16384] * 60))
    _raises(ValueError, lambda: et.new(3, 2, regression=True))     # n_classes must be 1
    _raises(ValueError, lambda: et.new(3, 1, regression=True, unit=-1.0))
    _raises(ValueError, lambda: et.new(3, 1, regression=True, lo=float("nan")))


def test_arrayutils_quantize_rows_bad_input():
    # ours (issue 22): shared.quant's quantize_value in C over a list of array('f') rows
    from emlearn_arrayutils import quantize_rows
    rows = [array.array("f", [0.5, -1.5]), array.array("f", [float("nan"), 1e9])]
    X = array.array("h", [7] * 4)
    quantize_rows(rows, [1.0, 2.0], [0, 1], X, 0, 2)
    assert list(X) == [1, -4, 0, 32767], list(X)
    for args in ((rows, [1.0], [0, 1], X, 0, 2),                     # factors vs offsets
                 (rows, [1.0, 1.0], [0, 0], array.array("h", [0] * 3), 0, 2),   # X length
                 (rows, [1.0, 1.0], [0, 0], array.array("f", [0.0] * 4), 0, 2),
                 (rows, [1.0, 1.0], [0, 0], X, 1, 3), (rows, [1.0, 1.0], [0, 0], X, -1, 1),
                 (rows, [1.0, 1.0], [0, 0], X, 2, 1),
                 ([rows[0], array.array("f", [0.0])], [1.0, 1.0], [0, 0], X, 0, 2),
                 ([rows[0], array.array("d", [0.0, 0.0])], [1.0, 1.0], [0, 0], X, 0, 2),
                 (rows, [], [], array.array("h"), 0, 0)):
        _raises(ValueError, quantize_rows, *args)
    _raises(TypeError, quantize_rows, rows, [1.0, "x"], [0, 0], X, 0, 2)


def _regression_forest(rng, n_features, n_trees, depth):
    # a random forest whose leaves are values (leaf_bits 32): as _random_forest, leaf = float
    m = _random_forest(rng, n_features, 1, n_trees, depth)
    m["leaf_bits"] = 32
    m["n_classes"] = 0           # as emlearn writes a regressor
    m["leaves"] = [rng.uniform(-1000.0, 1000.0) for _ in m["leaves"]]
    return m


def _regression_csv(m):
    lines = ["f,%d" % m["n_features"], "c,0", "lb,32"]
    lines += ["l,%r" % v for v in m["leaves"]]
    lines += ["r,%d" % r for r in m["roots"]]
    lines += ["n,%d,%s,%d,%d" % (f, float(t), le, ri) for f, t, le, ri in m["nodes"]]
    return "\r\n".join(lines)


def _py_regress(m, x):
    # the mean of the trees' leaf values, each leaf rounded to float32 as the C table holds it
    f32 = array.array("f", m["leaves"])
    s = 0.0
    for r in m["roots"]:
        i = r
        while i >= 0:
            feature, threshold, left, right = m["nodes"][i]
            child = left if x[feature] < threshold else right
            i = i + child if child >= 0 else child
        s += f32[-i - 1]
    return s / len(m["roots"])


def test_trees_regression_match_python_predictor():
    import io
    import emlearn_trees
    rng = _Rng(9)
    for n_trees in (1, 5):
        m = _regression_forest(rng, n_features=4, n_trees=n_trees, depth=4)
        for presize in (False, True):   # leaf table sized by new(..., 32), or grown by setdata
            if presize:
                model = emlearn_trees.new(len(m["roots"]), len(m["nodes"]), len(m["leaves"]), 32)
            else:
                model = emlearn_trees.new(len(m["roots"]), len(m["nodes"]), len(m["leaves"]))
            emlearn_trees.load_model(model, io.StringIO(_regression_csv(m)))
            assert model.outputs() == 1
            out = array.array("f", [0.0])
            for _ in range(100):
                x = [rng.randint(-32768, 32767) for _ in range(4)]
                model.predict(array.array("h", x), out)
                want = _py_regress(m, x)
                assert abs(out[0] - want) <= 1e-6 * max(1.0, abs(want)) * n_trees, (out[0], want)


def test_trees_regression_builder_api():
    import emlearn_trees
    model = emlearn_trees.new(2, 2, 3, 32)
    model.setdata(1, 1, 32)
    model.addroot(0)                # tree 0: x0 < 10 -> 0.25 else 1.5
    model.addroot(1)                # tree 1: x0 < 0 -> -2.0 else 1.5
    model.addnode(-1, -2, 0, 10)
    model.addnode(-3, -2, 0, 0)
    for v in (0.25, 1.5, -2.0):
        model.addleaf(v)
    out = array.array("f", [7.0])
    for x, want in ((-5, (0.25 - 2.0) / 2), (5, (0.25 + 1.5) / 2), (50, 1.5)):
        model.predict(array.array("h", [x]), out)
        assert out[0] == want, (x, out[0], want)


def test_trees_regression_emlearn_reference():
    # a scikit-learn RandomForestRegressor written by emlearn's own CSV writer (c,0 lb,32
    # l,<value>); expected values from emlearn's C eml_trees_regress on CPython
    ref = REFERENCE.get("regression")
    if not ref:
        return "skip: no CPython reference data"
    import io
    import emlearn_trees
    model = emlearn_trees.new(ref["max_trees"], ref["max_nodes"], ref["max_leaves"])
    emlearn_trees.load_model(model, io.StringIO(ref["csv"]))
    assert model.outputs() == 1
    out = array.array("f", [0.0])
    got = []
    for x in ref["X"]:
        model.predict(array.array("h", x), out)
        got.append(out[0])
    _diff("trees regression vs emlearn C", got, ref["y"])
    _close(got, ref["y"], 1e-6 * max(abs(v) for v in ref["y"]), "emlearn regress")


def test_trees_regression_bad_input():
    import io
    import emlearn_trees
    _raises(ValueError, emlearn_trees.new, 1, 1, 1, 16)
    m = emlearn_trees.new(1, 1, 2)
    _raises(ValueError, m.setdata, 1, 2, 32)         # a regressor has one output
    m.setdata(1, 0, 32)
    _raises(ValueError, m.addleaf, float("nan"))
    _raises(ValueError, m.addleaf, float("inf"))
    _raises(TypeError, m.addleaf, "1.0")
    m.addleaf(1.0)
    m.addleaf(2)
    _raises(ValueError, m.addleaf, 3.0)               # too many leaves
    _raises(ValueError, m.setdata, 1, 2, 0)           # the leaves are values: no going back
    m.addroot(0)
    m.addnode(-1, -3, 0, 0)                           # leaf 2 of 2
    _raises(ValueError, m.predict, array.array("h", [0]), array.array("f", [0.0]))
    c = emlearn_trees.new(1, 1, 2)                    # a classifier's byte leaves stay bytes
    c.setdata(1, 2)
    c.addleaf(1)
    _raises(ValueError, c.setdata, 1, 0, 32)
    _raises(TypeError, c.addleaf, 0.5)
    for text in ("f,1\nc,0\nlb,32\nl,x", "f,1\nc,0\nlb,32\nl,nan", "f,1\nc,3\nlb,32\nl,1.0",
                 "f,1\nc,2\nl,1\nlb,32"):
        _raises(ValueError, emlearn_trees.load_model, emlearn_trees.new(1, 1, 2), io.StringIO(text))


# ---- emlearn_melspectrogram -----------------------------------------------------------

def test_melspectrogram_reference():
    # frames from the golden file (shared/tests/golden/mel.json, numpy float64) set by the
    # pytest driver; shared/tests/test_mel checks the same through shared.mel
    ref = REFERENCE.get("mel")
    if not ref:
        return "skip: no CPython reference data"
    import emlearn_melspectrogram
    s = ref["settings"]
    p = emlearn_melspectrogram.new(s["n_fft"], s["n_mels"], s["fmin"], s["fmax"], s["fs"])
    x = array.array("f", [0.0] * s["n_fft"])
    out = array.array("f", [0.0] * s["n_mels"])
    got = []
    want = []
    for frame, logmel in zip(ref["frames"], ref["logmel"]):
        for i in range(len(x)):
            x[i] = frame[i] / 32768.0
        keep = array.array("f", x)
        p.run(x, out)
        assert list(x) == list(keep), "run() changed its input"
        got.extend(out)
        want.extend(logmel)
    _diff("mel frames vs golden (dB)", got, want)
    _close(got, want, ref["tol"], "logmel")


def test_melspectrogram_tone_and_silence():
    import emlearn_melspectrogram
    p = emlearn_melspectrogram.new(512, 32, 0.0, 8000.0, 16000)
    out = array.array("f", [0.0] * 32)
    p.run(array.array("f", [0.0] * 512), out)
    assert max(out) == min(out) and abs(out[0] + 100.0) < 1e-3, list(out)
    # a full-scale 1 kHz sine: its band is the loudest, about +15 dB (shared/SOUND.md)
    x = array.array("f", [math.sin(2 * math.pi * 1000.0 * i / 16000.0) for i in range(512)])
    p.run(x, out)
    top = max(range(32), key=lambda m: out[m])
    assert 12.0 < out[top] < 18.0, (top, out[top])
    a = array.array("H", [0] * 32)
    b = array.array("H", [0] * 32)
    w = array.array("f", [0.0] * p.n_weights())
    p.filterbank(a, b, w)
    assert a[top] <= 1000 * 512 // 16000 <= b[top], (top, a[top], b[top])


def test_melspectrogram_bad_input():
    import emlearn_melspectrogram as em
    for args in ((500, 32, 0.0, 8000.0, 16000), (8, 32, 0.0, 8000.0, 16000),
                 (512, 0, 0.0, 8000.0, 16000), (512, 200, 0.0, 8000.0, 16000),
                 (512, 32, 0.0, 9000.0, 16000), (512, 32, 4000.0, 3000.0, 16000),
                 (512, 32, -1.0, 8000.0, 16000), (512, 32, float("nan"), 8000.0, 16000),
                 (512, 32, 0.0, 8000.0, 0)):
        _raises(ValueError, em.new, *args)
    _raises(TypeError, em.new, 512, 32, 0.0, 8000.0)
    p = em.new(512, 32, 0.0, 8000.0, 16000)
    ok = array.array("f", [0.0] * 512)
    out = array.array("f", [0.0] * 32)
    _raises(ValueError, p.run, array.array("f", [0.0] * 256), out)
    _raises(ValueError, p.run, ok, array.array("f", [0.0] * 31))
    _raises(ValueError, p.run, array.array("h", [0] * 512), out)
    _raises(TypeError, p.run, [0.0] * 512, out)
    nan = array.array("f", [0.0] * 512)
    nan[7] = float("nan")
    _raises(ValueError, p.run, nan, out)
    _raises(ValueError, p.filterbank, array.array("H", [0] * 31), array.array("H", [0] * 32),
            array.array("f", [0.0] * p.n_weights()))
    _raises(ValueError, p.filterbank, array.array("H", [0] * 32), array.array("H", [0] * 32),
            array.array("f", [0.0] * 3))


# ---- emlearn_neighbors ----------------------------------------------------------------

def _isqrt(v):
    r = int(math.sqrt(v))
    while r * r > v:
        r -= 1
    while (r + 1) * (r + 1) <= v:
        r += 1
    return r


def test_neighbors_match_bruteforce():
    import emlearn_neighbors
    rng = _Rng(5)
    n_features, k = 4, 3
    items = [([rng.randint(-3000, 3000) for _ in range(n_features)], rng.randint(0, 3)) for _ in range(60)]
    model = emlearn_neighbors.new(100, n_features, k)
    for i, (f, label) in enumerate(items):
        assert model.additem(array.array("h", f), label) == i
    checked = 0
    for _ in range(50):
        q = [rng.randint(-3000, 3000) for _ in range(n_features)]
        d = sorted((_isqrt(sum((a - b) ** 2 for a, b in zip(q, f))), i) for i, (f, _l) in enumerate(items))
        if d[k - 1][0] == d[k][0]:
            continue  # tie at the k-th neighbour: either answer is right
        votes = [0] * 10
        for dist, i in d[:k]:
            votes[items[i][1]] += 1
        want = votes.index(max(votes))  # ties go to the lowest label, as emlearn
        assert model.predict(array.array("h", q)) == want
        idx, dist, label = model.getresult(0)
        assert dist == d[0][0] and label == items[idx][1], (idx, dist, d[0])
        checked += 1
    assert checked > 30, checked
    out = array.array("h", [0] * n_features)
    model.getitem(7, out)
    assert list(out) == items[7][0]


def test_neighbors_bad_input():
    import emlearn_neighbors
    for args in ((0, 2, 1), (10, 0, 1), (10, 2, 0), (10, 2, 11), (-1, 2, 1), (100000, 2, 1)):
        _raises(ValueError, emlearn_neighbors.new, *args)
    model = emlearn_neighbors.new(2, 2, 2)
    _raises(ValueError, model.predict, array.array("h", [0, 0]))  # fewer than k items
    _raises(ValueError, model.getresult, 0)                      # no predict yet
    _raises(ValueError, model.getitem, 0, array.array("h", [0, 0]))
    _raises(ValueError, model.additem, array.array("h", [0, 0, 0]), 1)
    _raises(ValueError, model.additem, array.array("f", [0.0, 0.0]), 1)
    _raises(TypeError, model.additem, [0, 0], 1)
    _raises(ValueError, model.additem, array.array("h", [0, 0]), 10)
    _raises(ValueError, model.additem, array.array("h", [0, 0]), -1)
    model.additem(array.array("h", [0, 0]), 1)
    model.additem(array.array("h", [5, 5]), 1)
    _raises(ValueError, model.additem, array.array("h", [1, 1]), 1)  # full
    assert model.predict(array.array("h", [1, 1])) == 1
    _raises(ValueError, model.predict, array.array("h", [1]))
    _raises(ValueError, model.predict, array.array("f", [1.0, 1.0]))
    _raises(ValueError, model.getresult, 2)
    _raises(ValueError, model.getitem, 2, array.array("h", [0, 0]))
    _raises(ValueError, model.getitem, 0, array.array("h", [0]))
    _raises(ValueError, model.getitem, 0, array.array("f", [0.0, 0.0]))


# ---- emlearn_kmeans ---------------------------------------------------------------------

def _kmeans_reference(values, centroids, d, max_iter):
    """emlearn-micropython's k-means in plain Python: assign (ties to the lowest index), stop
    when nothing changed, else centroid = floor of the mean of its rows (empty: unchanged)."""
    n, k = len(values) // d, len(centroids) // d
    c = list(centroids)
    a = [255] * n
    for _ in range(max_iter):
        changes = 0
        for s in range(n):
            best, best_d = 0, None
            for j in range(k):
                e = sum((values[s * d + i] - c[j * d + i]) ** 2 for i in range(d))
                if best_d is None or e < best_d:
                    best, best_d = j, e
            if a[s] != best:
                changes += 1
                a[s] = best
        if changes == 0:
            break
        for j in range(k):
            rows = [s for s in range(n) if a[s] == j]
            for i in range(d):
                if rows:
                    c[j * d + i] = sum(values[s * d + i] for s in rows) // len(rows)
    return a, c


def test_kmeans_matches_reference():
    import emlearn_kmeans
    rng = _Rng(9)
    for d, k, n in ((3, 2, 40), (6, 4, 90), (1, 3, 25)):
        values = bytearray(rng.randint(0, 255) for _ in range(n * d))
        init = bytearray(values[:k * d])
        want_a, want_c = _kmeans_reference(values, init, d, 30)
        cent = bytearray(init)
        got = emlearn_kmeans.cluster(values, cent, features=d, max_iter=30)
        assert list(got) == want_a and list(cent) == want_c, (d, k, n)
        idx, dist = emlearn_kmeans.euclidean_argmin(cent, values[0:d])
        assert idx == want_a[0]
        assert dist == sum((values[i] - cent[idx * d + i]) ** 2 for i in range(d))
    # upstream's own example (tests/test_kmeans.py): array('B') works as well as bytearray
    vals = array.array("B", [0, 0, 0, 10, 5, 2, 200, 50, 100, 255, 255, 255])
    cent = array.array("B", [0, 0, 0, 200, 200, 200])
    assert list(emlearn_kmeans.cluster(vals, cent, features=3)) == [0, 0, 1, 1]
    steps = list(emlearn_kmeans.cluster_iter(vals, array.array("B", [0, 0, 0, 200, 200, 200]),
                                             array.array("B", [255] * 4), 3, max_iter=5))
    assert steps[0] == 4 and steps[-1] == 0, steps


def test_kmeans_bad_input():
    import emlearn_kmeans
    import emlearn_kmeans_c as c
    b6 = bytearray(6)
    _raises(ValueError, emlearn_kmeans.euclidean_argmin, bytearray(5), bytearray(2))
    _raises(ValueError, emlearn_kmeans.euclidean_argmin, bytearray(0), bytearray(2))
    _raises(ValueError, emlearn_kmeans.euclidean_argmin, array.array("h", [0, 0]), bytearray(2))
    _raises(TypeError, emlearn_kmeans.euclidean_argmin, [0, 0], bytearray(2))
    _raises(ValueError, emlearn_kmeans.cluster, b6, b6, 0)
    _raises(ValueError, emlearn_kmeans.cluster, b6, b6, 255)
    _raises(ValueError, emlearn_kmeans.cluster, bytearray(7), b6, 3)
    _raises(ValueError, emlearn_kmeans.cluster, b6, bytearray(0), 3)
    _raises(ValueError, emlearn_kmeans.cluster, b6, bytearray(255 * 3), 3)
    _raises(ValueError, emlearn_kmeans.cluster, bytearray(65535), bytearray(1), 1)
    _raises(ValueError, c.assign, b6, b6, bytearray(1), 3)          # assignments too short
    _raises(TypeError, c.assign, b6, b6, b"\x00\x00", 3)            # read-only assignments
    cent = bytearray([1, 2, 3, 4, 5, 6])
    _raises(ValueError, c.update, b6, cent, bytearray([0, 2]), 3)   # 2 is no centroid
    assert list(cent) == [1, 2, 3, 4, 5, 6]
    _raises(TypeError, c.update, b6, b"\x00" * 6, bytearray(2), 3)   # read-only centroids


# ---- emlearn_distance, emlearn_mixture (anomaly scores) ----------------------------------

FIGURES = {}   # max abs / rel difference of each C score against its reference


def _diff(name, got, want):
    a = r = 0.0
    for i in range(len(want)):
        e = abs(got[i] - want[i])
        a = max(a, e)
        r = max(r, e / (abs(want[i]) + 1e-3))
    FIGURES[name] = {"max_abs": a, "max_rel": r, "n": len(want)}
    return r


def _spd(rng, d):
    # a random symmetric positive definite d*d matrix: B B^T + d I
    b = [rng.uniform(-1, 1) for _ in range(d * d)]
    return [sum(b[i * d + k] * b[j * d + k] for k in range(d)) + (d if i == j else 0.0)
            for i in range(d) for j in range(d)]


def test_distance_matches_python_formula():
    import emlearn_distance
    rng = _Rng(21)
    d, n = 5, 40
    mean = [rng.uniform(-2, 2) for _ in range(d)]
    P = _spd(rng, d)
    X = array.array("f", [rng.uniform(-4, 4) for _ in range(n * d)])
    m = emlearn_distance.new(d)
    m.setdata(array.array("f", mean), array.array("f", P), 20.0)
    out = array.array("f", [0.0] * n)
    m.score(X, out)
    Pf = array.array("f", P)
    want = []
    for r in range(n):
        e = [X[r * d + j] - mean[j] for j in range(d)]
        want.append(sum(e[i] * Pf[i * d + j] * e[j] for i in range(d) for j in range(d)))
    assert _diff("distance_vs_python", out, want) < 1e-5
    flags = bytearray(n)
    assert m.predict(X, flags) == sum(1 for v in want if v > 20.0) == sum(flags)
    assert m.threshold() == 20.0


def _mixture_python(means, chol, lw, k, d, full, x):
    lp = []
    for c in range(k):
        s = 0.0
        ld = 0.0
        for f in range(d):
            if full:
                y = sum((x[p] - means[c * d + p]) * chol[c * d * d + p * d + f] for p in range(d))
                ld += math.log(chol[c * d * d + f * d + f])
            else:
                y = (x[f] - means[c * d + f]) * chol[c * d + f]
                ld += math.log(chol[c * d + f])
            s += y * y
        lp.append(-0.5 * (d * math.log(2 * math.pi) + s) + ld + lw[c])
    top = max(lp)
    return -(top + math.log(sum(math.exp(v - top) for v in lp))), lp


def test_mixture_matches_python_formula():
    import emlearn_mixture
    rng = _Rng(22)
    k, d, n = 3, 4, 30
    for full in (True, False):
        means = array.array("f", [rng.uniform(-2, 2) for _ in range(k * d)])
        if full:    # upper-triangular factors with a positive diagonal
            chol = array.array("f", [(rng.uniform(0.5, 1.5) if p == f else
                                      rng.uniform(-0.4, 0.4) if p < f else 0.0)
                                     for c in range(k) for p in range(d) for f in range(d)])
        else:
            chol = array.array("f", [rng.uniform(0.5, 1.5) for _ in range(k * d)])
        lw = array.array("f", [math.log(w) for w in (0.2, 0.5, 0.3)])
        m = emlearn_mixture.new(k, d, "full" if full else "diag")
        m.setdata(means, chol, lw, 8.0)
        X = array.array("f", [rng.uniform(-3, 3) for _ in range(n * d)])
        out = array.array("f", [0.0] * n)
        m.score(X, out)
        lp = array.array("f", [0.0] * (n * k))
        m.predict_log_proba(X, lp)
        want, want_lp = [], []
        for r in range(n):
            s, v = _mixture_python(means, chol, lw, k, d, full, X[r * d:(r + 1) * d])
            want.append(s)
            want_lp.extend(v)
        name = "mixture_%s_vs_python" % ("full" if full else "diag")
        assert _diff(name, out, want) < 1e-5
        _close(lp, want_lp, 1e-3, "log proba")
        flags = bytearray(n)
        assert m.predict(X, flags) == sum(1 for v in want if v > 8.0)


def test_distance_and_mixture_emlearn_reference():
    # scikit-learn's EllipticEnvelope and GaussianMixture (full, diag) converted by emlearn;
    # expected scores from emlearn's own C on CPython (set by the pytest driver)
    ref = REFERENCE.get("anomaly")
    if not ref:
        return "skip: no CPython reference data"
    import emlearn_distance
    import emlearn_mixture
    X = array.array("f", [v for row in ref["X"] for v in row])
    n, d = len(ref["X"]), len(ref["X"][0])
    out = array.array("f", [0.0] * n)
    e = ref["envelope"]
    m = emlearn_distance.new(d)
    m.setdata(array.array("f", e["mean"]), array.array("f", e["precision"]), e["threshold"])
    m.score(X, out)
    assert _diff("distance_vs_emlearn_c", out, e["emlearn_c"]) < 1e-5
    assert _diff("distance_vs_sklearn", out, e["sklearn"]) < 1e-5
    flags = bytearray(n)
    m.predict(X, flags)
    assert list(flags) == e["sklearn_outlier"]
    for g in ref["mixtures"]:
        m = emlearn_mixture.new(g["k"], d, g["type"])
        m.setdata(array.array("f", g["means"]), array.array("f", g["prec_chol"]),
                  array.array("f", g["log_weights"]), 0.0)
        m.score(X, out)
        assert _diff("mixture_%s_vs_emlearn_c" % g["type"], out, g["emlearn_c"]) < 1e-4
        assert _diff("mixture_%s_vs_sklearn" % g["type"], out, g["sklearn"]) < 1e-5


def test_distance_and_mixture_bad_input():
    import emlearn_distance
    import emlearn_mixture
    for v in (0, -1, 100000):
        _raises(ValueError, emlearn_distance.new, v)
    for args in ((0, 2, "full"), (2, 0, "diag"), (256, 2, "full"), (2, 2, "tied")):
        _raises(ValueError, emlearn_mixture.new, *args)
    _raises(TypeError, emlearn_mixture.new, 2, 2, 3)
    F = array.array
    m = emlearn_distance.new(2)
    _raises(ValueError, m.score, F("f", [0.0, 0.0]), F("f", [0.0]))       # before setdata
    _raises(ValueError, m.threshold)
    _raises(ValueError, m.setdata, F("f", [0.0]), F("f", [1.0, 0, 0, 1.0]), 1.0)
    _raises(ValueError, m.setdata, F("f", [0.0, 0.0]), F("f", [1.0, 0, 0]), 1.0)
    _raises(ValueError, m.setdata, F("h", [0, 0]), F("f", [1.0, 0, 0, 1.0]), 1.0)
    _raises(ValueError, m.setdata, F("f", [0.0, float("nan")]), F("f", [1.0, 0, 0, 1.0]), 1.0)
    _raises(ValueError, m.setdata, F("f", [0.0, 0.0]), F("f", [1.0, 0, 0, 0.0]), 1.0)
    _raises(ValueError, m.setdata, F("f", [0.0, 0.0]), F("f", [1.0, 0, 0, 1.0]), float("inf"))
    m.setdata(F("f", [0.0, 0.0]), F("f", [1.0, 0, 0, 1.0]), 1.0)
    _raises(ValueError, m.score, F("f", [0.0, 0.0, 0.0]), F("f", [0.0]))   # not whole rows
    _raises(ValueError, m.score, F("f", [0.0, float("inf")]), F("f", [0.0]))
    _raises(ValueError, m.score, F("d", [0.0, 0.0]), F("f", [0.0]))
    _raises(TypeError, m.score, [0.0, 0.0], F("f", [0.0]))
    _raises(ValueError, m.predict, F("f", [0.0, 0.0]), F("f", [0.0]))      # flags not uint8
    g = emlearn_mixture.new(2, 2, "full")
    _raises(ValueError, g.score, F("f", [0.0, 0.0]), F("f", [0.0]))
    eye = [1.0, 0.0, 0.0, 1.0]
    _raises(ValueError, g.setdata, F("f", [0.0] * 4), F("f", eye), F("f", [0.0, 0.0]), 1.0)
    _raises(ValueError, g.setdata, F("f", [0.0] * 4), F("f", eye + [1.0, 0.0, 0.0, -1.0]),
            F("f", [0.0, 0.0]), 1.0)
    _raises(ValueError, g.setdata, F("f", [0.0] * 4), F("f", eye * 2), F("f", [0.0]), 1.0)
    _raises(ValueError, g.setdata, F("f", [0.0] * 4), F("f", eye * 2), F("f", [0.0, float("nan")]), 1.0)
    g.setdata(F("f", [0.0] * 4), F("f", eye * 2), F("f", [-0.7, -0.7]), 1.0)
    _raises(ValueError, g.predict_log_proba, F("f", [0.0, 0.0]), F("f", [0.0] * 3))
    _raises(ValueError, g.score, F("f", [float("nan"), 0.0]), F("f", [0.0]))
    out = F("f", [0.0])
    g.score(F("f", [0.0, 0.0]), out)
    assert abs(out[0] - (math.log(2 * math.pi) + 0.7 - math.log(2.0))) < 1e-5, out[0]


# ---- emlearn_arrayutils -----------------------------------------------------------------

def test_arrayutils_linear_map():
    import emlearn_arrayutils
    x = array.array("f", [-2.0, -1.0, 0.0, 0.5, 1.0, 3.0])
    q = array.array("h", [0] * 6)
    emlearn_arrayutils.linear_map(x, q, -1.0, 1.0, -32768, 32767)
    want = [max(-32768.0, min(32767.0, (v + 1.0) * 65535.0 / 2.0 - 32768.0)) for v in x]
    assert list(q) == [int(w) for w in want], list(q)
    back = array.array("f", [0.0] * 6)
    emlearn_arrayutils.linear_map(q, back, -32768, 32767, -1.0, 1.0)
    _close(back, [max(-1.0, min(1.0, v)) for v in x], 1e-4, "back")
    y = array.array("f", [0.0, 5.0, 10.0])
    emlearn_arrayutils.linear_map(y, y, 0.0, 10.0, 0.0, 1.0)  # in place
    _close(y, [0.0, 0.5, 1.0], 1e-6, "in place")


def test_arrayutils_bad_input():
    import emlearn_arrayutils as au
    f3 = array.array("f", [0.0] * 3)
    h3 = array.array("h", [0] * 3)
    _raises(ValueError, au.linear_map, f3, array.array("h", [0] * 4), 0, 1, 0, 1)
    _raises(ValueError, au.linear_map, array.array("d", [0.0] * 3), h3, 0, 1, 0, 1)
    _raises(ValueError, au.linear_map, f3, array.array("b", [0] * 3), 0, 1, 0, 1)
    _raises(TypeError, au.linear_map, [0.0] * 3, h3, 0, 1, 0, 1)
    _raises(ValueError, au.linear_map, f3, h3, 1, 1, 0, 1)
    _raises(ValueError, au.linear_map, f3, h3, 0, 1, 0, 40000)
    _raises(ValueError, au.linear_map, f3, h3, float("nan"), 1, 0, 1)
    nan = array.array("f", [0.0, float("nan"), 0.0])
    _raises(ValueError, au.linear_map, nan, h3, 0, 1, 0, 100)
    _raises(TypeError, au.linear_map, f3, h3, 0, 1, 0)


# ---- inspect (browser build only: PyScript's event handlers) ------------------------------

def test_inspect_signature():
    try:
        import inspect
        inspect.signature
    except (ImportError, AttributeError):
        return "skip: no inspect.signature in this build"

    def with_event(event):
        pass

    def without():
        pass

    async def handler(event):
        pass

    x = 1

    def closure(a, b):
        return x

    class K:
        def meth(self, event):
            pass

    for f, n in ((with_event, 1), (without, 0), (handler, 1), (closure, 2), (K().meth, 1),
                 (lambda *a: 0, 1), (print, 1)):
        got = len(inspect.signature(f).parameters)
        assert got == n, (f, got, n)
    assert inspect.iscoroutinefunction(handler) and not inspect.iscoroutinefunction(without)


# ---- runner -------------------------------------------------------------------------------

def run(report=print):
    """Run every test_* here; report(line) gets each line. Returns the result dict."""
    passed, failed, skipped, failures = 0, 0, 0, []
    g = globals()
    for name in sorted(g):
        if not name.startswith("test_"):
            continue
        try:
            note = g[name]()
        except Exception as e:
            failed += 1
            failures.append("%s: %s: %s" % (name, type(e).__name__, e))
            report("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            continue
        if isinstance(note, str) and note.startswith("skip"):
            skipped += 1
            report("SKIP %s (%s)" % (name, note))
        else:
            passed += 1
            report("ok   %s" % name)
    impl = sys.implementation
    result = {"runtime": "%s-%s" % (impl.name, sys.platform), "version": ".".join(str(v) for v in impl.version[:3]),
              "float_bits": 64 if 1.0 + 2.0 ** -40 != 1.0 else 32,
              "passed": passed, "failed": failed, "skipped": skipped, "failures": failures,
              "figures": FIGURES}
    return result


if __name__ == "__main__":
    _r = run()
    print("RESULT " + json.dumps(_r))

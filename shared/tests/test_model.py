# Model format and predictor: emlearn's C semantics (x < threshold goes left, ties to the lowest
# class), write/read round trip, and every kind of malformed file refused by name.
try:
    import ujson as json
except ImportError:
    import json

from shared.compat import Rng
from shared.model import ModelError, TreeModel
from shared import modelformat as MF
from shared.quant import Quantizer

# 2 trees over 3 features, 2 classes (leaf 0 -> class 0, leaf 1 -> class 1)
NODES = [(0, 10, 1, -1), (1, -5, -2, -1), (2, 0, -2, -1)]
ROOTS = [0, 2]
LEAVES = [0, 1]


def _model():
    return TreeModel(3, 2, NODES, ROOTS, LEAVES)


def _meta(**over):
    m = MF.make_meta(["a", "b", "c"], ["rest", "shake"], Quantizer([0, -1, 2], [0, 3, -4]),
                     {"n_channels": 3, "n_samples": 128, "rate": 50})
    for k in over:
        m[k] = over[k]
    return m


def _text(**over):
    """A valid file, then metadata fields replaced in place (the writer would refuse them)."""
    text = MF.dumps(_model(), _meta())
    if not over:
        return text
    head, rest = text.split("\n", 1)
    meta = json.loads(head[len(MF.META_PREFIX):])
    for k in over:
        meta[k] = over[k]
    return MF.META_PREFIX + json.dumps(meta) + "\n" + rest


def _err(text, **kw):
    try:
        MF.loads(text, **kw)
    except ModelError as e:
        return str(e)
    raise AssertionError("no ModelError for %r" % (text[:80],))


def test_predict_semantics_like_eml_trees():
    m = _model()
    assert m.predict([0, -10, -1]) == 1 and m.predict_proba([0, -10, -1]) == [0.0, 1.0]
    assert m.predict([20, 0, 5]) == 0
    assert m.votes([0, 0, -1]) == [1, 1] and m.predict([0, 0, -1]) == 0   # tie: lowest class
    assert m.votes([10, -10, 0]) == [2, 0]   # 10 < 10 is false: equal goes right
    assert m.votes([9, -6, 0]) == [1, 1]
    try:
        m.predict([1, 2])
    except ValueError:
        return
    raise AssertionError("wrong feature count accepted")


def test_roundtrip_keeps_trees_and_meta():
    text = _text()
    assert text.startswith(MF.META_PREFIX) and text.endswith("#end\n")
    assert "\nn,0,10,1,-1\nn,1,-5,-2,-1\nn,2,0,-2,-1\n" in text   # relative children
    m = MF.loads(text)
    assert m.nodes() == NODES and list(m.roots) == ROOTS and list(m.leaves) == LEAVES
    assert m.meta["classes"] == ["rest", "shake"] and m.meta["window"]["rate"] == 50
    assert m.meta["counts"] == {"nodes": 3, "leaves": 2, "trees": 2}
    assert Quantizer.from_dict(m.meta["quant"]).offsets == [0, 3, -4]
    assert MF.loads(text.replace("\n", "\r\n").encode()).nodes() == NODES


def test_bare_emlearn_csv_loads():
    # as emlearn's Wrapper.save(format='csv'): CRLF, float thresholds, no final newline
    text = "f,3\r\nc,2\r\nlb,0\r\nl,0\r\nl,1\r\nr,0\r\nr,2\r\nn,0,10.5,1,-1\r\nn,1,-5.5,-2,-1\r\nn,2,0.5,-2,-1"
    m = MF.loads(text, require_meta=False)
    assert m.nodes() == [(0, 10, 1, -1), (1, -5, -2, -1), (2, 0, -2, -1)]  # int() truncation
    assert "metadata" in _err(text)


def test_truncated_anywhere_is_refused():
    text = _text()
    for cut in range(len(text) - 1):
        try:
            MF.loads(text[:cut])
        except ModelError:
            continue
        raise AssertionError("truncation at %d accepted" % cut)


def test_wrong_counts_named():
    assert "feature names" in _err(_text(features=["a", "b"]))
    assert "class names" in _err(_text(classes=["x"]))
    assert "nodes" in _err(_text(counts={"nodes": 4, "leaves": 2, "trees": 2}))
    assert "trees" in _err(_text(counts={"nodes": 3, "leaves": 2, "trees": 1}))
    assert "feature" in _err(_text().replace("n,2,0,-2,-1", "n,3,0,-2,-1"))
    assert "class" in _err(_text().replace("l,1\n", "l,2\n"))
    assert "quantisation" in _err(_text(quant={"shift": [0], "offset": [0]}))
    assert "version" in _err(_text(version=99))


def test_indices_out_of_range_and_cycles_named():
    t = _text()
    assert "out of range" in _err(t.replace("n,0,10,1,-1", "n,0,10,7,-1"))
    assert "leaf" in _err(t.replace("n,0,10,1,-1", "n,0,10,1,-9"))
    assert "root" in _err(t.replace("r,2\n", "r,5\n"))
    assert "cycle" in _err(t.replace("n,1,-5,-2,-1", "n,1,-5,0,-1"))
    try:
        TreeModel(3, 2, [(0, 1, 1, -1), (0, 1, 0, -1)], [0], [0])  # back edge 1 -> 0
    except ModelError as e:
        assert "cycle" in str(e)
    else:
        raise AssertionError("back edge accepted")


def test_bad_records_named():
    t = _text()
    assert "NaN" in _err(t.replace("n,0,10,1,-1", "n,0,nan,1,-1"))
    assert "NaN" in _err(t.replace("n,0,10,1,-1", "n,0,inf,1,-1"))
    assert "int16" in _err(t.replace("n,0,10,1,-1", "n,0,40000,1,-1"))
    assert "not a number" in _err(t.replace("n,0,10,1,-1", "n,0,ten,1,-1"))
    assert "fields" in _err(t.replace("n,0,10,1,-1", "n,0,10,1"))
    assert "non-integer" in _err(t.replace("l,1\n", "l,x\n"))
    assert "unknown record" in _err(t.replace("l,1\n", "q,1\n"))
    assert "leaf_bits" in _err(t.replace("lb,0", "lb,8"))
    assert "before" in _err("l,0\nf,1\nc,1\n", require_meta=False)
    assert "after" in _err(t + "n,0,1,1,1\n")
    assert "JSON" in _err(MF.META_PREFIX + "{oops\n")
    head, rest = _text().split("\n", 1)
    assert "JSON" in _err(head[:-1] + "\n" + rest)   # metadata cut: MicroPython's json took it
    assert "UTF-8" in _err(b"f,1\n\xff\xfe\xfa\n", require_meta=False)
    assert "missing" in _err("", require_meta=False)


class _Garbage:
    """A lazily generated stream of `size` pseudo-random bytes (nothing held in memory)."""

    def __init__(self, size, seed, newlines):
        self.left = size
        self.rng = Rng(seed)
        self.newlines = newlines
        self.served = 0

    def read(self, n):
        n = min(n, self.left)
        self.left -= n
        self.served += n
        b = bytearray(n)
        for i in range(n):
            v = self.rng.next32() & 0xFF
            b[i] = v if self.newlines or v != 10 else 32
        return bytes(b)


def test_10mb_of_garbage_refused_early():
    for seed, newlines in ((1, True), (2, False), (3, True)):
        g = _Garbage(10 * 1024 * 1024, seed, newlines)
        try:
            MF.read_model(g)
        except ModelError:
            assert g.served <= MF.MAX_LINE + 1024, g.served
            continue
        raise AssertionError("garbage accepted")


def test_a_first_line_that_cannot_be_the_metadata_is_refused_at_its_first_bytes():
    # e.g. 14 KB of JSON with no newline sent as a model: refused before the line is held
    # whole (the device has no 14 KB block on a fragmented heap)
    prefix = MF.META_PREFIX.encode()
    for first in (b'{"activity": "' + b"x" * 200, b"#motebook-mode!", b"#", b"#mote"):
        r = MF.Reader()
        refused = None
        try:
            for i in range(0, len(first), 7):
                r.feed(first[i:i + 7])
        except ModelError as e:
            refused = str(e)
        if prefix.startswith(first):              # could still become the metadata line
            assert refused is None, first
        else:
            assert refused and "must start with" in refused, first
            assert r.bytes <= 21, r.bytes         # within the chunk that showed it


class _Repeat:
    def __init__(self, unit, size):
        self.unit, self.left = unit, size

    def read(self, n):
        n = min(n, self.left)
        self.left -= n
        return (self.unit * (n // len(self.unit) + 1))[:n]


def test_huge_plausible_file_hits_byte_limit():
    s = _Repeat(b"l,0\n", 10 * 1024 * 1024)
    try:
        MF.read_model(s, require_meta=False)
    except ModelError as e:
        assert "larger than" in str(e) or "before" in str(e)
        return
    raise AssertionError("10 MB accepted")


def test_writer_refuses_bad_meta():
    for bad in (dict(features=["a"]), dict(window={"rate": float("nan")})):
        try:
            MF.dumps(_model(), _meta(**bad))
        except ModelError:
            continue
        raise AssertionError("writer accepted %r" % (bad,))

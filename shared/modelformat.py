# Model files: emlearn's trees CSV plus our metadata. Reader is the one parser (the page, the
# tests and the device's upload check and loader all use it), streaming under byte/line limits.
# Memory: one line (<= MAX_LINE) and the metadata dict; build=True adds the model's arrays.
#
# File layout (text, '\n' or '\r\n' line ends), what emlearn 0.23's Wrapper.save(format='csv')
# writes, framed by two lines that emlearn's loaders ignore (unknown first field):
#   #motebook-model,{json}   first line: metadata (FORMAT_VERSION, feature names, class names,
#                            quantisation, window settings, record counts)
#   f,<n_features>           c,<n_classes>           lb,0 (leaf bits: 0 = class votes)
#   l,<class>                one per leaf, in leaf-number order
#   r,<root>                 one per tree: absolute node index
#   n,<feature>,<threshold>,<left>,<right>   in node order; threshold read as int(float(t))
#                            like emlearn's loader; a child >= 0 is an offset from this node
#                            (must be > 0: children come later), < 0 is leaf -child-1
#   #end                     last line: proves the file is complete
# A regression model ("kind": "regress" in the metadata, shared.regressformat.RegressionModel) is the
# same file as emlearn writes a regressor: c,0 and lb,32, one l,<value> (float32, %.9g) per
# leaf; its metadata names the target, its unit and the range of the training values (every
# leaf must lie in it) instead of classes. kind absent = "classes".
# Files without the metadata line (emlearn's own CSV) load with read_model(require_meta=False).
try:
    import ujson as json
except ImportError:
    import json

from shared import jsonck
from shared.compat import isfinite
from shared.model import (MAX_CLASSES, MAX_FEATURES, MAX_LEAVES, MAX_NODES, MAX_TREES,
                          ModelError, TreeModel)

FORMAT = "motebook-trees"
FORMAT_VERSION = 1
META_PREFIX = "#motebook-model,"
_PREFIX_B = META_PREFIX.encode()
END = "#end"
MAX_BYTES = 512 * 1024
MAX_LINE = 16 * 1024
_CHUNK = 256
_COUNTS = (("nodes", MAX_NODES), ("leaves", MAX_LEAVES), ("trees", MAX_TREES))


class Reader:
    """The one parser of model files, fed as they arrive: feed(piece) any number of times
    (bytes or str, any size: a chunk, a line), then finish(expected_hash=None) -> summary dict
    {"hash", "bytes", "nodes", "leaves", "trees", "meta"}. Raises ModelError naming the line.
    With metadata, every record is checked as it comes against the counts the metadata
    promises, so nothing but one line is held; build=True then fills self.model, a TreeModel
    over arrays allocated once from those counts. A bare emlearn CSV (expect_meta=False, no
    metadata line) has no counts: its records are collected in lists and checked at the end.
    check_meta(meta) -> None or a reason: a caller's own test of the metadata (line 1).
    digest=True: sha256 of the bytes ("hash", hex); else "hash" is None."""

    def __init__(self, expect_meta=True, build=False, max_bytes=MAX_BYTES, max_line=MAX_LINE,
                 check_meta=None, digest=False):
        self.expect_meta = expect_meta
        self.build = build
        self.max_bytes = max_bytes
        self.max_line = max_line
        self.check_meta = check_meta
        self._h = None
        if digest:
            import hashlib
            self._h = hashlib.sha256()
        self.number = 0            # lines parsed
        self.bytes = 0
        self.meta = None
        self.model = None          # build=True (or a bare CSV): the TreeModel, after finish()
        self.nf = self.nc = None
        self.regress = None        # (lo, hi) of a regression model's values (kind "regress")
        self.nodes = self.leaves = self.roots = 0
        self.ended = False
        self._max = None           # (nodes, leaves, trees) the metadata promises
        self._bare = None          # bare CSV: ([nodes], [leaves], [roots])
        self._rest = []            # pieces of the line not ended yet (joined once: linear)
        self._rest_n = 0

    def feed(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.bytes += len(data)
        if self.bytes > self.max_bytes:
            raise ModelError("model file larger than %d bytes" % self.max_bytes)
        if self._h is not None:
            self._h.update(data)
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            if self._rest:
                self._rest.append(data[start:nl])
                line = b"".join(self._rest)
                self._rest, self._rest_n = [], 0
            else:
                line = data[start:nl]
            self._line(line)
            start = nl + 1
        if start < len(data):
            self._rest.append(data[start:] if start else data)
            self._rest_n += len(data) - start
            if self.number == 0 and self.expect_meta:
                self._check_start()
        if self._rest_n > self.max_line:
            raise ModelError("line %d longer than %d bytes" % (self.number + 1, self.max_line))

    def _check_start(self):
        check_start(self._rest)

    def _numbered(self, raw):
        """Counts the line and refuses one too long; its number."""
        self.number += 1
        if len(raw) > self.max_line:
            raise ModelError("line %d longer than %d bytes" % (self.number, self.max_line))
        return self.number

    def _line(self, raw):
        num = self._numbered(raw)
        if not self.ended and raw[:len(_PREFIX_B)] == _PREFIX_B:
            if num != 1:
                raise ModelError("line %d: metadata must be the first line" % num)
            # checked and parsed from the bytes: a long line (KBs for many channels) is not
            # copied again as text, which a fragmented device heap may not have room for
            self._meta(_parse_meta(raw))
            return
        text = _text(raw, num)
        if text[-1:] == "\r":
            text = text[:-1]
        if num == 1 and self.expect_meta and not text.startswith(META_PREFIX):
            raise ModelError("line 1: the model must start with the %s metadata line"
                             % META_PREFIX[:-1])
        if self.ended:
            if text.strip():
                raise ModelError("line %d: data after %s" % (num, END))
            return
        if not text:
            return
        if text[0] == "#":
            if text.rstrip() == END:
                self.ended = True
            return  # other comments are ignored, as emlearn does
        tok = text.split(",")
        kind = tok[0]
        if kind == "n":
            self._node(tok, num)
        elif kind == "l" and self.regress is not None:
            self._need_shape(num, kind)
            self._value_leaf(tok, num)
        elif kind == "l" or kind == "r":
            self._need_shape(num, kind)
            v = _ints(tok, 1, num)[0]
            if kind == "l":
                self._leaf(v, num)
            else:
                self._root(v, num)
        elif kind == "f" or kind == "c":
            v = _ints(tok, 1, num)[0]
            if self.meta is not None:
                names = self.meta["features"] if kind == "f" else self.meta.get("classes", [])
                if v != len(names):
                    if self.regress is not None:
                        raise ModelError("line %d: c,%d but a regression model has c,0"
                                         % (num, v))
                    raise ModelError("line %d: %s,%d but the metadata lists %d %s names"
                                     % (num, kind, v, len(names),
                                        "feature" if kind == "f" else "class"))
            if kind == "f":
                self.nf = v
            else:
                self.nc = v
        elif kind == "lb":
            lb = 0 if self.regress is None else 32
            if _ints(tok, 1, num)[0] != lb:
                raise ModelError("line %d: a %s model has leaf_bits %d (%s)"
                                 % (num, "classes" if lb == 0 else "regression", lb,
                                    "class votes" if lb == 0 else "float32 values"))
        else:
            raise ModelError("line %d: unknown record %r" % (num, kind[:16]))

    def _meta(self, meta):
        self._max = _check_meta(meta)
        self._callers_check(meta)
        self.meta = meta
        if meta.get("kind") == "regress":
            self.regress = meta["range"]
        if self.build:
            n, nl, nt = self._max
            if self.regress is not None:
                from shared.regressformat import RegressionModel
                self.model = RegressionModel.empty(len(meta["features"]), n, nl, nt, meta)
            else:
                self.model = TreeModel.zeros(len(meta["features"]), len(meta["classes"]), n,
                                             nl, nt, meta)

    def _value_leaf(self, tok, num):
        """l,<value> of a regression model: a finite number within the metadata's range."""
        if len(tok) != 2:
            raise ModelError("line %d: 'l' record needs 1 field, has %d" % (num, len(tok) - 1))
        from shared.regressformat import leaf_value
        v = leaf_value(tok[1], num, self.regress)
        i = self.leaves
        self.leaves = i + 1
        if i >= self._max[1]:
            raise ModelError("line %d: more leaves than the metadata's %d" % (num, self._max[1]))
        if self.model is not None:
            self.model.leaves[i] = v

    def _need_shape(self, num, kind):
        if self.nf is None or self.nc is None:
            raise ModelError("line %d: '%s' record before the f and c lines" % (num, kind))
        if self.meta is None and self._bare is None:
            self._bare = ([], [], [])

    def _leaf(self, v, num):
        i = self.leaves
        self.leaves = i + 1
        if self._max is None:
            self._bare[1].append(v)
            return
        if not 0 <= v < self.nc:
            raise ModelError("line %d: leaf class %d out of range 0..%d" % (num, v, self.nc - 1))
        if i >= self._max[1]:
            raise ModelError("line %d: more leaves than the metadata's %d" % (num, self._max[1]))
        if self.model is not None:
            self.model.leaves[i] = v

    def _root(self, v, num):
        i = self.roots
        self.roots = i + 1
        if self._max is None:
            self._bare[2].append(v)
            return
        if not 0 <= v < self._max[0]:
            raise ModelError("line %d: root %d out of range 0..%d" % (num, v, self._max[0] - 1))
        if i >= self._max[2]:
            raise ModelError("line %d: more trees than the metadata's %d" % (num, self._max[2]))
        if self.model is not None:
            self.model.roots[i] = v

    def _node(self, tok, num):
        self._need_shape(num, "n")
        if len(tok) != 5:
            raise ModelError("line %d: 'n' record needs 4 fields, has %d" % (num, len(tok) - 1))
        thr = _threshold(tok[2], num)
        f, le, ri = _ints([tok[0], tok[1], tok[3], tok[4]], 3, num)
        i = self.nodes
        if le == 0 or ri == 0:
            raise ModelError("line %d: node %d refers to itself (cycle)" % (num, i))
        le = le + i if le > 0 else le   # absolute child index (or -leaf-1)
        ri = ri + i if ri > 0 else ri
        self.nodes = i + 1
        if self._max is None:
            self._bare[0].append((f, thr, le, ri))
            return
        n, nl = self._max[0], self._max[1]
        if i >= n:
            raise ModelError("line %d: more nodes than the metadata's %d" % (num, n))
        if not 0 <= f < self.nf:
            raise ModelError("line %d: node %d feature %d out of range 0..%d"
                             % (num, i, f, self.nf - 1))
        for c in (le, ri):
            if c >= n:
                raise ModelError("line %d: node %d child %d out of range (%d nodes)"
                                 % (num, i, c, n))
            if c < 0 and -c - 1 >= nl:
                raise ModelError("line %d: node %d leaf %d out of range (%d leaves)"
                                 % (num, i, -c - 1, nl))
        t = self.model
        if t is not None:
            t.feature[i] = f
            t.threshold[i] = thr
            t.left[i] = le
            t.right[i] = ri

    def _callers_check(self, meta):
        if self.check_meta is not None:
            why = self.check_meta(meta)
            if why:
                raise ModelError(why)

    def _last_line(self):
        # a file that does not end with a newline: its last line
        if self._rest:
            rest, self._rest, self._rest_n = b"".join(self._rest), [], 0
            self._line(rest)

    def _digest(self, expected_hash):
        """The sha256 (hex) of the bytes fed (digest=True, else None); refuses a mismatch."""
        if self._h is None:
            return None
        import binascii
        full = binascii.hexlify(self._h.digest()).decode()
        if expected_hash and expected_hash.strip().lower() != full:
            raise ModelError("hash mismatch: the sender says %s, the received file hashes "
                             "to %s (corrupted in transfer?)" % (expected_hash.strip()[:64], full))
        return full

    def finish(self, expected_hash=None):
        self._last_line()
        if self.meta is None and self.expect_meta:
            raise ModelError("empty model file (no %s metadata line)" % META_PREFIX[:-1])
        if self.meta is not None and not self.ended:
            raise ModelError("truncated: no %s line" % END)
        if self.nf is None or self.nc is None:
            raise ModelError("missing the f (features) or c (classes) line")
        if self._max is not None:
            got = (self.nodes, self.leaves, self.roots)
            for i in range(3):
                if got[i] != self._max[i]:
                    raise ModelError("metadata says %d %s, the file has %d (truncated or "
                                     "edited?)" % (self._max[i], _COUNTS[i][0], got[i]))
        else:   # a bare CSV: TreeModel checks the lists
            b = self._bare or ([], [], [])
            self._bare = None
            self.model = TreeModel(self.nf, self.nc, b[0], b[2], b[1], {})
        return {"hash": self._digest(expected_hash), "bytes": self.bytes, "nodes": self.nodes, "leaves": self.leaves,
                "trees": self.roots, "meta": self.meta}


def check_start(pieces):
    """Refuses a body that cannot be a model at its first bytes (pieces: the first line's so
    far), not after a long first line was held whole (a 16 KB line does not fit a fragmented
    device heap)."""
    head = b""
    for p in pieces:
        head += p[:len(_PREFIX_B) - len(head)]
        if len(head) >= len(_PREFIX_B):
            break
    if not _PREFIX_B.startswith(head):
        raise ModelError("line 1: the model must start with the %s metadata line"
                         % META_PREFIX[:-1])


def _text(raw, num):
    try:
        return raw.decode()
    except (UnicodeError, ValueError):
        raise ModelError("line %d is not UTF-8 text" % num)


def _ints(tok, n, number):
    if len(tok) != n + 1:
        raise ModelError("line %d: '%s' record needs %d fields, has %d"
                         % (number, tok[0], n, len(tok) - 1))
    try:
        return [int(t) for t in tok[1:]]
    except ValueError:
        raise ModelError("line %d: '%s' record has a non-integer field" % (number, tok[0]))


def _threshold(text, number):
    try:
        v = float(text)
    except ValueError:
        raise ModelError("line %d: threshold %r is not a number" % (number, text[:20]))
    if not isfinite(v):
        raise ModelError("line %d: threshold is NaN or infinite" % number)
    if not -32768.0 <= v < 32768.0:
        raise ModelError("line %d: threshold %s outside int16 range" % (number, text[:20]))
    return int(v)


def read_model(stream, require_meta=True, max_bytes=MAX_BYTES, max_line=MAX_LINE):
    """Read a model from stream (anything with read(n)); returns a TreeModel whose .meta holds
    the metadata dict ({} for a bare emlearn CSV). Raises ModelError naming the problem."""
    r = Reader(require_meta, True, max_bytes, max_line)
    read = stream.read
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        r.feed(chunk)
    r.finish()
    return r.model


def loads(data, **kw):
    """read_model from a str or bytes already in memory."""
    return read_model(_Slices(data), **kw)


class _Slices:
    def __init__(self, data):
        self._d = data
        self._p = 0

    def read(self, n):
        p = self._p
        self._p = p + n
        return self._d[p:p + n]


def _parse_meta(raw, fmt=FORMAT):
    try:
        jsonck.check(raw, start=len(META_PREFIX))   # in place: no copy of a long line
        meta = json.loads(raw[len(META_PREFIX):])
    except (ValueError, TypeError):
        raise ModelError("metadata is not valid JSON")
    if not isinstance(meta, dict):
        raise ModelError("metadata is not a JSON object")
    _finite(meta)
    if meta.get("format") != fmt:
        if meta.get("kind") not in (None, "classes") and fmt == FORMAT:
            raise ModelError("this is a %r model, not a classes model (trees)"
                             % (meta.get("kind"),))
        raise ModelError("metadata format is not %r" % fmt)
    if meta.get("version") != FORMAT_VERSION:
        raise ModelError("unsupported model format version %r" % (meta.get("version"),))
    return meta


def _check_meta(meta):
    """The metadata on its own (names, quantisation, window, counts; a regression model's
    target, unit and range); returns the record counts it promises, (nodes, leaves, trees)."""
    from shared.quant import Quantizer
    feats, classes, counts = meta.get("features"), meta.get("classes"), meta.get("counts")
    if not isinstance(feats, list) or not 1 <= len(feats) <= MAX_FEATURES:
        raise ModelError("metadata needs a list of 1..%d feature names" % MAX_FEATURES)
    kind = meta.get("kind", "classes")
    if kind == "regress":
        from shared.regressformat import check_value_meta
        check_value_meta(meta)
    elif kind != "classes":
        raise ModelError("metadata kind %r: a trees model is \"classes\" or \"regress\""
                         % (kind,))
    elif not isinstance(classes, list) or not 1 <= len(classes) <= MAX_CLASSES:
        raise ModelError("metadata needs a list of 1..%d class names" % MAX_CLASSES)
    for c in classes or ():
        if not isinstance(c, str):
            raise ModelError("class names must be strings")
    try:
        q = Quantizer.from_dict(meta.get("quant"))
    except ValueError as e:
        raise ModelError("metadata quantisation: %s" % e)
    if q.n_features != len(feats):
        raise ModelError("quantisation covers %d features, the metadata lists %d feature names"
                         % (q.n_features, len(feats)))
    if not isinstance(meta.get("window", {}), dict):
        raise ModelError("metadata window settings are not an object")
    if not isinstance(counts, dict):
        raise ModelError("metadata has no record counts")
    out = []
    for k, lim in _COUNTS:
        v = counts.get(k)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= lim:
            raise ModelError("metadata count %s=%r out of range 1..%d" % (k, v, lim))
        out.append(v)
    return out


def _finite(v):
    if isinstance(v, float) and not isfinite(v):
        raise ModelError("metadata holds NaN or infinity")
    if isinstance(v, dict):
        for k in v:
            _finite(v[k])
    elif isinstance(v, (list, tuple)):
        for x in v:
            _finite(x)


def canonical_json(v):
    """JSON with sorted keys and no spaces: identical text on CPython and MicroPython (whose
    dicts do not keep insertion order): a trained model file's metadata line
    (shared.pipeline.model_text, the device's POST /api/train)."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + canonical_json(v[k])
                              for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    return json.dumps(v)


def make_meta(features, classes, quant, window=None, **extra):
    """The metadata dict for write_model: names, a Quantizer, window settings (a dict)."""
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "features": list(features),
            "classes": list(classes), "quant": quant.to_dict(), "window": dict(window or {})}
    for k in extra:
        meta[k] = extra[k]
    return meta


def write_model(stream, model, meta=None):
    """Write model (a TreeModel, or a RegressionModel with regressformat.make_value_meta())
    (make_meta(); default model.meta) to a text stream."""
    meta = dict(model.meta if meta is None else meta)
    meta["counts"] = {"nodes": model.n_nodes, "leaves": len(model.leaves),
                      "trees": len(model.roots)}
    _finite(meta)
    _check_meta(meta)
    regress = meta.get("kind") == "regress"
    if regress != (getattr(model, "leaf_bytes", 1) == 4):    # a RegressionModel's float32
        raise ModelError("a %s needs %s metadata" % (
            "RegressionModel" if not regress else "classes model",
            "kind \"regress\"" if not regress else "classes"))
    checks = (("features", model.n_features),) if regress else \
        (("features", model.n_features), ("classes", model.n_classes))
    for k, n in checks:
        if len(meta[k]) != n:
            raise ModelError("metadata lists %d %s, the trees have %d" % (len(meta[k]), k, n))
    w = stream.write
    w(META_PREFIX + json.dumps(meta) + "\n")
    if regress:
        from shared.regressformat import write_leaves
        write_leaves(w, model, meta)
    else:
        w("f,%d\nc,%d\nlb,0\n" % (model.n_features, model.n_classes))
        for c in model.leaves:
            w("l,%d\n" % c)
    for r in model.roots:
        w("r,%d\n" % r)
    for i, (f, t, le, ri) in enumerate(model.nodes()):
        w("n,%d,%d,%d,%d\n" % (f, t, le - i if le >= 0 else le, ri - i if ri >= 0 else ri))
    w(END + "\n")


def dumps(model, meta=None):
    out = []
    write_model(_Writer(out), model, meta)
    return "".join(out)


class _Writer:
    def __init__(self, parts):
        self.write = parts.append

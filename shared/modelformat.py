# Model files: emlearn's trees CSV plus our metadata, read line by line under a byte limit.
# Memory: reads 256-byte chunks; holds one line (<= MAX_LINE) and the node lists being built.
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
# Files without the metadata line (emlearn's own CSV) load with read_model(require_meta=False).
try:
    import ujson as json
except ImportError:
    import json

from shared.compat import isfinite
from shared.model import ModelError, TreeModel

FORMAT = "motebook-trees"
FORMAT_VERSION = 1
META_PREFIX = "#motebook-model,"
END = "#end"
MAX_BYTES = 512 * 1024
MAX_LINE = 16 * 1024
_CHUNK = 256


def _lines(read, max_bytes, max_line):
    """Yield (line_number, text) from read(n) (str or bytes chunks), enforcing the limits."""
    buf = b""
    total = 0
    number = 0
    eof = False
    while True:
        nl = buf.find(b"\n")
        if nl < 0 and not eof:
            if len(buf) > max_line:
                raise ModelError("line %d longer than %d bytes" % (number + 1, max_line))
            chunk = read(_CHUNK)
            if not chunk:
                eof = True
                continue
            if isinstance(chunk, str):
                chunk = chunk.encode()
            total += len(chunk)
            if total > max_bytes:
                raise ModelError("model file larger than %d bytes" % max_bytes)
            buf += chunk
            continue
        if nl < 0:
            if not buf:
                return
            raw, buf = buf, b""
        else:
            raw, buf = buf[:nl], buf[nl + 1:]
        number += 1
        if len(raw) > max_line:
            raise ModelError("line %d longer than %d bytes" % (number, max_line))
        try:
            text = raw.decode()
        except (UnicodeError, ValueError):
            raise ModelError("line %d is not UTF-8 text" % number)
        if text.endswith("\r"):
            text = text[:-1]
        yield number, text


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
    n_features = n_classes = None
    leaves, roots, nodes = [], [], []
    meta = None
    ended = False
    for number, text in _lines(stream.read, max_bytes, max_line):
        if ended:
            if text.strip():
                raise ModelError("line %d: data after %s" % (number, END))
            continue
        if not text:
            continue
        if text.startswith("#"):
            if text.startswith(META_PREFIX):
                if number != 1:
                    raise ModelError("line %d: metadata must be the first line" % number)
                meta = _parse_meta(text[len(META_PREFIX):])
            elif text.rstrip() == END:
                ended = True
            continue  # other comments are ignored, as emlearn does
        tok = text.split(",")
        kind = tok[0]
        if kind == "f":
            n_features = _ints(tok, 1, number)[0]
        elif kind == "c":
            n_classes = _ints(tok, 1, number)[0]
        elif kind == "lb":
            if _ints(tok, 1, number)[0] != 0:
                raise ModelError("line %d: only leaf_bits 0 (class votes) is supported" % number)
        elif kind in ("l", "r", "n"):
            if n_features is None or n_classes is None:
                raise ModelError("line %d: '%s' record before the f and c lines" % (number, kind))
            if kind == "l":
                leaves.append(_ints(tok, 1, number)[0])
            elif kind == "r":
                roots.append(_ints(tok, 1, number)[0])
            else:
                if len(tok) != 5:
                    raise ModelError("line %d: 'n' record needs 4 fields, has %d"
                                     % (number, len(tok) - 1))
                thr = _threshold(tok[2], number)
                f, le, ri = _ints([tok[0], tok[1], tok[3], tok[4]], 3, number)
                i = len(nodes)
                if le == 0 or ri == 0:
                    raise ModelError("line %d: node %d refers to itself (cycle)" % (number, i))
                nodes.append((f, thr, le + i if le > 0 else le, ri + i if ri > 0 else ri))
        else:
            raise ModelError("line %d: unknown record %r" % (number, kind[:16]))
    if n_features is None or n_classes is None:
        raise ModelError("missing the f (features) or c (classes) line")
    if meta is None and require_meta:
        raise ModelError("missing the %s metadata line" % META_PREFIX[:-1])
    if meta is not None:
        if not ended:
            raise ModelError("truncated: no %s line" % END)
        _check_meta(meta, n_features, n_classes, len(nodes), len(leaves), len(roots))
    return TreeModel(n_features, n_classes, nodes, roots, leaves, meta or {})


def loads(data, **kw):
    """read_model from a str or bytes already in memory."""
    return read_model(_Reader(data), **kw)


class _Reader:
    def __init__(self, data):
        self._d = data
        self._p = 0

    def read(self, n):
        p = self._p
        self._p = p + n
        return self._d[p:p + n]


def _parse_meta(text):
    try:
        meta = json.loads(text)
    except (ValueError, TypeError):
        raise ModelError("metadata is not valid JSON")
    if not isinstance(meta, dict):
        raise ModelError("metadata is not a JSON object")
    _finite(meta)
    if meta.get("format") != FORMAT:
        raise ModelError("metadata format is not %r" % FORMAT)
    if meta.get("version") != FORMAT_VERSION:
        raise ModelError("unsupported model format version %r" % (meta.get("version"),))
    return meta


def _check_meta(meta, n_features, n_classes, n_nodes, n_leaves, n_roots):
    from shared.quant import Quantizer
    names = meta.get("features")
    if not isinstance(names, list) or len(names) != n_features:
        raise ModelError("metadata lists %s feature names, the trees use %d"
                         % (len(names) if isinstance(names, list) else "no", n_features))
    classes = meta.get("classes")
    if not isinstance(classes, list) or len(classes) != n_classes:
        raise ModelError("metadata lists %s class names, the trees have %d"
                         % (len(classes) if isinstance(classes, list) else "no", n_classes))
    try:
        q = Quantizer.from_dict(meta.get("quant"))
    except ValueError as e:
        raise ModelError("metadata quantisation: %s" % e)
    if q.n_features != n_features:
        raise ModelError("quantisation covers %d features, the trees use %d"
                         % (q.n_features, n_features))
    counts = meta.get("counts")
    want = {"nodes": n_nodes, "leaves": n_leaves, "trees": n_roots}
    if not isinstance(counts, dict):
        raise ModelError("metadata has no record counts")
    for k in ("nodes", "leaves", "trees"):
        if counts.get(k) != want[k]:
            raise ModelError("metadata says %r %s, the file has %d (truncated or edited?)"
                             % (counts.get(k), k, want[k]))
    if not isinstance(meta.get("window", {}), dict):
        raise ModelError("metadata window settings are not an object")


def _finite(v):
    if isinstance(v, float) and not isfinite(v):
        raise ModelError("metadata holds NaN or infinity")
    if isinstance(v, dict):
        for k in v:
            _finite(v[k])
    elif isinstance(v, (list, tuple)):
        for x in v:
            _finite(x)


def make_meta(features, classes, quant, window=None, **extra):
    """The metadata dict for write_model: names, a Quantizer, window settings (a dict)."""
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "features": list(features),
            "classes": list(classes), "quant": quant.to_dict(), "window": dict(window or {})}
    for k in extra:
        meta[k] = extra[k]
    return meta


def write_model(stream, model, meta=None):
    """Write model (a TreeModel) with meta (make_meta(); default model.meta) to a text stream."""
    meta = dict(model.meta if meta is None else meta)
    meta["counts"] = {"nodes": model.n_nodes, "leaves": len(model.leaves),
                      "trees": len(model.roots)}
    _finite(meta)
    _check_meta(meta, model.n_features, model.n_classes, model.n_nodes, len(model.leaves),
                len(model.roots))
    w = stream.write
    w(META_PREFIX + json.dumps(meta) + "\n")
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

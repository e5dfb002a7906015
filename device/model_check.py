# Streaming validator of model files: fed line by line as an upload arrives (never the whole
# file in RAM), it checks the metadata, every record's syntax and ranges against the counts the
# metadata promises, the feature list and window settings against what the device computes,
# and hashes the bytes. Imported on demand by model_store (and dropped after use).
# Memory: one line (<= MAX_LINE), a sha256 state, the metadata dict.
import binascii
import hashlib
import json

import model_store as MS

META_PREFIX = "#motebook-model,"   # the shared.modelformat file layout
END = "#end"
FORMAT = "motebook-trees"
FORMAT_VERSION = 1
MAX_FEATURES = 127      # shared.model's limits (emlearn's)
MAX_CLASSES = 30
MAX_NODES = 32767
MAX_LEAVES = 32767
MAX_TREES = 1024


def window_of(meta):
    """(rate, window length, channel names or None) from the model metadata."""
    w = meta.get("window")
    if not isinstance(w, dict):
        return None, None, None
    n = None
    for k in ("window", "n_samples", "length"):
        if k in w:
            n = w[k]
            break
    return w.get("rate"), n, w.get("channels")


def mismatch(meta, expect):
    """None when the model fits what the device computes, else the reason.
    expect: {"rate", "window", "channels", "features"} of the running acquisition."""
    rate, n, chans = window_of(meta)
    if rate is None or n is None:
        return ("model metadata has no window settings (window.rate and window.window): "
                "cannot check it fits this device")
    if rate != expect["rate"] or n != expect["window"]:
        return ("model is for %s Hz windows of %s samples; the device runs %d Hz, %d samples"
                % (rate, n, expect["rate"], expect["window"]))
    have = expect["channels"]
    if isinstance(chans, int) and not isinstance(chans, bool):
        if chans != len(have):
            return ("model is for %d channels; the device's sensor has %d (%s)"
                    % (chans, len(have), ",".join(have)))
    elif chans is not None and list(chans) != list(have):
        return ("model is for channels %s; the device's sensor has %s"
                % (",".join([str(c) for c in chans]), ",".join(have)))
    want = expect["features"]
    got = meta.get("features") or []
    if got != want:
        if len(got) != len(want):
            return ("model uses %d features; the device computes %d (%s ... %s)"
                    % (len(got), len(want), want[0], want[-1]))
        for i in range(len(want)):
            if got[i] != want[i]:
                return ("model feature %d is %r; the device computes %r there"
                        % (i, got[i], want[i]))
    return None


class ModelError(ValueError):
    pass


def _ints(tok, n, num):
    if len(tok) != n + 1:
        raise ModelError("line %d: '%s' record needs %d fields, has %d"
                         % (num, tok[0], n, len(tok) - 1))
    try:
        return [int(t) for t in tok[1:]]
    except ValueError:
        raise ModelError("line %d: '%s' record has a non-integer field" % (num, tok[0]))


def _threshold(text, num):
    try:
        v = float(text)
    except ValueError:
        raise ModelError("line %d: threshold %r is not a number" % (num, text[:20]))
    if not (v == v and v - v == 0.0):
        raise ModelError("line %d: threshold is NaN or infinite" % num)
    if not -32768.0 <= v < 32768.0:
        raise ModelError("line %d: threshold %s outside int16 range" % (num, text[:20]))


def _finite(v):
    if isinstance(v, float) and not (v == v and v - v == 0.0):
        raise ModelError("metadata holds NaN or infinity")
    if isinstance(v, dict):
        for k in v:
            _finite(v[k])
    elif isinstance(v, list):
        for x in v:
            _finite(x)


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


class Checker:
    """Validates a model file fed line by line (raw bytes, newline included). Raises
    ModelError naming the line and the problem; finish() returns the summary dict."""

    def __init__(self, expect=None):
        self.expect = expect       # None: structure only (boot check)
        self.number = 0
        self.bytes = 0
        self.meta = None
        self._h = hashlib.sha256()
        self.nf = self.nc = None
        self.leaves = self.roots = self.nodes = 0
        self.ended = False
        self._max = None           # counts promised by the metadata

    def feed(self, raw):
        self.number += 1
        num = self.number
        self.bytes += len(raw)
        if self.bytes > MS.MAX_BYTES:
            raise ModelError("model file larger than %d bytes" % MS.MAX_BYTES)
        if len(raw) > MS.MAX_LINE:
            raise ModelError("line %d longer than %d bytes" % (num, MS.MAX_LINE))
        self._h.update(raw)
        try:
            text = raw.decode()
        except (UnicodeError, ValueError):
            raise ModelError("line %d is not UTF-8 text" % num)
        text = text.rstrip("\r\n")
        if num == 1:
            if not text.startswith(META_PREFIX):
                raise ModelError("line 1: the model must start with the %s metadata line"
                                 % META_PREFIX[:-1])
            self._meta(_parse_meta(text[len(META_PREFIX):]))
            return
        if self.ended:
            if text.strip():
                raise ModelError("line %d: data after %s" % (num, END))
            return
        if not text:
            return
        if text[0] == "#":
            if text.rstrip() == END:
                self.ended = True
            elif text.startswith(META_PREFIX):
                raise ModelError("line %d: metadata must be the first line" % num)
            return
        tok = text.split(",")
        kind = tok[0]
        if kind == "n":
            self._node(tok, num)
        elif kind == "l":
            self._need_shape(num, kind)
            v = _ints(tok, 1, num)[0]
            if not 0 <= v < self.nc:
                raise ModelError("line %d: leaf class %d out of range 0..%d" % (num, v, self.nc - 1))
            self.leaves += 1
            if self.leaves > self._max[1]:
                raise ModelError("line %d: more leaves than the metadata's %d" % (num, self._max[1]))
        elif kind == "r":
            self._need_shape(num, kind)
            v = _ints(tok, 1, num)[0]
            if not 0 <= v < self._max[0]:
                raise ModelError("line %d: root %d out of range 0..%d" % (num, v, self._max[0] - 1))
            self.roots += 1
            if self.roots > self._max[2]:
                raise ModelError("line %d: more trees than the metadata's %d" % (num, self._max[2]))
        elif kind == "f":
            self.nf = _ints(tok, 1, num)[0]
            if self.nf != len(self.meta["features"]):
                raise ModelError("line %d: f,%d but the metadata names %d features"
                                 % (num, self.nf, len(self.meta["features"])))
        elif kind == "c":
            self.nc = _ints(tok, 1, num)[0]
            if self.nc != len(self.meta["classes"]):
                raise ModelError("line %d: c,%d but the metadata names %d classes"
                                 % (num, self.nc, len(self.meta["classes"])))
        elif kind == "lb":
            if _ints(tok, 1, num)[0] != 0:
                raise ModelError("line %d: only leaf_bits 0 (class votes) is supported" % num)
        else:
            raise ModelError("line %d: unknown record %r" % (num, kind[:16]))

    def _meta(self, meta):
        feats, classes, counts = meta.get("features"), meta.get("classes"), meta.get("counts")
        if not isinstance(feats, list) or not 1 <= len(feats) <= MAX_FEATURES:
            raise ModelError("metadata needs a list of 1..%d feature names" % MAX_FEATURES)
        if not isinstance(classes, list) or not 1 <= len(classes) <= MAX_CLASSES:
            raise ModelError("metadata needs a list of 1..%d class names" % MAX_CLASSES)
        for c in classes:
            if not isinstance(c, str):
                raise ModelError("class names must be strings")
        if not isinstance(counts, dict):
            raise ModelError("metadata has no record counts")
        lim = (MAX_NODES, MAX_LEAVES, MAX_TREES)
        mx = []
        for i, k in enumerate(("nodes", "leaves", "trees")):
            v = counts.get(k)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= lim[i]:
                raise ModelError("metadata count %s=%r out of range 1..%d" % (k, v, lim[i]))
            mx.append(v)
        self._max = mx
        from shared.quant import Quantizer
        try:
            q = Quantizer.from_dict(meta.get("quant"))
        except ValueError as e:
            raise ModelError("metadata quantisation: %s" % e)
        if q.n_features != len(feats):
            raise ModelError("quantisation covers %d features, the metadata names %d"
                             % (q.n_features, len(feats)))
        if not isinstance(meta.get("window", {}), dict):
            raise ModelError("metadata window settings are not an object")
        sm = meta.get("smooth", 1)
        if not isinstance(sm, int) or isinstance(sm, bool) or not 1 <= sm <= 32:
            raise ModelError("metadata smooth must be an integer 1..32 (windows), got %r" % (sm,))
        if self.expect is not None:
            why = mismatch(meta, self.expect)
            if why:
                raise ModelError(why)
        self.meta = meta

    def _need_shape(self, num, kind):
        if self.nf is None or self.nc is None:
            raise ModelError("line %d: '%s' record before the f and c lines" % (num, kind))

    def _node(self, tok, num):
        self._need_shape(num, "n")
        if len(tok) != 5:
            raise ModelError("line %d: 'n' record needs 4 fields, has %d" % (num, len(tok) - 1))
        _threshold(tok[2], num)
        f, le, ri = _ints([tok[0], tok[1], tok[3], tok[4]], 3, num)
        i = self.nodes
        n, nl = self._max[0], self._max[1]
        if i >= n:
            raise ModelError("line %d: more nodes than the metadata's %d" % (num, n))
        if not 0 <= f < self.nf:
            raise ModelError("line %d: node %d feature %d out of range 0..%d"
                             % (num, i, f, self.nf - 1))
        for c in (le, ri):
            if c == 0:
                raise ModelError("line %d: node %d refers to itself (cycle)" % (num, i))
            if c > 0 and i + c >= n:
                raise ModelError("line %d: node %d child %d out of range (%d nodes)"
                                 % (num, i, i + c, n))
            if c < 0 and -c - 1 >= nl:
                raise ModelError("line %d: node %d leaf %d out of range (%d leaves)"
                                 % (num, i, -c - 1, nl))
        self.nodes = i + 1

    def finish(self, expected_hash=None):
        if self.meta is None:
            raise ModelError("empty model file")
        if not self.ended:
            raise ModelError("truncated: no %s line" % END)
        if self.nf is None or self.nc is None:
            raise ModelError("missing the f (features) or c (classes) line")
        got = (self.nodes, self.leaves, self.roots)
        for i, k in enumerate(("nodes", "leaves", "trees")):
            if got[i] != self._max[i]:
                raise ModelError("metadata says %d %s, the file has %d (truncated or edited?)"
                                 % (self._max[i], k, got[i]))
        full = binascii.hexlify(self._h.digest()).decode()
        if expected_hash and expected_hash.strip().lower() != full:
            raise ModelError("hash mismatch: the sender says %s, the received file hashes to %s "
                             "(corrupted in transfer?)" % (expected_hash.strip()[:64], full))
        return {"hash": full, "bytes": self.bytes, "nodes": self.nodes,
                "leaves": self.leaves, "trees": self.roots, "meta": self.meta}

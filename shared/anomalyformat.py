# Anomaly model files ("is this normal?", shared.anomaly): the writer and the one reader (the
# page, the tests and the device's upload check and loader all use it), streaming under the
# byte/line limits of shared.modelformat, whose Reader it extends (same line splitting, same
# metadata line handling, same digest). Memory: one line (<= MAX_LINE) and the metadata dict;
# build=True adds the model's arrays (at most MAX_ANOMALY_VALUES + 3 * d floats, made once
# from the sizes the metadata promises) and its scorer.
#
# File layout (text, '\n' or '\r\n' line ends):
#   #motebook-model,{json}   first line: {"format": "motebook-anomaly", "version": 1,
#                            "kind": "anomaly", "scorer": "envelope" | "gmm", "features": [D
#                            names, as the classifiers'], "window": {"rate", "window",
#                            "channels"}, "threshold": t (score above = anomalous window),
#                            "hysteresis": [n, m] (shared.hysteresis), "d": kept features,
#                            "k" and "cov" ("full" | "diag": gmm only), report figures}
#   <array>,<v>,<v>,...      at most PER_LINE values a line; an array may take several lines,
#                            filled in order: keep (d ints: the kept feature numbers, rising),
#                            mean, inv (d floats: standardiser), then
#                            envelope: mu (d), prec (d*d precision)
#                            gmm:      means (k*d), chol (k*d*d full, k*d diag: precision
#                                      Cholesky factors), logw (k log weights)
#   #end                     last line: proves the file is complete
# Scores: higher = more anomalous (shared.anomaly). A classes model (trees) has no "kind" (or
# "classes"); any_reader() reads either kind from its first line.
try:
    import ujson as json
except ImportError:
    import json
from array import array

from shared import modelformat as MF
from shared.compat import isfinite
from shared.hysteresis import check as check_hysteresis
from shared.limits import (ANOMALY_SCORERS, MAX_ANOMALY_FEATURES, MAX_ANOMALY_K,
                           MAX_ANOMALY_VALUES, MAX_FEATURES, anomaly_values)
from shared.anomalymodel import AnomalyModel
from shared.model import ModelError

FORMAT = "motebook-anomaly"
FORMAT_VERSION = 1
KIND = "anomaly"
PER_LINE = 16
_MARK = b'"motebook-anomaly"'     # the format's name: AnyReader tells the kinds apart by it
_INTS = ("keep",)


def kinds():
    """The model kinds the device takes: ("classes", "anomaly") and the anomaly scorers."""
    return ("classes", KIND), ANOMALY_SCORERS


def _sizes(meta):
    """{array name: length} the metadata promises (checked)."""
    scorer = meta.get("scorer")
    if scorer not in ANOMALY_SCORERS:
        raise ModelError("anomaly scorer %r is not one the device runs (%s)"
                         % (scorer, ", ".join(ANOMALY_SCORERS)))
    feats = meta.get("features")
    if not isinstance(feats, list) or not 1 <= len(feats) <= MAX_FEATURES:
        raise ModelError("metadata needs a list of 1..%d feature names" % MAX_FEATURES)
    d = meta.get("d")
    if not _int(d) or not 1 <= d <= min(len(feats), MAX_ANOMALY_FEATURES):
        raise ModelError("metadata d (kept features) %r out of range 1..%d"
                         % (d, min(len(feats), MAX_ANOMALY_FEATURES)))
    s = {"keep": d, "mean": d, "inv": d}
    if scorer == "envelope":
        s["mu"], s["prec"] = d, anomaly_values(scorer, d)
    else:
        k, cov = meta.get("k"), meta.get("cov")
        if not _int(k) or not 1 <= k <= MAX_ANOMALY_K:
            raise ModelError("metadata k (components) %r out of range 1..%d" % (k, MAX_ANOMALY_K))
        if cov not in ("full", "diag"):
            raise ModelError("metadata cov must be 'full' or 'diag', not %r" % (cov,))
        s["means"], s["logw"] = k * d, k
        s["chol"] = anomaly_values(scorer, d, k, cov)
    n = s["prec" if scorer == "envelope" else "chol"]
    if n > MAX_ANOMALY_VALUES:
        raise ModelError("model too large for the device: %d scorer values (limit %d)"
                         % (n, MAX_ANOMALY_VALUES))
    t = meta.get("threshold")
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not isfinite(t):
        raise ModelError("metadata threshold must be a finite number, got %r" % (t,))
    h = meta.get("hysteresis")
    why = "hysteresis must be [n, m]" if not isinstance(h, list) or len(h) != 2 \
        else check_hysteresis(h[0], h[1])
    if why:
        raise ModelError("metadata " + why)
    if not isinstance(meta.get("window", {}), dict):
        raise ModelError("metadata window settings are not an object")
    return s


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Reader(MF.Reader):
    """modelformat.Reader for anomaly files: feed(piece)... finish(expected_hash=None) ->
    {"hash", "bytes", "kind": "anomaly", "scorer", "values", "meta"}; build=True also makes
    self.model (AnomalyModel). check_meta(meta) -> None or a reason: the caller's hook (the
    device: window, channels, features). Raises ModelError naming the line."""

    def __init__(self, build=False, max_bytes=MF.MAX_BYTES, max_line=MF.MAX_LINE,
                 check_meta=None, digest=False, impl="auto"):
        MF.Reader.__init__(self, True, build, max_bytes, max_line, check_meta, digest)
        self.impl = impl
        self._sizes = None
        self._fill = {}
        self._arrays = None

    def _line(self, raw):
        num = self._numbered(raw)
        if num == 1:
            if raw[:len(MF._PREFIX_B)] != MF._PREFIX_B:
                raise ModelError("line 1: the model must start with the %s metadata line"
                                 % MF.META_PREFIX[:-1])
            self._meta(MF._parse_meta(raw, FORMAT))
            return
        text = MF._text(raw, num).rstrip()
        if self.ended:
            if text:
                raise ModelError("line %d: data after %s" % (num, MF.END))
            return
        if not text:
            return
        if text[0] == "#":
            if text == MF.META_PREFIX[:-1] or text.startswith(MF.META_PREFIX):
                raise ModelError("line %d: metadata must be the first line" % num)
            if text == MF.END:
                self.ended = True
            return
        tok = text.split(",")
        name = tok[0]
        size = self._sizes.get(name)
        if size is None:
            raise ModelError("line %d: unknown record %r" % (num, name[:16]))
        if not 2 <= len(tok) <= PER_LINE + 1:
            raise ModelError("line %d: %s record needs 1..%d values" % (num, name, PER_LINE))
        at = self._fill[name]
        a = self._arrays[name] if self._arrays is not None else None
        for t in tok[1:]:
            try:
                v = int(t) if name in _INTS else float(t)
            except ValueError:
                raise ModelError("line %d: %s value %r is not a number" % (num, name, t[:20]))
            if not isfinite(v):
                raise ModelError("line %d: %s value is NaN or infinite" % (num, name))
            if at >= size:
                raise ModelError("line %d: more %s values than the metadata's %d"
                                 % (num, name, size))
            if a is not None:
                a[at] = v
            at += 1
        self._fill[name] = at

    def _meta(self, meta):
        if meta.get("kind") != KIND:
            raise ModelError("this is a %r model, not an anomaly model" % (meta.get("kind"),))
        self._sizes = _sizes(meta)
        self._callers_check(meta)
        self.meta = meta
        self._fill = {k: 0 for k in self._sizes}
        if self.build:
            self._arrays = {k: array("h" if k in _INTS else "f", bytes(
                (2 if k in _INTS else 4) * self._sizes[k])) for k in self._sizes}

    def finish(self, expected_hash=None):
        self._last_line()
        if self.meta is None:
            raise ModelError("empty model file (no %s metadata line)" % MF.META_PREFIX[:-1])
        if not self.ended:
            raise ModelError("truncated: no %s line" % MF.END)
        for k in self._sizes:
            if self._fill[k] != self._sizes[k]:
                raise ModelError("metadata says %d %s values, the file has %d (truncated or "
                                 "edited?)" % (self._sizes[k], k, self._fill[k]))
        if self._arrays is not None:
            try:
                self.model = AnomalyModel(self.meta, self._arrays, self.impl)
            except ValueError as e:
                raise ModelError(str(e))
            self._arrays = None
        return {"hash": self._digest(expected_hash), "bytes": self.bytes, "kind": KIND,
                "scorer": self.meta["scorer"], "values": sum(self._sizes.values()),
                "meta": self.meta}


class AnyReader:
    """Either kind of model file: holds the pieces of the first line until it is whole (as
    the readers do: no copy of the line is made), looks for the anomaly format's name in it,
    then hands the pieces to modelformat.Reader (classes) or Reader (anomaly), which parse
    and check everything; same feed/finish/number. finish() adds "kind" to a classes model's
    summary."""

    def __init__(self, **kw):
        self.kw = kw
        self.r = None
        self._held = []
        self._n = 0
        self._tail = b""
        self._anomaly = False

    @property
    def number(self):
        return self.r.number if self.r is not None else 0

    def feed(self, data):
        if self.r is not None:
            self.r.feed(data)
            return
        if isinstance(data, str):
            data = data.encode()
        nl = data.find(b"\n")
        part = data if nl < 0 else data[:nl]
        if not self._anomaly:   # across the pieces' boundaries too
            seen = self._tail + part
            self._anomaly = seen.find(_MARK) >= 0
            self._tail = seen[-(len(_MARK) - 1):]
        self._held.append(data)
        self._n += len(data)
        if nl < 0:
            MF.check_start(self._held)
            if self._n > self.kw.get("max_line", MF.MAX_LINE):
                raise ModelError("line 1 longer than %d bytes"
                                 % self.kw.get("max_line", MF.MAX_LINE))
            return
        self._dispatch()

    def _dispatch(self):
        held, self._held = self._held, None
        if self._anomaly:
            self.r = Reader(**self.kw)
        else:
            kw = dict(self.kw)
            kw.pop("impl", None)
            self.r = MF.Reader(True, **kw)
        for p in held:
            self.r.feed(p)

    def finish(self, expected_hash=None):
        if self.r is None:
            if not self._n:
                raise ModelError("empty model file (no %s metadata line)" % MF.META_PREFIX[:-1])
            self._dispatch()
        s = self.r.finish(expected_hash)
        if "kind" not in s:
            s["kind"] = "classes"
        return s

    @property
    def model(self):
        return self.r.model if self.r is not None else None


def make_meta(model, features, window, hysteresis=(3, 5), **extra):
    """The metadata dict of a fitted shared.anomaly.Anomaly (sizes, threshold, hysteresis)."""
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": KIND, "scorer": model.kind,
            "features": list(features), "window": dict(window or {}),
            "threshold": float(model.threshold), "hysteresis": list(hysteresis),
            "d": model.std.d}
    if model.kind == "gmm":
        meta["k"], meta["cov"] = model.params["k"], model.params["type"]
    for k in extra:
        if k not in meta:
            meta[k] = extra[k]
    return meta


def _arrays_of(model):
    std, p = model.std, model.params
    out = [("keep", std.keep), ("mean", std.mean), ("inv", std.inv)]
    if model.kind == "envelope":
        out += [("mu", p["mean"]), ("prec", p["precision"])]
    elif model.kind == "gmm":
        out += [("means", p["means"]), ("chol", p["prec_chol"]), ("logw", p["log_weights"])]
    else:
        raise ModelError("the device runs %s models, not %r" % (", ".join(ANOMALY_SCORERS),
                                                                model.kind))
    return out


def write(stream, model, meta):
    """Write a fitted shared.anomaly.Anomaly with meta (dict: "window", "features",
    "hysteresis" [n, m], anything else is kept; or make_meta()'s) to a text stream."""
    if meta.get("format") != FORMAT:
        extra = {}
        for k in meta:
            if k not in ("features", "window", "hysteresis"):
                extra[k] = meta[k]
        meta = make_meta(model, meta.get("features") or [], meta.get("window"),
                         meta.get("hysteresis") or (3, 5), **extra)
    MF._finite(meta)
    sizes = _sizes(meta)
    if len(meta["features"]) != model.std.D:
        raise ModelError("metadata lists %d features, the model has %d"
                         % (len(meta["features"]), model.std.D))
    arrays = _arrays_of(model)
    w = stream.write
    w(MF.META_PREFIX + json.dumps(meta) + "\n")
    for name, vals in arrays:
        if len(vals) != sizes[name]:
            raise ModelError("%s: %d values, the metadata promises %d"
                             % (name, len(vals), sizes[name]))
        if name not in _INTS:
            vals = array("f", vals)     # the values the device's float32 arrays hold, exactly
        for i in range(0, len(vals), PER_LINE):
            if name in _INTS:
                w(name + "," + ",".join(["%d" % v for v in vals[i:i + PER_LINE]]) + "\n")
            else:
                part = vals[i:i + PER_LINE]
                for v in part:
                    if not isfinite(v):
                        raise ModelError("%s holds NaN or infinity (or a value past float32)"
                                         % name)
                w(name + "," + ",".join(["%.9g" % v for v in part]) + "\n")
    w(MF.END + "\n")


def dumps(model, meta):
    """The model file as text (see write())."""
    out = []
    write(MF._Writer(out), model, meta)
    return "".join(out)


def loads(data, build=True, **kw):
    """Read an anomaly file held in memory (str or bytes); returns the AnomalyModel (build)
    or the summary dict. ModelError with the reason."""
    r = Reader(build=build, **kw)
    r.feed(data)
    s = r.finish()
    if build:
        r.model.meta = s["meta"]
        return r.model
    return s

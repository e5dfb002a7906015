# The classifier model on the device: the atomic store <data>/model.csv (temp file, flush,
# rename; shared.modelformat.Reader checks the bytes as they stream in, with model_check's
# device-specific hook), boot recovery, and the loader (emlearn_trees C module when importable,
# else shared.model's predictor over arrays the same Reader fills, build=True).
# Memory: a loaded model is its trees (C: one block of 8 bytes per node; Python: four arrays,
# 7 bytes per node), its quantiser as arrays and a few fields: no metadata dict is kept. The
# reader and the hook modules are imported on demand and dropped after use (bytecode is heap
# unless frozen).
#
# Regression models (kind "regress", shared.regressformat): the same store; model_regress
# (imported for one) runs them in emlearn_trees (leaf_bits 32) or shared's RegressionModel.
#
# Anomaly models (shared.anomalyformat, "kind": "anomaly"): the same file, store, checks and
# upload; the loader builds AnomalyLoaded (shared.anomalymodel: standardiser arrays + the
# emlearn_distance / emlearn_mixture scorer, at most MAX_ANOMALY_VALUES + 3 d floats) instead
# of trees, and drops the reader's modules after. The
# upload reads either kind with anomalyformat.AnyReader (it picks the reader by line 1).
#
# A model trained on the device (POST /api/train) keeps its evaluation beside it: <data>/
# trained.json, its hash on line 1 and the evaluation's JSON on line 2 (at most TRAINED_MAX
# bytes), written to trained.tmp before the model's rename and renamed after it; any other
# install removes it, and GET /api/model splices it in only when its hash is the running
# model's (a cut between the renames never credits the wrong model). Nothing kept in RAM.
#
# Model hash: sha256 of the whole file's bytes, lower-case hex (shared.pipeline.model_hash);
# an uploader may send the hash it expects (X-Model-Hash) and a mismatch is refused.
# Window settings the model needs, from its metadata "window" object: "rate" (Hz) and
# "window" (samples; also read as "n_samples" or "length"); "channels" (a count or a list of
# names) if present. "scale" is not compared: features are in physical units.
import gc
import os
import sys
from array import array

import asyncio

import board

FILE = "model.csv"
TMP = "model.tmp"
TRAINED = "trained.json"       # a device-trained model's evaluation (hash line, JSON line)
TRAINED_MAX = 8192             # its largest size in bytes (64 sessions' per_session fit)
MAX_BYTES = board.MODEL_BYTES   # the largest model file (the board's: flash and heap)
_CHUNK = 512               # loading reads this much, then yields (sampling goes on)
_READER = "shared.modelformat"
_AREADER = "shared.anomalyformat"


def _feature_names(n):
    from shared.features import feature_names
    return feature_names(n)


def expectations(acq):
    """What the running acquisition computes: rate, window, channels, the motion feature
    names (a model naming another feature set is compared with that set's: model_check)."""
    chans = list(acq.sensor.channels)
    return {"rate": acq.rate(), "window": acq.cfg["window"], "channels": chans,
            "features": _feature_names(len(chans)),   # default axis names, as the trainer
            "sensor": acq.cfg.get("sensor"),
            "value_unit": getattr(acq.sensor, "value_unit", None)}   # what it measures, if known


def _sig(names):
    import hashlib
    h = hashlib.sha256()
    for n in names:
        h.update(n.encode())
        h.update(b",")
    return h.digest()


class Loaded:
    """A model ready to classify: predict(q, scores) -> class index (ties: lowest index).
    Keeps no metadata dict (GET /api/model reads it from the file): classes, the quantiser
    (as arrays), the window settings and a digest of the feature names."""

    def __init__(self, info, impl, trees):
        meta = info["meta"]
        self.hash = info["hash"]
        self.classes = meta["classes"]
        self.n_features = len(meta["features"])
        self.n_classes = len(self.classes)
        self.nodes = info["nodes"]
        self.leaves = info["leaves"]
        self.trees = info["trees"]
        self.bytes = info["bytes"]
        self.smooth = meta.get("smooth", 1)
        self.impl = impl
        self._t = trees
        self.window = _window(meta)
        self._names = _sig(meta["features"])
        from shared.quant import Quantizer
        q = Quantizer.from_dict(meta["quant"])
        # powers of two are exact in float32, so the arrays quantise exactly like the lists
        q.factors = array("f", q.factors)
        q.shifts = array("b", q.shifts)
        if max(q.offsets) < (1 << 31) and min(q.offsets) >= -(1 << 31):
            q.offsets = array("i", q.offsets)
        self.quant = q

    kind = "classes"

    def fits(self, expect):
        """None when the model fits the running acquisition (expectations()), else why."""
        return _fits(self.window, self._names, expect)

    def predict(self, q, scores):
        t = self._t
        if self.impl == "c":
            t.predict(q, scores)
        else:
            v = t.votes(q)
            n = self.trees
            for c in range(self.n_classes):
                scores[c] = v[c] / n
        best = 0
        for c in range(1, self.n_classes):
            if scores[c] > scores[best]:
                best = c
        return best

    def summary(self):
        return {"hash": self.hash, "classes": self.classes, "nodes": self.nodes,
                "leaves": self.leaves, "trees": self.trees, "bytes": self.bytes,
                "features": self.n_features, "impl": self.impl, "smooth": self.smooth}


def _window(meta):
    w = meta.get("window") or {}
    ch = w.get("channels")
    n = w.get("window", w.get("n_samples", w.get("length")))
    return (w.get("rate"), n, ch if isinstance(ch, int) or ch is None else len(ch))


def _fits(window, names, expect, feature_set="motion"):
    from shared.protocol import same_rate   # (loaded with the framer on the device)
    r, n, ch = window
    have = len(expect["channels"])
    if not same_rate(r, expect["rate"]) or n != expect["window"] or \
            (ch is not None and ch != have):
        return ("the model is for %s Hz windows of %s samples (%s channels); the device "
                "runs %.6g Hz, %d samples, %d channels"
                % (r, n, ch, expect["rate"], expect["window"], have))
    if _sig(_set_names(feature_set, expect)) != names:
        return "the model's features differ from what the device computes"
    return None


def _set_names(fs, expect):
    if fs == "motion":
        return expect["features"]
    from shared.features import set_names
    return set_names(fs, len(expect["channels"]))


class AnomalyLoaded:
    """An anomaly model ready to score (shared.anomalyformat.AnomalyModel in .model):
    classes ("normal", "anomaly") name the state in the history, pred.bin, flagged windows;
    threshold, hysteresis (n, m); no metadata dict kept."""
    kind = "anomaly"
    classes = ("normal", "anomaly")
    n_classes = 2
    smooth = 1
    nodes = leaves = trees = 0

    def __init__(self, info, model):
        meta = info["meta"]
        self.hash = info["hash"]
        self.bytes = info["bytes"]
        self.model = model
        self.impl = model.impl
        self.scorer = model.scorer_kind
        self.threshold = model.threshold
        self.hysteresis = model.hysteresis
        self.n_features = model.D
        self.window = _window(meta)
        self._names = _sig(meta["features"])

    def fits(self, expect):
        return _fits(self.window, self._names, expect)

    def summary(self):
        return {"hash": self.hash, "kind": "anomaly", "scorer": self.scorer,
                "classes": list(self.classes), "threshold": self.threshold,
                "hysteresis": list(self.hysteresis), "kept_features": self.model.d,
                "bytes": self.bytes, "features": self.n_features, "impl": self.impl}

    def describe(self):
        return "anomaly %s, %d of %d features, %s" % (self.scorer, self.model.d,
                                                      self.n_features, self.impl)


_PIECE = 128   # bytes of the metadata line read at a time (no block of the line's size)


def _meta_pieces(f, buf):
    # the pieces of the metadata line after "#motebook-model," (validated: one line)
    skip = True
    while True:
        n = f.readinto(buf)
        if not n:
            return
        p = bytes(buf[:n])
        if skip:
            p = p[p.find(b",") + 1:]
            skip = False
        k = p.find(b"\n")
        if k >= 0:
            yield p[:k].rstrip()
            return
        yield p


def meta_json(path, head, tail):
    """(length, generator) of head + the metadata line's JSON text + tail, read from a stored
    model file 128 bytes at a time as it is sent: the line (up to 16 KB) is never held
    whole, as a fragmented heap may have no block of its size."""
    head, tail = head.encode(), tail.encode()   # lengths in bytes (class names may be UTF-8)
    buf = bytearray(_PIECE)
    with open(path, "rb") as f:
        n = len(head) + len(tail) + sum(len(p) for p in _meta_pieces(f, buf))

    def gen():
        yield head
        with open(path, "rb") as f:
            for p in _meta_pieces(f, buf):
                yield p
        yield tail
    return n, gen()


def _c_module():
    try:
        import emlearn_trees
        return emlearn_trees
    except ImportError:
        return None


async def load(path, info, impl="auto"):
    """Build the predictor for a validated file. impl "auto": C module when importable."""
    if info.get("kind") == "anomaly":
        return await _load_anomaly(path, info, impl)
    if (info.get("meta") or {}).get("kind") == "regress":
        try:
            import model_regress      # (its bytecode only where a regression model runs)
        except ImportError:           # (an image without it: boards/modules.py)
            raise ValueError("this board's firmware runs no regression models")
        return await model_regress.load(path, info, impl)
    et = _c_module() if impl in ("auto", "c") else None
    if impl == "c" and et is None:
        raise ValueError("emlearn_trees is not available")
    gc.collect()
    if et is not None:
        try:
            # emlearn's nodes are one block of 8 bytes per node: on a fragmented heap it may
            # not fit where the Python predictor's four smaller arrays still do
            m = et.new(info["trees"], info["nodes"], info["leaves"])
            with open(path, "r") as f:
                et.load_model(m, f)
            return Loaded(info, "c", m)
        except MemoryError:
            if impl == "c":
                raise
            m = None
            gc.collect()
            print("motebook: no %d-byte block for emlearn_trees; using the Python predictor"
                  % (8 * info["nodes"]))
    r = _reader(build=True)
    try:
        await _read_into(path, r)
        r.finish()
        t = r.model
    finally:
        r = None
        forget(_READER)
    t.meta = None          # Loaded keeps what it needs of the metadata
    return Loaded(info, "python", t)


async def _load_anomaly(path, info, impl):
    gc.collect()
    from shared.anomalyformat import Reader
    r = Reader(build=True, max_bytes=MAX_BYTES, impl="python" if impl == "python" else "auto")
    try:
        await _read_into(path, r)
        if board.MODEL_LOAD_FAIL > 0:     # (simulator tests)
            board.MODEL_LOAD_FAIL -= 1
            raise MemoryError("MOTEBOOK_MODEL_LOAD_FAIL")
        r.finish()
        return AnomalyLoaded(info, r.model)
    finally:
        r = None
        # the loaded model needs none of these (shared.anomalymodel and the C scorer): their
        # globals are several KB of heap even frozen
        forget(_AREADER, _READER, "shared.model", "shared.envelope", "shared.gmm",
               "shared.linalg")


async def _read_into(path, reader):
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            reader.feed(chunk)
            await asyncio.sleep_ms(0)


def _reader(**kw):
    from shared.modelformat import Reader
    return Reader(max_bytes=MAX_BYTES, **kw)


def checker(expect=None):
    """A shared.anomalyformat.AnyReader (either kind of model) that hashes and applies model_check's device checks:
    feed(chunk)... finish(expected_hash) -> summary dict (the modules are imported on demand;
    forget() drops them)."""
    import model_check
    from shared.anomalyformat import AnyReader
    return AnyReader(max_bytes=MAX_BYTES, check_meta=model_check.check_meta(expect),
                     digest=True)


def forget(*names):
    """Drop modules imported on demand (default: the reader and the device's hook), so their
    bytecode can be collected (it is on the heap unless the firmware is frozen)."""
    for name in names or ("model_check", _AREADER, _READER):
        try:
            del sys.modules[name]
        except KeyError:
            pass
        pkg, _, attr = name.rpartition(".")
        if pkg and pkg in sys.modules:
            try:
                delattr(sys.modules[pkg], attr)
            except (AttributeError, TypeError, KeyError):
                pass
    gc.collect()


async def check(path, expect=None):
    """Validate a stored file; returns the Reader's summary dict or raises ValueError/OSError."""
    ck = checker(expect)
    try:
        await _read_into(path, ck)
        return ck.finish()
    finally:
        ck = None
        forget()


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class Store:
    """<data>/model.csv and the running model (self.current, a Loaded or None)."""

    def __init__(self, data_dir, impl="auto"):
        self.path = data_dir + "/" + FILE
        self.tmp = data_dir + "/" + TMP
        self.trained = data_dir + "/" + TRAINED
        self.impl = impl
        self.current = None
        self.problem = None     # why the stored model is not running (boot), or None
        self.busy = False       # an upload is in progress (the lock)
        self.changed = 0        # bumped on every install/removal (inference rebuilds buffers)

    async def boot(self):
        """Load the stored model if valid; drop a leftover temp file from a cut-off write."""
        if _exists(self.tmp):
            print("motebook: removing an unfinished model upload (%s)" % self.tmp)
        self.discard_upload()
        if not _exists(self.path):
            return
        try:
            info = await check(self.path)
            self._set(await load(self.path, info, self.impl))
            print("motebook: model %s loaded (%s)" % (self.current.hash, describe(self.current)))
        except (ValueError, OSError, MemoryError) as e:
            self.problem = "stored model not loaded: %s" % e
            print("motebook:", self.problem)

    def discard_upload(self):
        """Remove the temp file of an upload (a refused or cut one); nothing if none."""
        _remove(self.tmp)
        _remove(self.trained + ".tmp")

    def keep_trained(self, ans):
        """The evaluation of a model trained on the device (ans: POST /api/train's answer,
        with its hash), written to trained.tmp: install() makes it the model's."""
        import json
        with open(self.trained + ".tmp", "w") as f:
            f.write(ans["hash"] + "\n")
            json.dump(ans, f)      # (streamed: no text of it in RAM)
            f.write("\n")
            big = f.tell() > TRAINED_MAX
        if big:                    # (not kept: GET /api/model says nothing of it)
            _remove(self.trained + ".tmp")

    def trained_json(self):
        """The running model's on-device evaluation as JSON text, or None (sent by a page)."""
        m = self.current
        try:
            if m is None or os.stat(self.trained)[6] > TRAINED_MAX:
                return None
            with open(self.trained) as f:
                if f.readline().strip() != m.hash:
                    return None
                return f.readline().strip() or None
        except OSError:
            return None

    def _set(self, loaded):
        self.current = loaded
        self.problem = None
        self.changed += 1
        gc.collect()

    async def install(self, info):
        """The validated temp file becomes the model: load it (the old one keeps running if
        that fails), then rename it over model.csv and switch."""
        try:
            try:
                new = await load(self.tmp, info, self.impl)
            except MemoryError:
                if self.current is None:
                    raise
                new = await self._in_place(info)
        except MemoryError:
            gc.collect()
            if info.get("kind") == "anomaly":
                if 8 * info["values"] < gc.mem_free():
                    raise
                raise ValueError("model too big for the device's RAM (%d values)"
                                 % info["values"])
            if 64 * (info["nodes"] + info["leaves"]) < gc.mem_free():
                raise   # a small model on a busy heap: the upload answers 503 (retry)
            raise ValueError("model too big for the device's RAM (%d nodes, %d trees)"
                             % (info["nodes"], info["trees"]))
        except ValueError as e:   # the C loader disagreeing with our checker
            raise ValueError("model not loadable: %s" % e)
        os.rename(self.tmp, self.path)
        if _exists(self.trained + ".tmp"):   # trained on the device: its evaluation too
            os.rename(self.trained + ".tmp", self.trained)
        else:
            _remove(self.trained)
        sync()
        self._set(new)
        return new

    async def _in_place(self, info):
        """Load the new model in place of the running one (the heap holds one of them, not
        both: a scorer's parameters are held twice while they load); when even that fails,
        the old one is loaded again and MemoryError raised."""
        print("motebook: no room for two models: the new one loads in place of the old")
        self.current = None
        self.changed += 1
        gc.collect()
        try:
            return await load(self.tmp, info, self.impl)
        except MemoryError:
            gc.collect()
            try:
                self._set(await load(self.path, await check(self.path), self.impl))
            except (ValueError, OSError, MemoryError) as e:
                self.problem = "previous model not reloaded: %s" % e
            raise

    def remove(self):
        _remove(self.path)
        _remove(self.trained)
        sync()
        self.current = None
        self.problem = None
        self.changed += 1
        gc.collect()


def describe(m):
    """One line about a loaded model (boot and upload messages)."""
    if m.kind != "classes":
        return m.describe()
    return "%d trees, %d nodes, %s" % (m.trees, m.nodes, m.impl)


def sync():
    """Flush the flash filesystem (ESP32) after a rename; nothing where os has no sync."""
    s = getattr(os, "sync", None)   # ESP32: flush the flash filesystem; absent on unix
    if s is not None:
        s()

# Labelled windows -> features -> int16 quantiser -> trained tree ensemble -> model file text
# with metadata and hash, plus holdout or k-fold metrics: the one path the page (and the tests)
# use to train, and Classifier, the matching window -> class path for a trained model.
# Memory: one float32 feature row per window (n_windows x n_features x 4 bytes), then one flat
# array('h') of the quantised features; the windows themselves are only read.
#
#   p = Pipeline(windows, labels, ["idle", "walking"], {"rate": 100, "window": 128, "hop": 64,
#                "channels": 3, "scale": 1 / 4096}, n_trees=10, seed=1)
#   for progress in p.steps():            # {"stage", "done", "total", "fraction"}
#       await asyncio.sleep_ms(1)         # the page stays responsive (in the browser's
#                                         # asyncio sleep(0) does not return to JavaScript)
#   r = p.result   # {"text", "hash", "model", "metrics", "size", "predict_us", "params", ...}
#
# The deployed model: with a holdout (folds=0) it is the model trained on the training part, so
# the reported metrics describe exactly that model; with folds=k the metrics pool k models and
# the deployed model is trained on all windows. The quantiser is fitted on the training windows.
# Model text = shared.modelformat's file with the metadata line in canonical JSON (sorted keys,
# compact), so the same windows and seed give the same bytes and hash on every runtime.
from array import array
import binascii
import hashlib

try:
    import ujson as json
except ImportError:
    import json

from shared import evaluate as E
from shared import modelformat as MF
from shared.features import FeatureExtractor
from shared.quant import Quantizer
from shared.trainer import Trainer, index_array

DEFAULTS = {"n_trees": 10, "max_depth": 12, "min_samples_leaf": 1, "max_features": None,
            "seed": 1, "method": "extra"}
_WINDOW_KEYS = ("rate", "window", "channels", "scale")


def canonical_json(v):
    """JSON with sorted keys and no spaces: identical text on CPython and MicroPython (whose
    dicts do not keep insertion order)."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + canonical_json(v[k])
                              for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(canonical_json(x) for x in v) + "]"
    return json.dumps(v)


def model_text(model, meta):
    """The model file (shared.modelformat) with its metadata line in canonical JSON."""
    text = MF.dumps(model, meta)
    head, rest = text.split("\n", 1)
    return MF.META_PREFIX + canonical_json(json.loads(head[len(MF.META_PREFIX):])) + "\n" + rest


def model_hash(text):
    """sha256 of the model file's bytes, lower-case hex (what the device reports)."""
    data = text.encode() if isinstance(text, str) else text
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def check_window(window):
    for k in _WINDOW_KEYS:
        if k not in window:
            raise ValueError("window settings need %s" % ", ".join(_WINDOW_KEYS))
    return window


def extractor(window, fft="auto"):
    check_window(window)
    return FeatureExtractor(window["channels"], window["window"], window["rate"], fft=fft)


def quantise_rows(rows, qz, X=None, start=0, end=None):
    """Flat row-major array('h') of the quantised feature rows (rows start..end into X)."""
    nf = qz.n_features
    if X is None:
        X = array("h", [0] * (len(rows) * nf))
    q = array("h", [0] * nf)
    for i in range(start, len(rows) if end is None else end):
        qz.quantize_into(rows[i], q)
        b = i * nf
        for j in range(nf):
            X[b + j] = q[j]
    return X


class Pipeline:
    """windows: channel-major int16 arrays (channels x window samples each, raw counts; physical
    value = count * scale), any sequence with len() and [i] (e.g. a reader over recorded
    session files, so the windows need not all be in RAM; each is read once); labels: class
    names (in classes) or class numbers, one per window; window: {"rate", "window" (samples),
    "channels", "scale", optional "hop"}; parameters as shared.trainer.Trainer (DEFAULTS);
    test_fraction for the holdout, or folds=k for k-fold."""

    def __init__(self, windows, labels, classes, window, test_fraction=0.25, folds=0,
                 split_seed=1, fft="auto", yield_every=200, **params):
        if len(windows) != len(labels):
            raise ValueError("%d windows but %d labels" % (len(windows), len(labels)))
        self.classes = list(classes)
        self.y = bytearray(self.classes.index(c) if isinstance(c, str) else c for c in labels)
        self.windows = windows
        self.window = dict(check_window(window))
        self.test_fraction, self.folds, self.split_seed = test_fraction, folds, split_seed
        self.fft = fft
        self.yield_every = yield_every
        self.params = dict(DEFAULTS)
        for k in params:
            if k not in DEFAULTS and k not in ("bootstrap",):
                raise ValueError("unknown training parameter %r" % k)
            self.params[k] = params[k]
        self.result = None
        if len(self.y) < 4 or len(set(self.y)) < 2:
            raise ValueError("need at least 4 windows of at least 2 classes")

    def steps(self):
        """Do the work in small steps, yielding {"stage", "done", "total", "fraction"}."""
        fe = extractor(self.window, self.fft)
        scale = self.window["scale"]
        n = len(self.windows)
        rows = []
        for i in range(n):
            rows.append(fe.compute(self.windows[i], fe.new_output(), scale))
            if i % 20 == 19:
                yield _progress("features", i + 1, n, 0.4 * (i + 1) / n)
        y = self.y
        nc = len(self.classes)
        if self.folds:
            runs = E.stratified_kfold(y, self.folds, self.split_seed, nc)
            runs.append((index_array(n), None))   # the deployed model: all windows
        else:
            runs = [E.stratified_split(y, self.test_fraction, self.split_seed, nc)]
        cm = None
        for r in range(len(runs)):
            train, test = runs[r]
            qz = Quantizer.fit([rows[i] for i in train])
            yield _progress("quantise", 0, n, 0.4)
            X = array("h", [0] * (n * fe.n_features))
            for i in range(0, n, 200):
                quantise_rows(rows, qz, X, i, min(n, i + 200))
                yield _progress("quantise", min(n, i + 200), n, 0.4)
            t = Trainer(X, y, fe.n_features, nc, rows=train, yield_every=self.yield_every,
                        **self.params)
            for p in t.steps():
                yield _progress("train", r * t.n_trees + p["tree"], len(runs) * t.n_trees,
                                0.4 + 0.55 * (r + p["done"]) / len(runs))
            model = t.model()
            if test is not None:
                m = E.evaluate(model, X, y, test)
                cm = m["confusion"] if cm is None else E.add_confusion(cm, m["confusion"])
        yield _progress("evaluate", 0, 3, 0.95)
        meta = MF.make_meta(fe.names, self.classes, qz, self.window, trainer=t.params(),
                            n_train=len(train))
        text = model_text(model, meta)
        model.meta = MF.loads(text).meta     # what a reader of the file sees (with counts)
        yield _progress("evaluate", 1, 3, 0.97)
        held = runs[0][1]
        us = E.time_predict(model, X, held, min_us=30000)
        yield _progress("evaluate", 2, 3, 0.99)
        self.result = {"text": text, "hash": model_hash(text), "model": model,
                       "metrics": E.metrics(cm, self.classes),
                       "size": E.model_size(model, text), "params": t.params(),
                       "validation": ("%d-fold" % self.folds) if self.folds else "holdout",
                       "predict_us": us, "n_windows": n, "n_train": len(train),
                       "features": fe.names}
        yield _progress("done", 1, 1, 1.0)

    def run(self):
        """All steps at once (blocking); returns the result dict."""
        for _ in self.steps():
            pass
        return self.result


def _progress(stage, done, total, fraction):
    return {"stage": stage, "done": done, "total": total, "fraction": fraction}


class SessionWindows:
    """Labelled recordings as a lazy sequence of windows for Pipeline: sessions is a list of
    (samples, label), samples interleaved int16 (x0, y0, z0, x1, ...) as recorded; windows of
    `window` samples every `hop` samples, as the device cuts them. [i] fills and returns one
    shared channel-major buffer (use it before asking for the next); .labels has one label
    per window. Memory: the buffer and two index arrays."""

    def __init__(self, sessions, channels, window, hop):
        if window < 1 or hop < 1:
            raise ValueError("window and hop must be >= 1")
        self.channels, self.window = channels, window
        self.labels = []
        where, start = [], []
        for s in range(len(sessions)):
            samples, label = sessions[s]
            n = len(samples) // channels
            for k in range(0, n - window + 1, hop):
                where.append(s)
                start.append(k)
                self.labels.append(label)
        self._sessions = sessions
        self._where = index_array(len(sessions), where)
        self._start = array("I", start)
        self._buf = array("h", [0] * (channels * window))

    def __len__(self):
        return len(self._start)

    def __getitem__(self, i):
        src = self._sessions[self._where[i]][0]
        nch, n, buf = self.channels, self.window, self._buf
        base = self._start[i] * nch
        for c in range(nch):
            o = c * n
            for k in range(n):
                buf[o + k] = src[base + k * nch + c]
        return buf


class Classifier:
    """Window -> class with a trained model (the same code path as training): features from
    the model's window settings, its quantiser, then its trees (our predictor, or an object
    with predict(x) such as a wrapper around emlearn_trees)."""

    def __init__(self, model, fft="auto", predictor=None):
        meta = model.meta
        self.model = model
        self.window = check_window(meta["window"])
        self.fe = extractor(self.window, fft)
        if self.fe.names != meta["features"]:
            raise ValueError("the model's features differ from what this code computes")
        self.qz = Quantizer.from_dict(meta["quant"])
        self.classes = meta["classes"]
        self._out = self.fe.new_output()
        self.q = array("h", [0] * self.qz.n_features)
        self._predict = predictor.predict if predictor is not None else model.predict

    def classify(self, samples, scale=None):
        """Class number of one channel-major window (int16 counts times scale)."""
        self.fe.compute(samples, self._out, self.window["scale"] if scale is None else scale)
        self.qz.quantize_into(self._out, self.q)
        return self._predict(self.q)

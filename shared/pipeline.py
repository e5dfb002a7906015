# Labelled windows -> features -> int16 quantiser -> trained tree ensemble -> model file text
# with metadata and hash, plus an honest estimate of how good it is: the one path the page (and
# the tests) use to train, and Classifier, the matching window -> class path for a model.
# Memory: one float32 feature row per window (n_windows x n_features x 4 bytes), then one flat
# array('h') of the quantised features; the windows themselves are only read.
#
#   p = Pipeline(windows, labels, ["idle", "walking"], {"rate": 100, "window": 128, "hop": 64,
#                "channels": ["x", "y", "z"]}, groups=session_ids, scales=scales, n_trees=10)
#   for progress in p.steps():            # {"stage", "done", "total", "fraction"}
#       await asyncio.sleep_ms(1)         # the page stays responsive (in the browser's
#                                         # asyncio sleep(0) does not return to JavaScript)
#   r = p.result   # {"text", "hash", "model", "metrics", "validation", "baseline", ...,
#                  #  "heldout": {"index", "truth", "pred"}: every tested window's prediction}
#
# Scales: a window's samples are counts of its own recording's scale (scales[i]; physical
# value = count * scale), so recordings of other sensors and imports train together.
# Validation (see shared/evaluate.py): with groups (the session of each window) windows are
# split by session: {"method": "kfold", "folds": 5} (default) or {"method": "test",
# "sessions": [ids]}; without groups, by window ({"method": "windows"}: test_fraction holdout
# or folds=k), which overlapping windows make optimistic, and the result says so.
# The deployed model: trained on all windows after a k-fold (the metrics pool k models);
# trained on the training sessions/windows alone after a holdout, so the metrics describe
# exactly that model. The quantiser is fitted on the training windows.
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
from shared.model import zeros_h
from shared.quant import Quantizer
from shared.trainer import Trainer, index_array

try:
    from emlearn_arrayutils import quantize_rows as _qr   # noqa: F401  (ours, not upstream's)
    import emlearn_arrayutils as _au
except ImportError:
    _au = None

DEFAULTS = {"n_trees": 10, "max_depth": 12, "min_samples_leaf": 1, "max_features": None,
            "seed": 1, "method": "extra"}
_WINDOW_KEYS = ("rate", "window", "channels")
FOLDS = 5            # default k of the k-fold by session


# JSON with sorted keys and no spaces (in modelformat: the device writes model files without
# this module)
canonical_json = MF.canonical_json


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


def n_channels(window):
    """Channel count of window settings whose "channels" is a list of names or a count."""
    ch = window["channels"]
    return ch if isinstance(ch, int) else len(ch)


def extractor(window, fft="auto"):
    check_window(window)
    return FeatureExtractor(n_channels(window), window["window"], window["rate"], fft=fft)


def quantise_rows(rows, qz, X=None, start=0, end=None):
    """Flat row-major array('h') of the quantised feature rows (rows start..end into X)."""
    nf = qz.n_features
    if X is None:
        X = array("h", [0] * (len(rows) * nf))
    fs, os_ = qz.factors, qz.offsets
    end = len(rows) if end is None else end
    if _au is not None and isinstance(rows, list):
        try:   # our emlearn_arrayutils: the same operations in C (issue 22)
            _au.quantize_rows(rows, fs, os_, X, start, end)
            return X
        except (ValueError, TypeError, OverflowError):
            pass
    cols = range(nf)
    for i in range(start, end):
        r = rows[i]
        b = i * nf
        for j in cols:   # shared.quant.quantize_value inlined (the same ops, ~2x faster)
            v = r[j] * fs[j] - os_[j]
            if v != v:               # x was NaN (a factor is a non-zero power of two)
                q = 0
            elif v <= -32768:
                q = -32768
            elif v >= 32767:
                q = 32767
            else:
                q = int(v)
                fr = v - q
                if fr >= 0.5:
                    q += 1
                elif fr <= -0.5:
                    q -= 1
            X[b + j] = q
    return X


class Pipeline:
    """windows: channel-major int16 arrays (channels x window samples each, raw counts; physical
    value = count * scale), any sequence with len() and [i] (e.g. a reader over recorded
    session files, so the windows need not all be in RAM; each is read once); labels: class
    names (in classes) or class numbers, one per window; window: {"rate", "window" (samples),
    "channels" (names, or a count), optional "hop", "scale"}; groups: the session of each
    window (enables the split by session); scales: each window's scale (default
    window["scale"]); validation: see the header; parameters as shared.trainer.Trainer."""

    def __init__(self, windows, labels, classes, window, groups=None, scales=None,
                 validation=None, test_fraction=0.25, folds=0, split_seed=1, fft="auto",
                 yield_every=200, stretches=None, **params):
        n = len(windows)
        if len(labels) != n:
            raise ValueError("%d windows but %d labels" % (n, len(labels)))
        for name, v in (("groups", groups), ("scales", scales)):
            if v is not None and len(v) != n:
                raise ValueError("%d windows but %d %s" % (n, len(v), name))
        self.classes = list(classes)
        self.y = bytearray(self.classes.index(c) if isinstance(c, str) else c for c in labels)
        self.windows, self.groups, self.scales = windows, groups, scales
        self.window = dict(check_window(window))
        if scales is None and not self.window.get("scale"):
            raise ValueError("give the windows' scales (or window['scale'])")
        if validation is None:
            validation = {"method": "kfold", "folds": FOLDS} if groups is not None else \
                {"method": "windows", "folds": folds, "test_fraction": test_fraction}
        self.validation = _check_validation(validation, groups)
        self.split_seed = split_seed
        self.stretches = stretches     # LabelledWindows.stretches keyed by groups' values
        self.fft = fft
        self.yield_every = yield_every
        self.params = dict(DEFAULTS)
        for k in params:
            if k not in DEFAULTS and k not in ("bootstrap", "impl"):
                raise ValueError("unknown training parameter %r" % k)
            self.params[k] = params[k]
        self.result = None
        if len(self.y) < 4 or len(set(self.y)) < 2:
            raise ValueError("need at least 4 windows of at least 2 classes")

    def _runs(self, n):
        """[(train, test or None)] and the validation report (what was split, and how)."""
        y, g, v, nc = self.y, self.groups, self.validation, len(self.classes)
        rep = {"method": v["method"], "estimate": True, "why": None, "warnings": []}
        w = self.window["window"]
        if self.stretches:
            rep["warnings"] += ["no window from %s" % t for t in
                                E.no_window(self.stretches, w, self.classes)]
        if g is not None:
            per = E.sessions_per_class(y, g, nc)
            rep["sessions"] = len(E.group_classes(y, g))
            rep["sessions_per_class"] = per
        if v["method"] == "windows":
            if v.get("folds"):
                runs = E.stratified_kfold(y, v["folds"], self.split_seed, nc)
                runs.append((index_array(n), None))
                rep["folds"] = v["folds"]
                rep["description"] = "%d-fold by window" % v["folds"]
            else:
                runs = [E.stratified_split(y, v["test_fraction"], self.split_seed, nc)]
                rep["description"] = "holdout of %d%% of the windows" % int(
                    100 * v["test_fraction"] + 0.5)
            rep["warnings"].append("split by window, not by session: windows of one recording "
                                   "on both sides make this estimate optimistic")
            return runs, rep
        if v["method"] == "test":
            test = v["sessions"]
            known = set(g)
            missing = [t for t in test if t not in known]
            if missing:
                raise ValueError("test session(s) %s have no labelled windows"
                                 % ", ".join(str(t) for t in missing))
            train, held = E.split_groups(g, test)
            if not len(train):
                raise ValueError("every session is a test session: keep some for training")
            rep["test_sessions"] = list(test)
            rep["description"] = "trained on %d session(s), tested on %d chosen session(s)" % (
                rep["sessions"] - len(test), len(test))
            have = set(y[i] for i in train)
            lost = [self.classes[c] for c in sorted(set(y[i] for i in held)) if c not in have]
            if lost:
                rep["warnings"].append("no training session has %s: its test windows cannot "
                                       "be right" % ", ".join(lost))
            return [(train, held)], rep
        why = E.check_groups(y, g, nc, self.classes, self.stretches, w)
        if why:
            rep["estimate"] = False
            rep["why"] = why
            rep["description"] = "no estimate"
            return [(index_array(n), None)], rep
        runs = E.group_kfold(y, g, v["folds"], self.split_seed, nc)
        rep["folds"] = len(runs)
        rep["description"] = "%d-fold by session: %d sessions, each tested by a model that " \
            "did not see it" % (len(runs), rep["sessions"])
        runs.append((index_array(n), None))
        return runs, rep

    def steps(self):
        """Do the work in small steps, yielding {"stage", "done", "total", "fraction"}."""
        fe = extractor(self.window, self.fft)
        sc, scale = self.scales, self.window.get("scale")
        n = len(self.windows)
        rows = []
        for i in range(n):
            rows.append(fe.compute(self.windows[i], fe.new_output(),
                                   sc[i] if sc is not None else scale))
            if i % 20 == 19:
                yield _progress("features", i + 1, n, 0.4 * (i + 1) / n)
        y, groups = self.y, self.groups
        nc = len(self.classes)
        runs, rep = self._runs(n)
        cm = None
        base_ok = tested = 0
        # the baseline: always the most common class of all windows (chance level; the
        # training fold's own majority would be wrong by construction when the held-out
        # session is the one that made its class the largest)
        most = E.majority(y, range(n), nc)
        truth, pred, where, index = bytearray(), bytearray(), [], []
        X = zeros_h(n * fe.n_features)     # refilled by every run (no n x features list)
        for r in range(len(runs)):
            train, test = runs[r]
            qz = Quantizer.fit([rows[i] for i in train])
            yield _progress("quantise", 0, n, 0.4)
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
                got = E.predict_rows(model, X, test, fe.n_features)
                c = E.confusion(bytearray(y[i] for i in test), got, nc)
                cm = c if cm is None else E.add_confusion(cm, c)
                for k in range(len(test)):
                    i = test[k]
                    base_ok += y[i] == most
                    index.append(i)
                    truth.append(y[i])
                    pred.append(got[k])
                    where.append(groups[i] if groups is not None else None)
                tested += len(test)
        yield _progress("evaluate", 0, 3, 0.95)
        meta = MF.make_meta(fe.names, self.classes, qz, self.window, trainer=t.params(),
                            n_train=len(train))
        text = model_text(model, meta)
        model.meta = MF.loads(text).meta     # what a reader of the file sees (with counts)
        yield _progress("evaluate", 1, 3, 0.97)
        held = runs[0][1] if runs[0][1] is not None else runs[0][0]
        us = E.time_predict(model, X, held, min_us=30000)
        yield _progress("evaluate", 2, 3, 0.99)
        per = rep.pop("sessions_per_class", None)
        if per is not None:
            rep["sessions_per_class"] = dict((self.classes[c], per[c]) for c in range(nc))
        self.result = {"text": text, "hash": model_hash(text), "model": model,
                       "metrics": E.metrics(cm, self.classes) if cm is not None else None,
                       "validation": rep,
                       "baseline": {"class": self.classes[most],
                                    "accuracy": base_ok / tested if tested else None,
                                    "balanced_accuracy": _balanced_baseline(most, truth)},
                       "per_session": E.per_group(truth, pred, where)
                       if groups is not None and tested else [],
                       "heldout": {"index": index, "truth": truth, "pred": pred},
                       "X": X, "y": y,     # the deployed model's int16 features (insight)
                       "size": E.model_size(model, text), "params": t.params(),
                       "predict_us": us, "n_windows": n, "n_train": len(train),
                       "features": fe.names}
        yield _progress("done", 1, 1, 1.0)

    def run(self):
        """All steps at once (blocking); returns the result dict."""
        for _ in self.steps():
            pass
        return self.result


def _check_validation(v, groups):
    if not isinstance(v, dict) or v.get("method") not in ("kfold", "test", "windows"):
        raise ValueError('validation must be {"method": "kfold" | "test" | "windows", ...}')
    v = dict(v)
    m = v["method"]
    if m in ("kfold", "test") and groups is None:
        raise ValueError("a split by session needs the session of each window (groups)")
    if m == "kfold":
        k = v.get("folds", FOLDS)
        if not isinstance(k, int) or k < 2:
            raise ValueError("k-fold by session needs folds >= 2")
        v["folds"] = k
    elif m == "test":
        t = v.get("sessions")
        if not isinstance(t, (list, tuple)) or not t:
            raise ValueError("choose at least one test session")
        v["sessions"] = list(t)
    return v


def _balanced_baseline(most, truth):
    """Balanced accuracy of always answering `most`: recall 1 for it, 0 for the others."""
    seen = set(truth)
    return (1 if most in seen else 0) / len(seen) if seen else None


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
        """Class number of one channel-major window (int16 counts times scale; default the
        model's window scale, when it has one)."""
        if scale is None:
            scale = self.window.get("scale")
            if not scale:
                raise ValueError("give the window's scale")
        self.fe.compute(samples, self._out, scale)
        self.qz.quantize_into(self._out, self.q)
        return self._predict(self.q)

# POST /api/train (token): the node learns on its own. The body names the sessions
# ({"sessions": [ids]} or "all": every stopped session with label segments) and trainer
# parameters within shared/limits.py (n_trees, max_depth, min_samples_leaf, max_features, seed,
# method, folds: k of the k-fold by session, or "loso": one fold per session). The labelled
# windows are read from flash one at a time (the session_scores reader; a window is taken
# when one label segment covers it, shared.dataset's rule) into shared.pipeline.Pipeline,
# the page's own path: features, the quantiser, the C trainer (emlearn_extratrees; refused
# when the firmware lacks it), the k-fold by session with its honesty rules, the model file
# text. That file goes through the upload's checker and the model store's atomic install
# (the old model stays on any failure). The training runs in the request's task and yields
# after every step (a tree, 20 windows of features), so sampling and streaming go on; a
# second train meanwhile -> 409.
# Answer: {"hash", "classes", "windows", "sessions", "validation", "accuracy",
# "balanced_accuracy", "per_session", "baseline", "params", "ms", "heap": {"total",
# "peak_used", "peak_share", "free_before"}, "impl"}.
# Memory: shared.pipeline and its modules are imported for a training and dropped after;
# per window one float32 feature row (4 x features + ~16 bytes) and its int16 row in the
# pipeline's matrix (2 x features), one int16 window buffer and one record frame; the C
# trainer's node arrays. Before it starts the free heap is checked against an estimate
# (2 bytes per feature and _EXTRA per window, _FIXED once) and a training that would leave
# less than TRAIN_RESERVE free is refused with the number of windows that fit.
import gc
import json
import time
from array import array

import model_store as MS
from httpd import err, json_body
from shared.limits import (MAX_CLASSES, TRAIN_DEPTH, TRAIN_MIN_LEAF,
                           TRAIN_RESERVE, TRAIN_TREES)

PATH = "/api/train"
_busy = []
_KEYS = ("sessions", "n_trees", "max_depth", "min_samples_leaf", "max_features", "seed",
         "method", "folds")
_EXTRA = 20          # bytes per window besides its features (label, session, indexes)
_PER_NODE = 12       # bytes per possible tree node (C table ~7, the model's arrays)
_FIXED = 6 * 1024    # the trainer's node arrays, the evaluation's lists, module state


class _Refused(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def install(app, dev):
    @app.post(PATH)
    @app.guard
    async def train(request):
        if _busy:
            return err(409, "a training is running on the device: wait for its answer")
        body = json_body(request)
        _busy.append(1)
        try:
            return await _train(dev, body)
        except _Refused as e:
            return err(e.status, str(e))
        except MemoryError as e:
            import sys
            sys.print_exception(e)   # where it ran out (the device log)
            gc.collect()
            return err(503, "not enough RAM on the device to train now (%d bytes free); the "
                       "model was not changed" % gc.mem_free())
        finally:
            _busy.clear()
            _forget()
            if dev.model.current is None:
                MS.forget("shared.features", "shared.fft", "shared.quant", "shared.model")


def _forget():
    MS.forget("shared.pipeline", "shared.trainer", "shared.evaluate", "shared.dataset",
              "session_scores")


def _int(body, k, lo, hi, default):
    v = body.get(k, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise _Refused(400, "%s must be an integer %d..%d" % (k, lo, hi))
    return v


def _params(body):
    if not isinstance(body, dict):
        raise _Refused(400, 'send a JSON object like {"sessions": [1, 2, 3]} or '
                       '{"sessions": "all"}')
    for k in body:
        if k not in _KEYS:
            raise _Refused(400, "unknown field %r (valid: %s)" % (k, ", ".join(_KEYS)))
    p = {"n_trees": _int(body, "n_trees", TRAIN_TREES[0], TRAIN_TREES[1], 10),
         "max_depth": _int(body, "max_depth", TRAIN_DEPTH[0], TRAIN_DEPTH[1], 12),
         "min_samples_leaf": _int(body, "min_samples_leaf", TRAIN_MIN_LEAF[0],
                                  TRAIN_MIN_LEAF[1], 1),
         "seed": _int(body, "seed", 0, 0x7FFFFFFF, 1)}
    mf = body.get("max_features")
    if mf is not None:
        p["max_features"] = _int(body, "max_features", 1, 127, 1)
    m = body.get("method", "extra")
    if m not in ("extra", "rf"):
        raise _Refused(400, 'method must be "extra" or "rf"')
    p["method"] = m
    f = body.get("folds", 5)
    if f != "loso":
        f = _int(body, "folds", 2, 64, 5)
    return p, f


def _sessions(dev, body):
    """[(sid, meta, [(start, end, class name)])] of the chosen stopped sessions."""
    store = dev.rec.store
    want = body.get("sessions")
    if want == "all":
        ids, every = store.ids(), True
    elif isinstance(want, list) and want and all(
            isinstance(s, int) and not isinstance(s, bool) for s in want):
        ids, every = want, False
    else:
        raise _Refused(400, 'sessions must be a list of session ids or "all"')
    out = []
    for sid in ids:
        meta = store.read_json(sid, "meta.json")
        if meta is None:
            raise _Refused(400, "no session %d" % sid)
        lab = meta.get("labels") or {}
        if sid == dev.rec.sid or lab.get("open"):
            if every:
                continue
            raise _Refused(409, "session %d is still recording: stop it first" % sid)
        if not lab.get("segments"):
            if every:
                continue
            raise _Refused(400, "session %d has no labels" % sid)
        with open(store.path(sid, "labels.json")) as f:
            segs = [(s["start"], s["end"], s["label"]) for s in json.load(f)["segments"]]
        out.append((sid, meta, segs))
    if not out:
        raise _Refused(400, "no labelled session to train on")
    return out


class _Scales:
    """Each window's scale (its session's), without a float object per window."""

    def __init__(self, wins):
        self.w = wins

    def __len__(self):
        return len(self.w)

    def __getitem__(self, i):
        return self.w.scale(i)


class _FlashWindows:
    """The labelled windows of the chosen sessions as a sequence for Pipeline: [i] reads
    window i's records from flash into one channel-major buffer (use before the next)."""

    def __init__(self, store, chosen, window):
        from shared.dataset import window_classes
        self.store, self.W = store, window
        self.labels, self.groups = bytearray(), array("H")
        self.scales = _Scales(self)
        self._sess, self._rec = bytearray(), array("I")   # per window: session, first record
        self.metas = []
        names = sorted(set(name for _, _, segs in chosen for _, _, name in segs))
        found = []
        for j in range(len(chosen)):
            sid, meta, segs = chosen[j]
            hop = meta["hop"]
            n = meta["windows"] * hop
            idx = sorted((s, e, names.index(c)) for s, e, c in segs)
            for k, c in window_classes(idx, n, window, hop):
                self._sess.append(j)
                self._rec.append(k // hop)
                self.labels.append(c)
                self.groups.append(sid)
                found.append(c)
            self.metas.append((sid, meta))
        present = sorted(set(found))
        self.classes = [names[c] for c in present]   # only classes that have windows
        if len(present) != len(names):
            self.labels = bytearray(present.index(c) for c in self.labels)
        nch = len(chosen[0][1]["channels"])
        self.nch = nch
        self.buf = array("h", bytes(2 * nch * window))
        self._rd, self._cur = None, -1

    def __len__(self):
        return len(self.labels)

    def scale(self, i):
        return self.metas[self._sess[i]][1]["scale"]

    def __getitem__(self, i):
        from session_scores import _Records
        j = self._sess[i]
        sid, meta = self.metas[j]
        if j != self._cur:
            self.close()
            self._rd = _Records(self.store, sid, meta["record_size"], meta["frame_size"])
            self._cur = j
        rd, W, hop, nch = self._rd, self.W, meta["hop"], self.nch
        mw, mf = memoryview(self.buf), memoryview(rd.frame)
        r0 = self._rec[i]
        for r in range((W + hop - 1) // hop):
            rd.read(r0 + r)
            a = r * hop
            n = min(hop, W - a)
            for c in range(nch):
                mw[c * W + a:c * W + a + n] = mf[10 + c * hop:10 + c * hop + n]
        return self.buf

    def close(self):
        if self._rd is not None:
            self._rd.close()
            self._rd = None
        self._cur = -1


def _check_shape(dev, chosen):
    acq = dev.acq
    rate, chans = acq.rate(), list(acq.sensor.channels)
    for sid, meta, _ in chosen:
        if meta["rate"] != rate or list(meta["channels"]) != chans:
            raise _Refused(409, "session %d is %s Hz, channels %s; the device samples %s Hz, "
                           "channels %s: a model of it would not run here"
                           % (sid, meta["rate"], ",".join(meta["channels"]), rate,
                              ",".join(chans)))


async def _train(dev, body):
    try:
        import emlearn_extratrees  # noqa: F401
    except ImportError:
        raise _Refused(501, "this firmware has no emlearn_extratrees (the C trainer): the "
                       "device cannot train; train in the page and send the model")
    t0 = time.ticks_ms()
    params, folds = _params(body)
    chosen = _sessions(dev, body)
    _check_shape(dev, chosen)
    acq = dev.acq
    W = acq.cfg["window"]
    gc.collect()
    free0 = gc.mem_free()
    total = free0 + gc.mem_alloc()
    wins = _FlashWindows(dev.rec.store, chosen, W)
    n = len(wins)
    if len(set(wins.labels)) < 2:
        raise _Refused(400, "the chosen sessions have windows of %s: a classifier needs "
                       "labelled windows of at least two classes" %
                       (", ".join(wins.classes) if wins.classes else "no class"))
    if len(wins.classes) > MAX_CLASSES:
        raise _Refused(400, "%d classes: at most %d" % (len(wins.classes), MAX_CLASSES))
    from shared.features import feature_names
    from shared.model import zeros_h
    try:   # the int16 matrix first, while the heap has its largest free blocks
        X = zeros_h(n * len(feature_names(len(acq.sensor.channels))))
    except MemoryError:
        raise _Refused(507, "%d labelled windows do not fit the device's heap for training "
                       "(%d bytes free): choose fewer sessions" % (n, gc.mem_free()))
    from shared import pipeline as P
    hop = chosen[0][1]["hop"]
    window = {"rate": acq.rate(), "window": W, "hop": hop, "channels": list(acq.sensor.channels)}
    gs = wins.groups
    if folds == "loso":
        folds = max(2, len(set(gs)))
    try:   # the page's splits and honesty rules (no work is done here)
        p = P.Pipeline(wins, wins.labels, wins.classes, window, groups=gs, scales=wins.scales,
                       validation={"method": "kfold", "folds": folds}, impl="c", **params)
    except ValueError as e:
        raise _Refused(400, "cannot train: %s" % e)
    gc.collect()
    fe = _extractor(dev, window, P)
    per = _EXTRA        # (the matrix is allocated already)
    # the trees: the C trainer's table (~7 bytes a node) and the model's copy of them
    nodes = params["n_trees"] * min(n, 1 << params["max_depth"]) * _PER_NODE
    room = gc.mem_free() - TRAIN_RESERVE - _FIXED - nodes
    fit = max(0, room // per)
    if n > fit:
        raise _Refused(507, "%d labelled windows do not fit the device's heap for training "
                       "(%d bytes free, %d kept for sampling and streaming; about %d windows "
                       "fit): choose fewer sessions" % (n, gc.mem_free(), TRAIN_RESERVE, fit))
    low = [gc.mem_free()]
    try:
        box, X = [X], None   # _run drops it before the model text is made
        ans = await _run(p, wins, fe, low, box)
    except ValueError as e:
        raise _Refused(400, "cannot train: %s" % e)
    finally:
        wins.close()
    p = fe = None
    text, h = ans.pop("text"), ans["hash"]
    wins = None
    _forget()                      # the training's code: room for the checker and the load
    await _install(dev, text)
    text = None
    ans["ms"] = time.ticks_diff(time.ticks_ms(), t0)
    ans["heap"] = {"total": total, "free_before": free0, "peak_used": total - low[0],
                   "peak_share": round((total - low[0]) / total, 3)}
    print("motebook: trained on the device: %d windows, %d sessions, model %s (%d ms, heap "
          "peak %.1f %%)" % (n, len(ans["sessions"]), h[:12], ans["ms"],
                             100 * ans["heap"]["peak_share"]))
    return ans


def _extractor(dev, window, P):
    """The running inference's FeatureExtractor when it computes these windows' features
    (~11 KB of FFT tables and buffers not allocated twice; used between its windows, as
    session_scores does), else a new one."""
    from shared.features import FeatureExtractor, feature_names
    fe = getattr(getattr(dev, "infer", None), "fe", None)
    if type(fe) is FeatureExtractor and fe.n_samples == window["window"] and \
            fe.rate == window["rate"] and fe.names == feature_names(len(window["channels"])):
        return fe
    return P.extractor(window)


async def _pause(low):
    import asyncio
    f = gc.mem_free()     # garbage included: the high-water said is an upper bound
    if f < low[0]:
        low[0] = f
    await asyncio.sleep_ms(0)


async def _run(p, wins, fe, low, box):
    """Pipeline.steps' work in two kinds of passes over flash instead of a float row per
    window: pass 1 keeps each session's finite min/max per feature (all Quantizer.fit looks
    at), then each run (the k folds, then all windows) fits its quantiser on its training
    sessions' min/max, computes the features again into one int16 matrix and trains. The same
    splits, quantisers, trees and model text as shared.pipeline on the same windows."""
    from shared import evaluate as E
    from shared import modelformat as MF
    from shared.pipeline import model_hash, model_text
    from shared.quant import Quantizer
    from shared.trainer import Trainer
    X = box.pop()
    n, nf, nc = len(wins), fe.n_features, len(p.classes)
    y, groups, scales = p.y, p.groups, wins.scales
    sids = sorted(set(groups))
    ns = len(sids)
    gi = array("H", [sids.index(g) for g in groups])
    nan = float("nan")
    lo = array("f", [nan] * (ns * nf))
    hi = array("f", [nan] * (ns * nf))
    out = fe.new_output()
    q = array("h", bytes(2 * nf))
    for i in range(n):
        fe.compute(wins[i], out, scales[i])
        b = gi[i] * nf
        for j in range(nf):
            x = out[j]
            if x == x and x - x == 0.0:
                if not lo[b + j] <= x:
                    lo[b + j] = x
                if not hi[b + j] >= x:
                    hi[b + j] = x
        if i % 8 == 7:
            await _pause(low)
    runs, rep = p._runs(n)
    most = E.majority(y, range(n), nc)
    cm = None
    base_ok = tested = 0
    truth, pred, where = bytearray(), bytearray(), []
    lr, hr = [0.0] * nf, [0.0] * nf
    for r in range(len(runs)):
        train, test = runs[r]
        have = set(gi[i] for i in train)
        for j in range(nf):
            a = z = nan
            for s in have:
                v, w = lo[s * nf + j], hi[s * nf + j]
                if v == v and not a <= v:
                    a = v
                if w == w and not z >= w:
                    z = w
            lr[j], hr[j] = a, z
        qz = Quantizer.fit([lr, hr])
        for i in range(n):
            fe.compute(wins[i], out, scales[i])
            qz.quantize_into(out, q)
            b = i * nf
            for j in range(nf):
                X[b + j] = q[j]
            if i % 8 == 7:
                await _pause(low)
        t = Trainer(X, y, nf, nc, rows=train, yield_every=p.yield_every, **p.params)
        for _ in t.steps():
            await _pause(low)
        model = t.model()
        params, impl = t.params(), t.impl
        t = None   # the C trainer's node arrays
        if test is not None:
            got = E.predict_rows(model, X, test, nf)
            c = E.confusion(bytearray(y[i] for i in test), got, nc)
            cm = c if cm is None else E.add_confusion(cm, c)
            for k in range(len(test)):
                i = test[k]
                base_ok += y[i] == most
                truth.append(y[i])
                pred.append(got[k])
                where.append(groups[i])
            tested += len(test)
            model = None
        await _pause(low)
    X = runs = lo = hi = None
    per = rep.pop("sessions_per_class", None)
    if per is not None:
        rep["sessions_per_class"] = dict((p.classes[c], per[c]) for c in range(nc))
    m = E.metrics(cm, p.classes) if cm is not None else None
    seen = set(truth)
    ans = {"classes": p.classes, "windows": n,
           "sessions": sids, "validation": rep, "params": params, "impl": impl,
           "accuracy": m["accuracy"] if m else None,
           "balanced_accuracy": m["balanced_accuracy"] if m else None,
           "per_session": E.per_group(truth, pred, where) if tested else [],
           "baseline": {"class": p.classes[most],
                        "accuracy": base_ok / tested if tested else None,
                        "balanced_accuracy": ((1 if most in seen else 0) / len(seen))
                        if seen else None}}
    m = cm = truth = pred = where = E = None
    MS.forget("shared.trainer", "shared.evaluate", "shared.dataset", "session_scores")
    meta = MF.make_meta(fe.names, p.classes, qz, p.window, trainer=params,
                        n_train=len(train))
    train = None
    text = model_text(model, meta)
    ans["text"], ans["hash"] = text, model_hash(text)
    return ans


async def _install(dev, text):
    """The model store's upload path: the checker, then the atomic install."""
    store = dev.model
    if store.busy:
        raise _Refused(409, "a model upload is in progress: the trained model was not "
                       "installed")
    store.busy = True
    try:
        with open(store.tmp, "w") as f:
            f.write(text)
        MS.sync()
        try:
            info = await MS.check(store.tmp, MS.expectations(dev.acq))
            await store.install(info)
        except ValueError as e:
            raise _Refused(500, "the trained model was refused by the device's own checks "
                           "(%s); the previous model stays" % e)
    finally:
        store.busy = False
        store.discard_upload()

# The work of POST /api/train (device/api_train.py checks the input): the labelled windows of
# the chosen sessions read from flash one at a time (the session_scores reader; a window is
# taken when one label segment covers it, shared.dataset's rule), shared.pipeline's splits
# and honesty rules, features into one int16 matrix, the C trainer (emlearn_extratrees), the
# k-fold by session, the model file written line by line, the upload's checker and the model
# store's atomic install (the old model stays on any failure): the same splits, quantisers,
# trees, figures and model file bytes as shared.pipeline on the same windows. It yields after
# every step (a tree, 8 windows of features), so sampling and streaming go on.
# Memory (imported for a training and dropped after, with the shared modules it loads): the
# int16 matrix (2 bytes per feature per window, allocated first, sized once), per window its
# label, session, test fold and held-out bookkeeping, per session a float32 min/max of each
# feature (all the quantiser looks at: the features are computed again for every run instead
# of a float row per window), the C trainer's node arrays; shared.pipeline only for the splits,
# shared.evaluate only to test a fold and for the figures; the running inference's
# FeatureExtractor is shared and its names list (~4 KB) lent to the matrix and made again.
# Before it starts the free heap is checked against an estimate (_EXTRA, _PER_NODE per tree
# per window, _FIXED once) and a training that would leave less than TRAIN_RESERVE free is
# refused with the number of windows that fit. Figures: device/NODE.md.
import gc
import time
from array import array

import model_store as MS
from api_train import Refused, drop as _drop
from shared.limits import MAX_CLASSES, TRAIN_RESERVE

_EXTRA = 24          # bytes per window besides its features: label, session, the splits'
                     # index arrays, the held-out bookkeeping, the C trainer's sample arrays
_PER_NODE = 8        # bytes per tree node a window can add (C table 7, the exported model)
_FIXED = 10 * 1024   # the trainer's module, the reader, the quantiser, the splits' report


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
        self.nch, self.hop = nch, chosen[0][1]["hop"]
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


async def train(dev, params, folds, chosen, mine):
    """chosen: [(session id, its meta's _META keys, [(start, end, class name)])]."""
    t0 = time.ticks_ms()
    acq = dev.acq
    W = acq.cfg["window"]
    gc.collect()
    free0 = gc.mem_free()
    total = free0 + gc.mem_alloc()
    heap = {"low": free0, "at": "start", "total": total}
    wins = _FlashWindows(dev.rec.store, chosen, W)
    chosen = None
    if len(set(wins.labels)) < 2:
        raise Refused(400, "the chosen sessions have windows of %s: a classifier needs "
                       "labelled windows of at least two classes" %
                       (", ".join(wins.classes) if wins.classes else "no class"))
    if len(wins.classes) > MAX_CLASSES:
        raise Refused(400, "%d classes: at most %d" % (len(wins.classes), MAX_CLASSES))
    window = {"rate": acq.rate(), "window": W, "hop": wins.hop,
              "channels": list(acq.sensor.channels)}
    fe = _extractor(dev, window)
    # the live model's scratch: its extractor's list of names (~4 KB for 52) is not read
    # between windows: freed for the training, made again for the model file or on failure
    fe.names = None
    try:
        return await _fit(dev, params, folds, wins, fe, window, heap, mine, t0)
    finally:
        wins.close()
        _names(fe)


async def _fit(dev, params, folds, wins, fe, window, heap, mine, t0):
    n, nf, free0, total = len(wins), fe.n_features, heap["low"], heap["total"]
    gc.collect()
    # what the training adds to the heap: per window its int16 row, _EXTRA and _PER_NODE per
    # tree (a tree has fewer nodes than windows: an upper bound), per session a float32
    # min/max of each feature, _FIXED once (measured: NODE.md)
    per = 2 * nf + _EXTRA + params["n_trees"] * _PER_NODE
    room = gc.mem_free() - TRAIN_RESERVE - _FIXED - 8 * nf * len(set(wins.groups))
    fit = max(0, room // per)
    if n > fit:
        raise Refused(507, "%d labelled windows do not fit the device's heap for training "
                       "(%d bytes free, %d kept for sampling and streaming; about %d windows "
                       "fit): choose fewer sessions" % (n, gc.mem_free(), TRAIN_RESERVE, fit))
    try:   # the int16 matrix first, while the heap has its largest free blocks
        X = array("h", _zeros(n * nf))
    except MemoryError:
        raise Refused(507, "%d labelled windows do not fit the device's heap for training "
                       "(%d bytes free): choose fewer sessions" % (n, gc.mem_free()))
    _mark(heap, "matrix")
    try:
        box = [X]
        X = None   # _run drops the matrix before the model is exported; box: (model, meta)
        ans = await _run(dev, wins, fe, window, params, folds, heap, box, mine)
    except ValueError as e:
        raise Refused(400, "cannot train: %s" % e)
    wins.close()
    wins = fe = None
    _drop(mine, "shared.trainer", "shared.evaluate", "shared.dataset", "shared.pipeline",
          "session_scores")   # the training's code: room for the checker and the new model
    await _install(dev, box, ans, heap)
    ans["ms"] = time.ticks_diff(time.ticks_ms(), t0)
    _mark(heap, "installed")
    ans["heap"] = {"total": total, "free_before": free0, "peak_used": total - heap["low"],
                   "peak_share": round((total - heap["low"]) / total, 3), "peak_at": heap["at"]}
    print("motebook: trained on the device: %d windows, %d sessions, model %s (%d ms, heap "
          "%d free before, peak %d used = %.1f %% at %s)"
          % (n, len(ans["sessions"]), ans["hash"][:12], ans["ms"], free0,
             ans["heap"]["peak_used"], 100 * ans["heap"]["peak_share"], heap["at"]))
    return ans


class _Fill:
    """n values of an iterator for array(code, ...): MicroPython sizes the array once from
    len() and fills it from the iterator (from a list or bytes it holds a copy meanwhile)."""

    def __init__(self, n, it):
        self.n, self.it = n, it

    def __len__(self):
        return self.n

    def __iter__(self):
        return iter(self.it)


def _zeros(n):
    return _Fill(n, (0 for _ in range(n)))


def _extractor(dev, window):
    """The running inference's FeatureExtractor when it computes these windows' features
    (~11 KB of FFT tables, buffers and names not allocated twice; used between its windows,
    as session_scores does), else a new one (shared.pipeline.extractor's)."""
    from shared.features import FeatureExtractor
    nch, W, rate = len(window["channels"]), window["window"], window["rate"]
    fe = getattr(getattr(dev, "infer", None), "fe", None)
    if type(fe) is FeatureExtractor and fe.n_samples == W and fe.rate == rate and \
            fe.n_channels == nch:
        return fe
    return FeatureExtractor(nch, W, rate)


def _mark(heap, at):
    """The heap's high-water: live data after a collection (the training's garbage is not
    counted; the node's own allocations between collections are)."""
    gc.collect()
    f = gc.mem_free()
    if f < heap["low"]:
        heap["low"], heap["at"] = f, at


async def _pause(heap, at, k=0):
    import asyncio
    if not k & 31:
        _mark(heap, at)
    await asyncio.sleep_ms(0)


async def _run(dev, wins, fe, window, params, folds, heap, box, mine):
    """shared.pipeline.Pipeline.steps' work in two kinds of passes over flash instead of a
    float row per window: pass 1 keeps each session's finite min/max per feature (all
    Quantizer.fit looks at), then each run (the k folds, then all windows) fits its quantiser
    on its training sessions' min/max, computes the features again into the one int16 matrix
    and trains. The same splits (Pipeline._runs), quantisers, trees and model file bytes as
    shared.pipeline on the same windows. shared.evaluate is imported only to test a fold
    (after its trainer is freed) and for the figures."""
    runs, rep, y, classes, tparams, most = _splits(wins, window, params, folds)
    _drop(mine, "shared.pipeline", "shared.modelformat", "shared.evaluate", "shared.dataset")
    from shared.quant import Quantizer
    from shared.trainer import Trainer
    n, nf, nc = len(wins), fe.n_features, len(classes)
    groups, scales = wins.groups, wins.scales
    sids = sorted(set(groups))
    ns = len(sids)
    gi = bytearray(sids.index(g) for g in groups)
    nan = float("nan")
    lo = array("f", bytes(4 * ns * nf))
    hi = array("f", bytes(4 * ns * nf))
    for k in range(ns * nf):
        lo[k] = hi[k] = nan
    lr, hr = array("f", bytes(4 * nf)), array("f", bytes(4 * nf))
    out = fe.new_output()
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
        if i & 7 == 7:
            await _pause(heap, "features", i + 1)
    # the tested windows' truth, prediction and session (each window is tested once at most)
    held = {"cm": None, "tested": 0, "base_ok": 0, "truth": bytearray(n),
            "pred": bytearray(n), "where": array("H", _zeros(n))}
    # the splits as each window's test fold (255: never tested) instead of k + 1 pairs of
    # index arrays; a run's arrays are made again when it starts (group_kfold's are sorted)
    fold, k = bytearray(b"\xff" * n), len(runs) - 1
    for r in range(k):
        for i in runs[r][1]:
            fold[i] = r
    runs = None
    X = box.pop()
    mv = memoryview(X)
    qz = None
    for r in range(k + 1):
        if r < k:
            m = sum(1 for f in fold if f == r)
            train = array("H", _Fill(n - m, (i for i in range(n) if fold[i] != r)))
            test = array("H", _Fill(m, (i for i in range(n) if fold[i] == r)))
        else:
            train, test = array("H", _Fill(n, range(n))), None
        if test is None:   # the final model: the folds' figures first
            ans = _report(held, classes, most, rep)
            held = None
            _drop(mine, "shared.evaluate", "shared.dataset")
            ans.update({"windows": n, "sessions": sids})
        have = bytearray(ns)
        for i in train:
            have[gi[i]] = 1
        for j in range(nf):
            a = z = nan
            for s in range(ns):
                if have[s]:
                    v, w = lo[s * nf + j], hi[s * nf + j]
                    if v == v and not a <= v:
                        a = v
                    if w == w and not z >= w:
                        z = w
            lr[j], hr[j] = a, z
        qz = None
        qz = Quantizer.fit([lr, hr])
        for i in range(n):
            fe.compute(wins[i], out, scales[i])
            qz.quantize_into(out, mv[i * nf:(i + 1) * nf])
            if i & 7 == 7:
                await _pause(heap, "features", i + 1)
        t = Trainer(X, y, nf, nc, rows=train, yield_every=200, **tparams)
        _mark(heap, "trainer")
        for _ in t.steps():
            await _pause(heap, "trees")
        _mark(heap, "trees")
        if test is None:
            t.X = X = mv = None   # the trees are grown: the matrix goes before the export
        model = t.model()
        tp, impl = t.params(), t.impl
        t._c = t.X = t.rows = t = None   # the C trainer's node arrays (even if a stale
        # reference to t is left in this coroutine's frame)
        _mark(heap, "model")
        if test is not None:
            _test_fold(held, model, X, test, nf, y, nc, groups, most)
            _drop(mine, "shared.evaluate", "shared.dataset")
            model = test = train = None
        await _pause(heap, "fold")
    lo = hi = runs = None
    ans.update({"classes": classes, "params": tp, "impl": impl})
    from shared import modelformat as MF
    _names(fe)
    box.append(model)
    box.append(MF.make_meta(fe.names, classes, qz, window, trainer=tp, n_train=len(train)))
    return ans


def _names(fe):
    """The extractor's feature names made again (_train lends their ~4 KB to the matrix)."""
    if fe.names is None:
        from shared.features import feature_names
        fe.names = feature_names(fe.n_channels)


def _splits(wins, window, params, folds):
    """shared.pipeline's splits by session and honesty rules for these windows: (runs, report,
    labels, classes, parameters, the majority class). A plain function: no reference to the
    pipeline's module is left in the training coroutine's frame, so dropping it frees it."""
    from shared import pipeline as P
    if folds == "loso":
        folds = max(2, len(set(wins.groups)))
    p = P.Pipeline(wins, wins.labels, wins.classes, window, groups=wins.groups,
                   scales=wins.scales, validation={"method": "kfold", "folds": folds},
                   impl="c", **params)
    n = len(wins)
    runs, rep = p._runs(n)
    # the baseline: the most common class of all windows (as Pipeline.steps)
    return runs, rep, p.y, p.classes, p.params, P.E.majority(p.y, range(n), len(p.classes))


def _test_fold(held, model, X, test, nf, y, nc, groups, most):
    """A fold's model on its held-out windows (Pipeline.steps' bookkeeping, into held)."""
    from shared import evaluate as E
    got = E.predict_rows(model, X, test, nf)
    c = E.confusion(bytearray(y[i] for i in test), got, nc)
    held["cm"] = c if held["cm"] is None else E.add_confusion(held["cm"], c)
    k0 = held["tested"]
    truth, pred, where = held["truth"], held["pred"], held["where"]
    for k in range(len(test)):
        i = test[k]
        held["base_ok"] += y[i] == most
        truth[k0 + k] = y[i]
        pred[k0 + k] = got[k]
        where[k0 + k] = groups[i]
    held["tested"] = k0 + len(test)


def _report(held, classes, most, rep):
    """The k-fold's answer (the page's figures: shared.pipeline's result keys)."""
    from shared import evaluate as E
    nc, cm, tested = len(classes), held["cm"], held["tested"]
    truth, pred = held["truth"][:tested], held["pred"][:tested]
    per = rep.pop("sessions_per_class", None)
    if per is not None:
        rep["sessions_per_class"] = dict((classes[c], per[c]) for c in range(nc))
    m = E.metrics(cm, classes) if cm is not None else None
    seen = set(truth)
    return {"validation": rep,
            "accuracy": m["accuracy"] if m else None,
            "balanced_accuracy": m["balanced_accuracy"] if m else None,
            "per_session": E.per_group(truth, pred, held["where"][:tested]) if tested else [],
            "baseline": {"class": classes[most],
                         "accuracy": held["base_ok"] / tested if tested else None,
                         "balanced_accuracy": ((1 if most in seen else 0) / len(seen))
                         if seen else None}}


class _File:
    """The model file's writer for shared.modelformat.write_model: its first line (the
    metadata) in shared.pipeline's canonical JSON, every piece hashed as written (the bytes
    and hash of pipeline.model_text, without the file's text in RAM)."""

    def __init__(self, f):
        import hashlib
        self.f, self.h, self.first = f, hashlib.sha256(), True

    def write(self, s):
        if self.first:
            import json
            from shared.modelformat import META_PREFIX, canonical_json
            self.first = False
            s = META_PREFIX + canonical_json(json.loads(s[len(META_PREFIX):])) + "\n"
        b = s.encode()
        self.h.update(b)
        self.f.write(b)

    def hexdigest(self):
        import binascii
        return binascii.hexlify(self.h.digest()).decode()


async def _install(dev, box, ans, heap):
    """The model store's upload path: the file (box: [model, meta], emptied) written to the
    upload's temporary name, the checker, then the atomic install."""
    from shared import modelformat as MF
    store = dev.model
    if store.busy:
        raise Refused(409, "a model upload is in progress: the trained model was not "
                       "installed")
    store.busy = True
    try:
        meta, model = box.pop(), box.pop()
        with open(store.tmp, "wb") as f:
            w = _File(f)
            MF.write_model(w, model, meta)
            ans["hash"] = w.hexdigest()
        store.keep_trained(ans)   # its evaluation, renamed with the model (GET /api/model)
        model = meta = w = MF = None
        _mark(heap, "file")
        MS.sync()
        try:
            info = await MS.check(store.tmp, MS.expectations(dev.acq))
            _mark(heap, "check")
            await store.install(info)
        except ValueError as e:
            raise Refused(500, "the trained model was refused by the device's own checks "
                           "(%s); the previous model stays" % e)
    finally:
        store.busy = False
        store.discard_upload()

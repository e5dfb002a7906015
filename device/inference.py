# Inference task: classifies every new window with the running model (shared.features ->
# quantise -> trees) and publishes {"type": "prediction", ...} on the WebSocket and in status.
# The framer's publish hook only copies the window into a spare buffer; if classification lags,
# the older waiting window is replaced and counted in `skipped` (sampling never waits).
# Memory: two window-sized int16 buffers, the FeatureExtractor's buffers, one feature, one
# quantised and one score array, made once per (model, configuration); smoothing keeps N ints.
#
# Smoothing: the published class is the majority over the last N raw classes (N = the model
# metadata's "smooth", default 1 = off); a tie goes to the most recent of the tied classes.
# "raw" carries this window's own class index, "scores" its tree-vote fractions.
#
# An anomaly model (model_store.AnomalyLoaded) scores every window instead: the same features,
# standardised into a preallocated array('f') of d, scored by the C scorer into a one-float
# array; the state follows shared.hysteresis (on at n of the last m windows over the
# threshold, off at none of them). Its message: {"type": "prediction", "kind": "anomaly",
# "score", "threshold", "over" (this window), "anomaly" (the state), "seq", "hash"}.
# status() counts the state's OFF -> ON changes since boot (anomaly_starts: false alarms in
# normal running) and names the window of the last change (anomaly_changed_seq).
#
# A regression model (model_store.RegressLoaded) estimates a value per window from the features
# of the set it names (shared.features.make_extractor: "spectral" for a spectrometer), quantised
# into the same int16 array: {"type": "prediction", "kind": "regress", "value", "unit",
# "target", "seq", "hash"}; node.on_value (when there) gets it for MQTT.
import gc
import sys
import time
from array import array

import asyncio

import model_store as MS

from shared.windowing import zeros


class Inference:
    def __init__(self, acq, store, broadcast):
        self.acq = acq
        self.store = store
        self._broadcast = broadcast   # broadcast(dict): queue a control message to clients
        self._ev = asyncio.Event()
        self._key = None              # (framer, store.changed) the buffers were made for
        self.window = self._next = None   # window: the one classified now (node reads it)
        self._pending = None          # seq of the window waiting in self._next
        self.fe = self.features = self._q = self._scores = None   # features: node reads them
        self._hist = []
        self.hyst = None              # anomaly model: shared.hysteresis.Hysteresis
        self.last = None              # last prediction message
        self.skipped = 0
        self.classified = 0
        self.starts = 0               # anomaly state OFF -> ON changes
        self.changed_seq = None       # window at which the anomaly state last changed
        self.ms_last = 0.0
        self.ms_max = 0.0
        self.problem = None           # why the model is not classifying, or None
        self.on_prediction = None     # fn(seq, raw class, model): the recorder's log
        self.node = None              # node.Node: history, flagged windows, MQTT, webhooks

    def notify(self, seq):
        """Called by the framer for each new window (in its task): copy and wake up."""
        fr = self.acq.framer
        if self.store.current is None or fr is None:
            return
        if self._next is None or len(self._next) != len(fr.samples):
            self._next = zeros("h", len(fr.samples))
            self.window = zeros("h", len(fr.samples))
        if self._pending is not None:
            self.skipped += 1          # not yet taken: replaced by the newer window
        self._next[:] = fr.samples
        self._pending = seq
        self._ev.set()

    def _prepare(self):
        """(Re)make the per-model buffers; None or the reason the model cannot run now."""
        m = self.store.current
        fr = self.acq.framer
        key = (fr, self.store.changed)
        if key == self._key:
            return self.problem
        self._key = key
        self._hist = []
        self.fe = self.features = self._q = self._scores = self.hyst = None
        gc.collect()
        why = m.fits(MS.expectations(self.acq))
        if why:
            return why
        from shared.features import make_extractor
        a = self.acq
        chans = list(a.sensor.channels)
        self.fe = make_extractor(getattr(m, "feature_set", "motion"), len(chans),
                                 a.cfg["window"], a.rate())
        self.features = self.fe.new_output()
        self.fe.names = None      # not read between windows (~1.5 KB for 33, ~4 KB for 52)
        if m.kind == "regress":
            self._q = zeros("h", m.n_features)
        elif m.kind == "anomaly":
            from shared.hysteresis import Hysteresis
            self._q = array("f", bytes(4 * m.model.d))    # the standardised features
            self._scores = array("f", [0.0])
            self.hyst = Hysteresis(m.hysteresis[0], m.hysteresis[1])
        else:
            self._q = zeros("h", m.n_features)
            self._scores = array("f", [0.0] * m.n_classes)
        gc.collect()
        return None

    async def run(self):
        while True:
            try:
                await self._ev.wait()
                self._ev.clear()
                while self._pending is not None:
                    seq = self._pending
                    self._pending = None
                    self.window, self._next = self._next, self.window
                    self._classify(seq)
                    await asyncio.sleep_ms(0)
            except asyncio.CancelledError:
                raise
            except Exception as e:     # log and go on with the next window
                print("motebook: inference failed:")
                sys.print_exception(e)
                await asyncio.sleep_ms(100)

    def _classify(self, seq):
        m = self.store.current
        if m is None:
            self.problem = None
            return
        self.problem = self._prepare()
        if self.problem:
            return
        t0 = time.ticks_us()
        fe = self.fe
        fe.compute(self.window, self.features, self.acq.sensor.scale)
        if m.kind == "anomaly":
            self._anomaly(seq, m, t0)
            return
        if m.kind == "regress":
            self._regress(seq, m, t0)
            return
        m.quant.quantize_into(self.features, self._q)
        scores = self._scores
        raw = m.predict(self._q, scores)
        ms = time.ticks_diff(time.ticks_us(), t0) / 1000
        self.ms_last = ms
        if ms > self.ms_max:
            self.ms_max = ms
        self.classified += 1
        idx = self._smooth(raw, m.smooth)
        self.last = {"type": "prediction", "class": m.classes[idx], "index": idx,
                     "raw": raw, "scores": [round(scores[c], 4) for c in range(len(scores))],
                     "seq": seq, "hash": m.hash}
        if self.on_prediction is not None:
            self.on_prediction(seq, raw, m)
        self._broadcast(self.last)
        if self.node is not None:
            self.node.on_window(seq, idx, scores, self)

    def _regress(self, seq, m, t0):
        m.quant.quantize_into(self.features, self._q)
        v = m.predict(self._q)
        ms = time.ticks_diff(time.ticks_us(), t0) / 1000
        self.ms_last = ms
        if ms > self.ms_max:
            self.ms_max = ms
        self.classified += 1
        self.last = {"type": "prediction", "kind": "regress", "value": v, "unit": m.unit,
                     "target": m.target, "seq": seq, "hash": m.hash}
        self._broadcast(self.last)
        if self.node is not None and hasattr(self.node, "on_value"):
            self.node.on_value(seq, v, self)

    def _anomaly(self, seq, m, t0):
        score = m.model.score_into(self.features, self._q, self._scores)
        over = score > m.threshold
        h = self.hyst
        changed = h.update(over)
        if changed:
            self.changed_seq = seq
            if h.on:
                self.starts += 1
        ms = time.ticks_diff(time.ticks_us(), t0) / 1000
        self.ms_last = ms
        if ms > self.ms_max:
            self.ms_max = ms
        self.classified += 1
        self.last = {"type": "prediction", "kind": "anomaly", "score": round(score, 4),
                     "threshold": round(m.threshold, 4), "over": over, "anomaly": h.on,
                     "count": h.count, "seq": seq, "hash": m.hash}
        if self.on_prediction is not None:
            self.on_prediction(seq, 1 if over else 0, m)
        self._broadcast(self.last)
        if self.node is not None:
            self.node.on_score(seq, score, over, changed, self)

    def _smooth(self, raw, n):
        if n <= 1:
            return raw
        h = self._hist
        h.append(raw)
        if len(h) > n:
            h.pop(0)
        best, best_n = raw, 0
        for i in range(len(h) - 1, -1, -1):   # newest first: ties go to the most recent
            c = h[i]
            k = h.count(c)
            if k > best_n:
                best, best_n = c, k
        return best

    def status(self):
        m = self.store.current
        return {"model_hash": m.hash if m else None, "model_kind": m.kind if m else None,
                "model_problem": self.problem or self.store.problem,
                "prediction": self.last if m and self.last and self.last["hash"] == m.hash
                else None,
                "inference_classified": self.classified,
                "inference_skipped": self.skipped,
                "anomaly_starts": self.starts, "anomaly_changed_seq": self.changed_seq,
                "inference_ms": self.ms_last, "inference_ms_max": self.ms_max}

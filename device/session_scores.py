# The on-device check of an anomaly model (GET /api/sessions/<id>/scores): the running model
# scores every window of a recorded session and keeps its state, through the code every live
# window goes through: the running inference's FeatureExtractor (shared.features), the model's
# score_into (shared.anomalymodel: standardise, C scorer) and shared.hysteresis. Window k of the
# session is samples k*hop .. k*hop+window-1 (records k .. k+ceil(window/hop)-1: the window the
# live device cut). The page scores the same windows with the same file and compares.
# Answer (JSON, streamed): {"session", "hash", "scorer", "threshold", "hysteresis": [n, m],
# "rate", "window", "hop", "windows", "scores": [...], "on": "0011..." (the state after each
# window), "error": null or why it stopped (the model changed while scoring)}.
# Imported on demand by api_sessions and dropped after. Memory: one window (int16, channels x
# window), one record frame, D features and d standardised floats, one byte of state per window
# (a 10-minute session at hop 16: 3.8 KB), while the answer streams; BATCH windows are scored
# per piece of the answer, then the other tasks run.
from array import array

from microdot import Response

import session_store
from httpd import err

BATCH = 8
_busy = []       # the session being scored (one at a time)


class _Records:
    """Reads record r's frame (CRC dropped) into one int16 array, the chunk file kept open."""

    def __init__(self, store, sid, rs, fs):
        self.store, self.sid, self.rs, self.fs = store, sid, rs, fs
        self.per = session_store.per_chunk(rs)
        self.frame = array("h", bytes(fs))   # frames are whole int16s (20-byte header)
        self.f = None
        self.cur = -1

    def read(self, r):
        c = r // self.per
        if c != self.cur:
            self.close()
            self.f = open(self.store.chunk_path(self.sid, c), "rb")
            self.cur = c
        self.f.seek((r % self.per) * self.rs)
        if self.f.readinto(self.frame) != self.fs:
            raise OSError("session %d: record %d is missing" % (self.sid, r))
        return self.frame

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None
            self.cur = -1


def _refusal(dev, meta, recording):
    """None when the running model can score the session, else (status, why)."""
    m = dev.model.current
    if m is None:
        return 409, "no model runs on the device: send an anomaly model first"
    if m.kind != "anomaly":
        return 409, ("the device runs a classes model: its check is the predictions it "
                     "recorded with a session (GET /api/sessions/<id>/predictions)")
    if recording:
        return 409, "the session is still recording: stop it first"
    rate, n, ch = m.window
    if meta["rate"] != rate or (ch is not None and len(meta["channels"]) != ch):
        return 409, ("the session is %s Hz, %d channels; the model is for %s Hz, %s channels"
                     % (meta["rate"], len(meta["channels"]), rate, ch))
    inf = dev.infer
    why = inf.problem = inf._prepare()   # the live buffers (as the next window would)
    if why:
        return 409, "the model does not run now: %s" % why
    if inf.fe is None or inf.fe.n_samples != n:
        return 409, "the model does not run now"
    return None


def answer(dev, store, sid, meta, recording):
    """The Response: the streamed scores, or the refusal."""
    if _busy:
        return err(503, "scoring session %d now: retry when it is done" % _busy[0])
    no = _refusal(dev, meta, recording)
    if no:
        import model_store
        model_store.forget("session_scores")
        return err(no[0], no[1])
    return Response(body=_scores(dev, store, sid, meta),
                    headers={"Content-Type": "application/json", "Cache-Control": "no-store"})


def _scores(dev, store, sid, meta):
    from shared.hysteresis import Hysteresis
    m = dev.model.current
    model = m.model
    fe = dev.infer.fe                 # shared with the live task: used between its windows
    nch = len(meta["channels"])
    W, hop = m.window[1], meta["hop"]
    count = (meta["samples"] - W) // hop + 1 if meta["samples"] >= W else 0
    need = (W + hop - 1) // hop
    scale = meta["scale"]
    win = array("h", bytes(2 * nch * W))
    feats = fe.new_output()
    z = array("f", bytes(4 * model.d))
    one = array("f", [0.0])
    on = bytearray(count)
    h = Hysteresis(m.hysteresis[0], m.hysteresis[1])
    rd = _Records(store, sid, meta["record_size"], meta["frame_size"])
    mw, mf = memoryview(win), memoryview(rd.frame)
    error = None
    _busy.append(sid)
    try:
        yield ('{"session": %d, "hash": "%s", "scorer": "%s", "threshold": %r, "hysteresis": '
               '[%d, %d], "rate": %s, "window": %d, "hop": %d, "windows": %d, "scores": ['
               % (sid, m.hash, m.scorer, m.threshold, m.hysteresis[0], m.hysteresis[1],
                  meta["rate"], W, hop, count))
        k = 0
        while k < count:
            if dev.model.current is not m:
                error = "the model changed while scoring (window %d of %d)" % (k, count)
                break
            part = []
            for k in range(k, min(count, k + BATCH)):
                for j in range(need):
                    rd.read(k + j)
                    a = j * hop
                    n = min(hop, W - a)
                    for c in range(nch):
                        mw[c * W + a:c * W + a + n] = mf[10 + c * hop:10 + c * hop + n]
                fe.compute(win, feats, scale)
                s = model.score_into(feats, z, one)
                h.update(s > m.threshold)
                on[k] = 49 if h.on else 48
                part.append("%.7g" % s)
            k += 1
            yield ("" if k <= BATCH else ", ") + ", ".join(part)
        yield '], "on": "'
        if error is None:
            yield bytes(on)
        yield '", "error": %s}' % ("null" if error is None else '"%s"' % error)
    finally:
        rd.close()
        _busy.clear()
        import model_store
        model_store.forget("session_scores")

# The on-device check of an anomaly model (GET /api/sessions/<id>/scores): a session recorded
# on the simulator (idle, shaking, idle) is scored by the running anomaly model, and CPython
# scores the same windows (the session's records downloaded, cut at its hop) with the same
# file through shared.anomalyformat's reader: scores equal within float tolerance, the state
# after each window the same as shared.anomaly_train.state_trace's. Refusals: no model, a
# classes model, a session still recording, an unknown session.
import json
import time

from device.tests import nodekit as K
from device.tests.test_node_anomaly import WIN, _install, _model
from shared import anomaly as A
from shared import anomaly_train as AT
from shared import anomalyformat as AF
from shared import dataset as D


def _record(dev, acts):
    st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
    assert st == 201, m
    sid = m["id"]
    for act, seconds in acts:
        assert dev.put("/api/sim", {"activity": act})[0] == 200
        time.sleep(seconds)
    assert dev.json("POST", "/api/sessions/%d/stop" % sid, {}, token=dev.token)[0] == 200
    return sid


def _page_side(dev, sid, text):
    """The scores and states CPython computes for the session's windows with the file."""
    meta = dev.json("GET", "/api/sessions/%d" % sid)[1]
    st, h, raw = dev.get("/api/sessions/%d/windows" % sid)
    assert st == 200
    samples, nch, n, rate, scale, gaps = D.deblock(raw, meta["windows"], meta["frame_size"])
    W, hop = WIN["window"], meta["hop"]
    wins = [D.cut_window(samples, nch, n, k, W) for k in range(0, n - W + 1, hop)]
    model = AF.loads(text)
    X, d = A.feature_table(wins, dict(WIN, scale=meta["scale"]))
    from array import array
    out = array("f", bytes(4 * len(wins)))
    model.score_rows(X, out)
    on, starts = AT.state_trace(out, model.threshold, *model.hysteresis)
    return list(out), "".join("1" if x else "0" for x in on)


def _free(dev):
    return max(dev.json("GET", "/api/status")[1]["mem_free"] for _ in range(3))


def test_device_scores_a_session_as_the_page_does(tmp_path):
    dev = K.start(tmp_path / "dev")
    try:
        cfg = {k: WIN[k] for k in ("rate", "window", "hop")}
        assert dev.put("/api/config", cfg)[0] == 200
        dev.put("/api/sim", {"activity": "idle"})
        sid0 = _record(dev, [("idle", 2)])
        st, b = dev.json("GET", "/api/sessions/%d/scores" % sid0)
        assert st == 409 and "no model" in b["error"], b
        K.install(dev, WIN)                     # a classes model: its check is another one
        st, b = dev.json("GET", "/api/sessions/%d/scores" % sid0)
        assert st == 409 and "classes model" in b["error"], b
        text = _model(n_windows=400)   # 60 idle windows overfit 32 features: unseen idle
        # scored over the threshold 1 window in 4 and the last idle stretch often stayed on
        _install(dev, text)
        st, b = dev.json("GET", "/api/sessions/99/scores")
        assert st == 404, b
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        st, b = dev.json("GET", "/api/sessions/%d/scores" % m["id"])
        assert st == 409 and "still recording" in b["error"], b
        dev.json("POST", "/api/sessions/%d/stop" % m["id"], {}, token=dev.token)
        sid = _record(dev, [("idle", 4), ("shaking", 3), ("idle", 4)])
        assert dev.get("/api/history")[0] == 200 and dev.get("/api/flagged")[0] == 200
        free0 = _free(dev)
        t0 = time.monotonic()
        st, h, raw = dev.get("/api/sessions/%d/scores" % sid, timeout=60)
        took = time.monotonic() - t0
        free1 = _free(dev)
        assert st == 200, raw
        js = json.loads(raw)
        assert js["error"] is None and js["session"] == sid and js["hop"] == WIN["hop"], js
        scores, on = _page_side(dev, sid, text)
        assert js["windows"] == len(scores) == len(js["scores"]) == len(js["on"]) > 40, js
        worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(js["scores"], scores))
        assert worst < 1e-4, worst
        assert js["on"] == on, (js["on"], on)
        assert "1" in on and on.endswith("0"), on      # shaking raised it, idle cleared it
        print("session %d: %d windows scored on the device in %.2f s, worst relative "
              "difference %.2g, states equal (%d on)" % (sid, js["windows"], took, worst,
                                                       on.count("1")))
        # nothing kept: the module and its buffers are dropped after the answer
        print("heap: mem_free %d before, %d after" % (free0, free1))
        assert free1 >= free0 - 1024, (free0, free1)
    finally:
        dev.stop()

# Anomaly models on the simulated device (real firmware, real mosquitto, a real local webhook
# receiver): a model fitted by shared.anomaly on the device's own "idle" windows is uploaded,
# scores every window (status, WebSocket), its state goes on with an anomalous signal
# ("shaking") and off after; the history logs state and score, anomalous windows are kept
# like flagged ones, MQTT has the Home Assistant binary_sensor/sensor configs and the state
# messages, webhooks get anomaly_start/anomaly_end. A model of the wrong kind, channels, rate
# or window, garbage and a cut file are refused with the reason and the old model keeps running.
import json
import re

from device.tests import models as M
from device.tests import machinekit as MK
from device.tests import nodekit as K
from device.tests.broker import Broker, Receiver, Subscriber

WIN = {"rate": 100, "window": 128, "hop": 16, "channels": 3, "scale": 1 / 4096}
_TEXT = {}


def _model(**kw):
    key = json.dumps(kw, sort_keys=True)
    if key not in _TEXT:
        _TEXT[key] = M.anomaly_text(WIN, **kw)
    return _TEXT[key]


def _put_model(dev, text):
    return dev.request("PUT", "/api/model", text, {
        "Authorization": "Bearer " + dev.token, "Content-Type": "text/csv"})


def _status(dev):
    return dev.json("GET", "/api/status")[1]


def _pred(dev):
    return _status(dev).get("prediction") or {}


def _install(dev, text):
    cfg = {k: WIN[k] for k in ("rate", "window", "hop")}
    st, body = dev.put("/api/config", cfg)
    assert st == 200, body
    dev.put("/api/sim", {"activity": "idle"})
    st, h, b = _put_model(dev, text)
    assert st == 200, b
    return json.loads(b)


def _state_is(dev, on, timeout=60):
    return K.wait_for(lambda: _pred(dev).get("kind") == "anomaly" and
                      _pred(dev).get("anomaly") is on, timeout=timeout)


def test_scores_state_history_flagged_mqtt_webhooks(tmp_path):
    br = Broker(tmp_path / "broker").start()
    sub = Subscriber(br.port, "#", "sub-anomaly")
    rx = Receiver().start()
    dev = K.start(tmp_path / "dev")
    try:
        st, body = dev.put("/api/integrations", {
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": br.port, "topic": "node9",
                     "queue": 32, "summary_s": 0},
            "webhooks": {"enabled": True, "retries": 2, "urls": [
                {"url": "http://127.0.0.1:%d/hook" % rx.port}]},
            "flagged": {"min_interval_s": 0}})
        assert st == 200, body
        summary = _install(dev, _model())
        assert summary["kind"] == "anomaly" and summary["scorer"] == "envelope", summary
        assert summary["impl"] == "c", summary          # the firmware's emlearn_distance
        st, h, b = dev.get("/api/model")
        got = json.loads(b)
        assert got["kind"] == "anomaly" and got["meta"]["kind"] == "anomaly"
        # idle is what it learned: scored, state off
        K.wait_for(lambda: _pred(dev).get("kind") == "anomaly")
        p = _pred(dev)
        assert set(p) >= {"type", "kind", "score", "threshold", "anomaly", "seq", "hash"}, p
        assert p["type"] == "prediction" and p["hash"] == summary["hash"]
        _state_is(dev, False)
        ws = dev.ws()
        try:
            m = ws.recv_json("prediction", limit=400)
            assert m["kind"] == "anomaly" and isinstance(m["score"], float), m
        finally:
            ws.close()
        # shaking is not: the state goes on, then off again back at idle
        dev.put("/api/sim", {"activity": "shaking"})
        _state_is(dev, True)
        assert _pred(dev)["score"] > _pred(dev)["threshold"]
        dev.put("/api/sim", {"activity": "idle"})
        _state_is(dev, False)
        s = _status(dev)
        assert s["inference_ms_max"] > 0 and s["model_kind"] == "anomaly", s
        print("heap: mem_free %s, inference ms last %.2f max %.2f" % (
            s.get("mem_free"), s["inference_ms"], s["inference_ms_max"]))
        # the history: state as the class, score as the level
        st, h, b = dev.get("/api/history")
        js = json.loads(b)
        assert "anomaly" in js["classes"] and "normal" in js["classes"], js["classes"]
        states = [js["classes"][r[2]] for r in js["rows"] if r[2] is not None]
        assert "anomaly" in states and states[-1] == "normal", states[-20:]
        hi = [r[3] for r in js["rows"] if r[2] is not None and
              js["classes"][r[2]] == "anomaly"]
        assert max(hi) > 0.5, hi                  # over the threshold: above 0.5
        # anomalous windows kept with their samples, like flagged ones
        fl = dev.json("GET", "/api/flagged")[1]["flagged"]
        an = [f for f in fl if f.get("reason") == "anomaly"]
        assert an and an[0]["score"] > an[0]["threshold"] and an[0]["class"] == "anomaly", fl
        st, h, raw = dev.get("/api/flagged/%d/samples.npy" % an[0]["id"])
        assert st == 200 and len(raw) > 3 * 128 * 2
        # webhooks: start then end, with score and time
        K.wait_for(lambda: [g[2]["event"] for g in rx.got if g[2]["event"].startswith(
            "anomaly")][:2] == ["anomaly_start", "anomaly_end"], timeout=30)
        ev = [g[2] for g in rx.got if g[2]["event"].startswith("anomaly")]
        assert ev[0]["anomaly"] is True and ev[1]["anomaly"] is False, ev
        assert set(ev[0]) >= {"t", "seq", "score", "threshold", "hash", "device"}, ev[0]
        assert not [g for g in rx.got if g[2]["event"] == "class"], rx.got[:3]
        # MQTT: Home Assistant discovery of the binary_sensor and the sensor, state messages
        name = _status(dev)["node"]["name"]
        assert sub.wait(lambda s: [m["anomaly"] for m in s.json("node9/anomaly")].count(True)
                        >= 1 and s.json("node9/anomaly")[-1]["anomaly"] is False, timeout=30)

        def cfg(topic):
            with sub.lock:
                got = [p for t, p, r in sub.msgs if t == topic]
            return got[-1] if got else None
        b_cfg = json.loads(cfg("homeassistant/binary_sensor/%s/anomaly/config" % name))
        s_cfg = json.loads(cfg("homeassistant/sensor/%s/score/config" % name))
        assert b_cfg["state_topic"] == s_cfg["state_topic"] == "node9/anomaly"
        assert b_cfg["device_class"] == "problem" and "value_json.anomaly" in \
            b_cfg["value_template"] and "value_json.score" in s_cfg["value_template"]
        assert cfg("homeassistant/sensor/%s/class/config" % name) == b""   # removed
        with sub.lock:
            retained = [r for t, p, r in sub.msgs if t == "node9/anomaly"]
        assert retained, "no state message"
        st = _status(dev)["node"]
        assert st["mqtt"]["state"] == "connected" and st["webhooks"]["gave_up"] == 0, st
    finally:
        dev.stop()
        sub.close()
        br.stop()
        rx.stop()


def test_refused_with_the_reason_and_the_old_model_kept(tmp_path):
    dev = K.start(tmp_path / "dev")
    try:
        old = _install(dev, _model())
        good = _model()
        bad = {
            "rate": (_model(meta={"window": {"rate": 50, "window": 128, "channels": 3}}),
                     "50 Hz"),
            "window": (_model(meta={"window": {"rate": 100, "window": 64, "channels": 3}}),
                       "windows of 64 samples"),
            "channels": (_model(meta={"window": {"rate": 100, "window": 128,
                                                 "channels": 6}}), "6 channels"),
            "kind": (good.replace('"kind": "anomaly"', '"kind": "regression"'),
                     "'regression'"),
            "scorer": (good.replace('"scorer": "envelope"', '"scorer": "knn"'),
                       "scorer 'knn'"),
            "garbage": ("this is not a model\n" * 20, "must start with"),
            "cut": (good[:good.rindex("\n", 0, len(good) * 2 // 3) + 1], "truncated"),
            # the last piece is either a bad line or a good one missing the rest of the file
            "cut mid-line": (good[:len(good) * 2 // 3], "line |truncated"),
            "nan": (re.sub(r"\nmean,[^,\n]+", "\nmean,nan", good, count=1), "NaN"),
        }
        for what, (text, reason) in bad.items():
            st, h, b = _put_model(dev, text)
            msg = json.loads(b).get("error", b.decode())
            assert st in (400, 422) and re.search(reason, msg), (what, st, msg)
            st, h, b = dev.get("/api/model")
            assert st == 200 and json.loads(b)["hash"] == old["hash"], what
        K.wait_for(lambda: _pred(dev).get("hash") == old["hash"])
        # a gmm model is taken too, and a classes model after it
        g = _install(dev, _model(kind="gmm"))
        assert g["scorer"] == "gmm" and g["impl"] == "c", g
        print("gmm loaded in place of the envelope (heap for one of them only): %s"
              % ("in place of the old" in dev.output()))
        K.wait_for(lambda: _pred(dev).get("hash") == g["hash"])
        K.install(dev, WIN)
        K.wait_for(lambda: "class" in _pred(dev) and _pred(dev).get("kind") is None)
    finally:
        dev.stop()


def test_machine_faults_raise_and_clear_the_state(tmp_path):
    """The acceptance's device half: trained by shared.anomaly_train on normal running of the
    simulated machine (CPython), sent, then each fault switched on (PUT /api/sim {"fault"}):
    the state goes on within 10 s of the onset and off again after the fault ends."""
    import time
    from device.hal.sim_machine import FAULTS, SCALE
    from shared import anomaly_train
    from shared import anomalyformat as AF
    from shared.features import feature_names
    win = {"rate": 100, "window": 128, "channels": 3}
    sessions = [{"id": i, "windows": MK.windows(700 + i, 70), "scale": SCALE,
                 "normal": True} for i in range(4)]
    r = anomaly_train.train(sessions, dict(win, scale=SCALE), kind="envelope", hop=64)
    assert r["model"] is not None and r["need_more"] is None, r["need_more"]
    text = AF.dumps(r["model"], AF.make_meta(r["model"], feature_names(3), win,
                                             r["hysteresis"]))
    dev = K.start(tmp_path / "dev")
    try:
        st, cfg = dev.put("/api/config", {"sensor": "machine", "rate": 100, "window": 128,
                                          "hop": 64})
        assert st == 200, cfg
        st, h, b = _put_model(dev, text)
        assert st == 200, b
        _state_is(dev, False)
        for f in FAULTS:
            assert dev.put("/api/sim", {"fault": f})[0] == 200
            t0 = time.monotonic()
            _state_is(dev, True, timeout=30)
            took = time.monotonic() - t0
            assert took < 10, (f, took)
            assert dev.put("/api/sim", {"fault": None})[0] == 200
            _state_is(dev, False, timeout=30)
            print("%s: on after %.1f s" % (f, took))
    finally:
        dev.stop()

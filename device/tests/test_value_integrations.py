# A regression model's estimate in the node's integrations (issue 21), on the frozen firmware:
# the history logs each window's value (one byte over the model's range: the files decoded by
# nodekit's own reader equal /api/history; the summary gives min/mean/max per bucket; CSV and
# .npy carry a value column), a threshold (PUT /api/value) sends value_over / value_under to
# webhooks (the local receiver) with hysteresis, and a slow sensor's readings go to MQTT as
# Home Assistant sensors with units and device classes (the real mosquitto). Each test prints
# the heap (status mem_free) before and after what it turns on.
import functools
import io
import json
import statistics
import time

import numpy as np

from device.tests import nodekit as K
from device.tests.broker import Broker, Receiver, Subscriber
from device.tests.simdev import SimDevice
from device.tests.test_model import push
from device.tests.test_regress_live import SLOW, _estimates, train
from shared import dye

HEAP = 192 * 1024


@functools.lru_cache(maxsize=1)
def _model():
    return train()[0]


def _status(dev):
    st, s = dev.json("GET", "/api/status")
    assert st == 200, s
    return s


def _history(dev, query=""):
    st, h, b = dev.get("/api/history" + query)
    assert st == 200, b[:300]
    return b


def _spectrometer(tmp_path, speed=8):
    dev = SimDevice(tmp_path / "data").start()
    st, cfg = dev.put("/api/config", dict(SLOW, sensor="spectrometer"))
    assert st == 200, cfg
    assert dev.put("/api/sim", {"speed": speed})[0] == 200
    dev.wait_data(1)
    return dev


def _valued(dev, after_seq):
    """(seq, value) of the history's windows after after_seq that have a value."""
    js = json.loads(_history(dev))
    return [(r[1], r[5]) for r in js["rows"] if r[1] > after_seq and r[5] is not None]


def _set(dev, c):
    """Concentration c from the next window on: the seq from which windows are wholly at c."""
    assert dev.put("/api/sim", {"concentration": c})[0] == 200
    return (_status(dev).get("prediction") or {}).get("seq", -1) + 2


def test_history_carries_the_value(tmp_path):
    dev = _spectrometer(tmp_path)
    try:
        free0 = _status(dev)["mem_free"]
        st, r = push(dev, _model())
        assert st == 200, r
        seq = _set(dev, 0.5)
        K.wait_for(lambda: len(_valued(dev, seq)) >= 8, timeout=90)
        seq = _set(dev, 1.5)
        K.wait_for(lambda: len(_valued(dev, seq)) >= 8, timeout=90)
        s = _status(dev)
        print("heap: mem_free %d B before the model, %d B with it and the history logging "
              "its values; low mark %d B" % (free0, s["mem_free"], s["mem_free_min"]))
        assert HEAP - s["mem_free_min"] <= 0.75 * HEAP, s

        js = json.loads(_history(dev))
        assert js["value"] == {"target": "concentration", "unit": dye.UNIT}, js["value"]
        assert js["columns"] == ["t", "seq", "class", "confidence", "rms", "value"]
        rows = [r for r in js["rows"] if r[5] is not None]
        assert rows and all(r[2] is None and r[3] is None for r in rows), rows[:3]
        lo = [r[5] for r in rows if r[1] < seq - 2]      # (the first level's windows)
        hi = [r[5] for r in rows if r[1] >= seq]
        # one byte over the model's range 0..2: within 2/254/2 of the estimate, so the logged
        # values follow the truth within the model's error
        assert abs(statistics.median(lo[-8:]) - 0.5) < 0.2, lo
        assert abs(statistics.median(hi) - 1.5) < 0.2, hi
        # the spectral set's channel levels (the mean) as the record's "rms": the clear
        # channel reads the lamp, counts in the thousands
        assert all(r[4][0] > 0 for r in rows), rows[:3]

        # the summary: min/mean/max of the values per bucket, in the unit
        st, h, b = dev.get("/api/history/summary?bucket=3600")
        sm = json.loads(b)
        assert sm["columns"][-1] == "value" and sm["value"]["unit"] == dye.UNIT, sm
        vmin, vmean, vmax = sm["rows"][-1][6]
        assert vmin <= vmean <= vmax, sm["rows"]
        assert vmin < 0.8 and vmax > 1.2, sm["rows"]
        assert sm["rows"][-1][4] is None      # no confidence: only the regression ran

        # CSV and .npy carry the value column
        csv = _history(dev, "?format=csv").decode()
        head = csv.splitlines()[0]
        assert head.endswith(",concentration[%s]" % dye.UNIT), head
        st, h, b = dev.get("/api/history?format=npy")
        assert st == 200 and json.loads(h["x-value"])["target"] == "concentration", h
        arr = np.load(io.BytesIO(b))
        got = arr["value"][~np.isnan(arr["value"])]
        assert len(got) >= 16 and got.min() < 0.8 and got.max() > 1.2, got
        assert np.isnan(arr["confidence"]).all()

        # the files (nodekit's own reader) hold the same values as the API
        api = {r[1]: r[5] for r in json.loads(_history(dev))["rows"]}
        K.wait_for(lambda: K.chunks(tmp_path / "data"), timeout=120)
        ctx = K.contexts(tmp_path / "data")
        n = 0
        for p in K.chunks(tmp_path / "data"):
            recs, tail = K.records(p)
            for seq0, t, period, k, cid, codes, rms, ok in recs:
                assert ok and ctx[cid]["kind"] == "regress", ctx[cid]
                assert all(c == 255 for c in codes[k:])          # unused slots: no estimate
                for i, v in enumerate(K.values(codes, k, ctx[cid])):
                    if seq0 + i in api:
                        assert (v is None) == (api[seq0 + i] is None)
                        if v is not None:
                            assert abs(v - api[seq0 + i]) < 1e-4, (v, api[seq0 + i])
                            n += 1
        assert n >= 8, n
    finally:
        dev.stop()


def _events(rx, kind):
    return [m for _, _, m in list(rx.got) if m["event"] == kind]


def test_value_over_and_under_with_hysteresis(tmp_path):
    rx = Receiver().start()
    dev = _spectrometer(tmp_path)
    try:
        st, body = dev.put("/api/integrations", {"webhooks": {
            "enabled": True, "urls": [{"url": "http://127.0.0.1:%d/v" % rx.port}]}})
        assert st == 200, body
        # a threshold needs a regression model (its unit); the token; a number
        st, r = dev.put("/api/value", {"threshold": 1.0})
        assert st == 409 and "regression model" in r["error"], r
        assert push(dev, _model())[0] == 200
        st, r = dev.put("/api/value", {"threshold": 1.0}, token=False)
        assert st == 401, r
        st, r = dev.put("/api/value", {"threshold": "high"})
        assert st == 400 and "threshold must be a number" in r["error"], r
        st, r = dev.put("/api/value", {"over": 1})
        assert st == 400 and "unknown value setting" in r["error"], r
        free0 = _status(dev)["mem_free"]
        ws = dev.ws()                     # an open page hears of the new threshold
        ws.recv_json("hello")
        st, r = dev.put("/api/value", {"threshold": 1.0})
        assert st == 200 and r["active"] and r["unit"] == dye.UNIT, r
        _, d = ws.until(lambda op, d: op == 1 and b'"changed"' in d, limit=5000)
        assert json.loads(d)["part"] == "integrations", d
        ws.close()
        assert abs(r["band"] - 0.04) < 1e-6, r          # 2 % of the model's range 0..2

        seq = _set(dev, 0.5)
        K.wait_for(lambda: len(_valued(dev, seq)) >= 4, timeout=90)
        assert not _events(rx, "value_over") and not _events(rx, "value_under")
        _set(dev, 1.5)
        K.wait_for(lambda: _events(rx, "value_over"), timeout=60)
        _set(dev, 0.5)
        K.wait_for(lambda: _events(rx, "value_under"), timeout=60)
        over, under = _events(rx, "value_over")[0], _events(rx, "value_under")[0]
        assert over["value"] >= 1.0 and over["unit"] == dye.UNIT, over
        assert over["threshold"] == 1.0 and over["target"] == "concentration", over
        assert under["value"] < 1.0 - 0.04 and under["seq"] > over["seq"], under
        assert len(_events(rx, "value_over")) == 1 and len(_events(rx, "value_under")) == 1
        s = _status(dev)
        print("heap: mem_free %d B with a threshold set, %d B after its events (webhooks on); "
              "low mark %d B" % (free0, s["mem_free"], s["mem_free_min"]))
        assert HEAP - s["mem_free_min"] <= 0.75 * HEAP, s

        # near the threshold: the live estimates at an unseen 1.1 mmol/L wander over a few
        # leaves; a threshold at their median with no hysteresis flaps, one with a band as
        # wide as their spread does not
        seq = _set(dev, 1.1)
        vals = [m["value"] for m in _estimates(dev, seq, 16)]
        # the threshold between the two distinct estimates that split them most evenly
        u = sorted(set(vals))
        assert len(u) >= 2, vals
        thr = min(((a + b) / 2 for a, b in zip(u, u[1:])),
                  key=lambda t: abs(sum(v >= t for v in vals) - len(vals) / 2))
        spread = max(vals) - min(vals)
        print("estimates at 1.1: %s; threshold %.4f, spread %.3f"
              % (" ".join("%.3f" % v for v in vals), thr, spread))

        def flips(hysteresis, n=16):
            assert dev.put("/api/value", {"threshold": thr,
                                                  "hysteresis": hysteresis})[0] == 200
            k0 = len(rx.got)
            s0 = _status(dev)["prediction"]["seq"]
            K.wait_for(lambda: _status(dev)["prediction"]["seq"] >= s0 + n, timeout=90)
            K.wait_for(lambda: not dev.json("GET", "/api/status")[1]["node"]["webhooks"]
                       ["queued"], timeout=30)
            return len([m for _, _, m in rx.got[k0:] if m["event"].startswith("value_")])
        flat = flips(0)
        print("events in 16 windows at the median: %d without hysteresis" % flat)
        assert flat >= 2, (flat, vals)          # (the estimates do cross it)
        banded = flips(spread + 0.02)
        print("... %d with a band of %.3f" % (banded, spread + 0.02))
        assert banded <= 1, banded
        st, r = dev.json("GET", "/api/value")
        assert st == 200 and r["threshold"] == thr and r["value"] is not None, r
    finally:
        dev.stop()
        rx.stop()


def _cfg(sub, topic):
    with sub.lock:
        got = [p for t, p, rt in sub.msgs if t == topic]
    return got[-1] if got else None


def test_slow_sensor_readings_on_mqtt(tmp_path):
    br = Broker(tmp_path / "broker").start()
    sub = Subscriber(br.port, "#", "sub-readings")
    dev = SimDevice(tmp_path / "data").start()
    try:
        free0 = _status(dev)["mem_free"]
        st, body = dev.put("/api/integrations", {
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": br.port, "topic": "node9",
                     "queue": 32, "summary_s": 0}})
        assert st == 200, body
        # the accelerometer: connected, no readings
        name = _status(dev)["node"]["name"]
        assert sub.wait(lambda s: _cfg(s, "node9/availability") == b"online", timeout=30)
        free1 = _status(dev)["mem_free"]
        st, cfg = dev.put("/api/config", {"sensor": "room", "rate": 1, "window": 10, "hop": 10})
        assert st == 200, cfg
        assert dev.put("/api/sim", {"speed": 4})[0] == 200
        pre = "homeassistant/sensor/%s/" % name
        want = {"temperature": ("temperature", "\u00b0C"), "humidity": ("humidity", "%"),
                "pressure": ("pressure", "hPa"), "light": ("illuminance", "lx")}
        assert sub.wait(lambda s: all(_cfg(s, pre + ch + "/config") for ch in want),
                        timeout=30), [m[0] for m in sub.msgs]
        for ch, (dc, unit) in want.items():
            c = json.loads(_cfg(sub, pre + ch + "/config"))
            assert c["device_class"] == dc and c["unit_of_measurement"] == unit, c
            assert c["state_topic"] == "node9/readings" and ch in c["value_template"], c
        assert sub.wait(lambda s: len(s.json("node9/readings")) >= 3, timeout=40)
        t0 = time.monotonic()
        n0 = len(sub.json("node9/readings"))
        time.sleep(10.5)       # a rate measured over a span (the condition waits are above)
        n1 = len(sub.json("node9/readings"))
        # 4 samples a second (speed 4): at most one reading each 5 s (the node's tick)
        assert 1 <= n1 - n0 <= 3, (n0, n1, time.monotonic() - t0)
        r = sub.json("node9/readings")[-1]
        assert 10 < r["temperature"] < 35 and 20 < r["humidity"] < 80, r
        assert 980 < r["pressure"] < 1040 and r["light"] >= 0, r
        s = _status(dev)
        print("heap: mem_free %d B idle, %d B with MQTT on, %d B with the room's readings on "
              "MQTT; low mark %d B" % (free0, free1, s["mem_free"], s["mem_free_min"]))
        assert HEAP - s["mem_free_min"] <= 0.75 * HEAP, s

        # the spectrometer: 11 plain sensors in counts; the room's entities removed
        assert dev.put("/api/config", dict(SLOW, sensor="spectrometer"))[0] == 200
        assert sub.wait(lambda s: all(_cfg(s, pre + ch + "/config") for ch in dye.CHANNELS),
                        timeout=30)
        for ch in dye.CHANNELS:
            c = json.loads(_cfg(sub, pre + ch + "/config"))
            assert "device_class" not in c and c["unit_of_measurement"] == "counts", c
        assert all(_cfg(sub, pre + ch + "/config") == b"" for ch in want)
        assert sub.wait(lambda s: "f415" in (s.json("node9/readings") or [{}])[-1],
                        timeout=30)
        r = sub.json("node9/readings")[-1]
        assert set(r) == set(dye.CHANNELS) | {"t"} and r["clear"] > 0, r

        # an accelerometer again: the spectral entities go, no readings come
        assert dev.put("/api/config", {"sensor": "sim", "rate": 100, "window": 128,
                                       "hop": 16})[0] == 200
        assert sub.wait(lambda s: all(_cfg(s, pre + ch + "/config") == b""
                                      for ch in dye.CHANNELS), timeout=30)
        n = len(sub.json("node9/readings"))
        time.sleep(6)          # longer than the tick: nothing more is sent
        assert len(sub.json("node9/readings")) == n
    finally:
        dev.stop()
        sub.close()
        br.stop()

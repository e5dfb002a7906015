# The simulator's time scale (PUT /api/sim {"speed": N}, device/sampler.py): bad input refused
# (400 with the field, 401 without the token), the windows come N times faster (measured on the
# status' seq against the wall clock), the scale survives a config change, and a session
# recorded at 20 x real time is sample for sample what CPython's SimMachine makes (the same
# data as a real-time recording: why e2e/anomaly.test.mjs may record and soak at 20 x).
import time
from array import array

from device.hal.sim_machine import SimMachine
from device.tests.simdev import SimDevice
from shared import dataset as D


def _seq(dev):
    return dev.json("GET", "/api/status")[1]["seq"]


def _scale(dev, hop_s, wall=3.0):
    """Sensor seconds per wall second over about `wall` seconds (from the next window on)."""
    q = _seq(dev)
    while _seq(dev) <= q:         # windows flow (not the config's restart filling the window)
        time.sleep(0.01)
    q0, t0 = _seq(dev), time.monotonic()
    time.sleep(wall)
    q1, t1 = _seq(dev), time.monotonic()
    return (q1 - q0) * hop_s / (t1 - t0)


def test_speed_api_scale_and_same_samples(tmp_path):
    dev = SimDevice(tmp_path / "dev").start()
    try:
        st, s = dev.json("GET", "/api/sim")
        assert st == 200 and s["speed"] == 1, s
        for bad in (0, 51, 2.5, True, "x", None):
            st, b = dev.put("/api/sim", {"speed": bad})
            assert st == 400 and b["field"] == "speed", (bad, st, b)
        assert dev.put("/api/sim", {"speed": 5}, token=False)[0] == 401
        assert dev.json("GET", "/api/sim")[1]["speed"] == 1

        st, cfg = dev.put("/api/config", {"rate": 100, "window": 128, "hop": 16})
        assert st == 200, cfg
        hop_s = 16 / 100          # fine steps of seq for the measurement
        one = _scale(dev, hop_s)
        st, s = dev.put("/api/sim", {"speed": 10})
        assert st == 200 and s["speed"] == 10, s
        ten = _scale(dev, hop_s)
        print("time scale: x%.2f at speed 1, x%.2f at speed 10" % (one, ten))
        assert 0.8 < one < 1.2, one
        assert 5 < ten < 10.5, ten     # a busy host may run slower, never faster

        # the machine at 20 x: kept across the config change; a recording is the same data
        st, cfg = dev.put("/api/config", {"sensor": "machine"})
        assert st == 200, cfg
        assert dev.json("GET", "/api/sim")[1]["speed"] == 10
        assert dev.put("/api/sim", {"speed": 20})[0] == 200
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        q = _seq(dev)
        t0 = time.monotonic()
        while _seq(dev) < q + 400 and time.monotonic() - t0 < 30:   # 64 s of machine time
            time.sleep(0.2)
        assert dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)[0] == 200
        took = time.monotonic() - t0
        st, s = dev.json("GET", "/api/status")
        assert s["dropped_source"] == 0, s
        st, h, body = dev.get("/api/sessions/%d/windows" % m["id"])
        assert st == 200
        samples, nch, n, rate, scale, gaps = D.deblock(body, int(h["x-count"]),
                                                       int(h["x-frame-size"]))
        assert (nch, rate, gaps) == (3, 100, 0) and n >= 6000, (nch, rate, gaps, n)
        print("recorded %d samples (%.0f s of machine time) in %.1f s" % (n, n / 100, took))
        ref = SimMachine(100)
        total = 200000
        buf = array("h", bytes(6 * total))
        for k in range(total):
            ref.read_into(buf, 3 * k)
        x = [samples[k] for k in range(64)]
        row0 = [o for o in range(total - n) if buf[3 * o] == x[0] and
                all(buf[3 * (o + k)] == x[k] for k in range(64))]
        assert len(row0) == 1, row0
        o = row0[0]
        bad = [k for k in range(n) if any(samples[c * n + k] != buf[3 * (o + k) + c]
                                          for c in range(3))]
        assert bad == [], bad[:10]
        assert dev.put("/api/sim", {"speed": 1})[0] == 200
    finally:
        dev.stop()

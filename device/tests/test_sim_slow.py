# The simulated slow sensors on the real frozen firmware: the spectrometer (a dye at a set
# concentration, device/hal/sim_spectrometer.py over shared/dye.py) and the room over a day
# (device/hal/sim_room.py). PUT /api/sim {"concentration"} / {"day_s"}: token, 400 naming the
# field, 409 with another sensor; the concentration's truth log; a session recorded while the
# concentration changes has 11 channels whose bands read shared.dye's Beer-Lambert counts at
# the logged concentration from the logged window on. Prints the heap cost (status mem_free)
# of each against the accelerometer at the same rate/window/hop.
import statistics

from device.tests.simdev import SimDevice
from shared import dye
from shared import dataset as D

SLOW = {"rate": 10, "window": 20, "hop": 10}


def _free(dev, n=5):
    return statistics.median(dev.json("GET", "/api/status")[1]["mem_free"] for _ in range(n))


def _samples(dev, sid):
    st, h, body = dev.get("/api/sessions/%d/windows" % sid)
    assert st == 200
    return D.deblock(body, int(h["x-count"]), int(h["x-frame-size"]))


def _band_mean(samples, n, band, a, b):
    return sum(samples[band * n + k] for k in range(a, b)) / (b - a)


def test_spectrometer_concentration_truth_and_recording(tmp_path):
    dev = SimDevice(tmp_path / "data").start()
    try:
        st, r = dev.put("/api/sim", {"concentration": 0.5})
        assert st == 409 and "spectrometer" in r["error"], r
        assert dev.put("/api/config", dict(SLOW, sensor="sim"))[0] == 200
        dev.wait_data(2)
        free_accel = _free(dev)
        st, cfg = dev.put("/api/config", dict(SLOW, sensor="spectrometer"))
        assert st == 200 and cfg["sensor"] == "spectrometer", cfg
        dev.wait_data(2)
        free_spec = _free(dev)
        status = dev.json("GET", "/api/status")[1]
        assert len(status["channels"]) == 11 and status["channels"][9] == "nir", status
        st, s = dev.json("GET", "/api/sim")
        assert s["scene"] == "spectrometer" and s["concentration"] == 0.0, s
        assert s["concentrations"] == [] and s["unit"] == "mmol/L" and 0.9 < s["lamp"] < 1.1
        for bad in ("a lot", -0.1, 2.5, True, None, [0.2]):
            st, r = dev.put("/api/sim", {"concentration": bad})
            assert st == 400 and r.get("field") == "concentration", (bad, r)
            assert "0..2" in r["error"], r
        assert dev.json("PUT", "/api/sim", {"concentration": 0.5}, token="0" * 32)[0] == 401
        st, r = dev.put("/api/sim", {"day_s": 600})
        assert st == 409 and "room" in r["error"], r
        assert dev.put("/api/sim", {"speed": 5})[0] == 200
        st, s = dev.put("/api/sim", {"concentration": 0.5})
        assert st == 200 and s["concentration"] == 0.5, s
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        dev.wait_data(6)
        st, s = dev.put("/api/sim", {"concentration": 1.25})
        assert st == 200 and [v for _, _, v in s["concentrations"]] == [0.5, 1.25], s
        seq = s["concentrations"][-1][1]
        dev.wait_data(8)
        st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
        assert st == 200, m
        st, meta = dev.json("GET", "/api/sessions/%d" % m["id"])
        assert meta["sensor"] == "spectrometer", meta
        samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
        assert (nch, rate, gaps) == (11, 10, 0) and n >= 100, (nch, rate, gaps, n)
        cut = (seq - meta["first_seq"]) * SLOW["hop"]
        assert 40 < cut < n - 40, (cut, n)
        # the first windows may hold samples from before 0.5 was set (the log says which)
        first = max(0, (s["concentrations"][0][1] - meta["first_seq"]) * SLOW["hop"])
        assert first < cut - 20, (first, cut)
        # every band reads the dye at the logged concentration (lamp drift +-6 %, noise 40)
        for j in range(11):
            for c, a, b in ((0.5, first, cut - SLOW["hop"]), (1.25, cut, n)):
                got = _band_mean(samples, n, j, a, b) * scale
                want = dye.counts(j, c)
                assert abs(got - want) < 0.07 * want + 20, (j, c, got, want)
        # the session is labelled with its concentrations (the sensor's own log, in samples):
        # value segments 0.5 then 1.25, the change within the window the truth log names
        st, val = dev.json("GET", "/api/sessions/%d/value" % m["id"])
        assert st == 200 and val["name"] == "concentration" and val["unit"] == "mmol/L", val
        vs = [v for _, _, v in val["segments"]]
        assert vs[-2:] == [0.5, 1.25] and val["value"] is None, val
        edge = val["segments"][-1][0]
        assert cut - SLOW["hop"] < edge <= cut, (edge, cut)
        assert val["segments"][-1][1] == n
        assert meta["value_from"] == "simulated spectrometer" or \
            dev.json("GET", "/api/sessions/%d" % m["id"])[1]["value_from"] == \
            "simulated spectrometer"
        # the change shows where the log says: f590 (the dye's peak) drops by 10^(-1.4*0.75)
        before = _band_mean(samples, n, 5, cut - 2 * SLOW["hop"], cut - SLOW["hop"])
        after = _band_mean(samples, n, 5, cut, cut + SLOW["hop"])
        assert 0.07 < after / before < 0.12, (before, after)
        print("\nheap (status mem_free, 10 Hz, window 20, hop 10): accelerometer sim %d, "
              "spectrometer %d (cost %d B)" % (free_accel, free_spec, free_accel - free_spec))
    finally:
        dev.stop()


def test_room_over_a_day(tmp_path):
    dev = SimDevice(tmp_path / "data").start()
    try:
        assert dev.put("/api/config", dict(SLOW, sensor="sim"))[0] == 200
        dev.wait_data(2)
        free_accel = _free(dev)
        st, cfg = dev.put("/api/config", dict(SLOW, sensor="room"))
        assert st == 200, cfg
        dev.wait_data(2)
        free_room = _free(dev)
        st, s = dev.json("GET", "/api/sim")
        assert s["scene"] == "room" and s["day_s"] == 86400 and 5.9 < s["clock_h"] < 6.2, s
        for bad in (59, 86401, 1.5, "fast", False):
            st, r = dev.put("/api/sim", {"day_s": bad})
            assert st == 400 and r.get("field") == "day_s", (bad, r)
        st, r = dev.put("/api/sim", {"concentration": 0.1})
        assert st == 409 and "spectrometer" in r["error"], r
        # a 60 s day at 10 x: the lamps go on at 06:30 within a few real seconds
        assert dev.put("/api/sim", {"day_s": 60})[0] == 200
        assert dev.put("/api/sim", {"speed": 10})[0] == 200
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        dev.wait_data(30)
        s = dev.json("GET", "/api/sim")[1]
        st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
        assert st == 200, m
        samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
        assert (nch, rate) == (4, 10) and n >= 300, (nch, rate, n)
        assert 0 <= s["clock_h"] < 24 and s["lamps"] in (True, False) and s["day_s"] == 60, s
        temp = [samples[k] * scale for k in range(n)]
        light = [samples[3 * n + k] * scale for k in range(n)]
        assert all(15 < t < 30 for t in temp), (min(temp), max(temp))
        # half a day passes: dark night, daylight, lamps on (> 350 lx) and off
        assert max(light) > 340 and min(light) < 10, (min(light), max(light))
        assert max(temp) - min(temp) > 1.0
        print("\nheap (status mem_free, 10 Hz, window 20, hop 10): accelerometer sim %d, "
              "room %d (cost %d B)" % (free_accel, free_room, free_accel - free_room))
    finally:
        dev.stop()


def test_a_slow_rate_one_sample_every_n_seconds(tmp_path):
    from shared import protocol as P
    dev = SimDevice(tmp_path / "data").start()
    try:
        for bad, words in (({"sensor": "spectrometer", "period_s": 1}, ("period_s", "2..3600")),
                           ({"sensor": "sim", "period_s": 60}, ("slow sensors", "'sim'")),
                           ({"sensor": "room", "period_s": 4000}, ("period_s", "3600"))):
            st, r = dev.put("/api/config", bad)
            assert st == 400 and r.get("field") == "period_s", (bad, r)
            for w in words:
                assert w in r["error"], (w, r)
        st, cfg = dev.put("/api/config", {"sensor": "spectrometer", "period_s": 2,
                                          "window": 5, "hop": 5})
        assert st == 200 and cfg["period_s"] == 2, cfg
        s = dev.json("GET", "/api/status")[1]
        assert s["rate"] == 0.5, s["rate"]
        assert dev.put("/api/sim", {"speed": 20})[0] == 200     # a sample every 0.1 s
        st, sim = dev.put("/api/sim", {"concentration": 0.5})
        assert st == 200, sim
        seq = sim["concentrations"][-1][1]
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        dev.wait_data(40)                                        # 20 samples, 4 windows
        st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
        assert st == 200 and m["rate"] == 0.5, m
        st, h, body = dev.get("/api/sessions/%d/windows" % m["id"])
        fs = int(h["x-frame-size"])
        heads = [P.decode_header(body[i * fs:(i + 1) * fs]) for i in range(int(h["x-count"]))]
        assert len(heads) >= 4 and all(x[5] == 0.5 and x[2] == 11 for x in heads), heads[:2]
        # window times are the sensor's: one hop (5 samples) = 10 s apart
        steps = {(heads[i + 1][1] - heads[i][1]) & 0xFFFFFFFF for i in range(len(heads) - 1)}
        assert steps == {10000}, steps
        samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
        assert rate == 0.5 and gaps == 0 and nch == 11
        first = max(0, (seq - m["first_seq"]) * 5)     # (samples before 0.5 was set)
        assert first < n - 10, (first, n)
        got = _band_mean(samples, n, 5, first, n) * scale
        assert abs(got - dye.counts(5, 0.5)) < 0.07 * dye.counts(5, 0.5) + 20, got
        # a fast sensor again: the slow pace ends with it
        st, cfg = dev.put("/api/config", {"sensor": "sim"})
        assert st == 200 and "period_s" not in cfg and cfg["rate"] == 100, cfg
    finally:
        dev.stop()


def test_a_slow_csv_imports_as_a_slow_session(tmp_path):
    # a room logged once a minute (the CSV the page imports) uploaded as the page uploads it:
    # the device's session keeps 1/60 Hz, its duration in minutes, its samples
    import json
    from shared import csvio
    from shared import dataset as DS
    rows = "".join("room,%d,%.1f,%.1f,\n" % (60 * k, 20 + k / 10, 50 - k / 10) for k in range(30))
    p = csvio.parse(csvio.header(["temperature", "humidity"]) + rows)[0]
    assert p["rate"] == 1 / 60
    hop = DS.import_hop(2)
    body = DS.upload_frames(p["samples"], 2, p["n_samples"], hop, p["rate"], p["scale"])
    dev = SimDevice(tmp_path / "data").start()
    try:
        st, _, raw = dev.request("POST", "/api/sessions/import?name=room&channels=temperature,"
                                 "humidity&samples=%d" % p["n_samples"], bytes(body),
                                 {"Authorization": "Bearer " + dev.token,
                                  "Content-Type": "application/octet-stream"})
        m = json.loads(raw)
        assert st in (200, 201), m
        st, meta = dev.json("GET", "/api/sessions/%d" % m["id"])
        assert abs(meta["rate"] * 60 - 1) < 1e-9 and meta["samples"] == 30, meta
        assert abs(meta["duration_s"] - 1800) < 1e-6, meta["duration_s"]
        samples, nch, n, rate, scale, gaps = _samples(dev, m["id"])
        assert rate == 1 / 60 and nch == 2
        assert [round(samples[k] * scale, 1) for k in range(3)] == [20.0, 20.1, 20.2]
    finally:
        dev.stop()

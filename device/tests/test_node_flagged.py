# Flagged windows on the real simulated device: windows below the threshold keep their raw
# samples (bounded, oldest dropped), are listed and downloadable as .npy, and a labelled one
# becomes a session whose samples (GET .../samples.npy) are the flagged window's.
import io
import json

import numpy as np

from device.tests import models as M
from device.tests import nodekit as K

WIN = {"rate": 100, "window": 128, "hop": 16, "channels": 3, "scale": 1 / 4096}


def _npy(dev, path):
    st, h, b = dev.get(path)
    assert st == 200, b
    return np.load(io.BytesIO(b)), h


def test_unsure_windows_are_kept_listed_and_labelled_into_a_session(tmp_path):
    dev = K.start(tmp_path / "dev")
    try:
        K.install(dev, WIN, M.big(60, n_trees=8, window=WIN))   # random trees: split votes
        st, body = dev.put("/api/integrations", {"flagged": {
            "threshold": 0.99, "max": 2, "min_interval_s": 0}})
        assert st == 200, body
        K.wait_for(lambda: (dev.json("GET", "/api/status")[1]["node"]["flagged"] or {})
                   .get("since_boot", 0) >= 4, timeout=30)
        dev.put("/api/integrations", {"flagged": {"threshold": 0.0}})  # (none more)
        st, lst = dev.json("GET", "/api/flagged")
        ids = [m["id"] for m in lst["flagged"]]
        assert len(ids) == 2 and ids == sorted(ids) and ids[0] > 2, lst   # the newest two
        m = lst["flagged"][0]
        assert m["top"] < 1.0 and m["class"] in m["classes"] and m["window"] == 128
        assert abs(sum(m["scores"]) - 1) < 1e-3
        win, h = _npy(dev, "/api/flagged/%d/samples.npy" % m["id"])
        assert win.shape == (3, 128) and win.dtype == np.int16
        assert json.loads(h["x-channels"]) == ["x", "y", "z"]
        lab = "/api/flagged/%d/label" % m["id"]
        assert dev.json("POST", lab, {"label": ""}, token=dev.token)[0] == 400
        assert dev.json("POST", lab, {"label": "running"}, token="bad")[0] == 401
        st, s = dev.json("POST", "/api/flagged/%d/label" % m["id"], {"label": "running"},
                         token=dev.token)
        assert st == 201, s
        assert s["labels"]["counts"] == {"running": 128} and s["flagged"]["id"] == m["id"]
        got, h = _npy(dev, "/api/sessions/%d/samples.npy" % s["id"])
        assert np.array_equal(got, win)
        assert float(h["x-scale"]) == WIN["scale"]
        st, lab = dev.json("GET", "/api/sessions/%d/labels" % s["id"])
        assert lab["segments"] == [{"start": 0, "end": 128, "label": "running"}]
        assert dev.get("/api/flagged/%d" % m["id"])[0] == 404        # it joined the data
        st, _ = dev.json("DELETE", "/api/flagged/%d" % ids[1], token=dev.token)
        assert st == 200 and dev.json("GET", "/api/flagged")[1]["flagged"] == []
    finally:
        dev.stop()


def test_session_npy_matches_the_window_download(tmp_path):
    dev = K.start(tmp_path / "dev")
    try:
        st, s = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201
        K.wait_for(lambda: dev.json("GET", "/api/sessions/%d" % s["id"])[1]["windows"] >= 5)
        dev.json("POST", "/api/sessions/%d/stop" % s["id"], token=dev.token)
        m = dev.json("GET", "/api/sessions/%d" % s["id"])[1]
        arr, h = _npy(dev, "/api/sessions/%d/samples.npy" % s["id"])
        st, hh, raw = dev.get("/api/sessions/%d/windows" % s["id"])
        fs, hop = m["frame_size"], m["hop"]
        frames = [np.frombuffer(raw[i:i + fs], "<i2", offset=20).reshape(3, hop)
                  for i in range(0, len(raw), fs)]
        assert np.array_equal(arr, np.concatenate(frames, axis=1))
        assert arr.shape == (3, m["samples"]) and int(h["x-rate"]) == 100
        assert dev.get("/api/sessions/99/samples.npy")[0] == 404
    finally:
        dev.stop()

# Value labels of recorded sessions on the real frozen firmware: PUT /api/sessions/<id>/value
# {"name", "value", "unit", "segments"?} stores a session's value (and value segments) after
# shared.values' checks, GET returns it, the session's meta carries a summary, DELETE removes
# it; a value that is not a number, a segment out of the session, an unknown field, a unit
# that differs from another session's for the same quantity -> 400 naming the session (and
# segment); token and unknown session as for labels.
import json

from device.tests.simdev import SimDevice


def _record(dev, seconds=1):
    st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
    assert st == 201, m
    dev.wait_data(seconds)
    st, m = dev.json("POST", "/api/sessions/%d/stop" % m["id"], token=dev.token)
    assert st == 200, m
    return m


def test_session_values_are_stored_checked_and_named(tmp_path):
    dev = SimDevice(tmp_path / "data").start()
    try:
        a, b = _record(dev), _record(dev)
        n = a["samples"]
        url = "/api/sessions/%d/value" % a["id"]
        assert dev.json("GET", url)[0] == 404
        good = {"name": "concentration", "value": 0.25, "unit": "mmol/L",
                "segments": [[0, 64, 0.5], [64, 128, 0.75]]}
        st, v = dev.put(url, good)
        assert st == 200 and v == good, v
        assert dev.json("GET", url)[1] == good
        st, meta = dev.json("GET", "/api/sessions/%d" % a["id"])
        assert meta["value"] == {"name": "concentration", "value": 0.25, "unit": "mmol/L",
                                 "segments": 2}, meta
        listed = [s for s in dev.json("GET", "/api/sessions")[1]["sessions"]
                  if s["id"] == a["id"]][0]
        assert listed["value"]["value"] == 0.25, listed
        sid = "session #%d" % a["id"]
        cases = [
            ({"name": "concentration", "value": "0.25", "unit": "mmol/L"},
             (sid, "'0.25'", "not a number")),
            ({"name": "concentration", "value": None, "unit": "mmol/L",
              "segments": [[0, 64, 0.5], [64, 128, "lots"]]},
             (sid + ", segment 1 (samples 64..128)", "'lots'")),
            ({"name": "concentration", "value": 1, "unit": "mmol/L",
              "segments": [[0, n + 1, 0.5]]}, (sid + ", segment 0", "%d samples" % n)),
            ({"name": "concentration", "value": 1, "units": "mmol/L"},
             (sid, "unknown value field 'units'")),
            ({"name": "concentration", "value": None, "unit": "mmol/L"},
             (sid, "give the session's value")),
            ({"name": "", "value": 1}, (sid, "name")),
            ([1, 2], ("JSON object",)),
        ]
        for body, words in cases:
            st, r = dev.put(url, body)
            assert st == 400, (body, st, r)
            for w in words:
                assert w in r["error"], (w, r)
        assert dev.json("GET", url)[1] == good          # unchanged
        # another session, the same quantity in another unit: refused naming the first
        st, r = dev.put("/api/sessions/%d/value" % b["id"],
                        {"name": "concentration", "value": 250, "unit": "umol/L"})
        assert st == 400 and "session #%d" % a["id"] in r["error"] and "'mmol/L'" in \
            r["error"], r
        st, r = dev.put("/api/sessions/%d/value" % b["id"],
                        {"name": "concentration", "value": 0.3, "unit": "mmol/L"})
        assert st == 200, r
        assert dev.json("PUT", url, good, token="0" * 32)[0] == 401
        assert dev.put("/api/sessions/99/value", good)[0] == 404
        st, _, raw = dev.request("PUT", url, "x" * 5000,
                                 {"Authorization": "Bearer " + dev.token})
        assert st == 413, (st, raw)
        st, r = dev.json("DELETE", url, token=dev.token)
        assert st == 200, r
        assert dev.json("GET", url)[0] == 404
        assert dev.json("GET", "/api/sessions/%d" % a["id"])[1]["value"] is None
        assert json.loads(json.dumps(dev.json("GET", "/api/status")[1]))["mem_free"] > 0
    finally:
        dev.stop()

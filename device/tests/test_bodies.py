# Request bodies on the real simulated device: every JSON body (config, sim, sessions,
# labels) must be one complete JSON object. MicroPython's json.loads took "{" as {} and a cut
# '{"rate": 200' as complete, so "{" restarted acquisition and started recordings. Bodies
# too big for the heap get a JSON 4xx/503 and the device keeps serving.
import json
import time

import pytest

from shared import protocol

CUT = ["{", '{"rate": 200', '{"rate": 200,', '{"rate": 200,}', '{"rate" 200}', "{,}",
       '{"rate": 2', '{"hop": 32}}', '{"hop": 32} x', "\ufeff{}", '{"hop": 0x20}']


def put(dev, method, path, raw):
    st, h, b = dev.request(method, path, raw, {"Authorization": "Bearer " + dev.token})
    return st, json.loads(b)


def test_incomplete_json_bodies_are_refused_and_change_nothing(dev):
    ws = dev.ws()
    hello = ws.recv_json("hello")
    # a recording runs: a config body taken as {} used to restart acquisition and stop it
    st, rec = dev.json("POST", "/api/sessions", {"label": "walking"}, token=dev.token)
    assert st == 201
    try:
        for raw in CUT:
            st, body = put(dev, "PUT", "/api/config", raw)
            assert st == 400 and "JSON" in body["error"], (raw, st, body)
            st, body = put(dev, "PUT", "/api/sim", raw.replace("rate", "activity"))
            assert st == 400, (raw, st, body)
            raw = raw.replace('"rate": 200', '"label": "x"')
            st, body = put(dev, "POST", "/api/sessions", raw)
            assert st == 409 or (st == 400 and "JSON" in body["error"]), (raw, st, body)
        st, s = dev.json("GET", "/api/status")
        assert s["recording"] == rec["id"] and s["recording_error"] is None
        # no new hello (acquisition was never restarted), frames still consecutive
        seqs = []
        while len(seqs) < 3:
            op, data = ws.recv()
            if op == 1:
                assert json.loads(data)["type"] == "recording", data
                continue
            seqs.append(protocol.decode_header(data)[0])
        assert seqs == [hello["seq"], hello["seq"] + 1, hello["seq"] + 2]
    finally:
        dev.json("POST", "/api/sessions/%d/stop" % rec["id"], token=dev.token)
        ws.close()
    # with nothing recording, "{" must not start a session either
    n = len(dev.json("GET", "/api/sessions")[1]["sessions"])
    for raw in ("{", '{"label": "x"', '{"label": "x",}'):
        st, body = put(dev, "POST", "/api/sessions", raw)
        assert st == 400 and "JSON" in body["error"], raw
    assert len(dev.json("GET", "/api/sessions")[1]["sessions"]) == n
    assert dev.json("GET", "/api/config")[1]["rate"] == 100
    assert dev.json("GET", "/api/sim")[1]["activity"] == "idle"


def test_labels_accept_only_complete_json(dev):
    st, rec = dev.json("POST", "/api/sessions", {}, token=dev.token)
    time.sleep(1.5)
    dev.json("POST", "/api/sessions/%d/stop" % rec["id"], token=dev.token)
    path = "/api/sessions/%d/labels" % rec["id"]
    before = dev.json("GET", path)[1]
    v = before["version"]
    for raw in ('{"version": %d, "classes": ["a",], "segments": []}' % v,
                '{"version": %d, "classes": ["a"], "segments": [{"start": 0, "end": 5, '
                '"label": "a",}]}' % v,
                '{"version": %d, "classes": ["a"], "segments": [{"start": 0 "end": 5, '
                '"label": "a"}]}' % v,
                '{"version": %d, "classes": [], "segments": []' % v):
        st, body = put(dev, "PUT", path, raw)
        assert st == 400 and "not valid JSON" in body["error"], (raw, body)
    assert dev.json("GET", path)[1] == before


@pytest.mark.parametrize("path,method,raw,words", [
    ("/api/config", "PUT", "[" * 2048, "nested deeper"),       # answered 500 (MemoryError)
    ("/api/sim", "PUT", "[" * 2048, "nested deeper"),
    ("/api/sessions", "POST", '{"a": ' * 700, "nested deeper"),
    ("/api/config", "PUT", '{"a": ' * 3000 + "1" + "}" * 3000, None),   # 16 KB+: 413
], ids=["config", "sim", "sessions", "over-16KB"])
def test_deep_bodies_are_refused_without_running_out_of_memory(dev, path, method, raw, words):
    st, body = put(dev, method, path, raw)
    assert 400 <= st < 500, (st, body)
    if words:
        assert words in body["error"]
    assert dev.json("GET", "/api/status")[0] == 200


def test_a_long_string_body_gets_a_json_answer_and_the_device_carries_on(dev):
    for n in (15000, 16300):
        raw = '{"activity": "' + "x" * n + '"}'
        st, body = put(dev, "PUT", "/api/sim", raw)
        assert st in (400, 503) and "error" in body, (st, body)
        assert len(json.dumps(body)) < 1000
        raw = '{"label": "' + "x" * n + '"}'
        st, body = put(dev, "POST", "/api/sessions", raw)
        assert st in (400, 503) and "error" in body, (st, body)
    for _ in range(5):
        assert dev.json("GET", "/api/status")[0] == 200
    assert dev.json("GET", "/api/sessions")[1]["recording"] is None

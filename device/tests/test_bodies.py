# Request bodies on the real simulated device: every JSON body (config, sim, sessions,
# labels) must be one complete JSON object. MicroPython's json.loads took "{" as {} and a cut
# '{"rate": 200' as complete, so "{" restarted acquisition and started recordings. Bodies
# too big for the heap get a JSON 4xx/503 and the device keeps serving.
import json
import socket
import time

import pytest

from device.tests.simdev import read_to_end
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
            if op == 1:     # the recording's start and its change message; never a new hello
                assert json.loads(data)["type"] in ("recording", "changed"), data
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
    dev.wait_data(1.5)
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
    ("/api/sessions", "POST", '{"a": ' * 300, "nested deeper"),
    ("/api/config", "PUT", '{"a": ' * 3000 + "1" + "}" * 3000, None),   # 16 KB+: 413
], ids=["config", "sim", "sessions", "over-16KB"])
def test_deep_bodies_are_refused_without_running_out_of_memory(dev, path, method, raw, words):
    st, body = put(dev, method, path, raw)
    assert 400 <= st < 500, (st, body)
    if words:
        assert words in body["error"]
    assert dev.json("GET", "/api/status")[0] == 200


def test_long_string_bodies_get_a_json_answer_and_the_device_carries_on(dev):
    # a 15 KB string in a body answered 500 (MemoryError while parsing)
    for n, status in ((1900, 400), (15000, 413), (16300, 413)):
        raw = '{"activity": "' + "x" * n + '"}'
        st, body = put(dev, "PUT", "/api/sim", raw)
        assert st == status and "error" in body, (n, st, body)
        assert len(json.dumps(body)) < 1000             # the value is not echoed whole
        raw = '{"label": "' + "x" * n + '"}'
        st, body = put(dev, "POST", "/api/sessions", raw)
        assert st == status and "error" in body, (n, st, body)
    for _ in range(5):
        assert dev.json("GET", "/api/status")[0] == 200
    assert dev.json("GET", "/api/sessions")[1]["recording"] is None


def test_a_body_is_only_read_for_the_token_and_up_to_the_route_limit(dev):
    # Others could make the device hold 16 KB per connection (six at once: 96 KB of a 192 KB
    # heap). Now each of these is answered at once, without waiting for the body it announces.
    def head_only(method, path, token):
        h = {"Content-Length": "16000", "Host": "127.0.0.1"}
        if token:
            h["Authorization"] = "Bearer " + dev.token
        s = socket.create_connection(("127.0.0.1", dev.port), timeout=3)
        t0 = time.monotonic()
        s.sendall(("%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join(
            "%s: %s\r\n" % kv for kv in h.items()))).encode())
        out = read_to_end(s)
        s.close()
        return int(out.split()[1]), time.monotonic() - t0
    for method, path, token, status in [("PUT", "/api/config", False, 401),
                                        ("PUT", "/api/sim", False, 401),
                                        ("POST", "/api/sessions", False, 401),
                                        ("PUT", "/api/sessions/1/labels", False, 401),
                                        ("PUT", "/api/config", True, 413),
                                        ("POST", "/api/sessions", True, 413),
                                        ("PUT", "/api/sessions/12345/labels", True, 404)]:
        st, dt = head_only(method, path, token)
        assert st == status and dt < 1, (method, path, token, st, dt)

# WebSocket /ws on the real simulated device: hello, consecutive window frames decoded with
# shared/protocol, ping/pong, activity changes the signal, malformed messages get an error
# and the stream continues, slow clients do not stall the others.
import json
import math
import socket
import struct
import threading
import time

import pytest

from device.tests.simdev import HandshakeRefused
from shared import protocol

FAST = {"rate": 500, "window": 64, "hop": 16}   # ~31 windows/s so tests stay short


def _fast(dev):
    st, body = dev.put("/api/config", FAST)
    assert st == 200, body


def _std_magnitude(samples, n, scale):
    mags = [math.sqrt(sum((samples[c * n + i] * scale) ** 2 for c in range(3)))
            for i in range(n)]
    m = sum(mags) / n
    return math.sqrt(sum((x - m) ** 2 for x in mags) / n)


def test_hello_then_consecutive_frames(dev):
    ws = dev.ws()
    hello = ws.recv_json()
    assert hello["type"] == "hello"
    assert hello["channels"] == ["x", "y", "z"] and hello["sensor"] == "sim"
    assert (hello["rate"], hello["window"], hello["hop"]) == (100, 128, 64)
    first_seq = hello["seq"]
    _fast(dev)
    hello2 = ws.recv_json("hello")             # reconfiguration announces the new shape
    assert (hello2["rate"], hello2["window"], hello2["hop"]) == (500, 64, 16)
    assert hello2["seq"] >= first_seq
    seqs = []
    for _ in range(25):
        h, samples = ws.recv_frame()
        seq, t_ms, nch, dtype, ns, rate, scale = h
        assert (nch, dtype, ns, rate) == (3, protocol.DTYPE_INT16, 64, 500)
        assert abs(scale - 1 / 4096) < 1e-9
        # idle device lying flat: z around 1 g, x/y near 0
        z = samples[128:192]
        assert 0.9 < sum(z) / 64 * scale < 1.1
        seqs.append(seq)
    assert seqs[0] >= hello2["seq"]
    assert seqs == list(range(seqs[0], seqs[0] + 25))
    ws.close()
    _, s = dev.json("GET", "/api/status")
    assert s["dropped"] == 0


def test_ping_pong(dev):
    ws = dev.ws()
    ws.send_json({"type": "ping", "id": 42})
    assert ws.recv_json("pong") == {"type": "pong", "id": 42}
    ws.close()


def test_activity_change_changes_the_signal(dev):
    _fast(dev)
    ws = dev.ws()
    ws.recv_json("hello")

    def std_after(activity):
        assert dev.put("/api/sim", {"activity": activity})[0] == 200
        ws.recv_frame()
        ws.recv_frame()
        ws.recv_frame()
        ws.recv_frame()                         # window fully recorded after the switch
        vals = []
        for _ in range(4):
            h, s = ws.recv_frame()
            vals.append(_std_magnitude(s, h[4], h[6]))
        return sum(vals) / len(vals)

    idle = std_after("idle")
    running = std_after("running")
    shaking = std_after("shaking")
    assert idle < 0.02
    assert running > 10 * idle and shaking > 10 * idle
    assert abs(running - shaking) > 0.05
    assert dev.put("/api/sim", {"activity": "idle"})[0] == 200
    ws.close()


def test_malformed_messages_get_errors_and_the_stream_continues(dev):
    _fast(dev)
    ws = dev.ws()
    ws.recv_json("hello")
    cases = [
        (lambda: ws.send_text("{not json"), "not valid JSON"),
        (lambda: ws.send_text("[1, 2]"), "string 'type'"),
        (lambda: ws.send_json({"type": "launch"}), "unknown message type"),
        (lambda: ws.send_raw(2, b"\x57\x01binary"), "binary"),
        (lambda: ws.send_text('{"type": "ping", "pad": "%s"}' % ("x" * 2000)), "too long"),
        (lambda: ws.send_text("y" * 100000), "too long"),   # over any message limit
        (lambda: ws.send_raw(1, b"\xff\xfe"), "UTF-8"),
        (lambda: ws.send_raw(1, b'{"type":', fin=False), "fragmented"),
    ]
    for send, words in cases:
        send()
        msg = ws.recv_json("error")
        assert words in msg["error"], (words, msg)
        h, _ = ws.recv_frame()                   # still streaming
    seqs = [ws.recv_frame()[0][0] for _ in range(5)]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    ws.send_json({"type": "ping", "id": 1})
    assert ws.recv_json("pong")["id"] == 1
    ws.close()


def test_slow_client_does_not_stall_the_others(dev):
    st, _ = dev.put("/api/config", {"rate": 1000, "window": 1024, "hop": 64})
    assert st == 200
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", dev.port))
    slow.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    # the slow client never reads again
    fast = dev.ws()
    fast.recv_json("hello")
    t0 = time.monotonic()
    seqs = [fast.recv_frame()[0][0]]
    while time.monotonic() - t0 < 4:
        seqs.append(fast.recv_frame()[0][0])
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert len(seqs) >= 40                        # ~15.6 windows/s
    _, s = dev.json("GET", "/api/status")
    assert s["clients"] == 2
    assert s["dropped_source"] == 0 and s["dropped_clients"] > 0
    slow.close()
    fast.close()
    _wait_clients(dev, 0)
    assert dev.put("/api/config", FAST)[0] == 200


def _wait_clients(dev, n, timeout=5):
    deadline = time.monotonic() + timeout
    while dev.json("GET", "/api/status")[1]["clients"] != n:
        assert time.monotonic() < deadline, "clients did not go away"
        time.sleep(0.05)


def test_client_limit_is_enforced_with_json_503(dev):
    _wait_clients(dev, 0)
    clients = [dev.ws() for _ in range(4)]
    try:
        st, h, b = dev.request("GET", "/ws", headers={
            "Upgrade": "websocket", "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"})
        assert st == 503 and b"too many" in b
    finally:
        for c in clients:
            c.close()


def test_close_handshake_is_answered(dev):
    ws = dev.ws()
    ws.recv_json("hello")
    ws.send_raw(8, b"")
    for _ in range(100):
        op, _ = ws.recv()
        if op == 8:
            break
    else:
        raise AssertionError("no close frame")
    ws.s.close()
    _wait_clients(dev, 0)


def test_stalled_client_is_dropped_and_its_slot_freed(make_dev):
    dev = make_dev(env={"MOTEBOOK_WS_STALL_MS": "1000"}).start()
    assert dev.put("/api/config", {"rate": 1000, "window": 1024, "hop": 64})[0] == 200
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", dev.port))
    slow.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:             # the handshake's answer: the slot is taken
        c = slow.recv(1)
        assert c, "closed before the handshake"
        head += c
    assert head.startswith(b"HTTP/1.1 101")
    assert dev.json("GET", "/api/status")[1]["clients"] == 1
    _wait_clients(dev, 0, timeout=8)              # never reads: dropped after ~1 s stalled
    assert "stopped reading" in dev.output()
    ws = dev.ws()                                   # the device still streams to others
    ws.recv_json("hello")
    assert ws.recv_frame()[0][2] == 3
    ws.close()
    slow.close()


def test_simultaneous_connects_never_exceed_the_client_limit(dev):
    # the slot was checked before the handshake and taken after it: 10 at once got up to 9 in
    _wait_clients(dev, 0)
    barrier = threading.Barrier(10)
    results = []

    def connect():
        barrier.wait()
        try:
            results.append(dev.ws())
        except HandshakeRefused as e:
            results.append(e.status)
    threads = [threading.Thread(target=connect) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if not isinstance(r, int)]
    try:
        assert len(ok) == 4 and sorted(r for r in results if isinstance(r, int)) == [503] * 6
        assert dev.json("GET", "/api/status")[1]["clients"] == 4
        for c in ok:
            c.recv_json("hello")
    finally:
        for c in ok:
            c.close()
    _wait_clients(dev, 0)
    dev.ws().close()                                # every slot came back


def test_deeply_nested_message_gets_an_error_and_the_socket_stays(dev):
    # a ping 100 levels deep silently closed the WebSocket (uncaught recursion error)
    ws = dev.ws()
    ws.recv_json("hello")
    ws.send_text('{"type": "ping", "id": ' + "[" * 100 + "]" * 100 + "}")
    assert "nested deeper" in ws.recv_json("error")["error"]
    ws.send_text('{"type": "ping", "id": ' + "[" * 15 + "]" * 15 + "}")
    assert ws.recv_json("pong")["id"] == [[[[[[[[[[[[[[[]]]]]]]]]]]]]]]
    for cut in ('{', '{"type": "ping"', '{"type": "ping", "id": 1,}'):
        ws.send_text(cut)                           # MicroPython's json.loads took these
        assert "not valid JSON" in ws.recv_json("error")["error"], cut
    ws.send_json({"type": "ping", "id": 3})
    assert ws.recv_json("pong")["id"] == 3
    ws.close()


def _closed_with(ws):
    """The close frame's status code after any other frames; the socket then closes."""
    for _ in range(200):
        op, data = ws.recv()
        if op == 8:
            code = struct.unpack(">H", data[:2])[0]
            ws.s.settimeout(2)
            assert ws.s.recv(1) == b""
            return code, data[2:].decode()
    raise AssertionError("no close frame")


@pytest.mark.parametrize("frame,why", [
    (lambda ws: ws.send_raw(1, b'{"type": "ping"}', mask=False), "masked"),
    (lambda ws: ws.s.sendall(b"\xc1\x80" + b"\x00" * 4), "reserved"),   # RSV1 on a text frame
    (lambda ws: ws.s.sendall(b"\x99\x80" + b"\x00" * 4), "reserved"),   # RSV1 on a ping
])
def test_unmasked_frames_and_reserved_bits_close_the_connection(dev, frame, why):
    # RFC 6455 5.1/5.2: the server must fail the connection (status 1002)
    ws = dev.ws()
    ws.recv_json("hello")
    frame(ws)
    code, reason = _closed_with(ws)
    assert code == 1002 and why in reason
    ws.s.close()
    _wait_clients(dev, 0)


def test_origin_must_be_the_page_or_allowed_in_the_config(dev):
    # any page the person visited could read the stream and take the client slots
    port = dev.port
    for origin in ("http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1"):
        with pytest.raises(HandshakeRefused) as e:
            dev.ws(headers={"Host": "127.0.0.1:%d" % port, "Origin": origin})
        assert e.value.status == 403 and "origin" in e.value.body["error"]
    dev.ws(headers={"Host": "127.0.0.1:%d" % port, "Origin": "http://127.0.0.1:%d" % port}).close()
    dev.ws(headers={"Host": "localhost:%d" % port, "Origin": "http://localhost:%d" % port}).close()
    dev.ws().close()                                # no Origin: not a browser
    st, body = dev.put("/api/config", {"origins": ["http://Notebook.example:8000"]})
    assert st == 200 and body["origins"] == ["http://notebook.example:8000"]
    dev.ws(headers={"Origin": "http://notebook.example:8000"}).close()
    with pytest.raises(HandshakeRefused):
        dev.ws(headers={"Origin": "http://notebook.example:8001"})
    for bad in (["http://x.example/path"], "http://x.example", ["ftp://x"], [3],
                ["http://a.example"] * 5):
        st, body = dev.put("/api/config", {"origins": bad})
        assert st == 400 and body["field"] == "origins", bad
    assert dev.put("/api/config", {"origins": []})[0] == 200
    with pytest.raises(HandshakeRefused):
        dev.ws(headers={"Origin": "http://notebook.example:8000"})
    _wait_clients(dev, 0)


def _changed(ws, part, limit=400):
    """The next "changed" message about part (frames and other messages skipped)."""
    def want(op, d):
        return op == 1 and json.loads(d).get("type") == "changed" and \
            json.loads(d)["part"] == part
    return json.loads(ws.until(want, limit)[1])


def test_every_write_tells_the_pages_what_changed(dev):
    """A recording, labels, a delete, the config and a refused write: "changed" messages name
    the part (and session), versions count up, a write refused with 401 says nothing."""
    T = dev.token
    ws = dev.ws()
    ws.recv_json("hello")
    st, s = dev.json("POST", "/api/sessions", {"label": "idle"}, token=T)
    assert st == 201, s
    m = _changed(ws, "sessions")
    assert m["id"] == s["id"] and m["version"] == 1
    dev.wait_data(1.5)
    st, _ = dev.json("POST", "/api/sessions/%d/stop" % s["id"], token=T)
    assert st == 200
    m = _changed(ws, "sessions")
    assert m["id"] == s["id"] and m["version"] == 2
    st, lab = dev.json("GET", "/api/sessions/%d/labels" % s["id"])
    body = {"classes": ["walk"], "segments": [{"start": 0, "end": 64, "label": "walk"}],
            "version": lab["version"]}
    assert dev.json("PUT", "/api/sessions/%d/labels" % s["id"], {"segments": []},
                    token="wrong")[0] == 401
    st, r = dev.json("PUT", "/api/sessions/%d/labels" % s["id"], body, token=T)
    assert st == 200, r
    m = _changed(ws, "labels")     # (the refused PUT before it told nothing)
    assert m["id"] == s["id"] and m["version"] == 1
    st, all_ = dev.json("GET", "/api/labels")
    assert st == 200 and all_["labels"][str(s["id"])]["segments"][0]["label"] == "walk"
    st, some = dev.json("GET", "/api/labels?ids=999")
    assert st == 200 and some == {"labels": {}}
    assert dev.json("GET", "/api/labels?ids=x")[0] == 400
    assert dev.put("/api/config", {"window": 64})[0] == 200
    assert _changed(ws, "config")["version"] >= 1
    st, _ = dev.json("DELETE", "/api/sessions/%d" % s["id"], token=T)
    assert st == 200
    m = _changed(ws, "sessions")
    assert m["id"] == s["id"] and m["version"] == 3
    ws.close()

# Socket exhaustion on the real simulated device with an ESP32-like descriptor limit
# (prlimit --nofile=16:16 on the MicroPython process): clients that connect and say nothing,
# clients trickling headers and clients sending over-long URLs, all at once and again as soon
# as they are closed, cannot stop it: /api/status keeps answering, the stream keeps flowing,
# and the device's open sockets are back to their count before once the crowd leaves.
import json
import socket
import threading
import time

NOFILE = 16
SECONDS = 12


def _attack(port, kind, stop, counts):
    socks = []
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            counts["connect_failed"] += 1
            time.sleep(0.05)
            continue
        counts[kind] += 1
        try:
            if kind == "long_url":
                s.sendall(b"GET /" + b"u" * 1000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                s.recv(4096)
                s.close()
                continue
            if kind == "slow":
                s.sendall(b"GET /api/status HTTP/1.1\r\nX-Slow: ")
        except OSError:
            s.close()
            continue
        socks.append(s)
        if len(socks) > 12:      # each attacker keeps about a dozen connections open
            socks.pop(0).close()
        for t in socks:
            if kind == "slow":
                try:
                    t.send(b"z")
                except OSError:
                    pass
        time.sleep(0.05)
    for s in socks:
        s.close()


def test_idle_slow_and_long_url_clients_cannot_stop_the_device(make_dev):
    dev = make_dev(nofile=NOFILE).start()
    base = dev.sockets()
    ws = dev.ws()
    hello = ws.recv_json("hello")
    stop = threading.Event()
    counts = {"idle": 0, "slow": 0, "long_url": 0, "connect_failed": 0}
    attackers = [threading.Thread(target=_attack, args=(dev.port, k, stop, counts), daemon=True)
                 for k in ("idle", "idle", "slow", "slow", "long_url")]
    frames = []

    def watch_stream():
        while not stop.is_set():
            try:
                op, data = ws.recv()
            except OSError:
                return
            if op == 2:
                frames.append(data)
    watcher = threading.Thread(target=watch_stream, daemon=True)
    for t in attackers + [watcher]:
        t.start()
    t0 = time.monotonic()
    answered, slowest = 0, 0.0
    try:
        while time.monotonic() - t0 < SECONDS:
            t1 = time.monotonic()
            st, h, b = dev.request("GET", "/api/status", timeout=5)
            assert st == 200 and "windows" in json.loads(b)
            slowest = max(slowest, time.monotonic() - t1)
            answered += 1
            time.sleep(0.1)
    finally:
        stop.set()
        for t in attackers:
            t.join()
    assert dev.alive()
    n = len(frames)
    assert n >= SECONDS * 100 / 64 - 3, n      # 100 Hz, hop 64: ~1.56 windows/s
    _, s = dev.json("GET", "/api/status")
    assert s["dropped"] == 0 and s["clients"] == 1
    print("\nexhaustion: %s connections in %d s; /api/status answered %d times, slowest %.2f s; "
          "%d frames; device counters %s" % (counts, SECONDS, answered, slowest, n, s["http"]))
    assert counts["idle"] > 20 and counts["slow"] > 20 and counts["long_url"] > 100
    assert answered >= SECONDS and s["http"]["evicted"] > 20
    ws.close()
    watcher.join(5)
    deadline = time.monotonic() + 12
    while dev.sockets() > base and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dev.sockets() == base
    assert hello["seq"] >= 0

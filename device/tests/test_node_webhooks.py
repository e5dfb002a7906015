# Webhooks against a local HTTP receiver: class changes are delivered with the token, a
# failed delivery is retried, and while the receiver is down longer than the queue holds the
# oldest events are dropped and counted (every event is accounted for) while the device keeps
# sampling without a dropped window; a dead receiver does not hold up a live one. Settings and
# secrets through the API.
import json

from device.tests import nodekit as K
from device.tests.broker import Receiver

WIN = {"rate": 100, "window": 128, "hop": 16, "channels": 3, "scale": 1 / 4096}


def _hooks(dev):
    return dev.json("GET", "/api/status")[1]["node"]["webhooks"]


def _changes(dev):
    return [seq for seq, _ in K.changes(dev)]


def test_delivered_with_token_and_retried_after_a_failure(tmp_path):
    rx = Receiver().start()
    dev = K.start(tmp_path / "dev")
    try:
        rx.plan = [500]                         # the first attempt fails
        st, body = dev.put("/api/integrations", {"webhooks": {
            "enabled": True, "retries": 2, "urls": [
                {"url": "http://127.0.0.1:%d/hook/a" % rx.port, "token": "tok-1"}]}})
        assert st == 200, body
        assert body["webhooks"]["urls"] == [{"url": "http://127.0.0.1:%d/hook/a" % rx.port,
                                              "token_set": True}]
        K.install(dev, WIN)                     # (after: every class change is an event)
        K.drive(dev, lambda: len(_changes(dev)) >= 3)
        K.wait_for(lambda: not _hooks(dev)["queued"])
        h = _hooks(dev)
        want = _changes(dev)
        assert h["retries"] >= 1 and h["gave_up"] == 0 and h["dropped"] == 0, h
        assert h["delivered"] == len(want) == len(rx.got)
        assert rx.requests == len(want) + 1      # the failed attempt, then each once
        assert [g[2]["seq"] for g in rx.got] == want
        path, headers, msg = rx.got[0]
        assert path == "/hook/a" and headers["Authorization"] == "Bearer tok-1"
        assert msg["event"] == "class" and msg["device"].startswith("motebook-")
        assert set(msg) >= {"t", "seq", "class", "index", "confidence", "scores", "hash", "id"}
        for path in ("/api/integrations", "/api/status"):
            assert "tok-1" not in dev.get(path)[2].decode()
    finally:
        dev.stop()
        rx.stop()


def test_receiver_down_longer_than_the_queue_holds(tmp_path):
    rx = Receiver()                              # not started: connections are refused
    dev = K.start(tmp_path / "dev")
    try:
        st, body = dev.put("/api/integrations", {"webhooks": {
            # 4 retries: an event holds the sender 1 + 2 + 4 + 8 s, so 4 class changes fill
            # the queue of 2 whatever pace a busy machine makes them at (with 1 retry, 1 s an
            # event, the sender kept up with 12 changes in 60 s once)
            "enabled": True, "retries": 4, "queue": 2, "timeout_s": 5,
            "urls": [{"url": "http://127.0.0.1:%d/h" % rx.port}]}})
        assert st == 200, body
        K.install(dev, WIN)
        s0 = dev.json("GET", "/api/status")[1]
        K.drive(dev, lambda: _hooks(dev)["dropped"] >= 1)    # more events than the queue holds
        rx.start()
        K.wait_for(lambda: not _hooks(dev)["queued"], timeout=30)
        h = _hooks(dev)
        events = len(_changes(dev))
        assert h["delivered"] == len(rx.got) >= 1
        assert h["delivered"] + h["gave_up"] + h["dropped"] == events, (h, events)
        s1 = dev.json("GET", "/api/status")[1]
        assert s1["dropped"] == s0["dropped"] == 0          # sampling never waited
        assert s1["windows"] > s0["windows"]
    finally:
        dev.stop()
        rx.stop()


def test_a_dead_receiver_does_not_hold_up_the_others(tmp_path):
    dead = Receiver()                            # never started: connections are refused
    live = Receiver().start()
    dev = K.start(tmp_path / "dev")
    try:
        st, body = dev.put("/api/integrations", {"webhooks": {
            "enabled": True, "retries": 3, "timeout_s": 1, "urls": [
                {"url": "http://127.0.0.1:%d/dead" % dead.port},
                {"url": "http://127.0.0.1:%d/live" % live.port}]}})
        assert st == 200, body
        K.install(dev, WIN)
        K.drive(dev, lambda: len(_changes(dev)) >= 4)
        # each event to the dead URL takes 1 + 2 + 4 s of retries: one sender for both
        # would still be on the first event; the live receiver has them all already
        K.wait_for(lambda: len(live.got) == len(_changes(dev)), timeout=3)
        assert [g[2]["seq"] for g in live.got] == _changes(dev)
        h = _hooks(dev)
        assert h["queued"] >= 1 and h["retries"] >= 1, h
        assert "/dead" in h["error"], h
    finally:
        dev.stop()
        live.stop()


def test_settings_validated_and_token_needed(tmp_path):
    dev = K.start(tmp_path / "dev")
    try:
        st, body = dev.put("/api/integrations", {"webhooks": {"urls": [{"url": "ftp://x"}]}})
        assert st == 400 and body["field"] == "webhooks.urls"
        st, body = dev.put("/api/integrations", {"mqtt": {"port": 70000}})
        assert st == 400 and body["field"] == "mqtt.port"
        st, body = dev.put("/api/integrations", {"mqtt": {"port": 1884}}, token="nope")
        assert st == 401
        st, body = dev.put("/api/integrations", {"mqtt": {"password": "pw-9", "port": 1884}})
        assert st == 200 and body["mqtt"]["port"] == 1884
        dev.stop()
        dev.start()                               # stored on the device
        st, body = dev.json("GET", "/api/integrations")
        assert body["mqtt"]["port"] == 1884 and body["mqtt"]["password_set"] is True
        assert "pw-9" not in json.dumps(body)
    finally:
        dev.stop()

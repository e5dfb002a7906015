# MQTT with a real broker (Debian mosquitto on a free 127.0.0.1 port) and a paho-mqtt
# subscriber: class changes arrive in order with the classes the device logged, also across
# a broker restart (nothing that fit in the queue is lost); five simulated devices on one
# broker all deliver; wrong credentials give a clear status and a slow retry, not a loop.

from device.tests import nodekit as K
from device.tests.broker import Broker, Subscriber

WIN = {"rate": 100, "window": 128, "hop": 16, "channels": 3, "scale": 1 / 4096}


def _received(sub, base):
    """(seq, class) of the class messages under base, duplicates (QoS 1 resends) dropped."""
    seen, out = set(), []
    for m in sub.json(base + "/class"):
        if m["seq"] not in seen:
            seen.add(m["seq"])
            out.append((m["seq"], m["class"]))
    return out


def _mqtt(dev):
    return dev.json("GET", "/api/status")[1]["node"]["mqtt"]


def _enable(dev, port, **extra):
    s = {"enabled": True, "host": "127.0.0.1", "port": port, "queue": 32, "summary_s": 0}
    s.update(extra)
    st, body = dev.put("/api/integrations", {"mqtt": s})
    assert st == 200, body
    return body


def test_class_changes_in_order_across_a_broker_restart(tmp_path):
    br = Broker(tmp_path / "broker").start()
    sub = Subscriber(br.port, "node1/#", "sub-order")
    dev = K.start(tmp_path / "dev")
    try:
        _enable(dev, br.port, topic="node1")
        K.install(dev, WIN)                    # (after: every class change is an event)
        K.wait_for(lambda: _mqtt(dev)["state"] == "connected")
        K.drive(dev, lambda: len(K.changes(dev)) >= 3)
        br.stop()                          # mid-stream: changes wait in the device's queue
        n = len(K.changes(dev))
        K.drive(dev, lambda: len(K.changes(dev)) >= n + 3)
        br.start()
        K.drive(dev, lambda: len(K.changes(dev)) >= n + 4)     # and after it is back
        K.wait_for(lambda: _mqtt(dev)["state"] == "connected" and not _mqtt(dev)["queued"],
                   timeout=30)
        st = _mqtt(dev)
        assert st["dropped"] == 0 and st["failures"] >= 1, st
        want = K.changes(dev)
        assert len(want) >= 5, want
        assert sub.wait(lambda s: len(_received(s, "node1")) >= len(want))
        got = _received(sub, "node1")
        assert got == want, (got, want)
        assert [m["seq"] for m in sub.json("node1/class")] == sorted(
            m["seq"] for m in sub.json("node1/class"))
        assert "online" in [p.decode() for t, p, r in sub.msgs if t == "node1/availability"]
    finally:
        dev.stop()
        sub.close()
        br.stop()


def test_five_devices_on_one_broker_all_deliver(tmp_path):
    br = Broker(tmp_path / "broker").start()
    sub = Subscriber(br.port, "motebook/#", "sub-five")
    devs = []
    try:
        for i in range(5):
            devs.append(K.start(tmp_path / ("dev%d" % i)))
        names = set()
        for d in devs:
            body = _enable(d, br.port)
            names.add(body["status"]["name"])
            K.install(d, WIN)
        assert len(names) == 5, names          # each device its own client id and topic
        for i, d in enumerate(devs):
            K.drive(d, lambda: len(K.changes(d)) >= 2, acts=(
                ("walking", "shaking", "running")[i % 3], "idle"))
        for d in devs:
            K.wait_for(lambda: not _mqtt(d)["queued"])
        for d in devs:
            base = _mqtt(d)["topic"]
            want = K.changes(d)
            assert len(want) >= 2
            assert sub.wait(lambda s: _received(s, base) == want), (base, want)
            assert _mqtt(d)["connects"] == 1
    finally:
        for d in devs:
            d.stop()
        sub.close()
        br.stop()


def test_wrong_credentials_give_a_clear_status_not_a_crash_loop(tmp_path):
    br = Broker(tmp_path / "broker", users={"node": "right-pass"}).start()
    dev = K.start(tmp_path / "dev", WIN)
    try:
        _enable(dev, br.port, username="node", password="wrong-pass")
        st = K.wait_for(lambda: _mqtt(dev)["state"] == "error" and _mqtt(dev))
        assert "bad user name or password" in st["error"] or "not authorised" in st["error"]
        s0 = dev.json("GET", "/api/status")[1]
        # 20 windows (3.2 s at this hop) of the device's own time, then no second connect
        s1 = K.wait_for(lambda: (lambda s: s["windows"] >= s0["windows"] + 20 and s)(
            dev.json("GET", "/api/status")[1]))
        assert s1["node"]["mqtt"]["connects"] == 1, s1["node"]["mqtt"]   # waits 60 s now
        assert s1["windows"] > s0["windows"] and s1["dropped"] == 0
        for path in ("/api/integrations", "/api/status"):
            text = dev.get(path)[2].decode()
            assert "wrong-pass" not in text and "right-pass" not in text
        sub = Subscriber(br.port, "motebook/#", "sub-auth", auth=("node", "right-pass"))
        try:
            st, body = dev.put("/api/integrations", {"mqtt": {"password": "right-pass"}})
            assert st == 200 and body["mqtt"]["password_set"] is True
            K.wait_for(lambda: _mqtt(dev)["state"] == "connected")
            base = _mqtt(dev)["topic"]
            assert sub.wait(lambda s: any(t == base + "/availability" and p == b"online"
                                          for t, p, r in s.msgs))
        finally:
            sub.close()
        assert "Traceback" not in dev.output()
    finally:
        dev.stop()
        br.stop()


def test_home_assistant_discovery_is_retained(tmp_path):
    br = Broker(tmp_path / "broker").start()
    dev = K.start(tmp_path / "dev")
    try:
        name = _enable(dev, br.port)["status"]["name"]
        K.wait_for(lambda: _mqtt(dev)["state"] == "connected")
        sub = Subscriber(br.port, "homeassistant/#", "sub-ha")   # after: retained copies
        try:
            for kind in ("class", "confidence"):
                topic = "homeassistant/sensor/%s/%s/config" % (name, kind)
                assert sub.wait(lambda s: s.json(topic))
                cfg = sub.json(topic)[0]
                assert cfg["unique_id"] == "%s_%s" % (name, kind)
                assert cfg["state_topic"] == "motebook/%s/class" % name
                assert cfg["availability_topic"] == "motebook/%s/availability" % name
                assert cfg["device"]["identifiers"] == [name]
                assert [r for t, p, r in sub.msgs if t == topic] == [True]
        finally:
            sub.close()
    finally:
        dev.stop()
        br.stop()

# HTTP API of the real simulated device over real sockets: status, config, token, sim, and
# every bad input giving a clear JSON 4xx while the device keeps streaming.
import json
import os
import re
import time

from device.tests.simdev import ROOT


def _windows(dev):
    return dev.json("GET", "/api/status")[1]["windows"]


def _wait_windows(dev, more, timeout=10):
    n0 = _windows(dev)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _windows(dev) >= n0 + more:
            return
        time.sleep(0.1)
    raise AssertionError("device stopped producing windows")


def test_status_reports_firmware_config_memory_and_counters(dev):
    st, s = dev.json("GET", "/api/status")
    assert st == 200
    for k in ("fw", "uptime_s", "rate", "window", "hop", "sensor", "channels", "mem_free",
              "mem_alloc", "mem_free_min", "windows", "dropped", "clients"):
        assert k in s, k
    assert s["channels"] == ["x", "y", "z"] and s["sensor"] == "sim"
    assert (s["rate"], s["window"], s["hop"]) == (100, 128, 64)
    assert 0 < s["mem_free_min"] <= s["mem_free"] < 192 * 1024
    assert s["dropped"] == 0


def test_sampling_rate_is_exact(dev):
    # 100 Hz, hop 64: windows appear every 0.64 s; over ~3 s the count matches the clock.
    _, a = dev.json("GET", "/api/status")
    t0 = time.monotonic()
    time.sleep(3.2)
    _, b = dev.json("GET", "/api/status")
    dt = time.monotonic() - t0
    expected = dt * 100 / 64
    assert abs((b["windows"] - a["windows"]) - expected) <= 1.5


def test_get_config_is_the_defaults_on_a_fresh_device(dev):
    assert dev.json("GET", "/api/config") == (200, {"rate": 100, "window": 128, "hop": 64,
                                                    "sensor": "sim"})


def test_reads_need_no_token_but_changes_do(dev):
    assert dev.json("GET", "/api/sim")[0] == 200
    st, body = dev.json("PUT", "/api/config", {"hop": 32})
    assert st == 401 and "missing token" in body["error"]
    st, body = dev.put("/api/config", {"hop": 32}, token="0" * 32)
    assert st == 401 and body["error"] == "wrong token"
    st, body = dev.json("PUT", "/api/config", {"hop": 32},
                        headers={"Authorization": "Basic abc"})
    assert st == 401 and "Bearer" in body["error"]
    st, body = dev.json("PUT", "/api/sim", {"activity": "running"})
    assert st == 401
    assert dev.json("GET", "/api/config")[1]["hop"] == 64


def test_every_route_that_changes_something_is_guarded_by_the_token(dev):
    # the writes API.md lists (test_api_doc: exactly the app's routes) and GET /api/heap, each
    # without the token, with a wrong one and with a malformed header: 401 and the same reason
    writes = re.findall(r"^### (PUT|POST|DELETE) (/\S+)$", (ROOT / "API.md").read_text(), re.M)
    assert len(writes) >= 17
    before = sorted(p.relative_to(dev.data) for p in dev.data.rglob("*"))
    for method, path in writes + [("GET", "/api/heap")]:
        if path == "/api/wifi":
            continue   # no Wi-Fi on the simulator (404); tests/test_api_wifi.py has it
        path = re.sub(r"<\w+>", "1", path)
        body = b"{}" if method != "GET" else None
        for auth, why in ((None, "missing token"), ("Bearer " + "0" * 32, "wrong token"),
                          ("Basic abc", "malformed Authorization header")):
            st, h, raw = dev.request(method, path, body, {"Authorization": auth} if auth else {})
            assert st == 401 and json.loads(raw)["error"].startswith(why), (method, path, raw)
    assert sorted(p.relative_to(dev.data) for p in dev.data.rglob("*")) == before


def test_invalid_config_is_refused_by_field_and_nothing_changes(dev):
    path = dev.data / "config.json"
    before = path.read_bytes() if path.exists() else None
    cases = [
        ({"rate": "fast"}, "rate", "integer"),
        ({"rate": 100.5}, "rate", "integer"),
        ({"rate": True}, "rate", "integer"),
        ({"rate": 0}, "rate", "1..1000"),
        ({"rate": 5000}, "rate", "1..1000"),
        ({"window": 1}, "window", "2..4096"),
        ({"window": [128]}, "window", "integer"),
        ({"hop": 0}, "hop", "1..window"),
        ({"hop": 200}, "hop", "1..window"),
        ({"sensor": "imu"}, "sensor", "one of"),
        ({"sensor": 3}, "sensor", "string"),
        ({"colour": "red"}, "colour", "unknown config field"),
    ]
    for update, field, words in cases:
        st, body = dev.put("/api/config", update)
        assert st == 400, update
        assert body["field"] == field and words in body["error"], (update, body)
    for raw in ("not json", "[1, 2]", "42"):
        st, h, b = dev.request("PUT", "/api/config", raw,
                               {"Authorization": "Bearer " + dev.token})
        assert st == 400 and "JSON object" in json.loads(b)["error"]
    assert dev.json("GET", "/api/config")[1] == {"rate": 100, "window": 128, "hop": 64,
                                                 "sensor": "sim"}
    assert (path.read_bytes() if path.exists() else None) == before
    _wait_windows(dev, 1)


def test_oversized_body_gets_413_json_and_device_carries_on(dev):
    big = json.dumps({"rate": 100, "pad": "x" * 20000})
    st, h, b = dev.request("PUT", "/api/config", big, {"Authorization": "Bearer " + dev.token})
    assert st == 413 and "too large" in json.loads(b)["error"]
    assert h["content-type"].startswith("application/json")
    _wait_windows(dev, 1)


def test_unknown_paths_and_methods_are_json_errors(dev):
    st, h, b = dev.get("/api/nope")
    assert st == 404 and "error" in json.loads(b)
    st, h, b = dev.request("DELETE", "/api/config")
    assert st == 405 and "not allowed" in json.loads(b)["error"]
    st, h, b = dev.get("/ws")
    assert st == 400 and "WebSocket" in json.loads(b)["error"]


def test_sim_activity_api(dev):
    st, s = dev.json("GET", "/api/sim")
    assert st == 200 and s["activity"] == "idle" and s["active"] is True
    assert set(s["activities"]) >= {"idle", "walking", "running", "shaking"}
    st, body = dev.put("/api/sim", {"activity": "flying"})
    assert st == 400 and "flying" in body["error"] and "walking" in body["error"]
    st, body = dev.put("/api/sim", {"mood": "x"})
    assert st == 400 and "activity" in body["error"]
    st, body = dev.put("/api/sim", {"activity": "walking"})
    assert st == 200 and body["activity"] == "walking"
    assert dev.json("GET", "/api/sim")[1]["activity"] == "walking"
    assert dev.put("/api/sim", {"activity": "idle"})[0] == 200


def test_valid_config_is_applied_persisted_and_streaming_resumes(dev):
    st, body = dev.put("/api/config", {"rate": 200, "hop": 32})
    assert st == 200 and body == {"rate": 200, "window": 128, "hop": 32, "sensor": "sim"}
    stored = json.loads((dev.data / "config.json").read_text())
    assert stored == body
    _, s = dev.json("GET", "/api/status")
    assert (s["rate"], s["hop"]) == (200, 32)
    _wait_windows(dev, 3)
    assert dev.put("/api/config", {"rate": 100, "hop": 64})[0] == 200


def test_token_and_data_files_are_private_to_the_user(make_dev, tmp_path):
    # the token file was world-readable (0644)
    dev = make_dev(data=tmp_path / "fresh").start()
    assert (dev.data / "token").stat().st_mode & 0o777 == 0o600
    assert dev.put("/api/config", {"hop": 32})[0] == 200
    assert (dev.data / "config.json").stat().st_mode & 0o777 == 0o600
    dev.stop()
    old = tmp_path / "old"
    old.mkdir()
    (old / "token").write_text("0123456789abcdef0123456789abcdef\n")
    os.chmod(old / "token", 0o644)
    dev = make_dev(data=old).start()
    assert dev.token == "0123456789abcdef0123456789abcdef"
    assert (old / "token").stat().st_mode & 0o777 == 0o600

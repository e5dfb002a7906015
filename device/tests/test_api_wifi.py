# /api/wifi on the simulator (no radio): GET answers {"mode": "none"} (the page asks every
# device, so no 404 in its console), PUT is refused, /api/status has no wifi field. The board
# side is in scripts/tests/test_deploy.py and device/tests/test_wifi.py.


def test_simulator_has_no_wifi(dev):
    assert dev.json("GET", "/api/wifi") == (200, {"mode": "none"})
    st, body = dev.put("/api/wifi", {"ssid": "lab", "password": "lab-secret-1"})
    assert st == 404 and "no Wi-Fi" in body["error"]
    s = dev.json("GET", "/api/status")[1]
    assert "wifi" not in s and "board" not in s and "sensor_error" not in s

# The device settings form with a slow sensor (app/device.py device.config, without a
# browser): against a fake device whose PUT /api/config runs the device's own validation
# (device/config.py), "one sample every N s" is sent as period_s for a slow sensor
# (shared/limits SLOW_SENSORS, the same list as device/config.SLOW), dropped for a fast one,
# refused in the page outside limits.PERIOD_S (nothing sent, the limit named); the device's
# 400 naming period_s and the device away are said in the form's message; the applied notice
# and the form's text say the rate and the window and hop as durations. CPython (pytest).
import asyncio
import importlib.util
import json
import os
import types

from fakes import view_stand_ins

view_stand_ins()

from app import device as D  # noqa: E402
from app import net  # noqa: E402
from app.bridge import Bridge  # noqa: E402
from shared import limits  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("device_config",
                                               os.path.join(_ROOT, "device", "config.py"))
C = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(C)
SENSORS = ("sim", "machine", "replay", "spectrometer", "room")
CHANNELS = {"spectrometer": 11, "room": 3}


class _Device:
    """window.motebook: GET /api/status and PUT /api/config as the device answers them."""

    def __init__(self):
        self.cfg = dict(C.DEFAULTS)
        self.away = False
        self.puts = []

    def _ans(self, status, obj):
        return json.dumps({"status": status, "text": json.dumps(obj)})

    async def request(self, method, path, body=None):
        if self.away:
            return json.dumps({"status": 0, "text": ""})
        if path == "/api/status":
            return self._ans(200, {"rate": C.rate(self.cfg), "sensor": self.cfg["sensor"]})
        assert (method, path) == ("PUT", "/api/config"), (method, path)
        b = json.loads(body)
        self.puts.append(b)
        try:
            self.cfg = C.validate(self.cfg, b, SENSORS, lambda s: CHANNELS.get(s, 3))
        except C.ConfigError as e:
            return self._ans(400, {"error": str(e), "field": e.field})
        return self._ans(200, self.cfg)


def _page(sensor="sim"):
    dev = _Device()
    store = {D.TOKEN_KEY: "tok"}
    win = types.SimpleNamespace(
        motebook=types.SimpleNamespace(request=dev.request),
        localStorage=types.SimpleNamespace(getItem=store.get, setItem=store.__setitem__,
                                           removeItem=store.pop),
        location=types.SimpleNamespace(hash="", pathname="/", search=""))
    net.window = D.window = win
    B = Bridge(types.SimpleNamespace())
    stream = types.SimpleNamespace(info={"sensor": sensor, "sensors": list(SENSORS),
                                         "rate": 100, "window": 128, "hop": 64})

    async def go():
        D.install(B, stream)()            # on_hello: the form knows the device's sensor
        for t in asyncio.all_tasks():     # (the status poll: not in these tests)
            if t is not asyncio.current_task():
                t.cancel()
        await asyncio.sleep(0)
    _run(go())
    return B, dev


_LOOP = asyncio.new_event_loop()


def _run(c):
    return _LOOP.run_until_complete(c)


def test_the_page_and_the_device_know_the_same_slow_sensors():
    # one list (shared/limits): the device's validator reads it, not a copy
    assert C.SLOW is limits.SLOW_SENSORS
    assert C.OPTIONAL["period_s"][1] == limits.PERIOD_S[1]


def test_durations_said_for_slow_and_fast_sensors():
    assert D.windows_said(10, 5, 1 / 60) == "window 10 samples = 10 min, a new one every 5 min"
    assert D.windows_said(128, 64, 100) == ("window 128 samples = 1.28 s, a new one every "
                                            "640 ms")
    assert D.windows_said(4, 1, 1 / 3600) == "window 4 samples = 4 h, a new one every 1 h"
    assert D.windows_said(30, 10, 1 / 2) == "window 30 samples = 1 min, a new one every 20 s"
    assert D.rate_said(1 / 60) == "one sample every 60 s"
    assert D.rate_said(100) == "100 Hz" and D.rate_said(1) == "1 Hz"


def test_one_sample_a_minute_for_the_room_sensor():
    B, dev = _page()
    out, err = _run(B.act("device.config", {"sensor": "room", "rate": "", "period_s": " 60 ",
                                            "window": "10", "hop": "5"}))
    assert err is None, err
    assert dev.puts == [{"sensor": "room", "period_s": 60, "window": 10, "hop": 5}]
    assert dev.cfg["period_s"] == 60 and C.rate(dev.cfg) == 1 / 60
    assert B.state["config"]["notice"] == (
        "applied: sensor room, one sample every 60 s, window 10 samples = 10 min, a new one "
        "every 5 min")
    assert B.state["config"]["message"] == ""
    # an empty period on a slow sensor: back to its rate in Hz (period_s 0 = off)
    _, err = _run(B.act("device.config", {"sensor": "room", "rate": "2", "period_s": "",
                                          "window": "10", "hop": "5"}))
    assert err is None, err
    assert dev.puts[-1]["period_s"] == 0 and C.rate(dev.cfg) == 2
    assert B.state["config"]["notice"].startswith("applied: sensor room, 2 Hz, window 10 "
                                                  "samples = 5 s, a new one every 2.5 s")


def test_a_fast_sensor_sends_no_period_and_ends_it():
    B, dev = _page()
    _run(B.act("device.config", {"sensor": "room", "period_s": "120", "window": "10",
                                 "hop": "5"}))
    assert dev.cfg["period_s"] == 120
    _, err = _run(B.act("device.config", {"sensor": "sim", "rate": "100", "period_s": "120",
                                          "window": "128", "hop": "64"}))
    assert err is None, err
    assert "period_s" not in dev.puts[-1]           # a fast sensor: the field is not sent
    assert "period_s" not in dev.cfg and C.rate(dev.cfg) == 100
    assert B.state["config"]["notice"] == ("applied: sensor sim, 100 Hz, window 128 samples = "
                                           "1.28 s, a new one every 640 ms")


def test_a_period_out_of_range_is_refused_in_the_page_naming_the_limit():
    B, dev = _page(sensor="room")
    for bad in ("1", "3601", "2.5", "a minute", "-60", "nan"):
        _, err = _run(B.act("device.config", {"period_s": bad, "window": "10", "hop": "5"}))
        assert err == ("one sample every N seconds: N must be a whole number 2..3600 (1 h), "
                       "or empty for a rate in Hz; got %s" % bad), err
        assert B.state["config"]["message"] == err
    assert dev.puts == []                           # nothing sent


def test_the_devices_refusal_and_the_device_away_are_said():
    B, dev = _page()
    # the device's 400 naming period_s: a slow pace on a fast sensor (the page would not
    # send it for one; a device whose list differs would say so)
    ans = json.loads(json.loads(_run(dev.request("PUT", "/api/config",
                                                 json.dumps({"sensor": "sim",
                                                             "period_s": 60}))))["text"])
    assert ans["field"] == "period_s"
    C_SLOW = C.SLOW
    try:                       # the page's list says room is slow, this device's does not
        C.SLOW = ("spectrometer",)
        _, err = _run(B.act("device.config", {"sensor": "room", "period_s": "60",
                                              "window": "10", "hop": "5"}))
    finally:
        C.SLOW = C_SLOW
    assert err.startswith("the device refused the settings: period_s (one sample every N "
                          "seconds) is for slow sensors (spectrometer)"), err
    assert B.state["config"]["message"] == err
    dev.away = True
    _, err = _run(B.act("device.config", {"sensor": "room", "period_s": "60", "window": "10",
                                          "hop": "5"}))
    assert err == "the device refused the settings: device unreachable"
    assert B.state["config"]["message"] == err

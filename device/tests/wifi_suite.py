# device/wifi.py on real MicroPython with the host fake of `network` (hostfakes/network.py)
# and of ntptime: access point on first boot, credentials saved, join, fallback, retry, NTP.
# Run by test_wifi.py; prints one JSON line {"test name": "ok" | error}.
# Usage: micropython wifi_suite.py DATA_DIR   (MICROPYPATH: build/fw/lib and hostfakes)
import asyncio
import json
import os
import sys
import time

import network
import ntptime
import wifi
from suiterun import run

DATA = sys.argv[1]
HOME = {"home": {"password": "secret-pw-1", "internet": True}}


def _setup(world, stored=None):
    network.reset(world)
    ntptime.SYNCS[0] = 0
    wifi.JOIN_MS, wifi.RETRY_MS, wifi.AP_LINGER_MS, wifi.CHECK_MS = 1000, 400, 300, 50
    try:
        os.remove(DATA + "/wifi.json")
    except OSError:
        pass
    if stored is not None:
        with open(DATA + "/wifi.json", "w") as f:
            f.write(json.dumps(stored))
    return wifi.WiFi(DATA)


def _file():
    try:
        with open(DATA + "/wifi.json") as f:
            return json.load(f)
    except OSError:
        return None


async def _until(cond, ms=3000):
    t0 = time.ticks_ms()
    while not cond():
        if time.ticks_diff(time.ticks_ms(), t0) > ms:
            return False
        await asyncio.sleep_ms(10)
    return True


def _run(w, steps):
    async def main():
        task = asyncio.create_task(w.run())
        try:
            await steps()
        finally:
            task.cancel()
    asyncio.run(main())


def _no_password(w):
    text = json.dumps(w.status())
    assert "secret" not in text and "wrong-pw" not in text, text


def test_first_boot_opens_the_access_point_named_after_the_mac():
    w = _setup({"networks": HOME})

    async def steps():
        assert await _until(lambda: w.mode == "ap")
        s = w.status()
        assert s["ap"] == "motebook-abcd" and s["ap_ip"] == "192.168.4.1", s
        assert network.WLAN(network.AP_IF).config("essid") == "motebook-abcd"
        assert network.WLAN(network.AP_IF).config("authmode") == network.AUTH_OPEN
        assert network.hostname() == "motebook-abcd"
        assert not network.WLAN(network.STA_IF).isconnected() and w.needs_token() is False
    _run(w, steps)


def test_credentials_from_the_page_are_saved_joined_and_the_access_point_closes():
    w = _setup({"networks": HOME})

    async def steps():
        assert await _until(lambda: w.mode == "ap")
        assert w.set_network("home", "secret-pw-1") is None
        assert _file() == {"ssid": "home", "password": "secret-pw-1", "joined": False}
        assert await _until(lambda: w.mode == "joined")
        s = w.status()
        assert s["ip"] == "192.168.1.42" and s["ssid"] == "home" and s["error"] is None, s
        assert s["ap"] == "motebook-abcd"            # still up: the page shows the new address
        assert w.ntp is True and ntptime.SYNCS[0] == 1
        assert _file()["joined"] is True and w.needs_token() is True
        _no_password(w)
        assert await _until(lambda: w.status()["ap"] is None, 1000)   # then it closes
        assert w.mode == "joined"
    _run(w, steps)


def test_wrong_password_falls_back_to_the_access_point_with_the_reason():
    w = _setup({"networks": HOME}, {"ssid": "home", "password": "wrong-pw-1", "joined": False})

    async def steps():
        assert await _until(lambda: w.mode == "ap")
        s = w.status()
        assert s["error"] == "home: wrong password" and s["ap"] == "motebook-abcd", s
        assert w.needs_token() is False            # never joined: the page may try again
        _no_password(w)
        assert w.set_network("home", "secret-pw-1") is None
        assert await _until(lambda: w.mode == "joined")
    _run(w, steps)


def test_unknown_network_is_reported_and_retried_until_it_appears():
    w = _setup({"networks": {}}, {"ssid": "home", "password": "secret-pw-1", "joined": True})

    async def steps():
        assert await _until(lambda: w.mode == "ap")
        assert w.status()["error"] == "home: network not found"
        assert w.needs_token() is True             # it had joined before: token needed
        network.WORLD["networks"].update(HOME)      # the router is back
        assert await _until(lambda: w.mode == "joined", 2000)
        assert await _until(lambda: w.status()["ap"] is None, 1000)
    _run(w, steps)


def test_stored_network_joins_at_boot_without_an_access_point():
    w = _setup({"networks": HOME}, {"ssid": "home", "password": "secret-pw-1", "joined": True})

    async def steps():
        assert await _until(lambda: w.mode == "joined")
        assert not network.WLAN(network.AP_IF).active()
        assert ("active", network.AP_IF, True) not in network.LOG
    _run(w, steps)


def test_no_internet_means_no_ntp_time():
    w = _setup({"networks": {"lab": {"password": "", "internet": False}}},
               {"ssid": "lab", "password": "", "joined": True})

    async def steps():
        assert await _until(lambda: w.mode == "joined")
        assert w.ntp is False and ntptime.SYNCS[0] == 0
    _run(w, steps)


def test_lost_network_is_joined_again_or_the_access_point_opens():
    w = _setup({"networks": dict(HOME)}, {"ssid": "home", "password": "secret-pw-1",
                                         "joined": True})

    async def steps():
        assert await _until(lambda: w.mode == "joined")
        del network.WORLD["networks"]["home"]
        assert await _until(lambda: w.mode == "ap", 2000)
        assert w.status()["error"] == "home: network not found"
    _run(w, steps)


def test_bad_credentials_are_refused_and_not_stored():
    w = _setup({"networks": HOME})
    assert "ssid" in w.set_network("", "secret-pw-1")
    assert "ssid" in w.set_network("x" * 33, "secret-pw-1")
    assert "password" in w.set_network("home", "short")
    assert "password" in w.set_network("home", 12345678)
    assert _file() is None


run(globals())

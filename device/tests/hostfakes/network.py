# Host fake, do not upload. The parts of MicroPython's ESP32 `network` module that
# device/wifi.py uses: WLAN(STA_IF/AP_IF) (one object per interface, as on the ESP32),
# active, connect/disconnect, isconnected, status, ifconfig, config, hostname, and the STAT_*
# and AUTH_* constants. The radio world is WORLD: {"networks": {ssid: {"password": ...,
# "internet": bool}}, "join_ms": N}, set by a test or from the MOTEBOOK_FAKE_WIFI environment
# variable (JSON). LOG records the calls that change something.
import json
import os
import time

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_ASSOC_FAIL = 203
STAT_HANDSHAKE_TIMEOUT = 204
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3

WORLD = {"networks": {}, "join_ms": 50}
try:
    _w = os.getenv("MOTEBOOK_FAKE_WIFI")
except AttributeError:
    _w = None
if _w:
    WORLD.update(json.loads(_w))
LOG = []
_HOSTNAME = ["espressif"]
_ifaces = {}


def hostname(name=None):
    if name is None:
        return _HOSTNAME[0]
    _HOSTNAME[0] = name
    LOG.append(("hostname", name))


class _WLAN:
    def __init__(self, which):
        self.which = which
        self._active = False
        self._ssid = None
        self._key = None
        self._t0 = 0
        self._status = STAT_IDLE
        self._conf = {"mac": b"\x24\x0a\xc4\x12\xab\xcd", "essid": "ESP_12ABCD",
                      "authmode": AUTH_WPA2_PSK}

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)
        LOG.append(("active", self.which, self._active))
        if not on:
            self._status = STAT_IDLE
        return None

    def config(self, *args, **kw):
        if args:
            return self._conf[args[0]]
        if self.which == AP_IF and not self._active:
            raise OSError("AP not active")   # like the ESP32: configure an active AP
        self._conf.update(kw)
        LOG.append(("config", self.which, sorted(kw.items())))
        return None

    def connect(self, ssid, key=""):
        if not self._active:
            raise OSError("STA not active")
        self._ssid, self._key = ssid, key
        self._t0 = time.ticks_ms()
        self._status = STAT_CONNECTING
        LOG.append(("connect", ssid))

    def disconnect(self):
        self._status = STAT_IDLE
        LOG.append(("disconnect",))

    def _network(self):
        return WORLD["networks"].get(self._ssid)

    def status(self, *args):
        if self._status == STAT_CONNECTING:
            if time.ticks_diff(time.ticks_ms(), self._t0) >= WORLD.get("join_ms", 50):
                n = self._network()
                if n is None:
                    self._status = STAT_NO_AP_FOUND
                elif n.get("password", "") != self._key:
                    self._status = STAT_WRONG_PASSWORD
                else:
                    self._status = STAT_GOT_IP
        elif self._status == STAT_GOT_IP:
            n = self._network()
            if n is None or n.get("password", "") != self._key:
                self._status = STAT_BEACON_TIMEOUT      # the network went away
        return self._status

    def isconnected(self):
        if self.which == AP_IF:
            return self._active
        return self._active and self.status() == STAT_GOT_IP

    def ifconfig(self):
        if self.which == AP_IF:
            return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
        if self.isconnected():
            return ("192.168.1.42", "255.255.255.0", "192.168.1.1", "192.168.1.1")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")


def WLAN(which=STA_IF):
    if which not in _ifaces:
        _ifaces[which] = _WLAN(which)
    return _ifaces[which]


def reset(world=None):
    """A fresh radio (tests): interfaces off, empty log, the given world."""
    _ifaces.clear()
    del LOG[:]
    WORLD.clear()
    WORLD.update({"networks": {}, "join_ms": 50})
    WORLD.update(world or {})


def internet():
    """True when the station is joined to a network that reaches the internet (ntptime)."""
    sta = WLAN(STA_IF)
    n = sta._network()
    return sta.isconnected() and bool(n and n.get("internet"))

# Wi-Fi: joins the network stored in <data>/wifi.json; on first boot, or when it cannot join,
# opens the open access point motebook-XXXX (the page at http://192.168.4.1/ asks for a
# network: api_wifi.py), then joins; sets the clock from NTP once joined. The password is
# stored on the device and never sent back. Memory: a few strings; one task.
import asyncio
import json
import os
import time

import network

AP_PREFIX = "motebook-"
JOIN_MS = 20000         # a join not done by then has failed
RETRY_MS = 300000       # access point up, a network stored: try it again this often
AP_LINGER_MS = 60000    # joined from the setup page: the access point stays this long, so
                        # the page can show the device's new address
CHECK_MS = 5000         # link check while joined
NTP_EVERY_MS = 6 * 3600 * 1000
FILE = "wifi.json"
# network.STAT_* that end a join attempt, and what to tell the user
_FAILURES = (("STAT_WRONG_PASSWORD", "wrong password"),
             ("STAT_NO_AP_FOUND", "network not found"),
             ("STAT_HANDSHAKE_TIMEOUT", "no handshake (wrong password?)"),
             ("STAT_ASSOC_FAIL", "the network refused the device"),
             ("STAT_BEACON_TIMEOUT", "network lost"),
             ("STAT_CONNECT_FAIL", "could not join"))


def _failure(status):
    for name, text in _FAILURES:
        if getattr(network, name, None) == status:
            return text
    return None


def validate(ssid, password):
    """None, or why this network cannot be stored."""
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
        return "ssid must be a name of 1 to 32 bytes"
    if not isinstance(password, str) or not (password == "" or 8 <= len(password) <= 63):
        return "password must be empty (open network) or 8 to 63 characters"
    return None


class WiFi:
    def __init__(self, data_dir):
        self._path = data_dir + "/" + FILE
        self.sta = network.WLAN(network.STA_IF)
        self.ap = network.WLAN(network.AP_IF)
        mac = self.sta.config("mac")
        self.name = AP_PREFIX + "%02x%02x" % (mac[-2], mac[-1])
        try:
            network.hostname(self.name)       # mDNS: http://motebook-xxxx.local/
        except (AttributeError, OSError, ValueError):
            pass
        self.mode = "off"     # "joining", "joined" or "ap"
        self.ssid = None
        self.ip = None
        self.error = None     # why the last join failed
        self.ntp = False      # the clock was set from NTP
        self._ntp_ms = 0
        self._changed = False
        self._wake = asyncio.Event()

    # -- stored network
    def _stored(self):
        try:
            with open(self._path) as f:
                d = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(d, dict) or validate(d.get("ssid"), d.get("password")):
            return None
        return d

    def _store(self, d):
        tmp = self._path + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps(d))
        os.rename(tmp, self._path)

    def needs_token(self):
        """Setting the network needs the access token once the device has joined a network;
        before that (first setup, even after a wrong password) whoever is on its access
        point may set it."""
        d = self._stored()
        return bool(d and d.get("joined"))

    def set_network(self, ssid, password):
        """Store a network and join it (the task does). None, or what is wrong."""
        err = validate(ssid, password)
        if err:
            return err
        self._store({"ssid": ssid, "password": password, "joined": False})
        self._changed = True
        self.mode, self.ssid, self.error = "joining", ssid, None
        self._wake.set()
        return None

    def status(self):
        ap = self.ap.active()
        return {"mode": self.mode, "ssid": self.ssid, "ip": self.ip, "error": self.error,
                "ap": self.name if ap else None, "ap_ip": self.ap.ifconfig()[0] if ap else None,
                "hostname": self.name, "ntp": self.ntp}

    # -- the task
    async def run(self):
        while True:
            d = self._stored()
            self._changed = False
            if d and await self._join(d):
                await self._joined(d)
                continue            # link lost or a new network: start over
            if self._changed:
                continue
            self._open_ap()
            await self._sleep(RETRY_MS)   # or less: the page sets a network

    async def _join(self, d):
        self.mode = "joining"
        self.ssid = d["ssid"]
        self.ip = None
        sta = self.sta
        sta.active(True)
        sta.connect(d["ssid"], d["password"])
        t0 = time.ticks_ms()
        why = "no answer from the network"
        while time.ticks_diff(time.ticks_ms(), t0) < JOIN_MS and not self._changed:
            if sta.isconnected():
                self.ip = sta.ifconfig()[0]
                self.error = None
                if not d.get("joined"):
                    d["joined"] = True
                    self._store(d)
                return True
            f = _failure(sta.status())
            if f:
                why = f
                break
            await asyncio.sleep_ms(200)
        sta.disconnect()
        if not self._changed:
            self.error = "%s: %s" % (d["ssid"], why)
            print("motebook: wifi:", self.error)
        return False

    async def _joined(self, d):
        self.mode = "joined"
        print("motebook: wifi: joined %s as %s (http://%s.local/)" % (d["ssid"], self.ip,
                                                                      self.name))
        self._sync_time()
        if self.ap.active():
            await self._sleep(AP_LINGER_MS)
            if self._changed:
                return
            self.ap.active(False)
        while self.sta.isconnected() and not self._changed:
            if time.ticks_diff(time.ticks_ms(), self._ntp_ms) > NTP_EVERY_MS:
                self._sync_time()
            await self._sleep(CHECK_MS)
        if not self._changed:
            print("motebook: wifi: lost %s" % d["ssid"])

    def _open_ap(self):
        self.mode = "ap"
        if not self.ap.active():
            self.ap.active(True)
            self.ap.config(essid=self.name, authmode=network.AUTH_OPEN)
            print("motebook: wifi: access point %s, page at http://%s/"
                  % (self.name, self.ap.ifconfig()[0]))

    async def _sleep(self, ms):
        """Sleep ms, or less when a new network is set."""
        self._wake.clear()
        try:
            await asyncio.wait_for_ms(self._wake.wait(), ms)
        except asyncio.TimeoutError:
            pass

    def _sync_time(self):
        # ntptime blocks for the round trip (up to its 1 s timeout without internet)
        self._ntp_ms = time.ticks_ms()
        try:
            import ntptime
            ntptime.settime()             # the RTC; the device's clock says where it came from
            self.ntp = True
            import clock
            clock.mark_set("ntp")
        except (ImportError, OSError, OverflowError, IndexError) as e:
            print("motebook: wifi: no time from NTP (%r)" % (e,))

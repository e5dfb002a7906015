# The device as the page sees it: its hello (sensor, rate, window, channels), connection,
# status (storage, model, clock; polled every few seconds), the access token (asked for once,
# kept in this browser), the device's settings, the simulated activity and the simulated
# machine's fault. Actions on the
# "device", "config" and "page" parts of the bridge. Memory: a few small dicts.
import asyncio

from pyscript import window

from app import net
from shared.limits import PERIOD_S, SLOW_SENSORS
from shared.protocol import period_s as _period_of

TOKEN_KEY = "motebook.token"
STATUS_S = 5          # status poll period


def token():
    return window.localStorage.getItem(TOKEN_KEY) or ""


# The actions that write to the device: without a token they are refused in the page, with
# the reason (app/view.py disables their buttons with it), instead of a 401 after the fact.
NEEDS_TOKEN = ("sessions.record", "sessions.stop", "sessions.delete", "sessions.label",
               "sessions.move", "sessions.set_segments", "sessions.undo", "sessions.redo",
               "sessions.import_csv", "sessions.class_edit", "sessions.class_undo",
               "sessions.value_set", "sessions.value_segment", "sessions.value_delete",
               "sessions.value_undo",
               "deploy.send", "deploy.switch", "device.config", "device.activity",
               "device.fault", "sound.calibrate",
               "node.save", "node.label", "node.discard", "node.value")


def auth_why(dev):
    """Why writes are refused now ("" when the token is there)."""
    if dev.get("token"):
        return ""
    if dev.get("auth") == "wrong":
        return "the device refused the token (%s): enter the right one above" % dev["auth_msg"]
    return "read-only: enter the device token above to record, label or send"


def drop_token(B, why=None):
    """The device refused the stored token (401/403): forget it, so the page asks again and
    says why (the header and every write's button show it). With no token stored, a refusal
    (e.g. the Notebook's autosave) leaves the page read-only, not "wrong token"."""
    if token():
        window.localStorage.removeItem(TOKEN_KEY)
        B.update("device", token=False, auth="wrong", auth_msg=why or "401")
    else:
        B.update("device", token=False)


def _token_from_link():
    """A link with #token=... (scripts/run prints one) stores the token and is cleaned."""
    h = window.location.hash
    if h.startswith("#token="):
        window.localStorage.setItem(TOKEN_KEY, h[7:].replace("%20", " ").strip())
        window.history.replaceState(None, "", window.location.pathname +
                                    window.location.search)


def period_field(v):
    """The form's "one sample every N s" as config period_s: N within limits.PERIOD_S, or 0
    (off: the rate in Hz) when empty; ValueError naming the limit otherwise."""
    v = (v or "").strip() if isinstance(v, str) else v
    if v in (None, "", 0, "0"):
        return 0
    try:
        n = float(v)
    except ValueError:
        n = None
    if n is None or not PERIOD_S[0] <= n <= PERIOD_S[1] or n != int(n):
        raise ValueError("one sample every N seconds: N must be a whole number %d..%d (%s), "
                         "or empty for a rate in Hz; got %s"
                         % (PERIOD_S[0], PERIOD_S[1], duration(PERIOD_S[1]), str(v)[:12]))
    return int(n)


def duration(s):
    """Seconds said for a person: 640 ms, 1.28 s, 10 min, 2 h (3 digits)."""
    for unit, k in (("h", 3600), ("min", 60), ("s", 1)):
        if s >= k:
            return "%g %s" % (float("%.3g" % (s / k)), unit)
    return "%g ms" % float("%.3g" % (s * 1000))


def rate_said(rate):
    """A rate (Hz) for a person: '100 Hz', or 'one sample every 60 s' below 1 Hz."""
    p = _period_of(rate)
    return "one sample every %d s" % p if p else "%g Hz" % rate


def windows_said(window, hop, rate):
    """Window and hop (samples) at rate Hz as durations: 'window 10 samples = 10 min, a new
    one every 5 min'."""
    return "window %d samples = %s, a new one every %s" % (
        window, duration(window / rate), duration(hop / rate))


def install(B, stream):
    _token_from_link()
    dev = B.part("device", conn="idle", conn_text="not connected", token=bool(token()),
                 info={}, status={}, problem="", auth="unchecked" if token() else "none",
                 auth_msg="")
    net.REFUSED.append(lambda why: drop_token(B, why))   # any request refused the token of

    def refuse(name):
        """Bridge.refuse: a write without a token is said, not sent."""
        return auth_why(dev) if name in NEEDS_TOKEN else ""
    B.refuse = refuse
    B.part("page", message="", notice="")
    B.part("config", message="", notice="")

    def on_hello():
        """A new hello (connected, or the settings changed): the header and forms follow."""
        dev["info"] = dict(stream.info)
        B.touch("device", "config-form")

    @B.action("device.token", part="page")
    def set_token(a):
        t = (a.get("token") or "").strip()
        if not t:
            raise ValueError("enter the device token (printed by scripts/run)")
        window.localStorage.setItem(TOKEN_KEY, t)
        B.update("device", token=True, auth="unchecked", auth_msg="")
        B.fire("device.clock")

    @B.action("device.forget_token", part="page")
    def forget(a):
        window.localStorage.removeItem(TOKEN_KEY)
        B.update("device", token=False, auth="none", auth_msg="")

    @B.action("device.activity", part="page")
    async def activity(a):
        js = await net.call("PUT", "/api/sim", {"activity": a["name"]}, what="activity")
        B.update("device", activity=js["activity"])

    @B.action("device.fault", part="page")
    async def fault(a):
        """The simulated machine's fault: a name of its status "faults", or "" = normal."""
        await net.call("PUT", "/api/sim", {"fault": a.get("name") or None}, what="fault")
        await poll_once()

    @B.action("device.config", part="config")
    async def config(a):
        """The device's settings form: sensor, rate, window and hop (samples); a slow sensor
        (shared/limits SLOW_SENSORS) also one sample every period_s seconds (empty: off)."""
        body = {}
        for k in ("rate", "window", "hop"):
            v = a.get(k)
            if v not in (None, ""):
                try:
                    body[k] = int(float(v))
                except ValueError:
                    raise ValueError("%s must be a whole number" % k)
        if a.get("sensor"):
            body["sensor"] = a["sensor"]
        if (a.get("sensor") or dev["info"].get("sensor")) in SLOW_SENSORS:
            body["period_s"] = period_field(a.get("period_s"))
        js = await net.call("PUT", "/api/config", body, what="the device refused the settings")
        r = 1 / js["period_s"] if js.get("period_s") else js.get("rate") or 1
        B.update("config", notice="applied: sensor %s, %s, %s" % (
            js.get("sensor"), rate_said(r), windows_said(js.get("window", 0), js.get("hop", 0), r)))
        await poll_once()

    @B.action("device.status")
    async def status(a):
        await poll_once()

    @B.action("device.clock", part="page")
    async def clock(a):
        """Set the device's clock from the browser's when it has none (an ESP32 without NTP)
        or is more than 5 s off; needs the token, so a new token is checked here at once (a
        wrong one comes back as "wrong token", not as a silent failure later)."""
        now = float(window.motebook.nowS())
        s = dev.get("status") or {}
        if token() and (dev["auth"] != "ok" or s.get("time") is None or
                        abs(s["time"] - now) > 5):
            try:
                await net.call("PUT", "/api/clock", {"time": now}, what="the device token")
            except net.DeviceError as e:
                if e.status in (401, 403):   # said by the token box and the header already
                    return
                raise
            if token():
                B.update("device", auth="ok", auth_msg="")

    async def poll_once():
        """The device's status; while it cannot be reached (or refuses), the header says so."""
        try:
            js = await net.call("GET", "/api/status")
        except net.DeviceError as e:
            B.update("device", problem="device unreachable, trying again every %d s" % STATUS_S
                     if not e.status else "status: %s" % e)
            return
        if isinstance(js, dict):
            B.update("device", status=js, problem="")

    async def poll():
        first = True
        while True:
            try:
                await poll_once()
                if first and dev["status"]:
                    first = False
                    B.fire("device.clock")
                B.flush()
            except Exception as e:        # the poll never stops the page
                print("status: %s" % e)
            await asyncio.sleep(STATUS_S)

    asyncio.create_task(poll())
    return on_hello

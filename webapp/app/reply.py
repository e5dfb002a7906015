# What the device answered, decoded once: the transport's JSON {status, text} (transport.js)
# -> the parsed answer, or a DeviceError naming the device's reason (status 0: the device could
# not be reached). No browser imports, so the page (app/net.py) and the Notebook's worker
# (nb/motebook.py) decode the same way. Memory: one answer at a time.
import json

REFUSED = []        # fn(why) run when the device refuses the stored token (the page's app/device.py)


class DeviceError(Exception):
    """A request the device refused (status, message) or could not be reached (status 0)."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def answer(raw):
    """(status, parsed JSON or None, text) of the transport's JSON {status, text}."""
    r = json.loads(raw)
    text = r.get("text") or ""
    try:
        js = json.loads(text) if text and r["status"] else None
    except ValueError:
        js = None
    return r["status"], js, text


def reason(status, js, text):
    """What the device said: its {"error"}, else its text, else "device unreachable" or
    "HTTP n"."""
    msg = js.get("error") if isinstance(js, dict) else None
    if not status:
        return "device unreachable"
    return msg or text or "HTTP %d" % status


def check(status, js, text, what=None):
    """The parsed answer of a 2xx status; else DeviceError (what: the message's prefix).
    401/403 also run REFUSED (the stored token is wrong: the page asks for it again)."""
    if 200 <= status < 300:
        return js
    msg = reason(status, js, text)
    if status in (401, 403):
        for fn in REFUSED:
            fn("%d: %s" % (status, msg))
    raise DeviceError(status, "%s: %s" % (what, msg) if what else msg)


def result(raw, what=None, text=False):
    """check() of a raw transport answer: its parsed JSON (text=True: its text)."""
    st, js, t = answer(raw)
    js = check(st, js, t, what=what)
    return t if text else js

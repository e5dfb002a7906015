# The page's one request helper: method, path, body -> the device's parsed JSON answer, or a
# DeviceError whose text the bridge shows (status 0: the device could not be reached); and
# need(), which loads a lazily loaded group of the page's modules (lists made by
# scripts/build_www.py from the imports). glue.js and transport.js only move the bytes.
# Memory: one answer at a time.
import json

from pyscript import window

REFUSED = []        # fn(why) run when the device refuses the stored token (app/device.py)


class DeviceError(Exception):
    """A request the device refused (status, message) or could not be reached (status 0)."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def answer(raw):
    """(status, parsed JSON or None, text) of glue.js's JSON {status, text}."""
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


async def call(method, path, body=None, what=None):
    """The device's JSON answer to method path with body (a dict, sent as JSON, or text);
    DeviceError unless 2xx."""
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    return check(*answer(await window.motebook.request(method, path, body)), what=what)


async def send(method, path, fs_path, type="application/octet-stream", headers=None,
               what=None):
    """call() with the bytes of the FS file fs_path as the body."""
    raw = await window.motebook.upload(path, fs_path, method, type, json.dumps(headers or {}))
    return check(*answer(raw), what=what)


async def need(*groups):
    """The page's modules of these groups (named by their root module, e.g. "app.notebook")
    into the FS before they are imported; DeviceError when some could not be loaded."""
    why = await window.motebook.need(json.dumps(list(groups)))
    if why:
        raise DeviceError(0, "could not load the page's %s modules: %s" % (", ".join(groups), why))

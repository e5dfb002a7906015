# The page's one request helper: method, path, body -> the device's parsed JSON answer, or a
# DeviceError whose text the bridge shows (status 0: the device could not be reached); and
# need(), which loads a lazily loaded group of the page's modules (lists made by
# scripts/build_www.py from the imports). glue.js and transport.js only move the bytes.
# Memory: one answer at a time.
import json

from pyscript import window

from app.reply import REFUSED, DeviceError, answer, check, reason, result  # noqa: F401


async def call(method, path, body=None, what=None, text=False):
    """The device's JSON answer to method path with body (a dict, sent as JSON, or text);
    DeviceError unless 2xx. text=True: the answer's text, not parsed."""
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    return result(await window.motebook.request(method, path, body), what, text)


async def send(method, path, fs_path, type="application/octet-stream", headers=None,
               what=None):
    """call() with the bytes of the FS file fs_path as the body."""
    raw = await window.motebook.upload(path, fs_path, method, type, json.dumps(headers or {}))
    return result(raw, what)


async def need(*groups):
    """The page's modules of these groups (named by their root module, e.g. "app.notebook")
    into the FS before they are imported; DeviceError when some could not be loaded."""
    why = await window.motebook.need(json.dumps(list(groups)))
    if why:
        raise DeviceError(0, "could not load the page's %s modules: %s" % (", ".join(groups), why))

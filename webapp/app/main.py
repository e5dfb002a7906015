# motebook page entry point: wires the stream decoder and the plot buffer to the JS glue
# (window.motebook), which owns the WebSocket and the DOM. Runs in MicroPython-WASM.
# Memory: per frame only the decode into preallocated arrays; stats JSON 4 times a second.
import json

from pyscript import window

from app.plot import PlotBuffer
from app.stream import Stream
from shared import protocol

_stream = Stream()
_plot = PlotBuffer()
_new_conn = [True]
_ping = [0]


def on_text(text):
    if _live.on_text(text):          # predictions (issue 6 block below)
        return
    _stream.on_text(text)
    if _stream.last_seq is None:
        _new_conn[0] = True
        _log.clear()                 # sequence numbers may restart (device restarted)
        _live.new_connection()


def on_frame(n):
    out = _stream.on_frame(n)
    if out is not None:
        _plot.add(out, _stream.header, _new_conn[0])
        _new_conn[0] = False
        h = _stream.header
        _log.add(h[0], out, h[2] * h[4], h[6])   # for the page-vs-device check (issue 6)
        _live.on_window()


def flush():
    """Called by glue.js a few times a second: '' when nothing changed, else stats JSON
    (and the plot data written to the FS when there are new samples)."""
    if _live.dirty:
        _show_live()
    if not _plot.dirty and not _stream.error:
        return ""
    s = _stream
    h = s.header
    info = s.info
    chans = info.get("channels") or ["ch%d" % c for c in range(h[2] if h else 0)]
    stats = {
        "windows": s.windows, "gaps": s.gaps, "bad": s.bad,
        "first_seq": -1 if s.first_seq is None else s.first_seq,
        "last_seq": -1 if s.last_seq is None else s.last_seq,
        "rate": h[5] if h else info.get("rate", 0),
        "window": h[4] if h else info.get("window", 0),
        "hop": info.get("hop", 0), "channels": chans[:_plot.nch] if h else chans,
        "sensor": info.get("sensor", ""), "fw": info.get("fw", ""),
        "mag_std": s.mag_std, "error": s.error,
        "plot": _plot.flush() if _plot.dirty else 0,
    }
    s.error = ""
    return json.dumps(stats)


def ping():
    """The keepalive control message glue.js sends (the device answers with a pong)."""
    _ping[0] += 1
    return protocol.encode_control({"type": "ping", "id": _ping[0]})


# ---- train panel and live predictions (issue 6) --------------------------------------
import asyncio  # noqa: E402

from pyscript import document  # noqa: E402

from app.predict import Live, WindowLog  # noqa: E402
from app.train import TrainPanel  # noqa: E402

_log = WindowLog()
_live = Live(_log)
_panel = TrainPanel(document, window.motebook, _stream, _live)


def _show_live():
    top, strip = _live.html()
    document.getElementById("live-class").innerHTML = top
    document.getElementById("live-history").innerHTML = strip


def _train_click():
    asyncio.create_task(_panel.train_from_dataset())


def _send_click():
    asyncio.create_task(_panel.send())


def _sessions_click():
    asyncio.create_task(_panel.refresh_sessions())


window.motebook.attachTrain(_train_click, _send_click, _sessions_click, _live.hook)
asyncio.create_task(_panel.preload())
window.motebook.attach(on_frame, on_text, flush, ping)

# ---- sessions, labelling, export/import (issue 5; the logic is in app/sessions.py) --------
from app import sessions as _sessions  # noqa: E402

_sessions.attach()

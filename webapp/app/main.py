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
    if _live.on_text(text):          # predictions (the block below)
        return
    _stream.on_text(text)
    if _stream.last_seq is None:
        _new_conn[0] = True
        _log.clear()                 # sequence numbers may restart (device restarted)
        _live.new_connection()
        _deploy.show_fit()           # a new hello: the device's settings may have changed
        if not _clock[0]:
            _clock[0] = True
            asyncio.create_task(_sync_clock())


def on_frame(n):
    out = _stream.on_frame(n)
    if out is not None:
        _plot.add(out, _stream.header, _new_conn[0])
        _new_conn[0] = False
        h = _stream.header
        _log.add(h[0], out, h[2] * h[4], h[6])   # for the page-vs-device check
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


# ---- train and deploy panels, live predictions ---------------------------------------
import asyncio  # noqa: E402

from pyscript import document  # noqa: E402

from app import dataset as _ds  # noqa: E402
from app.deploy import Deploy  # noqa: E402
from app.predict import Live, WindowLog  # noqa: E402
from app.train import TrainPanel  # noqa: E402

_log = WindowLog()
_live = Live(_log)
_panel = TrainPanel(document, window.motebook, _stream, _live)
_deploy = Deploy(document, window.motebook, _stream, _panel)
_panel.deploy = _deploy
_clock = [False]


async def _sync_clock():
    """Set the device's clock from the browser's when it has none (an ESP32 without NTP) or
    it is off by more than a few seconds; needs the token (asked for once)."""
    try:
        now = float(window.motebook.nowS())
        st, s, _ = await _ds.request("GET", "/api/status")
        if st == 200 and (s.get("time") is None or abs(s["time"] - now) > 5):
            await _ds.request("PUT", "/api/clock", json.dumps({"time": now}))
    except Exception as e:           # the clock is a convenience: never break the page
        print("clock: %s" % e)


def _show_live():
    top, strip, key = _live.html()
    document.getElementById("live-class").innerHTML = top
    document.getElementById("live-history").innerHTML = strip
    document.getElementById("live-key").innerHTML = key


def _train_click():
    asyncio.create_task(_panel.train_from_dataset())


def _send_click():
    asyncio.create_task(_deploy.send())


def _sessions_click():
    asyncio.create_task(_panel.refresh_sessions())


def _switch_click():
    asyncio.create_task(_deploy.apply_switch())


def _check_click():
    asyncio.create_task(_deploy.check())


window.motebook.attachTrain(_train_click, _send_click, _sessions_click, _live.hook,
                            _switch_click, _check_click)
asyncio.create_task(_panel.preload())
window.motebook.attach(on_frame, on_text, flush, ping)

# ---- sessions, labelling, export/import (the logic is in app/sessions.py) ----------------
from app import sessions as _sessions  # noqa: E402

_sessions.attach()

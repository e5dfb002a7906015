# motebook page entry point: builds the bridge (app/bridge.py), installs every step's actions
# (device, sessions, train, deploy, the sound meter; the notebook's on first opening), the view
# that draws the state (app/view.py) and the transport handlers glue.js calls: frames (decoded by
# shared/protocol in app/stream.py), control messages, the connection's state. A task draws
# the live plot (app/view_live.py, uPlot) and the stream figures four times a second; plotly
# loads after the first live plot. Runs in MicroPython-WASM.
# Memory: per frame only the decode into preallocated arrays (+ a window copy while this page
# compares its own model with the device's predictions).
import asyncio

from pyscript import window
from jsffi import create_proxy

from app import deploy, device, net, sessions, sound, sync, train, view, view_label, view_live
from app import view_sound
from app.bridge import Bridge
from app.plot import PlotBuffer
from app.predict import Live, WindowLog
from app.stream import Stream
from shared import protocol

DRAW_MS = 250                # the live plot and stream figures: at most 4 times a second

B = Bridge(window.motebook)
stream = Stream()
plot = PlotBuffer()
log = WindowLog()
live = Live(log)
B.part("stream", windows=0)
B.part("live", **live.state())
on_hello = device.install(B, stream)
panel = sessions.install(B)
trainer = train.install(B, stream, live)
dep = deploy.install(B, stream, trainer)
follow = sync.Sync(B, panel, dep)          # the device's "changed" messages
meter = sound.install(B)                   # the sound level meter (sensor "mic")
_new_conn = [True]
_ping = [0]


@B.action("notebook.open", part="notebook")
async def open_notebook(a):
    """The Notebook step: its modules load when it is first opened."""
    await net.need("app.notebook")
    from app import notebook
    await notebook.install(B, view)


@B.action("node.open", part="node")
async def open_node(a):
    """Deploy -> On its own: its modules load when it is first opened."""
    if "node.refresh" in B.names():
        await B.act("node.refresh")
        return
    await net.need("app.node")
    from app import node
    await node.install(B, view)


@B.action("explore.open", part="explore")
async def open_explore(a):
    """The Explore step: its modules load when it is first opened."""
    if "explore.run" in B.names():
        return
    await net.need("app.explore", "app.view_explore", "shared.pipeline")
    await view_live.plotly("explore-body")     # its drawers plot at once
    from app import explore, view_explore
    ex = explore.install(B, trainer)
    view_explore.install(B, view, ex)
    view.AFTER.append(lambda st, parts: ex.from_timeline(st["sessions"].get("cur"))
                      if "sessions" in parts else None)
    if not B.state["train"]["sessions"]:
        await trainer.refresh()


# ---- transport handlers (glue.js) -----------------------------------------------------
def on_text(text):
    if live.on_text(text):           # a prediction
        return
    msg = stream.on_text(text) or {}
    if follow.on_text(msg):          # what another page (or the device itself) changed
        return
    if stream.last_seq is None:      # a hello: a new connection or new settings
        _new_conn[0] = True
        log.clear()                  # sequence numbers may restart (device restarted)
        live.new_connection()
        on_hello()
        if msg.get("type") == "hello":
            follow.on_hello()
        dep.show_fit()
        B.flush()


def on_frame(n):
    out = stream.on_frame(n)
    if out is not None:
        h = stream.header
        lv = meter.convert(out, h)           # the microphone's levels: clipping is a gap
        plot.add(*(lv or (out, h)), new_connection=_new_conn[0])
        meter.add(lv, _new_conn[0])
        _new_conn[0] = False
        if live.wants_windows():     # this page's model against the device, window by window
            log.add(h[0], out, h[2] * h[4], h[6])
            live.on_window()


def on_conn(state, text):
    B.update("device", conn=state, conn_text=text)
    document = window.document
    document.body.dataset.boot = "ready"
    B.flush()


def ping():
    _ping[0] += 1
    return protocol.encode_control({"type": "ping", "id": _ping[0]})


async def draw_loop():
    """Stream figures and the live plot, throttled; the first window is drawn at once."""
    while True:                      # uPlot first: without it, say so and ask again
        why = await window.motebook.uplot()
        if not why:
            break
        view_live.say("the live plot cannot be drawn: %s; trying again" % why)
        await asyncio.sleep(5)
    view_live.say("")
    while True:
        s = stream
        if plot.dirty or s.error:
            h = s.header
            info = s.info
            chans = info.get("channels") or ["ch%d" % c for c in range(h[2] if h else 0)]
            B.update("stream", windows=s.windows, gaps=s.gaps, bad=s.bad,
                     first_seq=s.first_seq, last_seq=s.last_seq, mag_std=s.mag_std,
                     channels=chans, unit=info.get("unit", ""), error=s.error,
                     rate=h[5] if h else info.get("rate", 0),
                     window=h[4] if h else info.get("window", 0), hop=info.get("hop", 0))
            if s.error:
                B.update("page", message=s.error)
                s.error = ""
            if plot.dirty and h:
                n = plot.flush()
                view_live.draw(n, h[5], chans[:plot.nch], info.get("unit", ""))
            if window.motebook.debug:
                window.motebook.stats = view.js(B.state["stream"])
        if meter.levels.dirty and view_sound.visible():
            view_sound.timeline(meter.levels.flush(sound.LEVELS), view_sound.unit(meter.part))
        if live.dirty:
            B.update("live", **live.state())
        B.flush()
        await asyncio.sleep_ms(DRAW_MS if window.motebook.plots else 20)


view.install(B)
view_label.install()
view_live.install()
view_sound.install()
if window.motebook.debug:
    B.attach_debug()
_handlers = [create_proxy(f) for f in (on_frame, on_text, on_conn, ping)]
window.motebook.attach(*_handlers)
asyncio.create_task(draw_loop())
B.fire("deploy.model")

# The live plot and the loading of plotly. The live stream is drawn with uPlot (small,
# loaded at once by glue.js, made for streaming): the time axis (s) and one series per channel
# from app/plot.py's float32 file in the FS, handed over as typed-array views, never element by
# element; one colour per channel, the channels' unit on the y axis. plotly.js (every other
# plot: the Label timeline, Explore, the history, the Notebook) is asked for after the first
# live frame was drawn, or when a step that plots opens, whichever comes first; while it loads
# or when it cannot be loaded, the body says so (data-plotly, shown in every empty plot by
# style.css) and #plots-why, under the live plot, names the reason (as for uPlot); once in,
# every part is drawn again.
# Memory: one uPlot instance (made again only when the channels or their unit change).
import asyncio

from pyscript import document, window
from jsffi import create_proxy

from app import view

PLOT = "/plot.bin"
LEGEND_PX = 34                # below the chart: uPlot's legend (one line of channel names)
PLOTTING_STEPS = ("label", "explore", "train", "deploy", "notebook")
_live = {"u": None, "key": None, "w": 0, "h": 0}
_plotly = {"task": None}
_keep = []


def say(text):
    """Why a chart library is not in (under the live plot); "" hides it."""
    e = view.el("plots-why")
    e.textContent = text
    e.hidden = not text


def _size():
    e = view.el("plot")
    return e.clientWidth, max(e.clientHeight - LEGEND_PX, 120)


def draw(n, rate, channels, unit):
    """The live plot from PLOT: n float32 of time (s, the newest sample at 0), then n of each
    channel."""
    if not n or not view.has(window, "uPlot"):
        return
    f = window.motebook.f32(PLOT)
    data = view.js([])
    gaps = channels == ["level"]      # the microphone's level: a clipped one is a gap
    for i in range(len(channels) + 1):
        data.push(window.motebook.f32gaps(PLOT, i * n, (i + 1) * n) if gaps and i
                  else f.subarray(i * n, (i + 1) * n))
    key = (tuple(channels), unit)
    u = _live["u"]
    if u is None or _live["key"] != key:
        if u is not None:
            u.destroy()
        w, h = _size()
        label = ("level (%s)" if channels == ["level"] else "acceleration (%s)") % unit \
            if unit else "value"
        opts = view.js({
            "width": w or 600, "height": h, "scales": {"x": {"time": False}},
            "cursor": {"show": False}, "legend": {"live": False},
            "series": [{"label": "time (s)"}] + [
                {"label": c, "stroke": view.COLORS[i % len(view.COLORS)], "width": 1.5,
                 "points": {"show": False}} for i, c in enumerate(channels)],
            "axes": [{"label": "time (s), newest at 0", "labelSize": 20},
                     {"label": label, "labelSize": 20, "size": 56}]})
        u = window.uPlot.new(opts, data, view.el("plot"))
        _live["u"], _live["key"], _live["w"], _live["h"] = u, key, w, h
        if window.motebook.debug:
            window.motebook.livePlot = u         # e2e/stream.test.mjs reads what it drew
    else:
        u.setData(data)
    window.motebook.plotted()
    want_plotly()


def _resize(*_):
    """The chart follows its box (the window's width, the step shown again)."""
    u = _live["u"]
    w, h = _size()
    if u is not None and w and (w, h) != (_live["w"], _live["h"]):
        _live["w"], _live["h"] = w, h
        u.setSize(view.js({"width": w, "height": h}))


def want_plotly():
    """Start loading plotly.js (once); the task ends when it is in."""
    if _plotly["task"] is None:
        _plotly["task"] = asyncio.create_task(_load_plotly())
    return _plotly["task"]


async def plotly(where=None):
    """Wait for plotly.js (a step that draws with it, before its first drawing); meanwhile
    element where says so (and style.css adds why, when it cannot be loaded)."""
    t = want_plotly()
    if where and not t.done():
        view.put(where, '<p class="plot-wait" role="status">waiting for the plotting '
                        'library (plotly.js)…</p>')
    await t


async def _load_plotly():
    body = document.body.dataset
    body.plotly = "loading"
    B = view.B
    while True:
        why = await window.motebook.plotly()
        if not why:
            break
        body.plotly = "failed"
        say("the plots cannot be drawn: %s; trying again" % why)
        await asyncio.sleep(5)
    say("")
    body.plotly = "ready"
    B.touch(*[p for p in B.state if p in view.DRAW])        # what was drawn without plotly
    B.flush()


def _route(*_):
    if (window.location.hash or "#collect")[1:] in PLOTTING_STEPS:
        want_plotly()
    _resize()


def install():
    ro = create_proxy(_resize)
    _keep.append(ro)
    window.ResizeObserver.new(ro).observe(view.el("plot"))
    view.on(window, "hashchange", _route)
    _route()

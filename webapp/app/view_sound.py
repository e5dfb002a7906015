# Draws the sound level meter (the "sound" part, app/sound.py) in the Collect step while the
# device's sensor is the microphone: the Fast level as a big number and a bar, the last
# second's Leq, Lmax and Lmin, clipping said as clipping (never a number), the I2S losses when
# any, the calibration and its control; and the level timeline of the last minutes with uPlot
# (from app/sound.py's float32 file in the FS, as app/view_live.py draws the live plot).
# Memory: one uPlot instance.
from pyscript import window
from jsffi import create_proxy

from app import view
from app.html import esc
from app.sound import LEVELS, LOSSES, TIMELINE_S

LO, HI = 20.0, 130.0          # the bar's scale (dB)
_tl = {"u": None, "w": 0, "unit": None}
_keep = []


def _unit(lv):
    return "dB(%s)" % lv.get("weighting", "A") if lv else "dB"


def unit(p):
    """The unit of the sound part's levels: dB(A), dB(C) or dB(Z)."""
    return _unit(p.get("level"))


def _db(v):
    return "–" if v is None else "%.1f" % v


def meter_html(p):
    """The meter's HTML for the part's state (pure: webapp/tests call it too)."""
    lv = p.get("level")
    if p.get("away"):
        big, bar, cls = "–", 0, " away"
    elif not lv:
        return '<p class="msg" role="status">waiting for the device\'s level…</p>'
    elif lv.get("clipping"):
        big, bar, cls = "clipping", 100, " clip"
    else:
        f = lv.get("fast")
        big, cls = _db(f), ""
        bar = 0 if f is None else max(0, min(100, int((f - LO) * 100 / (HI - LO) + 0.5)))
    unit = _unit(lv)
    sec = (lv or {}).get("second") or {}
    if p.get("away"):
        sec = {}
    if sec.get("clipped"):
        stats = '<span class="clip">the last second clipped (%d samples)</span>' % sec["clipped"]
    else:
        stats = " ".join('<span><b>%s</b> <span class="num" id="sound-%s">%s</span> %s</span>' % (
            name, key, _db(sec.get(key)) if sec else "–", esc(unit))
            for name, key in (("Leq 1 s", "leq"), ("Lmax", "lmax"), ("Lmin", "lmin")))
    out = ['<div class="meter%s">' % cls,
           '<div class="meter-big"><span id="sound-fast" class="big">%s</span> %s</div>' % (
               esc(big), "" if big == "clipping" else
               '<span class="unit">%s Fast</span>' % esc(unit)),
           '<div class="meter-bar" role="meter" aria-label="Fast level" aria-valuemin="%d" '
           'aria-valuemax="%d" aria-valuenow="%s"><span style="width:%d%%"></span></div>' % (
               LO, HI, esc(big if big not in ("–", "clipping") else LO), bar),
           '<div class="row meter-stats">%s</div>' % stats]
    if p.get("away"):
        out.append('<p class="err" role="alert" id="sound-away">%s</p>' % esc(p["away"]))
    if lv:
        lost = [(k, lv.get(k) or 0) for k in LOSSES if lv.get(k)]
        if lv.get("error"):
            lost.append(("error", lv["error"]))
        if lost:
            out.append('<p class="err" id="sound-losses" role="status">the microphone lost '
                       'audio: %s</p>' % esc(", ".join("%s %s" % (k.replace("_", " "), v)
                                                       for k, v in lost)))
        out.append('<p class="note" id="sound-cal-state">%s weighting · %s</p>' % (
            esc(lv.get("weighting", "")), "calibrated (offset %.2f dB)" % lv["offset_db"]
            if lv.get("calibrated") else "not calibrated: the microphone datasheet's "
            "offset (%.2f dB)" % (lv.get("offset_db") or 0)))
    out.append("</div>")
    return "".join(out)


def draw(st):
    p = st.get("sound") or {}
    box = view.el("sound")
    if box is None:
        return
    box.hidden = not p.get("on")
    if not p.get("on"):
        return
    view.put("sound-meter", meter_html(p))
    view._msg("sound-message", p)


def visible():
    """The timeline can be drawn (its step and the meter shown)."""
    e = view.el("sound-timeline")
    return e is not None and e.clientWidth > 0


def _size():
    e = view.el("sound-timeline")
    return e.clientWidth, max(e.clientHeight - 2, 100)      # (no legend)


def timeline(n, unit):
    """The level timeline from LEVELS: n float32 of time (s, newest at 0), then n levels."""
    if not n or not view.has(window, "uPlot"):
        return
    w, h = _size()
    if not w:                       # hidden (another step): drawn when shown again
        return
    f = window.motebook.f32(LEVELS)
    data = view.js([])
    data.push(f.subarray(0, n))
    data.push(window.motebook.f32gaps(LEVELS, n, 2 * n))     # clipped: a gap (null)
    u = _tl["u"]
    if u is None or _tl["unit"] != unit:
        if u is not None:
            u.destroy()
        opts = view.js({
            "width": w, "height": h, "scales": {"x": {"time": False, "range": [-TIMELINE_S, 0]}},
            "cursor": {"show": False}, "legend": {"show": False},
            "series": [{"label": "time (s)"},
                       {"label": "Fast level", "stroke": view.COLORS[0], "width": 1.5,
                        "points": {"show": False}}],
            "axes": [{"label": "time (s), newest at 0: the last %d minutes (a gap: clipped)"
                      % (TIMELINE_S // 60),
                      "labelSize": 20},
                     {"label": "level (%s)" % unit, "labelSize": 20, "size": 56}]})
        u = window.uPlot.new(opts, data, view.el("sound-timeline"))
        _tl["u"], _tl["unit"], _tl["w"] = u, unit, (w, h)
        if window.motebook.debug:
            window.motebook.levelPlot = u
    else:
        if _tl["w"] != (w, h):
            _tl["w"] = (w, h)
            u.setSize(view.js({"width": w, "height": h}))
        u.setData(data)


def _resize(*_):
    u = _tl["u"]
    if u is not None:
        w, h = _size()
        if w and (w, h) != _tl["w"]:
            _tl["w"] = (w, h)
            u.setSize(view.js({"width": w, "height": h}))


def install():
    view.DRAW["sound"] = draw
    ro = create_proxy(_resize)
    _keep.append(ro)
    window.ResizeObserver.new(ro).observe(view.el("sound-timeline"))

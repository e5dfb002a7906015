# Draws the Label step from the bridge's "sessions" part (the session list, storage, the open
# session's timeline with its label segments and the selection, the class list, the class
# counts) and turns the timeline's mouse and keys into "sessions.*" actions: a drag selects a
# time range, a click the window under the pointer (shift adds it), 1-9 label, 0 clears,
# arrows move, z / ctrl-shift-z undo and redo. Memory: the timeline's traces are rebuilt only
# when its data changed (tl_rev); the points stay in the FS file app/sessions.py wrote.
from pyscript import document, window

from app import view
from app.html import esc
from shared.palette import UNLABELLED, colours
from app.sessions import TIMELINE

_tl = {"rev": -1, "traces": None}
_down = [None]


def _color(i):
    """The palette's colour of page-wide class number i (shared/palette: by name)."""
    names = [c["name"] for c in view.B.state["sessions"]["classes"]]
    return colours(names).get(names[i] if 0 <= i < len(names) else "?", UNLABELLED)


def draw(st):
    s = st["sessions"]
    view.put("storage", "%d of %d KB used" % (s["storage_used"] // 1024,
                                            s["storage_budget"] // 1024)
             if s.get("storage_budget") else "")
    if s.get("message"):
        view.put("ds-message", '<span class="err">%s</span>' % esc(s["message"]))
    elif not s.get("online", True):
        view.put("ds-message", '<span class="err">device unreachable: showing the cached copy; '
                 'label edits are refused until it is back</span>')
    else:
        view.put("ds-message", esc(s.get("notice") or ""))
    document.body.dataset.dsOnline = "true" if s.get("online", True) else "false"
    cur = s.get("cur")
    view.put("session-list", '<thead><tr><th scope="col">session</th><th scope="col">started'
             '</th><th scope="col" class="num">length</th><th scope="col">classes</th>'
             '<th scope="col" class="num">labels</th><th scope="col">value</th><th scope="col">'
             '<span class="sr">actions</span></th></tr></thead><tbody>' + "".join(
        '<tr data-sid="%s"%s><td>%s</td><td class="when">%s%s</td><td class="num">%.1f s</td>'
        '<td>%s</td><td class="num">%s</td><td class="value">%s</td><td class="acts"><button type="button" data-act="sessions.open" data-sid="%s">'
        'open</button> <button type="button" data-act="sessions.delete" data-sid="%s" '
        'data-confirm="%s">delete</button></td></tr>' % (
            m["id"], ' class="open"' if cur and cur["sid"] == m["id"] else "", esc(m["name"]),
            _date(m.get("started")), " (imported)" if m.get("source") == "import" else "",
            m.get("duration_s") or 0, "recording…" if m.get("recording") else
            esc(", ".join(m.get("classes") or ()) or m.get("label") or ""),
            m.get("segments", 0), esc(m.get("value") or ""), m["id"], m["id"], esc(_lost(m)))
        for m in s["sessions"]) + ("" if s["sessions"] else
                                   '<tr><td colspan="7" class="empty">no sessions yet: record '
                                   'one in Collect, or import a CSV</td></tr>') + "</tbody>")
    _class_admin(s)
    view.put("class-list", "".join(
        '<span class="cls-item" data-act="sessions.label" data-cls="%d"><i style="background:'
        '%s"></i>%d %s <small>%d</small></span>' % (i, _color(i), i + 1, esc(c["name"]),
                                                    c["samples"])
        for i, c in enumerate(s["classes"])))
    view.el("label-pane").hidden = not cur
    view.el("counts-plot").hidden = not s["classes"]     # (nothing to count: no empty panel)
    if view.has(window, "Plotly") and s["classes"]:
        window.Plotly.react("counts-plot", view.js([{
            "type": "bar", "x": [c["name"] for c in s["classes"]],
            "y": [c["samples"] for c in s["classes"]],
            "marker": {"color": [_color(i) for i in range(len(s["classes"]))]}}]),
            view.js({"margin": {"l": 60, "r": 10, "t": 10, "b": 30},
                     "yaxis": {"title": {"text": "labelled samples"}}}),
            view.js({"displayModeBar": False, "responsive": True}))
    if cur:
        _value(s, cur)
        _timeline(cur)


_vf = {"key": None}


def _value(s, cur):
    """The value form: filled from the open session's value label (else the name and unit
    other sessions use) when the session or its label changed, never over what a person is
    typing after a refusal; what the session carries now, its stretches in seconds."""
    v = cur.get("value") or {}
    lab = v.get("label")
    key = (cur["sid"], repr(lab))
    names = s.get("value_names") or []
    view.put("value-names", "".join('<option value="%s">%s</option>' % (
        esc(n), esc(u or "no unit")) for n, u in names))
    if _vf["key"] != key:
        _vf["key"] = key
        base = lab or ({"name": names[0][0], "unit": names[0][1]} if names else {})
        view.el("value-name").value = base.get("name") or ""
        view.el("value-unit").value = base.get("unit") or ""
        x = (lab or {}).get("value")
        view.el("value-number").value = "%g" % x if isinstance(x, (int, float)) else ""
    rate = cur["rate"] or 1
    segs = (lab or {}).get("segments") or ()
    unit = (lab or {}).get("unit") or ""
    if v.get("why"):
        now = '<span class="err">%s</span>' % esc(v["why"])
    elif lab:
        now = "this session: %s %s" % (esc(lab.get("name") or ""), esc(
            ("%g %s" % (lab["value"], unit)).strip() if isinstance(lab.get("value"), (int, float))
            else "only in stretches"))
        if segs:
            now += "; stretches: " + ", ".join("%.1f–%.1f s: %s" % (
                a / rate, b / rate, esc(("%g %s" % (x, unit)).strip())) for a, b, x in segs[:8])
            if len(segs) > 8:
                now += " and %d more" % (len(segs) - 8)
    else:
        now = ("no value yet: type a number and press \u201cvalue of this session\u201d, or "
               "select a stretch and give it a value")
    view.put("value-now", now)
    view.el("value-remove").disabled = not lab
    view.el("value-undo").disabled = not v.get("undo")


def _lost(m):
    """The question before deleting a session: what goes with it."""
    what = ", ".join(m.get("classes") or ()) or m.get("label") or "no labels"
    return "Delete session %s (%s, %.1f s)? Its samples and labels are lost." % (
        m["name"], what, m.get("duration_s") or 0)


def _class_admin(s):
    """Rename, merge (rename to an existing class) or delete a class in every session, and
    undo the last such change."""
    if view.el("class-admin") is None:
        return
    classes = s.get("classes") or ()
    if not classes:
        view.put("class-admin", "")
        return
    undo = s.get("class_undo")
    view.put("class-admin", (
        '<form data-form="class-edit" data-act="sessions.class_edit" class="inline">'
        '<b>classes</b> <label>class <select name="name" id="class-edit-name">%s</select>'
        '</label> <label>action <select name="op" id="class-edit-op"><option value="rename">'
        'rename / merge into</option><option value="delete">delete its labels</option>'
        '</select></label> <label>to <input name="to" id="class-edit-to" size="20" '
        'maxlength="32" placeholder="a new or existing class"></label> <button type="submit" '
        'id="class-edit-go">apply to all sessions</button></form> <button type="button" '
        'id="class-undo" data-act="sessions.class_undo"%s>%s</button>' % (
            "".join("<option>%s</option>" % esc(c["name"]) for c in classes),
            "" if undo else ' disabled title="no class change to undo"',
            esc("undo: %s" % undo) if undo else "undo class change")))


def _date(t):
    if not t:
        return "time unknown"
    return window.Date.new(t * 1000).toLocaleString()


def _timeline(c):
    rate = c["rate"] or 1
    view.el("label-title").textContent = "session %s: %d samples (%.1f s at %s Hz)%s" % (
        c["name"], c["n"], c["n"] / rate, c["rate"],
        "" if c["version"] is not None else " · labels not saved on the device yet")
    sel = c.get("sel")
    view.el("selection").textContent = "selected %.2f–%.2f s" % (
        sel[0] / rate, sel[1] / rate) if sel else "drag on the plot or click a window"
    view.el("lab-undo").disabled = not c["undo"]
    view.el("lab-redo").disabled = not c["redo"]
    if not view.has(window, "Plotly"):
        return
    if _tl["rev"] != c["tl_rev"]:
        f = window.motebook.f32(TIMELINE)
        n = f.length // (len(c["channels"]) + 1)
        traces = view.js([{"name": ch, "mode": "lines", "type": "scatter",
                           "line": {"width": 1}, "hoverinfo": "none"} for ch in c["channels"]])
        for i in range(len(c["channels"])):
            traces[i].x = f.subarray(0, n)
            traces[i].y = f.subarray((i + 1) * n, (i + 2) * n)
        _tl["traces"], _tl["rev"] = traces, c["tl_rev"]

    def rect(a, b, color, op):
        return {"type": "rect", "xref": "x", "yref": "paper", "x0": a / rate, "x1": b / rate,
                "y0": 0, "y1": 1, "fillcolor": color, "opacity": op, "line": {"width": 0},
                "layer": "below"}
    shapes = [rect(a, b, _color(k), 0.25) for a, b, k in c["segments"]]
    ex = view.B.state.get("explore") or {}
    for a, b in (ex.get("lit") or {}).get(str(c["sid"]), ()):      # chosen in Explore
        r = rect(a, b, "#ffd400", 0.35)
        r["y0"], r["y1"] = 0.9, 1
        shapes.append(r)
    notes = []
    lab = (c.get("value") or {}).get("label") or {}
    for a, b, x in lab.get("segments") or ():     # value stretches: a band along the bottom
        r = rect(a, b, "#555", 0.35)
        r["y1"] = 0.07
        shapes.append(r)
        notes.append({"xref": "x", "yref": "paper", "x": (a + b) / 2 / rate, "y": 0.035,
                      "text": ("%g %s" % (x, lab.get("unit") or "")).strip(),
                      "showarrow": False, "font": {"size": 11, "color": "#000"}})
    if sel:
        r = rect(sel[0], sel[1], "rgba(0,0,0,0)", 1)
        r["layer"] = "above"
        r["line"] = {"width": 2, "color": "#000", "dash": "dot"}
        shapes.append(r)
    window.Plotly.react("timeline", _tl["traces"], view.js({
        "margin": {"l": 55, "r": 10, "t": 10, "b": 40}, "dragmode": False, "hovermode": False,
        "uirevision": c["sid"], "xaxis": {"title": {"text": "time (s)"}},
        "yaxis": {"title": {"text": "value (the channel's units)"}}, "showlegend": True,
        "legend": {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left"},
        "shapes": shapes, "annotations": notes}),
        view.js({"displayModeBar": False, "responsive": True}))
    window.motebook.timelineDraws += 1


# ---- the timeline's mouse and keys -----------------------------------------------------
def _sample(ev):
    gd = view.el("timeline")
    cur = view.B.state["sessions"].get("cur")
    if cur is None or not view.has(gd, "_fullLayout"):
        return None
    xa = gd._fullLayout.xaxis
    px = ev.clientX - gd.getBoundingClientRect().left - xa._offset
    if px < 0 or px > xa._length:
        return None
    return int(xa.p2l(px) * cur["rate"] + 0.5)


def _mousedown(ev):
    _down[0] = (ev.clientX, _sample(ev))


def _mouseup(ev):
    d, _down[0] = _down[0], None
    s = _sample(ev)
    if d is None or d[1] is None or s is None:
        return
    if abs(ev.clientX - d[0]) > 4:
        view.B.fire("sessions.select", {"start": min(d[1], s), "end": max(d[1], s)})
    else:
        view.B.fire("sessions.click", {"x": s, "extend": bool(ev.shiftKey)})


def _key(ev):
    st = view.B.state
    if st["page"].get("step") != "label" or not st["sessions"].get("cur"):
        return False
    if ev.target.tagName in ("INPUT", "SELECT", "TEXTAREA"):
        return False
    k = ev.key
    ctrl = ev.ctrlKey or ev.metaKey
    op = None
    if len(k) == 1 and "1" <= k <= "9" and not ctrl:
        op = ("sessions.label", {"cls": int(k) - 1})
    elif k in ("0", "Delete", "Backspace"):
        op = ("sessions.label", {"cls": -1})
    elif k in ("ArrowLeft", "ArrowRight"):
        op = ("sessions.move", {"dir": 1 if k == "ArrowRight" else -1,
                                "extend": bool(ev.shiftKey)})
    elif k.lower() == "z" and ev.shiftKey and ctrl:
        op = ("sessions.redo", {})
    elif k.lower() == "y" and ctrl:
        op = ("sessions.redo", {})
    elif k.lower() == "z" and not ev.shiftKey:
        op = ("sessions.undo", {})
    if op is None:
        return False
    ev.preventDefault()
    view.B.fire(*op)
    return True


def install():
    tl = view.el("timeline")
    view.on(tl, "mousedown", _mousedown, True)
    view.on(document, "mouseup", _mouseup, True)   # (plotly may cover the page while dragging)
    view.on_key(_key)

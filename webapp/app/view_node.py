# Draws Deploy -> On its own from the bridge's "node" part: the node's status, its settings
# form (secrets never shown: a placeholder says whether one is set), the history timeline
# (stacked windows per class per bucket = class bands, and the mean RMS as a line; range
# buttons from 7 days to 10 minutes, earlier/later), counts per class per hour and the
# flagged windows with a class to label each. A regression model's history (the summary's
# "value" column) is drawn as its estimates instead: min/mean/max per bucket on the timeline
# and per hour in the table, with the unit; and its threshold form (PUT /api/value). Loaded
# with app/node.py.
# Memory: the HTML of each region (view.put keeps the last), the plot data as JS arrays.
from pyscript import document, window

from app.html import esc
from app.node import num, value_unit
from shared.palette import colours

SPAN_NAMES = ((604800, "7 days"), (86400, "1 day"), (3600, "1 hour"), (600, "10 min"))
_SKELETON = """
<p id="node-status" class="row"></p>
<div class="row" id="node-spans"></div>
<div id="node-timeline" class="plot small"></div>
<div class="cols"><div id="node-hours" class="scroll" tabindex="0" role="region" aria-label="windows per class per hour"></div>
<div id="node-flagged" class="scroll" tabindex="0" role="region" aria-label="flagged windows"></div></div>
<div id="node-value"></div>
<details id="node-settings"><summary>Settings: history, unsure windows, MQTT, webhooks</summary>
<form data-form="node" data-act="node.save" id="node-form"></form></details>
<p id="node-message" class="msg"></p>"""


def install(B, view):
    view.put("node", _SKELETON)
    view.DRAW["node"] = lambda st: draw(st, view)
    B.touch("node")


def draw(st, view):
    n = st["node"]
    s = n.get("status") or {}
    _status(view, s)
    view.put("node-spans", "".join(
        '<button type="button" data-act="node.history" data-span="%d"%s>%s</button>'
        % (sec, ' class="on"' if sec == n["span"] else "", name) for sec, name in SPAN_NAMES)
        + ' <button type="button" data-act="node.history" data-shift="-1">&larr; earlier'
          '</button> <button type="button" data-act="node.history" data-shift="1">later '
          '&rarr;</button> <button type="button" data-act="node.refresh">refresh</button>')
    tu = value_unit(st)
    if n.get("timeline"):
        _timeline(n["timeline"], view, tu)
    view.put("node-hours", hours_html(n.get("hours"), _clock, tu))
    _flagged(n.get("flagged") or [], (n.get("timeline") or {}).get("classes") or [], view)
    a = document.activeElement
    if n.get("settings") and (a is None or not a.closest("#node-form")):
        view.put("node-form", _form(n["settings"]))
    if a is None or not a.closest("#node-value"):
        view.put("node-value", value_html(n.get("value"), tu))
    view._msg("node-message", n)


def _status(view, s):
    parts = []
    h = s.get("history")
    if h:
        parts.append("history: %d windows since boot, %d of %d KB" % (
            h["history_windows"], h["history_bytes"] // 1024, h["history_budget"] // 1024))
    m = s.get("mqtt")
    if m:
        parts.append("MQTT %s%s: %d sent, %d queued, %d dropped" % (
            m["state"], " (%s)" % m["error"] if m.get("error") else "", m["sent"],
            m["queued"], m["dropped"]))
    w = s.get("webhooks")
    if w:
        parts.append("webhooks: %d delivered, %d retries, %d dropped%s" % (
            w["delivered"], w["retries"], w["dropped"] + w["gave_up"],
            " (%s)" % w["error"] if w.get("error") else ""))
    view.put("node-status", "<b>%s</b> " % esc(s.get("name") or "") +
             esc(" · ".join(parts) or "history, MQTT and webhooks: see the settings"))


def _timeline(js, view, tu):
    if not view.has(window, "Plotly"):
        return
    rows, classes = js["rows"], js["classes"]
    x = [r[0] * 1000 for r in rows]
    width = float(js["bucket"]) * 950     # ms: a bar is its bucket (plotly guesses 1 ms for one)
    vt = value_trace(js, tu)
    traces = [] if vt is None else [vt]
    col = colours(classes)
    for i, c in enumerate(classes if vt is None else ()):
        traces.append({"type": "bar", "name": c, "x": x, "y": [r[2][i] for r in rows],
                       "width": width, "offset": 0, "marker": {"color": col[c]}})
    if vt is not None:
        for t in traces:
            t["x"] = [v + width / 2 for v in t["x"]]
    if rows and js["channels"]:
        traces.append({"type": "scatter", "mode": "lines+markers",
                       "name": "RMS" if vt is None else "level",
                       "yaxis": "y2", "marker": {"size": 4},
                       "x": [v + width / 2 for v in x], "y": [sum(r[5]) / len(r[5]) for r in rows],
                       "line": {"color": "#222", "width": 1}})
    t1 = float(js["to"]) if float(js["to"]) < 1e12 else rows[-1][0] if rows else 0
    b = float(js["bucket"])
    # the data's range (a bucket of margin each side), not a hairline at the end of the span
    t0 = max(t1 - js["span"], rows[0][0] - b) if rows else t1 - js["span"]
    layout = {"barmode": "stack", "bargap": 0.05, "margin": {"l": 60, "r": 60, "t": 10, "b": 40},
              "xaxis": {"type": "date", "range": [t0 * 1000, (t1 + b) * 1000],
                        "title": {"text": "time"}, "automargin": True},
              "yaxis": {"title": {"text": "windows per %s" % bucket_name(b) if vt is None
                                  else vt["name"]},
                        "rangemode": "tozero", "automargin": True},
              "yaxis2": {"overlaying": "y", "side": "right", "automargin": True,
                         "title": {"text": "mean %s of the channels" % (
                             "RMS" if vt is None else "level")},
                         "rangemode": "tozero"},   # (autorange padded it below 0)
              # the legend above the plot: below, it covered the dates
              "showlegend": True, "legend": {"orientation": "h", "x": 0, "y": 1.02,
                                             "xanchor": "left", "yanchor": "bottom"}}
    layout["margin"]["t"] = 34
    window.Plotly.react("node-timeline", view.js(traces), view.js(layout),
                        view.js({"displayModeBar": False, "responsive": True}))


def bucket_name(seconds):
    """A history bucket in words: 360 -> "6 min", 3600 -> "hour", 10 -> "10 s"."""
    s = int(round(seconds))
    for unit, n in (("day", 86400), ("hour", 3600), ("min", 60)):
        if s >= n and s % n == 0:
            k = s // n
            return unit if k == 1 and unit != "min" else "%d %s%s" % (
                k, unit, "s" if k > 1 and unit != "min" else "")
    return "%d s" % s


def _clock(t):
    return window.Date.new(t * 1000).toLocaleTimeString()


def _what(js, tu):
    """(target, unit) of a summary's values: its "value" header, else the running model's."""
    v = js.get("value") or {}
    return v.get("target") or tu[0] or "value", v.get("unit") or tu[1] or ""


def value_trace(js, tu):
    """The timeline's trace of a regression's estimates (mean per bucket, min..max as the
    bars), or None when the summary has no "value" column."""
    if "value" not in js.get("columns", ()):
        return None
    vi = js["columns"].index("value")
    target, unit = _what(js, tu)
    x, y, up, down = [], [], [], []
    for r in js["rows"]:
        v = r[vi]
        if v is None:
            continue
        x.append(r[0] * 1000)
        y.append(v[1])
        up.append(v[2] - v[1])
        down.append(v[1] - v[0])
    return {"type": "scatter", "mode": "lines+markers", "x": x, "y": y,
            "name": "%s (%s)" % (target, unit) if unit else target,
            "marker": {"size": 5, "color": "#1f5fa8"}, "line": {"color": "#1f5fa8"},
            "error_y": {"type": "data", "symmetric": False, "array": up, "arrayminus": down,
                        "color": "#7da3cf", "thickness": 1}}


def hours_html(js, clock, tu=(None, None)):
    """The table of the last 24 hours' summary: windows per class per hour, or with a
    regression's values ("value" column) the windows and min / mean / max of the estimates
    with their unit (and the class counts when the hours hold a classifier's windows too).
    clock(t seconds) -> the hour's text."""
    if not js or not js["rows"]:
        return ("<small>no history in the last 24 hours (it is kept while a model runs)"
                "</small>")
    cls = js["classes"]
    if "value" not in js.get("columns", ()):
        head = '<tr><th scope="col">hour</th>%s</tr>' % "".join(
            '<th scope="col" class="num">%s</th>' % esc(c) for c in cls)
        body = "".join("<tr><td>%s</td>%s</tr>" % (
            esc(clock(r[0])), "".join('<td class="num">%d</td>' % v for v in r[2]))
            for r in js["rows"])
        return ('<table class="counts"><caption>windows per class per hour</caption>%s%s'
                '</table>' % (head, body))
    vi = js["columns"].index("value")
    target, unit = _what(js, tu)
    u = " (%s)" % esc(unit) if unit else ""
    head = '<tr><th scope="col">hour</th><th scope="col" class="num">windows</th>%s%s</tr>' % (
        "".join('<th scope="col" class="num">%s</th>' % esc(c) for c in cls),
        "".join('<th scope="col" class="num">%s</th>' % k for k in ("min", "mean", "max")))
    rows = []
    for r in js["rows"]:
        v = r[vi]
        cells = ['<td class="num">%s</td>' % ("–" if v is None else esc(num(x)))
                 for x in (v or (None, None, None))]
        rows.append('<tr><td>%s</td><td class="num">%d</td>%s%s</tr>' % (
            esc(clock(r[0])), r[1], "".join('<td class="num">%d</td>' % c for c in r[2]),
            "".join(cells)))
    return ('<table class="counts values"><caption>%s%s per hour (estimates)</caption>%s%s'
            '</table>' % (esc(target), u, head, "".join(rows)))


def value_html(v, tu):
    """The regression threshold's form (GET /api/value's answer v), shown while a regression
    model runs (v["band"] is set then); "" otherwise."""
    if not v or v.get("band") is None:
        return ""
    target, unit = tu[0] or v.get("target") or "the value", tu[1] or v.get("unit") or ""
    thr, hy = v.get("threshold"), v.get("hysteresis")
    if not v.get("active"):
        state = ("set for %s in %s, not this model" % (v.get("target"), v.get("unit"))
                 if thr is not None else "no threshold set")
    else:
        state = "now %s the threshold%s" % (
            "at or over" if v.get("over") else "under",
            "" if v.get("value") is None else " (last estimate %s %s)" % (num(v["value"]), unit))
    return ('<form data-form="node-value" data-act="node.value" id="node-value-form" '
            'class="row"><span>Tell others (MQTT, webhooks: value_over / value_under) when the '
            '%s goes over</span> <label>threshold <input name="threshold" id="node-threshold" '
            'inputmode="decimal" size="7" value="%s"> %s</label> <label>hysteresis <input '
            'name="hysteresis" id="node-hysteresis" inputmode="decimal" size="7" value="%s" '
            'placeholder="%s"> %s</label> <button type="submit" id="node-value-save" '
            'data-act="node.value">set threshold</button> <small id="node-value-state">%s'
            '</small></form>' % (
                esc(target), "" if thr is None or not v.get("active") else esc(num(thr)),
                esc(unit), "" if hy is None or not v.get("active") else esc(num(hy)),
                esc("default %s" % num(v["band"])), esc(unit), esc(state)))


def _flagged(rows, classes, view):
    if not rows:
        view.put("node-flagged", "<small>no flagged windows: windows the model is unsure "
                 "about are kept here to label</small>")
        return
    out = []
    for m in reversed(rows):
        opts = "".join("<option%s>%s</option>" % (" selected" if c == m["class"] else "",
                                                  esc(c)) for c in m["classes"])
        out.append('<tr><td>#%d</td><td>%s</td><td>%s %d%%</td><td><select id="flag-%d">'
                   '%s</select> <button type="button" data-act="node.label" data-fid="%d" '
                   'data-with="flag-%d">add to the dataset</button> <button type="button" '
                   'data-act="node.discard" data-fid="%d">discard</button></td></tr>' % (
                       m["id"], esc(window.Date.new((m["t"] or 0) * 1000).toLocaleString()),
                       esc(m["class"]), round(100 * m["top"]), m["id"], opts, m["id"],
                       m["id"], m["id"]))
    view.put("node-flagged", '<table class="flagged"><caption>unsure windows (flagged)'
             '</caption>%s</table>' % "".join(out))


def _field(name, label, value, kind="text", extra=""):
    if kind == "checkbox":
        return '<label><input type="checkbox" name="%s"%s> %s</label> ' % (
            name, " checked" if value else "", label)
    return '<label>%s <input name="%s" type="%s" value="%s"%s></label> ' % (
        label, name, kind, esc(value), extra)


def _form(s):
    h, f, m, w = s["history"], s["flagged"], s["mqtt"], s["webhooks"]
    urls = "\n".join(u["url"] for u in w.get("urls") or ())
    return "".join((
        '<fieldset><legend>history</legend>',
        _field("history.enabled", "keep", h["enabled"], "checkbox"),
        _field("history.budget", "budget (bytes)", h["budget"], "number", ' min="4096"'),
        '</fieldset><fieldset><legend>unsure windows</legend>',
        _field("flagged.threshold", "top score below", f["threshold"], "number",
               ' step="any" min="0" max="1"'),
        _field("flagged.max", "keep at most", f["max"], "number", ' min="1"'),
        _field("flagged.min_interval_s", "at most one every (s)", f["min_interval_s"],
               "number", ' min="0"'),
        '</fieldset><fieldset><legend>MQTT</legend>',
        _field("mqtt.enabled", "on", m["enabled"], "checkbox"),
        _field("mqtt.host", "broker", m["host"]), _field("mqtt.port", "port", m["port"],
                                                          "number"),
        _field("mqtt.username", "user", m["username"]),
        _field("mqtt.password", "password", "", "password", ' placeholder="%s" '
               'autocomplete="off"' % ("(set: empty keeps it)" if m.get("password_set")
                                       else "(none)")),
        _field("mqtt.topic", "topic", m["topic"], "text", ' placeholder="motebook/<name>"'),
        _field("mqtt.discovery", "Home Assistant discovery", m["discovery"], "checkbox"),
        _field("mqtt.summary_s", "summary every (s)", m["summary_s"], "number"),
        '</fieldset><fieldset><legend>webhooks</legend>',
        _field("webhooks.enabled", "on", w["enabled"], "checkbox"),
        _field("webhooks.summaries", "summaries too", w["summaries"], "checkbox"),
        '<label>URLs, one per line: <code>http://host/path [token]</code> (a stored token '
        'stays when left out)<textarea name="webhooks.urls" rows="2" cols="50">%s</textarea>'
        '</label>' % esc(urls),
        '</fieldset><button type="submit" id="node-save">Save on the device</button>'))

# Draws the Explore step from the bridge's "explore" part and the Explorer's tables: the form
# (window, hop, k), the scatter of every window (PCA or two features, coloured by label or
# cluster, unlabelled grey; box/lasso selection becomes "explore.select"; the windows under
# the Label timeline's selection ringed), per-class distributions of the x feature, a small
# scatterplot matrix, cluster sizes with "label as", proposals, unusual windows and the
# model's insight. Loaded with the step. Memory: the traces' value lists while drawing.
from pyscript import document, window
from jsffi import create_proxy

from app.html import esc, pct
from shared.palette import UNLABELLED, colours

_drawn = {"rev": -1, "hook": None}
_ex = [None]                  # the Explorer whose classes _color names
GREY = UNLABELLED


def install(B, view, ex):
    view.DRAW["explore"] = lambda st: draw(st, view, ex, B)
    _drawn["rev"] = -1
    B.touch("explore")


def _color(view, i, ex=None):
    """Class number i's colour from the one palette (by name: shared/palette)."""
    names = list(_ex[0].classes) if _ex[0] is not None else []
    return colours(names).get(names[i] if 0 <= i < len(names) else "?", UNLABELLED)


def _opts(names, cur):
    return "".join('<option%s>%s</option>' % (" selected" if n == cur else "", esc(n))
                   for n in names)


def _majority(m):
    """What a cluster's labelled windows say (the proposal), or that it has none."""
    if m is None:
        return ' <small>(no majority label: choose a class or name a new one)</small>'
    return ' <small>(%s of its %d labelled windows: %s)</small>' % (pct(m[1]), m[2], esc(m[0]))


def _cluster_opts(classes, m):
    """A cluster's class choice: its majority label, else a choice to make (never the first
    class by default)."""
    cur = m[0] if m else None
    return ('<option value=""%s>choose…</option>' % ("" if cur else " selected") + "".join(
        '<option%s>%s</option>' % (" selected" if c == cur else "", esc(c)) for c in classes))


def _panel(st, ex):
    e = st["explore"]
    info = st["device"].get("info") or {}
    used = e.get("summary") or {}       # the window and hop of the exploration shown, if any
    names = ["pc1", "pc2"] + list(e["names"])
    classes = e["classes"]
    cls_opts = "".join("<option>%s</option>" % esc(c) for c in classes)
    out = ['<form data-form="explore" data-act="explore.run" class="row">'
           '<label>window <input name="window" type="number" min="2" value="%s"> samples</label>'
           '<label>hop <input name="hop" type="number" min="1" value="%s"></label>'
           '<label>clusters k <input name="k" type="number" min="0" max="12" value="%s"></label>'
           '<button type="submit" id="explore-go">Explore</button>'
           '<progress max="1" value="%s"></progress> <span>%s</span></form>'
           % (used.get("window") or info.get("window", ""),       # what the plot shows
              used.get("hop") or info.get("hop", ""), e["k"], e["progress"] or 0,
              esc(e["status"]))]
    if e.get("message"):
        out.append('<p class="msg err">%s</p>' % esc(e["message"]))
    elif e.get("notice"):
        out.append('<p class="msg">%s</p>' % esc(e["notice"]))
    s = e.get("summary")
    if not s:
        out.append('<p>Every window of the chosen sessions, labelled or not: its features, '
                   'their two principal components and k-means clusters.</p>')
        return "".join(out)
    out.append('<div class="row"><label>colour by <select data-act="explore.view" '
               'data-key="color" id="explore-color">%s</select></label>'
               '<label>x <select data-act="explore.view" data-key="x" id="explore-x">%s</select>'
               '</label><label>y <select data-act="explore.view" data-key="y" id="explore-y">'
               '%s</select></label><small>%d windows · PCA explains %s · %s</small></div>'
               % (_opts(["label", "cluster"] + (["anomaly score"] if ex is not None and
                                                  ex.anomaly_model()
                                                  else []), e["color"]),
                  _opts(names, e["axes"][0]),
                  _opts(names, e["axes"][1]), s["n"], " + ".join(pct(v) for v in s["explained"]),
                  "clusters %s" % ", ".join(str(x) for x in s.get("sizes") or ())))
    out.append('<div id="explore-plot" class="plot"></div>')
    sel = e["selection"]
    out.append('<div class="row"><b>%d selected</b> <small>(box or lasso on the plot)</small>'
               '<form data-form="ex-label" data-act="explore.label" class="inline">'
               '<select name="cls" aria-label="class of the selection">%s</select><input '
               'name="cls_new" size="10" placeholder="or a new class" aria-label="or a new '
               'class"><button type="submit" id="explore-label-sel">label the '
               'selection</button></form><button type="button" data-act="explore.undo"%s>'
               'undo (%d)</button></div>' % (len(sel), cls_opts, "" if e["undo"] else
                                              " disabled", e["undo"]))
    sizes = s.get("sizes") or []
    maj = s.get("majority") or [None] * len(sizes)
    out.append('<div class="row"><b>clusters</b> ' + "".join(
        '<form data-form="ex-cl" data-act="explore.label" class="inline cl"><input type="hidden"'
        ' name="cluster" value="%d"><i style="background:%s"></i>%d: %d windows%s '
        '<select name="cls" id="explore-cls-c%d" aria-label="class of this cluster">%s</select><input name="cls_new" size="8" '
        'placeholder="new" aria-label="or a new class"><button type="submit" id="explore-label-c%d">label</button></form>'
        % (c, _color_k(c), c + 1, n, _majority(maj[c] if c < len(maj) else None), c,
           _cluster_opts(classes, maj[c] if c < len(maj) else None), c)
        for c, n in enumerate(sizes)) +
        '<form data-form="ex-k" data-act="explore.cluster" class="inline"><input name="k" '
        'aria-label="clusters k" type="number" min="2" max="12" value="%s"><button type="submit">re-cluster</button>'
        '</form><button type="button" data-act="explore.choose_k">choose k</button></div>'
        % e["k"])
    if e.get("choose"):
        out.append('<p><small>silhouette by k: %s (best k = %s)</small></p>' % (", ".join(
            "%d: %.2f" % (r["k"], r["silhouette"]) for r in e["choose"]["table"]),
            e["choose"]["best"]))
    p = e.get("proposed")
    out.append('<div class="row"><b>few-shot</b> <button type="button" data-act="explore.'
               'propose" id="explore-propose">propose labels</button>')
    if p:
        why = ("" if p["sure"] else "none has all 3 neighbours agreeing: label a few more "
               "windows, then propose again")
        out.append('<span>%d proposals (%d with all 3 neighbours agreeing): %s</span>'
                   '<button type="button" data-act="explore.accept" data-share="1" id="explore-'
                   'accept"%s>accept the unanimous ones</button>%s' % (
                       p["n"], p["sure"], esc(", ".join(
                           "%s %d" % (k, v) for k, v in sorted(p["counts"].items()))),
                       ' disabled title="%s"' % esc(why) if why else "",
                       ' <small id="explore-accept-why">%s</small>' % esc(why) if why else ""))
    out.append('</div><div class="row"><b>unusual windows</b> <button type="button" '
               'data-act="explore.unusual">list</button></div>')
    if e["outliers"]:
        out.append('<table class="small"><tr><th>session</th><th>time</th><th>label</th>'
                   '<th>distance</th><th></th></tr>' + "".join(
                       '<tr><td>%s</td><td>%.2f s</td><td>%s</td><td>%.2f</td><td><button '
                       'type="button" data-act="explore.jump" data-i="%d">show</button> '
                       '<button type="button" data-act="explore.exclude" data-i="%d">exclude'
                       '</button></td></tr>' % (esc(o["session"]), o["t"], esc(o["label"] or "–"),
                                                o["score"], o["i"], o["i"])
                       for o in e["outliers"]) + "</table>")
    out.append('<div class="cols2"><div id="explore-dist" class="plot small"></div>'
               '<div id="explore-matrix" class="plot small"></div></div>')
    out.append('<div class="row"><b>the trained model</b> <button type="button" '
               'data-act="explore.insight" id="explore-insight">feature importance and '
               'confusions</button></div>')
    ins = e.get("insight")
    if ins:
        out.append('<div class="cols2"><div id="explore-importance" class="plot small"></div>'
                   '<div>%s</div></div>' % ("".join(
                       '<p>%s taken for %s: %d × %s</p>' % (
                           esc(c["true"]), esc(c["pred"]), c["count"], " ".join(
                               '<button type="button" data-act="explore.jump" data-train="%d">'
                               '%s %.1f s</button>' % (x["train"], esc(x["session"]), x["t"])
                               for x in c["examples"])) for c in ins["confusions"])
                       or "<p>no confusions on the held-out windows</p>"))
    return "".join(out)


def _color_k(c):
    from app.view import COLORS
    return COLORS[(c + 3) % len(COLORS)]


def _scatter(st, view, ex, B):
    e = st["explore"]
    lw = ex.lw
    xs, ys = ex.column(e["axes"][0]), ex.column(e["axes"][1])
    by_cluster = e["color"] == "cluster"
    if e["color"] == "anomaly score" and ex.anomaly_model() is not None:
        try:
            scores, thr = ex.anomaly_scores()
        except ValueError:         # (said when chosen; another exploration since)
            scores = None
    else:
        scores = None
    groups = {}
    for i in range(len(lw)):
        key = ex.ex.clusters[i] if by_cluster and ex.ex.clusters is not None else lw.labels[i]
        groups.setdefault(key, []).append(i)
    traces = []
    for key in sorted(groups):
        idx = groups[key]
        if by_cluster:
            name, color = "cluster %d" % (key + 1), _color_k(key)
        elif key < 0:
            name, color = "unlabelled", GREY
        else:
            name, color = ex.classes[key], _color(view, key)
        text = []
        for i in idx:
            sid, sname, start, t = ex.where(i)
            text.append("%s · %.2f s" % (sname, t))
        traces.append({"type": "scatter", "mode": "markers", "name": name, "x": [xs[i] for i in idx],
                       "y": [ys[i] for i in idx], "customdata": idx, "text": text,
                       "hovertemplate": "%{text}<extra>" + esc(name) + "</extra>",
                       "marker": {"size": 6, "color": color, "opacity": 0.8}})
    if scores is not None:         # one trace coloured by score, the threshold on the bar
        import math
        idx = list(range(len(lw)))
        over = sum(1 for v in scores if v > thr)
        log = min(scores) > 0 and thr > 0       # (distances: log10 shows normal and fault)
        col = [math.log10(v) for v in scores] if log else list(scores)
        traces = [{"type": "scatter", "mode": "markers", "name": "anomaly score",
                   "x": [xs[i] for i in idx], "y": [ys[i] for i in idx], "customdata": idx,
                   "text": ["%s · %.2f s · score %.4g%s" % (ex.where(i)[1], ex.where(i)[3],
                                                            scores[i], " (over)" if
                                                            scores[i] > thr else "")
                            for i in idx],
                   "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
                   "marker": {"size": 6, "color": col, "colorscale": "Viridis",
                              "symbol": ["diamond" if v > thr else "circle" for v in scores],
                              "colorbar": {"title": {"text": "anomaly score%s<br>(threshold "
                                                     "%.4g:<br>%d over, ◆)" % (
                                                         ", log10" if log else "", thr, over)}}}}]
    lit = ex.from_timeline(st["sessions"].get("cur"))
    if lit:
        traces.append({"type": "scatter", "mode": "markers", "name": "on the timeline",
                       "x": [xs[i] for i in lit], "y": [ys[i] for i in lit],
                       "hoverinfo": "skip", "marker": {"size": 12, "color": "rgba(0,0,0,0)",
                                                       "line": {"width": 2, "color": "#000"}}})
    layout = {"margin": {"l": 55, "r": 10, "t": 10, "b": 40}, "dragmode": "lasso",
              "xaxis": {"title": {"text": e["axes"][0]}}, "yaxis": {"title": {"text": e["axes"][1]}},
              "legend": {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left"},
              "uirevision": "explore"}
    window.Plotly.react("explore-plot", view.js(traces), view.js(layout),
                        view.js({"displaylogo": False, "responsive": True,
                                 "modeBarButtonsToRemove": ["toImage", "autoScale2d"]}))
    gd = document.getElementById("explore-plot")
    if _drawn["hook"] is None:
        def selected(ev):
            pts = ev.points if ev is not None else []
            B.fire("explore.select", {"indices": [p.customdata for p in pts]})
        _drawn["hook"] = create_proxy(selected)
    gd.on("plotly_selected", _drawn["hook"])
    # per-class distributions of the x feature, and a 3 x 3 scatterplot matrix
    _dist(e, view, ex, xs)
    _matrix(e, view, ex)


def _dist(e, view, ex, xs):
    lo, hi = min(xs), max(xs)
    bins = 20
    w = (hi - lo) / bins or 1.0
    traces = []
    for c, name in enumerate(ex.classes):
        counts = [0] * bins
        for i in range(len(ex.lw)):
            if ex.lw.labels[i] == c:
                counts[min(bins - 1, int((xs[i] - lo) / w))] += 1
        if sum(counts):
            traces.append({"type": "bar", "name": name, "opacity": 0.6, "width": w,
                           "x": [lo + (b + 0.5) * w for b in range(bins)], "y": counts,
                           "marker": {"color": _color(view, c)}})
    window.Plotly.react("explore-dist", view.js(traces), view.js({
        "barmode": "overlay", "margin": {"l": 45, "r": 10, "t": 24, "b": 40},
        "title": {"text": "per class", "font": {"size": 12}},
        "xaxis": {"title": {"text": e["axes"][0]}}, "yaxis": {"title": {"text": "windows"}},
        "showlegend": False}), view.js({"displayModeBar": False, "responsive": True}))


def _matrix(e, view, ex):
    feats = [f for f in e["names"] if f.endswith("_std") or f.endswith("_p2p")][:3] or \
        e["names"][:3]
    cols = [list(ex.ex.column(ex.ex.names.index(f))) for f in feats]
    n = len(feats)
    traces, layout = [], {"margin": {"l": 76, "r": 10, "t": 24, "b": 44}, "showlegend": False,
                          "title": {"text": "scatter matrix: " + ", ".join(feats),
                                    "font": {"size": 11}}}
    colors = [_color(view, c) if c >= 0 else GREY for c in ex.lw.labels]
    for r in range(n):
        for c in range(n):
            k = r * n + c + 1
            traces.append({"type": "scatter", "mode": "markers", "x": cols[c], "y": cols[r],
                           "xaxis": "x%d" % k, "yaxis": "y%d" % k, "hoverinfo": "skip",
                           "marker": {"size": 3, "color": colors}})
            # the features' names under the bottom row (the rows' at the left, below)
            layout["xaxis%d" % k] = {"domain": [c / n + 0.02, (c + 1) / n - 0.02],
                                     "anchor": "y%d" % k, "showticklabels": False,
                                     "title": {"text": feats[c] if r == n - 1 else "",
                                               "font": {"size": 10}, "standoff": 4}}
            layout["yaxis%d" % k] = {"domain": [1 - (r + 1) / n + 0.02, 1 - r / n - 0.02],
                                     "anchor": "x%d" % k, "showticklabels": False}
    # each row's feature, written across at its left (a rotated title is taller than a row)
    layout["annotations"] = [{"text": feats[r], "xref": "paper", "yref": "paper", "x": -0.01,
                              "y": 1 - (r + 0.5) / n, "xanchor": "right", "showarrow": False,
                              "font": {"size": 10}} for r in range(n)]
    window.Plotly.react("explore-matrix", view.js(traces), view.js(layout),
                        view.js({"displayModeBar": False, "responsive": True}))


def draw(st, view, ex, B):
    e = st["explore"]
    _ex[0] = ex
    root = document.getElementById("explore-body")
    root.innerHTML = _panel(st, ex)
    if e.get("summary") and ex.ex is not None and view.has(window, "Plotly"):
        _scatter(st, view, ex, B)
        ins = e.get("insight")
        if ins:
            imp = ins["importance"]
            window.Plotly.react("explore-importance", view.js([{
                "type": "bar", "orientation": "h", "x": [v for _, v in imp][::-1],
                "y": [n for n, _ in imp][::-1]}]), view.js({
                    "margin": {"l": 120, "r": 10, "t": 24, "b": 40},
                    "xaxis": {"title": {"text": "importance (share of the trees' splits)"}},
                    "title": {"text": "feature importance", "font": {"size": 12}}}),
                view.js({"displayModeBar": False, "responsive": True}))

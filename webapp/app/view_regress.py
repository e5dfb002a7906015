# Draws the value mode ("how much?", issue 21): Train's report of app.regress_page's summary
# (the promise or why there is none, MAE/RMSE/R² beside the mean-value baseline, the
# predicted-versus-true plot (plotly) and the errors by session) and Deploy's live estimate of
# a regression model running on the device (the value with its unit and an SVG timeline of the
# last ones, from the "live" part's values). In the boot set (the device may run a value model
# this page did not train); nothing here trains. Memory: the HTML only.
from app.html import esc


def _fmt(v):
    return "%.4g" % v


def render(s):
    """The value mode's result: the promise (or why there is none), the figures beside the
    mean-value baseline, the predicted-versus-true plot's place, the errors by session."""
    u = esc(s.get("unit") or "")
    tgt = esc(s.get("target") or "value")
    out = []
    if s.get("without"):
        out.append('<p><small>Without a value (not used): %s.</small></p>'
                   % esc(", ".join(s["without"])))
    if not s.get("model"):
        out.append('<p class="anom-nopromise" id="regress-none"><b>No estimate, and no model to '
                   'send.</b> %s</p>' % esc(s.get("reason") or ""))
        return "".join(out)
    e = s["estimate"]
    lo, hi = s["range"]
    how = ("every session of one value held out together (%d values in %d folds): the figures "
           "are for values the model never saw" % (s["values_n"], s["folds"])
           if s["by_value"] else
           "%d folds by session (every session tested by a model that did not see it; "
           "record at 3 or more values to test values never trained on)" % s["folds"])
    r2 = "–" if e.get("r2") is None else "%.3f" % e["r2"]
    out.append(
        '<p class="anom-promise" id="regress-promise"><b>%s: %s</b> (RMSE %s %s, R² %s), '
        'within the range trained on, %s..%s %s; the worst session %s: %s %s.<br>'
        '<small>How: %s; %d windows of %d sessions; the mean-value baseline (the training '
        'mean, what a model that learnt nothing says) errs by %s %s (MAE).</small></p>' % (
            tgt[:1].upper() + tgt[1:], esc(s["promise"]), _fmt(e["rmse"]), u, r2, _fmt(lo), _fmt(hi), u,
            esc(str(s["worst"]["session"])), _fmt(s["worst"]["mae"]), u, esc(how),
            s["windows"], s["sessions_n"], _fmt(e["baseline_mae"]), u))
    out.append('<table class="anom-table" id="regress-figures"><caption>%s on unseen data, '
               'against the mean-value baseline</caption><thead><tr><th scope="col"></th>'
               '<th scope="col">MAE (%s)</th><th scope="col">RMSE (%s)</th><th scope="col">R²'
               '</th></tr></thead><tbody><tr><th scope="row">model</th><td>%s</td><td>%s</td>'
               '<td>%s</td></tr><tr><th scope="row">baseline (mean %s)</th><td>%s</td>'
               '<td>%s</td><td>0</td></tr></tbody></table>' % (
                   tgt, u, u, _fmt(e["mae"]), _fmt(e["rmse"]), r2, _fmt(e["baseline"]),
                   _fmt(e["baseline_mae"]), _fmt(e["baseline_rmse"])))
    out.append('<div class="regress-row"><div id="regress-plot" class="plot"></div>'
               '<table class="anom-table" id="regress-sessions"><caption>by session, each '
               'estimated by a model that did not see it</caption><thead><tr>'
               '<th scope="col">session</th><th scope="col">windows</th><th scope="col">true'
               '</th><th scope="col">estimated (mean)</th><th scope="col">MAE</th></tr></thead>'
               '<tbody>%s</tbody></table></div>' % "".join(
                   '<tr><th scope="row">%s</th><td>%d</td><td>%s</td><td>%s</td><td>%s</td>'
                   '</tr>' % (esc(str(r["session"])), r["n"], _fmt(r["truth"]),
                              _fmt(r["predicted"]), _fmt(r["mae"]))
                   for r in sorted(s["sessions"], key=lambda r: -r["mae"])))
    out.append('<p><small>Model: %s, %d trees, %d nodes, %d features (%s set), %d bytes; '
               'window %s samples at %s Hz, hop %s.</small></p>' % (
                   "extra trees" if s["params"]["method"] == "extra" else "random forest",
                   s["trees"], s["nodes"], s["n_features"], esc(s["feature_set"]), s["bytes"],
                   s["window"]["window"], s["window"]["rate"], s["window"]["hop"]))
    return "".join(out)


def plot(s):
    """plotly traces and layout of the predicted-versus-true plot (None without a model)."""
    if not s.get("model"):
        return None
    pts = s["points"]
    lo, hi = s["range"]
    u = s.get("unit") or ""
    pad = 0.05 * ((hi - lo) or 1.0)
    traces = [{"type": "scatter", "mode": "markers", "name": "windows of unseen sessions",
               "x": [p[0] for p in pts], "y": [p[1] for p in pts],
               "marker": {"size": 5, "opacity": 0.5, "color": "#335"}},
              {"type": "scatter", "mode": "lines", "name": "estimate = true",
               "x": [lo - pad, hi + pad], "y": [lo - pad, hi + pad],
               "line": {"dash": "dash", "width": 1, "color": "#a33"}}]
    layout = {"margin": {"l": 60, "r": 10, "t": 10, "b": 45},
              "xaxis": {"title": {"text": "true %s (%s)" % (s["target"], u)}},
              "yaxis": {"title": {"text": "estimated (%s)" % u}},
              "legend": {"orientation": "h", "y": -0.3}, "height": 320}
    return traces, layout


def live_html(m, values, rng=None, w=480, h=90):
    """The device's live estimate with its unit, and a small timeline of the last ones (SVG:
    no plotting library needed) on the model's range [lo, hi] when known."""
    v = m.get("value")
    head = ('<span id="live-value"><b>%s</b> %s</span><span>%s <small>estimated by the '
            'device</small></span><small>seq %s &middot; model %s</small>' % (
                "–" if v is None else _fmt(v), esc(m.get("unit") or ""),
                esc(m.get("target") or ""), m.get("seq"), esc((m.get("hash") or "")[:12])))
    pts = [p[1] for p in values if isinstance(p[1], (int, float))]
    if len(pts) < 2:
        return head
    top, low = max(pts), min(pts)
    if rng and len(rng) == 2:
        top, low = max(top, rng[1]), min(low, rng[0])
    if top - low < 1e-6:
        top, low = top + 0.5, low - 0.5
    L, R, T, Bm = 44, 8, 6, 22

    def y(x):
        return T + (h - T - Bm) * (1 - (x - low) / (top - low))
    dx = (w - L - R) / max(1, len(pts) - 1)
    line = " ".join("%.1f,%.1f" % (L + i * dx, y(p)) for i, p in enumerate(pts))
    return head + (
        '<svg id="live-value-trace" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
        'aria-label="the last %d estimates, oldest left">'
        '<polyline points="%s" fill="none" stroke="#335" stroke-width="1.5"/>'
        '<text x="2" y="%.1f" font-size="10">%s</text><text x="2" y="%.1f" font-size="10">%s'
        '</text><text x="%d" y="%d" font-size="10">%s (%s) of the last %d windows, oldest '
        'left</text></svg>' % (w, h, w, h, len(pts), line, T + 8, _fmt(top), h - Bm, _fmt(low),
                               L, h - 4, esc(m.get("target") or "estimate"),
                               esc(m.get("unit") or ""), len(pts)))



def draw_plot(s):
    """The predicted-versus-true plot (plotly, once loaded; drawn again only for a new model)."""
    from app import view                # (the browser's; the rest here runs on CPython too)
    gd = view.el("regress-plot")
    if gd is None or not s.get("model"):
        return
    if not view.has(view.window, "Plotly"):
        from app import view_live
        view_live.want_plotly()        # drawn when it comes (every part is redrawn then)
        return
    if view.has(gd, "data") and view.data(gd, "hash") == s["hash"]:
        return
    traces, layout = plot(s)
    view.window.Plotly.react("regress-plot", view.js(traces), view.js(layout),
                             view.js({"displaylogo": False, "responsive": True}))
    gd.setAttribute("data-hash", s["hash"])

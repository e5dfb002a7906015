# The `motebook` API of the notebook's cells (in the kernel worker, kernel.js): the device's
# sessions as arrays, labelled windows, the shared/ features, training and evaluation (the
# page's very pipeline), the device's status and model, and plot helpers drawn with plotly
# under the cell. Everything comes from the device over HTTP, with the same shared/ code the
# page and the device run. Memory: what a cell loads (a recording is one array('h')).
#
#   ss = await motebook.sessions()              # [{"id", "name", "rate", "channels", ...}]
#   rec = await motebook.load(ss[0]["id"])      # .samples, .values("x"), .times(), .segments
#   lw = await motebook.windows(classes=["idle", "walking"], window=128, hop=64)
#   t = motebook.features(lw)                   # .names, .rows, .column("mag_std")
#   r = await motebook.train(lw)                # the page's pipeline: r["metrics"], ...
#   ex = await motebook.explore(await motebook.windows(unlabelled=True), k=4)
#   motebook.plot.scatter(ex.column("pc1"), ex.column("pc2"), color=list(ex.clusters))
#   motebook.plot.line(rec.values("x"), x=rec.times(), title="x")
#   a = await motebook.anomaly(sessions=[1, 2, 3], faults=[4])   # "is this normal?" + report
#   a.plot()                                    # score timeline with the threshold line
import json
from array import array

import js

from app.html import esc as _esc
from app.reply import result
from shared import dataset as D
from shared.palette import UNLABELLED, colours

STAGE = "/nb_stage.bin"
MAX_POINTS = 5000          # a line plot keeps at most this many points (min/max decimated)


async def _get(path, fs=None):
    """The device's parsed answer to GET path (fs: the body written to that file; then the
    transport's {status, bytes, headers}); DeviceError (app/reply.py) naming its reason."""
    raw = await js.mbFetch("GET", path, None, fs)
    if fs:
        r = json.loads(raw)
        if "bytes" in r:
            return r
    return result(raw, what="GET " + path)


async def status():
    """The device's /api/status (sensor, rate, heap, storage, model, ...)."""
    return await _get("/api/status")


async def model():
    """The model the device runs (/api/model: hash, classes, metadata), or None."""
    s = await status()
    return await _get("/api/model") if s.get("model_hash") else None


async def sessions():
    """The device's sessions: [{"id", "name", "rate", "channels", "samples", "classes",
    "source", "started"}], recorded ones by id, then imports by name."""
    d = await _get("/api/sessions")
    out = []
    for m in d["sessions"]:
        lab = m.get("labels") or {}
        out.append({"id": m["id"], "name": m.get("name") or "#%d" % m["id"],
                    "rate": m["rate"], "channels": m["channels"],
                    "samples": m.get("samples", m["windows"] * m["hop"]),
                    "classes": lab.get("classes") or [], "source": m.get("source", "device"),
                    "started": m.get("started"), "window": m["window"], "hop": m["hop"],
                    "value": m.get("value")})   # its value label's summary, or None
    rec = [s for s in out if s["source"] != "import"]
    imp = D.natural_sorted([s for s in out if s["source"] == "import"], key=lambda s: s["name"])
    return rec + imp


class Recording:
    """One session: .samples array('h') channel-major (counts; value = count * .scale),
    .channels, .rate, .scale, .n_samples, .segments [(start, end, class name)], .classes."""

    def __init__(self, meta, samples, n, labels, value=None):
        self.sid, self.name = meta["id"], meta.get("name") or "#%d" % meta["id"]
        # the value label ({"name", "value", "unit"}; .value_segments [(start, end, value)])
        self.value = None if value is None else {k: value.get(k) for k in ("name", "value",
                                                                          "unit")}
        self.value_segments = [tuple(s) for s in (value or {}).get("segments") or ()]
        self.meta = meta
        self.channels, self.rate, self.scale = meta["channels"], meta["rate"], meta["scale"]
        self.samples, self.n_samples = samples, n
        self.classes = list(labels.get("classes") or [])
        self.segments = sorted((s["start"], s["end"], s["label"])
                               for s in labels.get("segments") or ())

    def values(self, channel=0):
        """One channel in physical units (array('f')); channel: name or index."""
        c = self.channels.index(channel) if isinstance(channel, str) else channel
        n, sc = self.n_samples, self.scale
        return array("f", [v * sc for v in self.samples[c * n:(c + 1) * n]])

    def times(self):
        """Seconds from the session's start, one per sample (array('f'))."""
        return array("f", [k / self.rate for k in range(self.n_samples)])

    def labels(self):
        """The class name of every sample (None where unlabelled)."""
        out = [None] * self.n_samples
        for s, e, c in self.segments:
            for k in range(s, min(e, self.n_samples)):
                out[k] = c
        return out

    def __repr__(self):
        return "<session %s: %d samples x %d channels (%s) at %s Hz, %d label segments>" % (
            self.name, self.n_samples, len(self.channels), ",".join(self.channels), self.rate,
            len(self.segments))


async def _find(sid):
    ss = await sessions()
    for s in ss:
        if s["id"] == sid or s["name"] == sid or s["name"] == "#%s" % sid:
            return s["id"]
    raise KeyError("no session %r (motebook.sessions() lists them)" % (sid,))


async def load(sid):
    """The Recording of a session (its id, or its name)."""
    sid = await _find(sid)
    meta = await _get("/api/sessions/%d" % sid)
    r = await _get("/api/sessions/%d/windows" % sid, STAGE)
    n_rec = int(r["headers"].get("x-count") or 0)
    fs = int(r["headers"].get("x-frame-size") or 1)
    raw = bytearray(n_rec * fs)
    with open(STAGE, "rb") as f:
        f.readinto(raw)
    samples, nch, n, rate, scale, gaps = D.deblock(raw, n_rec, fs)
    real = meta.get("samples", n)
    if real < n:
        samples = D.cut_window(samples, nch, n, 0, real)
        n = real
    labels = await _get("/api/sessions/%d/labels" % sid)
    value = await _get("/api/sessions/%d/value" % sid) if meta.get("value") else None
    return Recording(meta, samples, n, labels, value)


async def value_windows(sessions_=None, window=None, hop=None):
    """shared.values.ValueWindows of the sessions with a value label (ids or names; default
    all): .windows, .y (the value of each window), .groups, .name, .unit; window and hop in
    samples (default the device's). Sessions in different units are refused, naming them."""
    from shared import values as V
    s = await status()
    ids = []
    for x in (sessions_ if sessions_ is not None else await sessions()):
        ids.append(x["id"] if isinstance(x, dict) else await _find(x))
    recs = []
    for i in ids:
        recs.append(await load(i))
    return V.value_windows(recs, window or s["window"], hop or s["hop"])


async def windows(sessions_=None, classes=None, window=None, hop=None, unlabelled=False):
    """shared.dataset.LabelledWindows of the sessions (ids or names; default all) cut like
    training cuts them (window and hop in samples; default the device's settings); classes
    default to every class labelled; unlabelled=True keeps every window (label -1 where none
    covers it), as the Explore step does."""
    s = await status()
    window = window or s["window"]
    hop = hop or s["hop"]
    ids = []
    if sessions_ is None:
        for x in await sessions():
            ids.append(x["id"])
    else:
        for x in sessions_:           # (MicroPython: no await inside a comprehension)
            ids.append(await _find(x))
    recs = []
    for i in ids:
        recs.append(await load(i))
    if classes is None:
        classes = []
        for r in recs:
            for _, _, c in r.segments:
                if c not in classes:
                    classes.append(c)
    lw = D.labelled_windows(recs, classes, window, hop, unlabelled)
    lw.classes, lw.window, lw.hop = classes, window, hop
    return lw


class Exploration:
    """shared.explore.Explore's results: .names, .clusters, .explained, .kmeans, .column(name)
    (a feature, or "pc1"/"pc2"), .proposals(k) and .outliers(k) as the Explore step has them."""

    def __init__(self, ex, lw):
        self.ex, self.lw = ex, lw
        self.names, self.clusters, self.explained = ex.names, ex.clusters, ex.explained
        self.kmeans = ex.kmeans

    def column(self, name):
        if name in ("pc1", "pc2"):
            c = 0 if name == "pc1" else 1
            return [self.ex.xy[2 * i + c] for i in range(self.ex.n)]
        return list(self.ex.column(self.ex.names.index(name)))

    def proposals(self, k=3):
        """(rows, class numbers, vote shares) for the unlabelled windows, from the labelled."""
        lab = [i for i in range(len(self.lw)) if self.lw.labels[i] >= 0]
        p = self.ex.proposer(lab, bytearray(self.lw.labels[i] for i in lab), k=k)
        p.run()
        return list(p.rows), list(p.labels), list(p.share)

    def outliers(self, n=10, k=5):
        """[(window, score)] the n most unusual windows (distance to their k nearest)."""
        o = self.ex.outliers(k=k)
        o.run()
        return o.worst(n)

    def __repr__(self):
        return "<exploration: %d windows, PCA explains %s, clusters %s>" % (
            self.ex.n, " + ".join("%.0f%%" % (100 * v) for v in self.explained),
            self.kmeans.sizes() if self.kmeans is not None else "-")


async def explore(lw, k=4):
    """Features, PCA and k-means (k clusters) over a LabelledWindows, as the Explore step."""
    import asyncio
    from shared.explore import Explore
    n = len(lw.windows[0]) // len(lw.channels)
    ex = Explore(lw.windows, {"rate": lw.rate, "window": n, "channels": lw.channels},
                 scales=lw.scales, k=k)
    for _ in ex.steps():
        await asyncio.sleep_ms(0)
    return Exploration(ex, lw)


def ari(a, b):
    """Adjusted Rand index of two labellings (1: the same partition)."""
    from shared.cluster_metrics import adjusted_rand_index
    return adjusted_rand_index(list(a), list(b))


class Table:
    """Feature rows: .names, .rows (one array('f') per window), .labels, .groups."""

    def __init__(self, names, rows, labels=None, groups=None):
        self.names, self.rows, self.labels, self.groups = names, rows, labels, groups

    def column(self, name):
        j = self.names.index(name)
        return [r[j] for r in self.rows]

    def __repr__(self):
        return "<%d windows x %d features: %s ...>" % (len(self.rows), len(self.names),
                                                      ", ".join(self.names[:4]))


def features(lw, rate=None):
    """shared.features of every window of a LabelledWindows (each with its own scale)."""
    from shared.features import FeatureExtractor
    nch = len(lw.channels)
    n = len(lw.windows[0]) // nch if len(lw) else 0
    fe = FeatureExtractor(nch, n, rate or lw.rate)
    rows = [fe.compute(lw.windows[i], fe.new_output(), lw.scales[i]) for i in range(len(lw))]
    classes = getattr(lw, "classes", None)
    return Table(fe.names, rows, [classes[c] if classes else c for c in lw.labels],
                 list(lw.groups))


async def train(lw, classes=None, validation=None, **params):
    """The page's pipeline on a LabelledWindows: evaluated by session (k-fold, or
    validation={"method": "test", "sessions": [...]}); returns its result dict."""
    from shared.pipeline import Pipeline
    import asyncio
    classes = classes or getattr(lw, "classes")
    n = len(lw.windows[0]) // len(lw.channels)
    window = {"rate": lw.rate, "window": n, "hop": getattr(lw, "hop", n),
              "channels": lw.channels}
    # sessions that gave no window are named in the result's warnings, as in the Train step
    stretches = dict((c, dict((str(g), v) for g, v in per.items()))
                     for c, per in (getattr(lw, "stretches", None) or {}).items())
    p = Pipeline(lw.windows, lw.labels, classes, window, groups=[str(g) for g in lw.groups],
                 scales=lw.scales, validation=validation, stretches=stretches or None,
                 **params)
    for _ in p.steps():
        await asyncio.sleep_ms(0)
    return p.result


class AnomalyReport:
    """shared.anomaly_train.train's report (r["threshold"], r["promise"], r["need_more"],
    r["sessions"], r["baseline"], r["scores"][sid], r["model"], ...) with .plot(): the score
    timeline of each session against the threshold line; shown as a table of the figures."""

    def __init__(self, report, hop_s, names):
        self.report, self.hop_s, self.names = report, hop_s, names

    def __getitem__(self, key):
        return self.report[key]

    def get(self, key, default=None):
        return self.report.get(key, default)

    def timeline(self, sessions_=None):
        """The plotly figure dict of .plot() (not named figure: shown, the report is a table)."""
        r = self.report
        data = []
        ids = list(r["scores"]) if sessions_ is None else list(sessions_)
        names = [self.names.get(i, str(i)) for i in ids]
        col = colours(names)
        end = 0.0
        for i, sid in enumerate(ids):
            s = r["scores"][sid]
            x = [k * self.hop_s for k in range(len(s))]
            end = max(end, x[-1] if x else 0.0)
            x, y = _decimate(x, _list(s))
            data.append({"type": "scatter", "mode": "lines", "x": x, "y": y,
                         "name": names[i], "line": {"color": col.get(names[i])}})
        data.append({"type": "scatter", "mode": "lines", "x": [0.0, end],
                     "y": [r["threshold"], r["threshold"]], "name": "threshold",
                     "line": {"color": "#cc3311", "dash": "dash"}})
        return Figure(data, _layout("anomaly score (%s)" % r["kind"], "seconds",
                                    "score")).figure()

    def plot(self, sessions_=None):
        """Draw the scores over time (sessions_: ids to show; default all) and the threshold."""
        fig = self.timeline(sessions_)
        show(Figure(fig["data"], fig["layout"]))

    def _repr_html_(self):
        r = self.report

        def f(v, fmt="%.3g"):
            return "-" if v is None else (fmt % v if not isinstance(v, str) else v)
        head = "<p><b>%s</b>, threshold %s, hysteresis %d of %d: %s</p>" % (
            _esc(r["kind"]), f(r["threshold"]), r["hysteresis"][0], r["hysteresis"][1],
            _esc(r["promise"]["statement"] if r["promise"] else r["need_more"]))
        rows = ["<tr><th>session</th><th>held out</th><th>minutes</th><th>false alarms/h</th>"
                "<th>detected</th><th>ROC AUC</th><th>time to detect (s)</th>"
                "<th>baseline: false alarms/h</th><th>detected</th><th>ROC AUC</th></tr>"]
        base = dict((b["id"], b) for b in r["baseline"]["sessions"])
        for s in r["sessions"]:
            b = base.get(s["id"], {})
            det = "%d/%d" % (s["detected"], s["episodes"]) if "episodes" in s else "-"
            bdet = "%d/%d" % (b["detected"], b["episodes"]) if "episodes" in b else "-"
            rows.append("<tr><td>%s</td><td>%s</td><td>%.1f</td><td>%s</td><td>%s</td>"
                        "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                            _esc(self.names.get(s["id"], s["id"])),
                            "yes" if s.get("held_out") else "no", s["minutes"],
                            f(s["false_alarms_per_hour"]), det, f(s.get("roc_auc")),
                            f(s.get("time_to_detect_max")), f(b.get("false_alarms_per_hour")),
                            bdet, f(b.get("roc_auc"))))
        return head + '<table class="heat">' + "".join(rows) + "</table>"

    def __repr__(self):
        r = self.report
        return "<anomaly %s: threshold %.4g, %s>" % (
            r["kind"], r["threshold"], r["promise"]["statement"] if r["promise"]
            else r["need_more"])


async def anomaly(sessions=None, faults=None, kind="envelope", window=None, hop=None,
                  false_alarms_per_hour=1.0, hysteresis=(3, 5), normal_class="normal",
                  **opts):
    """An anomaly model trained on sessions of normal running (ids or names; every window of
    each), its threshold set on sessions it did not see (shared/anomaly_train.py), and its
    report; faults: sessions with labelled faults (a window holding samples of a class other
    than normal_class is faulty: anomaly_train.fault_flags) for detection rate, ROC AUC and
    time to detect. kind: "envelope" (fast), "gmm", "knn", or "auto" (envelope and gmm, the
    better kept: minutes in the browser; the Train step's default is envelope too). Returns an
    AnomalyReport: r["threshold"], r["promise"] (None with r["need_more"]: what to record
    next), r["sessions"], r["baseline"], r["scores"][id]; r.plot() draws the timeline."""
    from shared import anomaly_train
    if not sessions:
        raise ValueError("name the sessions of normal running: anomaly(sessions=[...])")
    s = await status()
    window = window or s["window"]
    hop = hop or s["hop"]
    ids, fids = [], []
    for x in sessions:
        ids.append(await _find(x))
    for x in faults or ():
        fids.append(await _find(x))
    recs, names = [], {}
    for i in ids + fids:
        recs.append(await load(i))
        names[i] = recs[-1].name
    D.check_same_shape(recs)
    per = []
    for r in recs:
        nch = len(r.channels)
        normal = r.sid in ids
        per.append({"id": r.sid, "scale": r.scale, "normal": normal,
                    "windows": [D.cut_window(r.samples, nch, r.n_samples, k, window)
                                for k in range(0, r.n_samples - window + 1, hop)],
                    "fault_windows": None if normal else anomaly_train.fault_flags(
                        r.segments, r.n_samples, window, hop, normal_class)})
    w = {"rate": recs[0].rate, "window": window, "channels": list(recs[0].channels)}
    import asyncio
    t = anomaly_train.Training()
    for _ in t.steps(per, w, kind=kind, false_alarms_per_hour=false_alarms_per_hour,
                     hysteresis=hysteresis, hop=hop, **opts):
        await asyncio.sleep_ms(0)
    return AnomalyReport(t.result, hop / recs[0].rate, names)


def show(obj):
    """Display obj under the cell (a figure as a plot, HTML, or text)."""
    import kernel
    kernel.show(obj)


# ---- plots (plotly figures drawn under the cell) ------------------------------------------
def _list(v):
    return [float(x) for x in v] if not isinstance(v, list) else v


def _decimate(x, y):
    n = len(y)
    if n <= MAX_POINTS:
        return x, y
    step = (n + MAX_POINTS - 1) // MAX_POINTS
    return x[::step], y[::step]


class Figure:
    def __init__(self, data, layout):
        self.data, self.layout = data, layout

    def figure(self):
        return {"data": self.data, "layout": self.layout}

    def __repr__(self):
        return "<figure: %d traces>" % len(self.data)


def _layout(title, xlabel, ylabel):
    lay = {"margin": {"l": 55, "r": 10, "t": 30 if title else 10, "b": 40},
           "xaxis": {"title": {"text": xlabel or ""}}, "yaxis": {"title": {"text": ylabel or ""}},
           "legend": {"orientation": "v", "x": 1.01, "y": 1, "xanchor": "left"}}
    if title:
        lay["title"] = {"text": title, "font": {"size": 14}}
    return lay


class _Plot:
    """motebook.plot.line/scatter/hist/heatmap: draw under the cell (and return None)."""

    def line(self, y, x=None, names=None, title=None, xlabel=None, ylabel=None):
        ys = y if isinstance(y, (list, tuple)) and y and not isinstance(y[0], (int, float)) \
            else [y]
        data = []
        for i, yy in enumerate(ys):
            yy = _list(yy)
            xx = _list(x) if x is not None else list(range(len(yy)))
            xx, yy = _decimate(xx, yy)
            data.append({"type": "scatter", "mode": "lines", "x": xx, "y": yy,
                         "name": names[i] if names else "y%d" % i})
        show(Figure(data, _layout(title, xlabel, ylabel)))

    def scatter(self, x, y, color=None, text=None, title=None, xlabel=None, ylabel=None):
        """color: one label per point (a trace per label) or None."""
        x, y = _list(x), _list(y)
        groups = {}
        order = []
        for i in range(len(x)):
            k = color[i] if color is not None else ""
            if k not in groups:
                groups[k] = []
                order.append(k)
            groups[k].append(i)
        # the page's class palette by label name (unlabelled -1 / None grey)
        col = colours([str(k) for k in order if k not in ("", -1, None)])
        data = [{"type": "scatter", "mode": "markers", "name": str(k) if k != "" else "points",
                 "x": [x[i] for i in groups[k]], "y": [y[i] for i in groups[k]],
                 "text": [str(text[i]) for i in groups[k]] if text is not None else None,
                 "marker": {"size": 6, "color": col.get(str(k), UNLABELLED)}} for k in order]
        show(Figure(data, _layout(title, xlabel, ylabel)))

    def hist(self, values, bins=20, title=None, xlabel=None):
        """values: a list, or a dict {name: list} (one histogram each, overlaid); counted
        here into equal bins over the range of all values (bars: the page's plotly bundle
        has no histogram trace)."""
        sets = values if isinstance(values, dict) else {"": values}
        every = [float(v) for vs in sets.values() for v in vs]
        if not every:
            raise ValueError("nothing to count")
        lo, hi = min(every), max(every)
        w = (hi - lo) / bins or 1.0
        data = []
        col = colours([k for k in sets if k != ""])
        for k, vs in sets.items():
            counts = [0] * bins
            for v in vs:
                counts[min(bins - 1, int((float(v) - lo) / w))] += 1
            data.append({"type": "bar", "x": [lo + (i + 0.5) * w for i in range(bins)],
                         "y": counts, "width": w, "opacity": 0.7, "name": str(k) or "values",
                         "marker": {"color": col.get(str(k), "#4477aa")}})
        lay = _layout(title, xlabel, "count")
        lay["barmode"] = "overlay"
        show(Figure(data, lay))

    def heatmap(self, z, x=None, y=None, title=None):
        """A table of coloured cells (white to blue over z's range), e.g. a confusion
        matrix; x: column names, y: row names."""
        flat = [float(v) for r in z for v in r]
        lo, hi = min(flat), max(flat)
        span = (hi - lo) or 1.0
        out = ['<table class="heat">']
        if title:
            out.append("<caption>%s</caption>" % _esc(title))
        if x is not None:
            out.append("<tr><th></th>%s</tr>" % "".join("<th>%s</th>" % _esc(c) for c in x))
        for i, r in enumerate(z):
            out.append("<tr><th>%s</th>" % _esc(y[i] if y is not None else i))
            for v in r:
                f = (float(v) - lo) / span
                out.append('<td style="background:hsl(212,70%%,%d%%);color:%s">%s</td>' % (
                    int(97 - 55 * f), "#fff" if f > 0.55 else "#222", _fmt(v)))
            out.append("</tr>")
        show(_Html("".join(out) + "</table>"))


class _Html:
    def __init__(self, html):
        self.html = html

    def _repr_html_(self):
        return self.html


def _fmt(v):
    return "%d" % v if isinstance(v, int) else "%.3g" % v


plot = _Plot()

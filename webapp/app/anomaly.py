# Train's "normal vs anomaly" mode ("Is this normal?"): the chosen sessions' windows ->
# shared.anomaly_train.train (the honest threshold: set on normal sessions the model did not
# see, for the false-alarm rate asked, with the hysteresis of shared.hysteresis) -> the model
# file (shared.anomalyformat, read back with its one reader: what the device will check) and
# the report drawn by render(): the promise or why there is none, a table by session next to
# the RMS baseline, and the score timeline's data (timeline()). Sessions whose labels name
# anything but "normal" (a machine fault from the simulator or a replay file) are fault
# examples: scored for the report, never fitted. Pure Python over recordings (no browser
# imports), so webapp/tests drive it on CPython. Loaded with the Train step's anomaly mode.
# Memory: the windows of the chosen sessions, one feature table per session and one score
# per window while training; afterwards the model, its file text and the scores.
from shared import anomaly_train as AT
from shared import anomalyformat as AF
from shared import dataset as D
from shared.features import feature_names
from shared.pipeline import model_hash

from app.html import esc, pct
from app.train import number

LAST = {}                    # "result": the last trained result (the views draw from it)
KINDS = (("envelope", "elliptic envelope (fast)"), ("gmm", "Gaussian mixture (slower)"),
         ("auto", "try both, keep the better (slowest)"))


def options(a):
    """kind, false alarms per hour, hysteresis (n, m) from the Train form."""
    kind = a.get("a_kind") or "envelope"
    if kind not in [k for k, _ in KINDS]:
        raise ValueError("choose a model kind: %s" % ", ".join(k for k, _ in KINDS))
    n = number(a, "a_n", 3, 1, 50)
    m = number(a, "a_m", 5, 1, 50)
    if n > m:
        raise ValueError("hysteresis: n (%d) cannot exceed m (%d) windows" % (n, m))
    return {"kind": kind, "false_alarms_per_hour": number(a, "a_fah", 1.0, 0.001, 3600.0, float),
            "hysteresis": (n, m)}


def sessions_of(recs, window, hop):
    """anomaly_train's session dicts of recordings (windows cut every hop), and the names."""
    D.check_same_shape(recs)
    out, names, short = [], {}, []
    for r in recs:
        nch = len(r.channels)
        wins = [D.cut_window(r.samples, nch, r.n_samples, k, window)
                for k in range(0, r.n_samples - window + 1, hop)]
        names[r.sid] = r.name
        if not wins:
            short.append(r.name)
            continue
        fw = AT.fault_flags(r.segments, r.n_samples, window, hop)   # (the one rule)
        out.append({"id": r.sid, "windows": wins, "scale": r.scale, "normal": fw is None,
                    "fault_windows": fw})
    return out, names, short


def train(recs, window, hop, opts):
    """Recordings -> (summary dict for the page, the page's result for Deploy or None).
    ValueError with what to do when nothing can be trained."""
    out = {}
    for _ in steps(recs, window, hop, opts, out):
        pass
    return out["summary"], out["result"]


def steps(recs, window, hop, opts, out):
    """train() a model fit at a time: yields a line of progress after each (the page awaits
    between them: it draws, and MicroPython-WASM collects the fit's garbage); at the end
    out["summary"] and out["result"] are train()'s answer."""
    if not recs:
        raise ValueError("choose the sessions of normal running (the list above)")
    win = {"rate": recs[0].rate, "window": window, "channels": list(recs[0].channels),
           "hop": hop}
    sess, names, short = sessions_of(recs, window, hop)
    normal = [s for s in sess if s["normal"]]
    faulty = [names[s["id"]] for s in sess if not s["normal"]]
    why_short = ("; %s gave no window of %d samples (shorter than the window)"
                 % (", ".join(short), window)) if short else ""
    if not normal and short and not faulty:
        raise ValueError("no chosen session is as long as the window: %s gave no window of %d "
                         "samples; shorten the window or record longer sessions"
                         % (", ".join(short), window))
    if not normal:
        raise ValueError("choose sessions of normal running: every chosen session is labelled "
                         "with a fault (%s), and those are only scored, never learnt from%s"
                         % (", ".join(faulty) or "none", why_short))
    base = {"kind": "anomaly", "window": win, "hop": hop, "short": short, "faulty": faulty,
            "options": {"kind": opts["kind"], "false_alarms_per_hour":
                        opts["false_alarms_per_hour"], "hysteresis": list(opts["hysteresis"])}}
    if len(normal) < 2:      # (anomaly_train needs two: one to fit, one to hold out)
        more = AT.MIN_SESSIONS - len(normal)
        base.update({"promise": None, "model": False, "need_more": (
            "no false-alarm rate can be promised, and no model trained: record %d more "
            "session%s of normal running (%d in all: the threshold is set on sessions the "
            "model did not see)%s" % (more, "" if more == 1 else "s", AT.MIN_SESSIONS,
                                      why_short)), "need": {"sessions": more}})
        out["summary"], out["result"] = base, None
        return
    t = AT.Training()
    for line in t.steps(sess, win, kind=opts["kind"],
                        false_alarms_per_hour=opts["false_alarms_per_hour"],
                        hysteresis=opts["hysteresis"], hop=hop):
        yield line
    r = t.result
    model = r["model"]
    meta = {"window": win, "hop": hop, "hysteresis": r["hysteresis"],
            "features": feature_names(len(win["channels"]), win["channels"]),
            "promise": r["promise"] and {"false_alarms_per_hour":
                                         r["promise"]["false_alarms_per_hour"],
                                         "measured_minutes": r["promise"]["measured_minutes"]}}
    text = AF.dumps(model, meta)
    loaded = AF.loads(text)             # the one reader: what the device will check too
    rows = []
    bsess = dict((b["id"], b) for b in r["baseline"]["sessions"])
    for f in r["sessions"]:
        rows.append(_row(f, bsess.get(f["id"]), names))
    h = model_hash(text)
    base.update({"model": True, "hash": h, "scorer": r["kind"], "kind_reason": r["kind_reason"],
                 "threshold": r["threshold"], "hysteresis": r["hysteresis"],
                 "promise": r["promise"], "need_more": r["need_more"], "need": r["need"],
                 "overall": _clean(r["overall"]), "baseline": _clean(dict(
                     (k, v) for k, v in r["baseline"].items() if k != "sessions")),
                 "rows": rows, "bytes": len(text), "why_short": why_short})
    result = {"kind": "anomaly", "text": text, "hash": h, "model": loaded, "fitted": model,
              "scores": r["scores"], "window": win, "hop": hop, "names": names,
              "faults": dict((s["id"], s["fault_windows"]) for s in sess if not s["normal"]),
              "threshold": r["threshold"], "order": [x["id"] for x in sess]}
    LAST["result"] = result
    out["summary"], out["result"] = base, result


def _clean(d):
    """JSON-safe figures (floats rounded; arrays and lists of numbers as lists)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, float):
            v = round(v, 4)
        elif isinstance(v, (list, tuple)):
            v = [round(x, 3) if isinstance(x, float) else x for x in v]
        out[k] = v
    return out


def _row(f, b, names):
    keep = ("windows", "minutes", "false_alarms", "false_alarms_per_hour", "episodes",
            "detected", "detection_rate", "roc_auc", "time_to_detect_max")
    row = {"id": f["id"], "name": names.get(f["id"], str(f["id"])), "normal": f["normal"]}
    row["model"] = _clean(dict((k, f[k]) for k in keep if k in f))
    row["baseline"] = _clean(dict((k, b[k]) for k in keep if b and k in b))
    return row


def timeline(result):
    """The score timeline's traces (per session: window end time in seconds of running, the
    sessions one after another) and the threshold; fault windows as their own markers."""
    win, hop = result["window"], result["hop"]
    rate = win["rate"]
    traces, t0, bounds = [], 0.0, []
    for sid in result["order"]:          # (the sessions as chosen: a dict keeps no order)
        sc = result["scores"][sid]
        n = len(sc)
        xs = [round(t0 + (i * hop + win["window"]) / rate, 3) for i in range(n)]
        name = result["names"].get(sid, str(sid))
        traces.append({"name": name, "x": xs, "y": [round(float(v), 4) for v in sc],
                       "normal": sid not in result["faults"]})
        fw = result["faults"].get(sid)
        if fw:
            traces.append({"name": "%s: fault windows" % name, "fault": True,
                           "x": [xs[i] for i in range(n) if fw[i]],
                           "y": [round(float(sc[i]), 4) for i in range(n) if fw[i]]})
        bounds.append([t0, name])
        t0 = (xs[-1] if xs else t0) + hop / rate
    return {"traces": traces, "threshold": result["threshold"], "end": t0, "bounds": bounds}


def scores_of(result, windows, scales):
    """Anomaly scores of windows cut like the model's (Explore's colour by score)."""
    from array import array
    from shared import anomaly
    X, d = anomaly.feature_table(windows, result["window"], scales)
    out = array("f", bytes(4 * len(windows)))
    result["fitted"].score_rows(X, out)
    return out


TOLERANCE = 1e-4     # the device's float32 scores against the page's: relative (above 1)


def compare(result, dev, rec):
    """The on-device check of an anomaly model: dev is the device's answer to GET
    /api/sessions/<id>/scores for recording rec (its running model's score and state of every
    window at the session's hop); the page scores the same windows with the same file
    (result["model"], read back by the one reader) and sets the figures of both with
    shared.anomaly_train's rules. -> the check dict Deploy draws."""
    from array import array
    from shared import anomaly
    if dev.get("error"):
        raise ValueError("the device stopped scoring: %s" % dev["error"])
    model = result["model"]
    W, hop, rate = dev["window"], dev["hop"], dev["rate"]
    nch = len(rec.channels)
    wins = [D.cut_window(rec.samples, nch, rec.n_samples, k, W)
            for k in range(0, rec.n_samples - W + 1, hop)]
    mine = array("f", bytes(4 * len(wins)))
    if wins:
        X, d = anomaly.feature_table(wins, dict(result["window"], scale=rec.scale))
        model.score_rows(X, mine)
    n, m = model.hysteresis
    on, _ = AT.state_trace(mine, model.threshold, n, m)
    states = "".join("1" if x else "0" for x in on)
    theirs = dev["scores"]
    worst = 0.0
    for a, b in zip(theirs, mine):
        worst = max(worst, abs(a - b) / max(1.0, abs(b)))
    differ = sum(1 for a, b in zip(dev["on"], states) if a != b) + abs(
        len(dev["on"]) - len(states))
    labels = AT.fault_flags(rec.segments, rec.n_samples, W, hop)
    figs = {}
    for who, sc in (("device", theirs), ("page", mine)):
        f = AT._figures(sc, labels, model.threshold, n, m, hop / rate, W / rate, [])
        figs[who] = dict((k, f.get(k)) for k in ("false_alarms", "episodes", "detected",
                                                   "time_to_detect"))
    same = (len(theirs) == len(mine) and worst <= TOLERANCE and not differ and
            figs["device"] == figs["page"])
    return {"kind": "anomaly", "sid": rec.sid, "session": rec.name, "hash": dev["hash"],
            "windows": len(mine), "device_windows": len(theirs),
            "seconds": round(rec.n_samples / rate, 1), "worst": worst,
            "tolerance": TOLERANCE, "states_differ": differ, "device": figs["device"],
            "page": figs["page"], "agree": same}


def render_check(c):
    """The on-device check's line: "the device agrees: ..." or how it differs."""
    def said(f):
        fa = f["false_alarms"]
        out = "%d false alarm%s in %s s" % (fa, "" if fa == 1 else "s", c["seconds"])
        if f.get("episodes"):
            t = f.get("time_to_detect") or []
            out += (", fault detected after %s" % ", ".join("%.1f s" % x for x in t) if t
                    else ", fault not detected")
            if t and len(t) < f["episodes"]:
                out += " (%d of %d faults)" % (len(t), f["episodes"])
        return out
    how = ("%d windows of %s scored by both, scores within %.1g (tolerance %g), the same "
           "state after every window" % (c["windows"], esc(c["session"]),
                                          c["worst"], c["tolerance"]))
    if c["agree"]:
        return ('<b class="good">the device agrees: %s</b><br><small>%s</small>'
                % (esc(said(c["device"])), how))
    why = []
    if c["device_windows"] != c["windows"]:
        why.append("the device scored %d windows, the page %d" % (c["device_windows"],
                                                                   c["windows"]))
    if c["worst"] > c["tolerance"]:
        why.append("scores differ by up to %.2g (relative; tolerance %g)"
                   % (c["worst"], c["tolerance"]))
    if c["states_differ"]:
        why.append("the state differs after %d window%s" % (
            c["states_differ"], "" if c["states_differ"] == 1 else "s"))
    return ('<b class="bad">the device differs</b> on %s: %s.<br>device: %s; page: %s'
            % (esc(c["session"]), esc("; ".join(why) or "the figures differ"),
               esc(said(c["device"])), esc(said(c["page"]))))


# ---- the report (HTML) -------------------------------------------------------------------
def _f(v, fmt="%.1f"):
    return "–" if v is None else fmt % v


def _cells(x, normal):
    if normal:
        return "<td>%s</td><td>%s</td>" % (
            _f(x.get("false_alarms_per_hour")), x.get("false_alarms", "–"))
    return "<td>%s</td><td>%s</td><td>%s</td><td>%s</td>" % (
        _f(x.get("false_alarms_per_hour")), pct(x.get("detection_rate")),
        _f(x.get("roc_auc"), "%.3f"), _f(x.get("time_to_detect_max"), "%.1f s"))


def render(s):
    """The anomaly result: the promise (or why none), the table by session, the timeline's
    place."""
    out = []
    opts = s["options"]
    fah = opts["false_alarms_per_hour"]
    if s.get("promise"):
        p = s["promise"]
        out.append('<p class="anom-promise"><b>Promise: at most %g false alarm%s per hour</b>, '
                   'measured on <b>%.1f minutes</b> of unseen normal running (%d sessions, %d '
                   'held-out alarms).<br><small>How: %s.</small></p>' % (
                       fah, "" if fah == 1 else "s", p["measured_minutes"], p["sessions"],
                       p["heldout_alarms"], esc(p["statement"])))
    else:
        out.append('<p class="anom-nopromise"><b>No false-alarm promise.</b> %s</p>'
                   % esc(s.get("need_more") or ""))
    if not s.get("model"):
        return "".join(out)
    out.append('<p class="anom-model">model: %s (%s), threshold %.4g, hysteresis %d of %d '
               'windows over it, window %d samples at %s Hz, hop %d &middot; %d bytes%s</p>' % (
                   esc(s["scorer"]), esc(s["kind_reason"]), s["threshold"],
                   s["hysteresis"][0], s["hysteresis"][1], s["window"]["window"],
                   s["window"]["rate"], s["hop"], s["bytes"], esc(s.get("why_short") or "")))
    nrm = [r for r in s["rows"] if r["normal"]]
    flt = [r for r in s["rows"] if not r["normal"]]
    if nrm:
        out.append('<table class="anom-table"><caption>normal sessions, each scored by a model '
                   'that did not see it</caption><thead><tr><th scope="col">session</th>'
                   '<th scope="col">minutes</th><th scope="col">false alarms/h</th>'
                   '<th scope="col">alarms</th><th scope="col">RMS baseline: false '
                   'alarms/h</th><th scope="col">alarms</th></tr></thead><tbody>%s</tbody>'
                   '</table>' % "".join(
                       '<tr><th scope="row">%s</th><td>%s</td>%s%s</tr>' % (
                           esc(r["name"]), _f(r["model"].get("minutes"), "%.2f"),
                           _cells(r["model"], True), _cells(r["baseline"], True))
                       for r in nrm))
    if flt:
        out.append('<table class="anom-table"><caption>sessions with labelled faults (scored, '
                   'never learnt from)</caption><thead><tr><th scope="col">session</th>'
                   '<th scope="col">false alarms/h</th><th scope="col">detected</th>'
                   '<th scope="col">ROC AUC</th><th scope="col">time to detect</th>'
                   '<th scope="col">RMS: false alarms/h</th><th scope="col">detected</th>'
                   '<th scope="col">ROC AUC</th><th scope="col">time to detect</th></tr>'
                   '</thead><tbody>%s</tbody></table>' % "".join(
                       '<tr><th scope="row">%s</th>%s%s</tr>' % (
                           esc(r["name"]), _cells(r["model"], False),
                           _cells(r["baseline"], False)) for r in flt))
    else:
        out.append('<p><small>No session with labelled faults was chosen: detection rate, '
                   'ROC AUC and time to detect need one (record with a fault switched on in '
                   'Collect).</small></p>')
    out.append('<p class="anom-caption"><small>The score of every window of the chosen '
               'sessions (%s: higher is less like normal running), one session after another, '
               'with the threshold; normal sessions scored by models that did not see them.'
               '</small></p><div id="anomaly-plot" class="plot"></div>' % (
                   "squared Mahalanobis distance to normal" if s["scorer"] == "envelope" else
                   "negative log-likelihood under the normal mixture"))
    return "".join(out)

# HTML of a training result for the train panel, honest first: how the windows were split
# (by session), sessions per class, the accuracy and balanced accuracy on sessions the model did
# not see next to the majority-class baseline's, or, with too few sessions, why there is no
# number (and sessions that gave no window, among the warnings); then the
# confusion matrix as a table heatmap, per-class precision/recall, per-session accuracy and the
# model's size and speed. The evaluation a device keeps with a model it trained itself (GET
# /api/model "trained_on_device") is drawn by the same parts (render_device). Pure string building, no DOM access, so it is tested on CPython and
# MicroPython unix. Memory: one string per render.
from app.html import esc as _esc, pct as _pct


def summary(r, train_ms, stall_ms, classify_ms=None):
    """The JSON-friendly part of a shared.pipeline result (window.motebook.training)."""
    m = r["metrics"] or {}
    v = r["validation"]
    return {"hash": r["hash"], "accuracy": m.get("accuracy"),
            "balanced_accuracy": m.get("balanced_accuracy"), "precision": m.get("precision"),
            "recall": m.get("recall"), "support": m.get("support"),
            "confusion": m.get("confusion"), "classes": r["model"].meta["classes"],
            "n_test": m.get("n", 0), "validation": v, "estimate": v["estimate"],
            "baseline": r["baseline"], "per_session": r["per_session"],
            "window": r["model"].meta["window"],
            "size": r["size"], "predict_us": r["predict_us"], "classify_ms": classify_ms,
            "n_windows": r["n_windows"], "n_train": r["n_train"], "params": r["params"],
            "train_ms": train_ms, "max_stall_ms": stall_ms, "bytes": len(r["text"])}


def _light(frac):
    f = 0.0 if frac is None else max(0.0, min(1.0, frac))
    return int(97 - 62 * f)


def cell_colour(frac):
    """Background of a confusion-matrix cell: white (0) to deep blue (1)."""
    return "hsl(212,70%%,%d%%)" % _light(frac)


def cell_ink(frac):
    """Text on cell_colour(frac) with a contrast of at least 4.5: white up to 48 % lightness
    (4.6 there), black from 49 % (4.7)."""
    return "#fff" if _light(frac) <= 48 else "#000"


def _estimate(s):
    v = s["validation"]
    out = []
    spc = v.get("sessions_per_class")
    if spc:
        out.append('<p class="train-split">sessions per class: %s</p>' % ", ".join(
            "%s %d" % (_esc(c), spc[c]) for c in s["classes"] if c in spc))
    if not s["estimate"]:
        out.append('<p class="train-noest"><b>No accuracy estimate.</b> %s. The model %s '
                   'trained on all %d windows%s, but nobody knows yet how good it is.</p>'
                   % (_esc(v["why"]), "the device runs was" if s.get("on_device") else
                      "below was", s["n_windows"], "" if s.get("on_device") else
                      " and can be sent"))
        return out
    b = s["baseline"]
    out.append('<p class="train-acc"><b>%s</b> accuracy on %d windows the model did not see '
               '(%s) &middot; <b>%s</b> balanced accuracy (the mean of the classes&rsquo; '
               'recalls: unbalanced classes cannot flatter it)</p>'
               '<p class="train-base">majority-class baseline (always &ldquo;%s&rdquo;): %s '
               'accuracy &middot; %s balanced accuracy</p>'
               % (_pct(s["accuracy"]), s["n_test"], _esc(v["description"]),
                  _pct(s.get("balanced_accuracy")), _esc(b["class"]), _pct(b["accuracy"]),
                  _pct(b.get("balanced_accuracy"))))
    return out


def _confusion(s):
    classes = s["classes"]
    cm = s["confusion"]
    out = ['<table class="cm"><caption>confusion matrix (rows: true class, columns: '
           'predicted)</caption><tr><th></th>']
    for c in classes:
        out.append("<th>%s</th>" % _esc(c))
    out.append("</tr>")
    for r in range(len(cm)):
        row = cm[r]
        total = sum(row)
        out.append("<tr><th>%s</th>" % _esc(classes[r]))
        for c in range(len(row)):
            frac = row[c] / total if total else 0
            ink = cell_ink(frac)
            out.append('<td style="background:%s;color:%s" title="%s as %s: %d">%d</td>'
                       % (cell_colour(frac), ink, _esc(classes[r]), _esc(classes[c]),
                          row[c], row[c]))
        out.append("</tr>")
    out.append('</table><table class="per-class"><tr><th>class</th><th>precision</th>'
               '<th>recall</th><th>windows</th></tr>')
    for i in range(len(classes)):
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td></tr>"
                   % (_esc(classes[i]), _pct(s["precision"][i]), _pct(s["recall"][i]),
                      s["support"][i]))
    out.append("</table>")
    return out


def _per_session(s, most=12):
    """Sessions worst first (the ones to look at); those with every window right summed up."""
    ps = s["per_session"]
    if not ps:
        return []
    wrong = sorted([p for p in ps if p["correct"] < p["n"]], key=lambda p: p["accuracy"])
    out = ['<table class="per-session"><caption>per session, worst first (each tested by a '
           'model that did not see it)</caption><tr><th>session</th><th>windows</th>'
           '<th>right</th></tr>']
    for p in wrong[:most]:
        low = ' class="low"' if p["accuracy"] < 0.8 else ""
        out.append("<tr%s><td>%s</td><td>%d</td><td>%s</td></tr>"
                   % (low, _esc(p["session"]), p["n"], _pct(p["accuracy"])))
    more, right = len(wrong) - min(len(wrong), most), len(ps) - len(wrong)
    notes = (["%d more with errors" % more] if more else []) + \
        (["%d session%s with every window right" % (right, "" if right == 1 else "s")]
         if right else [])
    if notes:
        out.append('<tr><td colspan="3">%s</td></tr>' % ", ".join(notes))
    out.append("</table>")
    return out


def _channels(ch):
    return ",".join(ch) if isinstance(ch, list) else "%s channels" % ch


def render(s):
    """HTML of a summary (see summary())."""
    out = _estimate(s)
    for w in s["validation"].get("warnings") or ():
        out.append('<p class="train-warn">%s</p>' % _esc(w))
    if s["estimate"]:
        out.append('<div class="train-tables">')
        out += _confusion(s)
        out += _per_session(s)
        out.append("</div>")
    z = s["size"]
    us = s["predict_us"]
    w = s["window"]
    out.append('<p class="train-size">model: %s windows of %s samples every %s at %s Hz from '
               '%s; <b>%d bytes</b> file, %d decision nodes in %d trees, about %d bytes of '
               'RAM in the emlearn C module; trees ≈ %s µs per window here (pure-Python '
               'predictor)%s; trained in %.1f s (longest stall %d ms) · hash <code>%s</code>'
               '</p>' % (s["n_windows"], w.get("window"), w.get("hop"), w.get("rate"),
                         _esc(_channels(w.get("channels"))),
                         z.get("file_bytes", s["bytes"]), z["nodes"], z["trees"],
                         z["c_bytes"], "–" if us is None else "%.0f" % us,
                         "" if s["classify_ms"] is None else
                         ", features + trees ≈ %.1f ms per window" % s["classify_ms"],
                         s["train_ms"] / 1000, s["max_stall_ms"], _esc(s["hash"][:16])))
    return "".join(out)


def device_summary(t):
    """The parts of a summary() that a device's kept evaluation has (t: GET /api/model's
    "trained_on_device", POST /api/train's answer): sessions by their ids."""
    ps = [dict(p, session="#%s" % p["session"]) for p in t.get("per_session") or ()]
    v = t["validation"]
    return {"validation": v, "estimate": v.get("estimate"), "classes": t["classes"],
            "n_windows": t["windows"], "accuracy": t.get("accuracy"),
            "balanced_accuracy": t.get("balanced_accuracy"), "baseline": t["baseline"],
            "n_test": sum(p["n"] for p in ps), "per_session": ps, "on_device": True}


def render_device(t):
    """HTML of the evaluation a device keeps with a model it trained: said as such, then the
    estimate (or why there is none), the baseline and the per-session table, as for a model
    trained here."""
    s = device_summary(t)
    p = t.get("params") or {}
    out = ['<p class="device-made"><b>trained on the device</b> from %d windows of %d '
           'sessions (%s trees, depth %s, %s)</p>'
           % (s["n_windows"], len(t.get("sessions") or ()), p.get("n_trees", "?"),
              p.get("max_depth", "?"), _esc(p.get("method", "extra")))]
    out += _estimate(s)
    for w in s["validation"].get("warnings") or ():
        out.append('<p class="train-warn">%s</p>' % _esc(w))
    if s["estimate"]:
        out += _per_session(s)
    return "".join(out)

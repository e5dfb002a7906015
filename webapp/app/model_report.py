# HTML of a training result for the train panel: accuracy, per-class precision/recall, the
# confusion matrix as a table heatmap (cell colour = share of the true class's windows; no
# plotting library needed) and the model's size and speed. Pure string building, no DOM access,
# so it is tested on CPython/MicroPython unix. Memory: one string per render.


def _esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(v):
    return "–" if v is None else "%.1f%%" % (100 * v)


def summary(r, train_ms, stall_ms, classify_ms=None):
    """The JSON-friendly part of a shared.pipeline result (window.motebook.training)."""
    m = r["metrics"]
    return {"hash": r["hash"], "accuracy": m["accuracy"], "precision": m["precision"],
            "recall": m["recall"], "support": m["support"], "confusion": m["confusion"],
            "classes": m.get("classes"), "n_test": m["n"], "validation": r["validation"],
            "size": r["size"], "predict_us": r["predict_us"], "classify_ms": classify_ms,
            "n_windows": r["n_windows"], "n_train": r["n_train"], "params": r["params"],
            "train_ms": train_ms, "max_stall_ms": stall_ms, "bytes": len(r["text"])}


def cell_colour(frac):
    """Background of a confusion-matrix cell: white (0) to deep blue (1)."""
    f = 0.0 if frac is None else max(0.0, min(1.0, frac))
    light = int(97 - 55 * f)
    return "hsl(212,70%%,%d%%)" % light


def render(s):
    """HTML of a summary (see summary())."""
    classes = s["classes"] or [str(i) for i in range(len(s["confusion"]))]
    cm = s["confusion"]
    out = ['<p class="train-acc"><b>%s</b> accuracy on %d held-out windows (%s; trained on %d '
           'of %d windows in %.1f s, longest stall %d ms)</p>'
           % (_pct(s["accuracy"]), s["n_test"], _esc(s["validation"]), s["n_train"],
              s["n_windows"], s["train_ms"] / 1000, s["max_stall_ms"])]
    out.append('<div class="train-tables"><table class="cm"><caption>confusion matrix '
               '(rows: true class, columns: predicted)</caption><tr><th></th>')
    for c in classes:
        out.append("<th>%s</th>" % _esc(c))
    out.append("</tr>")
    for r in range(len(cm)):
        row = cm[r]
        total = sum(row)
        out.append("<tr><th>%s</th>" % _esc(classes[r]))
        for c in range(len(row)):
            frac = row[c] / total if total else 0
            ink = "#fff" if frac > 0.55 else "#222"
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
    out.append("</table></div>")
    z = s["size"]
    us = s["predict_us"]
    out.append('<p class="train-size">model: <b>%d bytes</b> file, %d nodes (%d leaves, %d '
               'trees), about %d bytes of RAM in the emlearn C module; trees ≈ %s µs per window '
               'here (pure-Python predictor)%s · hash <code>%s</code></p>'
               % (z.get("file_bytes", s["bytes"]), z["nodes"], z["leaves"], z["trees"],
                  z["c_bytes"], "–" if us is None else "%.0f" % us,
                  "" if s["classify_ms"] is None else
                  ", features + trees ≈ %.1f ms per window" % s["classify_ms"],
                  _esc(s["hash"][:16])))
    return "".join(out)

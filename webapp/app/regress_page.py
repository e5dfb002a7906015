# Train's "value" mode ("how much?", issue 21): the chosen sessions' value labels (a session's
# value, or value segments: shared.values) -> window features (the "spectral" set for the
# spectrometer and the room, else the motion set: shared.features.make_extractor) -> an honest
# estimate by shared.regress_eval (sessions of one value held out together, so the figure is
# for values the model never saw; by session when there are too few values), then the model on
# every window (shared.regress.Regressor), written by shared.modelformat (kind "regress":
# target, unit, range) and read back by its one reader, as the device will. No estimate (too
# few sessions, one value) -> no model, the reason naming the sessions. Pure Python over
# recordings (no browser imports), so webapp/tests drive it on CPython; loaded with the value
# mode's first training. Memory: the windows' features (a float list per window, then one
# int16 table) while training; afterwards the model, its file text and the plot's points.
# The report and the live value are drawn by app/view_regress.py.
from array import array

from shared import features as F
from shared import modelformat as MF
from shared import values as V
from shared.pipeline import model_hash
from shared.quant import Quantizer
from shared.regress import Regressor
from shared.regress_eval import check_sessions, cross_validate_steps
from shared.regressformat import make_value_meta

from app.train import number

SPECTRAL = ("spectrometer", "room")   # sensors whose windows take the "spectral" feature set
PLOT_POINTS = 600                     # (true, predicted) points kept for the plot
LAST = {}                             # "result": the last trained result (the views draw it)


def options(a):
    """The forest and the folds from the Train form."""
    return {"n_trees": number(a, "n_trees", 10, 1, 100),
            "max_depth": number(a, "max_depth", 12, 1, 30),
            "min_samples_leaf": number(a, "min_samples_leaf", 1, 1, 50),
            "method": "rf" if a.get("method") == "rf" else "extra",
            "seed": number(a, "seed", 1, 0, 2 ** 30), "folds": number(a, "folds", 5, 2, 20)}


def feature_set(sensor, channels):
    """The feature set of windows from this sensor (its channels when the sensor is unknown)."""
    from shared import dye
    if sensor in SPECTRAL or list(channels) == list(dye.CHANNELS):
        return "spectral"
    return "motion"


def _fmt(v):
    return "%.4g" % v


def steps(recs, window, hop, opts, sensor, out):
    """Train and evaluate in steps: yields {"stage", "done"} (done 0..1) between slices of
    work; at the end out["summary"] (for the page) and out["result"] (for Deploy, or None when
    there is no honest estimate). ValueError/DatasetError naming what to do."""
    if not recs:
        raise ValueError("choose the sessions with values (the list above)")
    names = dict((r.sid, r.name) for r in recs)
    without = [r.name for r in recs if getattr(r, "value", None) is None]
    vw = V.value_windows(recs, window, hop)     # (refuses bad values/units, naming the session)
    if vw.name is None:
        raise ValueError("none of the chosen sessions has a value: label them with a value "
                         "and unit (e.g. concentration 0.25 mmol/L), or record them from a "
                         "sensor that labels its sessions (the simulated spectrometer)")
    if not len(vw):
        raise ValueError("no window of %d samples lies inside a value: shorten the window or "
                         "record longer sessions" % window)
    unit = vw.unit
    sess = [names[g] for g in vw.groups]
    base = {"kind": "regress", "target": vw.name, "unit": unit, "windows": len(vw),
            "sessions_n": len(set(sess)), "without": without, "model": False,
            "window": {"rate": vw.rate, "window": window, "hop": hop,
                       "channels": list(vw.channels)}}
    why = check_sessions(vw.y, sess, unit)
    if why:
        base.update({"estimate": None, "reason": why})
        out["summary"], out["result"] = base, None
        return
    fs = feature_set(sensor, vw.channels)
    fe = F.make_extractor(fs, len(vw.channels), window, vw.rate)
    nf = fe.n_features
    o = fe.new_output()
    rows = []
    for i in range(len(vw)):
        fe.compute(vw.windows[i], o, vw.scales[i])
        rows.append(list(o))
        if i % 100 == 99:
            yield {"stage": "features %d/%d" % (i + 1, len(vw)), "done": 0.1 * i / len(vw)}
    q = Quantizer.fit(rows)
    X = array("h", bytes(2 * len(rows) * nf))
    for i in range(len(rows)):
        qr = q.quantize(rows[i])
        for j in range(nf):
            X[i * nf + j] = qr[j]
    rows = None
    y = vw.y
    prm = dict((k, opts[k]) for k in ("n_trees", "max_depth", "min_samples_leaf", "method"))
    # sessions of one value are held out together (the estimate is for a value never
    # trained on); with fewer than 3 values, session by session (said in the report)
    values = ["%g" % v for v in y]
    by_value = len(set(values)) >= 3 and len(set(values)) < len(set(sess))
    cv = {}
    for p in cross_validate_steps(X, y, values if by_value else sess, nf, cv, opts["folds"],
                                  opts["seed"], unit, sessions=sess, **prm):
        yield {"stage": "evaluating: fold %d/%d" % (p["fold"], p["folds"]),
               "done": 0.1 + 0.7 * p["done"]}
    cv = cv["result"]
    r = Regressor(X, y, nf, seed=opts["seed"], **prm)
    for p in r.steps():
        yield {"stage": "the model on every window: tree %d/%d" % (p["tree"], p["trees"]),
               "done": 0.8 + 0.2 * p["done"]}
    model = r.model()
    win = dict(base["window"])
    if sensor:
        win["sensor"] = sensor          # (the device refuses it for another sensor)
    meta = make_value_meta(fe.names, vw.name, unit, (min(y), max(y)), q, win,
                           feature_set=fs)
    text = MF.dumps(model, meta)
    loaded = MF.loads(text)             # the one reader: what the device will check too
    h = model_hash(text)
    est = cv["estimate"]
    pts = cv["points"]
    step = max(1, (len(pts) + PLOT_POINTS - 1) // PLOT_POINTS)
    rows = [dict((k, round(s[k], 4) if isinstance(s[k], float) else s[k])
                 for k in ("session", "n", "truth", "predicted", "mae", "rmse"))
            for s in cv["sessions"]]
    worst = max(rows, key=lambda s: s["mae"])
    base.update({
        "model": True, "hash": h, "feature_set": fs, "n_features": nf, "folds": cv["folds"],
        "by_value": by_value, "values_n": len(set(values)), "params": prm,
        "estimate": dict((k, round(v, 5) if isinstance(v, float) else v)
                         for k, v in est.items()),
        "sessions": rows, "worst": worst, "range": [min(y), max(y)],
        "points": [[round(a, 4), round(b, 4)] for a, b in pts[::step]],
        "nodes": model.n_nodes, "trees": len(model.roots), "bytes": len(text),
        "promise": ("on %s expect errors of about %s %s (MAE)" % (
            "unseen values" if by_value else "unseen sessions", _fmt(est["mae"]), unit)),
        "sensor": sensor})
    result = {"kind": "regress", "text": text, "hash": h, "model": loaded, "window": win,
              "hop": hop}
    LAST["result"] = result
    out["summary"], out["result"] = base, result

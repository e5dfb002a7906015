# How good a regression model is, honestly: splits by session, MAE, RMSE and R² against the
# mean-value baseline (the training rows' mean, what a model that learnt nothing would say),
# per-session errors, the (true, predicted) pairs of a predicted-versus-true plot, and no
# estimate at all when there are too few sessions (check_sessions says why).
# Memory: index arrays ('H'/'I') for splits; predictions in one list of floats per evaluation.
#
# Why by session: windows of one session share a true value (one dye concentration, one room
# on one day), so a window-level split tests on near-copies of training data. Sessions are dealt
# to folds in order of their mean value, so each fold spans the range of values.
from array import array

from shared.dataset import natural_sorted
from shared.evaluate import group_kfold

MIN_SESSIONS = 3        # sessions with a value: train on 2 or more, test on another
MIN_VALUES = 2          # distinct session values: one value is nothing to estimate


def predict_values(model, X, rows, n_features):
    """The model's value for each sample in rows (X flat array('h'), row-major)."""
    x = array("h", [0] * n_features)
    out = []
    for r in rows:
        b = r * n_features
        for j in range(n_features):
            x[j] = X[b + j]
        out.append(model.predict(x))
    return out


def _mean(v):
    return sum(v) / len(v) if len(v) else None


def session_values(y, groups):
    """{session: mean target of its windows}."""
    acc = {}
    for i in range(len(y)):
        a = acc.get(groups[i])
        if a is None:
            a = acc[groups[i]] = [0, 0.0]
        a[0] += 1
        a[1] += y[i]
    return {g: acc[g][1] / acc[g][0] for g in acc}


def check_sessions(y, groups, unit=""):
    """None when an estimate on unseen sessions can be made, else why not and the fix (naming
    the sessions there are)."""
    sv = session_values(y, groups)
    names = natural_sorted(sv)
    have = ", ".join("%s (%s%s)" % (g, _fmt(sv[g]), " " + unit if unit else "") for g in names)
    if len(names) < MIN_SESSIONS:
        return ("too few sessions for an honest estimate: %d (%s). A value needs at least %d "
                "sessions, so that it is tested on a session the model did not learn from: "
                "record (or import) %d more" % (len(names), have or "none", MIN_SESSIONS,
                                                MIN_SESSIONS - len(names)))
    if len(set(sv[g] for g in names)) < MIN_VALUES:
        return ("every session has the same value (%s): there is nothing to estimate. Record "
                "sessions at other values" % have)
    return None


def _fmt(v):
    return ("%.4g" % v) if isinstance(v, float) else str(v)


def session_kfold(y, groups, k=5, seed=1):
    """k (train, test) index-array pairs, every session wholly in one test fold; sessions in
    order of their mean value are dealt in blocks of k (shuffled within a block), so each fold
    gets one of every k neighbouring values. k is capped at the number of sessions."""
    sv = session_values(y, groups)
    names = sorted(natural_sorted(sv), key=lambda g: sv[g])
    k = max(2, min(k, len(names)))
    block = {}
    for r in range(len(names)):
        block[names[r]] = r // k
    labels = bytearray(len(y)) if len(names) // k < 256 else array("H", [0] * len(y))
    for i in range(len(y)):
        labels[i] = block[groups[i]]
    return group_kfold(labels, groups, k, seed, n_classes=(len(names) + k - 1) // k)


def metrics(truth, pred, baseline=None):
    """{"n", "mae", "rmse", "r2", "baseline", "baseline_mae", "baseline_rmse"}. R² is
    1 - SSE(model) / SSE(baseline): baseline is what a model that learnt nothing predicts (the
    training mean: one number, or one per window when folds differ); None takes the mean of
    truth (scikit-learn's r2_score). "baseline" reports its mean. R² is None when the baseline
    is never wrong; every ratio over no samples is None (JSON null, not NaN)."""
    n = len(truth)
    if not n:
        return {"n": 0, "mae": None, "rmse": None, "r2": None, "baseline": None,
                "baseline_mae": None, "baseline_rmse": None}
    if baseline is None:
        baseline = _mean(truth)
    one = isinstance(baseline, (int, float))
    ae = se = bae = bse = 0.0
    for i in range(n):
        d = pred[i] - truth[i]
        b = (baseline if one else baseline[i]) - truth[i]
        ae += abs(d)
        se += d * d
        bae += abs(b)
        bse += b * b
    return {"n": n, "mae": ae / n, "rmse": (se / n) ** 0.5,
            "r2": 1 - se / bse if bse > 0 else None,
            "baseline": baseline if one else _mean(baseline),
            "baseline_mae": bae / n, "baseline_rmse": (bse / n) ** 0.5}


def per_session(truth, pred, groups):
    """[{"session", "n", "truth", "predicted", "mae", "rmse"}] per session in natural order
    (truth and predicted: the session's means); parallel sequences, one entry per window."""
    acc = {}
    for i in range(len(truth)):
        a = acc.get(groups[i])
        if a is None:
            a = acc[groups[i]] = [0, 0.0, 0.0, 0.0, 0.0]
        d = pred[i] - truth[i]
        a[0] += 1
        a[1] += truth[i]
        a[2] += pred[i]
        a[3] += abs(d)
        a[4] += d * d
    return [{"session": g, "n": acc[g][0], "truth": acc[g][1] / acc[g][0],
             "predicted": acc[g][2] / acc[g][0], "mae": acc[g][3] / acc[g][0],
             "rmse": (acc[g][4] / acc[g][0]) ** 0.5} for g in natural_sorted(acc)]


def cross_validate(X, y, groups, n_features, k=5, seed=1, unit="", **params):
    """Out-of-session estimate: a Regressor(**params) per fold of session_kfold, each test
    window predicted by the model that did not see its session. Returns {"estimate": None,
    "reason"} when check_sessions refuses, else {"estimate": metrics (baseline per fold: its
    training mean), "sessions": per_session, "points": [(true, predicted)], "folds"}."""
    out = {}
    for _ in cross_validate_steps(X, y, groups, n_features, out, k, seed, unit, **params):
        pass
    return out["result"]


def cross_validate_steps(X, y, groups, n_features, out, k=5, seed=1, unit="", sessions=None,
                         **params):
    """cross_validate() in steps (a page yields to the browser between them): yields
    {"fold", "folds", "done"} (done: the fraction of all folds' trees grown) as the trees
    grow; at the end out["result"] is cross_validate()'s answer. sessions: per-window names
    the per-session errors are given by when the folds' groups are others (e.g. sessions of
    one value held out together); default groups."""
    from shared.regress import Regressor
    why = check_sessions(y, groups, unit)
    if why:
        out["result"] = {"estimate": None, "reason": why}
        return
    truth, pred, base, gs = [], [], [], []
    folds = session_kfold(y, groups, k, seed)
    for f in range(len(folds)):
        train, test = folds[f]
        r = Regressor(X, y, n_features, rows=train, seed=seed, **params)
        for p in r.steps():
            yield {"fold": f + 1, "folds": len(folds), "done": (f + p["done"]) / len(folds)}
        model = r.model()
        b = _mean([y[i] for i in train])
        p = predict_values(model, X, test, n_features)
        for j in range(len(test)):
            i = test[j]
            truth.append(y[i])
            pred.append(p[j])
            base.append(b)
            gs.append((sessions or groups)[i])
    out["result"] = {"estimate": metrics(truth, pred, base),
                     "sessions": per_session(truth, pred, gs),
                     "points": [(truth[i], pred[i]) for i in range(len(truth))],
                     "folds": len(folds)}

# "Is this normal?" trained honestly: sessions of normal running -> an anomaly model (shared.anomaly)
# whose threshold is set on normal sessions the model did not see, for a false-alarm rate the user
# chooses, with THE hysteresis rule (shared.hysteresis), and a report by session next to a simple
# baseline (the window's RMS above the normal sessions' 99.9th percentile). Page, notebook, bench.
# Memory: one feature table per session (n x D float32), one score array per session and kind;
# the leave-one-session-out fits hold one concatenated copy of the other sessions' rows. The
# pure-Python fits make a float per covariance term: on MicroPython-WASM, which collects only
# between JavaScript's calls, await between Training().steps() so each fit's garbage can go.
#
# The rule (what a few minutes of data can and cannot show):
#  1. Held-out scores: each normal session is scored by a model fitted on the OTHER normal
#     sessions (leave one session out), so drift between sessions counts against us.
#  2. A false alarm is an OFF -> ON change of Hysteresis(n, m) (on at n of the last m windows
#     above the threshold, off at none). Each alarm needs n windows over the threshold that no
#     earlier alarm used (it can only start from m clear windows), so
#         alarms per hour <= (windows over the threshold per hour) / n,
#     whatever the windows' overlap. The threshold is set so the held-out per-window exceedance
#     rate p is at most n * target / W (W: windows per hour at the hop) — a bound, not a guess
#     about how exceedances cluster.
#  3. p that small (about 5e-4 at 1 alarm/hour, 100 Hz, hop 64, n = 3) is below what minutes of
#     data can count, so p(t) beyond the data is extrapolated from an exponential tail fitted to
#     the top TAIL of the held-out scores (peaks over threshold; the mean excess is taken at two
#     levels and the larger used, so a heavier-than-exponential tail gets the higher threshold).
#     The extrapolation goes at most MAX_EXTRAPOLATION times below 1 / (held-out windows), with
#     at least MIN_TAIL windows in the tail and MIN_SESSIONS normal sessions; with less, nothing
#     is promised ("need_more" says how many more sessions and minutes).
#  4. And the measured check: the threshold is raised until the held-out sessions themselves
#     give no more alarms than the target allows over the measured time (floor(target x hours)).
#  5. The final model is fitted on all normal sessions and takes that threshold (a model on more
#     data usually scores new normal windows lower than the held-out ones did: conservative).
#  Checked on the simulated machine (test_anomaly_train_machine): 4 x 70 s of normal running,
#  then 10 new minutes give no alarm; the measured check (4) alone gave 3 in those 10 minutes.
# The baseline: the window's RMS over the 99.9th percentile of the normal sessions' RMS, the same
# hysteresis and figures (a normal session's with the percentile of the OTHER sessions).
# kind="auto" tries AUTO_KINDS: with labelled faults it takes the best ROC AUC (fault windows
# vs held-out normal windows), else the kind whose held-out tail is most even across sessions
# (the largest share of one session's windows above the pooled 95th percentile, / 0.05: 1 is
# even, large means one session's drift was not learnt); ties go to the earlier kind.
#
#   r = anomaly_train.train(sessions, {"rate": 100, "window": 128, "channels": 3}, hop=64)
#   t = anomaly_train.Training()                 # or a fit at a time (await between):
#   for line in t.steps(sessions, window, hop=64): await asyncio.sleep_ms(0)
#   r = t.result
#   r["model"], r["threshold"], r["promise"], r["need_more"], r["sessions"], r["scores"][sid]
# Figures: a normal session's scores are its held-out scores; a fault session's are the final
# model's (it saw no fault session). Time to detect: from the start of the episode's first
# fault window (fault_flags: the first window holding a fault sample, so up to a window before
# the true onset: never too short) to the end of the window at which the state turned ON (the
# device knows the state when that window is complete).
from array import array
import gc
import math

from shared import anomaly
from shared.compat import isfinite
from shared.hysteresis import Hysteresis, check as check_hysteresis

AUTO_KINDS = ("envelope", "gmm")
MIN_SESSIONS = 3            # normal sessions: leave one out still fits on two
MIN_TAIL = 25               # held-out windows in the fitted tail
TAIL = 0.1                  # the top share of held-out scores the tail is fitted to
MAX_EXTRAPOLATION = 20.0    # the promised exceedance may be at most this far below 1/N
BASELINE_QUANTILE = 0.999
_EVEN_Q = 0.95


def _nch(window):
    c = window["channels"]
    return c if isinstance(c, int) else len(c)


def quantile(values, q):
    """The q quantile (linear interpolation) of a sequence of numbers."""
    s = sorted(values)
    if not s:
        raise ValueError("no values")
    x = q * (len(s) - 1)
    i = int(x)
    if i >= len(s) - 1:
        return s[-1]
    return s[i] + (s[i + 1] - s[i]) * (x - i)


def roc_auc(pos, neg):
    """Area under the ROC curve of scores pos (positives) vs neg (higher = positive), ties
    counted half (the Mann-Whitney statistic); None when a side is empty."""
    if not pos or not neg:
        return None
    pairs = sorted([(float(v), 1) for v in pos] + [(float(v), 0) for v in neg])
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        r = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            if pairs[k][1]:
                rank_sum += r
        i = j + 1
    P, N = len(pos), len(neg)
    return (rank_sum - P * (P + 1) / 2.0) / (P * N)


def rms_scores(windows, nch, scale):
    """Each window's RMS about its channel means (vibration without gravity), in units."""
    out = array("f", bytes(4 * len(windows)))
    for w in range(len(windows)):
        x = windows[w]
        n = len(x) // nch
        tot = 0.0
        for c in range(nch):
            s = s2 = 0
            for i in range(c * n, (c + 1) * n):
                v = x[i]
                s += v
                s2 += v * v
            tot += s2 - s * s / n
        out[w] = math.sqrt(max(0.0, tot) / (n * nch)) * scale
    return out


def state_trace(scores, threshold, n, m):
    """(bytearray: the hysteresis state after each window, [indexes of OFF -> ON changes])."""
    h = Hysteresis(n, m)
    on = bytearray(len(scores))
    starts = []
    for i in range(len(scores)):
        if h.update(scores[i] > threshold) and h.on:
            starts.append(i)
        on[i] = 1 if h.on else 0
    return on, starts


def episodes(labels):
    """[(first, end)] runs of consecutive 1s of per-window 0/1 labels (end excluded)."""
    out = []
    i = 0
    while i < len(labels):
        if labels[i]:
            j = i
            while j < len(labels) and labels[j]:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def fault_flags(segments, n_samples, window, hop, normal="normal"):
    """A session's "fault_windows" from its label segments [(start, end, class name)]: per
    window start 0, hop, ...: 1 when a segment of a class other than `normal` overlaps the
    window (a window across the onset holds fault samples); None when no segment names a fault
    (a session of normal running). One rule for the page, the notebook and the tests."""
    faults = [(a, b) for a, b, c in segments if c != normal]
    if not faults:
        return None
    return [1 if any(a < k + window and b > k for a, b in faults) else 0
            for k in range(0, n_samples - window + 1, hop)]


def _no_alarm_threshold(seqs, n, m):
    """The lowest threshold at which no sequence of scores gives an alarm: the largest, over
    every m consecutive windows, of their n-th largest score (alarm = n of the last m over)."""
    t = -1e30
    for s in seqs:
        for e in range(n, len(s) + 1):
            win = sorted(s[max(0, e - m):e])
            if len(win) >= n:
                t = max(t, win[-n])
    return t


def _alarm_count(seqs, t, n, m):
    return sum(len(state_trace(s, t, n, m)[1]) for s in seqs)


def _measured_threshold(seqs, allowed, n, m):
    """Lowest threshold (among the scores) with at most `allowed` held-out alarms: with none
    allowed, exact; else by bisection over the sorted scores (fewer flags can split an
    episode, so the count is only nearly monotone: the result is checked)."""
    t0 = _no_alarm_threshold(seqs, n, m)
    if allowed <= 0:
        return t0
    cand = sorted(set(v for s in seqs for v in s if v <= t0))
    lo, hi = 0, len(cand)           # cand[hi] (or t0) is known good
    while lo < hi:
        mid = (lo + hi) // 2
        if _alarm_count(seqs, cand[mid], n, m) <= allowed:
            hi = mid
        else:
            lo = mid + 1
    return cand[lo] if lo < len(cand) else t0


def tail_threshold(scores, p):
    """(threshold, tail dict) where the exponential tail fitted to the top TAIL of scores gives
    exceedance probability p. The mean excess is measured over the 1-TAIL and the 1-TAIL/2
    quantiles and the larger used (conservative for heavy tails)."""
    N = len(scores)
    s = sorted(scores)
    k = max(2, int(TAIL * N))
    u = s[N - k - 1] if N > k else s[0]
    ex = [v - u for v in s[N - k:]]
    beta = sum(ex) / len(ex)
    k2 = max(2, k // 2)
    u2 = s[N - k2 - 1]
    beta2 = sum(v - u2 for v in s[N - k2:]) / k2
    b = max(beta, beta2, 1e-12)
    q_u = k / N
    t = u + b * math.log(q_u / p) if p < q_u else quantile(scores, 1.0 - p)
    return t, {"u": u, "share": q_u, "beta": beta, "beta_top": beta2, "windows": k}


def _check_scores(scores, what):
    for i in range(len(scores)):
        if not isfinite(scores[i]):
            raise ValueError("%s: window %d scores %r (NaN/inf): the model is unusable; check "
                             "the data for broken windows" % (what, i, scores[i]))


def _concat(tables, D):
    X = array("f")
    for t in tables:
        X.extend(t)
    return X


def _sid(s):
    return str(s["id"])


class _Fitter:
    """Fits of one kind: the final model on all normal tables, then one per held-out session
    with the final model's gmm choice (a fold's score scale then matches the final model's)."""

    def __init__(self, kind, tables, D, seed, opts):
        self.kind, self.D = kind, D
        self.opts = dict(opts)
        self.opts.setdefault("contamination", 0.02)
        try:
            # (its own threshold is replaced: 2 internal folds, the fewest fit() takes)
            self.final = anomaly.fit(_concat(tables, D), D, kind, seed=seed, folds=2,
                                     **self.opts)
        except ValueError as e:
            raise ValueError("%s model on all normal sessions: %s" % (kind, e))
        if kind == "gmm":
            self.opts["ks"] = (self.final.params["k"],)
            self.opts["types"] = (self.final.params["type"],)
        self.seed = seed

    def heldout(self, tables, names, out):
        """Scores of each normal table by a model fitted on the other tables, appended to out
        (a generator: yields after each fit)."""
        for i in range(len(tables)):
            gc.collect()
            rest = _concat(tables[:i] + tables[i + 1:], self.D)
            try:
                mdl = anomaly.fit(rest, self.D, self.kind, seed=self.seed, folds=2, **self.opts)
            except ValueError as e:
                raise ValueError("%s model without session %s: %s" % (self.kind, names[i], e))
            s = array("f", bytes(4 * (len(tables[i]) // self.D)))
            mdl.score_rows(tables[i], s)
            _check_scores(s, "session %s held out (%s)" % (names[i], self.kind))
            out.append(s)
            yield "%s without session %s" % (self.kind, names[i])


def _set_threshold(model, t):
    """Give a fitted shared.anomaly model the threshold t (its scorer too)."""
    model.threshold = t
    p = model.params
    if model.kind == "envelope":
        model.scorer.setdata(array("f", p["mean"]), array("f", p["precision"]), t)
    elif model.kind == "gmm":
        model.scorer.setdata(array("f", p["means"]), array("f", p["prec_chol"]),
                             array("f", p["log_weights"]), t)
    else:
        model.scorer.threshold = t


def _evenness(heldout):
    pooled = [v for s in heldout for v in s]
    q = quantile(pooled, _EVEN_Q)
    worst = 0.0
    for s in heldout:
        if len(s):
            worst = max(worst, sum(1 for v in s if v > q) / len(s))
    return worst / (1.0 - _EVEN_Q)


def _figures(scores, labels, t, n, m, hop_s, window_s, normal_pool):
    """One session's figures at threshold t: alarms (OFF -> ON at a window not in a fault),
    and with labels: fault episodes raised, ROC AUC vs normal_pool, times to detect."""
    on, starts = state_trace(scores, t, n, m)
    hours = len(scores) * hop_s / 3600.0
    false = [i for i in starts if not (labels and labels[i])]
    f = {"windows": len(scores), "minutes": round(hours * 60.0, 3), "false_alarms": len(false),
         "false_alarms_per_hour": len(false) / hours if hours > 0 else None,
         "over_threshold": sum(1 for v in scores if v > t)}
    if labels and any(labels):
        eps = episodes(labels)
        ttd = []
        for a, b in eps:
            # the state turned ON at window j (known when j is complete): the first ON in the
            # episode, or the turn-on it was already in at its first window (windows across
            # the onset are over the threshold too: not before the fault's, then 0 s)
            j = next((k for k in range(a, min(len(on), b + 1)) if on[k]), None)
            if j == a and a > 0 and on[a - 1]:
                j = max([k for k in starts if k < a] or [a])
            if j is not None:
                ttd.append(round(max(0.0, (j - a) * hop_s + window_s), 3))
        pos = [scores[i] for i in range(len(scores)) if labels[i]]
        neg = list(normal_pool) + [scores[i] for i in range(len(scores)) if not labels[i]]
        f.update({"episodes": len(eps), "detected": len(ttd),
                  "detection_rate": len(ttd) / len(eps), "roc_auc": roc_auc(pos, neg),
                  "time_to_detect": ttd, "time_to_detect_max": max(ttd) if ttd else None})
    return f


def _pooled(per):
    """Totals over sessions' figures (normal ones for the alarm rate)."""
    out = {}
    nm = [f for f in per if f.get("normal")]
    mins = sum(f["minutes"] for f in nm)
    out["normal_minutes"] = round(mins, 3)
    out["false_alarms"] = sum(f["false_alarms"] for f in nm)
    out["false_alarms_per_hour"] = out["false_alarms"] / (mins / 60.0) if mins > 0 else None
    fl = [f for f in per if "episodes" in f]
    if fl:
        e = sum(f["episodes"] for f in fl)
        d = sum(f["detected"] for f in fl)
        ttd = [x for f in fl for x in f["time_to_detect"]]
        out.update({"episodes": e, "detected": d, "detection_rate": d / e if e else None,
                    "time_to_detect_max": max(ttd) if ttd else None})
    return out


def train(sessions, window, kind="auto", false_alarms_per_hour=1.0, hysteresis=(3, 5),
          hop=None, seed=1, fft="auto", **opts):
    """Sessions of normal running (and optionally sessions with labelled faults) -> the model
    with an honest threshold and its report (see the header). sessions: [{"id", "windows"
    (channel-major int16 arrays as shared.windowing cuts them), "scale", "normal": bool,
    "fault_windows": per-window 0/1 or None}]; window: {"rate", "window", "channels"[, "hop"]}.
    opts go to shared.anomaly.fit (ks, types, reg_covar, k, ...). ValueError on bad input.
    (Training().steps(...) does the same a fit at a time.)"""
    t = Training()
    for _ in t.steps(sessions, window, kind, false_alarms_per_hour, hysteresis, hop, seed,
                     fft, **opts):
        pass
    return t.result


class Training:
    """steps(...) yields a line of progress after each model fit (a page or notebook awaits
    between them, so a long gmm search does not freeze it); .result is then train()'s report."""

    def __init__(self):
        self.result = None

    def steps(self, *a, **kw):
        self.result = None
        for line in _steps(self, *a, **kw):
            yield line


def _steps(out, sessions, window, kind="auto", false_alarms_per_hour=1.0, hysteresis=(3, 5),
           hop=None, seed=1, fft="auto", **opts):
    """train()'s work, yielding after each fit; the report goes to out.result."""
    n, m = hysteresis
    why = check_hysteresis(n, m)
    if why:
        raise ValueError(why)
    if not (isinstance(false_alarms_per_hour, (int, float)) and false_alarms_per_hour > 0):
        raise ValueError("false_alarms_per_hour must be a positive number")
    kinds = AUTO_KINDS if kind == "auto" else (kind,)
    for k in kinds:
        if k not in anomaly.KINDS:
            raise ValueError("kind must be 'auto' or one of %s" % (anomaly.KINDS,))
    rate = window["rate"]
    hop = hop or window.get("hop") or window["window"]
    hop_s, window_s = hop / rate, window["window"] / rate
    per_hour = 3600.0 / hop_s
    nch = _nch(window)
    normal = [s for s in sessions if s.get("normal")]
    other = [s for s in sessions if not s.get("normal")]
    for s in sessions:
        fw = s.get("fault_windows")
        if fw is not None and len(fw) != len(s["windows"]):
            raise ValueError("session %s: %d fault labels for %d windows"
                             % (_sid(s), len(fw), len(s["windows"])))
    normal = [s for s in normal if len(s["windows"])]
    if len(set(_sid(s) for s in sessions)) != len(sessions):
        raise ValueError("two sessions have the same id")
    if len(normal) < 2:
        raise ValueError("choose at least 2 sessions of normal running with windows (got %d); "
                         "%d give a promised threshold" % (len(normal), MIN_SESSIONS))
    names = [_sid(s) for s in normal]
    tables, D = [], None
    feats = {}
    for s in sessions:
        if not len(s["windows"]):
            feats[_sid(s)] = array("f")
            continue
        try:
            X, D = anomaly.feature_table(s["windows"], window, [s.get("scale", 1.0)] * len(
                s["windows"]), fft)
        except ValueError as e:
            raise ValueError("session %s: %s" % (_sid(s), e))
        for i in range(len(X)):
            if not isfinite(X[i]):
                raise ValueError("session %s, window %d: feature %d is %r (NaN/inf: check its "
                                 "samples and scale)" % (_sid(s), i // D, i % D, X[i]))
        feats[_sid(s)] = X
    tables = [feats[x] for x in names]
    # every kind: final model, held-out normal scores, fault-session scores
    tried = {}
    for k in kinds:
        fit = _Fitter(k, tables, D, seed, opts)
        yield "%s on all normal sessions" % k
        held = []
        for line in fit.heldout(tables, names, held):
            yield line
        faults = {}
        for s in other:
            sc = array("f", bytes(4 * len(s["windows"])))
            if len(sc):
                fit.final.score_rows(feats[_sid(s)], sc)
                _check_scores(sc, "session %s (%s)" % (_sid(s), k))
            faults[_sid(s)] = sc
        pooled = [v for h in held for v in h]
        pos = [v for s in other if s.get("fault_windows")
               for v, f in zip(faults[_sid(s)], s["fault_windows"]) if f]
        tried[k] = {"fit": fit, "held": held, "faults": faults,
                    "roc_auc": roc_auc(pos, pooled), "evenness": _evenness(held)}
    if len(kinds) == 1:
        chosen = kinds[0]
    elif any(tried[k]["roc_auc"] is not None for k in kinds):
        chosen = max(kinds, key=lambda k: (tried[k]["roc_auc"] or 0.0, -kinds.index(k)))
        why_kind = "best held-out ROC AUC on the labelled faults"
    else:
        chosen = min(kinds, key=lambda k: (round(tried[k]["evenness"], 6), kinds.index(k)))
        why_kind = "held-out tail most even across sessions (no labelled faults)"
    T = tried[chosen]
    held = T["held"]
    pooled = [v for h in held for v in h]
    N = len(pooled)
    minutes = N * hop_s / 60.0
    # the threshold (see the header)
    p_target = n * false_alarms_per_hour / per_hour
    t_tail, tail = tail_threshold(pooled, p_target)
    allowed = int(false_alarms_per_hour * minutes / 60.0)
    t_meas = _measured_threshold(held, allowed, n, m)
    threshold = max(t_tail, t_meas)
    need_windows = max(int(math.ceil(MIN_TAIL / TAIL)),
                       int(math.ceil(1.0 / (MAX_EXTRAPOLATION * p_target))))
    more_sessions = max(0, MIN_SESSIONS - len(normal))
    more_windows = max(0, need_windows - N)
    need = {"sessions": more_sessions,
            "minutes": round(more_windows * hop_s / 60.0 + 0.0049, 2)}
    need_more = None
    if more_sessions or more_windows:
        parts = []
        if more_sessions:
            parts.append("%d more session%s of normal running (%d in all: the threshold is "
                         "set on sessions the model did not see)"
                         % (more_sessions, "" if more_sessions == 1 else "s", MIN_SESSIONS))
        if more_windows:
            parts.append("%.1f more minutes of normal running (%.1f measured, %d windows; "
                         "%d needed at a hop of %.2f s)" % (more_windows * hop_s / 60.0,
                                                            minutes, N, need_windows, hop_s))
        need_more = "no false-alarm rate can be promised yet: record " + " and ".join(parts)
    fit = T["fit"]
    _set_threshold(fit.final, threshold)
    # the baseline: window RMS over the 99.9th percentile of the normal sessions' RMS (the
    # normal sessions' figures with the percentile of the OTHER sessions, as the model's)
    rms, rms_out = {}, {}
    for s in sessions:
        rms[_sid(s)] = rms_out[s["id"]] = rms_scores(s["windows"], nch, s.get("scale", 1.0))
    rms_normal = [rms[x] for x in names]
    base_t = quantile([v for r in rms_normal for v in r], BASELINE_QUANTILE)
    # by session
    per, base_per, scores = [], [], {}
    for i, s in enumerate(normal):
        scores[s["id"]] = held[i]
        f = _figures(held[i], None, threshold, n, m, hop_s, window_s, ())
        f.update({"id": s["id"], "normal": True, "held_out": True})
        per.append(f)
        rest = [v for j in range(len(normal)) if j != i for v in rms_normal[j]]
        bt = quantile(rest, BASELINE_QUANTILE)
        b = _figures(rms_normal[i], None, bt, n, m, hop_s, window_s, ())
        b.update({"id": s["id"], "normal": True, "threshold": bt})
        base_per.append(b)
    base_pool = [v for r in rms_normal for v in r]
    for s in other:
        sid = _sid(s)
        sc = T["faults"][sid]
        scores[s["id"]] = sc
        lab = s.get("fault_windows")
        f = _figures(sc, lab, threshold, n, m, hop_s, window_s, pooled)
        f.update({"id": s["id"], "normal": False, "held_out": True})
        per.append(f)
        b = _figures(rms[sid], lab, base_t, n, m, hop_s, window_s, base_pool)
        b.update({"id": s["id"], "normal": False, "threshold": base_t})
        base_per.append(b)
    pos = [v for s in other if s.get("fault_windows")
           for v, f in zip(T["faults"][_sid(s)], s["fault_windows"]) if f]
    bpos = [v for s in other if s.get("fault_windows")
            for v, f in zip(rms[_sid(s)], s["fault_windows"]) if f]
    overall = _pooled(per)
    overall["roc_auc"] = roc_auc(pos, pooled)
    base = _pooled(base_per)
    base.update({"threshold": base_t, "quantile": BASELINE_QUANTILE,
                 "roc_auc": roc_auc(bpos, base_pool), "sessions": base_per})
    over = sum(1 for v in pooled if v > threshold)
    promise = None
    if need_more is None:
        promise = {"false_alarms_per_hour": false_alarms_per_hour,
                   "measured_minutes": round(minutes, 2), "sessions": len(normal),
                   "heldout_windows": N, "heldout_over_threshold": over,
                   "heldout_alarms": _alarm_count(held, threshold, n, m),
                   "window_rate": p_target,
                   "extrapolation": round(1.0 / (N * p_target), 2),
                   "statement": "at most %g false alarm%s per hour at a hop of %.2f s with "
                   "hysteresis %d of %d: measured on %.1f minutes of normal running in %d "
                   "sessions, each scored by a model that did not see it (%d of %d windows "
                   "over the threshold, %d alarms); the rate per window beyond the measured "
                   "(%.1e) is extrapolated from the scores' tail"
                   % (false_alarms_per_hour, "" if false_alarms_per_hour == 1 else "s", hop_s,
                      n, m, minutes, len(normal), over, N,
                      _alarm_count(held, threshold, n, m), p_target)}
    kinds_out = {}
    for k in kinds:
        kinds_out[k] = {"roc_auc": tried[k]["roc_auc"],
                        "evenness": round(tried[k]["evenness"], 4)}
    out.result = {
        "model": fit.final, "kind": chosen, "threshold": threshold, "hysteresis": [n, m],
        "promise": promise, "need_more": need_more, "need": need, "sessions": per,
        "overall": overall, "baseline": base, "scores": scores, "rms": rms_out,
        "kinds": kinds_out, "kind_reason": why_kind if len(kinds) > 1 else "chosen by the user",
        "rule": {"window_rate": p_target, "tail_threshold": t_tail, "measured_threshold": t_meas,
                 "tail": tail, "allowed_heldout_alarms": allowed, "min_sessions": MIN_SESSIONS,
                 "min_windows": need_windows, "hop_s": hop_s, "windows_per_hour": per_hour}}

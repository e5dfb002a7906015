# How good a trained model is: splits by session (group k-fold, chosen test sessions) and, for
# data without sessions, by window; confusion matrix, accuracy and balanced accuracy, per-class
# precision/recall, the majority-class baseline, sessions that gave no window and why, per-session accuracy, the device's live accuracy on a labelled
# session, model size and an inference-time estimate.
# Memory: index arrays ('H'/'I') for splits, an n_classes^2 list of ints for the confusion
# matrix; timing reuses one array('h') row buffer. Undefined ratios are None (JSON null, not NaN).
#
# Honest estimates: windows of one session are alike (same placement, person, day; windows
# overlap when hop < window), so a window-level split tests on near-copies of training data.
# Session splits keep every session wholly on one side; an estimate needs every class in at
# least MIN_SESSIONS sessions, otherwise check_groups() says why and no number is given.
from array import array

from shared.compat import Rng
from shared.dataset import natural_sorted
from shared.trainer import index_array

try:
    from time import ticks_us, ticks_diff

    def _now_us():
        return ticks_us()

    def _since_us(t0):
        return ticks_diff(ticks_us(), t0)
except ImportError:   # CPython
    from time import perf_counter

    def _now_us():
        return perf_counter()

    def _since_us(t0):
        return (perf_counter() - t0) * 1e6


def _by_class(labels, n_classes, seed):
    """Sample indices of each class, each list shuffled with Rng(seed) (class 0 first)."""
    groups = [[] for _ in range(n_classes)]
    for i in range(len(labels)):
        groups[labels[i]].append(i)
    rng = Rng(seed)
    for g in groups:
        rng.shuffle(g)
    return groups


def _n_classes(labels):
    return max(labels) + 1 if len(labels) else 0


def stratified_split(labels, test_fraction=0.25, seed=1, n_classes=None):
    """(train, test) index arrays, sorted; each class contributes round(test_fraction * count)
    test samples (at least 1 when it has 2 or more samples, never all of them)."""
    if not 0 < test_fraction < 1:
        raise ValueError("test_fraction must be between 0 and 1")
    n_classes = _n_classes(labels) if n_classes is None else n_classes
    train, test = [], []
    # test_fraction as a fraction of 10000 so the rounding is integer arithmetic everywhere
    per = int(test_fraction * 10000 + 0.5)
    for g in _by_class(labels, n_classes, seed):
        k = (len(g) * per + 5000) // 10000
        if len(g) >= 2:
            k = max(1, min(len(g) - 1, k))
        else:
            k = 0
        test += g[:k]
        train += g[k:]
    train.sort()
    test.sort()
    n = len(labels)
    return index_array(n, train), index_array(n, test)


def stratified_kfold(labels, k=5, seed=1, n_classes=None):
    """k (train, test) pairs of index arrays; each class is dealt round-robin over the folds."""
    if k < 2:
        raise ValueError("k-fold needs k >= 2")
    n_classes = _n_classes(labels) if n_classes is None else n_classes
    folds = [[] for _ in range(k)]
    start = 0
    for g in _by_class(labels, n_classes, seed):
        for p in range(len(g)):
            folds[(start + p) % k].append(g[p])
        start = (start + len(g)) % k     # keeps fold sizes within one of each other
    n = len(labels)
    out = []
    for f in range(k):
        test = sorted(folds[f])
        train = sorted(i for g in range(k) if g != f for i in folds[g])
        out.append((index_array(n, train), index_array(n, test)))
    return out


MIN_SESSIONS = 2     # sessions per class for an estimate on sessions the model did not see


def group_classes(labels, groups):
    """{group: set of class numbers it has windows of}."""
    out = {}
    for i in range(len(labels)):
        g = groups[i]
        if g not in out:
            out[g] = set()
        out[g].add(labels[i])
    return out


def sessions_per_class(labels, groups, n_classes):
    """[number of groups having windows of class c, for each c]."""
    per = [0] * n_classes
    for cs in group_classes(labels, groups).values():
        for c in cs:
            per[c] += 1
    return per


def no_window(stretches, window, classes=None):
    """Why sessions labelled with a class gave no window of it, one line each ("session #12
    (walking): 29 samples, shorter than the 64-sample window"). stretches: {class number:
    {session: (longest segment of that class, session length)}} in samples."""
    out = []
    for c in sorted(stretches):
        per = stretches[c]
        name = classes[c] if classes else c
        for g in natural_sorted([g for g in per if per[g][0] < window]):
            run, n = per[g]
            if n < window:
                why = "%d samples, shorter than the %d-sample window" % (n, window)
            else:
                why = ("its longest %s stretch is %d samples, shorter than the %d-sample "
                       "window" % (name, run, window))
            out.append("session %s (%s): %s" % (g, name, why))
    return out


def _fit_window(per):
    """The longest window that MIN_SESSIONS of these sessions would give (None: too few)."""
    runs = sorted([per[g][0] for g in per], reverse=True)
    return runs[MIN_SESSIONS - 1] if len(runs) >= MIN_SESSIONS else None


def check_groups(labels, groups, n_classes, classes=None, stretches=None, window=None):
    """None when every class present has windows in >= MIN_SESSIONS groups, else the reason
    (naming the classes and their sessions) why no honest estimate can be made, and the fix
    that matches the cause: with stretches (see no_window) and window, a class whose other
    sessions are only shorter than the window is told to shorten the window, not to record."""
    gc = group_classes(labels, groups)
    short, record, shorter = [], [], []
    for c in range(n_classes):
        gs = natural_sorted([g for g in gc if c in gc[g]])
        if not 0 < len(gs) < MIN_SESSIONS:
            continue
        name = classes[c] if classes else c
        per = (stretches or {}).get(c) or {}
        left = natural_sorted([g for g in per if g not in gs])
        fit = _fit_window(per) if left and window else None
        note = ""
        if left:
            note = "; %s give%s no window: shorter than the %d-sample window" % (
                ", ".join(str(g) for g in left), "s" if len(left) == 1 else "", window)
        short.append("%s (only session %s%s)" % (name, ", ".join(str(g) for g in gs), note))
        if fit:
            shorter.append((name, fit))
        else:
            record.append(name)
    if not short:
        return None
    fix = []
    if shorter:
        fix.append("shorten the window to at most %d samples, so that %d sessions of %s give "
                   "a window" % (min(f for _, f in shorter), MIN_SESSIONS,
                                 ", ".join(str(n) for n, _ in shorter)))
    if record:
        fix.append("record (or import) another session of %s" % ", ".join(str(n) for n in record))
    return ("too few sessions for an honest estimate: %s. Every class needs windows in at "
            "least %d sessions, so that it is tested on a session the model did not learn "
            "from: %s" % ("; ".join(short), MIN_SESSIONS, "; or ".join(fix)))


def group_kfold(labels, groups, k=5, seed=1, n_classes=None):
    """k (train, test) pairs of index arrays, every group wholly in one test fold. Groups are
    dealt round-robin by their majority class (shuffled with Rng(seed) within a class), so
    each class's sessions spread over the folds; k is capped at the number of groups."""
    n_classes = _n_classes(labels) if n_classes is None else n_classes
    counts = {}
    for i in range(len(labels)):
        g = groups[i]
        if g not in counts:
            counts[g] = [0] * n_classes
        counts[g][labels[i]] += 1
    names = natural_sorted(counts)
    if len(names) < 2:
        raise ValueError("a split by session needs at least 2 sessions")
    k = max(2, min(k, len(names)))
    by_major = [[] for _ in range(n_classes)]
    for g in names:
        cs = counts[g]
        by_major[cs.index(max(cs))].append(g)
    rng = Rng(seed)
    fold_of = {}
    pos = 0
    for gs in by_major:
        rng.shuffle(gs)
        for g in gs:
            fold_of[g] = pos % k
            pos += 1
    out = []
    n = len(labels)
    for f in range(k):
        test = [i for i in range(n) if fold_of[groups[i]] == f]
        train = [i for i in range(n) if fold_of[groups[i]] != f]
        out.append((index_array(n, train), index_array(n, test)))
    return out


def split_groups(groups, test_groups):
    """(train, test) index arrays: the windows of test_groups against all the others."""
    test_set = set(test_groups)
    n = len(groups)
    train = [i for i in range(n) if groups[i] not in test_set]
    test = [i for i in range(n) if groups[i] in test_set]
    return index_array(n, train), index_array(n, test)


def majority(labels, rows, n_classes):
    """The most common class among labels[rows] (ties: the lowest class number)."""
    counts = [0] * n_classes
    for i in rows:
        counts[labels[i]] += 1
    return counts.index(max(counts))


def per_group(truth, pred, groups):
    """[{"session", "n", "correct", "accuracy"}] per group in natural order; truth, pred and
    groups are parallel sequences (one entry per test window)."""
    acc = {}
    for i in range(len(truth)):
        g = groups[i]
        a = acc.get(g)
        if a is None:
            a = acc[g] = [0, 0]
        a[0] += 1
        a[1] += truth[i] == pred[i]
    return [{"session": g, "n": acc[g][0], "correct": acc[g][1],
             "accuracy": acc[g][1] / acc[g][0]} for g in natural_sorted(acc)]


def live_check(preds, pred_classes, segments, n_samples, window, hop):
    """The device's own accuracy on a recorded, labelled session. preds: one byte per recorded
    window, its class number in pred_classes (255: no prediction); window i covers samples
    [i*hop, i*hop + window) and counts when one label segment (start, end, class name) covers
    all of it (the training rule). Returns metrics() over pred_classes plus "no_prediction"
    and "unknown" (labelled windows of a class the model does not know)."""
    from shared.dataset import window_classes
    names = []
    segs = []
    for s, e, name in segments:
        if name not in names:
            names.append(name)
        segs.append((s, e, names.index(name)))
    segs.sort()
    nc = len(pred_classes)
    cm = [[0] * nc for _ in range(nc)]
    missing = unknown = 0
    for k, c in window_classes(segs, n_samples, window, hop):
        i = k // hop
        if i >= len(preds) or preds[i] >= nc:
            missing += 1
            continue
        name = names[c]
        if name not in pred_classes:
            unknown += 1
            continue
        cm[pred_classes.index(name)][preds[i]] += 1
    out = metrics(cm, pred_classes)
    out["no_prediction"] = missing
    out["unknown"] = unknown
    return out


def confusion(y_true, y_pred, n_classes):
    """cm[true][predicted] counts."""
    cm = [[0] * n_classes for _ in range(n_classes)]
    for i in range(len(y_true)):
        cm[y_true[i]][y_pred[i]] += 1
    return cm


def add_confusion(a, b):
    """Sum of two confusion matrices (k-fold totals)."""
    return [[a[r][c] + b[r][c] for c in range(len(a))] for r in range(len(a))]


def _ratio(a, b):
    return a / b if b else None


def metrics(cm, classes=None):
    """{"accuracy", "precision", "recall", "f1", "support", "confusion", "n"} from a confusion
    matrix; precision/recall of a class never predicted / never present is None."""
    n = len(cm)
    total = sum(sum(r) for r in cm)
    correct = sum(cm[c][c] for c in range(n))
    precision, recall, f1, support = [], [], [], []
    for c in range(n):
        predicted = sum(cm[r][c] for r in range(n))
        actual = sum(cm[c])
        p = _ratio(cm[c][c], predicted)
        r = _ratio(cm[c][c], actual)
        precision.append(p)
        recall.append(r)
        f1.append(2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else None)
        support.append(actual)
    present = [r for r in recall if r is not None]
    out = {"accuracy": _ratio(correct, total), "precision": precision, "recall": recall,
           "f1": f1, "support": support, "confusion": cm, "n": total,
           # the mean recall of the classes present: what unbalanced classes cannot flatter
           "balanced_accuracy": sum(present) / len(present) if present else None}
    if classes is not None:
        out["classes"] = list(classes)
    return out


def predict_rows(model, X, rows, n_features):
    """Predicted class of each sample in rows (X flat array('h'), row-major)."""
    x = array("h", [0] * n_features)
    out = bytearray(len(rows))
    for k in range(len(rows)):
        b = rows[k] * n_features
        for j in range(n_features):
            x[j] = X[b + j]
        out[k] = model.predict(x)
    return out


def evaluate(model, X, y, rows, classes=None):
    """Metrics of model on the samples `rows` of (X, y)."""
    pred = predict_rows(model, X, rows, model.n_features)
    truth = bytearray(y[i] for i in rows)
    return metrics(confusion(truth, pred, model.n_classes), classes)


def model_size(model, text=None):
    """Node/leaf/tree counts, the model file's bytes (when its text is given) and the RAM the
    emlearn C module uses for it (8-byte EmlTreesNode, int32 roots, one byte per leaf
    for a class, RegressionModel.leaf_bytes = 4 for a value; the device's TreeModel is left
    without the attribute)."""
    out = {"nodes": model.n_nodes, "leaves": len(model.leaves), "trees": len(model.roots),
           "c_bytes": 8 * model.n_nodes + 4 * len(model.roots) +
           getattr(model, "leaf_bytes", 1) * len(model.leaves)}
    if text is not None:
        out["file_bytes"] = len(text.encode() if isinstance(text, str) else text)
    return out


def time_predict(model, X, rows, min_us=100000, max_rounds=50):
    """Mean microseconds per prediction of the pure-Python predictor on this runtime, timing
    whole passes over `rows` until min_us has elapsed (the WASM clock ticks in whole ms)."""
    if not len(rows):
        return None
    nf = model.n_features
    xs = [array("h", X[r * nf:(r + 1) * nf]) for r in rows]
    predict = model.predict
    t0 = _now_us()
    rounds = 0
    elapsed = 0
    while rounds < max_rounds and (rounds == 0 or elapsed < min_us):
        for x in xs:
            predict(x)
        rounds += 1
        elapsed = _since_us(t0)
    return elapsed / (rounds * len(xs))

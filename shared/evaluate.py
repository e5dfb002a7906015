# How good a trained model is: seeded stratified holdout and k-fold splits, confusion matrix,
# accuracy and per-class precision/recall, model size and an inference-time estimate.
# Memory: index arrays ('H'/'I') for splits, an n_classes^2 list of ints for the confusion
# matrix; timing reuses one array('h') row buffer. Undefined ratios are None (JSON null, not NaN).
from array import array

from shared.compat import Rng
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
    out = {"accuracy": _ratio(correct, total), "precision": precision, "recall": recall,
           "f1": f1, "support": support, "confusion": cm, "n": total}
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
    emlearn C module uses for it (8-byte EmlTreesNode, int32 roots, one byte per leaf)."""
    out = {"nodes": model.n_nodes, "leaves": len(model.leaves), "trees": len(model.roots),
           "c_bytes": 8 * model.n_nodes + 4 * len(model.roots) + len(model.leaves)}
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

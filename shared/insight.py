# What a trained tree model relies on and where it goes wrong: feature importance from its
# trees, and the model's confusions with the windows of each (true, predicted) pair.
# Memory: two n_nodes * n_classes int arrays ('I') of class counts, reused per tree; one
# feature row buffer; per confusion cell a list of at most per_cell window indices.
#
# Importance = mean decrease in Gini impurity (scikit-learn's feature_importances_), computed
# by passing labelled windows (the training windows, int16 as the trees see them) down every
# tree and counting classes per node: at each split, (N_t * gini_t - N_left * gini_left -
# N_right * gini_right) goes to its feature; each tree's total is normalised to 1, then the
# trees are averaged. Why this and not permutation importance: one pass of the windows through
# the trees (no n_features * repeats re-predictions, which take seconds in the page), no
# randomness, and the same numbers as scikit-learn for the same trees and samples. It describes
# the training windows and favours features with many thresholds; the split counts (how often
# a feature is used, and over how many windows) are returned beside it.
from array import array


def _gini_n(counts, base, nc, total):
    """total * gini impurity of the class counts counts[base:base+nc] (0 for total 0)."""
    if total == 0:
        return 0.0
    s = 0
    for c in range(nc):
        v = counts[base + c]
        s += v * v
    return total - s / total


def _tree_nodes(model, root):
    """Node indices of the tree at root (depth first)."""
    out, stack = [], [root]
    while stack:
        i = stack.pop()
        out.append(i)
        for child in (model.left[i], model.right[i]):
            if child >= 0:
                stack.append(child)
    return out


def importance(model, X, y, rows=None):
    """{"importance", "splits", "samples"}: per feature (model.n_features) the normalised mean
    decrease in impurity (sums to 1 unless no split separates anything), the number of nodes
    splitting on it, and the windows reaching those nodes, summed over trees. X: flat int16
    table (model.n_features a row), y: class numbers, rows: which windows (default all)."""
    nf, nc = model.n_features, model.n_classes
    if rows is None:
        rows = range(len(y))
    nn = model.n_nodes
    counts = array("I", [0] * (nn * nc))      # class counts of the windows reaching node i
    left = array("I", [0] * (nn * nc))        # ... and of those going left there
    x = array("h", [0] * nf)
    total = [0.0] * nf
    splits = [0] * nf
    samples = [0] * nf
    feature, threshold, lft, rgt = model.feature, model.threshold, model.left, model.right
    for root in model.roots:
        nodes = _tree_nodes(model, root)
        for r in rows:
            b = r * nf
            for j in range(nf):
                x[j] = X[b + j]
            c = y[r]
            i = root
            while i >= 0:
                counts[i * nc + c] += 1
                if x[feature[i]] < threshold[i]:
                    left[i * nc + c] += 1
                    i = lft[i]
                else:
                    i = rgt[i]
        tree = [0.0] * nf
        for i in nodes:
            base = i * nc
            n_t = n_l = 0
            for c in range(nc):
                n_t += counts[base + c]
                n_l += left[base + c]
                counts[base + c] -= left[base + c]      # now the right side's counts
            f = feature[i]
            splits[f] += 1
            samples[f] += n_t
            if n_t:
                # N_t * gini_t from left + right counts (counts now holds the right side)
                s_t = 0
                for c in range(nc):
                    v = counts[base + c] + left[base + c]
                    s_t += v * v
                tree[f] += (n_t - s_t / n_t) - _gini_n(left, base, nc, n_l) - \
                    _gini_n(counts, base, nc, n_t - n_l)
            for c in range(nc):
                counts[base + c] = 0
                left[base + c] = 0
        s = sum(tree)
        if s > 0:
            for f in range(nf):
                total[f] += tree[f] / s
    s = sum(total)
    imp = [v / s for v in total] if s > 0 else [0.0] * nf
    return {"importance": imp, "splits": splits, "samples": samples}


def ranked(names, values, top=None):
    """[(name, value)] sorted by value, largest first (ties: name order as given)."""
    order = sorted(range(len(values)), key=lambda j: (-values[j], j))
    if top is not None:
        order = order[:top]
    return [(names[j], values[j]) for j in order]


def confusions(truth, pred, index=None, classes=None, per_cell=10, diagonal=False):
    """The model's mistakes per (true, predicted) class pair: [{"true", "pred", "count",
    "windows"}] with the first per_cell window ids of each (index[i], default i), the most
    frequent pair first (ties: true then predicted class order). Correct predictions are left
    out unless diagonal. Classes are named when `classes` is given."""
    cells = {}
    for i in range(len(truth)):
        t, p = truth[i], pred[i]
        if t == p and not diagonal:
            continue
        cell = cells.get((t, p))
        if cell is None:
            cell = cells[(t, p)] = [0, []]
        cell[0] += 1
        if len(cell[1]) < per_cell:
            cell[1].append(index[i] if index is not None else i)
    out = []
    for key in sorted(cells, key=lambda tp: (-cells[tp][0], tp[0], tp[1])):
        t, p = key
        out.append({"true": classes[t] if classes else t, "pred": classes[p] if classes else p,
                    "count": cells[key][0], "windows": cells[key][1]})
    return out

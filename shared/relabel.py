# Label rules across sessions, used by the page (and testable anywhere): a class renamed,
# merged into another or deleted in one session's named segments, and the label a cluster
# proposes (the majority of its labelled windows). Pure Python; memory: the lists returned.


def rename(named, old, new):
    """Segments [(start, end, name)] with class old renamed to new (merged when new is
    already there: touching segments of one class become one), or removed when new is None.
    Returns (segments, changed samples)."""
    out = []
    changed = 0
    for s, e, c in sorted(named):
        if c == old:
            changed += e - s
            if new is None:
                continue
            c = new
        if out and out[-1][2] == c and out[-1][1] == s:
            out[-1] = (out[-1][0], e, c)
        else:
            out.append((s, e, c))
    return out, changed


def class_list(classes, old, new):
    """A labels class list after rename(): old replaced by new (once), or dropped."""
    out = []
    for c in classes:
        c = new if c == old else c
        if c is not None and c not in out:
            out.append(c)
    return out


def majority(clusters, labels, k, min_share=0.5):
    """For each of k clusters: (label index, its share of the cluster's labelled windows,
    labelled windows) of the most frequent label among its labelled windows (labels[i] >= 0),
    or (-1, 0.0, n) when none is labelled or no label reaches min_share (a tie at the top
    is no majority either)."""
    votes = [{} for _ in range(k)]
    for i in range(len(clusters)):
        c, lab = clusters[i], labels[i]
        if lab >= 0 and 0 <= c < k:
            v = votes[c]
            v[lab] = v.get(lab, 0) + 1
    out = []
    for v in votes:
        n = sum(v.values())
        best, top, tie = -1, 0, False
        for lab in sorted(v):
            if v[lab] > top:
                best, top, tie = lab, v[lab], False
            elif v[lab] == top:
                tie = True
        if not n or tie or top < min_share * n:
            out.append((-1, 0.0, n))
        else:
            out.append((best, top / n, n))
    return out

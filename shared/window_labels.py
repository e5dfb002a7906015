# Labels chosen per window (a cluster labelled in one action, accepted few-shot proposals) as
# label segments of a recording, the form the timeline and the device keep. Memory: the sorted
# (start, class) pairs and the segment list; nothing per sample.
#
# The training rule (shared/dataset.py) gives a window a class only when one segment of that
# class covers all of it. So consecutive windows of one class that overlap or touch become one
# segment [first start, last start + window); where two runs of different classes overlap, the
# boundary goes to the middle of the overlap: a window that no window of another class
# overlaps keeps its class, one that straddles the cut stays unlabelled, as the rule wants.
# An unlisted window between two listed ones of a class that overlap (a gap shorter than a
# window) is covered by them, so it gets their class too: segments cannot say otherwise.
#
#   segs = window_segments([(0, 2), (64, 2), (128, 2), (512, 0)], window=128)
#   # -> [(0, 256, 2), (512, 640, 0)]
#   labels = apply(labels, segs, n_samples)   # merged into a recording's segments
from shared.dataset import assign


def window_segments(windows, window):
    """windows: [(start sample, class)] of one recording (any order; a start listed twice keeps
    its last class). Returns [(start, end, class)] sorted, not overlapping."""
    if window < 1:
        raise ValueError("window must be >= 1")
    last = {}
    for start, cls in windows:
        last[start] = cls
    runs = []                            # [start, end, class]
    for start in sorted(last):
        cls = last[start]
        if runs and runs[-1][2] == cls and start <= runs[-1][1]:
            runs[-1][1] = start + window
        else:
            runs.append([start, start + window, cls])
    for i in range(1, len(runs)):
        a, b = runs[i - 1], runs[i]
        if b[0] < a[1]:                  # overlap of two classes: cut in the middle
            mid = (b[0] + a[1]) // 2
            a[1], b[0] = mid, mid
    return [(s, e, c) for s, e, c in runs if e > s]


def apply(segments, new, n_samples):
    """`segments` of a recording with every segment of `new` assigned over them (new labels
    win where they overlap; shared.dataset.assign clamps and merges)."""
    out = list(segments)
    for s, e, c in new:
        out = assign(out, s, e, c, n_samples)
    return out

# Window labels -> label segments, read back with the training rule (shared.dataset's
# window_classes): a window keeps its class unless a window of another class overlaps it (then
# it may become unlabelled); no window ever gets another class; an unlisted window gets one
# only between two overlapping listed windows of that class.
from shared.compat import Rng
from shared.dataset import window_classes
from shared.tests.explore_data import raises
from shared.window_labels import apply, window_segments


def _check(labels, window, hop, n_samples):
    """labels: {start: class}; returns how many windows kept their class."""
    segs = window_segments(list(labels.items()), window)
    back = dict(window_classes(segs, n_samples, window, hop))
    kept = 0
    for start, cls in labels.items():
        got = back.get(start)
        assert got is None or got == cls, (start, cls, got)
        if got == cls:
            kept += 1
        clash = [s for s in labels if labels[s] != cls and s < start + window and
                 start < s + window]
        if not clash:                   # no window of another class overlaps it: kept
            assert got == cls, (start, cls, segs)
    starts = sorted(labels)
    for k in back:                  # an unlisted window is covered only inside a run
        if k not in labels:
            before = [s for s in starts if s < k]
            after = [s for s in starts if s > k]
            assert before and after and labels[before[-1]] == back[k] == labels[after[0]] \
                and after[0] - before[-1] <= window, (k, back[k])
    return kept


def test_runs_become_segments_and_read_back():
    labels = {}
    for i in range(10):
        labels[64 * i] = 2
    for i in range(10, 16):
        labels[64 * i] = 0
    assert _check(labels, 128, 64, 2000) >= 14
    assert window_segments([(0, 2), (64, 2), (128, 2), (512, 0)], 128) == \
        [(0, 256, 2), (512, 640, 0)]


def test_random_labellings_never_give_a_wrong_class():
    rng = Rng(5)
    for _ in range(40):
        window, hop = rng.choice([(128, 64), (100, 100), (50, 10), (64, 128)])
        labels = {}
        start, cls = 0, rng.randbelow(3)
        for _ in range(rng.randint(1, 40)):
            if rng.randbelow(4) == 0:
                cls = rng.randbelow(3)
            if rng.randbelow(6):                        # some windows left out (gaps)
                labels[start] = cls
            start += hop
        if labels:
            _check(labels, window, hop, start + window)


def test_apply_overrides_existing_labels():
    segs = apply([(0, 1000, 1)], window_segments([(256, 0), (320, 0)], 128), 1000)
    assert segs == [(0, 256, 1), (256, 448, 0), (448, 1000, 1)]
    raises(ValueError, window_segments, [(0, 1)], 0)

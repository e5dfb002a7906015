# shared/dataset: downloads de-blocked to channel-major recordings, label segments edited and
# checked, windows labelled by the "one segment covers the whole window" rule and cut.
# Plain test functions (pytest on CPython, mprun on MicroPython unix and WASM).
from array import array

from shared import dataset as D
from shared import protocol as P


def _raises(fn, *args):
    try:
        fn(*args)
    except D.DatasetError as e:
        return str(e)
    raise AssertionError("no DatasetError")


def _download(nch, hop, n_rec, seq0=5, skip=None):
    fs = P.frame_size(nch, hop)
    raw = bytearray(fs * n_rec)
    buf = bytearray(fs)
    for i in range(n_rec):
        # sample k of channel c is c * 1000 + k
        a = array("h", [c * 1000 + i * hop + j for c in range(nch) for j in range(hop)])
        seq = seq0 + i + (1 if skip is not None and i >= skip else 0)
        P.encode_window_into(buf, seq, 0, a, nch, hop, 100, 0.25)
        raw[i * fs:(i + 1) * fs] = buf
    return raw, fs


def test_deblock_makes_channel_major_recording():
    raw, fs = _download(3, 4, 5)
    s, nch, n, rate, scale, gaps = D.deblock(raw, 5, fs)
    assert (nch, n, rate, scale, gaps) == (3, 20, 100, 0.25, 0)
    assert list(s) == [c * 1000 + k for c in range(3) for k in range(20)]


def test_deblock_counts_sequence_gaps_and_empty():
    raw, fs = _download(2, 3, 4, skip=2)
    assert D.deblock(raw, 4, fs)[5] == 1
    assert D.deblock(b"", 0, 26)[2] == 0
    assert "too short" in _raises(D.deblock, raw[:-1], 4, fs)


def test_assign_splits_and_merges():
    segs = D.assign([], 10, 50, 0, 100)
    assert segs == [(10, 50, 0)]
    segs = D.assign(segs, 20, 30, 1, 100)
    assert segs == [(10, 20, 0), (20, 30, 1), (30, 50, 0)]
    segs = D.assign(segs, 20, 30, 0, 100)           # same class again: one segment
    assert segs == [(10, 50, 0)]
    segs = D.assign(segs, 40, 500, None, 100)       # clear, clamped to the recording
    assert segs == [(10, 40, 0)]
    assert D.assign(segs, 60, 60, 1, 100) == segs   # empty range: unchanged


def test_check_segments_names_the_problem():
    D.check_segments([(0, 10, 0), (10, 20, 1)], 20, 2)
    assert "out of bounds" in _raises(D.check_segments, [(0, 21, 0)], 20, 2)
    assert "unknown class id 5" in _raises(D.check_segments, [(0, 5, 5)], 20, 2)
    assert "overlaps" in _raises(D.check_segments, [(0, 5, 0), (4, 8, 1)], 20, 2)
    assert "start < end" in _raises(D.check_segments, [(5, 5, 0)], 20, 2)


def test_counts_class_at_sample_labels():
    segs = [(2, 5, 1), (5, 6, 0)]
    assert D.counts(segs, 3) == [1, 3, 0]
    assert D.class_at(segs, 4) == 1 and D.class_at(segs, 6) == -1
    assert list(D.sample_labels(segs, 7)) == [-1, -1, 1, 1, 1, 0, -1]


def test_names_round_trip():
    classes = ["idle"]
    segs = D.from_names([{"start": 5, "end": 9, "label": "walk"}, (0, 5, "idle")], classes)
    assert classes == ["idle", "walk"] and segs == [(0, 5, 0), (5, 9, 1)]
    assert D.to_names(segs, classes)[1] == {"start": 5, "end": 9, "label": "walk"}


def test_window_needs_one_segment_covering_it():
    segs = [(0, 10, 0), (10, 20, 1), (24, 40, 0)]
    # window 8 hop 4: starts 0..32; 0 in seg0; 4 crosses 10; 8 crosses; 12 in seg1;
    # 16 crosses 20; 20 gap; 24, 28, 32 in seg2
    assert D.window_classes(segs, 40, 8, 4) == [(0, 0), (12, 1), (24, 0), (28, 0), (32, 0)]
    assert D.window_classes([], 40, 8, 4) == []
    assert D.window_classes([(0, 40, 2)], 39, 8, 8) == [(0, 2), (8, 2), (16, 2), (24, 2)]


def test_cut_and_labelled_windows():
    class R:
        pass
    r = R()
    r.sid, r.rate, r.scale = 3, 50, 1 / 512
    r.channels = ["x", "y"]
    r.n_samples = 10
    r.samples = array("h", [c * 100 + k for c in range(2) for k in range(10)])
    r.segments = [(0, 6, "a"), (6, 10, "b")]
    w = D.cut_window(r.samples, 2, 10, 3, 4)
    assert list(w) == [3, 4, 5, 6, 103, 104, 105, 106]
    lw = D.labelled_windows([r], ["b", "a"], 4, 2)
    assert lw.labels == [1, 1, 0]          # starts 0, 2 (class a), 6 (class b); 4 crosses
    assert list(lw.windows[2]) == [6, 7, 8, 9, 106, 107, 108, 109]
    assert lw.groups == [3, 3, 3] and lw.scales == [1 / 512] * 3
    assert lw.channels == ["x", "y"] and lw.rate == 50 and lw.per_class(2) == [1, 2]
    lw = D.labelled_windows([r], ["b"], 4, 2)    # only the chosen classes
    assert lw.labels == [0] and len(lw) == 1
    lw = D.labelled_windows([r], ["b", "a"], 4, 2, unlabelled=True)   # every window (Explore)
    assert lw.labels == [1, 1, -1, 0] and lw.starts == [0, 2, 4, 6]


def _rec(sid, n, segments, channels=("x", "y", "z"), rate=10):
    class R:
        pass
    r = R()
    r.sid, r.n_samples, r.segments, r.channels, r.rate = sid, n, segments, list(channels), rate
    r.scale = 1 / 4096
    r.samples = array("h", [0] * (len(channels) * n))
    return r


def _explain(recs, classes, window, hop=None):
    found = D.labelled_windows(recs, classes, window, hop or window)
    return D.explain(recs, classes, window, found)


def test_messages_say_what_to_change():
    recs = [_rec("train-%d" % i, 100, [(0, 100, "ab"[i % 2])]) for i in range(4)]
    assert _explain(recs, ["a", "b"], 128) == (
        "the sessions are 100 samples long (10 s) and the window is 128 samples (12.8 s): no "
        "window fits; shorten the window to at most 100 samples")
    recs[0] = _rec("train-0", 120, [(0, 120, "a")])
    assert _explain(recs, ["a", "b"], 128).startswith("the longest session is 120 samples")
    assert _explain(recs, ["a", "b"], 50) is None
    short = [_rec(1, 400, [(0, 30, "a"), (30, 70, "b")])]
    assert _explain(short, ["a", "b"], 50) == (
        "the longest labelled stretch is 40 samples (4 s) and the window is 50: no window "
        "lies wholly inside one label; shorten the window to at most 40 samples or label "
        "longer stretches")
    assert _explain(short, ["c", "d"], 20) == (
        "the chosen sessions have no labels of c, d (their labels: a, b): label them on the "
        "timeline, or choose other classes")
    assert _explain(short, ["a"], 20) == (
        "labelled windows of one class only (a: 1); label windows of a second class")


def test_sessions_of_other_sensors_are_not_mixed():
    a = _rec(1, 200, [(0, 200, "a")])
    b = _rec("csv:train-0", 200, [(0, 200, "b")], channels=("ax", "ay"), rate=100)
    try:
        D.labelled_windows([a, b], ["a", "b"], 50, 50)
    except D.DatasetError as e:
        assert str(e) == ("sessions #1 and csv:train-0 cannot be trained together: channels "
                          "x,y,z vs ax,ay; sample rate 10 Hz vs 100 Hz. Choose sessions of "
                          "one sensor and rate"), str(e)
    else:
        raise AssertionError("mixed sessions accepted")


def test_upload_frames_round_trip_through_deblock():
    # an import's body (POST /api/sessions/import) decodes like a download: same samples,
    # the last frame zero-padded
    n, nch = 53, 6
    s = array("h", [(c + 1) * 1000 + k * (c - 3) for c in range(nch) for k in range(n)])
    hop = D.import_hop(nch)
    assert hop == 128 and D.import_hop(16) == 32
    body = D.upload_frames(s, nch, n, 16, 10, 1 / 64)
    assert len(body) == 4 * (20 + nch * 16 * 2)
    out, c, ns, rate, scale, gaps = D.deblock(body, 4, 20 + nch * 32)
    assert (c, ns, rate, scale, gaps) == (nch, 64, 10, 1 / 64, 0)
    for ch in range(nch):
        assert list(out[ch * 64:ch * 64 + n]) == list(s[ch * n:(ch + 1) * n])
        assert list(out[ch * 64 + n:(ch + 1) * 64]) == [0] * (64 - n)


def test_natural_order_of_session_names():
    names = ["train-10", "train-2", "train-1", "train-0", "a", 12, 3]
    assert D.natural_sorted(names) == [3, 12, "a", "train-0", "train-1", "train-2", "train-10"]


def test_sessions_shorter_than_the_window_are_named_with_the_fix_that_matches():
    # walking: one long session and three of 29-40 samples; idle: two long sessions
    from shared import evaluate as E
    recs = [_rec(1, 200, [(0, 200, "walking")]), _rec(2, 29, [(0, 29, "walking")]),
            _rec(3, 300, [(0, 40, "walking"), (40, 300, "idle")]),
            _rec(4, 200, [(0, 200, "idle")])]
    lw = D.labelled_windows(recs, ["walking", "idle"], 64, 32)
    assert lw.stretches[0] == {1: (200, 200), 2: (29, 29), 3: (40, 300)}
    assert E.no_window(lw.stretches, 64, ["walking", "idle"]) == [
        "session 2 (walking): 29 samples, shorter than the 64-sample window",
        "session 3 (walking): its longest walking stretch is 40 samples, shorter than the "
        "64-sample window"]
    why = E.check_groups(lw.labels, lw.groups, 2, ["walking", "idle"], lw.stretches, 64)
    assert why.startswith("too few sessions for an honest estimate: walking (only session 1; "
                          "2, 3 give no window: shorter than the 64-sample window)"), why
    assert why.endswith("shorten the window to at most 40 samples, so that 2 sessions of "
                        "walking give a window"), why
    assert "record" not in why
    # a class with only one session at all: record another (the old advice, still right)
    one = D.labelled_windows([recs[0], recs[3], _rec(5, 200, [(0, 200, "idle")])],
                             ["walking", "idle"], 64, 32)
    why = E.check_groups(one.labels, one.groups, 2, ["walking", "idle"], one.stretches, 64)
    assert why.endswith("record (or import) another session of walking"), why
    # with the shorter window both give windows and there is nothing to say
    ok = D.labelled_windows(recs, ["walking", "idle"], 40, 20)
    assert E.check_groups(ok.labels, ok.groups, 2, ["walking", "idle"], ok.stretches, 40) is None
    assert E.no_window(ok.stretches, 40, ["walking", "idle"]) == [
        "session 2 (walking): 29 samples, shorter than the 40-sample window"]


def test_balanced_accuracy_is_the_mean_recall():
    from shared import evaluate as E
    # 90 windows of a (all right), 10 of b (all called a): accuracy 90 %, balanced 50 %
    m = E.metrics([[90, 0], [10, 0]], ["a", "b"])
    assert abs(m["accuracy"] - 0.9) < 1e-9 and abs(m["balanced_accuracy"] - 0.5) < 1e-9
    assert E.metrics([[0, 0], [0, 0]])["balanced_accuracy"] is None


def test_a_class_whose_sessions_are_all_too_short_is_named():
    recs = [_rec(1, 200, [(0, 200, "idle")]), _rec(2, 29, [(0, 29, "walking")]),
            _rec("walk-2", 300, [(0, 40, "walking")])]
    assert _explain(recs, ["idle", "walking"], 64) == (
        "walking gives no window of 64 samples: session #2 (walking): 29 labelled samples; "
        "session walk-2 (walking): 40 labelled samples; shorten the window to at most 40 "
        "samples")

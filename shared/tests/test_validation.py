# Honest numbers: the estimate a training reports is made on sessions the model did not see,
# says how it split, gives the majority-class baseline and per-session accuracy, refuses to
# give a number with too few sessions per class, and every window is computed with its own
# recording's scale. Plain test functions (pytest on CPython, mprun on MicroPython unix/WASM).
from array import array

from shared import evaluate as E
from shared import pipeline as P
from shared.compat import Rng
from shared.tests import synth

WIN = {"rate": 50, "window": 64, "hop": 32, "channels": ["x", "y", "z"]}


def _sessions(n_sessions, per_session=6, seed=3, leak=False):
    """(windows, labels, groups, scales): each session one class (round-robin). leak=True:
    the class is NOT in the signal (every window is class 0's kind of motion); each session
    only has its own offset, so a model can tell sessions apart but not classes."""
    rng = Rng(seed)
    wins, labels, groups = [], [], []
    for s in range(n_sessions):
        cls = s % len(synth.CLASSES)
        offset = rng.randint(-3000, 3000)
        for _ in range(per_session):
            w = synth.window(rng, 0 if leak else cls, 64)
            if leak:
                for i in range(len(w)):
                    w[i] = max(-32768, min(32767, w[i] + offset))
            wins.append(w)
            labels.append(synth.CLASSES[cls])
            groups.append("s%d" % s)
    return wins, labels, groups, [1 / 4096] * len(wins)


def test_group_kfold_keeps_every_session_on_one_side():
    wins, labels, groups, _ = _sessions(9)
    y = bytearray(synth.CLASSES.index(c) for c in labels)
    runs = E.group_kfold(y, groups, 5, seed=2)
    assert len(runs) == 5
    seen = []
    for train, test in runs:
        tr = set(groups[i] for i in train)
        te = set(groups[i] for i in test)
        assert not tr & te, (tr, te)
        assert len(train) + len(test) == len(y)
        seen += list(test)
    assert sorted(seen) == list(range(len(y)))      # each window tested exactly once
    assert len(E.group_kfold(y, groups, 50)) == 9   # k capped at the number of sessions


def test_session_split_is_not_fooled_by_session_offsets():
    # the leak the window split has: sessions differ (offsets) but classes are not in the
    # signal; by window the model "recognises" sessions, by session it is at chance
    wins, labels, groups, scales = _sessions(12, per_session=8, leak=True)
    by_window = P.Pipeline(wins, labels, synth.CLASSES, WIN, scales=scales,
                           validation={"method": "windows", "folds": 4}, n_trees=10).run()
    by_session = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales,
                            n_trees=10).run()
    assert by_window["metrics"]["accuracy"] > 0.9, by_window["metrics"]["accuracy"]
    assert "optimistic" in by_window["validation"]["warnings"][0]
    acc = by_session["metrics"]["accuracy"]
    assert acc < 0.5, acc
    v = by_session["validation"]
    assert v["method"] == "kfold" and v["folds"] == 5 and v["sessions"] == 12
    assert v["sessions_per_class"] == {"still": 4, "walk": 4, "shake": 4}
    assert v["description"].startswith("5-fold by session: 12 sessions")
    assert by_session["baseline"]["accuracy"] is not None


def test_separable_sessions_estimate_and_per_session_accuracy():
    wins, labels, groups, scales = _sessions(9)
    r = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales,
                   n_trees=5).run()
    assert r["validation"]["estimate"] is True and r["metrics"]["n"] == len(wins)
    assert r["metrics"]["accuracy"] >= 0.9
    # the majority-class baseline: always the most common class (3 balanced classes: 1/3)
    assert abs(r["baseline"]["accuracy"] - 1 / 3) < 1e-9 and r["baseline"]["class"] == "still"
    ps = r["per_session"]
    assert [p["session"] for p in ps] == ["s%d" % i for i in range(9)]
    assert sum(p["n"] for p in ps) == len(wins)
    assert all(p["correct"] <= p["n"] and p["accuracy"] == p["correct"] / p["n"] for p in ps)


def test_too_few_sessions_per_class_gives_no_number():
    wins, labels, groups, scales = _sessions(4)   # walk and shake: one session each
    r = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales,
                   n_trees=3).run()
    v = r["validation"]
    assert v["estimate"] is False and r["metrics"] is None
    assert "too few sessions for an honest estimate" in v["why"]
    assert "walk (only session s1)" in v["why"] and "shake (only session s2)" in v["why"]
    assert "still" not in v["why"]
    assert r["text"] and r["model"].n_classes == 3      # a model is still trained on all
    assert r["n_train"] == len(wins)


def test_chosen_test_sessions():
    wins, labels, groups, scales = _sessions(6)
    r = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales, n_trees=5,
                   validation={"method": "test", "sessions": ["s3", "s4", "s5"]}).run()
    assert r["metrics"]["n"] == 18 and r["n_train"] == 18   # the deployed model saw s0..s2
    assert [p["session"] for p in r["per_session"]] == ["s3", "s4", "s5"]
    assert r["validation"]["test_sessions"] == ["s3", "s4", "s5"]
    r2 = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales, n_trees=3,
                    validation={"method": "test", "sessions": ["s1", "s4"]}).run()
    assert any("walk" in w for w in r2["validation"]["warnings"])   # no walk left to train
    for bad, words in ((["s9"], "no labelled windows"), (["s%d" % i for i in range(6)],
                                                          "keep some for training")):
        try:
            P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales,
                       validation={"method": "test", "sessions": bad}).run()
        except ValueError as e:
            assert words in str(e), str(e)
        else:
            raise AssertionError("accepted test sessions %r" % bad)


def test_each_window_uses_its_own_scale():
    # the same physical windows as counts of two scales (x2 counts at half the scale) give the
    # same features, so the same model, byte for byte
    wins, labels, groups, scales = _sessions(6)
    half = []
    for w in wins:
        h = array("h", [0] * len(w))
        for i in range(len(w)):
            h[i] = max(-32768, min(32767, w[i] * 2))
        half.append(h)
    mixed = [half[i] if i % 2 else wins[i] for i in range(len(wins))]
    mixed_scales = [1 / 8192 if i % 2 else 1 / 4096 for i in range(len(wins))]
    clipped = [i for i in range(len(wins)) if max(abs(v) for v in wins[i]) > 16383]
    assert not clipped, "test windows must fit at the finer scale"
    a = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales,
                   n_trees=4).run()
    b = P.Pipeline(mixed, labels, synth.CLASSES, WIN, groups=groups, scales=mixed_scales,
                   n_trees=4).run()
    assert a["hash"] == b["hash"]
    # one scale for all (the old behaviour) computes other features: another model
    c = P.Pipeline(mixed, labels, synth.CLASSES, dict(WIN, scale=1 / 4096), groups=groups,
                   n_trees=4).run()
    assert c["hash"] != a["hash"]


def test_model_carries_channel_names_rate_and_window():
    wins, labels, groups, scales = _sessions(6)
    r = P.Pipeline(wins, labels, synth.CLASSES, dict(WIN, hop=16), groups=groups,
                   scales=scales, n_trees=2).run()
    w = r["model"].meta["window"]
    assert w["channels"] == ["x", "y", "z"] and w["rate"] == 50 and w["window"] == 64
    assert w["hop"] == 16 and "scale" not in w
    clf = P.Classifier(r["model"], fft="python")
    assert clf.classify(wins[0], 1 / 4096) == r["model"].predict(
        clf.qz.quantize(clf.fe.compute(wins[0], clf.fe.new_output(), 1 / 4096)))


def test_live_check_counts_windows_inside_one_label():
    # 10 windows of 8 samples every 4 over 44 samples; labels a [0, 20), b [20, 44)
    preds = bytes([0, 0, 0, 0, 1, 1, 0, 255, 1, 1])
    segs = [(0, 20, "a"), (20, 44, "b")]
    m = E.live_check(preds, ["a", "b"], segs, 44, 8, 4)
    # windows starting 0,4,8,12 are a (all predicted a); 16 crosses; 20..36 are b
    assert m["confusion"] == [[4, 0], [1, 3]] and m["no_prediction"] == 1
    assert m["accuracy"] == 7 / 8
    m2 = E.live_check(preds, ["a", "c"], segs, 44, 8, 4)    # the model knows no "b"
    assert m2["unknown"] == 4 and m2["n"] == 4

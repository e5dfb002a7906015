# The train panel's report (app/model_report.py) says how it evaluated, next to the baseline,
# or why there is no number; sessions worst first. CPython (pytest) on real pipeline results.
from app import model_report as R
from shared import pipeline as P
from shared.tests import synth
from shared.tests.test_validation import WIN, _sessions


def _summary(n_sessions, **kw):
    wins, labels, groups, scales = _sessions(n_sessions)
    r = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales, n_trees=3,
                   **kw).run()
    return R.summary(r, 1200, 30, 0.5)


def test_estimate_with_how_and_baseline():
    s = _summary(9)
    html = R.render(s)
    assert "accuracy on 54 windows the model did not see (5-fold by session: 9 sessions" in html
    b = s["baseline"]
    assert b["accuracy"] < 0.5 and b["class"] == "still"
    assert "majority-class baseline (always &ldquo;still&rdquo;): %.1f%% accuracy" % (
        100 * b["accuracy"]) in html
    # balanced accuracy beside the accuracy, and the baseline's (1 / 3 classes) beside its own
    assert s["balanced_accuracy"] is not None and abs(b["balanced_accuracy"] - 1 / 3) < 1e-9
    assert "<b>%.1f%%</b> balanced accuracy" % (100 * s["balanced_accuracy"]) in html
    assert "33.3% balanced accuracy</p>" in html
    assert "sessions per class: still 3, walk 3, shake 3" in html
    assert "per session, worst first" in html and "<table class=\"cm\">" in html


def test_no_number_with_too_few_sessions():
    s = _summary(4)
    assert s["estimate"] is False and s["accuracy"] is None
    html = R.render(s)
    assert "<b>No accuracy estimate.</b> too few sessions for an honest estimate" in html
    assert "walk (only session s1)" in html and "trained on all 24 windows" in html
    assert "confusion" not in html and "%" not in html.split("model:")[0]


def test_worst_sessions_first_and_the_rest_summed_up():
    s = {"per_session": [{"session": "a", "n": 4, "correct": 4, "accuracy": 1.0},
                         {"session": "b", "n": 4, "correct": 1, "accuracy": 0.25},
                         {"session": "c", "n": 4, "correct": 3, "accuracy": 0.75}]}
    html = "".join(R._per_session(s))
    assert html.index(">b<") < html.index(">c<") and ">a<" not in html
    assert "1 session with every window right" in html
    assert "1 more with errors" in "".join(R._per_session(s, most=1))


def _device(n_sessions):
    """A device's kept evaluation (POST /api/train's answer keys) of a pipeline result."""
    wins, labels, groups, scales = _sessions(n_sessions)
    r = P.Pipeline(wins, labels, synth.CLASSES, WIN, groups=groups, scales=scales, n_trees=3,
                   ).run()
    m = r["metrics"] or {}
    return {"hash": r["hash"], "classes": synth.CLASSES, "windows": r["n_windows"],
            "sessions": list(range(1, n_sessions + 1)), "validation": r["validation"],
            "accuracy": m.get("accuracy"), "balanced_accuracy": m.get("balanced_accuracy"),
            "per_session": [dict(p, session=k + 1) for k, p in enumerate(r["per_session"])],
            "baseline": r["baseline"], "params": {"n_trees": 3, "max_depth": 12,
                                                  "method": "extra"}, "impl": "c"}


def test_a_device_trained_model_by_the_same_parts():
    t = _device(9)
    html = R.render_device(t)
    assert "<b>trained on the device</b> from 54 windows of 9 sessions (3 trees, depth 12" in html
    assert "accuracy on 54 windows the model did not see (5-fold by session: 9 sessions" in html
    assert "majority-class baseline (always &ldquo;still&rdquo;)" in html
    assert "per session, worst first" in html and "sessions per class: still 3" in html
    assert "<td>#" in html or "with every window right" in html
    t = _device(4)
    html = R.render_device(t)
    assert "<b>No accuracy estimate.</b> too few sessions for an honest estimate" in html
    assert "the device runs was trained on all 24 windows, but" in html
    assert "per session" not in html and "can be sent" not in html

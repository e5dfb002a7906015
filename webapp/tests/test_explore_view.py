# app/view_explore's panel without a browser: a cluster's class choice is its majority label
# or "choose…" (never the first class by default), and "accept the unanimous ones" is off,
# saying why, when no proposal is unanimous. CPython (pytest) with stand-ins for pyscript/jsffi.
import re

from fakes import view_stand_ins  # noqa: E402

view_stand_ins()                        # (other tests may have put a stand-in there)

from app import view_explore as V  # noqa: E402


def _state(majority, proposed=None):
    return {"device": {"info": {"window": 128, "hop": 64}},
            "explore": {"names": ["x_std"], "classes": ["idle", "walking"], "k": 2,
                        "progress": 1, "status": "done", "color": "cluster",
                        "axes": ["pc1", "pc2"], "selection": [], "undo": 0, "choose": None,
                        "outliers": [], "proposed": proposed,
                        "summary": {"n": 10, "explained": [0.5, 0.2], "sizes": [6, 4],
                                    "majority": majority}}}


def _selected(html, c):
    sel = re.search(r'<select name="cls" id="explore-cls-c%d"[^>]*>(.*?)</select>' % c, html).group(1)
    return re.search(r'<option( value="")? selected>([^<]*)</option>', sel).group(2)


def test_a_cluster_proposes_its_majority_or_asks():
    html = V._panel(_state([["walking", 0.8, 5], None]), None)
    assert _selected(html, 0) == "walking"
    assert _selected(html, 1) == "choose…"
    assert "80.0% of its 5 labelled windows: walking" in html
    assert "no majority label: choose a class or name a new one" in html


def test_accept_is_off_with_why_when_nothing_is_unanimous():
    html = V._panel(_state([None, None], {"n": 7, "sure": 0, "counts": {"idle": 7}}), None)
    b = re.search(r'<button[^>]*id="explore-accept"[^>]*>', html).group(0)
    assert " disabled" in b and "none has all 3 neighbours agreeing" in b
    assert 'id="explore-accept-why"' in html
    html = V._panel(_state([None, None], {"n": 7, "sure": 3, "counts": {"idle": 7}}), None)
    b = re.search(r'<button[^>]*id="explore-accept"[^>]*>', html).group(0)
    assert "disabled" not in b

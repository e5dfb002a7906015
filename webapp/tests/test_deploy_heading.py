# The Deploy heading says what the device does with the model of its kind: the kind the device
# runs (GET /api/model: an anomaly model says "kind"; a classes model has none), else the kind
# trained here. CPython (pytest) with stand-ins for pyscript/jsffi.

from fakes import view_stand_ins  # noqa: E402

view_stand_ins()                        # (other tests may have put a stand-in there)

from app import view as V  # noqa: E402


def _st(mode):
    return {"train": {"mode": mode}}


def test_heading_says_what_the_device_does():
    scores = "scores every window"
    classifies = "classifies live"
    # nothing on the device (or not known): the mode trained here
    assert classifies in V._deploy_what(_st("classes"), None)
    assert scores in V._deploy_what(_st("anomaly"), None)
    assert scores in V._deploy_what(_st("anomaly"), {"none": True})
    # what the device runs wins over the page's mode
    assert classifies in V._deploy_what(_st("anomaly"), {"hash": "ab", "classes": ["a"]})
    assert scores in V._deploy_what(_st("classes"), {"hash": "ab", "kind": "anomaly"})
    assert classifies not in V._deploy_what(_st("classes"), {"hash": "ab", "kind": "anomaly"})

# The Deploy heading says what the device does with the model of its kind: the kind the device
# runs (GET /api/model: an anomaly model says "kind"; a classes model has none), else the kind
# trained here. CPython (pytest) with stand-ins for pyscript/jsffi.
import sys
import types

for name in ("pyscript", "jsffi"):        # (other tests may have put a stand-in there)
    m = sys.modules.setdefault(name, types.ModuleType(name))
    for attr, value in (("window", types.SimpleNamespace()), ("document", types.SimpleNamespace()),
                        ("create_proxy", lambda f: f)):
        if not hasattr(m, attr):
            setattr(m, attr, value)

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

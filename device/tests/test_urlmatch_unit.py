# device/urlmatch.py in-process on CPython (fast layer): it matches exactly like Microdot's own
# regex URLPattern on the device's route patterns, for generated paths, and takes long paths
# without recursion.
import importlib.util
import random

import pytest
from microdot.microdot import URLPattern

from device.tests.simdev import ROOT

_spec = importlib.util.spec_from_file_location("_device_urlmatch", ROOT / "device" / "urlmatch.py")
urlmatch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(urlmatch)

PATTERNS = ["/", "/api/status", "/api/sessions", "/api/sessions/<sid>",
            "/api/sessions/<sid>/stop", "/api/sessions/<sid>/labels", "/<path:path>",
            "/a/<int:n>", "/a/<int:n>/<name>", "/ws"]
PIECES = ["", "/", "//", "api", "sessions", "status", "stop", "labels", "1", "-3", "12x", "a",
          "ws", "?", "%20", ".", "..", "x" * 30]


def test_same_answers_as_microdot_urlpattern_on_generated_paths():
    rng = random.Random(5)
    paths = ["/" + "/".join(rng.choice(PIECES) for _ in range(rng.randint(0, 5)))
             for _ in range(3000)]
    paths += ["/api/sessions/7/labels", "/api/sessions/", "/api/sessions/7/", "/a/-5", "/a/5/b",
              "/a/5/b/", "", "api/status", "/api/statusx"]
    for pat in PATTERNS:
        ours, theirs = urlmatch.Pattern(pat), URLPattern(pat)
        for p in paths:
            assert ours.match(p) == theirs.match(p), (pat, p)


def test_long_paths_match_without_recursion():
    p = urlmatch.Pattern("/<path:path>")
    assert p.match("/" + "a" * 100000) == {"path": "a" * 100000}
    assert urlmatch.Pattern("/api/sessions/<sid>").match("/api/sessions/" + "9" * 50000)


def test_unsupported_patterns_are_refused_when_the_route_is_made():
    for bad in ("/<re:[a-z]+:x>", "/<path:p>/more", "/<float:x>", "/<x"):
        with pytest.raises(ValueError):
            urlmatch.Pattern(bad)

# Golden vectors of the Explore tests (shared/tests/golden/explore.json, made by
# scripts/make_golden_explore.py from scikit-learn and numpy references) and helpers shared by
# the test_explore_* modules (not a test module). Memory: the JSON document, read once (28 KB).
from array import array

try:
    import ujson as json
except ImportError:
    import json

_cache = {}


def golden(part):
    if "doc" not in _cache:
        path = __file__ if "/" in __file__ else "./" + __file__
        with open(path.rsplit("/", 1)[0] + "/golden/explore.json") as f:
            _cache["doc"] = json.load(f)
    return _cache["doc"][part]


def implementations(pure, c_name):
    """[(name, module)]: the pure-Python module, plus the C module when importable here."""
    out = [("python", pure)]
    try:
        out.append(("c", __import__(c_name)))
    except ImportError:
        pass
    return out


def close(got, want, tol, what):
    assert len(got) == len(want), (what, len(got), len(want))
    for i in range(len(want)):
        assert abs(got[i] - want[i]) <= tol, "%s[%d]: %r != %r (tol %r)" % (
            what, i, got[i], want[i], tol)


def close_up_to_sign(got, want, tol, what):
    """Vectors equal up to a sign (an eigenvector's sign is a convention)."""
    s = 1.0 if sum(got[i] * want[i] for i in range(len(want))) >= 0 else -1.0
    close([s * v for v in got], want, tol, what)
    return s


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc:
        return
    raise AssertionError("expected %s" % exc.__name__)


def u8(values):
    return bytearray(values)


def f32(values):
    return array("f", values)

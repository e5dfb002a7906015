# Device tests. device/ is put first on sys.path here (pytest's rootdir insertion for this
# package, and models.py for hal.sim_accel), where device/http.py (the device's HTTP limits)
# would shadow the standard library's http package that paho-mqtt and urllib need: import
# the standard one first.
import os as _os
import sys as _sys

if "http.client" not in _sys.modules:
    _dev = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    _saved = _sys.path[:]
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _dev]
    _sys.modules.pop("http", None)
    try:
        import http.client  # noqa: F401
        import http.server  # noqa: F401
    finally:
        _sys.path[:] = _saved

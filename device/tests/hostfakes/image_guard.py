# Host fake of a board's own ESP32 image (device/boards/modules.py): the unix port's frozen
# firmware holds every module, so an import of one this board's image leaves out
# (MOTEBOOK_IMAGE_LACKS: dotted names, comma-separated; device/tests/boardsim.py) raises the
# ImportError the board would raise. Memory: a small set of names.
import builtins
import os

_LACKS = set(n for n in (os.getenv("MOTEBOOK_IMAGE_LACKS") or "").split(",") if n)
_import = builtins.__import__


# A relative import through this hook would resolve against this module (MicroPython passes
# no globals): asyncio's, the only ones, are made now, before the hook is in place.
import asyncio  # noqa: E402

for _a in getattr(asyncio, "_attrs", ()):
    getattr(asyncio, _a)


def _guard(name, globals=None, locals=None, fromlist=None, level=0):
    if name in _LACKS:
        raise ImportError("no module named '%s'" % name)
    for f in fromlist if isinstance(fromlist, (tuple, list)) else ():
        if name + "." + f in _LACKS:
            raise ImportError("no module named '%s.%s'" % (name, f))
    return _import(name, globals, locals, fromlist, level)


builtins.__import__ = _guard

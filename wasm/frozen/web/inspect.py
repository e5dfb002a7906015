# motebook: minimal inspect for the browser build. PyScript 0.7.31 uses isgeneratorfunction,
# iscoroutinefunction and signature(f).parameters (to know whether an event handler takes the
# event). The parameter count comes from our C helper _mb_inspect.argcount (bytecode prelude).
import _mb_inspect


def _gen():
    yield


_GEN_FUNC = type(_gen)
_GEN = type(_gen())


def isgeneratorfunction(obj):
    return isinstance(obj, _GEN_FUNC)


# MicroPython's async functions are generator functions
iscoroutinefunction = isgeneratorfunction


def isgenerator(obj):
    return isinstance(obj, _GEN)


iscoroutine = isgenerator


def isfunction(obj):
    return isinstance(obj, type(isfunction))


def isclass(obj):
    return isinstance(obj, type)


class Signature:
    def __init__(self, n):
        # names are placeholders: only the number of parameters is known
        self.parameters = {"arg%d" % i: None for i in range(n)}


def signature(f):
    try:
        n = _mb_inspect.argcount(f)
    except TypeError:
        n = 1  # builtins, native code: assume a handler that takes the event
    return Signature(n)

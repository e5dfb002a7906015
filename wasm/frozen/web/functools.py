# motebook: minimal functools for the browser build: wraps (used by PyScript's pyscript.events),
# partial and reduce.


def wraps(wrapped, assigned=None, updated=None):
    def decorator(wrapper):
        for name in ("__name__", "__doc__", "__module__", "__qualname__"):
            try:
                setattr(wrapper, name, getattr(wrapped, name))
            except (AttributeError, TypeError):
                pass  # MicroPython functions usually take no attributes
        try:
            wrapper.__wrapped__ = wrapped
        except (AttributeError, TypeError):
            pass
        return wrapper

    return decorator


def partial(func, *args, **kwargs):
    def call(*more, **morekw):
        kw = dict(kwargs)
        kw.update(morekw)
        return func(*(args + more), **kw)

    return call


_none = object()


def reduce(function, iterable, initial=_none):
    it = iter(iterable)
    value = next(it) if initial is _none else initial
    for item in it:
        value = function(value, item)
    return value

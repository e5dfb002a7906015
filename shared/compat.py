# CPython/MicroPython shims used by shared/ code (one place for every runtime difference).
# Memory: nothing is allocated at import beyond the function objects.
try:
    from micropython import const  # noqa: F401
except ImportError:
    def const(x):
        return x


def bytes_view(arr, nbytes):
    """A writable byte view of the first nbytes of array arr, without copying.
    CPython casts the memoryview; MicroPython has no cast, so uctypes maps the same memory."""
    try:
        return memoryview(arr).cast("B")[:nbytes]
    except AttributeError:
        import uctypes
        if nbytes > len(arr) * (2 if "'h'" in repr(arr[:0]) else 4):
            raise ValueError("array too small for %d bytes" % nbytes)
        return memoryview(uctypes.bytearray_at(uctypes.addressof(arr), nbytes))

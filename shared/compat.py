# CPython/MicroPython shims used by shared/ code (one place for every runtime difference):
# const, bytes_view, ticks_ms/ticks_diff, native, c_module (a C module or the Python one), a
# seeded xorshift32 RNG, isnan/isfinite.
# Memory: nothing is allocated at import beyond the function objects; Rng holds one int.
try:
    from micropython import const  # noqa: F401
except ImportError:
    def const(x):
        return x

# `native` marks hot loops. MicroPython applies its native emitter only for a literal
# `@micropython.native` seen by the compiler (it is no runtime attribute on 1.28, and the
# browser build rejects that decorator with SyntaxError), so shared/ code uses this marker,
# a no-op unless a port ever exposes micropython.native at runtime. To get machine code on the
# device, precompile the module with `mpy-cross -X emit=native` instead.
try:
    import micropython as _mp
    native = _mp.native
except (ImportError, AttributeError):
    def native(f):
        return f

try:
    from time import ticks_ms, ticks_diff, ticks_add  # noqa: F401  (MicroPython)
except ImportError:
    import time as _time
    _TICKS_PERIOD = 1 << 30
    _TICKS_HALF = _TICKS_PERIOD >> 1

    def ticks_ms():
        """Milliseconds from an arbitrary point, wrapping like MicroPython's (30 bits)."""
        return int(_time.monotonic() * 1000) & (_TICKS_PERIOD - 1)

    def ticks_add(t, delta):
        return (t + delta) & (_TICKS_PERIOD - 1)

    def ticks_diff(a, b):
        """Signed difference a - b of two ticks_ms values, correct across the wrap."""
        return ((a - b + _TICKS_HALF) & (_TICKS_PERIOD - 1)) - _TICKS_HALF


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


def isnan(x):
    return x != x


def isfinite(x):
    """True for a finite number (False for nan and +-inf) without relying on math.isfinite."""
    return x == x and x - x == 0.0


def c_module(name, impl, what):
    """Which implementation of a C-or-Python pair to use: impl "auto" -> the C module `name`
    when it imports, else None (the caller's pure-Python one); "c" -> the module (its
    ImportError raised); "python" -> None; anything else: ValueError naming `what`."""
    if impl in ("auto", "c"):
        try:
            return __import__(name)
        except ImportError:
            if impl == "c":
                raise
            return None
    if impl != "python":
        raise ValueError("unknown %s implementation %r" % (what, impl))
    return None


_M32 = 0xFFFFFFFF


class Rng:
    """Seeded xorshift32 (Marsaglia 13/17/5): the same sequence on CPython, MicroPython unix,
    WASM and the device, unlike the `random` module. (On a 32-bit port values above 2**30
    are heap ints: fine for splits and tests, not meant for a sampling loop.)"""

    def __init__(self, seed=1):
        self.seed(seed)

    def seed(self, seed):
        s = int(seed) & _M32
        self._s = s if s else 0x9E3779B9  # the all-zero state is a fixed point

    def next32(self):
        """The next raw 32-bit value (0 .. 2**32-1)."""
        x = self._s
        x ^= (x << 13) & _M32
        x ^= x >> 17
        x ^= (x << 5) & _M32
        self._s = x
        return x

    def randbelow(self, n):
        """Uniform int in [0, n) by rejection (no modulo bias); n <= 2**32."""
        if n <= 0:
            raise ValueError("randbelow needs n > 0")
        limit = (1 << 32) - ((1 << 32) % n)
        while True:
            x = self.next32()
            if x < limit:
                return x % n

    def randint(self, a, b):
        """Uniform int in [a, b], both included."""
        return a + self.randbelow(b - a + 1)

    def random(self):
        """Float in [0, 1) with 24 random bits: exact in 32-bit floats, so it is the same value
        on the ESP32 as on a 64-bit host."""
        return (self.next32() >> 8) / 16777216.0

    def uniform(self, a, b):
        return a + (b - a) * self.random()

    def shuffle(self, seq):
        """Fisher-Yates shuffle of a list (or array) in place."""
        for i in range(len(seq) - 1, 0, -1):
            j = self.randbelow(i + 1)
            seq[i], seq[j] = seq[j], seq[i]

    def choice(self, seq):
        if not len(seq):
            raise IndexError("choice from an empty sequence")
        return seq[self.randbelow(len(seq))]

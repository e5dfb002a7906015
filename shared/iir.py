# Cascaded second-order IIR sections run in place on array('f'): our emlearn_iir C binding where
# it imports (device firmware, our unix and WASM builds), else this pure-Python cascade with the
# same coefficients and the same structure (transposed direct form II, as emlearn's eml_iir.h
# and scipy.signal.sosfilt). Memory: a copy of the coefficients and 2 state floats per stage.
from array import array

from shared.compat import c_module, native


def impls():
    """IIR implementations available here: always "python", plus "c" when emlearn_iir imports."""
    try:
        import emlearn_iir  # noqa: F401
        return ["python", "c"]
    except ImportError:
        return ["python"]


@native
def _run(v, c, z, stages):
    n = len(v)
    for s in range(stages):
        o = 6 * s
        b0 = c[o]
        b1 = c[o + 1]
        b2 = c[o + 2]
        a1 = c[o + 4]
        a2 = c[o + 5]
        z1 = z[2 * s]
        z2 = z[2 * s + 1]
        for i in range(n):
            x = v[i]
            y = b0 * x + z1
            z1 = b1 * x - a1 * y + z2
            z2 = b2 * x - a2 * y
            v[i] = y
        z[2 * s] = z1
        z[2 * s + 1] = z2


class Cascade:
    """Pure-Python emlearn_iir: Cascade(coeffs).run(values) filters array('f') in place; the
    state carries over between calls. coeffs: 6 per stage, b0 b1 b2 a0 a1 a2 with a0 = 1."""

    def __init__(self, coeffs):
        n = len(coeffs)
        if n == 0 or n % 6:
            raise ValueError("coefficients: length must be a non-zero multiple of 6")
        for s in range(0, n, 6):
            if abs(coeffs[s + 3] - 1.0) > 1e-6:
                raise ValueError("coefficients: a0 of every stage must be 1 (normalised sos)")
        self._c = array("f", coeffs)
        self._stages = n // 6
        self._z = [0.0] * (2 * self._stages)

    def run(self, values):
        _run(values, self._c, self._z, self._stages)


def new(coeffs, impl="auto"):
    """A filter with .run(array('f')) in place: emlearn_iir (impl "auto" or "c") when it imports,
    else Cascade. Returns (filter, impl_name). The coefficients are rounded to float32 either way."""
    c = c_module("emlearn_iir", impl, "IIR")
    if c is not None:
        return c.new(array("f", coeffs)), "c"
    return Cascade(coeffs), "python"

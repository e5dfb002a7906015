"""Stub: signatures of `emlearn_iir` in our builds (wasm/modules/emlearn_iir), the same API as
emlearn-micropython's module. Documentation only.

    sos = scipy.signal.butter(4, 0.1, output="sos")            # on the host
    f = emlearn_iir.new(array.array("f", sos.flatten()))       # on the device / page
    f.run(values)                                              # array('f'), in place
"""


class emliir:
    def run(self, values) -> None:
        """Filter array('f') `values` in place (float32, direct form II transposed per stage);
        the state carries over to the next call. NaN/inf in values: ValueError before
        anything is changed (state included). Wrong typecode: ValueError; not an array: TypeError."""


def new(coefficients) -> emliir:
    """A cascade of biquads. coefficients: array('f') of 6 per stage in scipy's sos order
    b0 b1 b2 a0 a1 a2, with a0 == 1; 1..64 stages. ValueError for another length, a0 != 1,
    NaN/inf or another typecode; TypeError for a non-array."""

"""Stub: signature of `emlearn_arrayutils` in our builds (wasm/modules/emlearn_arrayutils), the
API of emlearn-micropython's module. Documentation only.

    emlearn_arrayutils.linear_map(features_f, features_h, lo, hi, -32768, 32767)
"""


def linear_map(inp, out, in_min: float, in_max: float, out_min: float, out_max: float) -> None:
    """out[i] = clamp((inp[i] - in_min) * (out_max - out_min) / (in_max - in_min) + out_min)
    into [out_min, out_max]. inp/out: array('h') or array('f') of the same length (may be the
    same array); float -> int16 truncates toward zero. ValueError for another typecode or
    length, in_min == in_max, NaN/inf in the arguments or in a float input, or an int16
    output range outside -32768..32767."""


def quantize_rows(rows, factors, offsets, X, start: int, end: int) -> None:
    """Ours (issue 22; not in emlearn-micropython): shared/quant.py's quantisation of feature
    rows rows[start:end] (a list of array('f') of n = len(factors)) into the flat array('h') X
    of len(rows) * n: q = clamp(round_half_away(x * factor - offset), -32768, 32767), NaN -> 0,
    in the interpreter's float type (the same int16 values as the Python loop). factors: floats,
    offsets: ints, 1..1024 of each. ValueError for other lengths/typecodes or a bad range."""

# int16 quantisation: exact half-away rounding, clamping, NaN handling, a fitted range that
# fits int16 with headroom, and a round trip through the stored dict.
from array import array

from shared import quant as Q


def test_round_half_away_exact():
    cases = [(0.5, 1), (-0.5, -1), (1.5, 2), (2.5, 3), (-2.5, -3), (0.49999999999999994, 0),
             (-0.49999999999999994, 0), (2.4999999, 2), (-7.0, -7), (0.0, 0), (12345.5, 12346)]
    for v, want in cases:
        assert Q.round_half_away(v) == want, (v, Q.round_half_away(v))


def test_clamp_nan_inf():
    qz = Q.Quantizer([0, 0, 0, 0, -2], [0, 0, 0, 10, 0])
    out = array("h", [7] * 5)
    qz.quantize_into([1e9, -1e9, float("nan"), float("inf"), 1.125], out)
    assert list(out) == [32767, -32768, 0, 32767, 5]  # 1.125 * 4 = 4.5 -> 5
    assert qz.quantize([float("-inf"), 0.0, 0.0, 10.0, -0.375]) == [-32768, 0, 0, 0, -2]


def test_fit_uses_int16_with_headroom():
    rows = [[i * 0.013 - 5.0, 1000.0 + i, 7.0, float("nan")] for i in range(101)]
    qz = Q.Quantizer.fit(rows)
    qs = [qz.quantize(r) for r in rows]
    for j in range(3):
        col = [q[j] for q in qs]
        assert -Q.LEVELS // 2 - 1 <= min(col) and max(col) <= Q.LEVELS // 2 + 1, (j, col[:3])
    # the range is spread over more than half the available steps (resolution is kept)
    assert qs[-1][0] - qs[0][0] > Q.LEVELS // 4
    assert qz.shifts[3] == 0 and qz.offsets[3] == 0   # all-NaN feature
    for r, q in zip(rows, qs):
        for j in range(3):
            assert abs(qz.dequantize(q[j], j) - r[j]) <= 2.0 ** qz.shifts[j] / 2 + 1e-12


def test_dict_roundtrip_and_validation():
    qz = Q.Quantizer([-3, 4], [100, -7])
    d = qz.to_dict()
    back = Q.Quantizer.from_dict(d)
    assert back.shifts == [-3, 4] and back.offsets == [100, -7]
    assert back.quantize([13.0, -100.0]) == qz.quantize([13.0, -100.0]) == [4, 1]
    for bad in ({"shift": [0]}, {"shift": [0.5], "offset": [0]}, {"shift": [0], "offset": [0, 1]},
                {"shift": [1000], "offset": [0]}, {"shift": [0], "offset": ["1"]}, []):
        try:
            Q.Quantizer.from_dict(bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (bad,))

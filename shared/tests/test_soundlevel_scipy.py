"""shared.weighting and shared.iir against scipy.signal on CPython (HOST_ONLY): the response
the portable tests measure deviations with (response_db) equals sosfreqz on a fine grid, and
the pure-Python cascade equals sosfilt; the design stays within 0.15 dB of the IEC formula on a
fine grid up to 6.3 kHz at 16 kHz (not only at the nominal frequencies), and within class 2 at
48 kHz up to 16 kHz."""
import os
import sys
from array import array

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared import iir, weighting as W  # noqa: E402

np = pytest.importorskip("numpy")
signal = pytest.importorskip("scipy.signal")


@pytest.mark.parametrize("kind", ["A", "C"])
def test_response_equals_sosfreqz_and_the_formula(kind):
    fs = 16000
    sos = W.sos(kind, fs)
    f = np.geomspace(10.0, 6300.0, 400)
    _, h = signal.sosfreqz(np.array(sos).reshape(-1, 6), worN=f, fs=fs)
    ref = 20 * np.log10(np.abs(h))
    ours = np.array([W.response_db(sos, fs, v) for v in f])
    assert np.max(np.abs(ours - ref)) < 1e-6
    goal = np.array([W.analog_db(kind, v) for v in f])
    assert np.max(np.abs(ref - goal)) < 0.15, np.max(np.abs(ref - goal))


def test_cascade_equals_sosfilt():
    rs = np.random.RandomState(3)
    x = rs.uniform(-1, 1, 4000).astype(np.float32)
    sos = W.sos("A", 16000)
    want = signal.sosfilt(np.array(sos, dtype=np.float32).astype(np.float64).reshape(-1, 6),
                          x.astype(np.float64))
    f = iir.Cascade(sos)
    a, b = array("f", x[:1500].tobytes()), array("f", x[1500:].tobytes())
    f.run(a)
    f.run(b)   # the state carries over between blocks
    got = np.array(list(a) + list(b))
    assert np.max(np.abs(got - want)) < 1e-4


def test_48khz_within_class2_to_16khz():
    for kind in ("A", "C"):
        for nominal, dev, hi, lo in W.deviations(kind, 48000, upto=16000):
            assert dev <= hi and (lo is None or dev >= lo), (kind, nominal, dev)
            assert abs(dev) < 0.5, (kind, nominal, dev)

# The page's Python (app/stream.py, app/plot.py) without a browser: frames staged in a file
# are decoded, sequence gaps counted, overlapping windows appended once to the plot rings.
# Plain test functions: pytest on CPython; `python webapp/tests/test_app.py` or
# `MICROPYPATH=.frozen:.:webapp micropython webapp/tests/test_app.py` run them directly.
import array
import struct
import sys

from shared import protocol as P
from app.plot import PlotBuffer
from app.stream import Stream

_STAGE = "/tmp/motebook_test_stage.bin"
_PLOT = "/tmp/motebook_test_plot.bin"


def _stage(seq, t_ms, samples, nch=3, ns=8, rate=1000, scale=0.5, dtype=P.DTYPE_INT16):
    buf = bytearray(P.frame_size(nch, ns, dtype))
    n = P.encode_window_into(buf, seq, t_ms, samples, nch, ns, rate, scale, dtype)
    with open(_STAGE, "wb") as f:
        f.write(buf)
    return n


def _window(base, nch=3, ns=8):
    return array.array("h", [base + c * 100 + i for c in range(nch) for i in range(ns)])


def test_consecutive_windows_decode_without_gaps():
    s = Stream(_STAGE)
    for seq in range(5):
        out = s.on_frame(_stage(seq, seq * 4, _window(seq)))
        assert out is not None
    assert (s.windows, s.gaps, s.bad, s.first_seq, s.last_seq) == (5, 0, 0, 0, 4)
    assert s.header == (4, 16, 3, P.DTYPE_INT16, 8, 1000, 0.5)
    assert list(s.samples[:3]) == [4, 5, 6]


def test_missing_sequence_numbers_count_as_gaps_and_hello_restarts_the_check():
    s = Stream(_STAGE)
    for seq in (0, 1, 4):
        s.on_frame(_stage(seq, 0, _window(0)))
    assert s.gaps == 2
    s.on_text('{"type":"hello","rate":1000,"window":8,"hop":4,"channels":["x","y","z"]}')
    s.on_frame(_stage(100, 0, _window(0)))
    assert s.gaps == 2 and s.first_seq == 100 and s.info["hop"] == 4


def test_malformed_frame_is_counted_not_raised():
    s = Stream(_STAGE)
    n = _stage(0, 0, _window(0))
    with open(_STAGE, "r+b") as f:
        f.write(b"X")
    assert s.on_frame(n) is None
    assert s.bad == 1 and "format" in s.error and s.windows == 0
    s.on_text("not json")
    assert "control" in s.error


def test_magnitude_std_is_zero_for_a_still_vector_and_grows_with_motion():
    s = Stream(_STAGE)
    still = array.array("h", [0] * 8 + [0] * 8 + [1000] * 8)
    s.on_frame(_stage(0, 0, still))
    assert s.mag_std < 1e-9
    moving = array.array("h", [0] * 16 + [1000 + 200 * (i % 2) for i in range(8)])
    s.on_frame(_stage(1, 8, moving))
    assert abs(s.mag_std - 50.0) < 1e-6     # +-100 raw around 1100, times scale 0.5


def test_float32_frames_decode():
    s = Stream(_STAGE)
    f = array.array("f", [0.25 * i for i in range(24)])
    out = s.on_frame(_stage(0, 0, f, dtype=P.DTYPE_FLOAT32, scale=1.0))
    assert out is not None and out[5] == 1.25


def test_plot_appends_only_the_hop_of_overlapping_windows_oldest_first():
    s = Stream(_STAGE)
    p = PlotBuffer(16)
    # window 8 at 1000 Hz, hop 4 (4 ms): the second window adds samples 8..11 only
    for seq in range(2):
        t = seq * 4
        w = array.array("h", [t + i for i in range(8)] * 3)
        out = s.on_frame(_stage(seq, t, w))
        p.add(out, s.header, seq == 0)
    assert p.flush(_PLOT) == 12                              # only the samples received
    with open(_PLOT, "rb") as f:
        data = f.read()
    vals = struct.unpack("<48f", data)
    t = vals[:12]                                            # the time axis: seconds
    assert abs(t[-1]) < 1e-9 and abs(t[0] + 11 / 1000) < 1e-6
    x = vals[12:24]
    assert list(x) == [0.5 * i for i in range(12)]           # samples 0..11, scaled
    assert not p.dirty
    out = s.on_frame(_stage(2, 8, array.array("h", [8 + i for i in range(8)] * 3)))
    p.add(out, s.header)                                     # 16 samples: the ring is full
    out = s.on_frame(_stage(3, 12, array.array("h", [12 + i for i in range(8)] * 3)))
    p.add(out, s.header)                                     # 20: it wraps, the newest 16
    assert p.flush(_PLOT) == 16
    with open(_PLOT, "rb") as f:
        vals = struct.unpack("<64f", f.read())
    assert list(vals[16:32]) == [0.5 * i for i in range(4, 20)]


def test_plot_restarts_after_a_new_connection():
    s = Stream(_STAGE)
    p = PlotBuffer(8)
    out = s.on_frame(_stage(0, 0, _window(0)))
    p.add(out, s.header, True)
    out = s.on_frame(_stage(9, 5000, _window(0)))           # far later: whole window again
    p.add(out, s.header, False)
    p.flush(_PLOT)
    with open(_PLOT, "rb") as f:
        vals = struct.unpack("<32f", f.read())
    assert list(vals[8:16]) == [0.5 * i for i in range(8)]


if __name__ == "__main__":
    failed = 0
    for name in sorted(k for k in dir() if k.startswith("test_")):
        try:
            globals()[name]()
            print("ok", name)
        except Exception as e:      # noqa: BLE001 (report and go on)
            failed += 1
            print("FAIL", name, repr(e))
    sys.exit(1 if failed else 0)


def test_plot_takes_a_slow_rate_below_one_hertz():
    # a spectrometer at one sample every 2 s (rate 0.5 Hz): window 8, hop 4 = 8 s a hop
    s = Stream(_STAGE)
    p = PlotBuffer(16)
    for seq in range(3):
        t = seq * 8000
        w = array.array("h", [seq * 4 + i for i in range(8)] * 3)
        out = s.on_frame(_stage(seq, t, w, rate=0.5))
        assert out is not None and s.header[5] == 0.5
        p.add(out, s.header, seq == 0)
    assert p.flush(_PLOT) == 16                              # 8, then a hop of 4, twice
    with open(_PLOT, "rb") as f:
        vals = struct.unpack("<64f", f.read())
    assert abs(vals[15]) < 1e-9 and abs(vals[0] + 15 * 2) < 1e-4    # seconds: 2 s a sample
    assert list(vals[16:32]) == [0.5 * i for i in range(16)]

"""shared.soundlevel and shared.weighting: the sound level meter's acceptance figures, measured
with sine tones made here (16 kHz): calibration, A and C weighting within IEC 61672-1 class 2,
Leq, Fast/Slow decay and tone bursts, L10/L50/L90, clipping said as clipping. Tones go through
the runtime's default IIR path (emlearn_iir in C where it imports); the paths agree on noise.
Kept short: the WASM interpreter collects garbage only between JavaScript's calls, and the
meter's per-sample loop leaves ~48 bytes of boxed floats a sample (~0.75 MB per second)."""
import math
from array import array

from shared import iir, soundlevel as SL, weighting as W

FS = 16000
DBFS_94 = -26.0          # the INMP441's sensitivity: 94 dB SPL reads -26 dBFS
OFFSET = SL.offset_for_sensitivity(DBFS_94)


def _amp(db):
    # peak amplitude (full scale 1.0) of a sine that reads `db` dB SPL with OFFSET
    return math.sqrt(2.0 * 10.0 ** ((db - OFFSET) / 10.0))


class _Tone:
    """Sine blocks of 0.1 s, continuous in phase between blocks. A tone whose period divides the
    block (1 kHz, 500 Hz) repeats one block made per amplitude (the meter filters in place, so
    each block is a fresh copy): the minute-long tests stay quick on every runtime."""

    def __init__(self, f, amp, fs=FS):
        self.w = 2.0 * math.pi * f / fs
        self.amp = amp
        self.n = 0
        self.buf = array("f", bytes(4 * (fs // 10)))
        period = fs / f
        self._periodic = period == int(period) and len(self.buf) % int(period) == 0
        self._made = None     # (amplitude, block) of a periodic tone

    def _fill(self, b, a, n0):
        w = self.w
        for i in range(len(b)):
            b[i] = a * math.sin(w * (n0 + i))

    def block(self, amp=None):
        a = self.amp if amp is None else amp
        b = self.buf
        if self._periodic:
            if self._made is None or self._made[0] != a:
                self._made = (a, array("f", b))
                self._fill(self._made[1], a, 0)
            b[:] = self._made[1]
        else:
            self._fill(b, a, self.n)
        self.n += len(b)
        return b


def _feed(m, tone, seconds, amp=None):
    for _ in range(int(seconds * 10)):
        m.process(tone.block(amp))


def _meters(kind, offset=OFFSET):
    return [SL.Meter(FS, kind, offset_db=offset)]


def test_design_within_class2_to_6300_hz():
    # the designed sections at every IEC nominal frequency up to 6.3 kHz, also with the
    # coefficients rounded to float32 as the C filter holds them; our design stays within 0.3 dB
    for kind in ("A", "C"):
        s32 = list(array("f", W.sos(kind, FS)))
        for sos in (W.sos(kind, FS), s32):
            for nominal, hi, lo in W.CLASS2:
                if nominal > 6300:
                    break
                f = W.exact_frequency(nominal)
                dev = W.response_db(sos, FS, f) - W.analog_db(kind, f)
                assert dev <= hi and (lo is None or dev >= lo), (kind, nominal, dev)
                assert abs(dev) < 0.3, (kind, nominal, dev)
    assert W.sos("Z", FS) == []
    assert abs(W.analog_db("A", 1000.0)) < 1e-9 and abs(W.analog_db("A", 31.5) + 39.5) < 0.1


def test_design_goal_is_the_standard():
    # IEC 61672-1 Table 3 design goals (dB) at nominal frequencies (exact base-10 frequencies)
    for kind, nominal, goal in (("A", 31.5, -39.4), ("A", 125, -16.1), ("A", 4000, 1.0),
                                ("A", 6300, -0.1), ("A", 10, -70.4), ("C", 31.5, -3.0),
                                ("C", 4000, -0.8), ("C", 6300, -2.0), ("C", 20, -6.2)):
        got = W.analog_db(kind, W.exact_frequency(nominal))
        assert abs(got - goal) < 0.06, (kind, nominal, got, goal)


def _tone_reading(m, f, db):
    # the Leq of one second of a steady tone, after 0.3 s that let the filter settle (reset()
    # restarts the second and the time weighting, not the filter)
    t = _Tone(f, _amp(db))
    _feed(m, t, 0.3)
    m.reset()
    _feed(m, t, 1)
    return m.last_second["leq"]


def test_a_weighting_with_sine_tones_class2():
    for m in _meters("A"):
        for nominal in (31.5, 125, 1000, 4000, 6300):
            f = W.exact_frequency(nominal)
            got = _tone_reading(m, f, 90.0) - 90.0
            dev = got - W.analog_db("A", f)
            hi, lo = [(h, l) for n, h, l in W.CLASS2 if n == nominal][0]
            assert lo <= dev <= hi, (m.impl, nominal, got, dev)
            assert abs(dev) < 0.3, (m.impl, nominal, got, dev)
            m.reset()


def test_c_weighting_with_sine_tones_class2():
    for m in _meters("C"):
        for nominal in (31.5, 1000, 4000, 6300):
            f = W.exact_frequency(nominal)
            dev = _tone_reading(m, f, 90.0) - 90.0 - W.analog_db("C", f)
            hi, lo = [(h, l) for n, h, l in W.CLASS2 if n == nominal][0]
            assert lo <= dev <= hi and abs(dev) < 0.3, (m.impl, nominal, dev)
            m.reset()


def test_1khz_tone_at_calibration_level_reads_94():
    for kind in ("A", "C", "Z"):
        for m in _meters(kind):
            got = _tone_reading(m, 1000.0, 94.0)
            assert abs(got - 94.0) <= 0.3, (kind, m.impl, got)
            assert abs(m.fast_db() - 94.0) <= 0.3 and abs(m.slow_db() - 94.0) <= 0.3


def test_calibration_from_a_reference_tone():
    # an unknown microphone: offset 100 reads wrong; the 94 dB tone sets it; then a tone at the
    # calibration level reads 94.0 and one 20 dB lower reads 74.0
    for m in _meters("A", offset=100.0):
        t = _Tone(1000.0, 0.05)
        _feed(m, t, 2)
        assert abs(m.last_second["leq"] - 94.0) > 5.0
        off = m.calibrate(94.0)
        assert abs(off - m.offset_db) < 1e-9
        _feed(m, t, 1)
        assert abs(m.last_second["leq"] - 94.0) <= 0.3, m.last_second
        _feed(m, t, 2, 0.005)
        assert abs(m.last_second["leq"] - 74.0) <= 0.3, m.last_second


def test_leq_of_a_tone_on_for_30_seconds():
    # a minute: 30 s of a 1 kHz tone at 90 dB, then 30 s of a 500 Hz tone at 60 dB
    # (Z weighting: this is the integration; A and C are the tone tests')
    lo_db = 60.0
    want = 10.0 * math.log10((30 * 10 ** 9.0 + 30 * 10 ** 6.0) / 60.0)
    m = SL.Meter(FS, "Z", offset_db=OFFSET)
    on = _Tone(1000.0, _amp(90.0))
    off = _Tone(500.0, _amp(lo_db))
    _feed(m, on, 30)
    assert abs(m.last_second["leq"] - 90.0) <= 0.3, m.last_second
    assert m.last_minute is None
    _feed(m, off, 30)
    assert abs(m.last_second["leq"] - 60.0) <= 0.3, m.last_second
    got = m.last_minute
    assert abs(got["leq"] - want) <= 0.5, (got, want)
    assert abs(got["lmax"] - 90.0) <= 0.3 and abs(got["lmin"] - 60.0) <= 0.3, got
    assert got["clipped_s"] == 0


def test_percentiles_of_a_known_pattern():
    # twice 1 s at 80 dB, 2 s at 65, 2 s at 50 in a 10 s period: L10 = 80, L50 = 65, L90 = 50
    # of the Fast level (0.1 dB bins; the Slow one would not reach 80 in a second)
    m = SL.Meter(FS, "Z", offset_db=OFFSET, period_s=10)
    t = _Tone(1000.0, 1.0)
    for _ in range(2):
        for db, s in ((80.0, 1), (65.0, 2), (50.0, 2)):
            _feed(m, t, s, _amp(db))
    got = m.last_minute
    for key, want in (("l10", 80.0), ("l50", 65.0), ("l90", 50.0), ("lmax", 80.0),
                      ("lmin", 50.0)):
        assert abs(got[key] - want) <= 0.3, (key, got)
    assert m.percentile(50) is None  # the next minute has nothing yet


def test_fast_and_slow_decay_and_tone_bursts():
    # a tone switched off: Fast falls 34.7 dB/s (10 lg e / 0.125 s), Slow 4.34 dB/s
    m = SL.Meter(FS, "Z", offset_db=OFFSET)
    t = _Tone(1000.0, _amp(90.0))
    _feed(m, t, 3)
    f0, s0 = m.fast_db(), m.slow_db()
    _feed(m, t, 0.2, 1e-6)  # 0.2 s at -30 dB SPL: far below the decay
    assert abs((f0 - m.fast_db()) - 0.2 * 34.74) <= 0.3, (f0, m.fast_db())
    assert abs((s0 - m.slow_db()) - 0.2 * 4.343) <= 0.1, (s0, m.slow_db())
    # IEC 61672-1 Table 4: LAFmax of a 4 kHz burst relative to the steady tone
    for burst_ms, rel in ((200, -1.0), (10, -11.1)):
        m = SL.Meter(FS, "Z", offset_db=OFFSET)
        t = _Tone(4000.0, _amp(90.0))
        _feed(m, t, 2)
        steady = m.last_second["lmax"]
        _feed(m, t, 2, 1e-6)
        blk = array("f", bytes(4 * FS * 3 // 10))
        n = FS * burst_ms // 1000
        for i in range(n):
            blk[i] = _amp(90.0) * math.sin(2.0 * math.pi * 4000.0 * i / FS)
        m.process(blk)
        _feed(m, t, 0.7, 1e-6)
        got = m.last_second["lmax"] - steady
        assert abs(got - rel) <= 0.5, (burst_ms, got, rel)


def test_clipping_is_reported_not_a_level():
    m = SL.Meter(FS, "A", offset_db=OFFSET, period_s=10)
    t = _Tone(1000.0, _amp(90.0))
    _feed(m, t, 1)
    assert m.last_second["clipped"] == 0 and m.fast_db() is not None
    _feed(m, t, 0.5)
    clipped = t.buf  # overdriven: the converter holds full scale
    for i in range(len(clipped)):
        clipped[i] = 1.0 if i % 16 < 8 else -1.0
    m.process(clipped)
    assert m.clipping and m.fast_db() is None and m.slow_db() is None
    _feed(m, t, 0.4)
    s = m.last_second
    assert s["clipped"] > 0 and s["leq"] is None and s["lmax"] is None, s
    try:
        m.calibrate()
    except ValueError:
        pass
    else:
        raise AssertionError("calibrated from a clipped second")
    _feed(m, t, 2)
    assert m.last_second["clipped"] == 0 and not m.clipping
    assert abs(m.fast_db() - 90.0) <= 0.3
    assert m.last_minute is None
    _feed(m, t, 6)
    got = m.last_minute
    assert got["clipped_s"] >= 1 and got["leq"] is None and got["l50"] is None, got


def test_clipped_samples_counted_in_their_second():
    # a block across the end of a second: its clipped samples are counted in their own second
    m = SL.Meter(FS, "Z", offset_db=OFFSET)
    quiet = array("f", bytes(4 * 1000))
    for _ in range(15):
        m.process(quiet)
    blk = array("f", bytes(4 * 1500))   # samples 15000..16499
    blk[999] = 1.0                      # sample 15999: the first second's last
    blk[1000] = -1.0                    # 16000 and 16499: the second second
    blk[1499] = 1.0
    assert m.process(blk) == 1
    assert m.last_second["clipped"] == 1 and m.last_second["leq"] is None, m.last_second
    for _ in range(15):
        m.process(quiet)
    assert m.process(array("f", bytes(4 * 500))) == 1
    assert m.last_second["clipped"] == 2, m.last_second
    for _ in range(16):
        m.process(quiet)
    assert m.last_second["clipped"] == 0 and m.last_second["leq"] is not None


def test_iir_paths_agree():
    rng = 12345
    x = array("f", bytes(4 * 2000))
    for i in range(len(x)):
        rng = (rng * 1103515245 + 12345) & 0x7FFFFFFF
        x[i] = rng / 1073741824.0 - 1.0
    sos = W.sos("A", FS)
    ref = array("f", x)
    iir.Cascade(sos).run(ref)
    for impl in iir.impls():
        f, name = iir.new(sos, impl)
        y = array("f", x)
        f.run(y)
        assert name == impl
        for i in range(len(y)):
            assert abs(y[i] - ref[i]) <= 1e-3 * (1.0 + abs(ref[i])), (impl, i, y[i], ref[i])


def test_bad_input_is_refused():
    for args in ((FS, "B"), (4000, "A"), (16000.5, "A"), (FS, "A", None, 0.0, 140.0, SL.CLIP,
                                                          "auto", 0),
                 (FS, "A", None, 0.0, 140.0, SL.CLIP, "auto", SL.MAX_PERIOD_S + 1)):
        try:
            SL.Meter(*args)
        except ValueError:
            continue
        raise AssertionError("Meter%r accepted" % (args,))
    m = SL.Meter(8000, "A")   # (a block over a second at 8 kHz: 32 KB, for small heaps)
    for call in (lambda: m.process(array("f", bytes(4 * 8001))), lambda: m.calibrate(),
                 lambda: iir.Cascade([1.0, 0.0, 0.0, 2.0, 0.0, 0.0]),
                 lambda: iir.Cascade([1.0, 0.0])):
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("accepted")
    assert m.process(array("f")) == 0
    # digital silence: a level far below any microphone's floor, not an error
    quiet = array("f", bytes(4 * 800))
    for _ in range(10):
        m.process(quiet)
    assert m.last_second["leq"] < 0.0

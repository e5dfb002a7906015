# Ring + Windower: windows of the right samples, channel-major, consecutive seq, hop/overrun.
# Plain test functions (CPython via pytest; the file imports nothing CPython-only).
from array import array

from shared.windowing import Ring, Windower, zeros


def _fill(ring, n, start=0):
    # sample k has channel c value k*10 + c
    for k in range(start, start + n):
        ring.push([k * 10 + c for c in range(ring.channels)])


def test_zeros_is_int16_array_of_n():
    a = zeros("h", 5)
    assert isinstance(a, array) and list(a) == [0] * 5
    a[0] = -32768                   # int16 range
    assert a[0] == -32768


def test_no_window_until_enough_samples():
    r = Ring(2, 16)
    w = Windower(r, 8, 4)
    out = zeros("h", 16)
    _fill(r, 7)
    assert not w.ready() and w.build_into(out) is None
    _fill(r, 1, 7)
    assert w.ready()


def test_windows_are_channel_major_with_hop_and_consecutive_seq():
    r = Ring(3, 20)
    w = Windower(r, 8, 4, seq_base=100)
    out = zeros("h", 24)
    _fill(r, 8)
    assert w.build_into(out) == (100, 0)
    assert list(out[:8]) == [k * 10 for k in range(8)]          # channel 0
    assert list(out[16:]) == [k * 10 + 2 for k in range(8)]     # channel 2
    seqs = []
    for k in range(8, 40):
        _fill(r, 1, k)
        got = w.build_into(out)
        if got:
            seqs.append(got[0])
            start = got[1]
            assert list(out[8:16]) == [(start + i) * 10 + 1 for i in range(8)]
    assert seqs == list(range(101, 101 + len(seqs))) and len(seqs) == 8
    assert w.dropped == 0 and w.windows == 9


def test_ring_wraps_and_window_spans_the_wrap():
    r = Ring(1, 10)
    w = Windower(r, 6, 6)
    out = zeros("h", 6)
    _fill(r, 6)
    w.build_into(out)
    _fill(r, 6, 6)                  # samples 6..11 occupy slots 6..9, 0, 1
    assert w.build_into(out) == (1, 6)
    assert list(out) == [60, 70, 80, 90, 100, 110]


def test_overrun_drops_windows_and_counts_them():
    r = Ring(1, 12)
    w = Windower(r, 8, 4)
    out = zeros("h", 8)
    _fill(r, 40)                    # consumer too slow: oldest sample kept is 28
    seq, start = w.build_into(out)
    assert start >= 28 and start % 4 == 0
    assert w.dropped == seq         # every window before it was lost
    assert list(out) == [(start + i) * 10 for i in range(8)]


def test_bad_shapes_raise():
    r = Ring(1, 10)
    for length, hop in ((0, 1), (11, 1), (5, 0), (5, 6)):
        try:
            Windower(r, length, hop)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % ((length, hop),))

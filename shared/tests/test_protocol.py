# Window frames and control messages round-trip, and malformed input is refused by name.
# Plain test functions: pytest runs them on CPython, shared/tests/mprun.py on MicroPython.
from array import array
import struct

from shared import protocol as P


def _frame(nch=3, ns=8, dtype=P.DTYPE_INT16, seq=7, t=1234):
    tc = P.typecode(dtype)
    samples = array(tc, [(i * 37 % 200) - 100 for i in range(nch * ns)])
    buf = bytearray(P.frame_size(nch, ns, dtype))
    n = P.encode_window_into(buf, seq, t, samples, nch, ns, 100, 0.5, dtype)
    return buf, n, samples


def _raises(fn, *args):
    try:
        fn(*args)
    except P.ProtocolError as e:
        return str(e)
    raise AssertionError("no ProtocolError")


def test_int16_roundtrip():
    buf, n, samples = _frame()
    assert n == len(buf) == P.HEADER_SIZE + 3 * 8 * 2
    out = array("h", [0] * 24)
    h = P.decode_window_into(buf, out)
    assert h == (7, 1234, 3, P.DTYPE_INT16, 8, 100, 0.5)
    assert list(out) == list(samples)


def test_float32_roundtrip_and_layout():
    buf, n, samples = _frame(nch=2, ns=4, dtype=P.DTYPE_FLOAT32)
    out = array("f", [0.0] * 8)
    P.decode_window_into(buf, out)
    assert list(out) == list(samples)
    # channel-major, little-endian: first float of channel 1 is sample index 4
    assert struct.unpack_from("<f", buf, P.HEADER_SIZE + 4 * 4)[0] == samples[4]


def test_sequence_wraps():
    buf, n, s = _frame(seq=2 ** 32 + 5)
    assert P.decode_header(buf)[0] == 5


def test_malformed_frames_named():
    buf, n, s = _frame()
    assert "too short" in _raises(P.decode_header, buf[:5])
    assert "does not match" in _raises(P.decode_header, buf[:-1])
    bad = bytearray(buf); bad[0] = 0x00
    assert "format" in _raises(P.decode_header, bad)
    bad = bytearray(buf); bad[1] = 9
    assert "version" in _raises(P.decode_header, bad)
    bad = bytearray(buf); bad[11] = 5
    assert "sample type" in _raises(P.decode_header, bad)
    bad = bytearray(buf); bad[10] = 0
    assert "shape" in _raises(P.decode_header, bad)


def test_control_roundtrip_and_nan():
    text = P.encode_control({"type": "hello", "x": float("nan"), "l": [1.5, float("inf")]})
    msg = P.decode_control(text)
    assert msg["type"] == "hello" and msg["x"] is None and msg["l"] == [1.5, None]


def test_control_rejects_bad():
    assert "JSON" in _raises(P.decode_control, "{nope")
    assert "type" in _raises(P.decode_control, "[1, 2]")
    assert "type" in _raises(P.decode_control, '{"type": 3}')
    assert "too long" in _raises(P.decode_control, '{"type": "x", "p": "' + "a" * 2000 + '"}')
    assert "text" in _raises(P.decode_control, b'{"type": "x"}')


def test_control_accepts_only_complete_documents():
    # MicroPython's json.loads takes these as {} and {"type": "ping"}
    assert "cut off" in _raises(P.decode_control, "{")
    assert "cut off" in _raises(P.decode_control, '{"type": "ping"')
    assert "JSON" in _raises(P.decode_control, '{"type": "ping",}')
    deep = '{"type": "ping", "id": ' + "[" * 100 + "]" * 100 + "}"
    assert "nested deeper" in _raises(P.decode_control, deep)


def test_mel_frame_roundtrip_and_refusals():
    from shared.compat import bytes_view
    db = array("f", [-100.0, -12.344, 0.0, 15.6789, 400.0])
    codes = array("h", bytes(10))
    buf = bytearray(2 + P.mel_size(5))
    n = P.encode_mel_into(buf, 2, 7, (1 << 32) + 5, 16000, 512, db, codes, bytes_view(codes, 10))
    assert n == 26 == P.MEL_HEADER_SIZE + 10
    seq, s0, fs, hop, v = P.decode_mel(bytes(buf[2:]))
    assert (seq, s0, fs, hop) == (7, 5, 16000, 512)
    assert v == [-100.0, -12.34, 0.0, 15.68, 327.67], v      # 0.01 dB, clamped
    for bad, words in ((bytes(buf[2:10]), "too short"), (b"W" + bytes(buf[3:]), "not a mel"),
                       (bytes(buf[2:-2]), "does not match")):
        try:
            P.decode_mel(bad)
        except P.ProtocolError as e:
            assert words in str(e), (words, str(e))
        else:
            raise AssertionError("accepted: " + words)

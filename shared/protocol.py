# motebook wire protocol: binary window frames and JSON control messages.
# One module for the device (encodes), the page (decodes, in MicroPython-WASM) and the tests.
# Memory: encode_window_into/decode_window_into work on caller-owned buffers and allocate
# nothing per frame; only the control-message helpers build small dicts/strings.
#
# Window frame (little-endian), header of HEADER_SIZE = 20 bytes, then the samples:
#   0  u8   format byte, FORMAT_WINDOW = 0x57 ('W')
#   1  u8   protocol version, VERSION = 1
#   2  u32  sequence number (wraps at 2**32; consecutive windows differ by 1)
#   6  u32  device timestamp of the first sample, milliseconds (wraps)
#   10 u8   channel count (1..MAX_CHANNELS)
#   11 u8   sample type: DTYPE_INT16 = 0 or DTYPE_FLOAT32 = 1
#   12 u16  samples per channel (1..MAX_SAMPLES)
#   14 u16  sample rate, Hz; with bit 15 set, a slow rate: one sample every (field & 0x7FFF)
#           seconds (rate_field / rate_of: decode_header gives the rate as 1 / seconds)
#   16 f32  scale: physical value = raw sample * scale (1.0 for float32 frames)
#   20 ...  samples, channel-major (all of channel 0, then channel 1, ...)
#
# Mel frame (little-endian), sent only to a client that asked ({"type": "mel", "on": true}):
# header of MEL_HEADER_SIZE = 16 bytes, then one int16 per band, 0.01 dB a count (log-mel dB
# of shared.mel.MelFrames, full scale 1.0; clamped to +-327.67 dB):
#   0  u8   format byte, FORMAT_MEL = 0x4D ('M')
#   1  u8   protocol version, VERSION = 1
#   2  u32  frame number since the frames were turned on (consecutive frames differ by 1)
#   6  u32  the microphone's sample number of the frame's first sample (wraps)
#   10 u16  sample rate, Hz
#   12 u16  hop, samples (a frame every hop / rate seconds: 512 / 16000 = 32 ms)
#   14 u8   bands (1..MAX_MELS)
#   15 u8   value type: MEL_CENTI_DB = 0
#   16 ...  bands x int16
# 32 bands: 80 bytes a frame, 31.25 frames a second: 2.5 KB/s (+ 2 bytes WebSocket header).
#
# Control messages are WebSocket text frames holding one JSON object with a string "type".
# The device tells every page what changed: {"type": "changed", "part": one of PARTS, "id"?:
# the session whose labels (or which session) changed, "version": n (per part, since boot)}.
try:
    import ujson as json
except ImportError:
    import json
import struct

from shared import jsonck
from shared.compat import bytes_view
from shared.limits import MAX_CHANNELS, MAX_SAMPLES

FORMAT_WINDOW = 0x57
VERSION = 1
DTYPE_INT16 = 0
DTYPE_FLOAT32 = 1
HEADER_SIZE = 20
MAX_CONTROL_BYTES = 1024
_HEADER = "<BBIIBBHHf"
_ITEMSIZE = (2, 4)
_TYPECODE = ("h", "f")


# The microphone's "level" channel (device/sound.py): the Fast level in 0.01 dB a count;
# LEVEL_CLIPPED: that moment clipped (never a level), LEVEL_NONE: no level yet
LEVEL_CLIPPED = 32767
LEVEL_NONE = 0

FORMAT_MEL = 0x4D
MEL_HEADER_SIZE = 16
MEL_CENTI_DB = 0
MAX_MELS = 64
_MEL_HEADER = "<BBIIHHBB"


# the parts of the device's state a "changed" message names (the page refreshes what it shows
# of them)
PARTS = ("sessions", "labels", "model", "config", "notebooks", "history", "integrations")


class ProtocolError(ValueError):
    pass


SLOW = 0x8000


def rate_field(rate):
    """The u16 of a rate: whole Hz (1..32767), or 0x8000 | seconds for a rate below 1 Hz that
    is one sample every whole number of seconds (1/60 -> 0x803C)."""
    if rate >= 1:
        if rate != int(rate) or rate >= SLOW:
            raise ProtocolError("rate %r Hz: whole Hz below 32768" % (rate,))
        return int(rate)
    if rate <= 0:
        raise ProtocolError("rate %r Hz must be > 0" % (rate,))
    period = int(1 / rate + 0.5)
    if not 2 <= period < SLOW or abs(period * rate - 1) > 1e-4:
        raise ProtocolError("rate %r Hz: below 1 Hz a rate is one sample every 2..32767 whole "
                            "seconds" % (rate,))
    return SLOW | period


def rate_of(field):
    """The rate (Hz) a u16 rate field says: field, or 1 / seconds for a slow one."""
    return 1 / (field & 0x7FFF) if field & SLOW else field


def period_s(rate):
    """Seconds between samples of a slow rate (< 1 Hz), else None."""
    return int(1 / rate + 0.5) if rate < 1 else None


def same_rate(a, b):
    """Are two rates (Hz) the same one? A slow rate 1/60 computed in float32 (ESP32) and in
    double (the page) differs in its last digits."""
    return a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and
                      abs(a - b) <= 1e-5 * max(abs(a), abs(b)))


def frame_size(n_channels, n_samples, dtype=DTYPE_INT16):
    return HEADER_SIZE + n_channels * n_samples * _ITEMSIZE[dtype]


def typecode(dtype):
    return _TYPECODE[dtype]


def encode_window_into(buf, seq, t_ms, samples, n_channels, n_samples, rate, scale=1.0,
                       dtype=DTYPE_INT16):
    """Write a window frame into bytearray buf; samples is an array ('h' or 'f') holding
    n_channels*n_samples values channel-major. Returns the frame length."""
    if not 1 <= n_channels <= MAX_CHANNELS or not 1 <= n_samples <= MAX_SAMPLES:
        raise ProtocolError("bad window shape")
    if dtype != DTYPE_INT16 and dtype != DTYPE_FLOAT32:
        raise ProtocolError("bad sample type")
    size = frame_size(n_channels, n_samples, dtype)
    if len(buf) < size:
        raise ProtocolError("buffer too small")
    struct.pack_into(_HEADER, buf, 0, FORMAT_WINDOW, VERSION, seq & 0xFFFFFFFF,
                     t_ms & 0xFFFFFFFF, n_channels, dtype, n_samples,
                     rate if isinstance(rate, int) and 0 < rate < SLOW else rate_field(rate),
                     scale)
    nbytes = size - HEADER_SIZE
    memoryview(buf)[HEADER_SIZE:size] = bytes_view(samples, nbytes)
    return size


def decode_header(buf, length=None):
    """Validate a frame and return (seq, t_ms, n_channels, dtype, n_samples, rate, scale).
    Raises ProtocolError naming the problem for anything malformed."""
    n = len(buf) if length is None else length
    if n < HEADER_SIZE:
        raise ProtocolError("frame too short: %d bytes" % n)
    fmt, ver, seq, t_ms, nch, dtype, ns, rate, scale = struct.unpack_from(_HEADER, buf, 0)
    if fmt != FORMAT_WINDOW:
        raise ProtocolError("unknown frame format 0x%02x" % fmt)
    if ver != VERSION:
        raise ProtocolError("unsupported protocol version %d" % ver)
    if dtype != DTYPE_INT16 and dtype != DTYPE_FLOAT32:
        raise ProtocolError("unknown sample type %d" % dtype)
    if not 1 <= nch <= MAX_CHANNELS or not 1 <= ns <= MAX_SAMPLES:
        raise ProtocolError("bad window shape %dx%d" % (nch, ns))
    if n != frame_size(nch, ns, dtype):
        raise ProtocolError("frame length %d does not match header (%d)"
                            % (n, frame_size(nch, ns, dtype)))
    if rate == 0 or rate == SLOW or (rate & SLOW and (rate & 0x7FFF) < 2):
        raise ProtocolError("bad sample rate field 0x%04x" % rate)
    return seq, t_ms, nch, dtype, ns, rate_of(rate), scale


def decode_window_into(buf, out, length=None):
    """Decode the samples of frame buf into out, an array of the frame's type code with room
    for n_channels*n_samples values. Returns the header tuple of decode_header."""
    h = decode_header(buf, length)
    count = h[2] * h[4]
    if len(out) < count:
        raise ProtocolError("output array too small")
    nbytes = count * _ITEMSIZE[h[3]]
    bytes_view(out, nbytes)[:] = memoryview(buf)[HEADER_SIZE:HEADER_SIZE + nbytes]
    return h


def mel_size(n_mels):
    """Bytes of a mel frame of n_mels bands."""
    return MEL_HEADER_SIZE + 2 * n_mels


def encode_mel_into(buf, off, seq, sample0, fs, hop, db, codes, code_bytes):
    """Write a mel frame at buf[off:]: db array('f') of n bands (dB) quantised to 0.01 dB
    into codes (array('h') of n), whose bytes code_bytes (compat.bytes_view(codes, 2 n), made
    once by the caller) are copied after the header. Allocates nothing but the float
    temporaries. Returns the frame length."""
    n = len(codes)
    if not 1 <= n <= MAX_MELS or len(db) < n:
        raise ProtocolError("bad mel shape")
    for i in range(n):
        v = db[i] * 100.0
        c = int(v + 0.5) if v >= 0 else -int(0.5 - v)
        codes[i] = 32767 if c > 32767 else (-32767 if c < -32767 else c)
    struct.pack_into(_MEL_HEADER, buf, off, FORMAT_MEL, VERSION, seq & 0xFFFFFFFF,
                     sample0 & 0xFFFFFFFF, fs, hop, n, MEL_CENTI_DB)
    size = MEL_HEADER_SIZE + 2 * n
    memoryview(buf)[off + MEL_HEADER_SIZE:off + size] = code_bytes
    return size


def decode_mel(buf):
    """(seq, sample0, fs, hop, [dB per band]) of a mel frame; ProtocolError naming what is
    malformed."""
    n = len(buf)
    if n < MEL_HEADER_SIZE:
        raise ProtocolError("mel frame too short: %d bytes" % n)
    fmt, ver, seq, s0, fs, hop, nm, vt = struct.unpack_from(_MEL_HEADER, buf, 0)
    if fmt != FORMAT_MEL:
        raise ProtocolError("not a mel frame: format 0x%02x" % fmt)
    if ver != VERSION:
        raise ProtocolError("unsupported protocol version %d" % ver)
    if vt != MEL_CENTI_DB:
        raise ProtocolError("unknown mel value type %d" % vt)
    if not 1 <= nm <= MAX_MELS or n != mel_size(nm):
        raise ProtocolError("mel frame length %d does not match %d bands" % (n, nm))
    if not fs or not hop:
        raise ProtocolError("mel frame with rate %d, hop %d" % (fs, hop))
    v = struct.unpack_from("<%dh" % nm, buf, MEL_HEADER_SIZE)
    return seq, s0, fs, hop, [x / 100.0 for x in v]


def encode_control(msg):
    """Serialise a control message (a dict with a string "type"). NaN/inf become null so the
    browser's JSON.parse accepts what MicroPython writes."""
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("control message needs a string 'type'")
    return json.dumps(_finite(msg))


def _finite(v):
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def changed(part, version, id=None):
    """The "changed" control message for part (one of PARTS)."""
    if part not in PARTS:
        raise ProtocolError("unknown part %r" % (part,))
    m = {"type": "changed", "part": part, "version": version}
    if id is not None:
        m["id"] = id
    return m


def decode_control(text):
    """Parse a control message; raises ProtocolError for anything that is not one complete
    JSON object (shared.jsonck) with a string "type" within MAX_CONTROL_BYTES."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise ProtocolError("control messages are text frames")
    if len(text) > MAX_CONTROL_BYTES:
        raise ProtocolError("control message too long (%d > %d bytes)"
                            % (len(text), MAX_CONTROL_BYTES))
    try:
        msg = jsonck.loads(text)
    except ValueError as e:
        raise ProtocolError("control message is not valid JSON: %s" % e)
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("control message needs a JSON object with a string 'type'")
    return msg

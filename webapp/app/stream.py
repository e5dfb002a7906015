# Window stream state in the page: reads each binary frame that glue.js staged in the
# interpreter FS into a preallocated buffer, decodes it with shared/protocol (the device's own
# code) and keeps the counters the page shows (windows, sequence gaps, |a| spread).
# Memory: the frame buffer and sample arrays grow only when the window shape grows.
import array
import math

from shared import protocol

STAGE = "/stage.bin"


class Stream:
    def __init__(self, stage=STAGE):
        self._stage = stage
        self._buf = bytearray(1024)
        self._mv = memoryview(self._buf)
        self.samples = array.array("h", bytes(2 * 512))
        self._fsamples = array.array("f", bytes(4 * 512))
        self.info = {}              # from the device's hello message
        self.windows = 0            # windows decoded since the page loaded
        self.gaps = 0               # windows missing between consecutive sequence numbers
        self.bad = 0                # malformed frames (ProtocolError)
        self.first_seq = None       # first/last sequence number of the current connection
        self.last_seq = None
        self.header = None          # (seq, t_ms, n_channels, dtype, n_samples, rate, scale)
        self.mag_std = 0.0
        self.error = ""

    def on_text(self, text):
        """A control message: a hello or an error is kept here; returns the message (None
        when malformed)."""
        try:
            msg = protocol.decode_control(text)
        except protocol.ProtocolError as e:
            self.error = "control: %s" % e
            return None
        kind = msg["type"]
        if kind == "hello":
            self.info = msg
            self.first_seq = None   # a new connection: sequence numbers restart the check
            self.last_seq = None
        elif kind == "error":
            self.error = "device: %s" % msg.get("error")
        return msg

    def on_frame(self, n):
        """Read and decode the staged frame of n bytes; returns the sample array or None."""
        if n > len(self._buf):
            self._buf = bytearray(n)
            self._mv = memoryview(self._buf)
        mv = self._mv[:n]
        with open(self._stage, "rb") as f:
            f.readinto(mv)
        try:
            h = protocol.decode_header(mv, n)
            out = self._out(h[3], h[2] * h[4])
            protocol.decode_window_into(mv, out, n)
        except protocol.ProtocolError as e:
            self.bad += 1
            self.error = "frame: %s" % e
            return None
        seq = h[0]
        if self.last_seq is None:
            self.first_seq = seq
        elif seq != (self.last_seq + 1) & 0xFFFFFFFF:
            self.gaps += ((seq - self.last_seq - 1) & 0xFFFFFFFF) if seq != self.last_seq else 0
        self.last_seq = seq
        self.windows += 1
        self.header = h
        self.mag_std = _magnitude_std(out, h[2], h[4], h[6])
        return out

    def _out(self, dtype, count):
        if dtype == protocol.DTYPE_INT16:
            if len(self.samples) < count:
                self.samples = array.array("h", bytes(2 * count))
            return self.samples
        if len(self._fsamples) < count:
            self._fsamples = array.array("f", bytes(4 * count))
        return self._fsamples


def _magnitude_std(out, nch, ns, scale):
    """Standard deviation over one window of the vector magnitude of all channels."""
    s = 0.0
    s2 = 0.0
    for i in range(ns):
        m2 = 0
        for c in range(nch):
            v = out[c * ns + i]
            m2 += v * v
        m = math.sqrt(m2) * scale
        s += m
        s2 += m * m
    mean = s / ns
    var = s2 / ns - mean * mean
    return math.sqrt(var) if var > 0 else 0.0

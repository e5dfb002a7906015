# Log-mel frames from the microphone for the WebSocket clients that asked for them
# ({"type": "mel", "on": true}, device/wshub.py): the sound task (sound.py) feeds every block
# here; each hop of samples (512 at 16 kHz: 32 ms, 31.25 frames a second) becomes one frame of
# 32 bands computed by our C binding emlearn_melspectrogram with shared.mel.MelFrames' settings
# (its C path: the same call; test_node_mel checks the frames against shared.mel on CPython),
# encoded by shared.protocol.encode_mel_into into a ring of RING slots, each with room for its
# WebSocket header in front, so a client's sender writes a run of frames in one write.
# Without the binding (a stock MicroPython) there are no frames: shared/mel.py's Python frames
# take ~1.4 ms each on a PC, far over real time on an ESP32 (shared/SOUND.md); and shared.mel
# is not imported, so it stays out of the 4 MB image (its partition is full).
# Made only while a client wants frames (Sound.set_mel), dropped when none does.
# Memory, made once: the frame's samples (n_fft floats, 2 KB), the bands (32 floats), the codes
# (32 int16), the ring (RING x 82 bytes: 1.3 KB) and the C object (10.75 KB of its own); 15.7 KB
# on the simulator (device/NODE.md). Per frame nothing but float temporaries and two
# memoryview slices per block.
from array import array
from time import ticks_diff, ticks_us

from shared import protocol
from shared.compat import bytes_view

N_FFT = 512          # shared.mel's N_FFT, HOP, N_MELS, FMIN (test_node_mel checks them)
HOP = 512
N_MELS = 32
FMIN = 0.0
RING = 16            # frames kept for the clients: 0.5 s of sound (more behind: counted lost)


class MelStream:
    def __init__(self, fs, notify):
        self.fs = fs
        try:
            import emlearn_melspectrogram as c
        except ImportError:
            raise ValueError("mel frames need our firmware's emlearn_melspectrogram (C): "
                             "this MicroPython has none")
        self.mel = c.new(N_FFT, N_MELS, FMIN, fs / 2.0, int(fs))
        self.impl = "c"
        self.n = N_FFT
        self.hop = HOP
        self._x = array("f", bytes(4 * N_FFT))
        self._xv = memoryview(self._x)
        self._db = array("f", bytes(4 * N_MELS))
        self._codes = array("h", bytes(2 * N_MELS))
        self._cb = bytes_view(self._codes, 2 * N_MELS)
        self.size = protocol.mel_size(N_MELS)         # 80 bytes: < 126, a 2-byte WS header
        self.slot = 2 + self.size
        self.buf = bytearray(RING * self.slot)
        self.view = memoryview(self.buf)
        self._fill = 0
        self._s0 = 0          # the microphone's sample number of _x[0]
        self.total = 0        # frames made
        self.lost = 0         # frames a client was too far behind to get (wshub.py)
        self.us = 0           # time spent computing and encoding them, microseconds
        self.notify = notify  # fn(): a frame is ready (the hub wakes its mel clients)

    def feed(self, blk, n, sample_no):
        """The block blk[0:n] whose first sample is the microphone's sample_no; returns the
        frames it completed."""
        i = 0
        made = 0
        bv = None
        while i < n:
            f = self._fill
            if f == 0:
                self._s0 = sample_no + i
            k = self.n - f
            if k > n - i:
                k = n - i
            if bv is None:
                bv = memoryview(blk)
            self._xv[f:f + k] = bv[i:i + k]
            i += k
            self._fill = f + k
            if self._fill == self.n:
                self._frame()
                made += 1
                self._fill = 0       # hop == n_fft: the next frame starts with new samples
        return made

    def _frame(self):
        t = ticks_us()
        self.mel.run(self._x, self._db)
        o = (self.total % RING) * self.slot
        self.buf[o] = 0x82                      # WebSocket: final binary frame
        self.buf[o + 1] = self.size
        protocol.encode_mel_into(self.buf, o + 2, self.total, self._s0, self.fs, self.hop,
                                 self._db, self._codes, self._cb)
        self.total += 1
        self.us += ticks_diff(ticks_us(), t)
        self.notify()

    def status(self):
        return {"frames": self.total, "impl": self.impl, "n_fft": self.n, "hop": self.hop,
                "n_mels": N_MELS, "lost": self.lost, "us_per_frame": self.us // self.total if self.total else None}

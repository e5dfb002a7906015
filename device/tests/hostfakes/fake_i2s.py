# Host fake, do not upload. machine.I2S in RX mode playing a 16-bit mono WAV (hal/wav.py) in
# a microphone's own bit format, so the driver's conversion (hal/i2s_mic.py) meets the bytes
# a chip sends: "inmp441"/"ics43434" 24-bit two's complement left-justified in a 32-bit slot
# (low byte 0), "sph0645" 18 bits one bit late in a 32-bit slot (the sign repeated at bit 31),
# "int16" plain 16-bit slots; little-endian words as the ESP32's buffer holds them.
# A stream (io.IOBase with ioctl) so MicroPython's asyncio.StreamReader polls and reads it as
# it does the real one; stream() gives CPython an object with async readinto.
# chunk=N: each readinto returns at most N bytes (short reads). realtime=True: samples become
# available at the rate as time passes and, as the DMA buffer, at most ibuf bytes wait: a
# reader later than that loses the oldest (an overrun, which the real bus does not report).
import io
import time

try:
    from time import ticks_ms, ticks_diff
except ImportError:                      # CPython
    def ticks_ms():
        return int(time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b

from array import array

from hal.wav import Reader

_POLL = 3           # MP_STREAM_POLL
_RD = 1             # MP_STREAM_POLL_RD
SLOT = {"inmp441": 4, "ics43434": 4, "sph0645": 4, "int16": 2}


def slot_bytes(chip, s16):
    """The bytes a chip sends for the 16-bit sample s16, as the ESP32's buffer holds them."""
    if chip == "int16":
        v = s16 & 0xFFFF
        return bytes((v & 255, v >> 8))
    if chip == "sph0645":
        v = ((s16 << 2) << 14) >> 1         # 18 bits left-justified, one bit late
    else:
        v = (s16 << 8) << 8                  # 24 bits left-justified, low byte 0
    v &= 0xFFFFFFFF
    return bytes((v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24))


class _Silence:
    def read_into(self, h, n=None):
        n = len(h) if n is None else n
        for i in range(n):
            h[i] = 0
        return n

    def close(self):
        pass


class FakeI2S(io.IOBase):
    RX = 0
    MONO = 0

    def __init__(self, path, chip="inmp441", fs=16000, ibuf=8192, chunk=None, realtime=False,
                 loop=True):
        self.chip = chip
        self.fs = fs
        self.ibuf = ibuf
        self.chunk = chunk
        self.realtime = realtime
        self._wav = Reader(path, fs, loop=loop) if path else _Silence()
        self._h = array("h", [0])
        self._pend = b""          # bytes of a slot not yet handed out
        self._t0 = ticks_ms()
        self._sent = 0            # samples handed out or dropped (realtime)
        self.dropped = 0          # samples lost to a late reader (realtime)
        self.reads = 0
        self.deinited = False

    def _available(self):
        if not self.realtime:
            return 1 << 30
        due = ticks_diff(ticks_ms(), self._t0) * self.fs // 1000 - self._sent
        cap = self.ibuf // SLOT[self.chip]
        if due > cap:                          # the DMA buffer overflowed: the oldest go
            self._skip(due - cap)
            due = cap
        return due

    def _skip(self, n):
        h = self._h
        for _ in range(n):
            self._wav.read_into(h, 1)
        self._sent += n
        self.dropped += n

    def readinto(self, buf):
        self.reads += 1
        want = len(buf)
        if self.chunk:
            want = min(want, self.chunk)
        avail = self._available()
        i = 0
        h = self._h
        while i < want:
            if not self._pend:
                if avail <= 0 or self._wav.read_into(h, 1) == 0:
                    break
                avail -= 1
                self._sent += 1
                self._pend = slot_bytes(self.chip, h[0])
            k = min(len(self._pend), want - i)
            buf[i:i + k] = self._pend[:k]
            self._pend = self._pend[k:]
            i += k
        return i

    def ioctl(self, req, arg):
        if req == _POLL:
            return arg & _RD if (self._pend or self._available() > 0) else 0
        return 0

    def deinit(self):
        self.deinited = True
        self._wav.close()

    def stream(self):
        """For CPython, whose asyncio has no StreamReader over a stream object."""
        dev = self

        class _S:
            async def readinto(self, buf):
                import asyncio
                while not dev.ioctl(_POLL, _RD):
                    await asyncio.sleep(0.001)
                return dev.readinto(buf)
        return _S()

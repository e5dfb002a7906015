# WAV files in and out, streamed: Reader checks the header (16-bit PCM mono at the rate the
# meter runs; anything else is refused with WavError naming what was found and what is
# needed) and reads blocks of samples into the caller's preallocated buffers; a file cut short
# (its data chunk says more than is there) plays what is there and says so (.truncated);
# Writer writes int16 blocks and fixes the sizes at close(). The same code on the device, the
# simulator (hal/sim_mic.py's speech and WAV replay) and CPython (tests, scripts).
# Memory: a Reader holds the open file and a few ints; read_into/read_floats fill the
# caller's array('h') / array('f') (read_floats reads through the caller's int16 scratch
# array): nothing is allocated per block.
import struct

FULL_SCALE = 32768.0
_NAMES = {1: "PCM", 2: "MS ADPCM (compressed)", 3: "float", 6: "A-law (compressed)",
          7: "mu-law (compressed)", 0x11: "IMA ADPCM (compressed)", 0x31: "GSM (compressed)",
          0x55: "MP3 (compressed)"}


class WavError(ValueError):
    """The file is not a WAV this device plays (or not a WAV at all)."""


def _channels(n):
    return "mono" if n == 1 else "stereo" if n == 2 else "%d-channel" % n


def describe(channels, rate, bits, tag):
    """'stereo 44100 Hz 16-bit', 'mono 16000 Hz 32-bit float', 'mono 8000 Hz 4-bit IMA ADPCM
    (compressed)': what a WAV holds, in the words of an error message."""
    what = "%s %d Hz %d-bit" % (_channels(channels), rate, bits)
    if tag != 1:
        what += " " + _NAMES.get(tag, "format 0x%04x (compressed)" % tag)
    return what


class Reader:
    """Reader(path, rate=16000): a 16-bit PCM mono WAV at rate Hz, else WavError. .frames
    (samples in the file), .truncated (the data chunk claimed more), read_into(h) fills an
    array('h') from the current position and returns the samples read (0 at the end; loop=True
    starts over instead), read_floats(f, scratch) the same as floats of full scale 1.0."""

    def __init__(self, path, rate=16000, loop=False):
        self.path = path
        self.loop = loop
        self._f = f = open(path, "rb")
        try:
            self._header(f, rate)
        except BaseException:
            f.close()
            raise
        self._left = self.frames

    def _fail(self, msg):
        raise WavError("%s: %s" % (self.path, msg))

    def _header(self, f, rate):
        head = f.read(12)
        if len(head) < 12 or head[0:4] != b"RIFF" or head[8:12] != b"WAVE":
            self._fail("not a WAV file (no RIFF/WAVE header)")
        fmt = None
        pos = 12
        while True:
            ch = f.read(8)
            if len(ch) < 8:
                self._fail("truncated: no data chunk" if fmt else "truncated: no fmt chunk")
            cid, size = ch[0:4], struct.unpack("<I", ch[4:8])[0]
            pos += 8
            if cid == b"fmt ":
                if size < 16:
                    self._fail("fmt chunk of %d bytes is too short" % size)
                body = f.read(size)
                if len(body) < 16:
                    self._fail("truncated in the fmt chunk")
                tag, nch, fs, _, align, bits = struct.unpack("<HHIIHH", body[0:16])
                if tag == 0xFFFE and size >= 26:        # WAVE_FORMAT_EXTENSIBLE: subformat
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, nch, fs, align, bits)
                if size & 1:
                    f.read(1)
                pos += size + (size & 1)
            elif cid == b"data":
                if fmt is None:
                    self._fail("data chunk before the fmt chunk")
                self._data = pos
                self._size = size
                break
            else:                                        # LIST, fact, ...: skipped
                f.seek(size + (size & 1), 1)
                pos += size + (size & 1)
        tag, nch, fs, align, bits = fmt
        self.rate, self.channels, self.bits = fs, nch, bits
        if tag != 1 or nch != 1 or bits != 16 or fs != rate:
            self._fail("%s: need mono %d Hz 16-bit PCM" % (describe(nch, fs, bits, tag), rate))
        # the samples really there: a file cut short plays what it has
        end = f.seek(0, 2)
        have = end - self._data
        if have < 0:
            have = 0
        self.truncated = have < size
        self.frames = (have if self.truncated else size) // 2
        if self.frames == 0:
            self._fail("no samples (the data chunk is empty%s)"
                       % (" or cut off" if self.truncated else ""))
        f.seek(self._data)

    def rewind(self):
        self._f.seek(self._data)
        self._left = self.frames

    def read_into(self, h, n=None):
        """Up to n (default len(h)) samples into array('h') h from index 0; returns how many
        (short only at the end of a file that does not loop)."""
        n = len(h) if n is None else n
        got = 0
        mv = memoryview(h)
        while got < n:
            if self._left == 0:
                if not self.loop:
                    break
                self.rewind()
            k = n - got
            if k > self._left:
                k = self._left
            r = self._f.readinto(mv[got:got + k])
            r = (r or 0) // 2
            if r == 0:            # the file shrank under us: treat as its end
                self._left = 0
                if not self.loop:
                    break
                continue
            got += r
            self._left -= r
        return got

    def read_floats(self, out, scratch, n=None):
        """Up to n (default len(out)) samples as floats (full scale 1.0) into array('f') out,
        read through array('h') scratch (at least n long); returns how many."""
        n = len(out) if n is None else n
        got = self.read_into(scratch, n)
        k = 1.0 / FULL_SCALE
        for i in range(got):
            out[i] = scratch[i] * k
        return got

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None


class Writer:
    """Writer(path, rate): a 16-bit PCM mono WAV; write(h, n) appends n int16 samples of
    array('h') h; close() writes the sizes (a file not closed is a truncated WAV: Reader
    plays what it holds)."""

    def __init__(self, path, rate=16000):
        self._f = open(path, "wb")
        self.rate = rate
        self.frames = 0
        self._f.write(self._head(0))

    def _head(self, n):
        nb = 2 * n
        return (b"RIFF" + struct.pack("<I", 36 + nb) + b"WAVEfmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, self.rate, 2 * self.rate, 2, 16) +
                b"data" + struct.pack("<I", nb))

    def write(self, h, n=None):
        n = len(h) if n is None else n
        self._f.write(memoryview(h)[:n])
        self.frames += n

    def close(self):
        if self._f is not None:
            self._f.seek(0)
            self._f.write(self._head(self.frames))
            self._f.close()
            self._f = None

# An I2S MEMS microphone on machine.I2S (RX, mono): blocks of samples as the level meter wants
# them, array('f') of full scale 1.0. The bus is passed in (machine.I2S on a board, a fake
# playing a WAV in the chip's bit format in host tests: device/tests/hostfakes/fake_i2s.py).
# Chips (CHIPS): INMP441 and ICS-43434 send 24-bit two's complement samples MSB first,
# left-justified in a 32-bit slot (bits=32: the low byte is 0); SPH0645 sends 18 bits in a
# 32-bit slot one bit late (its known quirk: the data read is the sample shifted right by one,
# so the sign bit repeats at bit 31 and the 24 bits used hold the sample / 2: 6 dB low,
# corrected by the gain); a 16-bit chip (bits=16) sends plain int16. The machine.I2S buffer
# holds the slots as little-endian words (ESP32).
# Reading: asyncio.StreamReader(i2s).readinto into the block's own memory (the raw words land
# in the float array's bytes), then converted IN PLACE word by word, reading only bytes and
# small ints (a 32-bit word as a Python int would be a heap object on the ESP32 for half the
# samples). A read that returns less than asked is counted (short_reads) and continued until
# the block is full. Overruns: machine.I2S says nothing when its DMA buffer (ibuf) overflows
# because the reader was late, so the driver compares the samples received with the time
# since start(): more than the DMA buffer holds missing means samples were lost (overruns,
# lost_samples), and the count restarts from now.
# Memory: the caller's block; the driver holds a memoryview and a few ints; nothing is
# allocated per block (the conversion is a Python loop: a C or viper routine on a board that
# must spare the CPU: scripts/bench_device.py --sound measures it).
import asyncio

from shared.compat import bytes_view, ticks_diff, ticks_ms

FS = 16000
# chip: (slot bits, gain to full scale 1.0 from the 24-bit value read, datasheet sensitivity
# in dBFS at 94 dB SPL 1 kHz)
CHIPS = {"inmp441": (32, 1.0, -26.0), "ics43434": (32, 1.0, -26.0),
         "sph0645": (32, 2.0, -26.0), "int16": (16, 1.0, -26.0)}


class MicError(ValueError):
    """The microphone cannot run as configured."""


class I2SMic:
    """I2SMic(i2s, chip="inmp441", fs=16000, ibuf=bytes): the RX bus already made with the
    chip's slot bits (make_i2s below does it on a board). start(); n = await read(block) fills
    array('f') block (full scale 1.0) and returns len(block); overruns, lost_samples,
    short_reads, samples."""
    name = "i2s"

    def __init__(self, i2s, chip="inmp441", fs=FS, ibuf=8192, stream=None):
        if chip not in CHIPS:
            raise MicError("unknown microphone %r; known: %s" % (chip, ", ".join(sorted(CHIPS))))
        self.chip = chip
        self.bits, self.gain, self.sensitivity_dbfs = CHIPS[chip]
        self.fs = fs
        self._i2s = i2s
        self._stream = stream         # an object with async readinto (CPython tests)
        self._ibuf_samples = ibuf // (self.bits // 8)
        self.overruns = 0
        self.lost_samples = 0
        self.short_reads = 0
        self.samples = 0
        self._t0 = None
        self._got = 0                 # samples since _t0
        self._blk = self._raw = None

    def start(self):
        if self._stream is None:
            self._stream = asyncio.StreamReader(self._i2s)
        self._t0 = ticks_ms()
        self._got = 0

    async def read(self, block):
        """Fill block (array('f')) with the next samples; returns len(block)."""
        if self._t0 is None:
            self.start()
        n = len(block)
        wb = self.bits // 8
        if block is not self._blk:       # the byte view of the caller's block, made once
            self._blk, self._raw = block, memoryview(bytes_view(block, n * wb))
        raw = self._raw
        want = n * wb
        got = 0
        while got < want:
            r = await self._stream.readinto(raw[got:])
            r = r or 0
            if r < want - got:
                self.short_reads += 1
            got += r
        if wb == 4:
            _from32(block, raw, n, self.gain / 8388608.0)
        else:
            _from16(block, raw, n, self.gain / 32768.0)
        self.samples += n
        self._check(n)
        return n

    def _check(self, n):
        self._got += n
        ms = ticks_diff(ticks_ms(), self._t0)
        late = ms * self.fs // 1000 - self._got
        if late > self._ibuf_samples + n:
            self.overruns += 1
            self.lost_samples += late - self._ibuf_samples    # the full DMA buffer is read next
            self._t0 = ticks_ms()
            self._got = -self._ibuf_samples
        elif ms > 60000:                 # keep the numbers small: count from now
            self._t0 = ticks_ms()
            self._got = -late

    def close(self):
        try:
            self._i2s.deinit()
        except AttributeError:
            pass


def _from32(out, raw, n, k):
    # word j: bytes 4j..4j+3 little-endian; the 24 bits used are bytes 1..3 (left-justified)
    for j in range(n):
        b = 4 * j
        v = (raw[b + 3] << 16) | (raw[b + 2] << 8) | raw[b + 1]
        if v & 0x800000:
            v -= 0x1000000
        out[j] = v * k


def _from16(out, raw, n, k):
    # int16 j at bytes 2j, 2j+1 of the same memory: backwards, so no word is overwritten
    # before it is read
    for j in range(n - 1, -1, -1):
        b = 2 * j
        v = raw[b] | (raw[b + 1] << 8)
        if v & 0x8000:
            v -= 0x10000
        out[j] = v * k


def make_i2s(hw, fs=FS, ibuf=8192):
    """machine.I2S for the board's microphone (hw: board.HW with "mic", "i2s", "sck", "ws",
    "sd")."""
    try:
        from machine import I2S, Pin
    except ImportError:
        raise MicError("this MicroPython has no machine.I2S")
    bits = CHIPS[hw["mic"]][0]
    return I2S(hw["i2s"], sck=Pin(hw["sck"]), ws=Pin(hw["ws"]), sd=Pin(hw["sd"]),
               mode=I2S.RX, bits=bits, format=I2S.MONO, rate=fs, ibuf=ibuf)

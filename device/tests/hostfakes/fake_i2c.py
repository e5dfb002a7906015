# Host fake, do not upload. An I2C bus with the machine.I2C calls our drivers use
# (readfrom_mem_into, writeto_mem, readfrom_mem, scan) and register-level chip models behind
# it. Runs on CPython and MicroPython; the read path allocates nothing (so a test can check
# that a driver's drain() does not either); the optional transaction log does.
try:
    from time import ticks_us, ticks_diff
except ImportError:   # CPython
    import time as _time

    def ticks_us():
        return int(_time.monotonic() * 1000000)

    def ticks_diff(a, b):
        return a - b

ENODEV = 19   # what the ESP32 port raises when nothing acknowledges the address


class FakeI2C:
    def __init__(self, *chips):
        self._chips = {}
        for c in chips:
            self._chips[c.addr] = c
        self.log = None           # set to a list to record (op, addr, reg, nbytes)
        self._skip = 0
        self._failing = 0

    def fail(self, after, count):
        """Let `after` transfers pass, then fail `count` (OSError ETIMEDOUT, as the ESP32
        port raises for a stretched or stuck bus)."""
        self._skip, self._failing = after, count

    def _transfer(self):
        if self._failing:
            if self._skip:
                self._skip -= 1
            else:
                self._failing -= 1
                raise OSError(116)

    def chip(self, addr):
        return self._chips[addr]

    def _get(self, addr):
        c = self._chips.get(addr)
        if c is None:
            raise OSError(ENODEV)
        return c

    def scan(self):
        return sorted(self._chips)

    def readfrom_mem_into(self, addr, reg, buf):
        self._transfer()
        c = self._get(addr)
        if self.log is not None:
            self.log.append(("r", addr, reg, len(buf)))
        c.read(reg, buf)

    def readfrom_mem(self, addr, reg, n):
        buf = bytearray(n)
        self.readfrom_mem_into(addr, reg, buf)
        return bytes(buf)

    def writeto_mem(self, addr, reg, buf):
        self._transfer()
        c = self._get(addr)
        if self.log is not None:
            self.log.append(("w", addr, reg, len(buf)))
        for i in range(len(buf)):
            c.write(reg + i, buf[i])

    # plain transfers (no register address): chips driven by opcodes (BH1750)
    def writeto(self, addr, buf):
        self._transfer()
        c = self._get(addr)
        if self.log is not None:
            self.log.append(("w", addr, None, len(buf)))
        for i in range(len(buf)):
            c.command(buf[i])
        return len(buf)

    def readfrom_into(self, addr, buf):
        self._transfer()
        c = self._get(addr)
        if self.log is not None:
            self.log.append(("r", addr, None, len(buf)))
        c.read_raw(buf)


class FakeFifoChip:
    """Common part of the chip models: registers, a byte FIFO (a preallocated ring) and a
    sample clock. Samples come from tick(n) in unit tests, or from the real time since the
    FIFO was switched on (realtime=True: for the sampler running under asyncio).
    Sample i carries its index in x (so tests see gaps and repeats), 0 in y and 1 g in z,
    each encoded the way the chip's configured range and mode encode it."""
    FIFO_BYTES = 1024

    def __init__(self, addr, realtime=False):
        self.addr = addr
        self.realtime = realtime
        self.regs = bytearray(256)
        self.fifo = bytearray(self.FIFO_BYTES)
        self.head = 0             # index of the oldest byte
        self.count = 0            # bytes waiting
        self.produced = 0         # samples the chip has made since the FIFO was switched on
        self.overflows = 0        # samples pushed into a full FIFO (older bytes were lost)
        self.underreads = 0       # FIFO bytes read while the FIFO was empty (a driver bug)
        self._t0 = 0
        self._frac = 0
        self._pkt = bytearray(8)
        self.reset()

    # -- clock
    def rate(self):
        return 0

    def sampling(self):
        return False

    def tick(self, n):
        """The chip makes n samples into its FIFO (nothing while the FIFO is off)."""
        if self.sampling():
            for _ in range(n):
                self._sample()

    def advance_ms(self, ms):
        """Let ms milliseconds of sampling pass at the configured rate."""
        total = ms * self.rate() + self._frac
        self._frac = total % 1000
        self.tick(total // 1000)

    def _catch_up(self):
        if self.realtime and self.sampling():
            due = ticks_diff(ticks_us(), self._t0) * self.rate() // 1000000
            while self.produced < due:
                self._sample()

    def _start_clock(self):
        self._t0 = ticks_us()
        self.produced = 0
        self._frac = 0

    def _sample(self):
        i = self.produced
        self.produced += 1
        n = self.encode(i, self._pkt)
        if self.count + n > self.FIFO_BYTES:
            self.overflows += 1
            self.overflowed()
        self._push(self._pkt, n)

    # -- FIFO ring
    def _push(self, pkt, n):
        size = self.FIFO_BYTES
        for k in range(n):
            if self.count == size:          # full: the oldest byte goes
                self.head = (self.head + 1) % size
                self.count -= 1
            self.fifo[(self.head + self.count) % size] = pkt[k]
            self.count += 1

    def _pop(self):
        if self.count == 0:
            self.underreads += 1
            return 0
        b = self.fifo[self.head]
        self.head = (self.head + 1) % self.FIFO_BYTES
        self.count -= 1
        return b

    def clear_fifo(self):
        self.head = 0
        self.count = 0

    def overflowed(self):
        pass

    # -- encoding helper
    @staticmethod
    def put16(pkt, off, v, big_endian):
        v &= 0xFFFF
        if big_endian:
            pkt[off] = v >> 8
            pkt[off + 1] = v & 0xFF
        else:
            pkt[off] = v & 0xFF
            pkt[off + 1] = v >> 8

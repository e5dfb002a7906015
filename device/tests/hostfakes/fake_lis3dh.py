# Host fake, do not upload. Register model of the LIS3DH / LIS2DH12 as our driver uses it
# (from the datasheet): WHO_AM_I, CTRL_REG1 rate, CTRL_REG4 range and resolution, CTRL_REG5
# boot and FIFO enable, FIFO_CTRL mode and watermark, FIFO_SRC flags and level; multi-byte
# reads advance the address only with its MSB set, and in FIFO mode wrap from OUT_Z_H to
# OUT_X_L onto the next sample.
from fake_i2c import FakeFifoChip

WHO_AM_I = 0x0F
CTRL_REG1 = 0x20
CTRL_REG4 = 0x23
CTRL_REG5 = 0x24
OUT_X_L = 0x28
OUT_Z_H = 0x2D
FIFO_CTRL = 0x2E
FIFO_SRC = 0x2F

ODR_HZ = {1: 1, 2: 10, 3: 25, 4: 50, 5: 100, 6: 200, 7: 400}
MG_PER_DIGIT = (1, 2, 4, 12)     # high-resolution mode, by CTRL_REG4 FS (+-2, 4, 8, 16 g)


class FakeLIS3DH(FakeFifoChip):
    FIFO_BYTES = 32 * 6

    def __init__(self, addr=0x18, realtime=False, who_am_i=0x33):
        self.who = who_am_i
        super().__init__(addr, realtime)

    def reset(self):
        for i in range(256):
            self.regs[i] = 0
        self.regs[WHO_AM_I] = self.who
        self.regs[CTRL_REG1] = 0x07
        self.clear_fifo()

    def rate(self):
        return ODR_HZ.get(self.regs[CTRL_REG1] >> 4, 0)

    def stream(self):
        return self.regs[CTRL_REG5] & 0x40 and self.regs[FIFO_CTRL] >> 6 == 2

    def sampling(self):
        return self.rate() and self.stream()

    def level(self):
        return self.count // 6

    def encode(self, i, pkt):
        reg4 = self.regs[CTRL_REG4]
        mg = MG_PER_DIGIT[(reg4 >> 4) & 3]
        if reg4 & 0x08:                        # high resolution: 12 bits, left-justified
            x, z = (i & 0x7FF) << 4, (1000 // mg) << 4
        else:                                  # normal mode: 10 bits, 4x coarser steps
            x, z = (i & 0x1FF) << 6, (1000 // (4 * mg)) << 6
        self.put16(pkt, 0, x, False)
        self.put16(pkt, 2, 0, False)
        self.put16(pkt, 4, z, False)
        return 6

    def write(self, reg, v):
        if reg == CTRL_REG5 and v & 0x80:
            self.reset()                       # BOOT reloads the defaults and self-clears
            v &= 0x7F
        was = self.stream()
        self.regs[reg] = v
        if reg == FIFO_CTRL and v >> 6 == 0:
            self.clear_fifo()                  # bypass mode empties the FIFO
        if self.stream() and not was:
            self._start_clock()

    def read(self, reg, buf):
        self._catch_up()
        inc = reg & 0x80
        r = reg & 0x7F
        for k in range(len(buf)):
            if r == FIFO_SRC:
                n = self.level()
                fth = self.regs[FIFO_CTRL] & 0x1F
                buf[k] = ((0x80 if n > fth else 0) | (0x40 if n == 32 else 0)
                          | (0x20 if n == 0 else 0) | (n if n < 32 else 31))
            elif OUT_X_L <= r <= OUT_Z_H and self.stream():
                buf[k] = self._out(r - OUT_X_L)
            else:
                buf[k] = self.regs[r]
            if inc:
                r = OUT_X_L if r == OUT_Z_H and self.stream() else r + 1

    def _out(self, i):
        """Byte i of the oldest sample (the output registers); reading its last byte
        (OUT_Z_H) removes that sample from the FIFO."""
        if self.count < 6:
            self.underreads += 1
            return 0
        b = self.fifo[(self.head + i) % self.FIFO_BYTES]
        if i == 5:
            self.head = (self.head + 6) % self.FIFO_BYTES
            self.count -= 6
        return b

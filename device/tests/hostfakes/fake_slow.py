# Host fake, do not upload. Register-level models of the slow and spectral chips our drivers
# use (from their datasheets): BME280 (id, reset, calibration blocks, ctrl/config, the 8 data
# bytes as the ADC left them), BH1750 (opcodes: power, reset, MTreg, modes; a count read back),
# AS7341 (id, ENABLE/ATIME/ASTEP/AGAIN, the SMUX RAM and its write command, AVALID, six ADCs
# summing the photodiodes the SMUX nibbles connect to them).
import struct


class FakeBME280:
    # the datasheet's worked example trimming (BMP280 DS001 section 3.12: T and p) and a
    # typical humidity trimming
    T = (27504, 26435, -1000)
    P = (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
    H = (75, 362, 0, 313, 50, 30)

    def __init__(self, addr=0x76, chip_id=0x60):
        self.addr = addr
        self.regs = bytearray(256)
        self.chip_id = chip_id
        self.resets = 0
        self.reset()

    def reset(self):
        r = self.regs
        for i in range(256):
            r[i] = 0
        r[0xD0] = self.chip_id
        tp = struct.pack("<HhhHhhhhhhhh", *(self.T + self.P))
        r[0x88:0x88 + 24] = tp
        h1, h2, h3, h4, h5, h6 = self.H
        r[0xA1] = h1
        r[0xE1:0xE3] = struct.pack("<h", h2)
        r[0xE3] = h3
        r[0xE4] = (h4 >> 4) & 0xFF
        r[0xE5] = (h4 & 0x0F) | ((h5 & 0x0F) << 4)
        r[0xE6] = (h5 >> 4) & 0xFF
        r[0xE7] = h6 & 0xFF
        self.set_adc(0x80000, 0x80000, 0x8000)   # the values of a skipped measurement

    def set_adc(self, adc_t, adc_p, adc_h):
        r = self.regs
        r[0xF7], r[0xF8], r[0xF9] = adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0xF) << 4
        r[0xFA], r[0xFB], r[0xFC] = adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0xF) << 4
        r[0xFD], r[0xFE] = adc_h >> 8, adc_h & 0xFF

    def write(self, reg, v):
        if reg == 0xE0:
            if v == 0xB6:
                self.resets += 1
                adc = self.regs[0xF7:0xFF]
                self.reset()
                self.regs[0xF7:0xFF] = adc
            return
        self.regs[reg] = v

    def read(self, reg, buf):
        for k in range(len(buf)):
            buf[k] = self.regs[(reg + k) & 0xFF]


class FakeBH1750:
    def __init__(self, addr=0x23):
        self.addr = addr
        self.on = False
        self.mode = None
        self.mt = 69
        self.count = 0          # what the next read returns (the chip's 16-bit result)
        self.ops = []

    def command(self, op):
        self.ops.append(op)
        if op == 0x00:
            self.on = False
        elif op == 0x01:
            self.on = True
        elif op == 0x07:
            if self.on:
                self.count = 0
        elif op & 0xF8 == 0x40:
            self.mt = (self.mt & 0x1F) | ((op & 0x07) << 5)
        elif op & 0xE0 == 0x60:
            self.mt = (self.mt & 0xE0) | (op & 0x1F)
        elif op in (0x10, 0x11, 0x13, 0x20, 0x21, 0x23):
            self.on = True
            self.mode = op

    def read_raw(self, buf):
        buf[0] = self.count >> 8
        buf[1] = self.count & 0xFF


# SMUX RAM nibble (register, 0 low / 1 high) -> photodiode (ams AS7341 SMUX map; each filter
# has two pixels, left and right; Clear two; NIR and the flicker diode one)
PIXELS = {(0x00, 1): "F3", (0x01, 0): "F1", (0x03, 1): "F8", (0x04, 0): "F6",
          (0x05, 1): "F4", (0x05, 0): "F2", (0x06, 1): "F5", (0x07, 0): "F7",
          (0x08, 1): "CLEAR", (0x09, 1): "F5", (0x0A, 0): "F7", (0x0C, 1): "F2",
          (0x0D, 0): "F4", (0x0E, 1): "F6", (0x0E, 0): "F8", (0x0F, 1): "F3",
          (0x10, 0): "F1", (0x11, 1): "CLEAR", (0x13, 0): "NIR", (0x13, 1): "FD"}
NAMES = ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "CLEAR", "NIR", "FD")
GAINS = (0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class FakeAS7341:
    def __init__(self, addr=0x39, chip_id=0x24):
        self.addr = addr
        self.regs = bytearray(256)
        self.regs[0x92] = chip_id | 0x01       # bits 1:0 are reserved
        self.regs[0xCA], self.regs[0xCB] = 0xE7, 0x03   # ASTEP 999 after power-on
        self.regs[0xAA] = 9                     # AGAIN 256x
        self.smux = bytearray(20)               # the connections in use
        # light: basic counts of each photodiode pair (what raw / (gain x t_int ms) gives)
        self.light = dict((n, 0.0) for n in NAMES)
        self.auto = True        # an integration finishes at once (else: finish())
        self.integrations = 0
        self.smux_writes = 0

    def t_int_ms(self):
        astep = self.regs[0xCA] | (self.regs[0xCB] << 8)
        return (self.regs[0x81] + 1) * (astep + 1) * 2.78 / 1000

    def full(self):
        astep = self.regs[0xCA] | (self.regs[0xCB] << 8)
        return min(65535, (self.regs[0x81] + 1) * (astep + 1))

    def adc_light(self, adc):
        """Basic counts reaching ADC adc through the SMUX: each pixel of a pair gives half."""
        total = 0.0
        for (reg, hi), name in PIXELS.items():
            nib = (self.smux[reg] >> 4) if hi else (self.smux[reg] & 0x0F)
            if nib == adc + 1:
                total += self.light[name] / (1 if name in ("NIR", "FD") else 2)
        return total

    def finish(self):
        """The running integration ends: the six ADCs latch, AVALID is set."""
        gain = GAINS[self.regs[0xAA] & 0x1F]
        t = self.t_int_ms()
        for adc in range(6):
            raw = min(self.full(), int(round(self.adc_light(adc) * gain * t)))
            self.regs[0x95 + 2 * adc] = raw & 0xFF
            self.regs[0x96 + 2 * adc] = raw >> 8
        self.regs[0xA3] |= 0x40
        self.integrations += 1

    def write(self, reg, v):
        if reg < 0x14:
            self.regs[reg] = v                  # SMUX RAM (after CFG6 = write command)
            return
        if reg == 0x80:
            if v & 0x10 and self.regs[0xAF] == 0x10:   # SMUX write command: RAM -> chain
                self.smux[:] = self.regs[0:20]
                self.smux_writes += 1
                v &= ~0x10                      # SMUXEN self-clears when done
            started = v & 0x02 and not self.regs[0x80] & 0x02
            self.regs[0x80] = v
            if started:
                self.regs[0xA3] &= ~0x40
                if self.auto:
                    self.finish()
            return
        self.regs[reg] = v

    def read(self, reg, buf):
        for k in range(len(buf)):
            r = (reg + k) & 0xFF
            buf[k] = self.regs[r]
        if reg == 0x94:                         # reading ASTATUS and the data: AVALID done
            self.regs[0xA3] &= ~0x40

# Host fake, do not upload. Register model of the MPU-6050 and MPU-6886 as our driver uses
# them (from the datasheets' register maps): WHO_AM_I, reset, sample rate divider and
# low-pass filter, accelerometer range, FIFO enable/reset, FIFO count, FIFO data, overflow
# status (cleared on read), the MPU-6886 watermark and its temperature bytes in each packet.
from fake_i2c import FakeFifoChip

WHO_AM_I = 0x75
SMPLRT_DIV = 0x19
CONFIG = 0x1A
ACCEL_CONFIG = 0x1C
FIFO_EN = 0x23
INT_ENABLE = 0x38
FIFO_WM_INT_STATUS = 0x39
INT_STATUS = 0x3A
FIFO_WM_TH1 = 0x60
FIFO_WM_TH2 = 0x61
USER_CTRL = 0x6A
PWR_MGMT_1 = 0x6B
FIFO_COUNTH = 0x72
FIFO_COUNTL = 0x73
FIFO_R_W = 0x74

IDS = {"mpu6050": 0x68, "mpu6886": 0x19}


class FakeMPU(FakeFifoChip):
    def __init__(self, kind="mpu6050", addr=0x68, realtime=False, who_am_i=None):
        self.kind = kind
        self.packet = 6 if kind == "mpu6050" else 8
        self.who = IDS[kind] if who_am_i is None else who_am_i
        super().__init__(addr, realtime)

    def reset(self):
        for i in range(256):
            self.regs[i] = 0
        self.regs[PWR_MGMT_1] = 0x40          # asleep after power-on/reset
        self.regs[WHO_AM_I] = self.who
        self.clear_fifo()

    def rate(self):
        dlpf = self.regs[CONFIG] & 7
        base = 1000 if 1 <= dlpf <= 6 else 8000
        return base // (1 + self.regs[SMPLRT_DIV])

    def counts_per_g(self):
        return 16384 >> ((self.regs[ACCEL_CONFIG] >> 3) & 3)

    def watermark(self):
        return ((self.regs[FIFO_WM_TH1] & 3) << 8) | self.regs[FIFO_WM_TH2]

    def sampling(self):
        awake = not self.regs[PWR_MGMT_1] & 0x40
        return awake and self.regs[USER_CTRL] & 0x40 and self.regs[FIFO_EN] & 0x08

    def encode(self, i, pkt):
        self.put16(pkt, 0, i & 0x7FFF, True)
        self.put16(pkt, 2, 0, True)
        self.put16(pkt, 4, self.counts_per_g(), True)
        if self.packet == 8:
            self.put16(pkt, 6, 1234, True)      # temperature
        return self.packet

    def overflowed(self):
        if self.regs[INT_ENABLE] & 0x10:
            self.regs[INT_STATUS] |= 0x10

    def write(self, reg, v):
        if reg == PWR_MGMT_1 and v & 0x80:
            self.reset()
            return
        if reg == USER_CTRL:
            if v & 0x04:
                self.clear_fifo()
            v &= ~0x04                          # self-clearing
            was_on = self.regs[USER_CTRL] & 0x40
            self.regs[reg] = v
            if v & 0x40 and not was_on:
                self._start_clock()
            return
        if reg == FIFO_EN and v & 0x08 and not self.regs[FIFO_EN] & 0x08:
            self.regs[reg] = v
            self._start_clock()
            return
        self.regs[reg] = v

    def read(self, reg, buf):
        self._catch_up()
        for k in range(len(buf)):
            if reg == FIFO_R_W:
                buf[k] = self._pop()
                continue
            r = reg + k
            if r == FIFO_COUNTH:
                buf[k] = self.count >> 8
            elif r == FIFO_COUNTL:
                buf[k] = self.count & 0xFF
            elif r == INT_STATUS:
                buf[k] = self.regs[INT_STATUS]
                self.regs[INT_STATUS] = 0       # cleared by reading
            elif r == FIFO_WM_INT_STATUS:
                wm = self.watermark()
                buf[k] = 0x40 if wm and self.count >= wm else 0
            else:
                buf[k] = self.regs[r & 0xFF]

# Simulated rotating machine (a motor driving a fan or pump) seen by a 3-axis accelerometer on
# its bearing housing: what the "Is this normal?" anomaly models watch in the simulator.
# Normal running: the running speed (1x, about 12.5 Hz = 750 rpm, so its harmonics up to 3x
# show at the default 100 Hz) with 2x and 3x harmonics, sensor noise and gravity on z; speed
# (+-5 %) and load (+-15 %, scales the vibration) drift slowly and smoothly (two slow sines
# each, periods 29..97 s, phases from the seed): sessions recorded at different times differ,
# and enough normal sessions cover the whole drift range. Faults (set_fault):
#   "imbalance"  the 1x component grows (x2 radially at severity 100 %, x and y in quadrature)
#   "bearing"    cage wear: impulses at the fundamental train frequency (0.4x), each ringing
#                at a structural resonance of 0.35 x the sample rate (above the harmonics at
#                any rate), decaying within a few samples; jittered impulse heights
#   "looseness"  many harmonics: half orders 0.5x, 1.5x, 2.5x and 2x, 3x, 4x, 5x, mostly
#                vertical (y)
# Each is plain to the classifiers' features at 100 Hz / 128 samples (envelope and gmm fitted
# on normal sessions: ROC AUC 1.0 vs held-out normal sessions, which are flagged at about the
# contamination rate: device/tests/test_sim_machine_host.py); an RMS of the magnitude alone
# misses imbalance (the 1x vector turns, its length barely changes).
# Integer-only synthesis like sim_accel: a 256-entry int16 sine table, integer phase
# accumulators (one turn = 2**24; the rotor's runs over two turns for the half orders) and
# drift/load updated every 64 samples by small-int arithmetic only: read_into() allocates
# nothing (small ints stay within 31 bits, so neither on an ESP32). Memory: the shared table
# (sim_accel's, ~0.5 KB), one object of a few dozen small ints and the truth log of the last
# TRUTH_MAX changes (144 bytes of arrays): about 0.6 KB more free heap with sensor "sim"
# (status mem_free, device/tests/test_sim_machine.py prints it).
from array import array

from shared.compat import const

try:
    from hal.sim_accel import _SIN, SimAccel, _clamp         # on the device (and device tests)
except ImportError:
    from device.hal.sim_accel import _SIN, SimAccel, _clamp  # on a host: scripts, shared tests

SCALE = 1 / 4096          # g per LSB (as SimAccel: a +-8 g IMU setting)
CHANNELS = ("x", "y", "z")
FAULTS = ("imbalance", "bearing", "looseness")
CLASSES = ("normal",) + FAULTS   # the labels a recording of the machine gets (truth())
TRUTH_MAX = const(16)     # fault changes the sensor remembers (in its sample numbering)
SPEED_MHZ = 12500         # nominal running speed (mHz)
_ONE_G = const(4096)
_TURN = const(0xFFFFFF)   # 2**24 - 1: one turn
_TWO_TURNS = const(0x1FFFFFF)
_BLOCK = const(64)        # samples between drift updates
# amplitudes (LSB = 1/4096 g) at nominal load
_A1, _A2, _A3, _AAX, _NOISE = 300, 110, 45, 90, 40
_LOOSE = ((1, 80), (3, 70), (4, 110), (5, 55), (6, 85), (8, 70), (10, 55))  # half orders
_IMPULSE = 700            # bearing impulse peak (LSB) before jitter


class SimMachine:
    """channels/scale describe the samples; read_into(buf, off) writes one sample (x, y, z).
    set_fault(None | one of FAULTS); .fault; .speed_mhz() and .load_permille() for display.
    classes / truth(row0, n): what the recorder labels a session with (as a labelled replay
    file's): the machine's state over the samples it played, from its last TRUTH_MAX changes."""
    name = "machine"
    classes = CLASSES
    labels_from = "simulated machine"
    channels = CHANNELS
    scale = SCALE
    unit = "g"
    rate = None  # follows the configured sample rate

    def __init__(self, rate, seed=12345):
        self._rate = rate
        self._rng = seed & 0x7FFFFFFF or 1
        for _ in range(8):        # mix a small seed before drawing the phases
            self._rand()
        self.fault = None
        self._sev = 100           # percent of the standard fault size
        self._f = 0               # 0 none, 1 imbalance, 2 bearing, 3 looseness
        # rotor phase increment per sample at nominal speed, over the two-turn accumulator
        # (computed once: the only big-int arithmetic; 1..1000 Hz keeps it small after)
        self._inc0 = (SPEED_MHZ << 24) // (1000 * rate)
        self._p = self._rand() & _TWO_TURNS
        # drift oscillators (speed a, b; load c, d): increments per block, seeded phases
        blk = (1 << 24) * _BLOCK
        self._di = (blk // (rate * 97), blk // (rate * 41), blk // (rate * 71),
                    blk // (rate * 29))
        self._da = self._rand() & _TURN
        self._db = self._rand() & _TURN
        self._dc = self._rand() & _TURN
        self._dd = self._rand() & _TURN
        self._n = 0               # samples to the next drift update
        self._inc = self._inc0
        self._a1 = self._a2 = self._a3 = self._aax = 0
        self._load = 4096
        # bearing: impulse phase (0.4x: fundamental train frequency), resonance phase, ringing
        self._bp = 0
        self._rp = 0
        self._ring = 0
        self._rinc = (35 << 24) // 100      # 0.35 x the sample rate
        self._blocks = 0          # drift blocks begun: samples read = blocks * 64 - _n
        # truth: the last TRUTH_MAX changes (sample number, fault code); _base = the code
        # before the oldest one kept. Preallocated: 16 x 9 bytes.
        self._ts = array("q", bytes(8 * TRUTH_MAX))
        self._tf = bytearray(TRUTH_MAX)
        self._tn = 0
        self._base = 0
        self._drift()

    def set_fault(self, name, severity=100):
        """severity: the fault's size in percent of the standard one (1..400; the benchmark
        makes faults smaller than the plain ones every model finds)."""
        if name is not None and name not in FAULTS:
            raise ValueError("unknown fault %r; valid: %s or null" % (name, ", ".join(FAULTS)))
        if not 1 <= severity <= 400:
            raise ValueError("severity is 1..400 %")
        self._sev = severity
        f = 0 if name is None else FAULTS.index(name) + 1
        self.fault = name
        if f != self._f:
            n = self.samples()
            if n == 0 and self._tn == 0:
                self._base = f                    # the state from the first sample on
            else:
                i = self._tn % TRUTH_MAX
                if self._tn >= TRUTH_MAX:
                    self._base = self._tf[i]      # the oldest change drops out
                self._ts[i] = n
                self._tf[i] = f
                self._tn += 1
        self._f = f
        self._amps()

    def samples(self):
        """Samples read so far."""
        return self._blocks * _BLOCK - self._n

    def truth(self, row0, n):
        """The machine's state over samples row0..row0+n-1: [(start, end, class name)] in
        those samples' numbering (0 = row0), class names from CLASSES; a stretch before the
        oldest change kept is left out when changes were dropped."""
        kept = min(self._tn, TRUTH_MAX)
        first = self._tn - kept
        cur, at = self._base, 0
        if first:                              # changes dropped: known from the oldest kept
            at = max(0, self._ts[first % TRUTH_MAX] - row0)
        out = []
        for j in range(first, self._tn):
            i = j % TRUTH_MAX
            s = self._ts[i] - row0
            if s <= at:
                cur = self._tf[i]
                continue
            if s >= n:
                break
            out.append((at, s, CLASSES[cur]))
            cur, at = self._tf[i], s
        if at < n:
            out.append((at, n, CLASSES[cur]))
        return out

    _rand = SimAccel._rand    # the one noise source: xorshift32 within 31 bits, from self._rng

    def speed_mhz(self):
        return self._inc * 1000 * self._rate >> 24

    def load_permille(self):
        return self._load * 1000 >> 12

    def _drift(self):
        """Advance the slow oscillators one block; new speed increment and amplitudes."""
        di = self._di
        self._da = a = (self._da + di[0]) & _TURN
        self._db = b = (self._db + di[1]) & _TURN
        self._dc = c = (self._dc + di[2]) & _TURN
        self._dd = d = (self._dd + di[3]) & _TURN
        self._blocks += 1
        self._n = _BLOCK
        # speed: +-5 % (205/4096) = 140 + 65; load: +-15 % (614/4096) = 430 + 184
        ds = (140 * _SIN[a >> 16] + 65 * _SIN[b >> 16]) >> 14
        self._inc = self._inc0 + (self._inc0 >> 12) * ds
        self._load = 4096 + ((430 * _SIN[c >> 16] + 184 * _SIN[d >> 16]) >> 14)
        self._amps()

    def _amps(self):
        load = self._load
        self._a1 = (_A1 * (100 + self._sev if self._f == 1 else 100) // 100 * load) >> 12
        self._a2 = (_A2 * load) >> 12
        self._a3 = (_A3 * load) >> 12
        self._aax = (_AAX * load) >> 12

    def read_into(self, buf, off):
        self._n -= 1
        if self._n <= 0:
            self._drift()
        p = (self._p + self._inc) & _TWO_TURNS
        self._p = p
        i = (p >> 16) & 255               # rotor angle, one turn = 256
        s1 = _SIN[i]
        c1 = _SIN[(i + 64) & 255]
        s2 = _SIN[(i * 2 + 40) & 255]
        s3 = _SIN[(i * 3 + 17) & 255]
        n2 = 2 * _NOISE + 1
        x = (self._a1 * s1 + self._a2 * s2 + self._a3 * s3) >> 14
        y = (self._a1 * c1 + self._a2 * _SIN[(i * 2 + 100) & 255]) >> 14
        z = _ONE_G + ((self._aax * s1 + (self._a2 >> 1) * s2) >> 14)
        f = self._f
        if f == 3:                        # looseness: half orders and harmonics, y mostly
            h = p >> 17                   # half the rotor angle: order k/2 = index h * k
            v = 0
            for k, a in _LOOSE:
                v += a * _SIN[(h * k) & 255]
            v = (((v >> 14) * self._load) >> 12) * self._sev // 100
            y += v
            x += v >> 1
        elif f == 2:                      # bearing: ringing impulses at 0.4x
            q = self._bp + ((self._inc * 2) // 5)
            if q > _TURN:                 # 0.4 of a turn per rotor turn
                q &= _TURN
                self._ring = (_IMPULSE * (3 + (self._rand() & 3)) >> 2) * self._sev // 100
                self._rp = 0
            self._bp = q
            g = self._ring
            if g:
                self._rp = rp = (self._rp + self._rinc) & _TURN
                e = (g * _SIN[(rp >> 16) + 16 & 255]) >> 14
                x += e >> 1
                y += (e * 3) >> 2
                z += e
                self._ring = (g * 3) >> 2
        buf[off] = _clamp(x + self._rand() % n2 - _NOISE)
        buf[off + 1] = _clamp(y + self._rand() % n2 - _NOISE)
        buf[off + 2] = _clamp(z + self._rand() % n2 - _NOISE)

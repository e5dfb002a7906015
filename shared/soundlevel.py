# A sound level meter on blocks of microphone samples (array('f'), full scale = 1.0): A, C or Z
# frequency weighting (shared.weighting, run by shared.iir: emlearn_iir in C where it imports),
# Fast (125 ms) and Slow (1 s) exponential time weighting, Leq, Lmax and Lmin per second and per
# minute, L10/L50/L90 per minute, a calibration offset from a reference tone, and clipping
# reported as clipping (a second or minute with a sample at full scale has no level: None).
# Memory: made once at construction: the filter (4 floats a stage), a histogram of the Fast
# level per minute in 0.1 dB bins (array('H'), 2 bytes a bin: 2.8 KB for 0-140 dB, sampled every
# 10 ms so a minute's 6000 counts fit); process() allocates nothing but boxed floats, and one
# small dict per completed second (last_second) and minute (last_minute). The "minute" is
# period_s seconds, 60 unless said (1 .. MAX_PERIOD_S).
#
#   m = Meter(16000, "A", offset_db=offset_for_sensitivity(-26.0))    # INMP441 datasheet
#   n = m.process(block)        # block: array('f'), at most one second; filtered IN PLACE
#   if n: m.last_second         # {"leq", "lmax", "lmin", "fast", "slow", "clipped"} (dB SPL)
#   m.fast_db(), m.slow_db()    # the live meter (None while clipping)
#   m.calibrate(94.0)           # the last second was the 94 dB SPL 1 kHz reference tone
import math
from array import array

from shared import iir
from shared.compat import native

REF_DB = 94.0            # the calibrator's level (dB SPL at 1 kHz)
FAST_S = 0.125           # IEC 61672-1 time constants
SLOW_S = 1.0
CLIP = 0.999             # |sample| at or above this (full scale 1.0) is a clipped sample
BIN_DB = 0.1             # histogram resolution of L10/L50/L90
HIST_TICKS = 10          # Fast level into the histogram every 10 ticks (100 Hz at 1 ms ticks)
MAX_PERIOD_S = 600       # the histogram's 16-bit counters hold 10 minutes at 100 Hz
_FLOOR_MS = 1e-20        # mean square of digital silence (-200 dBFS), keeps log10 defined


def offset_for_sensitivity(dbfs):
    """The offset (dB) for a microphone whose datasheet sensitivity is `dbfs` dBFS at 94 dB SPL
    (1 kHz), 0 dBFS being a full-scale sine (mean square 0.5): L = 10 log10(ms) + offset."""
    return REF_DB - dbfs - 10.0 * math.log10(0.5)


def _tick_samples(fs):
    # samples per tick: about 1 ms, and a divisor of fs so seconds end on a tick
    t = max(1, fs // 1000)
    while fs % t:
        t -= 1
    return t


@native
def _sumsq(x, i, j):
    s = 0.0
    for k in range(i, j):
        v = x[k]
        s += v * v
    return s


def _count_clipped(x, i, j, lim):
    c = 0
    for k in range(i, j):
        v = x[k]
        if v >= lim or v <= -lim:
            c += 1
    return c


class Meter:
    def __init__(self, fs=16000, kind="A", offset_db=None, lo_db=0.0, hi_db=140.0, clip=CLIP,
                 impl="auto", period_s=60):
        if fs != int(fs) or fs < 8000:
            raise ValueError("sampling rate must be a whole number of Hz, 8000 or more, got %r" % (fs,))
        if period_s != int(period_s) or not 1 <= period_s <= MAX_PERIOD_S:
            raise ValueError("statistics period must be 1 .. %d whole seconds, got %r"
                             % (MAX_PERIOD_S, period_s))
        self.period_s = int(period_s)
        if not hi_db > lo_db:
            raise ValueError("histogram range %r..%r dB is empty" % (lo_db, hi_db))
        self.fs = int(fs)
        self.kind = kind
        from shared import weighting   # only here: the device drops it after (3.7 KB)
        coeffs = weighting.sos(kind, self.fs)
        if coeffs:
            self._filter, self.impl = iir.new(coeffs, impl)
        else:
            self._filter, self.impl = None, "none"
        self.offset_db = offset_for_sensitivity(-26.0) if offset_db is None else float(offset_db)
        self.clip = clip
        self.lo_db = float(lo_db)
        self._bins = int(round((hi_db - lo_db) / BIN_DB))
        self._hist = array("H", bytes(2 * self._bins))
        self._tick = _tick_samples(self.fs)
        self._ticks_per_s = self.fs // self._tick
        self._kf = math.exp(-self._tick / (FAST_S * self.fs))
        self._ks = math.exp(-self._tick / (SLOW_S * self.fs))
        self.last_second = None
        self.last_minute = None
        self.reset()

    def reset(self):
        """Start over: time weighting, the current second and minute (offset kept)."""
        self._yf = -1.0             # Fast and Slow mean squares; < 0 until the first tick
        self._ys = -1.0
        self._tick_acc = 0.0
        self._tick_left = self._tick
        self._ticks = 0             # ticks done in the current second
        self._hist_tick = 0
        self._sec_acc = 0.0
        self._sec_max = 0.0
        self._sec_min = -1.0
        self._sec_clip = 0
        self._next_clip = 0         # clipped samples of a block's part in the next second
        self._clip_hold = 0         # seconds left during which the live meter says clipping
        self._last_ms = -1.0
        self._reset_minute()

    def _reset_minute(self):
        self._min_acc = 0.0
        self._min_secs = 0
        self._min_good = 0
        self._min_max = 0.0
        self._min_min = -1.0
        self._min_clip = 0
        h = self._hist
        for i in range(len(h)):
            h[i] = 0

    def db(self, ms):
        """A mean square (full-scale units) as a level in dB with the calibration offset."""
        return 10.0 * math.log10(ms if ms > _FLOOR_MS else _FLOOR_MS) + self.offset_db

    def fast_db(self):
        """The Fast-weighted level now, or None before the first tick or while clipping."""
        return None if self._yf < 0 or self.clipping else self.db(self._yf)

    def slow_db(self):
        return None if self._ys < 0 or self.clipping else self.db(self._ys)

    @property
    def clipping(self):
        """True from a clipped sample until the end of the second after it."""
        return bool(self._clip_hold or self._sec_clip)

    def process(self, x):
        """Feed one block (array('f'), full scale 1.0, at most fs samples; filtered in place).
        Returns how many seconds it completed (last_second holds the newest)."""
        n = len(x)
        if n > self.fs:
            raise ValueError("block of %d samples is longer than a second (%d)" % (n, self.fs))
        if n == 0:
            return 0
        # clipped samples, counted before the filter and split at the second's end
        if max(x) >= self.clip or min(x) <= -self.clip:
            here = (self._ticks_per_s - self._ticks) * self._tick - (self._tick - self._tick_left)
            cut = here if here < n else n
            self._sec_clip += _count_clipped(x, 0, cut, self.clip)
            self._next_clip = _count_clipped(x, cut, n, self.clip)
        if self._filter is not None:
            self._filter.run(x)
        done = 0
        i = 0
        while i < n:
            take = self._tick_left if self._tick_left < n - i else n - i
            self._tick_acc += _sumsq(x, i, i + take)
            i += take
            self._tick_left -= take
            if self._tick_left == 0:
                if self._end_tick():
                    done += 1
        return done

    def _end_tick(self):
        ms = self._tick_acc / self._tick
        self._sec_acc += self._tick_acc
        self._tick_acc = 0.0
        self._tick_left = self._tick
        if self._yf < 0:
            self._yf = ms
            self._ys = ms
        else:
            self._yf = self._kf * self._yf + (1.0 - self._kf) * ms
            self._ys = self._ks * self._ys + (1.0 - self._ks) * ms
        yf = self._yf
        if yf > self._sec_max:
            self._sec_max = yf
        if self._sec_min < 0 or yf < self._sec_min:
            self._sec_min = yf
        self._hist_tick += 1
        if self._hist_tick >= HIST_TICKS:
            self._hist_tick = 0
            b = int((self.db(yf) - self.lo_db) / BIN_DB)
            b = 0 if b < 0 else (self._bins - 1 if b >= self._bins else b)
            if self._hist[b] < 65535:
                self._hist[b] += 1
        self._ticks += 1
        if self._ticks < self._ticks_per_s:
            return False
        self._end_second()
        return True

    def _end_second(self):
        ms = self._sec_acc / self.fs
        clipped = self._sec_clip
        good = clipped == 0
        self.last_second = {
            "leq": self.db(ms) if good else None,
            "lmax": self.db(self._sec_max) if good else None,
            "lmin": self.db(self._sec_min) if good else None,
            "fast": self.db(self._yf) if good else None,
            "slow": self.db(self._ys) if good else None,
            "clipped": clipped,
        }
        self._last_ms = ms if good else -1.0
        self._clip_hold = 1 if clipped else (self._clip_hold - 1 if self._clip_hold else 0)
        # the minute
        self._min_secs += 1
        if good:
            self._min_good += 1
            self._min_acc += ms
            if self._sec_max > self._min_max:
                self._min_max = self._sec_max
            if self._min_min < 0 or self._sec_min < self._min_min:
                self._min_min = self._sec_min
        else:
            self._min_clip += 1
        # the next second
        self._ticks = 0
        self._sec_acc = 0.0
        self._sec_max = 0.0
        self._sec_min = -1.0
        self._sec_clip = self._next_clip
        self._next_clip = 0
        if self._min_secs >= self.period_s:
            self._end_minute()

    def _end_minute(self):
        good = self._min_clip == 0
        self.last_minute = {
            "leq": self.db(self._min_acc / self._min_good) if good else None,
            "lmax": self.db(self._min_max) if good else None,
            "lmin": self.db(self._min_min) if good else None,
            "l10": self.percentile(10) if good else None,
            "l50": self.percentile(50) if good else None,
            "l90": self.percentile(90) if good else None,
            "clipped_s": self._min_clip,
        }
        self._reset_minute()

    def percentile(self, n):
        """L_n of the current minute so far: the Fast level exceeded n % of the time (bin centre,
        0.1 dB), or None with nothing counted yet."""
        h = self._hist
        total = 0
        for c in h:
            total += c
        if not total:
            return None
        need = total * n / 100.0
        acc = 0
        for b in range(self._bins - 1, -1, -1):
            acc += h[b]
            if acc >= need and acc:
                return self.lo_db + (b + 0.5) * BIN_DB
        return self.lo_db + 0.5 * BIN_DB

    def calibrate(self, ref_db=REF_DB):
        """Set the offset so that the last completed second (the reference tone, e.g. 94 dB SPL
        at 1 kHz) reads ref_db. ValueError when there is no clean second to calibrate from.
        The current minute restarts (its levels would mix two offsets). Returns the offset."""
        if self._last_ms < 0:
            raise ValueError("no clean second to calibrate from (none yet, or it clipped)")
        if self._last_ms < 1e-12:
            raise ValueError("the reference tone is missing: the last second was at %.1f dBFS"
                             % (10.0 * math.log10(self._last_ms if self._last_ms > _FLOOR_MS
                                                  else _FLOOR_MS) - 10.0 * math.log10(0.5)))
        self.offset_db = ref_db - 10.0 * math.log10(self._last_ms)
        self._reset_minute()
        return self.offset_db

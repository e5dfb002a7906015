# Plot buffer: the last N samples of every channel in physical units, appended from decoded
# windows (only the samples a window adds over the previous one, found from timestamps) and
# handed to the live plot (app/view_live.py) as one float32 file in the interpreter FS, never
# element by element: the time axis (seconds before the newest sample), then each channel,
# only the samples received so far (no gap values: the chart scales to what it is given).
# Memory: one float32 array of n_channels * N (made when the channel count changes) and one
# of N for the time axis (made when the rate changes).
import array

PLOT = "/plot.bin"
N = 512
_NAN = float("nan")


class PlotBuffer:
    def __init__(self, n=N):
        self.n = n
        self.nch = 0
        self._ring = None
        self._idx = 0               # next write position (same for every channel)
        self.filled = 0             # samples received, up to n
        self._next_t = None         # device time (ms) just after the last appended sample
        self.rate = None
        self._x = None
        self.dirty = False

    def _reset(self, nch):
        self.nch = nch
        self._ring = array.array("f", [_NAN] * (nch * self.n))
        self._idx = 0
        self.filled = 0
        self._next_t = None

    def add(self, out, header, new_connection=False):
        seq, t_ms, nch, dtype, ns, rate, scale = header
        if nch != self.nch:
            self._reset(nch)
        if rate != self.rate and rate:
            self.rate = rate
            self._x = array.array("f", [(i - self.n + 1) / rate for i in range(self.n)])
        # samples this window adds: all of it after a gap or a restart, else the hop
        k = ns
        if self._next_t is not None and not new_connection:
            lead = int(((self._next_t - t_ms) & 0xFFFFFFFF) * rate // 1000)   # rate < 1 Hz: float
            if lead < ns:
                k = ns - lead
        n = self.n
        ring = self._ring
        idx = self._idx
        for i in range(ns - k, ns):
            for c in range(nch):
                ring[c * n + idx] = out[c * ns + i] * scale
            idx += 1
            if idx == n:
                idx = 0
        self._idx = idx
        self.filled = min(self.n, self.filled + k)
        self._next_t = (t_ms + int(ns * 1000 // rate)) & 0xFFFFFFFF if rate else None
        self.dirty = True

    def flush(self, path=PLOT):
        """Write the time axis, then the rings oldest sample first, to path: the newest m
        samples (m = the samples received, up to n); returns m."""
        self.dirty = False
        if self._ring is None or self._x is None:
            return 0
        mv = memoryview(self._ring)
        n = self.n
        m = self.filled
        i = self._idx
        with open(path, "wb") as f:
            f.write(memoryview(self._x)[n - m:])
            for c in range(self.nch):
                base = c * n
                if m <= i:                     # the newest m end at i
                    f.write(mv[base + i - m:base + i])
                else:                          # they wrap: the ring's end, then its start
                    f.write(mv[base + n - (m - i):base + n])
                    f.write(mv[base:base + i])
        return m

# Replay sensor: plays a CSV recording (header "t,<ch>,...", t in seconds) at its own sample
# rate, looping. Memory: the file is streamed one line at a time (never loaded whole); only
# the header names and a few numbers are kept.
_MAX_CHANNELS = 16


class ReplayError(ValueError):
    pass


def _floats(line, lineno, path, n):
    parts = line.split(",")
    if len(parts) != n:
        raise ReplayError("%s line %d: expected %d comma-separated values, got %d"
                          % (path, lineno, n, len(parts)))
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise ReplayError("%s line %d: not a number in %r" % (path, lineno, line))


class Replay:
    """Same interface as SimAccel: channels, scale, rate (the recording's), read_into()."""
    name = "replay"

    def __init__(self, path):
        self.path = path
        try:
            f = open(path)
        except OSError:
            raise ReplayError("replay file %s cannot be opened" % path)
        try:
            header = f.readline().strip()
            names = [h.strip() for h in header.split(",")]
            if len(names) < 2 or names[0] != "t" or "" in names:
                raise ReplayError("%s line 1: header must be 't,<channel>,...', got %r"
                                  % (path, header))
            if len(names) - 1 > _MAX_CHANNELS:
                raise ReplayError("%s: at most %d channels" % (path, _MAX_CHANNELS))
            n = len(names)
            count, t0, t_prev, peak, lineno = 0, 0.0, 0.0, 0.0, 1
            while True:
                line = f.readline()
                if not line:
                    break
                lineno += 1
                line = line.strip()
                if not line:
                    continue
                v = _floats(line, lineno, path, n)
                if count == 0:
                    t0 = v[0]
                elif v[0] <= t_prev:
                    raise ReplayError("%s line %d: time must increase (%g after %g)"
                                      % (path, lineno, v[0], t_prev))
                t_prev = v[0]
                for x in v[1:]:
                    if abs(x) > peak:
                        peak = abs(x)
                count += 1
        finally:
            f.close()
        if count < 2:
            raise ReplayError("%s: needs at least 2 data rows" % path)
        rate = int((count - 1) / (t_prev - t0) + 0.5)
        if not 1 <= rate <= 1000:
            raise ReplayError("%s: sample rate %d Hz from the t column is outside 1..1000"
                              % (path, rate))
        self.channels = tuple(names[1:])
        self.rate = rate
        self.rows = count
        # Fixed int16 scale: 1/4096 per LSB unless the recording needs more range.
        scale = 1 / 4096
        while peak / scale > 32767:
            scale *= 2
        self.scale = scale
        self._inv = 1 / scale
        self._n = n
        self._f = None
        self._lineno = 0

    def _next_line(self):
        while True:
            if self._f is None:
                self._f = open(self.path)
                self._f.readline()
                self._lineno = 1
            line = self._f.readline()
            if not line:  # loop
                self._f.close()
                self._f = None
                continue
            self._lineno += 1
            line = line.strip()
            if line:
                return line

    def read_into(self, buf, off):
        parts = self._next_line().split(",")
        inv = self._inv
        for c in range(1, self._n):
            v = int(float(parts[c]) * inv)
            buf[off + c - 1] = 32767 if v > 32767 else (-32768 if v < -32768 else v)

    def close(self):
        if self._f is not None:
            self._f.close()
            self._f = None

# The anomaly state with hysteresis, one rule for the device (live), the page (the promise it
# makes) and the evaluation (false alarms per hour, time to detect): the state turns ON when at
# least n of the last m windows scored above the threshold, and OFF again when none of the last
# m did. A false alarm is one OFF -> ON change during normal running.
# Memory: a bytearray of m flags and three ints; update() allocates nothing.

MAX_M = 64


def check(n, m):
    """None when (n, m) is a usable hysteresis, else why not."""
    if not (isinstance(n, int) and isinstance(m, int)) or isinstance(n, bool) \
            or isinstance(m, bool):
        return "hysteresis n and m must be whole numbers"
    if not 1 <= m <= MAX_M:
        return "hysteresis m must be 1..%d windows" % MAX_M
    if not 1 <= n <= m:
        return "hysteresis n must be 1..m (%d)" % m
    return None


class Hysteresis:
    """update(flag) -> True when the state changed; .on is the state; .count the flags set
    among the last m windows."""

    def __init__(self, n=3, m=5):
        why = check(n, m)
        if why:
            raise ValueError(why)
        self.n, self.m = n, m
        self._flags = bytearray(m)
        self._i = 0
        self.count = 0
        self.on = False

    def reset(self):
        for i in range(self.m):
            self._flags[i] = 0
        self._i = self.count = 0
        self.on = False

    def update(self, flag):
        f = 1 if flag else 0
        i = self._i
        self.count += f - self._flags[i]
        self._flags[i] = f
        self._i = i + 1 if i + 1 < self.m else 0
        if not self.on and self.count >= self.n:
            self.on = True
            return True
        if self.on and self.count == 0:
            self.on = False
            return True
        return False


def alarms(flags, n, m):
    """(number of OFF -> ON changes, indexes of the windows where they happened) of a sequence
    of per-window flags run through Hysteresis(n, m) from the OFF state."""
    h = Hysteresis(n, m)
    at = []
    for i in range(len(flags)):
        if h.update(flags[i]) and h.on:
            at.append(i)
    return len(at), at

# Sample ring and window builder shared by the device (sampler), the page and features.
# Memory: Ring is one preallocated interleaved int16 array; Windower copies a window
# channel-major into a caller-owned array; nothing is allocated per sample or window.
from array import array

from shared.compat import native


def zeros(typecode, n):
    """A zero-filled array of n items, built without a temporary list (works everywhere)."""
    return array(typecode, (0 for _ in range(n)))


class Ring:
    """Interleaved multichannel int16 ring: sample k of channel c is at
    buf[(k % capacity) * channels + c]. `count` is the total number of samples written."""

    def __init__(self, channels, capacity):
        if channels < 1 or capacity < 1:
            raise ValueError("ring needs at least one channel and one sample")
        self.channels = channels
        self.capacity = capacity
        self.buf = zeros("h", channels * capacity)
        self.count = 0
        self._pos = 0  # offset of the next sample's first channel in buf

    def next_offset(self):
        """Offset in buf where the next sample's channels go (write them, then commit())."""
        return self._pos

    def commit(self):
        self.count += 1
        self._pos += self.channels
        if self._pos >= self.channels * self.capacity:
            self._pos = 0

    def push(self, values):
        """Append one sample given as a sequence of channel values (convenience for tests
        and hosts; the sampler writes at next_offset() instead)."""
        off = self._pos
        buf = self.buf
        for c in range(self.channels):
            buf[off + c] = values[c]
        self.commit()


@native
def _copy_channel_major(src, nch, cap, first, n, out):
    # first: ring slot (0..cap-1) of the window's first sample
    for c in range(nch):
        k = first
        base = c * n
        for i in range(n):
            out[base + i] = src[k * nch + c]
            k += 1
            if k == cap:
                k = 0


class Windower:
    """Cuts windows of `length` samples every `hop` samples out of a Ring.
    Window number w starts at sample w*hop; seq = seq_base + w, so windows lost to an
    overrun show up as gaps in seq and are counted in `dropped`."""

    def __init__(self, ring, length, hop, seq_base=0):
        if not 1 <= length <= ring.capacity:
            raise ValueError("window length must be 1..ring capacity")
        if not 1 <= hop <= length:
            raise ValueError("hop must be 1..window length")
        self.ring = ring
        self.length = length
        self.hop = hop
        self.seq_base = seq_base
        self.windows = 0   # windows built
        self.dropped = 0   # windows lost because the ring overwrote them before they were cut
        self._next = 0     # window number of the next window to build

    def next_seq(self):
        return self.seq_base + self._next

    def room(self):
        """Samples the ring can take before it overwrites the next window not yet cut."""
        return max(0, self._next * self.hop + self.ring.capacity - self.ring.count)

    def ready(self):
        """True when the next window's samples are all in the ring."""
        return self.ring.count >= self._next * self.hop + self.length

    def _skip_overrun(self):
        # Oldest sample still in the ring is count - capacity; skip windows starting earlier.
        oldest = self.ring.count - self.ring.capacity
        start = self._next * self.hop
        if start < oldest:
            first_ok = (oldest + self.hop - 1) // self.hop
            self.dropped += first_ok - self._next
            self._next = first_ok

    def build_into(self, out):
        """Copy the next window channel-major into array out (channels*length items).
        Returns (seq, start_sample) or None when no window is ready."""
        self._skip_overrun()
        if not self.ready():
            return None
        ring = self.ring
        start = self._next * self.hop
        _copy_channel_major(ring.buf, ring.channels, ring.capacity, start % ring.capacity,
                            self.length, out)
        seq = self.seq_base + self._next
        self._next += 1
        self.windows += 1
        return seq, start

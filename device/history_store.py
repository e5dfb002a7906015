# History on flash: fixed 78-byte records appended to a ring of chunk files
# <data>/history/<n>.hr (format in device/NODE.md); when a new chunk would pass the budget the
# oldest chunk is deleted. Crash safety as for sessions: appends only, a torn tail is cut at
# boot (CRC-32 per record; on a full flash at a later boot). Memory: per chunk one small list
# in RAM [number, records, t_min, t_max]; reads and the boot scan use one record buffer.
import binascii
import os
import struct

REC = 78                 # bytes per record
BLOCK = 48               # windows per record
NONE = 31                # class code of a window without a prediction
VNONE = 255              # a regression context's code of a window without an estimate
N_RMS = 6                # RMS slots per record (channels beyond the sixth are not kept)
HEAD = "<IIHHBB"         # seq0, t0 (s since 1970, 0 = clock unknown), t0 ms, period ms, n, ctx
CLS_OFF = 14
RMS_OFF = CLS_OFF + BLOCK
CRC_OFF = RMS_OFF + 2 * N_RMS
_EXT = ".hr"


def _size(p):
    try:
        return os.stat(p)[6]
    except OSError:
        return -1


def crc_ok(buf):
    return binascii.crc32(memoryview(buf)[:CRC_OFF]) & 0xFFFFFFFF == \
        struct.unpack_from("<I", buf, CRC_OFF)[0]


def seal(buf):
    struct.pack_into("<I", buf, CRC_OFF, binascii.crc32(memoryview(buf)[:CRC_OFF]) & 0xFFFFFFFF)


def span(buf):
    """(start, end) in ms since 1970 of the record's first and last window (integers: an
    ESP32's 32-bit floats cannot hold them; start < 1000 s: the clock was unknown)."""
    seq0, t0, ms, period, n, ctx = struct.unpack_from(HEAD, buf, 0)
    t = t0 * 1000 + ms
    return t, t + (n - 1) * period


class Store:
    def __init__(self, root, budget, chunk_bytes):
        self.root = root
        try:
            os.mkdir(root)
        except OSError:
            pass
        self.per = max(1, chunk_bytes // REC)     # records per chunk
        self.budget = budget
        self.chunks = []        # [number, records, t_min, t_max], oldest first
        self.bad = 0            # records skipped on read (CRC)
        self.cut = 0            # torn tails cut at boot
        self.dropped_chunks = 0
        self._buf = bytearray(REC)
        self._torn = None       # a chunk whose torn tail could not be cut (full flash)
        self.recover()

    def max_chunks(self):
        return max(2, self.budget // (self.per * REC))

    def path(self, number):
        return "%s/%d%s" % (self.root, number, _EXT)

    def records(self):
        n = 0
        for c in self.chunks:
            n += c[1]
        return n

    def bytes(self):
        return self.records() * REC

    # -- boot
    def recover(self):
        nums = []
        for e in os.ilistdir(self.root):
            name = e[0]
            if name.endswith(_EXT):
                try:
                    nums.append(int(name[:-len(_EXT)]))
                except ValueError:
                    pass
            elif name.endswith(".tmp"):
                os.remove(self.root + "/" + name)
        nums.sort()
        self.chunks = []
        for i, num in enumerate(nums):
            n = self._repair(num, i == len(nums) - 1)
            if n:
                c = [num, n, None, None]
                self._scan(c)
                self.chunks.append(c)
        while len(self.chunks) > self.max_chunks():   # the budget was lowered
            self.drop_oldest()

    def _repair(self, num, last):
        """Whole, CRC-valid records of chunk num (a torn tail is cut); removes an empty one."""
        p = self.path(num)
        size = _size(p)
        n = min(size // REC, self.per)
        buf = self._buf
        if last or n * REC != size:
            with open(p, "rb") as f:
                while n > 0:
                    f.seek((n - 1) * REC)
                    if f.readinto(buf) == REC and crc_ok(buf):
                        break
                    n -= 1
        if n * REC != size:
            self.cut += 1
            print("motebook: history chunk %d: torn tail cut at record %d (%d bytes)"
                  % (num, n, size))
            try:
                self._truncate(p, n * REC)
            except OSError as e:   # a full flash has no room for the copy: reads skip the
                try:                # torn record (CRC), appends go to a new chunk, a later
                    os.remove(p + ".tmp")   # boot cuts it
                except OSError:
                    pass
                print("motebook: not cut (%s)" % e)
                self._torn = num
        return n

    def _truncate(self, p, size):
        if size <= 0:
            os.remove(p)
            return
        tmp = p + ".tmp"     # (MicroPython files have no truncate(): copy the good prefix)
        buf = self._buf
        with open(p, "rb") as src, open(tmp, "wb") as dst:
            for _ in range(size // REC):
                src.readinto(buf)
                dst.write(buf)
        os.rename(tmp, p)

    def _scan(self, c):
        """t_min, t_max of chunk c from its records."""
        buf = self._buf
        with open(self.path(c[0]), "rb") as f:
            for _ in range(c[1]):
                if f.readinto(buf) != REC:
                    break
                self._note(c, buf)

    @staticmethod
    def _note(c, buf):
        a, b = span(buf)
        if c[2] is None or a < c[2]:
            c[2] = a
        if c[3] is None or b > c[3]:
            c[3] = b

    # -- writing
    def drop_oldest(self):
        c = self.chunks.pop(0)
        try:
            os.remove(self.path(c[0]))
        except OSError:
            pass
        self.dropped_chunks += 1

    def append(self, buf):
        """Append one sealed record (bytearray of REC bytes); raises OSError (flash)."""
        c = self.chunks[-1] if self.chunks else None
        if c is None or c[1] >= self.per or c[0] == self._torn:
            while len(self.chunks) >= self.max_chunks():
                self.drop_oldest()
            c = [c[0] + 1 if c else 0, 0, None, None]
            self.chunks.append(c)
        with open(self.path(c[0]), "ab") as f:
            f.write(buf)
        c[1] += 1
        self._note(c, buf)

    def clear(self):
        while self.chunks:
            self.drop_oldest()

    # -- reading
    def read(self, t_from=None, t_to=None):
        """Generator over the CRC-valid records (one buffer, reused) of the chunks whose span
        meets [t_from, t_to) (ms), oldest chunk first. A chunk deleted by the
        ring meanwhile is skipped."""
        buf = bytearray(REC)
        for c in list(self.chunks):
            if t_from is not None and c[3] is not None and c[3] < t_from:
                continue
            if t_to is not None and c[2] is not None and c[2] >= t_to:
                continue
            try:
                f = open(self.path(c[0]), "rb")
            except OSError:
                continue
            try:
                while f.readinto(buf) == REC:
                    if crc_ok(buf):
                        yield buf
                    else:
                        self.bad += 1
            finally:
                f.close()

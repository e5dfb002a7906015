# Dataset export files written in the page: .npy arrays (NumPy format 1.0) in a zip without
# compression (method "stored") plus manifest.json, and the CSV of shared/csvio. Both are
# written into the interpreter FS for glue.js to hand to the browser as a download.
# Memory: arrays are written from byte views of the recordings; the zip keeps only its
# directory entries (name, crc, size, offset) in RAM.
import json
import struct

from shared.compat import bytes_view

try:
    from binascii import crc32 as _crc32
except ImportError:   # a build without binascii.crc32: table-driven CRC-32 (slower)
    _TABLE = []
    for _i in range(256):
        _c = _i
        for _ in range(8):
            _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
        _TABLE.append(_c)

    def _crc32(data, crc=0):
        crc ^= 0xFFFFFFFF
        t = _TABLE
        for b in data:
            crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFF


def npy_header(descr, shape):
    """The NumPy 1.0 header for a C-order array of dtype descr ('<i2') and shape."""
    dims = ", ".join("%d" % d for d in shape) + ("," if len(shape) == 1 else "")
    d = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    pad = 64 - (10 + len(d) + 1) % 64
    d = d + " " * (pad % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode()


class ZipWriter:
    """Stored (uncompressed) zip into a binary file object: add(name, parts) then close()."""

    def __init__(self, f):
        self.f = f
        self.pos = 0
        self.entries = []

    def add(self, name, parts):
        """parts: bytes-like objects making the file's content."""
        crc, size = 0, 0
        for p in parts:
            crc = _crc32(p, crc)
            size += len(p)
        crc &= 0xFFFFFFFF
        nm = name.encode()
        hdr = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, size, size,
                          len(nm), 0)
        self.entries.append((nm, crc, size, self.pos))
        self._w(hdr)
        self._w(nm)
        for p in parts:
            self._w(p)

    def _w(self, b):
        self.f.write(b)
        self.pos += len(b)

    def close(self):
        start = self.pos
        for nm, crc, size, off in self.entries:
            self._w(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc,
                                size, size, len(nm), 0, 0, 0, 0, 0, off))
            self._w(nm)
        n = len(self.entries)
        self._w(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, self.pos - start, start, 0))


def _name(rec):
    return str(rec.sid)


def write_zip(path, recs, classes, sample_labels):
    """recs: Recordings; sample_labels(rec) -> array('h') of class indexes per sample.
    Files: <session>.npy int16 (n_channels, n_samples) counts, <session>_labels.npy int16
    (n_samples,) index into manifest classes (-1 none), manifest.json."""
    man = {"format": "motebook-dataset", "version": 1, "classes": classes, "sessions": []}
    with open(path, "wb") as f:
        z = ZipWriter(f)
        for rec in recs:
            nm = _name(rec)
            nch, n = len(rec.channels), rec.n_samples
            z.add(nm + ".npy", (npy_header("<i2", (nch, n)),
                                bytes_view(rec.samples, 2 * nch * n)))
            lab = sample_labels(rec)
            z.add(nm + "_labels.npy", (npy_header("<i2", (n,)), bytes_view(lab, 2 * n)))
            man["sessions"].append({
                "session": rec.sid, "name": getattr(rec, "name", str(rec.sid)),
                "samples_file": nm + ".npy",
                "labels_file": nm + "_labels.npy", "channels": rec.channels, "rate": rec.rate,
                "scale": rec.scale, "n_samples": n, "unit": "value = count * scale",
                "segments": [{"start": s, "end": e, "label": c} for s, e, c in rec.segments]})
        z.add("manifest.json", (json.dumps(man).encode(),))
        z.close()
        return z.pos

# NumPy .npy headers (format version 1.0) for arrays the device streams row by row: sessions
# as int16 (channels, samples), history as a structured array. numpy.load reads them.
# Memory: the header string (< 256 bytes).
MAGIC = b"\x93NUMPY\x01\x00"


def header(descr, shape):
    """The .npy header for a C-ordered array: descr is the dtype text as numpy writes it
    ("'<i2'" or "[('t', '<f8'), ...]"), shape a tuple of ints."""
    dims = ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "")
    d = "{'descr': %s, 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    total = len(MAGIC) + 2 + len(d) + 1
    d += " " * ((64 - total % 64) % 64) + "\n"      # the data starts 64-byte aligned
    n = len(d)
    return MAGIC + bytes((n & 0xFF, n >> 8)) + d.encode()

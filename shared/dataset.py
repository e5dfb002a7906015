# Labelled recordings, pure logic shared by the page (and tests on every runtime): records of
# a session download -> one channel-major int16 recording; label segments (start, end, class)
# edited, checked and counted; windows cut with a window/hop and labelled. No I/O here.
# Memory: a recording is one array('h') of n_channels * n_samples; windows are copied out.
#
# Window labelling rule: the window [k, k + window) of a recording gets class c only when ONE
# segment of class c covers all of it (start <= k and k + window <= end); a window touching
# two classes, a gap or the edge of a segment is unlabelled and skipped for training. (Two
# adjacent segments of the same class are merged by assign(), so this never splits a class.)
from array import array

from shared import protocol
from shared.compat import bytes_view

MAX_SEGMENTS = 256    # = the device's labels.MAX_SEGMENTS
MAX_CLASSES = 32
MAX_CLASS_LEN = 32


class DatasetError(ValueError):
    pass


def zeros(n):
    return array("h", bytes(2 * n))


# -- a session download (GET /api/sessions/<id>/windows): frames of `hop` new samples each
def deblock(raw, n_records, frame_size, out=None):
    """Concatenated protocol frames (bytes-like, n_records * frame_size bytes, each frame
    channel-major n_channels x hop int16) -> (samples, n_channels, n_samples, rate, scale,
    gaps): samples channel-major n_channels x (n_records * hop). gaps counts breaks in the
    sequence numbers (samples on both sides are simply joined). out may be a big enough
    array('h') to fill in place."""
    if n_records == 0:
        return (out if out is not None else zeros(0)), 0, 0, 0, 1.0, 0
    mv = memoryview(raw)
    if len(mv) < n_records * frame_size:
        raise DatasetError("download too short: %d bytes for %d records of %d"
                           % (len(mv), n_records, frame_size))
    seq0, _, nch, dtype, hop, rate, scale = protocol.decode_header(mv[:frame_size])
    if dtype != protocol.DTYPE_INT16:
        raise DatasetError("recordings are int16")
    n = n_records * hop
    if out is None:
        out = zeros(nch * n)
    dst = bytes_view(out, 2 * nch * n)
    blk = 2 * hop
    gaps = 0
    prev = seq0 - 1
    for i in range(n_records):
        base = i * frame_size
        h = protocol.decode_header(mv[base:base + frame_size])
        if h[2] != nch or h[4] != hop or h[3] != dtype:
            raise DatasetError("record %d has another shape" % i)
        if h[0] != (prev + 1) & 0xFFFFFFFF:
            gaps += 1
        prev = h[0]
        src = base + protocol.HEADER_SIZE
        for c in range(nch):
            o = 2 * (c * n + i * hop)
            dst[o:o + blk] = mv[src + c * blk:src + (c + 1) * blk]
    return out, nch, n, rate, scale, gaps


# -- segments: lists of (start, end, class index), sorted, not overlapping, end excluded
def check_segments(segments, n_samples, n_classes):
    """Raise DatasetError naming the first bad segment (out of bounds, unknown class, order)."""
    if len(segments) > MAX_SEGMENTS:
        raise DatasetError("too many segments (%d, max %d): merge some"
                           % (len(segments), MAX_SEGMENTS))
    last = 0
    for i, (s, e, c) in enumerate(segments):
        if not 0 <= s < e:
            raise DatasetError("segment %d: needs 0 <= start < end (got %d..%d)" % (i, s, e))
        if e > n_samples:
            raise DatasetError("segment %d: end %d is out of bounds: the session has %d samples"
                               % (i, e, n_samples))
        if not 0 <= c < n_classes:
            raise DatasetError("segment %d: unknown class id %d (there are %d classes)"
                               % (i, c, n_classes))
        if s < last:
            raise DatasetError("segment %d (start %d) overlaps the one before (end %d)"
                               % (i, s, last))
        last = e


def assign(segments, start, end, cls, n_samples):
    """Segments with [start, end) set to class cls (None clears it); neighbours of the same
    class are merged. start/end are clamped to the recording; a new list is returned."""
    start = max(0, min(start, n_samples))
    end = max(0, min(end, n_samples))
    if end <= start:
        return list(segments)
    out = []
    for s, e, c in segments:
        if e <= start or s >= end:
            out.append((s, e, c))
            continue
        if s < start:
            out.append((s, start, c))
        if e > end:
            out.append((end, e, c))
    if cls is not None:
        out.append((start, end, cls))
    out.sort()
    merged = []
    for seg in out:
        if merged and merged[-1][2] == seg[2] and merged[-1][1] == seg[0]:
            merged[-1] = (merged[-1][0], seg[1], seg[2])
        else:
            merged.append(seg)
    return merged


def class_at(segments, k):
    """Class index of sample k, or -1."""
    for s, e, c in segments:
        if s <= k < e:
            return c
    return -1


def counts(segments, n_classes):
    """Labelled samples per class index."""
    out = [0] * n_classes
    for s, e, c in segments:
        if 0 <= c < n_classes:
            out[c] += e - s
    return out


def sample_labels(segments, n_samples):
    """One class index per sample (-1 unlabelled), array('h')."""
    out = array("h", [-1] * n_samples)   # (MicroPython arrays do not multiply)
    for s, e, c in segments:
        for k in range(max(0, s), min(e, n_samples)):
            out[k] = c
    return out


def from_names(named, classes):
    """[{start, end, label}] or [(start, end, name)] -> [(start, end, index)] (classes grows
    by unknown names)."""
    out = []
    for seg in named:
        if isinstance(seg, dict):
            s, e, name = seg["start"], seg["end"], seg["label"]
        else:
            s, e, name = seg
        if name not in classes:
            classes.append(name)
        out.append((s, e, classes.index(name)))
    out.sort()
    return out


def to_names(segments, classes):
    return [{"start": s, "end": e, "label": classes[c]} for s, e, c in segments]


# -- windows
def window_classes(segments, n_samples, window, hop):
    """[(k, class index)] for every window start k = 0, hop, 2*hop... that fits in the
    recording and lies wholly inside one segment (the rule at the top); others skipped."""
    out = []
    if window < 1 or hop < 1:
        raise DatasetError("window and hop must be >= 1")
    j = 0
    nseg = len(segments)
    k = 0
    while k + window <= n_samples:
        while j < nseg and segments[j][1] < k + window:
            j += 1          # segments ending before this window's end cannot cover it
        if j == nseg:
            break
        s, e, c = segments[j]
        if s <= k:
            out.append((k, c))
            k += hop
        else:
            k += ((s - k) + hop - 1) // hop * hop    # jump to the first start >= s
    return out


def cut_window(samples, n_channels, n_samples, k, window, out=None):
    """Channel-major window [k, k + window) of a channel-major recording, as array('h')."""
    if out is None:
        out = zeros(n_channels * window)
    src = bytes_view(samples, 2 * n_channels * n_samples)
    dst = bytes_view(out, 2 * n_channels * window)
    for c in range(n_channels):
        a = 2 * (c * n_samples + k)
        dst[2 * c * window:2 * (c + 1) * window] = src[a:a + 2 * window]
    return out


def labelled_windows(recordings, classes, window, hop):
    """recordings: objects with .samples, .n_channels (or len(.channels)), .n_samples,
    .classes (names) and .segments [(start, end, class name)]. Returns (windows, labels):
    windows channel-major array('h') of n_channels x window, labels indexes into classes
    (windows of other classes are skipped)."""
    windows, labels = [], []
    index = {}
    for i, name in enumerate(classes):
        index[name] = i
    nch0 = None
    for r in recordings:
        nch = len(r.channels)
        if nch0 is None:
            nch0 = nch
        elif nch != nch0:
            raise DatasetError("recordings have different channel counts (%d, %d)" % (nch0, nch))
        segs = [(s, e, index[name]) for s, e, name in r.segments if name in index]
        segs.sort()
        for k, c in window_classes(segs, r.n_samples, window, hop):
            windows.append(cut_window(r.samples, nch, r.n_samples, k, window))
            labels.append(c)
    return windows, labels

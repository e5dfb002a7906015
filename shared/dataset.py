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

from shared.limits import (IMPORT_MAX_RECORD, MAX_CLASS_LEN, MAX_CLASSES,  # noqa: F401
                           MAX_SEGMENTS)


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


def import_hop(n_channels):
    """Samples per frame of an uploaded import: the largest power of two (<= 128) whose
    record (frame + 4-byte CRC) fits IMPORT_MAX_RECORD."""
    hop = 128
    while hop > 1 and protocol.frame_size(n_channels, hop) + 4 > IMPORT_MAX_RECORD:
        hop //= 2
    return hop


def upload_frames(samples, n_channels, n_samples, hop, rate, scale):
    """A channel-major int16 recording as the body of POST /api/sessions/import: consecutive
    protocol frames of hop samples (seq 0, 1, ...), the last one zero-padded."""
    fs = protocol.frame_size(n_channels, hop)
    n_frames = (n_samples + hop - 1) // hop
    out = bytearray(n_frames * fs)
    blk = zeros(n_channels * hop)
    for f in range(n_frames):
        k = f * hop
        m = min(hop, n_samples - k)
        for c in range(n_channels):
            o = c * n_samples + k
            for i in range(m):
                blk[c * hop + i] = samples[o + i]
            for i in range(m, hop):
                blk[c * hop + i] = 0
        protocol.encode_window_into(memoryview(out)[f * fs:(f + 1) * fs], f, 0, blk,
                                    n_channels, hop, rate, scale)
    return out


def natural_key(g):
    """Sort key: numbers by value, also inside text (train-2 before train-10)."""
    if isinstance(g, int):
        return [(0, g, "")]
    key, num = [], ""
    for ch in str(g):
        if "0" <= ch <= "9":
            num += ch
            continue
        if num:
            key.append((0, int(num), ""))
            num = ""
        key.append((1, 0, ch))
    if num:
        key.append((0, int(num), ""))
    return key


def natural_sorted(items, key=None):
    """items sorted in natural order (session 2 before session 10, train-2 before train-10)."""
    return sorted(items, key=lambda x: natural_key(key(x) if key else x))


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


class LabelledWindows:
    """What labelled_windows() returns: windows (channel-major array('h') of n_channels x
    window), labels (indexes into classes; -1: unlabelled, with unlabelled=True), groups (the
    session id of each window), starts (its first sample in the session), scales (its
    recording's scale), and the recordings' shared channels (names) and rate."""

    def __init__(self):
        self.windows, self.labels, self.groups, self.scales = [], [], [], []
        self.starts = []
        self.channels, self.rate = None, None
        # {class index: {session id: (longest segment of it, session length)}} in samples, for
        # every session labelled with a chosen class, windows or not (evaluate.no_window)
        self.stretches = {}

    def __len__(self):
        return len(self.windows)

    def per_class(self, n_classes):
        out = [0] * n_classes
        for c in self.labels:
            out[c] += 1
        return out


def _sid(sid):
    return "?" if sid is None else ("#%s" % sid if isinstance(sid, int) else str(sid))


def _name(r):
    return _sid(getattr(r, "sid", None))


def check_same_shape(recordings):
    """Raise DatasetError naming two sessions and what differs (channel names, sample rate)
    when the recordings cannot be trained together."""
    if not recordings:
        return
    r0 = recordings[0]
    for r in recordings[1:]:
        diff = []
        if list(r.channels) != list(r0.channels):
            diff.append("channels %s vs %s" % (",".join(r0.channels), ",".join(r.channels)))
        if r.rate != r0.rate:
            diff.append("sample rate %s Hz vs %s Hz" % (r0.rate, r.rate))
        if diff:
            raise DatasetError("sessions %s and %s cannot be trained together: %s. Choose "
                               "sessions of one sensor and rate" % (_name(r0), _name(r),
                                                                    "; ".join(diff)))


def labelled_windows(recordings, classes, window, hop, unlabelled=False):
    """recordings: objects with .sid, .samples, .channels (names), .rate, .scale, .n_samples,
    .segments [(start, end, class name)]. Returns LabelledWindows over the windows lying
    wholly inside one segment of a class in `classes` (others skipped; with unlabelled=True
    every window that fits, the others labelled -1: what Explore looks at). Raises
    DatasetError when the recordings differ in channels or rate."""
    check_same_shape(recordings)
    out = LabelledWindows()
    index = {}
    for i, name in enumerate(classes):
        index[name] = i
    for r in recordings:
        nch = len(r.channels)
        out.channels, out.rate = list(r.channels), r.rate
        segs = [(s, e, index[name]) for s, e, name in r.segments if name in index]
        segs.sort()
        for s, e, c in segs:
            per = out.stretches.setdefault(c, {})
            run = per.get(r.sid, (0, 0))[0]
            per[r.sid] = (max(run, e - s), r.n_samples)
        found = window_classes(segs, r.n_samples, window, hop)
        if unlabelled:
            known = dict(found)
            found = [(k, known.get(k, -1)) for k in range(0, r.n_samples - window + 1, hop)]
        for k, c in found:
            out.windows.append(cut_window(r.samples, nch, r.n_samples, k, window))
            out.labels.append(c)
            out.groups.append(r.sid)
            out.starts.append(k)
            out.scales.append(r.scale)
    return out


def explain(recordings, classes, window, found):
    """Why `found` (a LabelledWindows) cannot be trained on, in words that say what to change,
    or None when it has windows of at least two classes."""
    present = [c for c in range(len(classes)) if c in found.labels]
    if len(present) >= 2:
        return None
    if not recordings:
        return "choose at least one session"
    rate = recordings[0].rate or 1
    longest = max(r.n_samples for r in recordings)
    if longest < window:
        same = min(r.n_samples for r in recordings) == longest
        return ("%s %d samples long (%.3g s) and the window is %d samples (%.3g s): no window "
                "fits; shorten the window to at most %d samples"
                % ("the sessions are" if same else "the longest session is", longest,
                   longest / rate, window, window / rate, longest))
    wanted, other, run = set(classes), set(), 0
    for r in recordings:
        for s, e, name in r.segments:
            if name in wanted:
                run = max(run, e - s)
            else:
                other.add(name)
    if not run:
        return ("the chosen sessions have no labels of %s%s: label them on the timeline, or "
                "choose other classes" % (", ".join(classes) or "any class",
                                          " (their labels: %s)" % ", ".join(sorted(other))
                                          if other else ""))
    if run < window:
        return ("the longest labelled stretch is %d samples (%.3g s) and the window is %d: no "
                "window lies wholly inside one label; shorten the window to at most %d "
                "samples or label longer stretches" % (run, run / rate, window, run))
    lost = [c for c in sorted(found.stretches) if c not in present]
    if lost:     # labelled, but every stretch of it is shorter than the window
        per = found.stretches
        fit = min(max(v[0] for v in per[c].values()) for c in lost)
        return ("%s give%s no window of %d samples: %s; shorten the window to at most %d "
                "samples" % (", ".join(classes[c] for c in lost), "s" if len(lost) == 1
                             else "", window, "; ".join(
                                 "session %s (%s): %d labelled samples" % (
                                     _sid(g), classes[c], per[c][g][0]) for c in lost
                                 for g in natural_sorted(per[c])), fit))
    if present:
        return ("labelled windows of one class only (%s: %d); label windows of a second class"
                % (classes[present[0]], len(found)))
    return "no labelled windows of %s" % ", ".join(classes)

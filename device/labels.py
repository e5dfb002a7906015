# Label edits (PUT) and their checks: segments {"start", "end", "label"} in samples of the
# session (start included, end excluded), a class list, and a version for optimistic
# concurrency; the file itself is label_file.py's. Memory: a PUT body is scanned in place and checked one segment object at a time into compact
# arrays (256 segments ~3 KB; json.loads of the whole body would need ~60 KB).
import json
from array import array

from label_file import file_version, summary as _summary, write as _write
from shared import jsonck

from shared.limits import MAX_CLASS_LEN, MAX_CLASSES, MAX_SEGMENTS


class LabelError(ValueError):
    def __init__(self, status, msg, version=None):
        super().__init__(msg)
        self.status = status
        self.version = version


def _bad(what="the labels body is not valid JSON"):
    return LabelError(400, what)


# -- PUT
def put(store, sid, body, samples, current):
    """Validate body (bytes) against the session's samples and current summary, write the
    labels with version + 1 and return the new summary. Raises LabelError."""
    v, classes, starts, ends, cls = _parse(body, samples, current)
    _write(store, sid, v + 1, classes, starts, ends, cls)
    return _summary(v + 1, classes, starts, ends, cls)


def resync(store, sid, meta):
    """Boot: when labels.json is newer than the summary in meta.json (a restart between the
    two writes of a PUT), rebuild the summary from the file. Returns True when it did."""
    v = file_version(store, sid)
    lab = meta.get("labels") or {}
    if v is None or v == lab.get("version") or lab.get("open"):
        return False
    with open(store.path(sid, "labels.json"), "rb") as f:
        body = f.read()
    try:
        _, classes, starts, ends, cls = _parse(body, meta["windows"] * meta["hop"],
                                               {"version": v, "classes": []})
    except LabelError as e:
        print("motebook: session %d: labels.json unreadable (%s)" % (sid, e))
        return False
    meta["labels"] = _summary(v, classes, starts, ends, cls)
    store.write_json(sid, "meta.json", meta)
    return True


def _parse(body, samples, current):
    try:
        jsonck.check(body)   # one complete document; the scanner below finds its parts
    except ValueError as e:
        raise _bad("the labels body is not valid JSON (it must be one JSON object): %s" % e)
    n = len(body)
    span = _find_segments(body, n)
    if span is None:
        raise _bad('labels need "segments": a list of {"start", "end", "label"} (samples)')
    a, e = span
    try:
        top = json.loads(body[:a] + b"[]" + body[e:])
    except ValueError:
        raise _bad()
    for k in top:     # ("samples" is read-only, in what GET answers: a client may send it back)
        if k not in ("version", "classes", "segments", "samples"):
            raise _bad('unknown field %r in labels (valid: version, classes, segments)' % k)
    cur = current["version"]
    v = top.get("version")
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad('labels need "version": the version your edit is based on (now %d)' % cur)
    if v != cur:
        raise LabelError(409, "labels changed on the device: version %d, yours is based on %d; "
                         "reload, merge and retry" % (cur, v), cur)
    classes = top.get("classes", current["classes"])
    _check_classes(classes)
    index = {}
    for i, c in enumerate(classes):
        index[c] = i
    starts, ends, cls = array("i"), array("i"), bytearray()
    last = 0
    for i, (s0, s1) in enumerate(_elements(body, a, e)):
        if i >= MAX_SEGMENTS:
            raise _bad("too many segments (max %d): merge adjacent ones" % MAX_SEGMENTS)
        try:
            seg = json.loads(body[s0:s1])
        except ValueError:
            raise _bad("segment %d is not valid JSON" % i)
        start, end, name = _check_segment(i, seg, samples, index, classes)
        if start < last:
            raise _bad("segment %d (start %d) overlaps the one before (end %d); segments must "
                       "be sorted by start and not overlap" % (i, start, last))
        last = end
        starts.append(start)
        ends.append(end)
        cls.append(index[name])
    return cur, classes, starts, ends, cls


def _check_classes(classes):
    if not isinstance(classes, list):
        raise _bad('"classes" must be a list of class names')
    if len(classes) > MAX_CLASSES:
        raise _bad("too many classes (max %d)" % MAX_CLASSES)
    seen = {}
    for c in classes:
        if not isinstance(c, str) or not 1 <= len(c) <= MAX_CLASS_LEN:
            raise _bad("class names must be strings of 1..%d characters (got %r)"
                       % (MAX_CLASS_LEN, c))
        if c in seen:
            raise _bad("class %r is listed twice" % c)
        seen[c] = 1


def _check_segment(i, seg, samples, index, classes):
    if not isinstance(seg, dict):
        raise _bad("segment %d must be an object" % i)
    for k in seg:
        if k not in ("start", "end", "label"):
            raise _bad("segment %d: unknown field %r (valid: start, end, label)" % (i, k))
    start, end, name = seg.get("start"), seg.get("end"), seg.get("label")
    for k, x in (("start", start), ("end", end)):
        if isinstance(x, bool) or not isinstance(x, int):
            raise _bad("segment %d: %s must be an integer sample index" % (i, k))
    if not isinstance(name, str):
        raise _bad('segment %d: "label" must be a class name' % i)
    if name not in index:
        raise _bad("segment %d: unknown class %r (classes: %s)"
                   % (i, name, ", ".join(classes) or "none"))
    if not 0 <= start < end:
        raise _bad("segment %d: needs 0 <= start < end (got %d..%d)" % (i, start, end))
    if end > samples:
        raise _bad("segment %d: end %d is out of bounds: the session has %d samples"
                   % (i, end, samples))
    return start, end, name


# -- a tiny scanner: finds the top-level "segments" array and its element objects in place
def _ws(b, i, n):
    while i < n and b[i] in (32, 9, 10, 13):
        i += 1
    return i


def _string_end(b, i, n):
    i += 1
    while i < n:
        c = b[i]
        if c == 92:
            i += 2
        elif c == 34:
            return i + 1
        else:
            i += 1
    raise _bad()


def _match(b, i, n):
    depth = 0
    while i < n:
        c = b[i]
        if c == 34:
            i = _string_end(b, i, n)
            continue
        if c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _bad()


def _value_end(b, i, n):
    c = b[i]
    if c == 34:
        return _string_end(b, i, n)
    if c == 123 or c == 91:
        return _match(b, i, n)
    while i < n and b[i] not in (44, 125, 93, 32, 9, 10, 13):
        i += 1
    return i


def _find_segments(b, n):
    """(index of '[', index after ']') of the top-level "segments" value, or None."""
    i = _ws(b, 0, n)
    if i >= n or b[i] != 123:
        raise _bad("labels must be a JSON object")
    i = _ws(b, i + 1, n)
    span = None
    if i < n and b[i] == 125:
        return None
    while i < n:
        if b[i] != 34:
            raise _bad()
        j = _string_end(b, i, n)
        key = b[i + 1:j - 1]
        i = _ws(b, j, n)
        if i >= n or b[i] != 58:
            raise _bad()
        i = _ws(b, i + 1, n)
        if i >= n:
            raise _bad()
        e = _value_end(b, i, n)
        if key == b"segments" and span is None:
            if b[i] != 91:
                raise _bad('"segments" must be a list of {"start", "end", "label"}')
            span = (i, e)
        i = _ws(b, e, n)
        if i < n and b[i] == 44:
            i = _ws(b, i + 1, n)
            continue
        if i < n and b[i] == 125 and _ws(b, i + 1, n) == n:
            return span
        raise _bad()
    raise _bad()


def _elements(b, a, e):
    z = e - 1
    i = _ws(b, a + 1, z)
    while i < z:
        if b[i] != 123:
            raise _bad("segments must be a list of objects")
        j = _match(b, i, z)
        yield i, j
        i = _ws(b, j, z)
        if i < z:
            if b[i] != 44:
                raise _bad()
            i = _ws(b, i + 1, z)
            if i >= z:
                raise _bad()

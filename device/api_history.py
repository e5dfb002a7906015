# /api/history routes (shapes in API.md), served through api_node: the windows of a time
# range as JSON, CSV or .npy, summaries per bucket, info, DELETE. Memory: responses stream
# from flash (history_query), one record or one window at a time, at most MAX_READS at once.
import json

from microdot import Response

import npy
from api_node import no_route, wrong_method
from httpd import err

MAX_READS = 2
MAX_BUCKETS = 20000
FOREVER = 10 ** 13       # ms: "to" left out
_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
          "npy": "application/octet-stream"}
_reads = []


def ms_arg(request, name, default):
    """A time in seconds (decimal text, e.g. "1763770000.25") as integer ms, parsed without
    floats (an ESP32's 32-bit floats cannot hold seconds since 1970); ValueError if bad."""
    v = request.args.get(name)
    if v is None or v == "":
        return default
    whole, _, frac = v.partition(".")
    if not whole.isdigit() or len(whole) > 11 or (frac and not frac.isdigit()):
        raise ValueError("%s must be seconds since 1970 (digits, optionally a fraction), "
                         "got %r" % (name, v[:40]))
    return int(whole) * 1000 + int((frac + "000")[:3])


def handle(request, parts, dev):
    hist = dev.node.hist
    what = parts[1] if len(parts) > 1 else ""
    if len(parts) > 2 or what not in ("", "summary", "info"):
        return no_route(request, parts)
    if what == "" and request.method == "DELETE":   # (token: api_node's guard)
        hist.flush()
        hist.store.clear()
        return hist.status()
    if request.method != "GET":
        return wrong_method(request, ("GET", "DELETE") if what == "" else ("GET",))
    if what == "info":
        return _info(hist)
    q, e = _query(request, hist)
    if e:
        return e
    if what == "summary":
        return _summary(request, q)
    fmt = request.args.get("format") or "json"
    if fmt not in _TYPES:
        return err(400, "format must be json, csv or npy", field="format")
    if fmt == "json":
        return _streamed(q.json_rows(), _TYPES[fmt])
    if fmt == "csv":
        return _streamed(q.csv_rows(), _TYPES[fmt])
    n = q.count()
    size = len(npy.header(q.npy_descr(), (n,))) + n * q.row_bytes()
    h = {"Content-Length": str(size), "X-Classes": json.dumps(q.classes),
         "X-Channels": json.dumps(q.channels)}
    if q.value:                  # a regression's estimates: the "value" field's target, unit
        h["X-Value"] = json.dumps(q.value)
    return _streamed(q.npy_bytes(n), _TYPES[fmt], h)


def _query(request, hist):
    """(Query, None) or (None, error response)."""
    try:
        t_from = ms_arg(request, "from", 0)
        t_to = ms_arg(request, "to", FOREVER)
    except ValueError as e:
        return None, err(400, str(e))
    if t_to <= t_from:
        return None, err(400, "to must be after from")
    if len(_reads) >= MAX_READS:
        return None, err(503, "too many history reads at once (max %d): retry" % MAX_READS)
    from history_query import Query
    return Query(hist, t_from, t_to), None


def _streamed(gen, ctype, extra=None):
    token = object()
    _reads.append(token)

    def body():
        try:
            for piece in gen:
                yield piece
        finally:
            if token in _reads:
                _reads.remove(token)
    h = {"Content-Type": ctype, "Cache-Control": "no-store"}
    h.update(extra or {})
    return Response(body=body(), headers=h)


def _summary(request, q):
    try:
        bucket = ms_arg(request, "bucket", 3600000)
    except ValueError as ex:
        return err(400, str(ex))
    if bucket < 1000:
        return err(400, "bucket must be at least 1 second", field="bucket")
    if q.t_to < FOREVER and (q.t_to - q.t_from) // bucket > MAX_BUCKETS:
        return err(400, "at most %d buckets: a larger bucket or a shorter range"
                   % MAX_BUCKETS, field="bucket")
    return _streamed(q.summary(bucket), "application/json")


def _info(hist):
    s = hist.status()
    ch = hist.store.chunks
    s["first_ms"] = min(c[2] for c in ch) if ch else None   # (on flash; ints: exact)
    s["last_ms"] = max(c[3] for c in ch) if ch else None
    s["contexts"] = hist.contexts
    s["chunks"] = len(ch)
    s["record_bytes"] = 78
    return s

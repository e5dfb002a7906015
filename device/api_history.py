# HTTP routes of the node's history and flagged windows (shapes in API.md): the windows of a
# time range as JSON, CSV or .npy, summaries per bucket, the flagged windows (list, samples,
# label -> a new session, delete). Memory: responses stream from flash (history_query), one
# record or one window at a time; at most MAX_READS history reads at once.
import json

from microdot import Response

import npy
from history_query import Query
from recorder import _flash_free

MAX_READS = 2
MAX_BUCKETS = 20000
FOREVER = 10 ** 13       # ms: "to" left out
_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
          "npy": "application/octet-stream"}


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


def install(app, dev, err, require_token, json_body):
    node = dev.node
    reads = []

    def query(request):
        """(Query, None) or (None, error response)."""
        try:
            t_from = ms_arg(request, "from", 0)
            t_to = ms_arg(request, "to", FOREVER)
        except ValueError as e:
            return None, err(400, str(e))
        if t_to <= t_from:
            return None, err(400, "to must be after from")
        if len(reads) >= MAX_READS:
            return None, err(503, "too many history reads at once (max %d): retry"
                             % MAX_READS)
        return Query(node.hist, t_from, t_to), None

    def streamed(gen, ctype, extra=None):
        token = object()
        reads.append(token)

        def body():
            try:
                for piece in gen:
                    yield piece
            finally:
                if token in reads:
                    reads.remove(token)
        h = {"Content-Type": ctype, "Cache-Control": "no-store"}
        h.update(extra or {})
        return Response(body=body(), headers=h)

    @app.get("/api/history")
    def history(request):
        fmt = request.args.get("format") or "json"
        if fmt not in _TYPES:
            return err(400, "format must be json, csv or npy", field="format")
        q, e = query(request)
        if e:
            return e
        if fmt == "json":
            return streamed(q.json_rows(), _TYPES[fmt])
        if fmt == "csv":
            return streamed(q.csv_rows(), _TYPES[fmt])
        n = q.count()
        size = len(npy.header(q.npy_descr(), (n,))) + n * (18 + 4 * max(1, q.n_rms))
        return streamed(q.npy_bytes(n), _TYPES[fmt], {
            "Content-Length": str(size), "X-Classes": json.dumps(q.classes),
            "X-Channels": json.dumps(q.channels)})

    @app.get("/api/history/summary")
    def summary(request):
        q, e = query(request)
        if e:
            return e
        try:
            bucket = ms_arg(request, "bucket", 3600000)
        except ValueError as ex:
            return err(400, str(ex))
        if bucket < 1000:
            return err(400, "bucket must be at least 1 second", field="bucket")
        if q.t_to < FOREVER and (q.t_to - q.t_from) // bucket > MAX_BUCKETS:
            return err(400, "at most %d buckets: a larger bucket or a shorter range"
                       % MAX_BUCKETS, field="bucket")
        return streamed(q.summary(bucket), "application/json")

    @app.get("/api/history/info")
    def info(request):
        h = node.hist
        s = h.status()
        ch = h.store.chunks
        s["first_ms"] = min(c[2] for c in ch) if ch else None   # (on flash; ints: exact)
        s["last_ms"] = max(c[3] for c in ch) if ch else None
        s["contexts"] = h.contexts
        s["chunks"] = len(ch)
        s["record_bytes"] = 78
        return s

    @app.delete("/api/history")
    def clear(request):
        denied = require_token(request)
        if denied:
            return denied
        node.hist.flush()
        node.hist.store.clear()
        return node.hist.status()

    # -- flagged windows
    fl = node.flagged

    def find(text):
        i = int(text) if text.isdigit() and len(text) < 9 else None
        m = fl.meta(i) if i is not None else None
        return m, None if m else err(404, "no flagged window %r" % text[:20])

    @app.get("/api/flagged")
    def flagged(request):
        def gen():
            yield '{"flagged": ['
            first = True
            for i in list(fl.ids):
                m = fl.meta(i)
                if m is not None:
                    yield ("" if first else ", ") + json.dumps(m)
                    first = False
            yield '], "threshold": %s, "max": %d}' % (fl.s["threshold"], fl.s["max"])
        return Response(body=gen(), headers={"Content-Type": "application/json"})

    @app.get("/api/flagged/<fid>")
    def flagged_one(request, fid):
        m, e = find(fid)
        return e or m

    @app.get("/api/flagged/<fid>/samples.npy")
    def flagged_npy(request, fid):
        m, e = find(fid)
        if e:
            return e
        nch, n = len(m["channels"]), m["window"]
        head = npy.header("'<i2'", (nch, n))
        return Response(body=head + bytes(fl.samples(m)), headers={
            "Content-Type": "application/octet-stream", "X-Scale": repr(m["scale"]),
            "X-Channels": json.dumps(m["channels"])})

    @app.post("/api/flagged/<fid>/label")
    def label(request, fid):
        denied = require_token(request)
        if denied:
            return denied
        m, e = find(fid)
        if e:
            return e
        body = json_body(request)
        lab = body.get("label") if isinstance(body, dict) else None
        from shared.limits import MAX_CLASS_LEN
        if not isinstance(lab, str) or not 1 <= len(lab) <= MAX_CLASS_LEN:
            return err(400, 'body must be {"label": CLASS} (1..%d characters)'
                       % MAX_CLASS_LEN, field="label")
        rec = dev.rec
        try:
            meta = fl.to_session(m, lab, rec.store, rec.budget(), _flash_free(rec.store.root))
        except ValueError as ex:
            return err(getattr(ex, "status", 400), str(ex))
        return meta, 201

    @app.delete("/api/flagged/<fid>")
    def flagged_delete(request, fid):
        denied = require_token(request)
        if denied:
            return denied
        m, e = find(fid)
        if e:
            return e
        fl.delete(m["id"])
        return {"deleted": m["id"]}

# Pull routes for notebooks and scripts, served through api_node: GET
# /api/sessions/<id>/samples.npy (a session's samples as a NumPy int16 array of shape
# (channels, samples); times X-Scale = physical units) and GET /api/model/file (the running
# model's file). Memory: the samples stream from the records one channel at a time through
# one buffer of at most STREAM_BUF bytes (the answer is memoryview slices of it); the model
# file is sent by Microdot in 1 KB blocks.
import json

from microdot import Response

import npy
from api_node import no_route, wrong_method
from httpd import err

STREAM_BUF = 1024


def handle(request, parts, dev):
    if parts == ["model", "file"]:
        if request.method != "GET":
            return wrong_method(request, ("GET",))
        if dev.model.current is None:
            return err(404, "no model installed (PUT /api/model)")
        return Response.send_file(dev.model.path, content_type="text/csv; charset=utf-8",
                                  max_age=0)
    if len(parts) != 3 or parts[0] != "sessions" or parts[2] != "samples.npy":
        return no_route(request, parts)
    if request.method != "GET":
        return wrong_method(request, ("GET",))
    return _samples(dev.rec, parts[1])


def _samples(rec, sid):
    store = rec.store
    i = int(sid) if sid.isdigit() and len(sid) < 9 else None
    if i is not None and i == rec.sid:
        rec.flush()
        m = rec.live_meta()
    else:
        m = store.read_json(i, "meta.json") if i is not None else None
    if m is None:
        return err(404, "unknown session %r" % sid[:20])
    nch, hop, n_rec = len(m["channels"]), m["hop"], m["windows"]
    n = m.get("samples", n_rec * hop)
    fs, rs = m["frame_size"], m["record_size"]
    head = npy.header("'<i2'", (nch, n))
    try:
        buf = bytearray(max(1, STREAM_BUF // fs) * fs)
    except MemoryError:
        return err(503, "not enough memory for a download now: retry")

    def gen():
        yield head
        mv = memoryview(buf)
        for c in range(nch):
            left = n
            for k in store.read_records(i, rs, 0, n_rec, buf, fs):
                for j in range(k // fs):
                    if left <= 0:
                        break
                    a = j * fs + 20 + c * hop * 2
                    take = min(hop, left)
                    left -= take
                    yield mv[a:a + take * 2]
                if left <= 0:
                    break
    return Response(body=gen(), headers={
        "Content-Type": "application/octet-stream",
        "Content-Length": str(len(head) + nch * n * 2), "X-Scale": repr(m["scale"]),
        "X-Rate": str(m["rate"]), "X-Channels": json.dumps(m["channels"]),
        "Cache-Control": "no-store"})

# /api/flagged routes (shapes in API.md), served through api_node: the list, one window's
# meta and samples (.npy), its label (it becomes a session), DELETE (writes: token, asked
# by api_node's guard). Memory: the list streams
# one meta at a time; a window's samples (channels x window int16) are read whole.
import json

from microdot import Response

import npy
from api_node import no_route, wrong_method
from httpd import err, json_body
from shared.limits import MAX_CLASS_LEN

_ROUTES = (("GET", ""), ("DELETE", ""), ("GET", "samples.npy"), ("POST", "label"))


def handle(request, parts, dev):
    fl = dev.node.flagged
    if len(parts) == 1:
        if request.method != "GET":
            return wrong_method(request, ("GET",))
        return _list(fl)
    what = parts[2] if len(parts) > 2 else ""
    if len(parts) > 3 or what not in ("", "samples.npy", "label"):
        return no_route(request, parts)
    if (request.method, what) not in _ROUTES:
        return wrong_method(request, [m for m, w in _ROUTES if w == what])
    fid = parts[1]
    m = fl.meta(int(fid)) if fid.isdigit() and len(fid) < 9 else None
    if m is None:
        return err(404, "no flagged window %r" % fid[:20])
    if request.method == "DELETE":
        fl.delete(m["id"])
        return {"deleted": m["id"]}
    if what == "label":
        return _label(dev, fl, m, json_body(request))
    if what == "samples.npy":
        head = npy.header("'<i2'", (len(m["channels"]), m["window"]))
        return Response(body=head + bytes(fl.samples(m)), headers={
            "Content-Type": "application/octet-stream", "X-Scale": repr(m["scale"]),
            "X-Channels": json.dumps(m["channels"])})
    return m


def _list(fl):
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


def _label(dev, fl, m, body):
    lab = body.get("label") if isinstance(body, dict) else None
    if not isinstance(lab, str) or not 1 <= len(lab) <= MAX_CLASS_LEN:
        return err(400, 'body must be {"label": CLASS} (1..%d characters)' % MAX_CLASS_LEN,
                   field="label")
    rec = dev.rec
    try:
        meta = fl.to_session(m, lab, rec.store, rec.budget(), rec.store.flash_free())
    except ValueError as ex:
        return err(getattr(ex, "status", 400), str(ex))
    return meta, 201

# The node's HTTP API behind one Microdot route (a route costs ~400 bytes of heap; each
# handler module is loaded on its first request): /api/history..., /api/flagged...,
# /api/integrations, /api/sessions/<id>/samples.npy and /api/model/file (the routes the app
# itself has match first), plus CORS for reads: a GET from a web page whose origin is listed
# in the config's "origins" gets Access-Control-Allow-Origin; writes still need the token and
# no preflight is answered, so a browser sends no cross-origin write. The token is asked by
# the app's guard: every write (any method but GET) under the prefixes in _GUARDED, before
# the handler module looks at its path. Memory: nothing kept.
from httpd import err, lookup

# (pairs, not a dict: constants stay in the frozen firmware; httpd.lookup)
_MODS = (("history", "api_history"), ("flagged", "api_flagged"),
         ("integrations", "api_integrations"), ("sessions", "api_pull"), ("model", "api_pull"),
         ("sound", "api_sound"), ("value", "model_regress"))
_GUARDED = ("/api/history", "/api/flagged", "/api/integrations", "/api/sound",
            "/api/value")   # writes
# The routes the handler modules serve (API.md documents each; device/tests/test_api_doc.py
# checks both against the app and asks the simulator for each one)
ROUTES = (("GET", "/api/history"), ("DELETE", "/api/history"), ("GET", "/api/history/summary"),
          ("GET", "/api/history/info"), ("GET", "/api/flagged"), ("GET", "/api/flagged/<id>"),
          ("DELETE", "/api/flagged/<id>"), ("GET", "/api/flagged/<id>/samples.npy"),
          ("POST", "/api/flagged/<id>/label"), ("GET", "/api/integrations"),
          ("PUT", "/api/integrations"), ("GET", "/api/sessions/<sid>/samples.npy"),
          ("GET", "/api/model/file"), ("GET", "/api/sound"), ("PUT", "/api/sound"),
          ("GET", "/api/sound/minutes"), ("GET", "/api/value"), ("PUT", "/api/value"))
EXPOSE = ("X-Classes, X-Channels, X-Value, X-Scale, X-Rate, X-Start, X-Count, X-Total, "
          "X-Frame-Size, Content-Length")


def install(app, dev):
    @app.route("/api/<path:rest>", methods=["GET", "PUT", "POST", "DELETE"])
    def node_api(request, rest):
        parts = rest.split("/")
        name = lookup(_MODS, parts[0])
        if name is None:
            allowed = _methods_elsewhere(app, request.path, node_api)
            if allowed:
                return wrong_method(request, allowed)
            return err(404, "no such API endpoint: /api/%s" % rest[:60])
        try:
            mod = __import__(name)
        except ImportError:   # not in this board's image (boards/modules.py: the microphone's)
            return err(404, "/api/%s: not in this board's firmware (%s)" % (parts[0], name))
        return mod.handle(request, parts, dev)

    app.guard(node_api, when=_writes)

    @app.after_request
    def cors(request, response):
        o = request.headers.get("Origin")
        if o and request.method in ("GET", "HEAD") and \
                o.strip().lower() in (dev.acq.cfg.get("origins") or ()):
            response.headers["Access-Control-Allow-Origin"] = o.strip()
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Expose-Headers"] = EXPOSE
        return response


def _writes(request):
    """Whether the token guards this request of the catch-all route: a write to a module
    that writes (its own 404/405 come after the 401)."""
    if request.method == "GET":
        return False
    p = request.path
    for g in _GUARDED:
        if p.startswith(g) and (len(p) == len(g) or p[len(g)] == "/"):
            return True
    return False


def _methods_elsewhere(app, path, me):
    """The methods other /api/ routes of the app take on this path (this catch-all route
    hides Microdot's own 405)."""
    allowed = []
    for m in app.url_map:
        if m[2] is not me and m[1].url_pattern.startswith("/api/") and \
                m[1].match(path) is not None:
            allowed += [x for x in m[0] if x not in allowed]
    return allowed


def json_pieces(d):
    """A JSON object answered one top-level member at a time: no single allocation of the
    whole text (a 1-2 KB string can fail on a fragmented heap with more than that free)."""
    from microdot import Response
    import json

    def gen():
        sep = "{"
        for k in d:
            yield '%s"%s": %s' % (sep, k, json.dumps(d[k]))
            sep = ", "
        yield "}" if sep == ", " else "{}"
    return Response(body=gen(), headers={"Content-Type": "application/json"})


def no_route(request, parts):
    """The answer for a path or method a handler module does not serve."""
    return err(404, "no such API endpoint: %s /api/%s" % (request.method,
                                                          "/".join(parts)[:60]))


def wrong_method(request, allowed):
    return err(405, "method %s not allowed on %s (allowed: %s)"
               % (request.method, request.path[:60], ", ".join(allowed)))

# The Microdot app: JSON API (/api/status, /api/config, /api/sim), WebSocket /ws and the
# static web app; the other api_*.py modules add theirs, each by install(app, dev). Errors
# are {"error": "..."} with a 4xx/5xx status (httpd.err); a route that needs the token says
# so with @app.guard (server.py). Memory: handlers keep no per-request state beyond
# Microdot's request object; bodies are capped at 16 KB (device/httpd.py), requests are read
# by device/server.py.
import asyncio
import gc

from microdot import Response

import api_model
import api_node
import api_notebooks
import api_sessions
import api_wifi
import board
import clock
import config
import hosts
import httpd
import server
import wshub
from hal import sim_accel
from httpd import err as _err, json_body, lookup
from model_store import forget
from server import App


# path segment after /api/ -> the part a write there changes (pairs, not a dict: a tuple of
# constants stays in the frozen firmware, a dict is made on the heap at import: httpd.lookup)
_PARTS = (("model", "model"), ("config", "config"), ("notebooks", "notebooks"),
          ("history", "history"), ("flagged", "history"), ("integrations", "integrations"),
          ("train", "model"),   # (a training installs its model: open pages read it again)
          ("value", "integrations"))   # (a regression's threshold: told like the others)


def _faults():
    """The simulated machine's faults; none where it is not in the firmware (an ESP32 image:
    boards/modules.py)."""
    try:
        from hal.sim_machine import FAULTS
    except ImportError:
        return ()
    return FAULTS


def changed_part(path):
    """(part, id or None) a successful write to path changes (shared.protocol.PARTS), or
    (None, None): a session's labels name the session; starting and stopping a recording is
    told by the recorder (it also stops by itself)."""
    p = path.split("/")
    if len(p) < 3 or p[1] != "api":
        return None, None
    sid = int(p[3]) if len(p) > 3 and p[3].isdigit() and len(p[3]) < 9 else None
    if p[2] == "sessions":
        if len(p) == 3 or p[-1] == "stop":
            return None, None
        return ("labels" if p[-1] == "labels" else "sessions"), sid
    if p[2] == "flagged" and p[-1] == "label":   # a flagged window became a session
        return "sessions", None
    part = lookup(_PARTS, p[2])
    return part, (p[3] if part == "notebooks" and len(p) > 3 else None)


def create_app(dev):
    """dev: the Device (main.py) holding acq (Acquisition), hub, static, token, cfg."""
    app = App(dev.token)

    @app.errorhandler(404)
    def not_found(request):
        return _err(404, "not found: %s" % (request.path if request else "?"))

    @app.errorhandler(405)
    def not_allowed(request):
        return _err(405, "method %s not allowed on %s" % (request.method, request.path))

    @app.errorhandler(500)
    def server_error(request):
        return _err(500, "internal error on the device")

    @app.errorhandler(MemoryError)
    def out_of_memory(request, e):
        gc.collect()
        return _err(503, "not enough memory on the device for this request now: retry")

    @app.errorhandler(OSError)
    def storage_error(request, e):
        if e.errno == httpd.ENOSPC:
            return _err(507, "the device's flash is full: nothing was saved (delete sessions "
                        "to make room)")
        return _err(500, "storage error on the device: %s" % e)

    @app.get("/api/status")
    def status(request):
        acq = dev.acq
        flash = dev.rec.store.flash_free()
        gc.collect()
        free, alloc = gc.mem_free(), gc.mem_alloc()
        acq.note_mem(free, "status")
        s = {
            "fw": board.FW_VERSION,
            "uptime_s": dev.uptime_s(),
            "rate": acq.rate(),
            "window": acq.cfg["window"],
            "hop": acq.cfg["hop"],
            "sensor": acq.cfg["sensor"],
            "sensors": list(board.SENSORS),
            "channels": list(acq.sensor.channels),
            "scale": acq.sensor.scale,
            "activity": acq.activity if acq.cfg["sensor"] == "sim" else None,
            "fault": acq.fault if acq.cfg["sensor"] == "machine" else None,
            "faults": list(_faults()) if acq.cfg["sensor"] == "machine" else None,
            "mem_free": free,
            "mem_alloc": alloc,
            "mem_after_imports": dev.mem_after_imports,
            "mem_free_min": acq.heap_min(),
            "windows": acq.windows(),
            "dropped": acq.dropped() + dev.hub.client_dropped(),
            "dropped_source": acq.dropped(),
            "dropped_clients": dev.hub.client_dropped(),
            "seq": acq.next_seq(),
            "storage_used": dev.rec.store.used,
            "storage_budget": dev.rec.budget(),
            "model_max_bytes": board.MODEL_BYTES,
            "flash_free": flash,
            "flash_full": dev.rec.flash_full(flash),
            "recording": dev.rec.sid,
            "recording_error": dev.rec.error,
            "audio_fit_s": dev.rec.audio_fit_s(flash),
            "clients": len(dev.hub.clients),
            "max_clients": wshub.MAX_CLIENTS,
            "http": dict(app.counts, connections=len(app.conns)),
        }
        s.update(dev.infer.status())
        n = s["node"] = dev.node.status()
        s["mqtt_dropped"] = n["mqtt"]["dropped"] if n["mqtt"] else 0
        s["webhooks_dropped"] = n["webhooks"]["dropped"] if n["webhooks"] else 0
        s.update(clock.status())
        s.update(dev.hw_status())
        if acq.sensor is not None and acq.sensor.name == "mic":   # the level meter (sound.py)
            s["sound"] = acq.sensor.status()
        return s

    @app.put("/api/clock")
    @app.guard
    def put_clock(request):
        """The page sets the device's wall clock when it connects (an ESP32 without NTP has
        none): {"time": seconds since 1970}."""
        body = json_body(request)
        t = body.get("time") if isinstance(body, dict) else None
        if isinstance(t, bool) or not isinstance(t, (int, float)) or \
                not clock.MIN_VALID <= t < 1e10:
            return _err(400, 'body must be {"time": SECONDS} since 1970 (2024 or later)',
                        field="time")
        clock.set_time(float(t), "page")
        return clock.status()

    @app.get("/api/heap")
    @app.guard
    def heap(request):
        # The largest block the heap can give now, found by allocating (a dozen tries, each
        # failure a collection): how fragmented the free heap is, for tests and benchmarks.
        gc.collect()
        free = gc.mem_free()
        lo, hi = 0, free + 1
        while hi - lo > 32:
            mid = (lo + hi) // 2
            try:
                bytearray(mid)     # garbage at once: only whether it fits counts
                lo = mid
            except MemoryError:
                hi = mid
        return {"free": free, "largest": lo}

    @app.get("/api/config")
    def get_config(request):
        return dict(dev.acq.cfg)

    @app.put("/api/config")
    @app.guard
    async def put_config(request):
        update = json_body(request)
        if update is None:
            return _err(400, "config body must be a JSON object")
        try:
            new = config.validate(dev.acq.cfg, update, board.SENSORS, dev.acq.channels_of)
        except config.ConfigError as e:
            return _err(400, str(e), field=e.field)
        except ValueError as e:
            return _err(400, str(e))
        err = await dev.apply_config(new)
        if err:
            return _err(500, err)
        return dict(dev.acq.cfg)

    def sim_state():
        acq = dev.acq
        sensor = acq.cfg["sensor"]
        out = {"activity": acq.activity, "activities": list(sim_accel.ACTIVITIES),
               "active": sensor == "sim",
               "scene": "activity" if sensor == "sim" else "machine" if sensor == "machine"
               else None, "fault": acq.fault, "faults": list(_faults()),
               "truth": acq.truth(), "speed": acq.speed}
        s = acq.sensor
        if s is not None and s.name == "mic" and hasattr(s.src, "truth"):
            import api_sound
            out["scene"] = "sound"
            out.update(api_sound.sim_state(s.src))
        if s is not None and s.name == "machine":
            out["speed_hz"] = s.speed_mhz() / 1000
            out["load"] = s.load_permille() / 1000
        if sensor in ("spectrometer", "room"):
            out["scene"] = sensor
        if sensor == "spectrometer":   # concentration and its truth log, lamp gain
            out["concentration"] = acq.concentration
            out["unit"] = getattr(s, "value_unit", None)
            out["concentrations"] = acq.concentrations()
            if s is not None:
                out["lamp"] = s.gain_permille() / 1000
        if sensor == "room" and s is not None:
            out["day_s"] = acq.day_s
            out["clock_h"] = round(s.clock_h(), 3)
            out["lamps"] = s.lamps()
        return out

    def _sim_slow(body):
        """PUT /api/sim {"concentration": mmol/L} (the simulated spectrometer) or {"day_s": N}
        (the simulated room's day length)."""
        field, want = ("concentration", "spectrometer") if "concentration" in body \
            else ("day_s", "room")
        v = body[field]
        if dev.acq.cfg["sensor"] != want or dev.acq.sensor is None:
            return _err(409, "the sensor is %r; %s needs sensor '%s' (PUT /api/config "
                        "{\"sensor\": \"%s\"})" % (dev.acq.cfg["sensor"], field, want, want))
        try:
            if field == "concentration":
                dev.acq.set_concentration(v)
            else:
                dev.acq.set_day(v)
        except ValueError as e:
            return _err(400, "%s (got %s)" % (e, str(v)[:20]), field=field)
        return sim_state()

    @app.get("/api/sim")
    def get_sim(request):
        return sim_state()

    @app.put("/api/sim")
    @app.guard
    def put_sim(request):
        body = json_body(request)
        if isinstance(body, dict) and list(body) == ["speed"]:
            from shared.limits import SIM_SPEED
            n = body["speed"]
            if not isinstance(n, int) or isinstance(n, bool) or not \
                    SIM_SPEED[0] <= n <= SIM_SPEED[1]:
                return _err(400, "speed must be a whole number %d..%d (x real time), got %s"
                            % (SIM_SPEED[0], SIM_SPEED[1], str(n)[:20]), field="speed")
            try:
                dev.acq.set_speed(n)
            except RuntimeError:
                return _err(409, "the time scale is a simulator option (a simulated sensor "
                            "on the unix port); the sensor is %r" % dev.acq.cfg["sensor"])
            return sim_state()
        if isinstance(body, dict) and len(body) == 1 and ("concentration" in body or
                                                          "day_s" in body):
            return _sim_slow(body)
        if isinstance(body, dict) and "scene" in body:    # the simulated microphone's
            try:
                import api_sound
            except ImportError:   # a board image without the microphone (boards/modules.py)
                return _err(409, "no microphone in this board's firmware")
            return api_sound.put_scene(dev, body, sim_state)
        if isinstance(body, dict) and "fault" in body and "activity" not in body:
            name = body["fault"]
            if name is not None and name not in _faults():
                return _err(400, "unknown fault %r; valid: %s or null"
                            % (str(name)[:40], ", ".join(_faults())), field="fault")
            if dev.acq.cfg["sensor"] != "machine" or dev.acq.sensor is None:
                return _err(409, "the sensor is %r; faults need sensor 'machine' (PUT "
                            "/api/config {\"sensor\": \"machine\"})" % dev.acq.cfg["sensor"])
            dev.acq.set_fault(name)
            return sim_state()
        if not isinstance(body, dict) or not isinstance(body.get("activity"), str):
            return _err(400, 'body must be {"activity": NAME} (valid: %s) or {"fault": NAME '
                        'or null} (valid: %s)' % (", ".join(sim_accel.ACTIVITIES),
                                                  ", ".join(_faults())))
        name = body["activity"]
        if name not in sim_accel.ACTIVITIES:
            return _err(400, "unknown activity %r; valid: %s"
                        % (name[:40], ", ".join(sim_accel.ACTIVITIES)), field="activity")
        if dev.acq.cfg["sensor"] != "sim":
            return _err(409, "the sensor is %r; the simulated activity needs sensor 'sim'"
                        % dev.acq.cfg["sensor"])
        dev.acq.set_activity(name)
        return {"activity": name, "activities": list(sim_accel.ACTIVITIES), "active": True}

    try:   # POST /api/train: boards with the heap for it (boards/modules.py kind "train")
        import api_train
        api_train.install(app, dev)
    except ImportError:
        pass
    for m in (api_model, api_sessions, api_notebooks, api_wifi, api_node):
        m.install(app, dev)

    @app.after_request
    def announce(request, response):
        # every write the device took tells the open pages what changed (wshub.Hub.changed)
        if request.method not in ("GET", "HEAD") and response.status_code < 300:
            part, key = changed_part(request.path)
            if part:
                dev.hub.changed(part, key)
        return response

    @app.get("/ws")
    async def ws(request):
        if (request.headers.get("Upgrade") or "").lower() != "websocket":
            return _err(400, "/ws is a WebSocket endpoint (send Upgrade: websocket)")
        origin = request.headers.get("Origin")
        if not hosts.origin_ok(origin, request.headers.get("Host"), dev.acq.cfg.get("origins")):
            return _err(403, "WebSocket from origin %r refused: not this device's page and not "
                        "in the config's \"origins\"" % origin)
        if not dev.hub.reserve():   # the slot is held from here, across the handshake
            return _err(503, "too many WebSocket clients (max %d)" % wshub.MAX_CLIENTS)
        # Microdot's websocket module only makes the handshake (the hub reads and writes the
        # frames itself): loaded for it and dropped after, 1.8 KB not kept at rest
        import sys
        mine = "microdot.websocket" not in sys.modules
        try:
            from microdot.websocket import websocket_upgrade
            await websocket_upgrade(request)
        except BaseException:
            dev.hub.unreserve()
            raise
        finally:
            if mine:
                forget("microdot.websocket")
        app.detach(request)
        # the client runs in a task of its own: the HTTP request's frames, headers and
        # Request object are freed now instead of living as long as the client
        asyncio.create_task(dev.hub.serve(request.sock[0], request.sock[1], server.close_socket))
        return Response.already_handled

    @app.route("/", methods=["GET", "HEAD"])
    def index(request):
        return _static(request, "/")

    @app.route("/<path:path>", methods=["GET", "HEAD"])
    def files(request, path):
        return _static(request, "/" + path)

    def _static(request, path):
        if path.startswith("/api/"):
            return _err(404, "no such API endpoint: %s" % path)
        r = dev.static.response(request, path)
        if r is None:
            if path == "/" and dev.static.problem:
                return _err(404, dev.static.problem)
            return _err(404, "not found: %s" % path)
        return r

    return app

# The level meter's API (api_node's catch-all route; API.md): GET /api/sound (the meter now:
# Fast/Slow, the last second and minute, calibration, overruns and dropped blocks, clipping),
# PUT /api/sound (token: {"calibrate": 94} from a reference tone playing now, "weighting",
# "offset_db", "period_s"), GET /api/sound/minutes?last=N (the sound log: per-minute Leq,
# Lmax, Lmin, L10/L50/L90), and the simulated microphone's scene for PUT /api/sim
# {"scene": ...}. Memory: loaded on the first request; nothing kept.
from httpd import err, json_body


def _mic(dev):
    s = dev.acq.sensor
    return s if s is not None and s.name == "mic" else None


def _not_mic(dev):
    return err(409, "the sensor is %r; the sound level meter needs sensor 'mic' (PUT "
               "/api/config {\"sensor\": \"mic\"})" % dev.acq.cfg["sensor"])


def handle(request, parts, dev):
    import api_node
    if len(parts) == 1:
        s = _mic(dev)
        if request.method == "GET":
            return s.status() if s else _not_mic(dev)
        if request.method == "PUT":
            if s is None:
                return _not_mic(dev)
            body = json_body(request)
            try:
                return s.apply(body)
            except ValueError as e:
                return err(400, str(e))
        return api_node.wrong_method(request, ["GET", "PUT"])
    if len(parts) == 2 and parts[1] == "minutes":
        if request.method != "GET":
            return api_node.wrong_method(request, ["GET"])
        import sound
        v = request.args.get("last", "60")
        if not v.isdigit() or not 1 <= int(v) <= sound.LOG_MAX:
            return err(400, "last must be 1..%d minutes, got %r" % (sound.LOG_MAX, v[:20]))
        log = dev.node.sound_log or sound.Log(dev.node.data)
        return {"fields": list(sound.FIELDS), "rows": log.rows(int(v)),
                "write_error": log.error}
    return api_node.no_route(request, parts)


def put_scene(dev, body, state):
    """PUT /api/sim {"scene": NAME or {...}} (and "seed"): the simulated microphone's scene."""
    s = _mic(dev)
    if s is None or not hasattr(s.src, "set_scene"):
        return err(409, "the sensor is %r; scenes need the simulated microphone (PUT "
                   "/api/config {\"sensor\": \"mic\"})" % dev.acq.cfg["sensor"])
    for k in body:
        if k not in ("scene", "seed"):
            return err(400, "unknown field %r with scene; valid: scene, seed" % (str(k)[:30],))
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return err(400, "seed must be an integer", field="seed")
    try:
        s.src.set_scene(body["scene"], seed)
    except ValueError as e:
        return err(400, str(e), field="scene")
    return state()


def sim_state(src):
    """The simulated microphone's part of GET /api/sim."""
    from hal.sim_mic import SCENES
    return {"sound_scene": src.scene_name if src.scene is not None and src.scene_name
            else ("wav" if src.scene is None else "custom"),
            "sound_scenes": sorted(SCENES), "sound_truth": src.truth(),
            "sound_time_s": src.samples / src.fs, "wav": src.wav_path,
            "sound_warning": getattr(src, "warning", None)}

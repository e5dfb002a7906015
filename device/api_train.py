# POST /api/train (token): the node learns on its own. The body names the sessions
# ({"sessions": [ids]} or "all": every stopped session with label segments) and trainer
# parameters within shared/limits.py (n_trees, max_depth, min_samples_leaf, max_features, seed,
# method, folds: k of the k-fold by session, or "loso": one fold per session). This module is
# the route and the input checks (loaded at boot: ~1 KB); the work is device/train_run.py,
# imported for a training and dropped after with the shared modules it loads. A second train
# meanwhile -> 409.
# Answer: {"hash", "classes", "windows", "sessions", "validation", "accuracy",
# "balanced_accuracy", "per_session", "baseline", "params", "impl", "ms", "heap": {"total",
# "free_before", "peak_used", "peak_share", "peak_at"}}; 507 with how many windows fit, 503
# when the heap ran out anyway (the old model stays on any failure).
import gc
import json

import model_store as MS
from httpd import err, json_body
from shared.limits import TRAIN_DEPTH, TRAIN_MIN_LEAF, TRAIN_TREES

PATH = "/api/train"
_busy = []
_KEYS = ("sessions", "n_trees", "max_depth", "min_samples_leaf", "max_features", "seed",
         "method", "folds")
_META = ("rate", "channels", "hop", "windows", "scale", "record_size", "frame_size")
# the training's modules: those the node had not loaded are dropped after it
_MODS = ("train_run", "shared.pipeline", "shared.evaluate", "shared.dataset",
         "shared.trainer", "shared.modelformat", "session_scores")


class Refused(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def install(app, dev):
    @app.post(PATH)
    @app.guard
    async def train(request):
        if _busy:
            return err(409, "a training is running on the device: wait for its answer")
        body = json_body(request)
        _busy.append(1)
        import sys
        mine = [m for m in _MODS if m not in sys.modules]
        try:
            try:
                import emlearn_extratrees  # noqa: F401
            except ImportError:
                raise Refused(501, "this firmware has no emlearn_extratrees (the C trainer): "
                              "the device cannot train; train in the page and send the model")
            params, folds = _params(body)
            chosen = _sessions(dev, body)
            _check_shape(dev, chosen)
            import train_run
            return await train_run.train(dev, params, folds, chosen, mine)
        except Refused as e:
            return err(e.status, str(e))
        except MemoryError as e:
            sys.print_exception(e)   # where it ran out (the device log)
            gc.collect()
            return err(503, "not enough RAM on the device to train now (%d bytes free); the "
                       "model was not changed" % gc.mem_free())
        finally:
            _busy.clear()
            drop(mine, *_MODS)
            if dev.model.current is None:
                MS.forget("shared.features", "shared.fft", "shared.quant", "shared.model")


def drop(mine, *names):
    """Forget the named training modules the node had not loaded before the training."""
    MS.forget(*[m for m in names if m in mine])


def _int(body, k, lo, hi, default):
    v = body.get(k, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise Refused(400, "%s must be an integer %d..%d" % (k, lo, hi))
    return v


def _params(body):
    if not isinstance(body, dict):
        raise Refused(400, 'send a JSON object like {"sessions": [1, 2, 3]} or '
                       '{"sessions": "all"}')
    for k in body:
        if k not in _KEYS:
            raise Refused(400, "unknown field %r (valid: %s)" % (k, ", ".join(_KEYS)))
    p = {"n_trees": _int(body, "n_trees", TRAIN_TREES[0], TRAIN_TREES[1], 10),
         "max_depth": _int(body, "max_depth", TRAIN_DEPTH[0], TRAIN_DEPTH[1], 12),
         "min_samples_leaf": _int(body, "min_samples_leaf", TRAIN_MIN_LEAF[0],
                                  TRAIN_MIN_LEAF[1], 1),
         "seed": _int(body, "seed", 0, 0x7FFFFFFF, 1)}
    mf = body.get("max_features")
    if mf is not None:
        p["max_features"] = _int(body, "max_features", 1, 127, 1)
    m = body.get("method", "extra")
    if m not in ("extra", "rf"):
        raise Refused(400, 'method must be "extra" or "rf"')
    p["method"] = m
    f = body.get("folds", 5)
    if f != "loso":
        f = _int(body, "folds", 2, 64, 5)
    return p, f


def _sessions(dev, body):
    """[(sid, meta, [(start, end, class name)])] of the chosen stopped sessions."""
    store = dev.rec.store
    want = body.get("sessions")
    if want == "all":
        ids, every = store.ids(), True
    elif isinstance(want, list) and want and all(
            isinstance(s, int) and not isinstance(s, bool) for s in want):
        ids, every = want, False
    else:
        raise Refused(400, 'sessions must be a list of session ids or "all"')
    out = []
    for sid in ids:
        meta = store.read_json(sid, "meta.json")
        if meta is None:
            raise Refused(400, "no session %d" % sid)
        lab = meta.get("labels") or {}
        if sid == dev.rec.sid or lab.get("open"):
            if every:
                continue
            raise Refused(409, "session %d is still recording: stop it first" % sid)
        if not lab.get("segments"):
            if every:
                continue
            raise Refused(400, "session %d has no labels" % sid)
        with open(store.path(sid, "labels.json")) as f:
            segs = [(s["start"], s["end"], s["label"]) for s in json.load(f)["segments"]]
        out.append((sid, dict((k, meta[k]) for k in _META), segs))   # not the whole meta
        meta = lab = None
    if not out:
        raise Refused(400, "no labelled session to train on")
    return out


def _check_shape(dev, chosen):
    acq = dev.acq
    rate, chans = acq.rate(), list(acq.sensor.channels)
    for sid, meta, _ in chosen:
        if meta["rate"] != rate or list(meta["channels"]) != chans:
            raise Refused(409, "session %d is %s Hz, channels %s; the device samples %s Hz, "
                           "channels %s: a model of it would not run here"
                           % (sid, meta["rate"], ",".join(meta["channels"]), rate,
                              ",".join(chans)))

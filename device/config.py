# Device configuration: sample rate, window length, hop and sensor, validated and persisted
# as JSON in the data dir (atomic write: tmp file + rename). Memory: one small dict.
import json
import os

from shared.limits import PERIOD_S
from shared.limits import SLOW_SENSORS as SLOW   # sensors period_s can pace (the page's too)

DEFAULTS = {"rate": 100, "window": 128, "hop": 64, "sensor": "sim"}
# Only what cannot work is refused: features need 2 samples, a frame holds at most 4096
# (shared.protocol.MAX_SAMPLES), the sampler paces 1..1000 Hz, and the ring/frame buffers of
# window x channels int16 values must fit a 192 KB heap. Any length: the FFT is zero-padded.
LIMITS = {"rate": (1, 1000), "window": (2, 4096)}
MAX_VALUES = 8192      # window * channels
_FILE = "config.json"
FILE = _FILE           # its name in the data dir (main.py: is a config stored?)
# Optional fields: absent until set (default in the module using them), same integer rules.
# storage_budget: bytes for recorded sessions (device/recorder.py, device/SESSIONS.md).
# period_s: a slow sensor samples once every period_s seconds instead of `rate` times a
# second (shared/limits.PERIOD_S; 0 = off); window and hop stay in samples, so a window of
# 10 at period_s 60 is 10 minutes.
OPTIONAL = {"storage_budget": (4096, 1 << 26), "period_s": (0, PERIOD_S[1])}
# origins: web pages ("http://host:port") besides the device's own allowed to open /ws
MAX_ORIGINS = 4
_ORIGIN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.-:[]"


class ConfigError(ValueError):
    """Invalid configuration; .field names the offending field."""

    def __init__(self, field, msg):
        super().__init__(msg)
        self.field = field


def _int(update, name):
    v = update[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(name, "%s must be an integer, got %s" % (name, _json_type(v)))
    return v


def _json_type(v):
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, float):
        return "a number with a fraction"
    if isinstance(v, (list, tuple)):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    if v is None:
        return "null"
    return "%r" % (v,)


def validate(current, update, sensors, channels_of=None):
    """Return a new config dict = current updated with update, or raise ConfigError.
    sensors: valid sensor names; channels_of(sensor) -> channel count (for the size bound)."""
    if not isinstance(update, dict):
        raise ConfigError(None, "config must be a JSON object")
    for k in update:
        if k not in DEFAULTS and k not in OPTIONAL and k != "origins":
            raise ConfigError(k, "unknown config field %r; valid: %s"
                              % (k, ", ".join(sorted(DEFAULTS))))
    new = dict(current)
    for name in ("rate", "window", "hop"):
        if name in update:
            new[name] = _int(update, name)
    for name in OPTIONAL:
        if name in update:
            new[name] = v = _int(update, name)
            lo, hi = OPTIONAL[name]
            if not lo <= v <= hi:
                raise ConfigError(name, "%s must be %d..%d, got %d" % (name, lo, hi, v))
    if "origins" in update:
        new["origins"] = _origins(update["origins"])
    if "sensor" in update:
        s = update["sensor"]
        if not isinstance(s, str):
            raise ConfigError("sensor", "sensor must be a string, got %s" % _json_type(s))
        if s not in sensors:
            raise ConfigError("sensor", "sensor must be one of: %s (got %r)"
                              % (", ".join(sensors), s))
        new["sensor"] = s
    if "sensor" in update and "period_s" not in update and new["sensor"] not in SLOW:
        new.pop("period_s", None)   # switching to a fast sensor ends the slow pace
    p = new.get("period_s", 0)
    if p and p < PERIOD_S[0]:
        raise ConfigError("period_s", "period_s must be 0 (off) or %d..%d seconds, got %d"
                          % (PERIOD_S[0], PERIOD_S[1], p))
    if p and new["sensor"] not in SLOW:
        raise ConfigError("period_s", "period_s (one sample every N seconds) is for slow "
                          "sensors (%s); sensor %r samples at 1..1000 Hz: set rate"
                          % (", ".join(SLOW), new["sensor"]))
    for name, unit in (("rate", " Hz"), ("window", " samples")):
        lo, hi = LIMITS[name]
        if not lo <= new[name] <= hi:
            raise ConfigError(name, "%s must be %d..%d%s, got %d"
                              % (name, lo, hi, unit, new[name]))
    if not 1 <= new["hop"] <= new["window"]:
        raise ConfigError("hop", "hop must be 1..window (%d samples), got %d: set hop to at "
                          "most %d" % (new["window"], new["hop"], new["window"]))
    if channels_of is not None:
        n = channels_of(new["sensor"])
        if new["window"] * n > MAX_VALUES:
            raise ConfigError("window", "window x channels = %d x %d = %d values; the device "
                              "has room for %d: set window to at most %d samples"
                              % (new["window"], n, new["window"] * n, MAX_VALUES,
                                 MAX_VALUES // n))
    return new


def _origins(v):
    if not isinstance(v, list) or len(v) > MAX_ORIGINS:
        raise ConfigError("origins", "origins must be a list of at most %d web origins like "
                          "\"http://notebook.example:8000\"" % MAX_ORIGINS)
    out = []
    for o in v:
        ok = isinstance(o, str) and len(o) <= 100
        if ok:
            o = o.lower()
            rest = o[7:] if o.startswith("http://") else o[8:] if o.startswith("https://") else ""
            ok = rest != "" and all(c in _ORIGIN_CHARS for c in rest)
        if not ok:
            raise ConfigError("origins", "each origin must be \"http://host[:port]\" or "
                              "\"https://host[:port]\" (no path), got %r" % (o,))
        out.append(o)
    return out


def rate(cfg):
    """The configured sample rate in Hz: 1 / period_s for a slow sensor, else rate."""
    p = cfg.get("period_s", 0)
    return 1 / p if p else cfg["rate"]


def load(data_dir, sensors):
    """Stored config (validated) or the defaults; a broken file is reported, not fatal."""
    try:
        with open(data_dir + "/" + _FILE) as f:
            stored = json.load(f)
        return validate(DEFAULTS, stored, sensors), None
    except OSError:
        return dict(DEFAULTS), None
    except ValueError as e:
        return dict(DEFAULTS), "stored config ignored: %s" % e


def save(data_dir, cfg):
    """Atomic: the old file stays whole when this raises OSError (e.g. a full flash)."""
    path = data_dir + "/" + _FILE
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(json.dumps(cfg))
        os.rename(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise

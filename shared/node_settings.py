# Settings of the node on its own (history, flagged windows, MQTT, webhooks): their defaults,
# the one validator the device runs on PUT /api/integrations and the page runs before it
# sends, and the public view in which secrets (the MQTT password, webhook tokens) are only
# "set" flags: they are write-only. Memory: a dict of about 30 small values.
from shared import limits as L

SECRET = "secret"
# section -> field -> (kind, lo, hi, default); kind: bool, int, num (0..1), str (hi chars),
# host, topic, secret (str, never shown). The webhook list is checked by _hooks().
SCHEMA = {
    "history": {"enabled": ("bool", 0, 0, True),
                "budget": ("int", L.HISTORY_BUDGET[0], L.HISTORY_BUDGET[1],
                           L.HISTORY_BUDGET_DEFAULT)},
    "flagged": {"threshold": ("num", 0, 1, 0.5), "max": ("int", 1, L.MAX_FLAGGED, 16),
                "min_interval_s": ("int", 0, 86400, 10)},
    "mqtt": {"enabled": ("bool", 0, 0, False), "host": ("host", 0, L.MAX_HOST, ""),
             "port": ("int", 1, 65535, 1883), "username": ("str", 0, 64, ""),
             "password": (SECRET, 0, L.MAX_SECRET, ""), "topic": ("topic", 0, L.MAX_TOPIC, ""),
             "discovery": ("bool", 0, 0, True),
             "discovery_prefix": ("topic", 1, L.MAX_TOPIC, "homeassistant"),
             "summary_s": ("int", 0, 86400, 60), "keepalive_s": ("int", 5, 600, 30),
             "queue": ("int", L.QUEUE[0], L.QUEUE[1], 16)},
    "webhooks": {"enabled": ("bool", 0, 0, False), "timeout_s": ("int", 1, 30, 5),
                 "retries": ("int", 0, 10, 3), "queue": ("int", L.QUEUE[0], L.QUEUE[1], 16),
                 "summaries": ("bool", 0, 0, False)},
}
_HOST_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789.-"
_TOPIC_BAD = "+#\x00"


class SettingsError(ValueError):
    def __init__(self, field, msg):
        super().__init__(msg)
        self.field = field


def defaults():
    d = {}
    for sec in SCHEMA:
        d[sec] = {k: SCHEMA[sec][k][3] for k in SCHEMA[sec]}
    d["webhooks"]["urls"] = []
    return d


def _field(name, spec, v):
    kind, lo, hi, _ = spec
    if kind == "bool":
        if not isinstance(v, bool):
            raise SettingsError(name, "%s must be true or false" % name)
        return v
    if kind in ("int", "num"):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or \
                (kind == "int" and not isinstance(v, int)) or not lo <= v <= hi:
            raise SettingsError(name, "%s must be %s %s..%s" % (
                name, "an integer" if kind == "int" else "a number", lo, hi))
        return v
    if not isinstance(v, str) or not lo <= len(v) <= hi or [c for c in v if c < " "]:
        raise SettingsError(name, "%s must be text of %d..%d characters" % (name, lo, hi))
    if kind == "host" and [c for c in v.lower() if c not in _HOST_CHARS]:
        raise SettingsError(name, "%s must be a host name or IPv4 address (letters, digits, "
                            "'.' and '-')" % name)
    if kind == "topic" and ([c for c in v if c in _TOPIC_BAD] or v.startswith("/")
                            or v.endswith("/")):
        raise SettingsError(name, "%s must be an MQTT topic without wildcards (+ #) and "
                            "without a leading or trailing /" % name)
    return v


def _url_error(u):
    if not isinstance(u, str) or not 8 < len(u) <= L.MAX_URL or [c for c in u if c <= " "]:
        return "a webhook url must be text of at most %d characters without spaces" % L.MAX_URL
    if not u.startswith("http://"):
        return "a webhook url must start with http:// (the device sends no TLS)"
    host = u[7:].split("/", 1)[0]
    name, _, port = host.partition(":")
    if not name or [c for c in name.lower() if c not in _HOST_CHARS] or \
            (port and not (port.isdigit() and 0 < int(port) < 65536)):
        return "a webhook url needs a host (name or IPv4 address) and an optional port"
    return None


def _hooks(v, old):
    if not isinstance(v, list) or len(v) > L.MAX_WEBHOOKS:
        raise SettingsError("webhooks.urls", "urls must be a list of at most %d webhooks"
                            % L.MAX_WEBHOOKS)
    out = []
    for h in v:
        if not isinstance(h, dict) or [k for k in h if k not in ("url", "token")]:
            raise SettingsError("webhooks.urls", 'each webhook is {"url": "http://...", "token": '
                                '"..."} (token optional)')
        err = _url_error(h.get("url"))
        if err:
            raise SettingsError("webhooks.urls", err)
        tok = h.get("token")
        if tok is None:          # not sent: the token stored for this url stays
            tok = "".join(o["token"] for o in old if o["url"] == h["url"])
        if not isinstance(tok, str) or len(tok) > L.MAX_SECRET or [c for c in tok if c < " "]:
            raise SettingsError("webhooks.urls", "a webhook token must be text of at most %d "
                                "characters" % L.MAX_SECRET)
        out.append({"url": h["url"], "token": tok})
    return out


def validate(current, update):
    """current updated with update (sections of fields; a secret left out keeps its value),
    or SettingsError naming the field."""
    if not isinstance(update, dict):
        raise SettingsError(None, "settings must be a JSON object of sections: %s"
                            % ", ".join(sorted(SCHEMA)))
    new = defaults()
    for sec in SCHEMA:
        new[sec].update(current.get(sec) or {})
    for sec in update:
        if sec not in SCHEMA:
            raise SettingsError(sec, "unknown section %r; valid: %s"
                                % (sec, ", ".join(sorted(SCHEMA))))
        part = update[sec]
        if not isinstance(part, dict):
            raise SettingsError(sec, "%s must be an object" % sec)
        for k in part:
            name = sec + "." + k
            if sec == "webhooks" and k == "urls":
                new[sec]["urls"] = _hooks(part[k], (current.get(sec) or {}).get("urls") or [])
            elif k in SCHEMA[sec]:
                new[sec][k] = _field(name, SCHEMA[sec][k], part[k])
            else:
                raise SettingsError(name, "unknown field %r of %s; valid: %s" % (
                    k, sec, ", ".join(sorted(list(SCHEMA[sec]) +
                                             (["urls"] if sec == "webhooks" else [])))))
    m = new["mqtt"]
    if m.get("enabled") and not m.get("host"):
        raise SettingsError("mqtt.host", "mqtt.host is needed to enable MQTT")
    w = new["webhooks"]
    if w.get("enabled") and not w.get("urls"):
        raise SettingsError("webhooks.urls", "add a webhook url to enable webhooks")
    return new


def public(s):
    """s without secrets: password -> password_set, each token -> token_set."""
    out = {}
    for sec in s:
        part = dict(s[sec])
        for k in SCHEMA.get(sec, {}):
            if SCHEMA[sec][k][0] == SECRET and k in part:
                part[k + "_set"] = bool(part.pop(k))
        if "urls" in part:
            part["urls"] = [{"url": h["url"], "token_set": bool(h.get("token"))}
                            for h in part["urls"]]
        out[sec] = part
    return out

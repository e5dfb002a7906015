# Deploy -> On its own: the node's settings (history, unsure windows, MQTT, webhooks; stored
# on the device and checked here first by shared/node_settings, the device's own validator),
# its status, the history as a timeline (class bands and an RMS line, 7 days down to 10
# minutes), counts per class per hour, and the flagged windows to label into the dataset.
# With a regression model: the history's estimates (min/mean/max per bucket, the summary's
# "value" column) and its threshold (GET/PUT /api/value: value_over/value_under to MQTT and
# webhooks). Actions "node.*" on the "node" part; app/view_node.py draws it. Loaded when first
# opened. Memory: the last summaries (a few hundred buckets), the flagged list, the threshold.

from pyscript import window

from app import dataset as DS
from app import net
from shared import node_settings as NS

SPANS = (604800, 86400, 3600, 600)      # the timeline's ranges: 7 days ... 10 minutes
BUCKETS = 240                           # buckets across the timeline


def _now():
    return float(window.motebook.nowS())


class Node:
    def __init__(self, B):
        self.B = B
        B.part("node", settings=None, status=None, span=86400, end=None, timeline=None,
               hours=None, flagged=[], value=None, notice="", message="")

    @property
    def st(self):
        return self.B.state["node"]

    async def refresh(self, a=None):
        js = await net.call("GET", "/api/integrations", what="the device's settings")
        self.B.update("node", settings=js, status=js.pop("status"))
        await self.history()
        await self.flagged()
        await self.value_get()

    async def value_get(self, a=None):
        """GET /api/value: the regression threshold and its state (None: a board without
        regression models, 404)."""
        try:
            js = await _get("/api/value")
        except net.DeviceError as e:
            if e.status != 404:
                raise
            js = None
        self.B.update("node", value=js)

    async def value_set(self, a):
        """The threshold form: "threshold" and "hysteresis" in the running regression
        model's unit (empty: none / the device's default) -> PUT /api/value (token)."""
        unit = value_unit(self.B.state)[1] or "the model's unit"
        body = {}
        for k in ("threshold", "hysteresis"):
            text = str(a.get(k) if a.get(k) is not None else "").strip()
            v = None
            if text:
                try:
                    v = float(text)
                except ValueError:
                    v = float("nan")
                if v != v or abs(v) == float("inf"):
                    raise ValueError("%s must be a number in %s, got %r" % (k, unit, text[:20]))
            body[k] = v
        js = await net.call("PUT", "/api/value", body,
                            what="the device refused the threshold")
        if js.get("threshold") is None:
            note = "no threshold: no value_over / value_under events"
        else:
            note = "threshold stored: value_over at %s %s or more, value_under below %s %s" % (
                num(js["threshold"]), js.get("unit") or "", num(js["threshold"] - js["band"]),
                js.get("unit") or "")
        self.B.update("node", value=js, notice=note)

    async def history(self, a=None):
        """The timeline over the chosen span (a["span"] seconds, a["shift"] -1/+1 moves it by
        half a span) and the counts per hour of the last 24 hours."""
        a = a or {}
        span = int(a.get("span") or self.st["span"])
        end = self.st["end"] if not a.get("span") else None
        now = _now()
        if a.get("shift"):
            end = min(now, (end or now) + int(a["shift"]) * span / 2)
        if end is not None and end >= now:
            end = None                   # follow the present
        t1 = end or now
        t0 = t1 - span
        bucket = max(1, span // BUCKETS)
        js = await _get("/api/history/summary?from=%.3f&to=%.3f&bucket=%d" % (t0, t1, bucket))
        js["span"] = span
        h0 = int(now // 3600) * 3600 - 23 * 3600
        hours = await _get("/api/history/summary?from=%d&to=%.3f&bucket=3600" % (h0, now))
        self.B.update("node", span=span, end=end, timeline=js, hours=hours)

    async def flagged(self, a=None):
        js = await _get("/api/flagged")
        self.B.update("node", flagged=js["flagged"])

    async def save(self, a):
        """The settings form: fields named "<section>.<field>"; an empty secret keeps the one
        stored; webhooks are lines "URL [token]"."""
        update = {}
        for k in a:
            sec, _, f = k.partition(".")
            if sec not in NS.SCHEMA:
                continue
            v = a[k]
            if f == "urls":
                v = _hooks(v)
            elif f in NS.SCHEMA[sec]:
                kind = NS.SCHEMA[sec][f][0]
                if kind == NS.SECRET and not v:
                    continue
                v = _typed(kind, k, v)
            else:
                continue
            update.setdefault(sec, {})[f] = v
        s = self.st["settings"] or {}
        NS.validate(_current(s), update)      # the device's own check, before sending
        # a section at a time: all of them with long webhook URLs and tokens can pass the
        # device's JSON body limit (httpd.MAX_JSON); each is valid on its own (checked above)
        js = None
        for sec in sorted(update):
            js = await net.call("PUT", "/api/integrations", {sec: update[sec]},
                                what="the device refused the %s settings" % sec)
        if js is None:
            return
        self.B.update("node", settings=js, status=js.pop("status"), notice="settings stored")

    async def label(self, a):
        fid, label = a.get("fid"), (a.get("label") or a.get("flag-%s" % a.get("fid")) or "")
        if not label:
            raise ValueError("choose the class of flagged window %s" % fid)
        js = await net.call("POST", "/api/flagged/%s/label" % fid, {"label": label},
                            what="labelling failed")
        self.B.update("node", notice="flagged window %s is session #%d, labelled %s"
                      % (fid, js["id"], label))
        await self.flagged()
        try:
            await DS.get().refresh()
        except DS.DeviceError:
            pass
        return js["id"]

    async def discard(self, a):
        await net.call("DELETE", "/api/flagged/%s" % a.get("fid"))
        await self.flagged()


def num(v):
    """An estimate or threshold as the page shows it (3 significant digits: the history
    keeps one byte over the model's range)."""
    return "%.3g" % v


def value_unit(state):
    """(target, unit) of the running regression model (Deploy's device_model), else of the
    threshold set, else of the history's values; (None, None) without any."""
    dm = (state.get("deploy") or {}).get("device_model") or {}
    if dm.get("kind") == "regress":
        return dm.get("target"), dm.get("unit")
    n = state.get("node") or {}
    for d in (n.get("value"), (n.get("hours") or {}).get("value"),
              (n.get("timeline") or {}).get("value")):
        if d and d.get("unit") is not None:
            return d.get("target"), d.get("unit")
    return None, None


async def _get(path):
    js = await net.call("GET", path, what=path.split("?")[0])
    if not isinstance(js, dict):
        raise net.DeviceError(200, "%s: not a JSON object" % path.split("?")[0])
    return js


def _typed(kind, name, v):
    if kind == "bool":
        return bool(v)
    try:
        if kind == "int":
            return int(float(v))
        if kind == "num":
            return float(v)
    except ValueError:
        raise ValueError("%s must be a number" % name)
    return v.strip()


def _hooks(text):
    out = []
    for line in (text or "").split("\n"):
        p = line.split()
        if p:
            h = {"url": p[0]}
            if len(p) > 1:
                h["token"] = p[1]
            out.append(h)
    return out


def _current(public):
    """Settings shaped for NS.validate from the device's public view (secrets unknown)."""
    cur = {}
    for sec in NS.SCHEMA:
        d = dict(public.get(sec) or {})
        for k in list(d):
            if k.endswith("_set"):
                del d[k]
        if "urls" in d:
            d["urls"] = [{"url": h["url"], "token": ""} for h in d["urls"]]
        cur[sec] = d
    return cur


async def install(B, view):
    """Once, when Deploy -> On its own is first opened."""
    n = Node(B)
    from app import view_node
    view_node.install(B, view)
    B.action("node.refresh", part="node")(n.refresh)
    B.action("node.history", part="node")(n.history)
    B.action("node.save", part="node", lock="node")(n.save)
    B.action("node.label", part="node", lock="node")(n.label)
    B.action("node.discard", part="node", lock="node")(n.discard)
    B.action("node.value", part="node", lock="node")(n.value_set)
    await n.refresh()

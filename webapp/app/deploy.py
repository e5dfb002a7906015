# Deploy panel of the page: whether the trained model fits the device's sensor and settings
# (and an offer to switch the device's window/hop or sensor to match), "Send to device"
# (PUT /api/model), what the device runs, and the on-device check: the device's own live
# accuracy on a session recorded while the model ran, against that session's labels
# (shared.evaluate.live_check), next to the offline estimate: the figure that counts.
# Memory: the check downloads one byte per window of one session.
try:
    import ujson as json
except ImportError:
    import json

from app import dataset as DS
from app.html import esc, pct

PREDS = "/check_preds.bin"


def fit(meta_window, device):
    """(problems, switch): what keeps a model with window settings meta_window from running
    on the device (hello info), and the config that would fix what a config can."""
    w = meta_window
    problems, switch = [], {}
    chans = w.get("channels")
    have = device.get("channels") or []
    if isinstance(chans, list) and chans != have:
        problems.append("the model is for channels %s; the device's sensor (%s) gives %s"
                        % (",".join(chans), device.get("sensor"), ",".join(have)))
    if w.get("rate") != device.get("rate"):
        problems.append("the model is for %s Hz; the device samples at %s Hz"
                        % (w.get("rate"), device.get("rate")))
    if problems:
        others = [s for s in device.get("sensors") or () if s != device.get("sensor")]
        if others:       # another sensor may give these channels (e.g. a replay file)
            switch = {"sensor": others[0], "window": w.get("window"), "hop": w.get("hop")}
        return problems, switch
    if w.get("window") != device.get("window"):
        problems.append("the device cuts windows of %s samples; the model needs %s"
                        % (device.get("window"), w.get("window")))
        switch["window"] = w.get("window")
    if w.get("hop") and w.get("hop") != device.get("hop"):
        switch["hop"] = w.get("hop")     # not needed to run, but what the model was made for
    if "window" in switch and "hop" not in switch and device.get("hop", 0) > w["window"]:
        switch["hop"] = w["window"]
    return problems, switch


class Deploy:
    def __init__(self, doc, glue, stream, train):
        self.doc, self.glue, self.stream, self.train = doc, glue, stream, train
        self.switch = None
        self.last_check = None

    def _el(self, i):
        return self.doc.getElementById(i)

    def _say(self, text, error=False):
        el = self._el("train-message")
        el.textContent = text
        el.className = "err" if error else ""

    # ---- does the model fit the device? -------------------------------------------------
    def show_fit(self):
        r = self.train.result
        el, btn = self._el("deploy-fit"), self._el("deploy-switch")
        if r is None or not self.stream.info.get("rate"):
            el.textContent = ""
            btn.hidden = True
            return
        problems, switch = fit(r["model"].meta["window"], self.stream.info)
        self.switch = switch or None
        if problems:
            el.innerHTML = '<b class="bad">does not fit the device:</b> %s' % esc(
                "; ".join(problems))
        else:
            el.innerHTML = '<b class="good">fits the device</b> (%s, %s Hz, window %s)' % (
                esc(",".join(self.stream.info.get("channels") or [])),
                self.stream.info.get("rate"), self.stream.info.get("window"))
        btn.hidden = not switch
        if switch:
            btn.textContent = "switch the device to %s" % ", ".join(
                "%s %s" % (k, switch[k]) for k in sorted(switch))
        self.glue.fitShown(json.dumps({"problems": problems, "switch": switch}))

    async def apply_switch(self):
        sw = self.switch     # (the device's new hello redraws the fit while this runs)
        if not sw:
            return None
        st, js, text = await DS.request("PUT", "/api/config", json.dumps(sw))
        if st != 200:
            self._say("the device refused the settings (%d): %s" % (st, DS._error(st, js, text)),
                      True)
            return None
        self._say("device switched to %s" % ", ".join("%s %s" % (k, js.get(k))
                                                      for k in sorted(sw)))
        return js

    # ---- send ---------------------------------------------------------------------------
    async def send(self):
        r = self.train.result
        if r is None:
            self._say("train a model first", True)
            return None
        self._say("sending %d bytes…" % len(r["text"]))
        try:
            reply = json.loads(await self.glue.putModel(r["text"], r["hash"]))
        except Exception as e:       # glue.js answers {status: 0} itself; this is a bug
            reply = {"status": 0, "body": {"error": str(e)}}
        status, body = reply["status"], reply.get("body") or {}
        if not isinstance(body, dict):
            body = {"error": str(body)}
        if status == 200 and body.get("hash"):
            same = body["hash"] == r["hash"]
            self._el("train-device").innerHTML = (
                "device runs model <code>%s</code> (%s, %s trees, %s nodes)%s"
                % (esc(body["hash"][:16]), esc(body.get("impl", "?")), body.get("trees"),
                   body.get("nodes"), "" if same else " — NOT the hash sent!"))
            self._say("")
            self.glue.pushDone()
            await self.refresh_check()
            return body["hash"]
        self._say(_explain(status, body), True)
        self.glue.pushDone()
        return None

    async def show_device_model(self):
        """What the device runs now (GET /api/model), shown beside "Send to device"."""
        el = self._el("train-device")
        st, s, _ = await DS.request("GET", "/api/status")
        if st != 200:            # unreachable: the live stream shows that already
            return
        if not s.get("model_hash"):
            el.textContent = "the device has no model yet"
            return
        st, d, _ = await DS.request("GET", "/api/model")
        if st == 200 and d.get("hash"):
            el.innerHTML = "device runs model <code>%s</code> (%s; %s trees, %s nodes)" % (
                esc(d["hash"][:16]), esc(", ".join(d.get("classes") or [])), d.get("trees"),
                d.get("nodes"))
        else:
            el.textContent = "the device has no model: %s" % (d or {}).get("error", "")
        await self.refresh_check()

    # ---- the on-device check ------------------------------------------------------------
    async def refresh_check(self):
        """Sessions recorded while a model ran, newest first, into the check list."""
        ds = DS.get()
        try:
            await ds.refresh()
        except DS.DeviceError:
            return
        opts = []
        for m in reversed(ds.sessions()):
            p = m.get("predictions")
            if p and not m.get("recording"):
                opts.append('<option value="%d">%s (%d windows, model %s)</option>' % (
                    m["id"], esc(DS.display_name(m)), p.get("windows", 0),
                    esc(p.get("hash", "")[:8])))
        self._el("check-session").innerHTML = "".join(opts) or \
            "<option value=\"\">(record a session while the model runs)</option>"

    async def check(self, sid=None):
        """The device's live accuracy on session sid against its labels."""
        from shared import evaluate as E
        el = self._el("check-result")
        try:
            if sid is None:
                v = self._el("check-session").value
                await self.refresh_check()       # (sessions recorded since the list was made)
                if v:
                    self._el("check-session").value = v
                v = self._el("check-session").value
                if not v:
                    raise ValueError("record a session while the model runs on the device "
                                     "(Sessions: Record), label it, then check it")
                sid = int(v)
            ds = DS.get()
            m = ds.meta(sid)
            if m is None or not m.get("predictions"):
                raise ValueError("session %s has no predictions of the device" % sid)
            rec = await ds.load(sid, labels=False)
            await ds.reload_labels(rec)
            r = json.loads(await self.glue.ds.download(
                "/api/sessions/%d/predictions" % sid, PREDS))
            if r.get("status") != 200:
                raise DS.DeviceError(r.get("status", 0), r.get("error") or "download failed")
            with open(PREDS, "rb") as f:
                preds = f.read()
            p = m["predictions"]
            res = E.live_check(preds, p["classes"], rec.segments, rec.n_samples,
                               m["window"], m["hop"])
        except Exception as e:       # said in the page
            el.textContent = "cannot check: %s" % e
            el.className = "err"
            self.glue.checkDone(json.dumps({"error": str(e)}))
            return None
        out = {"session": DS.display_name(m), "hash": p["hash"], "accuracy": res["accuracy"],
               "n": res["n"], "no_prediction": res["no_prediction"], "unknown": res["unknown"],
               "confusion": res["confusion"], "classes": p["classes"]}
        s = self.train.summary
        if s is not None and s["hash"] == p["hash"]:
            out["estimate"] = s["accuracy"]
            out["estimate_how"] = s["validation"].get("description")
        self.last_check = out
        el.className = ""
        el.innerHTML = render_check(out)
        self.glue.checkDone(json.dumps(out))
        return out


def render_check(c):
    if not c["n"]:
        return ("no labelled window of %s to compare: label the session on the timeline "
                "(windows must lie wholly inside one label)" % esc(c["session"]))
    est = ""
    if "estimate" in c:
        est = " &middot; offline estimate %s (%s)" % (
            pct(c["estimate"]) if c["estimate"] is not None else "none",
            esc(c.get("estimate_how") or ""))
    extra = []
    if c["no_prediction"]:
        extra.append("%d windows without a prediction" % c["no_prediction"])
    if c["unknown"]:
        extra.append("%d of classes the model does not know" % c["unknown"])
    return ('device live accuracy on %s: <b>%s</b> of %d labelled windows%s%s'
            % (esc(c["session"]), pct(c["accuracy"]), c["n"], est,
               " (%s)" % ", ".join(extra) if extra else ""))


def _explain(status, body):
    """A clear message for the device's answer to PUT /api/model."""
    err = body.get("error") or ""
    if status == 401:
        return "the device refused the token (401): enter the device token and send again"
    if status == 409:
        return "the device is receiving another model (409): send again in a moment"
    if status == 413:
        return ("the model is too large for the device (413): %s; try fewer trees or a "
                "smaller depth" % err)
    if status == 400:
        return "the device rejected the model (400): %s" % err
    if status == 0:
        return "could not reach the device: %s" % err
    return "sending failed (HTTP %d): %s" % (status, err)

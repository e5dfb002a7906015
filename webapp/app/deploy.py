# Deploy step: whether the trained model fits the device's sensor and settings (and an offer
# to switch the device's window/hop or sensor to match), "Send to device" (PUT /api/model),
# what the device runs, and the on-device check: the device's own live accuracy on a session
# recorded while the model ran, against that session's labels (shared.evaluate.live_check),
# next to the offline estimate: the figure that counts. For an anomaly model the device scores
# any recorded session's windows with the model it runs (GET /api/sessions/<id>/scores) and
# the page scores them with the same file and compares (app.anomaly.compare). Actions
# "deploy.*" on the "deploy" part. Memory: the check downloads one byte per window of one
# session (an anomaly check: a score and a state byte per window, and the session).
import json

from app import dataset as DS
from app import net

PREDS = "/check_preds.bin"
_UPLOAD = "/model_upload.csv"   # the model's text, sent from the FS


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
    def __init__(self, B, stream, trainer):
        self.B, self.stream, self.trainer = B, stream, trainer
        B.part("deploy", fit=None, switch=None, device_model=None, checks=[], check=None,
               notice="", message="")

    def show_fit(self):
        """The "fit" of the deploy part, from the trained model and the device's hello."""
        r = self.trainer.result
        if r is None or not self.stream.info.get("rate"):
            self.B.update("deploy", fit=None, switch=None)
            return
        problems, switch = fit(r["model"].meta["window"], self.stream.info)
        info = self.stream.info
        self.B.update("deploy", fit={"problems": problems, "channels": info.get("channels"),
                                     "rate": info.get("rate"), "window": info.get("window")},
                      switch=switch or None)

    async def apply_switch(self, a):
        sw = self.B.state["deploy"]["switch"]   # (the device's new hello redraws the fit)
        if not sw:
            return None
        js = await net.call("PUT", "/api/config", sw, what="the device refused the settings")
        self.B.update("deploy", notice="device switched to %s" % ", ".join(
            "%s %s" % (k, js.get(k)) for k in sorted(sw)))
        return js

    async def send(self, a):
        r = self.trainer.result
        if r is None:
            raise ValueError("train a model first")
        with open(_UPLOAD, "w") as f:
            f.write(r["text"])
        try:
            js = await net.send("PUT", "/api/model", _UPLOAD, "text/csv",
                                {"X-Model-Hash": r["hash"]})
        except net.DeviceError as e:     # (a 401/403 also brings the token box back)
            self.B.update("deploy", pushed={"status": e.status, "hash": None,
                                            "error": str(e), "sent": r["hash"]})
            raise net.DeviceError(e.status, _explain(e.status, str(e)))
        self.B.update("deploy", pushed={"status": 200, "hash": js.get("hash"), "error": None,
                                        "sent": r["hash"]})
        self.B.update("deploy", device_model=dict(js, same=js.get("hash") == r["hash"]))
        await self.refresh_checks()
        return js.get("hash")

    async def device_model(self, a=None):
        """What the device runs now (GET /api/model)."""
        try:
            s = await net.call("GET", "/api/status")
            d = await net.call("GET", "/api/model") if s.get("model_hash") else None
        except net.DeviceError:  # unreachable: the live stream shows that already
            return
        if d is None:
            self.B.update("deploy", device_model={"none": True})
        else:
            if d.get("hash"):
                r = self.trainer.result
                self.B.update("deploy", device_model=dict(
                    d, same=r is not None and r["hash"] == d["hash"]))
        await self.refresh_checks()

    def anomaly(self):
        """Whether the check is an anomaly model's: the device runs one (when known), else
        the page's model is one."""
        dm = self.B.state["deploy"].get("device_model") or {}
        if dm.get("hash"):
            return dm.get("kind") == "anomaly"
        r = self.trainer.result
        return r is not None and r.get("kind") == "anomaly"

    async def refresh_checks(self, a=None):
        """Sessions recorded while a model ran, newest first (an anomaly model: every
        finished session, which the device scores now)."""
        ds = DS.get()
        try:
            await ds.refresh()
        except DS.DeviceError:
            return
        rows = []
        anomaly = self.anomaly()
        for m in reversed(ds.sessions()):
            p = m.get("predictions")
            if anomaly and not m.get("recording"):
                rows.append({"id": m["id"], "name": DS.display_name(m),
                             "windows": m.get("windows", 0), "hash": ""})
            elif p and not m.get("recording"):
                rows.append({"id": m["id"], "name": DS.display_name(m),
                             "windows": p.get("windows", 0), "hash": p.get("hash", "")})
        chk = self.B.state["deploy"].get("check")
        if chk and chk["sid"] not in [r["id"] for r in rows]:
            chk = None                     # its session was deleted: so is its result
        self.B.update("deploy", checks=rows, check=chk)

    async def check(self, a):
        """The device's live accuracy on session a["sid"] or the one chosen in the list
        (a["check-session"]; default: the newest) against its labels."""
        await self.trainer.modules()       # shared.evaluate: the page may have just opened
        await self.refresh_checks()
        checks = self.B.state["deploy"]["checks"]
        sid = a.get("sid") or a.get("check-session")
        if sid in (None, "") and checks:
            sid = checks[0]["id"]
        if self.anomaly():
            return await self.check_anomaly(sid)
        dm = self.B.state["deploy"].get("device_model") or {}
        if dm.get("kind") == "regress":
            raise ValueError("the on-device check compares classes; a value model is checked "
                             "by its live estimate above against the true value (the range "
                             "and error the Train step promised)")
        from shared import evaluate as E
        if sid in (None, ""):
            raise ValueError("record a session while the model runs on the device "
                             "(Collect: Record), label it, then check it")
        sid = int(sid)
        ds = DS.get()
        m = ds.meta(sid)
        if m is None or not m.get("predictions"):
            raise ValueError("session %s has no predictions of the device" % sid)
        rec = await ds.load(sid, labels=False)
        await ds.reload_labels(rec)
        r = json.loads(await self.B.t.download("/api/sessions/%d/predictions" % sid, PREDS))
        if r.get("status") != 200:
            raise DS.DeviceError(r.get("status", 0), r.get("error") or "download failed")
        with open(PREDS, "rb") as f:
            preds = f.read()
        p = m["predictions"]
        res = E.live_check(preds, p["classes"], rec.segments, rec.n_samples, m["window"],
                           m["hop"])
        out = {"sid": sid, "session": DS.display_name(m), "hash": p["hash"],
               "windows": p.get("windows", 0), "accuracy": res["accuracy"],
               "balanced_accuracy": res["balanced_accuracy"], "n": res["n"],
               "no_prediction": res["no_prediction"], "unknown": res["unknown"],
               "confusion": res["confusion"], "classes": p["classes"]}
        s = self.trainer.summary
        if s is not None and s["hash"] == p["hash"]:
            out["estimate"] = s["accuracy"]
            out["estimate_balanced"] = s.get("balanced_accuracy")
            out["estimate_how"] = s["validation"].get("description")
        self.B.update("deploy", check=out)
        return out


    async def check_anomaly(self, sid):
        """The device scores session sid with the anomaly model it runs; the page scores the
        same windows with the model it trained (the same file) and compares."""
        if sid in (None, ""):
            raise ValueError("record a session (Collect: Record), then check it: the device "
                             "scores its windows with the model it runs")
        r = self.trainer.result
        dm = self.B.state["deploy"].get("device_model") or {}
        if r is None or r.get("kind") != "anomaly":
            raise ValueError("train the anomaly model in this page (Train: normal vs anomaly) "
                             "and send it: the page scores the session with the same file")
        if dm.get("hash") and dm["hash"] != r["hash"]:
            raise ValueError("the device runs another model (%s) than the one trained here "
                             "(%s): send this one first, then check"
                             % (dm["hash"][:8], r["hash"][:8]))
        sid = int(sid)
        js = await net.call("GET", "/api/sessions/%d/scores" % sid,
                            what="the device could not score the session")
        if js.get("hash") != r["hash"]:
            raise ValueError("the device runs another model (%s) than the one trained here "
                             "(%s): send this one first, then check"
                             % (str(js.get("hash"))[:8], r["hash"][:8]))
        ds = DS.get()
        rec = await ds.load(sid, labels=False)
        await ds.reload_labels(rec)
        from app import anomaly as AN
        out = AN.compare(r, js, rec)
        m = ds.meta(sid)
        if m is not None:
            out["session"] = DS.display_name(m)
        self.B.update("deploy", check=out)
        return out


def _explain(status, err):
    """A clear message for the device's refusal of PUT /api/model (err: its reason)."""
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
        return "could not reach the device: %s" % (err or "no answer")
    return "sending failed (HTTP %d): %s" % (status, err)


def install(B, stream, trainer):
    d = Deploy(B, stream, trainer)
    trainer.trained.append(d.show_fit)
    B.action("deploy.switch", part="deploy")(d.apply_switch)
    B.action("deploy.send", part="deploy", lock="deploy")(d.send)
    B.action("deploy.model", part="deploy")(d.device_model)
    B.action("deploy.check", part="deploy", lock="deploy")(d.check)
    B.action("deploy.checks", part="deploy")(d.refresh_checks)
    return d

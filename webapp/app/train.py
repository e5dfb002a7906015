# Train panel of the page: labelled windows (from app.dataset) -> shared.pipeline.Pipeline in
# small steps (the page yields to the browser whenever a slice of work exceeds SLICE_MS, so it
# never freezes; the longest slice is measured) -> results (app.model_report) -> "Send to
# device" (PUT /api/model through glue.js). The trained model also drives app.predict's
# page-vs-device comparison. Memory: the pipeline's feature rows and quantised features while
# training; afterwards the result (model + its file text) is kept for sending and comparing.
import asyncio

try:
    import ujson as json
except ImportError:
    import json

from shared.compat import ticks_diff, ticks_ms

from app import model_report
from app.model_report import _esc

SLICE_MS = 25        # longest run of pipeline steps between two yields to the browser
# _yield_note: in the webassembly port's asyncio, `await asyncio.sleep(0)` resumes the task in
# the same JavaScript turn (its _run_iter loops while a task is ready): the browser gets no
# chance to run timers, input or rendering, so the page would freeze for the whole training.
# sleep_ms(1) makes the loop return to JavaScript and come back through setTimeout.
PARAMS = (("n_trees", 10, 1, 100), ("max_depth", 12, 1, 30), ("min_samples_leaf", 1, 1, 50),
          ("seed", 1, 0, 2 ** 30))


class TrainPanel:
    def __init__(self, doc, glue, stream, live):
        self.doc = doc               # pyscript.document (or a fake in tests)
        self.glue = glue             # window.motebook
        self.stream = stream
        self.live = live
        self.result = None           # the shared.pipeline result of the last training
        self.summary = None
        self.busy = False
        self.dataset = None
        self._pipeline = None        # shared.pipeline once loaded

    # ---- helpers ---------------------------------------------------------------------
    def _el(self, i):
        return self.doc.getElementById(i)

    def _say(self, text, error=False):
        el = self._el("train-message")
        el.textContent = text
        el.className = "err" if error else ""

    def window_settings(self):
        """The device's window settings from its hello message (what a model must match)."""
        info = self.stream.info
        if not info.get("rate"):
            raise ValueError("not connected to the device yet")
        ch = info.get("channels") or []
        return {"rate": info["rate"], "window": info["window"], "hop": info.get("hop"),
                "channels": len(ch) if isinstance(ch, list) else ch,
                "scale": info.get("scale", 1.0)}

    def params(self):
        out = {}
        for name, default, lo, hi in PARAMS:
            try:
                v = int(self._el("train-" + name.replace("_", "-")).value)
            except (ValueError, TypeError):
                v = default
            out[name] = max(lo, min(hi, v))
        out["method"] = self._el("train-method").value or "extra"
        return out

    # ---- data from app.dataset (issue 5's module) ---------------------------------------
    async def _dataset(self):
        if self.dataset is None:
            try:
                from app.dataset import get
            except ImportError:
                return None
            self.dataset = get()     # the sessions panel's Dataset (one shared cache)
        return self.dataset

    async def refresh_sessions(self):
        """Lists the sessions (checkboxes) and the classes found in their labels."""
        ds = await self._dataset()
        box = self._el("train-sessions")
        if ds is None:
            box.textContent = "(the dataset module is not available in this build)"
            return
        await ds.refresh()
        rows, classes = [], []
        for s in ds.sessions():
            sid = s.get("id") if isinstance(s, dict) else s
            lab = (s.get("labels") if isinstance(s, dict) else None) or {}
            for name in (lab.get("classes") or []) if isinstance(lab, dict) else lab:
                if isinstance(name, str) and name not in classes:
                    classes.append(name)
            name = s.get("label") if isinstance(s, dict) else None
            rows.append('<label><input type="checkbox" class="train-sid" value="%s" checked> '
                        '#%s%s</label>' % (sid, sid, " " + _esc(name) if name else ""))
        box.innerHTML = "".join(rows) or "(no sessions recorded yet)"
        cl = self._el("train-classes")
        if not cl.value and classes:
            cl.value = ", ".join(classes)

    def _selected(self):
        out = []
        for el in self.doc.querySelectorAll(".train-sid"):
            if el.checked:
                v = el.value
                out.append(int(v) if v.isdigit() else v)
        return out

    async def train_from_dataset(self):
        """The Train button: labelled windows of the chosen sessions -> train()."""
        if self.busy:
            self._say("training is already running", True)
            return None
        self.glue.trainStarted()     # the stall probe covers loading the windows too
        t0 = ticks_ms()
        try:
            ds = await self._dataset()
            if ds is None:
                raise ValueError("no dataset module: record and label sessions first")
            if not self.doc.querySelectorAll(".train-sid").length:
                await self.refresh_sessions()
            classes = [c.strip() for c in self._el("train-classes").value.split(",")
                       if c.strip()]
            sids = self._selected()
            if len(classes) < 2 or not sids:
                raise ValueError("choose at least one session and two classes")
            w = self.window_settings()
            self._say("loading labelled windows…")
            windows, labels = await ds.labelled_windows(sids, classes, w["window"], w["hop"])
            present = sorted(set(labels))
            if len(present) < 2:
                raise ValueError("the chosen sessions have labelled windows of %d class(es); "
                                 "label at least two" % len(present))
        except Exception as e:      # device unreachable, no labels...: said in the page
            self._say("cannot train: %s" % e, True)
            self.glue.trainDone(json.dumps({"error": str(e)}))
            return None
        return await self.train(windows, labels, classes, w, self.params(), started=True,
                                load_ms=ticks_diff(ticks_ms(), t0))

    async def preload(self):
        """Compile the training modules while the page is idle, so that pressing Train
        does not freeze the page for the import."""
        for _ in range(40):          # after the first live plot (or 10 s)
            if self.glue.plots:
                break
            await asyncio.sleep_ms(250)
        try:
            await self._modules()
        except Exception as e:       # said again when Train is pressed
            print("train: preload failed: %s" % e)
        await self.show_device_model()

    async def _modules(self):
        """shared.pipeline, its modules fetched by glue.js into the FS on first use."""
        if self._pipeline is None:
            await self.glue.loadTrainFiles()
            from shared import pipeline
            self._pipeline = pipeline
        return self._pipeline

    async def show_device_model(self):
        """What the device runs now (GET /api/model), shown beside "Send to device"."""
        el = self._el("train-device")
        try:
            from pyscript import fetch
            # /api/status first: a 404 from /api/model would be a console error
            st = json.loads(await (await fetch("/api/status")).text())
            if not st.get("model_hash"):
                el.textContent = "the device has no model yet"
                return
            d = json.loads(await (await fetch("/api/model")).text())
        except Exception:            # unreachable: the live stream shows that already
            return
        if d.get("hash"):
            el.innerHTML = "device runs model <code>%s</code> (%s; %s trees, %s nodes)" % (
                d["hash"][:16], ", ".join(d.get("classes") or []), d.get("trees"),
                d.get("nodes"))
        else:
            el.textContent = "the device has no model: %s" % d.get("error", "")

    # ---- training --------------------------------------------------------------------
    async def train(self, windows, labels, classes, window, params, started=False, load_ms=0):
        """Runs the shared pipeline without freezing the page; returns the summary dict."""
        if self.busy:
            self._say("training is already running", True)
            return None
        self.busy = True
        if not started:
            self.glue.trainStarted()
        bar = self._el("train-progress")
        try:
            pl = await self._modules()
            Classifier, Pipeline = pl.Classifier, pl.Pipeline
            t0 = ticks_ms()
            p = Pipeline(windows, labels, classes, window, **params)
            stall = 0
            steps = 0
            start = ticks_ms()
            for prog in p.steps():
                steps += 1
                d = ticks_diff(ticks_ms(), start)
                if d >= SLICE_MS:
                    stall = max(stall, d)
                    bar.value = prog["fraction"]
                    self._el("train-stage").textContent = "%s %d/%d" % (
                        prog["stage"], prog["done"], prog["total"])
                    await asyncio.sleep_ms(1)   # not sleep(0): see _yield_note
                    start = ticks_ms()
            stall = max(stall, ticks_diff(ticks_ms(), start))
            train_ms = ticks_diff(ticks_ms(), t0)
            r = p.result
            clf = Classifier(r["model"])
            n = min(10, len(windows))
            t1 = ticks_ms()
            for i in range(n):
                clf.classify(windows[i])
            classify_ms = ticks_diff(ticks_ms(), t1) / n if n else None
            self.result = r
            self.summary = model_report.summary(r, train_ms, stall, classify_ms)
            self.summary["steps"] = steps
            self.summary["load_ms"] = load_ms
            self.live.use_model(r["hash"], clf)
            bar.value = 1
            self._el("train-stage").textContent = "done"
            self._el("train-result").innerHTML = model_report.render(self.summary)
            self._el("train-send").disabled = False
            self._say("")
            self.glue.trainDone(json.dumps(self.summary))
            return self.summary
        except Exception as e:      # shown in the page (bad labels, too few windows...)
            self._say("training failed: %s" % e, True)
            self.glue.trainDone(json.dumps({"error": str(e)}))
            return None
        finally:
            self.busy = False

    # ---- push to the device ----------------------------------------------------------
    async def send(self):
        r = self.result
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
                % (body["hash"][:16], body.get("impl", "?"), body.get("trees"),
                   body.get("nodes"), "" if same else " — NOT the hash sent!"))
            self._say("")
            self.glue.pushDone()
            return body["hash"]
        self._say(_explain(status, body), True)
        self.glue.pushDone()
        return None



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

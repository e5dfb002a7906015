# Train panel of the page: the chosen sessions' labelled windows (app.dataset, with the session
# and scale of each) -> shared.pipeline.Pipeline in small steps (the page yields to the browser
# whenever a slice of work exceeds SLICE_MS, so it never freezes) -> an honest report
# (app.model_report: how it split, sessions per class, baseline, per-session accuracy, or why
# there is no number). Window and hop are set here in seconds or samples; sending and the
# on-device check are app.deploy's. Memory: the pipeline's feature rows and quantised features
# while training; afterwards the result (model + its file text) is kept for sending.
import asyncio

try:
    import ujson as json
except ImportError:
    import json

from shared import dataset as D
from shared.compat import ticks_diff, ticks_ms

from app import model_report
from app.dataset import display_name
from app.html import esc

SLICE_MS = 25        # longest run of pipeline steps between two yields to the browser
# _yield_note: in the webassembly port's asyncio, `await asyncio.sleep(0)` resumes the task in
# the same JavaScript turn (its _run_iter loops while a task is ready): the browser gets no
# chance to run timers, input or rendering, so the page would freeze for the whole training.
# sleep_ms(1) makes the loop return to JavaScript and come back through setTimeout.
PARAMS = (("n_trees", 10, 1, 100), ("max_depth", 12, 1, 30), ("min_samples_leaf", 1, 1, 50),
          ("seed", 1, 0, 2 ** 30), ("folds", 5, 2, 20))


class TrainPanel:
    def __init__(self, doc, glue, stream, live):
        self.doc = doc               # pyscript.document (or a fake in tests)
        self.glue = glue             # window.motebook
        self.stream = stream
        self.live = live
        self.deploy = None           # app.deploy.Deploy (set by main)
        self.result = None           # the shared.pipeline result of the last training
        self.summary = None
        self.busy = False
        self.dataset = None
        self._pipeline = None        # shared.pipeline once loaded
        self._names = {}             # session id -> its name in the page

    # ---- helpers ---------------------------------------------------------------------
    def _el(self, i):
        return self.doc.getElementById(i)

    def _say(self, text, error=False):
        el = self._el("train-message")
        el.textContent = text
        el.className = "err" if error else ""

    def device(self):
        """The device's acquisition settings from its hello message."""
        info = self.stream.info
        if not info.get("rate"):
            raise ValueError("not connected to the device yet")
        return info

    def _int(self, name, default, lo, hi):
        try:
            v = int(float(self._el(name).value))
        except (ValueError, TypeError):
            return default
        return max(lo, min(hi, v))

    def params(self):
        out = {}
        for name, default, lo, hi in PARAMS:
            if name != "folds":
                out[name] = self._int("train-" + name.replace("_", "-"), default, lo, hi)
        out["method"] = self._el("train-method").value or "extra"
        return out

    def window_hop(self):
        """(window, hop) in samples from the inputs: what training cuts (the device's own
        settings are only the default; app.deploy offers to switch the device to these)."""
        w = self._int("train-window", 0, 0, 1 << 20)
        h = self._int("train-hop", 0, 0, 1 << 20)
        if w < 2:
            raise ValueError("set the window: at least 2 samples")
        if not 1 <= h:
            raise ValueError("set the hop: at least 1 sample")
        if w > 4096:
            raise ValueError("a window of %d samples is longer than the device can cut "
                             "(4096): shorten the window" % w)
        return w, h

    def validation(self):
        if self._el("train-validation").value == "test":
            tests = [self._names.get(s, str(s)) for s in self._checked(".train-test")]
            if not tests:
                raise ValueError("tick the test sessions (the 'test' boxes), or evaluate with "
                                 "k-fold by session")
            return {"method": "test", "sessions": tests}
        return {"method": "kfold", "folds": self._int("train-folds", 5, 2, 20)}

    # ---- sessions ------------------------------------------------------------------------
    async def _dataset(self):
        if self.dataset is None:
            from app.dataset import get
            self.dataset = get()     # the sessions panel's Dataset (one shared cache)
        return self.dataset

    async def refresh_sessions(self):
        """The sessions to train on, by name (natural order), each with its classes, plus a
        'test' tick; the classes found in their labels; window/hop defaults."""
        ds = await self._dataset()
        await ds.refresh()
        rows, classes, rates = [], [], []
        self._names = {}
        for m in ds.sessions():
            if m.get("recording"):
                continue
            sid = m["id"]
            name = display_name(m)
            self._names[sid] = name
            lab = m.get("labels") or {}
            for c in lab.get("classes") or ():
                if c not in classes:
                    classes.append(c)
            if m.get("rate") not in rates:
                rates.append(m.get("rate"))
            counts = lab.get("counts") or {}
            rows.append('<span class="train-s"><label><input type="checkbox" class="train-sid" '
                        'value="%d" checked> %s</label> <small>%s</small> <label class="tpick">'
                        '<input type="checkbox" class="train-test" value="%d">test</label>'
                        '</span>' % (sid, esc(name), esc(", ".join(D.natural_sorted(counts))
                                                         or "no labels"), sid))
        self._el("train-sessions").innerHTML = "".join(rows) or \
            "(no sessions yet: record some, or import a CSV)"
        cl = self._el("train-classes")
        if not cl.value and classes:
            cl.value = ", ".join(classes)
        self._defaults(rates[0] if len(rates) == 1 else None)

    def _defaults(self, rate):
        """Rate for the seconds <-> samples fields (the sessions', else the device's); the
        device's window and hop when the fields are empty."""
        info = self.stream.info
        rate = rate or info.get("rate")
        if not rate:
            return
        self._el("train-rate").setAttribute("data-rate", str(rate))
        self._el("train-rate").textContent = "at %s Hz" % rate
        for name in ("window", "hop"):
            el = self._el("train-" + name)
            if not el.value and info.get(name):
                el.value = info[name]
            if el.value:
                self._el("train-%s-s" % name).value = "%g" % (int(el.value) / rate)

    def _checked(self, selector):
        out = []
        for el in self.doc.querySelectorAll(selector):
            if el.checked:
                out.append(int(el.value))
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
            if not self.doc.querySelectorAll(".train-sid").length:
                await self.refresh_sessions()
            classes = [c.strip() for c in self._el("train-classes").value.split(",")
                       if c.strip()]
            sids = self._checked(".train-sid")
            if not sids:
                raise ValueError("choose at least one session")
            if len(classes) < 2:
                raise ValueError("name at least two classes to train")
            window, hop = self.window_hop()
            validation = self.validation()
            self._say("loading labelled windows…")
            lw = await ds.labelled_windows(sids, classes, window, hop)
            names = [self._names.get(g, str(g)) for g in lw.groups]
            settings = {"rate": lw.rate, "window": window, "hop": hop,
                        "channels": lw.channels}
        except Exception as e:      # device unreachable, nothing fits...: said in the page
            self._say("cannot train: %s" % e, True)
            self.glue.trainDone(json.dumps({"error": str(e)}))
            return None
        return await self.train(lw.windows, lw.labels, classes, settings, self.params(),
                                started=True, load_ms=ticks_diff(ticks_ms(), t0),
                                groups=names, scales=lw.scales, validation=validation)

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
        if self.deploy is not None:
            await self.deploy.show_device_model()

    async def _modules(self):
        """shared.pipeline, its modules fetched by glue.js into the FS on first use."""
        if self._pipeline is None:
            await self.glue.loadTrainFiles()
            from shared import pipeline
            self._pipeline = pipeline
        return self._pipeline

    # ---- training --------------------------------------------------------------------
    async def train(self, windows, labels, classes, window, params, started=False, load_ms=0,
                    groups=None, scales=None, validation=None):
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
            t0 = ticks_ms()
            p = pl.Pipeline(windows, labels, classes, window, groups=groups, scales=scales,
                            validation=validation, **params)
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
            clf = pl.Classifier(r["model"])
            n = min(10, len(windows))
            t1 = ticks_ms()
            for i in range(n):
                clf.classify(windows[i], scales[i] if scales else window["scale"])
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
            if self.deploy is not None:
                self.deploy.show_fit()
            self.glue.trainDone(json.dumps(self.summary))
            return self.summary
        except Exception as e:      # shown in the page (bad labels, too few windows...)
            self._say("training failed: %s" % e, True)
            self.glue.trainDone(json.dumps({"error": str(e)}))
            return None
        finally:
            self.busy = False

# Train step: the chosen sessions' labelled windows (app.dataset, with the session and scale
# of each) -> shared.pipeline.Pipeline in small steps (the page yields to the browser whenever
# a slice of work exceeds SLICE_MS, so it never freezes) -> an honest report
# (app.model_report: how it split, sessions per class, baseline, per-session accuracy, or why
# there is no number). Actions "train.*" on the bridge's "train" part; the form (window and
# hop in samples, validation, parameters) arrives as the action's arguments.
# Memory: the pipeline's feature rows and quantised features while training; afterwards the
# result (model + its file text) is kept for sending.
import asyncio

from shared import dataset as D
from shared.compat import ticks_diff, ticks_ms

from app import model_report, net
from app.dataset import display_name, get as dataset
from app.values_page import text as value_text

SLICE_MS = 25        # longest run of pipeline steps between two yields to the browser
# _yield_note: in the webassembly port's asyncio, `await asyncio.sleep(0)` resumes the task in
# the same JavaScript turn (its _run_iter loops while a task is ready): the browser gets no
# chance to run timers, input or rendering, so the page would freeze for the whole training.
# sleep_ms(1) makes the loop return to JavaScript and come back through setTimeout.
PARAMS = (("n_trees", 10, 1, 100), ("max_depth", 12, 1, 30), ("min_samples_leaf", 1, 1, 50),
          ("seed", 1, 0, 2 ** 30))


def number(a, name, default, lo, hi, cast=int):
    """Form field name of a as cast (int: truncated), kept in lo..hi; default when missing
    or not a number. The Train forms' one number reader (app.anomaly's too)."""
    try:
        v = cast(float(a.get(name)))
    except (ValueError, TypeError):
        return default
    return max(lo, min(hi, v))


def params(a):
    out = dict((name, number(a, name, d, lo, hi)) for name, d, lo, hi in PARAMS)
    out["method"] = a.get("method") or "extra"
    return out


def window_hop(a):
    """(window, hop) in samples from the form: what training cuts (the device's own settings
    are the default; app.deploy offers to switch the device to these)."""
    w, h = number(a, "window", 0, 0, 1 << 20), number(a, "hop", 0, 0, 1 << 20)
    if w < 2:
        raise ValueError("set the window: at least 2 samples")
    if h < 1:
        raise ValueError("set the hop: at least 1 sample")
    if w > 4096:
        raise ValueError("a window of %d samples is longer than the device can cut (4096): "
                         "shorten the window" % w)
    return w, h


class Trainer:
    def __init__(self, B, stream, live):
        self.B, self.stream, self.live = B, stream, live
        self.mode = "classes"        # or "anomaly" (app.anomaly), "value" (app.regress_page)
        self._results = {}           # mode -> its last result (Deploy sends the mode's)
        self.result = None           # the shared.pipeline result of the last training
        self.summary = None
        self.busy = False
        self._pipeline = None        # shared.pipeline once loaded
        self.names = {}              # session id -> its name in the page
        self.trained = []            # fn() called after each training (app.deploy's fit)
        self.lw = self.window = None
        B.part("train", sessions=[], picked=[], tests=[], rate=None, defaults={},
               progress=0, stage="", summary=None, notice="", message="", mode="classes",
               anomaly=None, value=None)

    @property
    def result(self):
        """The last training's result of the mode chosen now (what Deploy sends): a
        shared.pipeline result, or app.anomaly's {"kind": "anomaly", "text", "hash", ...}."""
        return self._results.get(self.mode)

    @result.setter
    def result(self, r):
        self._results[self.mode] = r

    def set_mode(self, a):
        """Train's choice: "classes" (labelled classes), "anomaly" (normal vs anomaly) or
        "value" (estimate the sessions' value labels: app.regress_page)."""
        mode = a.get("mode") or a.get("value")
        if mode not in ("classes", "anomaly", "value"):
            raise ValueError("choose 'classes', 'normal vs anomaly' or 'a value'")
        self.mode = mode
        self.B.update("train", mode=mode, stage="", progress=0)
        for fn in self.trained:      # Deploy's fit follows the mode's model
            fn()

    def validation(self, a):
        st = self.B.state["train"]
        if a.get("validation") == "test":
            tests = [self.names.get(s, str(s)) for s in st["tests"]]
            if not tests:
                raise ValueError("tick the test sessions (the 'test' boxes), or evaluate with "
                                 "k-fold by session")
            return {"method": "test", "sessions": tests}
        return {"method": "kfold", "folds": number(a, "folds", 5, 2, 20)}

    # ---- sessions ------------------------------------------------------------------------
    async def refresh(self, a=None):
        """The sessions to train on, by name (natural order), each with its classes; the
        classes found in their labels; window/hop defaults (the device's)."""
        ds = dataset()
        await ds.refresh()
        rows, classes, rates = [], [], []
        self.names = {}
        st = self.B.state["train"]
        known = [s["id"] for s in st["sessions"]]
        picked = set(st["picked"])
        for m in ds.sessions():
            if m.get("recording"):
                continue
            sid = m["id"]
            self.names[sid] = display_name(m)
            lab = m.get("labels") or {}
            for c in lab.get("classes") or ():
                if c not in classes:
                    classes.append(c)
            if m.get("rate") not in rates:
                rates.append(m.get("rate"))
            rows.append({"id": sid, "name": self.names[sid],
                         "classes": D.natural_sorted(lab.get("counts") or {}),
                         "value": value_text(m.get("value"))})   # its value label (issue 21)
            if sid not in known:
                picked.add(sid)          # new sessions start chosen
        ids = [r["id"] for r in rows]
        info = self.stream.info
        self.B.update("train", sessions=rows, picked=[i for i in ids if i in picked],
                      tests=[i for i in st["tests"] if i in ids],
                      rate=rates[0] if len(rates) == 1 else info.get("rate"),
                      defaults={"classes": ", ".join(classes), "window": info.get("window"),
                                "hop": info.get("hop")})

    def pick(self, a):
        """A session's 'train' or 'test' tick (or all/none)."""
        st = self.B.state["train"]
        key = "tests" if a.get("kind") == "test" else "picked"
        if "sid" in a:
            sid = int(a["sid"])
            cur = [s for s in st[key] if s != sid]
            if a.get("on") in (True, "1", 1, "true"):
                cur.append(sid)
            self.B.update("train", **{key: cur})
        else:
            on = a.get("on") in (True, "1", 1, "true")
            self.B.update("train", picked=[s["id"] for s in st["sessions"]] if on else [])

    # ---- training --------------------------------------------------------------------
    async def go(self, a):
        """The Train button: labelled windows of the chosen sessions -> the pipeline."""
        if self.busy:
            raise ValueError("training is already running")
        if self.mode == "anomaly":
            return await self.go_anomaly(a)
        if self.mode == "value":
            return await self.go_value(a)
        t = self.B.t
        if getattr(t, "debug", False):
            t.stallStart()           # the stall probe covers loading the windows too
        t0 = ticks_ms()
        if not self.B.state["train"]["sessions"]:
            await self.refresh()
        classes = [c.strip() for c in (a.get("classes") or "").split(",") if c.strip()]
        sids = list(self.B.state["train"]["picked"])
        try:
            if not sids:
                raise ValueError("choose at least one session")
            if len(classes) < 2:
                raise ValueError("name at least two classes to train")
            window, hop = window_hop(a)
            validation = self.validation(a)
            self.B.update("train", stage="loading labelled windows…", progress=0)
            self.B.flush()
            lw = await dataset().labelled_windows(sids, classes, window, hop)
        except Exception as e:
            self.forget()
            raise ValueError("cannot train: %s" % e)
        names = [self.names.get(g, str(g)) for g in lw.groups]
        # sessions of a class that gave no window of it, by the same names (the report says why)
        stretches = dict((c, dict((self.names.get(g, str(g)), v) for g, v in per.items()))
                         for c, per in lw.stretches.items())
        settings = {"rate": lw.rate, "window": window, "hop": hop, "channels": lw.channels}
        self.lw, self.window = lw, window     # (app.explore's model insight shows windows)
        return await self.train(lw.windows, lw.labels, classes, settings, params(a),
                                ticks_diff(ticks_ms(), t0), names, lw.scales, validation,
                                stretches)

    async def go_anomaly(self, a):
        """Normal vs anomaly: the chosen sessions -> app.anomaly (shared.anomaly_train)."""
        t = self.B.t
        B = self.B
        if not B.state["train"]["sessions"]:
            await self.refresh()
        sids = list(B.state["train"]["picked"])
        self.busy = True
        try:
            if not sids:
                raise ValueError("choose the sessions of normal running (the list above)")
            window, hop = window_hop(a)
            await net.need("app.anomaly")
            from app import anomaly
            opts = anomaly.options(a)
            B.update("train", stage="loading the sessions…", progress=0)
            B.flush()
            recs = await dataset().load_many(sids)
            B.update("train", stage="features and the %s model…" % opts["kind"],
                     progress=0.2)
            B.flush()
            await asyncio.sleep_ms(1)         # (let the page draw the stage first)
            if getattr(t, "debug", False):
                t.stallStart()
            out, fits = {}, 0
            try:
                for line in anomaly.steps(recs, window, hop, opts, out):
                    fits += 1                 # a fit at a time, the page drawn between
                    B.update("train", stage="fitted: %s" % line,
                             progress=min(0.95, 0.2 + 0.15 * fits))
                    B.flush()
                    await asyncio.sleep_ms(1)     # not sleep(0): see _yield_note
            finally:
                if getattr(t, "debug", False):
                    await asyncio.sleep_ms(30)    # (the stall probe's timer sees the last)
                    t.stallStop()
            summary, result = out["summary"], out["result"]
        except Exception as e:
            self.forget()
            raise ValueError("cannot train: %s" % e)
        finally:
            self.busy = False
        self.result = result
        B.update("train", anomaly=summary, progress=1, stage="done")
        for fn in self.trained:
            fn()
        return {"promise": summary.get("promise"), "need_more": summary.get("need_more"),
                "hash": summary.get("hash")}

    async def go_value(self, a):
        """Estimate a value: the chosen sessions with their value labels -> app.regress_page
        (shared.regress / regress_eval in steps, the page drawn between slices)."""
        t = self.B.t
        B = self.B
        if not B.state["train"]["sessions"]:
            await self.refresh()
        sids = list(B.state["train"]["picked"])
        self.busy = True
        try:
            if not sids:
                raise ValueError("choose the sessions with values (the list above)")
            window, hop = window_hop(a)
            await net.need("app.regress_page")
            from app import regress_page as RP
            opts = RP.options(a)
            B.update("train", stage="loading the sessions and their values…", progress=0)
            B.flush()
            ds = dataset()
            recs = await ds.load_many(sids)
            for r in recs:                   # the value labels (meta says which have one)
                m = ds.meta(r.sid) or {}
                lab = await net.call("GET", "/api/sessions/%d/value" % r.sid) \
                    if m.get("value") else None
                r.value = None if lab is None else dict(
                    (k, lab.get(k)) for k in ("name", "value", "unit"))
                r.value_segments = [tuple(x) for x in (lab or {}).get("segments") or ()]
            info = self.stream.info
            sensor = info.get("sensor") if recs and list(info.get("channels") or ()) == \
                list(recs[0].channels) else None
            if getattr(t, "debug", False):
                t.stallStart()
            out = {}
            start = ticks_ms()
            try:
                for p in RP.steps(recs, window, hop, opts, sensor, out):
                    if ticks_diff(ticks_ms(), start) >= SLICE_MS:
                        B.update("train", stage=p["stage"], progress=min(0.99, p["done"]))
                        B.flush()
                        await asyncio.sleep_ms(1)     # not sleep(0): see _yield_note
                        start = ticks_ms()
            finally:
                if getattr(t, "debug", False):
                    await asyncio.sleep_ms(30)    # (the stall probe's timer sees the last)
                    t.stallStop()
            summary, result = out["summary"], out["result"]
        except Exception as e:
            self.forget()
            raise ValueError("cannot train: %s" % e)
        finally:
            self.busy = False
        self.result = result
        B.update("train", value=summary, progress=1, stage="done")
        for fn in self.trained:
            fn()
        return {"promise": summary.get("promise"), "reason": summary.get("reason"),
                "hash": summary.get("hash"), "estimate": summary.get("estimate")}

    def forget(self):
        """A failed Train: the old result and its stage text go (they were not this run's),
        and Deploy has no model to send."""
        self.result = None           # (the mode's own: the other mode's result stays)
        if self.mode == "anomaly":
            self.B.update("train", anomaly=None, progress=0, stage="")
        elif self.mode == "value":
            self.B.update("train", value=None, progress=0, stage="")
        else:
            self.summary = None
            self.B.update("train", summary=None, progress=0, stage="")
        for fn in self.trained:
            fn()

    async def modules(self):
        """shared.pipeline, its modules fetched by glue.js into the FS on first use."""
        if self._pipeline is None:
            await net.need("shared.pipeline")
            from shared import pipeline
            self._pipeline = pipeline
        return self._pipeline

    async def train(self, windows, labels, classes, window, prm, load_ms, groups, scales,
                    validation, stretches=None):
        """Runs the shared pipeline without freezing the page; returns the summary dict."""
        self.busy = True
        B = self.B
        try:
            pl = await self.modules()
            t0 = ticks_ms()
            p = pl.Pipeline(windows, labels, classes, window, groups=groups, scales=scales,
                            validation=validation, stretches=stretches, **prm)
            stall = steps = 0
            start = ticks_ms()
            for prog in p.steps():
                steps += 1
                d = ticks_diff(ticks_ms(), start)
                if d >= SLICE_MS:
                    stall = max(stall, d)
                    B.update("train", progress=prog["fraction"], stage="%s %d/%d" % (
                        prog["stage"], prog["done"], prog["total"]))
                    B.flush()
                    await asyncio.sleep_ms(1)   # not sleep(0): see _yield_note
                    start = ticks_ms()
            stall = max(stall, ticks_diff(ticks_ms(), start))
            train_ms = ticks_diff(ticks_ms(), t0)
            r = p.result
            clf = pl.Classifier(r["model"])
            n = min(10, len(windows))
            t1 = ticks_ms()
            for i in range(n):
                clf.classify(windows[i], scales[i])
            classify_ms = ticks_diff(ticks_ms(), t1) / n if n else None
            self.result = r
            s = self.summary = model_report.summary(r, train_ms, stall, classify_ms)
            s["steps"], s["load_ms"] = steps, load_ms
            self.live.use_model(r["hash"], clf)
            B.update("train", summary=s, progress=1, stage="done")
            for fn in self.trained:
                fn()
            return s
        except Exception as e:      # shown in the page (bad labels, too few windows...)
            self.forget()
            raise ValueError("training failed: %s" % e)
        finally:
            self.busy = False
            if getattr(B.t, "debug", False):
                B.t.stallStop()

    async def preload(self):
        """Compile the training modules while the page is idle, so that pressing Train
        does not freeze the page for the import."""
        for _ in range(40):          # after the first live plot (or 10 s)
            if self.B.t.plots:
                break
            await asyncio.sleep_ms(250)
        try:
            await self.modules()
        except Exception as e:       # said again when Train is pressed
            print("train: preload failed: %s" % e)


def install(B, stream, live):
    tr = Trainer(B, stream, live)
    B.action("train.sessions", part="train")(tr.refresh)
    B.action("train.pick", part="train")(tr.pick)
    B.action("train.pick_all", part="train")(tr.pick)
    B.action("train.go", part="train", lock="train")(tr.go)
    B.action("train.mode", part="train")(tr.set_mode)
    asyncio.create_task(tr.preload())
    return tr

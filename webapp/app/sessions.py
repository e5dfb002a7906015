# Sessions and labels: the session list, recording (class chosen first), the labelling
# timeline (selection, classes by number keys, undo/redo saved to the device with its
# version), class counts, export (CSV, .npy zip) and CSV import. Every op_x is the bridge's
# action "sessions.x" (one at a time: labels carry a version); state() is the "sessions" part
# app/view.py draws.
# Memory: the open recording (app/dataset.py) plus the timeline's float32 points (<= ~16k per
# channel) in the FS; undo/redo keep segment lists (small tuples), at most UNDO_MAX each.
import asyncio
import json

from pyscript import window

from app import dataset as DS
from app import net
from app import values_page as VP
from shared import csvio
from shared import dataset as D
from shared import relabel
from shared.compat import ticks_diff, ticks_ms
from shared.limits import MAX_IMPORT_BYTES


def now_s():
    """The browser's clock in seconds since 1970. (A JavaScript number above 2**31 handed to
    MicroPython-WASM as an int is cut to 32 bits, which made every session 8 January 1970:
    glue.js gives it as text.)"""
    return float(window.motebook.nowS())

TIMELINE = "/timeline.bin"   # float32: x (seconds) then each channel, drawn by app/view_label
EXPORT = "/export.out"
IMPORT = "/import.csv"
MAX_POINTS = 4000            # timeline points per channel before min/max decimation
UNDO_MAX = 100
CLASSES_KEY = "motebook.classes"


class Panel:
    def __init__(self):
        self.ds = DS.get()
        self.classes = []          # page-wide class list (index = number key - 1)
        self.rec = None            # the open Recording
        self.segs = []             # its segments as (start, end, class index)
        self.sel = None            # selection [a, b) in samples
        self.undo = []
        self.redo = []
        self.notice = ""           # what a successful op says (e.g. what an import brought)
        self.rec_class = ""        # the class Record records as ("" = none chosen)
        self.ask = False           # Record was pressed with no class: the page asks
        self.saved = ""            # what the last Stop saved
        self.class_undo = None     # the last class edit: (what, classes before, [(sid, labels)])
        self.tl_rev = 0
        self.values = VP.Values()  # the open session's value label (app/values_page.py)
        saved = window.localStorage.getItem(CLASSES_KEY)
        for c in json.loads(saved) if saved else ():
            self._class(c)

    # -- classes
    def _class(self, name):
        if name not in self.classes:
            self.classes.append(name)
            window.localStorage.setItem(CLASSES_KEY, json.dumps(self.classes))
        return self.classes.index(name)

    def _merge_classes(self):
        for m in self.ds.sessions():
            lab = m.get("labels")
            for c in (lab or {}).get("classes", ()):
                self._class(c)
            if m.get("label") and not lab:   # (the record-time class; labels win: a class
                self._class(m["label"])      # renamed since is not brought back)

    def _counts(self):
        out = {}
        for m in self.ds.sessions():
            if self.rec is not None and m["id"] == self.rec.sid:
                continue
            cs = (m.get("labels") or {}).get("counts") or {}
            for k in cs:
                out[k] = out.get(k, 0) + cs[k]
        if self.rec is not None:
            for s, e, c in self.segs:
                name = self.classes[c]
                out[name] = out.get(name, 0) + e - s
        return out

    # -- the view
    def state(self):
        counts = self._counts()
        cur = None
        r = self.rec
        if r is not None:
            m = r.meta
            cur = {"sid": r.sid, "name": r.name, "n": r.n_samples, "rate": r.rate,
                   "channels": r.channels,
                   "window": m.get("window", 1), "hop": m.get("hop", 1),
                   "segments": [list(s) for s in self.segs],
                   "sel": list(self.sel) if self.sel else None, "version": r.version,
                   "undo": len(self.undo), "redo": len(self.redo), "tl_rev": self.tl_rev,
                   "imported": r.imported, "gaps": r.gaps,
                   "download": getattr(r, "download", None), "value": self.values.state()}
        ss = []
        for m in self.ds.sessions():
            lab = m.get("labels") or {}
            ss.append({"id": m["id"], "name": DS.display_name(m), "started": m.get("started"),
                       "duration_s": m.get("duration_s", 0), "rate": m.get("rate"),
                       "channels": m.get("channels") or [],
                       "windows": m.get("windows", 0), "recording": bool(m.get("recording")),
                       "label": m.get("label"), "source": m.get("source", "device"),
                       "segments": lab.get("segments", 0), "error": m.get("error"),
                       "classes": sorted(lab.get("counts") or {}),
                       "predictions": bool(m.get("predictions")),
                       "value": VP.text(m.get("value"))})
        st = self.ds.status
        return {"sessions": ss, "classes": [{"name": c, "samples": counts.get(c, 0)}
                                            for c in self.classes],
                "cur": cur, "online": self.ds.online,
                "recording": st.get("recording"), "storage_used": st.get("storage_used"),
                "storage_budget": st.get("storage_budget"),
                "flash_free": st.get("flash_free"), "flash_full": st.get("flash_full"),
                "recording_error": st.get("recording_error"), "rec_class": self.rec_class,
                "ask": self.ask, "saved": self.saved, "rec_live": self._rec_live(),
                "class_undo": self.class_undo[0] if self.class_undo else None,
                "value_names": VP.names(self.ds.sessions())}

    def _rec_live(self):
        """The session being recorded: elapsed seconds (this browser's clock since its start,
        never less than what the device has stored), samples stored, class."""
        sid = self.ds.status.get("recording")
        m = self.ds.meta(sid) if sid is not None else None
        if m is None:
            return None
        el = m.get("duration_s") or 0
        if m.get("started"):
            el = max(el, now_s() - m["started"])
        return {"sid": sid, "elapsed_s": round(el, 1), "samples": m.get("samples") or 0,
                "label": m.get("label")}

    def _timeline(self):
        """Decimated points of the open recording into TIMELINE (min/max per bucket)."""
        from array import array
        r = self.rec
        n, nch = r.n_samples, len(r.channels)
        b = 1
        while n // b > MAX_POINTS:
            b *= 2
        sc, rate = r.scale, r.rate or 1
        if b == 1:
            xs = array("f", [k / rate for k in range(n)])
            ys = [array("f", [v * sc for v in r.samples[c * n:(c + 1) * n]]) for c in range(nch)]
        else:
            xs = array("f")
            ys = [array("f") for _ in range(nch)]
            for k in range(0, n, b):
                t = k / rate
                xs.append(t)
                xs.append(t + (b - 1) / rate)
            src = r.samples
            for c in range(nch):
                y = ys[c]
                base = c * n
                for k in range(0, n, b):
                    part = src[base + k:base + min(n, k + b)]
                    lo, hi = min(part), max(part)
                    y.append(lo * sc)
                    y.append(hi * sc)
        with open(TIMELINE, "wb") as f:
            f.write(xs)
            for y in ys:
                f.write(y)
        self.tl_rev += 1
        return len(xs)

    # -- ops (each returns a JSON-able result; errors become {"error"} and the message)
    async def op_refresh(self, a):
        await self.ds.refresh()
        self._merge_classes()
        if self.rec is not None and self.ds.meta(self.rec.sid) is None:
            self.rec = None
        elif self.rec is not None and self.values.stale(self.ds.meta(self.rec.sid)):
            await self.values.load(self.rec.sid, self.ds.meta(self.rec.sid))  # another tab's
        return {"sessions": len(self.ds.sessions())}

    async def op_open(self, a):
        if self.ds.meta(a["sid"]) is None:
            await self.ds.refresh()
        t0 = ticks_ms()
        rec = await self.ds.load(a["sid"])
        t1 = ticks_ms()
        self.rec = rec
        self.segs = rec.indexed(self.classes)
        for c in self.classes:
            self._class(c)        # (indexed() may have appended new names)
        window.localStorage.setItem(CLASSES_KEY, json.dumps(self.classes))
        self.sel = None
        self.undo, self.redo = [], []
        points = self._timeline()
        await self.values.load(rec.sid, self.ds.meta(rec.sid))
        return {"sid": rec.sid, "n": rec.n_samples, "points": points,
                "download": getattr(rec, "download", None), "load_ms": ticks_diff(t1, t0),
                "timeline_ms": ticks_diff(ticks_ms(), t1)}

    async def op_choose(self, a):
        """The class Record records as (the Collect step's select)."""
        self.rec_class = a.get("value") or ""
        self.ask = False
        return {"rec_class": self.rec_class}

    async def op_record(self, a):
        label = a.get("label") or a.get("rec-class") or None
        if label is None and not a.get("unlabelled"):
            self.ask = True          # no class chosen: ask, record nothing yet
            return {"ask": True}
        self.ask = False
        self.saved = ""
        if label:
            self.rec_class = label
        body = {"label": label} if label else {}
        body["time"] = a.get("time") or now_s()
        js = await net.call("POST", "/api/sessions", body)
        if label:
            self._class(label)
        await self.ds.refresh()
        return {"sid": js["id"]}

    async def op_stop(self, a):
        sid = a.get("sid") or self.ds.status.get("recording")
        if sid is None:
            raise ValueError("nothing is recording")
        js = await net.call("POST", "/api/sessions/%d/stop" % sid)
        await self.ds.refresh()
        m = self.ds.meta(sid) or {}
        n = m.get("samples") or js.get("samples") or 0
        self.saved = "saved session #%s: %.1f s, %d samples, %s" % (
            sid, m.get("duration_s") or 0, n, m.get("label") or "no class (label it in Label)")
        return {"sid": sid, "windows": js.get("windows"), "saved": self.saved}

    async def op_delete(self, a):
        await self.ds.delete(a["sid"])
        if self.rec is not None and str(self.rec.sid) == str(a["sid"]):
            self.rec = None
        await self.ds.refresh()
        return {"deleted": a["sid"]}

    async def op_add_class(self, a):
        name = (a.get("name") or "").strip()
        if not 1 <= len(name) <= D.MAX_CLASS_LEN or "," in name:
            raise ValueError("a class name has 1..%d characters and no comma" % D.MAX_CLASS_LEN)
        if name not in self.classes and len(self.classes) >= D.MAX_CLASSES:
            raise ValueError("at most %d classes" % D.MAX_CLASSES)
        self.rec_class, self.ask = name, False       # the class added is the class recorded
        return {"index": self._class(name)}

    # -- classes across every session (rename, merge, delete; the last change undone)
    async def op_class_edit(self, a):
        """a["name"] renamed to a["to"] in every session's labels (merged into it when that
        class exists), or deleted (a["op"] == "delete": its labels removed). Each session is
        PUT with its version; the labels before are kept so class_undo can put them back."""
        old = (a.get("name") or "").strip()
        if old not in self.classes:
            raise ValueError("choose the class to change")
        if a.get("op") == "delete":
            new = None
        else:
            new = (a.get("to") or "").strip()
            if not 1 <= len(new) <= D.MAX_CLASS_LEN or "," in new:
                raise ValueError("a class name has 1..%d characters and no comma: type the "
                                 "new name (an existing class merges)" % D.MAX_CLASS_LEN)
            if new == old:
                raise ValueError("%s is already called that" % old)
        await self.ds.refresh()
        before, done, samples = list(self.classes), [], 0
        for m in self.ds.sessions():
            lab = m.get("labels") or {}
            if old not in (lab.get("classes") or ()) and old not in (lab.get("counts") or {}):
                continue
            if m.get("recording"):
                raise ValueError("stop the recording first: session #%s is still recording "
                                 "(nothing changed)" % m["id"])
            js = await net.call("GET", "/api/sessions/%d/labels" % m["id"])
            named = [(g["start"], g["end"], g["label"]) for g in js.get("segments", ())]
            segs, n = relabel.rename(named, old, new)
            body = {"version": js.get("version"),
                    "classes": relabel.class_list(js.get("classes") or [], old, new),
                    "segments": [{"start": x, "end": y, "label": c} for x, y, c in segs]}
            try:
                put = await net.call("PUT", "/api/sessions/%d/labels" % m["id"], body)
            except net.DeviceError as e:
                self.class_undo = ("the part of the change made", before, done) if done \
                    else self.class_undo
                raise net.DeviceError(e.status, "session #%s refused the change (%s): %d "
                                      "session(s) changed before it; undo puts them back"
                                      % (m["id"], e, len(done)))
            done.append((m["id"], js, put.get("version")))
            samples += n
        i = self.classes.index(old)
        if new is None or new in self.classes:
            self.classes.pop(i)
            if new is not None:
                self._class(new)
        else:
            self.classes[i] = new
        window.localStorage.setItem(CLASSES_KEY, json.dumps(self.classes))
        if self.rec_class == old:
            self.rec_class = new or ""
        what = ("deleted class %s" % old if new is None else
                "merged %s into %s" % (old, new) if new in before else
                "renamed %s to %s" % (old, new))
        what = "%s: %d session%s, %d samples" % (
            what, len(done), "" if len(done) == 1 else "s", samples)
        self.class_undo = (what, before, done)
        await self._after_class_edit()
        self.notice = what
        return {"sessions": [d[0] for d in done], "samples": samples}

    async def op_class_undo(self, a):
        """Put back the labels the last class edit changed (each PUT with the version that
        edit left); sessions changed elsewhere since then are named, not overwritten."""
        if not self.class_undo:
            raise ValueError("no class change to undo")
        what, before, done = self.class_undo
        failed = []
        for sid, js, after in done:
            body = {"version": after, "classes": js.get("classes") or [],
                    "segments": js.get("segments") or []}
            try:
                await net.call("PUT", "/api/sessions/%d/labels" % sid, body)
            except net.DeviceError as e:     # 409: changed since; 404: deleted
                if e.status != 404:
                    failed.append("#%s (%s)" % (sid, e))
        self.classes = []
        for c in before:
            self._class(c)
        window.localStorage.setItem(CLASSES_KEY, json.dumps(self.classes))
        self.class_undo = None
        await self._after_class_edit()
        if failed:
            raise ValueError("undid %s except in %s" % (what, ", ".join(failed)))
        self.notice = "undone: %s" % what
        return {"sessions": [d[0] for d in done]}

    async def _after_class_edit(self):
        await self.ds.refresh()
        if self.rec is not None:
            await self.ds.reload_labels(self.rec)
            self.segs = self.rec.indexed(self.classes)
            self.undo, self.redo = [], []

    def _need_rec(self):
        if self.rec is None:
            raise ValueError("open a session first")
        return self.rec

    async def op_select(self, a):
        r = self._need_rec()
        x0, x1 = int(a["start"]), int(a["end"])
        if x1 < x0:
            x0, x1 = x1, x0
        x0, x1 = max(0, x0), min(r.n_samples, x1)
        self.sel = (x0, x1) if x1 > x0 else None
        return {"sel": self.sel}

    async def op_click(self, a):
        """Select the window under sample x (windows start every hop); extend adds it to
        the selection."""
        r = self._need_rec()
        hop, win = r.meta.get("hop") or 1, r.meta.get("window") or 1
        k = max(0, min(int(a["x"]), r.n_samples - 1)) // hop * hop
        s, e = k, min(r.n_samples, k + win)
        if a.get("extend") and self.sel:
            s, e = min(s, self.sel[0]), max(e, self.sel[1])
        self.sel = (s, e)
        return {"sel": self.sel}

    async def op_move(self, a):
        """Arrow keys: move the selection by one hop (extend: grow/shrink its end)."""
        r = self._need_rec()
        hop = r.meta.get("hop") or 1
        d = hop * (1 if a.get("dir", 1) > 0 else -1)
        if self.sel is None:
            return await self.op_click({"x": 0})
        s, e = self.sel
        if a.get("extend"):
            e = max(s + 1, min(r.n_samples, e + d))
        else:
            d = max(-s, min(r.n_samples - e, d))
            s, e = s + d, e + d
        self.sel = (s, e)
        return {"sel": self.sel}

    async def _apply(self, segs, undo_entry):
        r = self._need_rec()
        try:
            await self.ds.save_labels(r, self.classes, segs)
        except DS.Conflict:
            self.segs = r.indexed(self.classes)
            self.undo, self.redo = [], []
            raise
        self.segs = segs
        return undo_entry

    async def op_label(self, a):
        """Give the selection class number a["cls"] (index; -1 clears)."""
        r = self._need_rec()
        c = int(a["cls"])
        if not -1 <= c < len(self.classes):
            raise ValueError("unknown class id %d: classes are 1..%d (number keys)"
                             % (c + 1, len(self.classes)))
        if self.sel is None:
            raise ValueError("select a range or a window first")
        new = D.assign(self.segs, self.sel[0], self.sel[1], None if c < 0 else c,
                       r.n_samples)
        old = self.segs
        await self._apply(new, None)
        self.undo.append(old)
        del self.undo[:-UNDO_MAX]
        self.redo = []
        return {"segments": len(new), "version": r.version}

    async def op_set_segments(self, a):
        """Replace the open session's labels: [[start, end, class index], ...] (checked)."""
        r = self._need_rec()
        segs = [(int(s), int(e), int(c)) for s, e, c in a["segments"]]
        D.check_segments(segs, r.n_samples, len(self.classes))
        old = self.segs
        await self._apply(segs, None)
        self.undo.append(old)
        self.redo = []
        return {"segments": len(segs), "version": r.version}

    async def op_undo(self, a):
        if not self.undo:
            raise ValueError("nothing to undo")
        prev = self.undo[-1]
        cur = self.segs
        await self._apply(prev, None)
        self.undo.pop()
        self.redo.append(cur)
        return {"version": self.rec.version}

    async def op_redo(self, a):
        if not self.redo:
            raise ValueError("nothing to redo")
        nxt = self.redo[-1]
        cur = self.segs
        await self._apply(nxt, None)
        self.redo.pop()
        self.undo.append(cur)
        return {"version": self.rec.version}

    # -- value labels ("concentration 0.25 mmol/L": app/values_page.py)
    async def _value(self, fn, *args):
        r = self._need_rec()
        if self.ds.meta(r.sid) and self.ds.meta(r.sid).get("recording"):
            raise ValueError("session #%s is still recording: stop it first" % r.sid)
        lab = await fn(r.sid, r.n_samples, *args)
        await self.ds.refresh()
        self.notice = ("session #%s: value %s" % (r.sid, self.values.state()["text"])
                       if lab else "session #%s: no value" % r.sid)
        return {"sid": r.sid, "value": lab}

    async def op_value_set(self, a):
        """The open session's value from the form: name, number (text), unit."""
        return await self._value(self.values.set, a)

    async def op_value_segment(self, a):
        """The selection gets the typed number as a value segment (empty: cleared)."""
        return await self._value(self.values.stretch, self.sel, a)

    async def op_value_delete(self, a):
        return await self._value(self.values.put, None)

    async def op_value_undo(self, a):
        return await self._value(self.values.back)

    async def op_reload(self, a):
        r = self._need_rec()
        await self.ds.reload_labels(r)
        self.segs = r.indexed(self.classes)
        return {"version": r.version}

    async def _all(self):
        await self.ds.refresh()
        recs = []
        for m in self.ds.sessions():
            if not m.get("recording"):
                recs.append(await self.ds.load(m["id"]))
        if not recs:
            raise ValueError("no sessions to export")
        if self.rec is not None:
            self.segs = self.rec.indexed(self.classes)
        return recs

    async def op_export_csv(self, a):
        recs = await self._all()
        chans = recs[0].channels
        rows = 0
        with open(EXPORT, "w") as f:
            f.write(csvio.header(chans))
            for r in recs:
                if r.channels != chans:
                    raise ValueError("sessions %s and %s have different channels: export "
                                     "them separately" % (recs[0].sid, r.sid))
                classes = []
                lab = D.sample_labels(D.from_names(r.segments, classes), r.n_samples)
                name = r.name.lstrip("#")
                for part in csvio.export_chunks(name, r.samples, len(chans), r.n_samples,
                                                r.rate, r.scale, lab, classes):
                    f.write(part)
                rows += r.n_samples
                await asyncio.sleep_ms(1)
        window.motebook.saveFile(EXPORT, "motebook.csv", "text/csv")
        return {"path": EXPORT, "rows": rows, "sessions": len(recs), "name": "motebook.csv",
                "type": "text/csv"}

    async def op_export_zip(self, a):
        from app.export import write_zip
        recs = await self._all()
        classes = list(self.classes)

        def labels(r):
            return D.sample_labels(D.from_names(r.segments, classes), r.n_samples)
        size = write_zip(EXPORT, recs, classes, labels)
        window.motebook.saveFile(EXPORT, "motebook-dataset.zip", "application/zip")
        return {"path": EXPORT, "bytes": size, "sessions": len(recs),
                "name": "motebook-dataset.zip", "type": "application/zip"}

    async def op_import_csv(self, a):
        """The CSV glue.js staged at IMPORT: every session in it is uploaded to the device
        (a session like a recorded one, labels included); nothing is uploaded when any line is
        bad, and an upload the device refuses (full, token) stops the import, saying which
        sessions made it."""
        if a.get("size", 0) > MAX_IMPORT_BYTES:
            raise ValueError("the file is %d bytes; at most %d can be imported"
                             % (a["size"], MAX_IMPORT_BYTES))
        with open(IMPORT, "rb") as f:
            text = f.read()
        p = csvio.Parser(text, scale=a.get("scale"))
        text = None
        while not p.step(4000):      # ~0.2 s of parsing, then the page gets a turn
            await asyncio.sleep_ms(1)
        parsed = p.result
        await self.ds.refresh()
        taken = [DS.display_name(m) for m in self.ds.sessions()]
        clash = [q["name"] for q in parsed if q["name"] in taken]
        if clash:
            raise ValueError("the device already has session(s) named %s: delete them first "
                             "or rename them in the file" % ", ".join(clash[:5]))
        done, classes = [], []
        t = now_s()
        try:
            for q in parsed:
                await self.ds.upload(q["name"], q["channels"], q["rate"], q["scale"],
                                     q["samples"], q["n_samples"], q["segments"], t)
                done.append(q["name"])
                for c in q["classes"]:
                    self._class(c)
                    if c not in classes:
                        classes.append(c)
                q["samples"] = None
                await asyncio.sleep_ms(1)
        except DS.DeviceError as e:
            await self.ds.refresh()
            raise DS.DeviceError(e.status, "imported %d of %d sessions, then the device "
                                 "refused %s" % (len(done), len(parsed), e))
        await self.ds.refresh()
        q = parsed[0]
        self.notice = ("imported %d session%s (%d rows at %d Hz; channels %s; classes %s) to "
                       "the device" % (len(done), "" if len(done) == 1 else "s",
                                       sum(x["n_samples"] for x in parsed), q["rate"],
                                       ", ".join(q["channels"]), ", ".join(classes) or "none"))
        return {"imported": done, "rows": sum(x["n_samples"] for x in parsed),
                "classes": classes}

    async def op_samples(self, a):
        """Test hook: one session's samples (counts), scale, rate and labels."""
        r = await self.ds.load(a["sid"])
        return {"n": r.n_samples, "channels": r.channels, "rate": r.rate, "scale": r.scale,
                "samples": list(r.samples), "segments": [list(s) for s in r.segments],
                "version": r.version}

    async def op_windows(self, a):
        """Test hook: Dataset.labelled_windows summary."""
        lw = await self.ds.labelled_windows(a["sids"], a["classes"], a["window"], a["hop"],
                                            explain=False)
        return {"windows": len(lw), "per_class": lw.per_class(len(a["classes"])),
                "first": list(lw.windows[0]) if len(lw) else None}



OPS = ("refresh", "open", "record", "stop", "delete", "add_class", "choose", "class_edit",
       "class_undo", "select", "click", "move",
       "label", "set_segments", "undo", "redo", "reload", "export_csv", "export_zip",
       "import_csv", "samples", "windows", "value_set", "value_segment", "value_delete",
       "value_undo")


def install(B):
    """The ops as the bridge's actions "sessions.<op>", one at a time; the "sessions" part is
    the panel's state() after each (also after a refusal: a 409 reloads the labels)."""
    panel = Panel()
    B.part("sessions", notice="", **panel.state())

    said = [""]              # the last notice of an op a person ran: a refresh (the device's
                             # change messages run many) keeps it on screen

    def make(fn, quiet):
        async def run(a):
            panel.notice = said[0] if quiet else ""
            try:
                out = await fn(a)
            finally:
                B.update("sessions", **panel.state())
            said[0] = panel.notice
            B.update("sessions", notice=panel.notice)
            return out
        return run
    for name in OPS:
        B.action("sessions." + name, part="sessions", lock="sessions")(
            make(getattr(panel, "op_" + name), name == "refresh"))

    async def follow():     # while recording: the elapsed time every second, the list every 2
        k = 0
        while True:
            await asyncio.sleep(1)
            if B.state["sessions"].get("recording") is not None and not B.busy:
                k += 1
                if k % 2:
                    B.update("sessions", rec_live=panel._rec_live())
                    B.flush()
                else:
                    await B.act("sessions.refresh")
    asyncio.create_task(follow())
    B.fire("sessions.refresh")
    return panel

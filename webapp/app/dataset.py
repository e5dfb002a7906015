# The page's copy of the device's sessions (the device is the source of truth): recorded ones
# and CSV imports, which are uploaded to the device (POST /api/sessions/import) so every
# browser sees them and their labels are versioned alike. Downloads and labels are cached in
# IndexedDB by glue.js (window.motebook.ds), so a reload downloads only windows recorded since.
# Memory: one array('h') per loaded recording (n_channels * n_samples), kept until forget().
import asyncio
import json

from pyscript import window

from shared import dataset as D
from app import net
from app.net import DeviceError

_STAGE = "/ds_stage.bin"
_UPLOAD = "/ds_upload.bin"


class Conflict(DeviceError):
    """PUT labels answered 409: someone else changed them; the recording was reloaded."""


class Recording:
    """One session: .samples array('h') channel-major n_channels x n_samples, .n_samples,
    .rate, .channels (names), .scale, .classes (names), .segments [(start, end, class name)],
    .version (labels version on the device), .sid, .name, .meta."""

    def __init__(self, sid, meta, samples, n_samples):
        self.sid, self.meta = sid, meta
        self.samples, self.n_samples = samples, n_samples
        self.rate = meta.get("rate", 0)
        self.channels = list(meta.get("channels") or [])
        self.scale = meta.get("scale", 1.0)
        self.classes = []
        self.segments = []
        self.version = None
        self.imported = meta.get("source") == "import"
        self.name = meta.get("name") or "#%s" % sid
        self.gaps = 0

    def set_labels(self, lab):
        """From the device's labels JSON {version, classes, segments:[{start,end,label}]}."""
        self.version = lab.get("version")
        self.classes = list(lab.get("classes") or [])
        self.segments = [(s["start"], s["end"], s["label"]) for s in lab.get("segments", ())]
        self.segments.sort()

    def labels_json(self, version=None):
        return json.dumps({"version": self.version if version is None else version,
                           "classes": self.classes,
                           "segments": [{"start": s, "end": e, "label": n}
                                        for s, e, n in self.segments]})

    def indexed(self, classes):
        """Segments as (start, end, index into classes); unknown names are appended."""
        return D.from_names(self.segments, classes)


def _meta_key(sid):
    return int(sid)


def display_name(m):
    """What the page calls a session: an import's name, else #id."""
    return m.get("name") or "#%s" % m["id"]


class Dataset:
    def __init__(self):
        self._meta = {}        # sid -> metadata dict (device sessions and imports)
        self._loaded = {}      # sid -> Recording
        self.online = True     # the last device request got an answer
        self.status = {}       # storage_used, storage_budget, recording... of the last list

    # -- the list
    async def refresh(self):
        """Reread the device's session list (and this browser's imports). Offline, keeps the
        cached list and sets .online False."""
        ds = window.motebook.ds
        try:
            js = await net.call("GET", "/api/sessions")
        except DeviceError as e:
            if e.status:
                raise
            js = None
        if js is not None:
            self.online = True
            meta = {}
            for m in js.get("sessions", ()):
                meta[m["id"]] = m
            for k in js:
                if k != "sessions":
                    self.status[k] = js[k]
            await ds.put("sessions", json.dumps(js.get("sessions", [])))
            for sid in list(self._loaded):   # deleted on the device (or by another page)
                if sid not in meta:
                    self.forget(sid)
            for k in json.loads(await ds.keys()):   # and their cached copies
                if k.startswith("win:") or k.startswith("labels:"):
                    n = k.split(":", 1)[1]
                    if not n.isdigit() or int(n) not in meta:
                        await ds.del_(k)
        else:
            self.online = False
            cached = await ds.get("sessions")
            meta = {}
            for m in json.loads(cached) if cached else ():
                meta[m["id"]] = m
        self._meta = meta
        return self.sessions()

    def sessions(self):
        """Metadata dicts (id, started, rate, channels, windows, hop, samples, labels...):
        recorded sessions by id, then imports by name in natural order (train-2 before
        train-10)."""
        rec = sorted([k for k in self._meta if self._meta[k].get("source") != "import"])
        imp = D.natural_sorted([k for k in self._meta if self._meta[k].get("source") == "import"],
                               key=lambda k: self._meta[k].get("name") or "")
        return [self._meta[k] for k in rec + imp]

    def meta(self, sid):
        return self._meta.get(_meta_key(sid))

    def loaded(self, sid):
        return self._loaded.get(_meta_key(sid))

    def forget(self, sid):
        self._loaded.pop(sid, None)

    # -- one session
    async def load(self, sid, labels=True):
        """The Recording of session sid: windows from the IndexedDB cache plus any recorded
        since (a recording session grows), labels from the device (the cached copy when it
        cannot be reached)."""
        sid = _meta_key(sid)
        m = self._meta.get(sid)
        if m is None:
            await self.refresh()
            m = self._meta.get(sid)
            if m is None:
                raise DeviceError(404, "unknown session %r" % (sid,))
        rec = self._loaded.get(sid)
        if rec is None or rec.meta.get("windows") != m["windows"] or m.get("recording"):
            raw = await window.motebook.ds.windows(sid, m["started"], m["windows"], _STAGE)
            r = json.loads(raw)
            if "n" not in r:                 # the device's refusal, or not reachable
                net.result(raw, what="session %d" % sid)
            n_rec, fs = r["n"], r["frame_size"]
            raw = bytearray(n_rec * fs)
            if n_rec:
                with open(_STAGE, "rb") as f:
                    f.readinto(raw)
            samples, nch, n, rate, scale, gaps = D.deblock(raw, n_rec, fs)
            raw = None
            real = m.get("samples", n)
            if real < n:     # an import's last frame is padded
                samples = D.cut_window(samples, nch, n, 0, real)
                n = real
            rec = Recording(sid, m, samples, n)
            rec.gaps = gaps
            rec.download = r
            self._loaded[sid] = rec
        if labels:
            await self.reload_labels(rec)
        return rec

    async def reload_labels(self, rec):
        ds = window.motebook.ds
        key = "labels:%d" % rec.sid
        try:
            js = await net.call("GET", "/api/sessions/%d/labels" % rec.sid)
        except DeviceError as e:
            if e.status:
                raise
            self.online = False
            cached = await ds.get(key)
            if cached:
                rec.set_labels(json.loads(cached))
            return rec
        self.online = True
        rec.set_labels(js)
        await ds.put(key, json.dumps(js))
        return rec

    async def save_labels(self, rec, classes, segments):
        """Store segments [(start, end, class index into classes)] as rec's labels: checked
        here, then PUT with rec.version. Policy while the device is unreachable: refuse
        (DeviceError status 0, nothing changed) - the page undoes the edit and says so, so no
        edit waits unseen in this browser. 409: Conflict after reloading the device's labels."""
        D.check_segments(segments, rec.n_samples, len(classes))
        used = [False] * len(classes)
        for s, e, c in segments:
            used[c] = True
        keep = [c for i, c in enumerate(classes) if used[i] or c in rec.classes]
        body = {"version": rec.version, "classes": keep,
                "segments": [{"start": s, "end": e, "label": classes[c]}
                             for s, e, c in segments]}
        try:
            js = await net.call("PUT", "/api/sessions/%d/labels" % rec.sid, body)
        except DeviceError as e:
            if e.status == 0:
                self.online = False
                raise DeviceError(0, "the device cannot be reached: this edit was not saved "
                                  "(edits are refused while offline)")
            if e.status == 409:
                await self.reload_labels(rec)
                raise Conflict(409, "labels were changed elsewhere (now version %s): reloaded "
                               "them from the device, your edit was not applied" % rec.version)
            raise
        self.online = True
        rec.version = js["version"]
        rec.classes = keep
        rec.segments = [(s, e, classes[c]) for s, e, c in segments]
        await window.motebook.ds.put("labels:%d" % rec.sid, rec.labels_json())
        m = self._meta.get(rec.sid)
        if m is not None:
            m["labels"] = js
        return rec

    async def load_many(self, sids, parallel=2):
        """The Recordings of sids (in order): every session's labels in one request (GET
        /api/labels; one per session only when that fails), the windows not cached yet
        downloaded `parallel` at a time (the device serves 2 downloads at once)."""
        labs = {}
        ids = [_meta_key(s) for s in sids]
        try:
            js = await net.call("GET", "/api/labels?ids=" + ",".join(str(i) for i in ids))
            for k in js.get("labels") or {}:
                labs[int(k)] = js["labels"][k]
        except (DeviceError, ValueError, AttributeError):
            labs = {}
        out = {}
        todo = list(ids)

        async def worker():
            while todo:
                sid = todo.pop(0)
                lab = labs.get(sid)
                rec = await self.load(sid, labels=lab is None)
                if lab is not None:
                    rec.set_labels(lab)
                    await window.motebook.ds.put("labels:%d" % sid, json.dumps(lab))
                out[sid] = rec
        await asyncio.gather(*[worker() for _ in range(min(parallel, len(ids)) or 1)])
        return [out[sid] for sid in ids]

    # -- training data
    async def labelled_windows(self, sids, classes, window, hop, explain=True):
        """shared.dataset.LabelledWindows over the sessions sids: windows channel-major
        array('h') of n_channels x window every hop samples; a window is labelled only when
        one segment covers all of it (shared/dataset.py); with the session and scale of each.
        Raises DatasetError for sessions of other channels or rates, or, naming the reason
        (windows longer than the sessions...), when there is nothing to train on (unless
        explain is False)."""
        recs = await self.load_many(sids)
        found = D.labelled_windows(recs, classes, window, hop)
        why = D.explain(recs, classes, window, found) if explain else None
        if why:
            raise D.DatasetError(why)
        return found

    # -- imports: uploaded to the device as sessions
    async def upload(self, name, channels, rate, scale, samples, n_samples, segments,
                     started=None):
        """A recording made elsewhere becomes a device session: POST the frames, then PUT its
        labels [(start, end, class name)]. Returns the session's metadata; DeviceError with
        the device's reason (507 full, 401 token...) when it is refused."""
        hop = D.import_hop(len(channels))
        with open(_UPLOAD, "wb") as f:
            f.write(D.upload_frames(samples, len(channels), n_samples, hop, rate, scale))
        q = "name=%s&channels=%s&samples=%d" % (_quote(name), _quote(",".join(channels)),
                                                n_samples)
        if started is not None:
            q += "&time=%s" % started
        m = await net.send("POST", "/api/sessions/import?" + q, _UPLOAD, what=name)
        self._meta[m["id"]] = m
        if segments:
            classes = []
            for s, e, c in segments:
                if c not in classes:
                    classes.append(c)
            rec = Recording(m["id"], m, None, n_samples)
            rec.version = m["labels"]["version"]
            await self.save_labels(rec, classes, [(s, e, classes.index(c))
                                                  for s, e, c in segments])
        return m

    async def delete(self, sid):
        sid = _meta_key(sid)
        ds = window.motebook.ds
        await net.call("DELETE", "/api/sessions/%d" % sid)
        self._meta.pop(sid, None)
        await ds.del_("win:%d" % sid)
        await ds.del_("labels:%d" % sid)
        self.forget(sid)


def _quote(s):
    """Percent-encode s for a query string value (MicroPython has no urllib)."""
    out = []
    for b in s.encode():
        c = chr(b)
        out.append(c if b < 128 and (c.isalpha() or c.isdigit() or c in "-_.~")
                   else "%%%02X" % b)
    return "".join(out)


_ONE = []


def get():
    """The page's one Dataset (the sessions panel and the train panel share its cache)."""
    if not _ONE:
        _ONE.append(Dataset())
    return _ONE[0]

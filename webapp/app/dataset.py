# The page's copy of the device's recorded sessions (the device is the source of truth) plus
# sessions imported from CSV (kept only in this browser). Downloads and labels are cached in
# IndexedDB by glue.js (window.motebook.ds), so a reload downloads only windows recorded since.
# Memory: one array('h') per loaded recording (n_channels * n_samples), kept until forget().
import json
import os

from pyscript import window

from shared import dataset as D
from shared.compat import bytes_view

_STAGE = "/ds_stage.bin"


class DeviceError(Exception):
    """A request the device refused (status, message) or could not be reached (status 0)."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


class Conflict(DeviceError):
    """PUT labels answered 409: someone else changed them; the recording was reloaded."""


class Recording:
    """One session: .samples array('h') channel-major n_channels x n_samples, .n_samples,
    .rate, .channels (names), .scale, .classes (names), .segments [(start, end, class name)],
    .version (labels version on the device, None for imports), .sid, .meta."""

    def __init__(self, sid, meta, samples, n_samples):
        self.sid, self.meta = sid, meta
        self.samples, self.n_samples = samples, n_samples
        self.rate = meta.get("rate", 0)
        self.channels = list(meta.get("channels") or [])
        self.scale = meta.get("scale", 1.0)
        self.classes = []
        self.segments = []
        self.version = None
        self.imported = sid_is_import(sid)
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


def sid_is_import(sid):
    return isinstance(sid, str) and sid.startswith("csv:")


def _meta_key(sid):
    return sid if sid_is_import(sid) else int(sid)


async def request(method, path, body=None):
    """(status, parsed JSON or None, text) of a device request with the stored token;
    status 0 when the device could not be reached."""
    r = json.loads(await window.motebook.ds.request(method, path, body))
    try:
        js = json.loads(r["text"]) if r["text"] else None
    except ValueError:
        js = None
    return r["status"], js, r["text"]


def _error(status, js, text):
    msg = (js or {}).get("error") if isinstance(js, dict) else None
    return msg or text or ("device unreachable" if not status else "HTTP %d" % status)


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
        st, js, text = await request("GET", "/api/sessions")
        ds = window.motebook.ds
        if st == 200:
            self.online = True
            meta = {}
            for m in js.get("sessions", ()):
                meta[m["id"]] = m
            for k in js:
                if k != "sessions":
                    self.status[k] = js[k]
            await ds.put("sessions", json.dumps(js.get("sessions", [])))
            for sid in list(self._loaded):   # deleted on the device (or by another page)
                if not sid_is_import(sid) and sid not in meta:
                    self.forget(sid)
            for k in json.loads(await ds.keys()):   # and their cached copies
                if k.startswith("win:") or k.startswith("labels:"):
                    n = k.split(":", 1)[1]
                    if not n.isdigit() or int(n) not in meta:
                        await ds.del_(k)
        else:
            self.online = st != 0 and self.online
            if st != 0:
                raise DeviceError(st, _error(st, js, text))
            self.online = False
            cached = await ds.get("sessions")
            meta = {}
            for m in json.loads(cached) if cached else ():
                meta[m["id"]] = m
        imports = await ds.get("imports")
        for m in json.loads(imports) if imports else ():
            meta[m["id"]] = m
        self._meta = meta
        return self.sessions()

    def sessions(self):
        """Metadata dicts (device: id, started, rate, channels, windows, hop, labels...;
        imports: id "csv:<name>", source "csv"), device sessions first by id."""
        dev = sorted([k for k in self._meta if not sid_is_import(k)])
        imp = sorted([k for k in self._meta if sid_is_import(k)])
        return [self._meta[k] for k in dev + imp]

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
        if sid_is_import(sid):
            return await self._load_import(sid, m)
        rec = self._loaded.get(sid)
        if rec is None or rec.meta.get("windows") != m["windows"] or m.get("recording"):
            r = json.loads(await window.motebook.ds.windows(
                sid, m["started"], m["windows"], _STAGE))
            if r.get("error"):
                raise DeviceError(r.get("status", 0), "session %d: %s" % (sid, r["error"]))
            n_rec, fs = r["n"], r["frame_size"]
            raw = bytearray(n_rec * fs)
            if n_rec:
                with open(_STAGE, "rb") as f:
                    f.readinto(raw)
            samples, nch, n, rate, scale, gaps = D.deblock(raw, n_rec, fs)
            raw = None
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
        st, js, text = await request("GET", "/api/sessions/%d/labels" % rec.sid)
        if st == 200:
            self.online = True
            rec.set_labels(js)
            await ds.put(key, text)
        elif st == 0:
            self.online = False
            cached = await ds.get(key)
            if cached:
                rec.set_labels(json.loads(cached))
        else:
            raise DeviceError(st, _error(st, js, text))
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
        if rec.imported:
            rec.classes = keep
            rec.segments = [(s, e, classes[c]) for s, e, c in segments]
            await self._store_import(rec)
            return rec
        st, js, text = await request("PUT", "/api/sessions/%d/labels" % rec.sid,
                                     json.dumps(body))
        if st == 200:
            self.online = True
            rec.version = js["version"]
            rec.classes = keep
            rec.segments = [(s, e, classes[c]) for s, e, c in segments]
            await window.motebook.ds.put("labels:%d" % rec.sid, rec.labels_json())
            m = self._meta.get(rec.sid)
            if m is not None:
                m["labels"] = js
            return rec
        if st == 0:
            self.online = False
            raise DeviceError(0, "the device cannot be reached: this edit was not saved "
                              "(edits are refused while offline)")
        if st == 409:
            await self.reload_labels(rec)
            raise Conflict(409, "labels were changed elsewhere (now version %s): reloaded "
                           "them from the device, your edit was not applied" % rec.version)
        raise DeviceError(st, _error(st, js, text))

    # -- training data
    async def labelled_windows(self, sids, classes, window, hop):
        """(windows, labels) over the sessions sids: windows channel-major array('h') of
        n_channels x window every hop samples; a window is labelled only when one segment
        covers all of it (shared/dataset.py), others and classes not in `classes` are
        skipped; labels are indexes into classes."""
        recs = []
        for sid in sids:
            recs.append(await self.load(sid))
        return D.labelled_windows(recs, classes, window, hop)

    # -- imported (CSV) sessions: samples and labels only in this browser's IndexedDB
    async def add_import(self, name, channels, rate, scale, samples, n_samples, classes,
                         segments):
        sid = "csv:" + name
        m = {"id": sid, "source": "csv", "name": name, "rate": rate, "channels": channels,
             "scale": scale, "samples": n_samples, "windows": 0, "hop": 1,
             "duration_s": n_samples / rate if rate else 0, "started": 0}
        rec = Recording(sid, m, samples, n_samples)
        rec.classes = list(classes)
        rec.segments = list(segments)
        self._meta[sid] = m
        self._loaded[sid] = rec
        await self._store_import(rec)
        return rec

    async def _store_import(self, rec):
        with open(_STAGE, "wb") as f:
            f.write(bytes_view(rec.samples, 2 * len(rec.samples)))
        lab = rec.labels_json(0)
        await window.motebook.ds.putFile("import:" + rec.sid, _STAGE, lab)
        await window.motebook.ds.put("imports", json.dumps(
            [m for k, m in self._meta.items() if sid_is_import(k)]))

    async def _load_import(self, sid, m):
        rec = self._loaded.get(sid)
        if rec is not None:
            return rec
        lab = await window.motebook.ds.getFile("import:" + sid, _STAGE)
        if not lab:
            raise DeviceError(404, "imported session %r is no longer in this browser" % sid)
        n = os.stat(_STAGE)[6] // 2
        samples = D.zeros(n)
        with open(_STAGE, "rb") as f:
            f.readinto(bytes_view(samples, 2 * n))
        rec = Recording(sid, m, samples, m["samples"])
        rec.set_labels(json.loads(lab))
        rec.version = None
        self._loaded[sid] = rec
        return rec

    async def delete(self, sid):
        sid = _meta_key(sid)
        ds = window.motebook.ds
        if sid_is_import(sid):
            self._meta.pop(sid, None)
            await ds.del_("import:" + sid)
            await ds.put("imports", json.dumps(
                [m for k, m in self._meta.items() if sid_is_import(k)]))
        else:
            st, js, text = await request("DELETE", "/api/sessions/%d" % sid)
            if st != 200:
                raise DeviceError(st, _error(st, js, text))
            self._meta.pop(sid, None)
            await ds.del_("win:%d" % sid)
            await ds.del_("labels:%d" % sid)
        self.forget(sid)


_ONE = []


def get():
    """The page's one Dataset (the sessions panel and the train panel share its cache)."""
    if not _ONE:
        _ONE.append(Dataset())
    return _ONE[0]

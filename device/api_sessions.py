# HTTP API of recorded sessions (/api/sessions...), installed by api.create_app; writes need
# the token (@app.guard). Shapes and the on-flash format are in device/SESSIONS.md. Memory: lists and labels are streamed; a
# range download uses one buffer of at most STREAM_BUF bytes, MAX_DOWNLOADS at a time;
# session_import (1.2 KB) is loaded for an import and dropped after.
import gc
import json
import time

from microdot import Response

import clock
import httpd as H
import label_file
import session_store as sessions
from httpd import err, json_body
from model_store import forget
from recorder import RecordingError, labels, unload_labels
from shared.limits import MAX_CLASS_LEN

STREAM_BUF = 1024   # like Microdot's send_file buffer; larger blocks may not exist in a full heap
VALUE_BODY = 4096   # a value label with its value segments (about 100 of them)
MAX_DOWNLOADS = 2
_STALE_MS = 30000   # a download slot not advanced for this long is taken as dead


def _int_arg(request, name, default):
    v = request.args.get(name)
    if v is None or v == "":
        return default
    if not v.isdigit() or len(v) > 9:
        raise ValueError("%s must be a non-negative integer, got %r" % (name, v))
    return int(v)


def install(app, dev):
    rec = dev.rec
    store = rec.store
    slots = []   # one [ticks of last progress, session id] per running download

    def meta_of(sid):
        rec.check()
        m = rec.live_meta() if sid == rec.sid else store.read_json(sid, "meta.json")
        if m is not None:
            if "samples" not in m:       # (an import stores its own: its last frame is padded)
                m["samples"] = m["windows"] * m["hop"]
            m["duration_s"] = m["samples"] / m["rate"]
        return m

    def find(text):
        """(sid, meta, None) or (None, None, error response)."""
        sid = int(text) if text.isdigit() and len(text) < 9 else None
        m = meta_of(sid) if sid is not None else None
        if m is None:
            return None, None, err(404, "unknown session %r" % text)
        return sid, m, None

    def save_labels_summary(sid, summary, key="labels"):
        if sid == rec.sid:
            rec.meta[key] = summary
            store.write_json(sid, "meta.json", rec.meta)
        else:
            m = store.read_json(sid, "meta.json")
            m[key] = summary
            store.write_json(sid, "meta.json", m)

    # -- value labels ("concentration 0.25 mmol/L"): the session's value and value segments in
    # sessions/<id>/value.json, a summary in meta.json "value"; checked by shared.values
    # (imported for the PUT, then dropped)
    @app.get("/api/sessions/<sid>/value")
    def get_value(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        v = store.read_json(sid, "value.json")
        return v if v is not None else err(404, "session %d has no value label" % sid)

    @app.put("/api/sessions/<sid>/value")
    @app.own_body
    @app.guard
    async def put_value(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        await app.read_body(request, VALUE_BODY)
        body = json_body(request)
        from shared import values as V
        try:
            if not isinstance(body, dict):
                raise ValueError('session #%d: the body is {"name", "value", "unit"} and '
                                 'optionally "segments": [[start, end, value], ...]' % sid)
            segs = body.get("segments", [])
            if not isinstance(segs, list):
                raise ValueError("session #%d: segments must be a list of [start, end, value]"
                                 % sid)
            lab = V.check_label(dict((k, body[k]) for k in body if k != "segments"), sid)
            segs = V.check_segments(segs, m["samples"], sid)
            if lab["value"] is None and not segs:
                raise ValueError("session #%d: give the session's value, or value segments"
                                 % sid)
            for o in store.ids():           # one quantity, one unit across the sessions
                ov = (meta_of(o) or {}).get("value") if o != sid else None
                if ov and ov["name"] == lab["name"] and ov["unit"] != lab["unit"]:
                    raise ValueError("session #%d: %s in %r, but session #%d has %s in %r: "
                                     "use one unit" % (sid, lab["name"], lab["unit"], o,
                                                       ov["name"], ov["unit"]))
        except ValueError as ex:    # shared.dataset.DatasetError naming the session/segment
            return err(400, str(ex))
        finally:
            import model_store
            model_store.forget("shared.values", "shared.dataset")
        lab["segments"] = [[a, b, v] for a, b, v in segs]
        store.write_json(sid, "value.json", lab)
        save_labels_summary(sid, {"name": lab["name"], "value": lab["value"],
                                  "unit": lab["unit"], "segments": len(segs)}, "value")
        return lab

    @app.delete("/api/sessions/<sid>/value")
    @app.guard
    def delete_value(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        import os
        p = store.path(sid, "value.json")
        try:
            size = os.stat(p)[6]
            os.remove(p)
            store.used -= size
        except OSError:
            return err(404, "session %d has no value label" % sid)
        save_labels_summary(sid, None, "value")
        return {"deleted": "value", "id": sid}

    @app.post("/api/sessions")
    @app.guard
    def start(request):
        body = json_body(request) if request.body else None
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return err(400, 'body must be empty or a JSON object like {"label": "walking"}')
        for k in body:
            if k not in ("label", "time"):
                return err(400, "unknown field %r (valid: label, time)" % k, field=k)
        label = body.get("label")
        if label is not None and (not isinstance(label, str)
                                  or not 1 <= len(label) <= MAX_CLASS_LEN):
            return err(400, "label must be a class name of 1..%d characters"
                       % MAX_CLASS_LEN, field="label")
        t = body.get("time")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t < 0):
            return err(400, "time must be the wall-clock time in seconds since 1970",
                       field="time")
        try:
            return meta_of(rec.start(label, t)["id"]), 201
        except RecordingError as e:
            return err(e.status, str(e))
        except MemoryError:
            return err(503, "not enough memory to record")

    importing = []
    import session_import
    IMPORT = session_import.PATH
    forget("session_import")

    @app.post(IMPORT)
    @app.own_body
    @app.guard
    async def import_session(request):
        """A recording made elsewhere (frames of int16 samples) becomes a session."""
        import sys
        mine = "session_import" not in sys.modules
        try:
            return await upload(request)
        finally:
            if mine:
                forget("session_import")

    async def upload(request):
        import session_import
        n = request.content_length
        denied = None
        if importing:
            denied = err(409, "another import is in progress: retry when it is done")
        if not denied:
            try:
                name, chans, samples, t = session_import.parse_args(request.args, n)
            except ValueError as ex:
                denied = err(getattr(ex, "status", 400), str(ex))
        if denied:
            await H.drain(request.stream, n)
            return denied
        gc.collect()
        up = session_import.Upload(store, rec.budget(), store.flash_free(), name, chans,
                                   samples, t if t is not None else clock.now(),
                                   "client" if t is not None else clock.source)
        importing.append(up)
        left = n
        stream = request.stream
        try:
            head = bytearray(20)
            await H.read_exactly(stream, head)
            left -= 20
            fs = up.start(head, n)
            buf = bytearray(up.rs)
            mv = memoryview(buf)
            mv[:20] = head
            await H.read_exactly(stream, mv[20:fs])
            left -= fs - 20
            up.frame(buf)
            while left > 0:
                await H.read_exactly(stream, mv[:fs])
                left -= fs
                up.frame(buf)
            m = up.finish()
        except ValueError as ex:        # session_import's refusals (400, 507)
            up.abort()
            await H.drain(request.stream, left)
            return err(getattr(ex, "status", 400), str(ex))
        except MemoryError:
            up.abort()
            await H.drain(request.stream, left)
            return err(503, "not enough memory for an import now: retry")
        except Exception:               # cut off (EOFError), stalled (timeout), socket error
            up.abort()
            print("motebook: import cut off after %d of %d bytes" % (n - left, n))
            return err(400, "upload cut off after %d of %d bytes" % (n - left, n))
        finally:
            importing.remove(up)
        print("motebook: session %d imported (%s, %d samples)" % (m["id"], name, samples))
        return meta_of(m["id"]), 201

    app.allow_big_body("POST", IMPORT)

    @app.get("/api/sessions/<sid>/predictions")
    def predictions(request, sid):
        """The device's class of each recorded window while a model ran (pred.bin)."""
        sid, m, e = find(sid)
        if e:
            return e
        if sid == rec.sid:
            rec.flush()
            m = meta_of(sid)
        p = m.get("predictions")
        if not p:
            return err(404, "session %d has no predictions: they are kept when a model runs "
                       "on the device while the session records" % sid)
        return Response.send_file(store.path(sid, "pred.bin"),
                                  content_type="application/octet-stream")

    @app.get("/api/sessions/<sid>/scores")
    def scores(request, sid):
        """The running anomaly model's score and state of every window of the session (the
        on-device check of an anomaly model; session_scores.py, imported on demand)."""
        sid, m, e = find(sid)
        if e:
            return e
        import session_scores
        return session_scores.answer(dev, store, sid, m, sid == rec.sid)

    @app.get("/api/sessions")
    def list_sessions(request):
        def gen():
            yield '{"sessions": ['
            first = True
            for sid in store.ids():
                m = meta_of(sid)
                if m is None:
                    continue
                yield ("" if first else ", ") + json.dumps(m)
                first = False
            st = rec.status()
            st["max_sessions"] = sessions.MAX_SESSIONS
            yield "], " + json.dumps(st)[1:]
        return Response(body=gen(), headers={"Content-Type": "application/json"})

    @app.get("/api/sessions/<sid>")
    def get_session(request, sid):
        sid, m, e = find(sid)
        return e or m

    @app.post("/api/sessions/<sid>/stop")
    @app.guard
    def stop(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        if sid != rec.sid:
            return err(409, "session %d is not recording" % sid)
        rec.stop()
        return meta_of(sid)

    @app.delete("/api/sessions/<sid>")
    @app.guard
    def delete(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        if sid == rec.sid:
            return err(409, "session %d is recording: stop it first" % sid)
        if [s for s in slots if s[1] == sid]:
            return err(409, "session %d is being downloaded: retry when that is done" % sid)
        store.delete(sid)
        rec.finish_recovery()   # what boot recovery left on a full flash: room now?
        return {"deleted": sid, "storage_used": store.used}

    def take_slot(sid, unit):
        """A download slot and its buffer (whole units, at most STREAM_BUF bytes; one unit in a
        fragmented heap): (slot, buf), or (error response, None)."""
        now = time.ticks_ms()
        for s in list(slots):
            if time.ticks_diff(now, s[0]) > _STALE_MS:
                slots.remove(s)
        if len(slots) >= MAX_DOWNLOADS:
            return err(503, "too many downloads at once (max %d): retry" % MAX_DOWNLOADS), None
        try:
            buf = bytearray(max(1, STREAM_BUF // unit) * unit)
        except MemoryError:   # a fragmented heap: one frame at a time still streams
            gc.collect()
            try:
                buf = bytearray(unit)
            except MemoryError:
                return err(503, "not enough memory for a download now: retry"), None
        slot = [now, sid]
        slots.append(slot)
        return slot, buf

    @app.get("/api/sessions/<sid>/audio.wav")
    @app.get("/api/sessions/<sid>/mel")
    def audio_file(request, sid):
        """A microphone session's audio.wav (its exact sizes in the header, also while it
        records or after a cut) or mel.bin (whole mel frames), streamed in 1 KB blocks."""
        sid, m, e = find(sid)
        if e:
            return e
        if sid == rec.sid:
            rec.flush()           # what the sound task buffered becomes readable
            m = meta_of(sid)
        if not m.get("audio"):
            return err(404, "session %d has no audio" % sid)
        import audio_rec
        return audio_rec.serve(request, store, sid, m, sid != rec.sid, take_slot, slots)

    @app.get("/api/sessions/<sid>/windows")
    def windows(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        if sid == rec.sid:
            rec.flush()           # every buffered record becomes readable
            m = meta_of(sid)
        total = m["windows"]
        fs, rs = m["frame_size"], m["record_size"]
        try:
            start = _int_arg(request, "start", 0)
            count = _int_arg(request, "count", total - start)
        except ValueError as ex:
            return err(400, str(ex))
        if start > total:
            return err(400, "start %d is out of range: session %d has %d windows"
                       % (start, sid, total))
        count = min(count, total - start)
        hdrs = {"Content-Type": "application/octet-stream", "Content-Length": str(count * fs),
                "X-Start": str(start), "X-Count": str(count), "X-Total": str(total),
                "X-Frame-Size": str(fs), "Cache-Control": "no-store"}
        if not count or request.method == "HEAD":
            # (Microdot cannot send an empty generator; a HEAD takes no download slot: its
            # generator would never run, so nothing would free the slot)
            return Response(body=b"", headers=hdrs)
        slot, buf = take_slot(sid, fs)
        if buf is None:
            return slot

        def gen():
            try:
                mv = memoryview(buf)
                for k in store.read_records(sid, rs, start, count, buf, fs):
                    slot[0] = time.ticks_ms()
                    yield mv[:k]
            finally:
                if slot in slots:
                    slots.remove(slot)
        return Response(body=gen(), headers=hdrs)

    def labels_json(sid, m, b):
        """A session's labels as JSON pieces: the stored file with "samples" added before its
        last "}" (b: a read buffer), or the open recording's live labels."""
        if m["labels"].get("open"):
            yield json.dumps(label_file.live(m))
            return
        with open(store.path(sid, "labels.json"), "rb") as f:
            prev = None
            while True:
                k = f.readinto(b)
                if not k:
                    break
                if prev:
                    yield prev
                prev = bytes(b[:k])
            if prev:
                yield prev[:-1]
        yield ', "samples": %d}' % m["samples"]

    @app.get("/api/sessions/<sid>/labels")
    def get_labels(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        if m["labels"].get("open"):
            return label_file.live(m)
        return Response(body=labels_json(sid, m, bytearray(512)),
                        headers={"Content-Type": "application/json"})

    @app.get("/api/labels")
    def all_labels(request):
        """Every session's labels in one answer ({"labels": {"<id>": labels}}; ?ids=1,2 for
        some): what training needs in one request instead of one per session."""
        want = request.args.get("ids")
        try:
            want = [int(x) for x in want.split(",") if x] if want else None
        except ValueError:
            return err(400, "ids must be session ids separated by commas, e.g. ids=1,2")

        def gen():
            b = bytearray(512)
            yield '{"labels": {'
            first = True
            for sid in store.ids():
                if want is not None and sid not in want:
                    continue
                m = meta_of(sid)
                if m is None:
                    continue
                yield '%s"%d": ' % ("" if first else ", ", sid)
                first = False
                for piece in labels_json(sid, m, b):
                    yield piece
            yield "}}"
        return Response(body=gen(), headers={"Content-Type": "application/json"})

    @app.put("/api/sessions/<sid>/labels")
    @app.own_body
    @app.guard
    async def put_labels(request, sid):
        sid, m, e = find(sid)
        if e:
            return e
        await app.read_body(request, H.MAX_BODY)
        try:
            summary = labels().put(store, sid, request.body or b"", m["samples"], m["labels"])
        except ValueError as ex:   # labels.LabelError
            st = getattr(ex, "status", 400)
            if getattr(ex, "version", None) is not None:
                return err(st, str(ex), version=ex.version)
            return err(st, str(ex))
        finally:
            unload_labels()
        save_labels_summary(sid, summary)
        return summary

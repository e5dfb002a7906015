# Recorder: hooked on the window publication (not the WebSocket), it appends the first `hop`
# samples of each window (the samples new since the previous window) to the recording session
# as a CRC-checked record, within a storage budget. Memory: one BUF_BYTES buffer made at boot
# (a one-record buffer at start only when a record is larger); a record costs a few memoryviews.
# A session of the microphone also keeps its raw audio and mel frames (audio_rec.py: its
# buffers, 2.7 KB, made at start; the sound task writes them, this stops the session when
# they no longer fit).
import binascii
import gc
import os
import struct
import sys
import time

import board
import clock
import framer
import label_file
import session_store as sessions
from pred_log import PredLog
from shared import protocol

DEFAULT_BUDGET = board.STORAGE_BUDGET   # bytes under <data>/sessions (the board's flash)
BUF_BYTES = 2048               # made at boot (a heap this full may lack 4 KB later); records
                               # are flushed when it fills ...
FLUSH_MS = 2000                # ... or when the oldest buffered one is this old
FLASH_RESERVE = 16384          # free flash kept for config/meta/labels writes: below it
                               # no recording starts and status says "flash_full"
META_SLACK = 1024              # budget kept for the meta/labels rewrite when a session stops
_STATVFS_EVERY = 16            # flushes between free-flash measurements


class RecordingError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def labels():
    """The label editor (labels.py), loaded for a PUT (or a boot resync) and unloaded
    (unload_labels) after it: ~8 KB of heap where .mpy code is not frozen."""
    import labels as m
    return m


def unload_labels():
    sys.modules.pop("labels", None)


class Recorder:
    def __init__(self, dev, data_dir):
        self.dev = dev
        self.store = sessions.Store(data_dir)
        self._pool = bytearray(BUF_BYTES)
        self.preds = PredLog(self.store)
        self.recovered = self.store.recover(self._finish_labels)
        for sid in self.store.ids():
            m = self.store.read_json(sid, "meta.json")
            if m is None or label_file.file_version(self.store, sid) in (
                    None, (m.get("labels") or {}).get("version")):
                continue
            try:   # labels.json newer than the summary (restart inside a PUT): rebuild it
                if labels().resync(self.store, sid, m):
                    print("motebook: session %d: label summary rebuilt" % sid)
            except OSError as e:   # a full flash: boot goes on, the next one retries
                print("motebook: session %d: label summary not rebuilt (%s)" % (sid, e))
            finally:
                unload_labels()
        self.sid = None       # session being recorded
        self.meta = None      # its meta dict (RAM copy, small)
        self.error = None     # why the last recording stopped by itself, or None
        self._buf = None
        self._audio = None    # audio_rec.AudioRec of a microphone session

    # -- status
    def budget(self):
        cfg = self.dev.acq.cfg
        return (cfg or {}).get("storage_budget", DEFAULT_BUDGET)

    def status(self):
        self.check()
        free = self.store.flash_free()
        st = {"storage_used": self.store.used, "storage_budget": self.budget(),
              "flash_free": free, "flash_full": self.flash_full(free), "recording": self.sid,
              "recording_error": self.error}
        st["audio_fit_s"] = self.audio_fit_s(free)
        return st

    def mic(self):
        """The microphone when this firmware keeps its sessions' audio (audio_rec.py: boards
        with room for it, boards/modules.py "audio"), else None."""
        s = self.dev.acq.sensor
        if s is None or s.name != "mic":
            return None
        try:
            import audio_rec  # noqa: F401
        except ImportError:
            return None
        return s

    def audio_fit_s(self, free):
        """Whole seconds of microphone recording (audio, mel frames, levels) that fit now;
        None without a microphone (or audio_rec)."""
        if self.mic() is None:
            return None
        import audio_rec
        return audio_rec.fit_s(self, free)

    @staticmethod
    def flash_full(free):
        """Whether free bytes of flash (None: unknown) are below what the device keeps."""
        return free is not None and free < FLASH_RESERVE

    def windows(self):
        return self._written + self._n if self.sid is not None else 0

    def check(self):
        """Stop the recording when acquisition was reconfigured (new ring: the sample stream
        restarts, and maybe its shape); on_window and the API call this."""
        if self.sid is not None and self.dev.acq.windower is not self._windower:
            self.stop("configuration changed: recording stopped")

    def live_meta(self):
        """The recording session's meta with its current counts."""
        m = dict(self.meta)
        n = self.windows()
        if self._audio is not None:
            m["audio"] = self._audio.meta()
        m["windows"] = n
        m["bytes"] = n * m["record_size"]
        m["duration_s"] = n * m["hop"] / m["rate"]
        m["first_seq"] = self._first_seq
        m["gaps"] = self._gaps
        p = self.preds.summary()
        if p is not None:
            m["predictions"] = p
        lab = m.get("labels")
        if lab and lab.get("open"):
            lab = dict(lab)
            lab["counts"] = {m["label"]: n * m["hop"]}
            m["labels"] = lab
        return m

    # -- start / stop
    def start(self, label=None, started=None):
        self.check()
        gc.collect()
        if self.sid is not None:
            raise RecordingError(409, "session %d is already recording; stop it first" % self.sid)
        acq = self.dev.acq
        if acq.framer is None or acq.windower is None:
            raise RecordingError(503, "acquisition is not running")
        self.finish_recovery()
        if len(self.store.ids()) >= sessions.MAX_SESSIONS:
            raise RecordingError(507, "too many sessions (max %d): delete some"
                                 % sessions.MAX_SESSIONS)
        cfg = acq.cfg
        nch, hop, rate = len(acq.sensor.channels), cfg["hop"], acq.rate()
        rs = sessions.record_size(nch, hop)
        if self.store.used + rs + 2 * META_SLACK > self.budget():
            raise RecordingError(507, "storage budget reached (%d of %d bytes used): delete "
                                 "sessions or raise storage_budget" % (self.store.used,
                                                                       self.budget()))
        free = self.store.flash_free()
        if free is not None and free < FLASH_RESERVE + rs:
            raise RecordingError(507, "flash full (%d bytes free)" % free)
        self._buf = self._pool if rs <= len(self._pool) else bytearray(rs)
        sid = None
        mic = self.mic()
        try:
            sid = self.store.new_id()
            os.mkdir(self.store.path(sid))
            meta = {"id": sid, "started": started if started is not None else clock.now(),
                    "clock": "client" if started is not None else clock.source, "rate": rate,
                    "channels": list(acq.sensor.channels), "window": cfg["window"],
                    "hop": hop, "scale": acq.sensor.scale, "sensor": cfg["sensor"],
                    "record_size": rs, "frame_size": rs - sessions.CRC_SIZE, "label": label,
                    "recording": True, "error": None, "windows": 0, "bytes": 0,
                    "duration_s": 0, "first_seq": None, "gaps": 0}
            meta["labels"] = label_file.create(self.store, sid, label)
            if mic is not None:
                import audio_rec
                self._audio = audio_rec.AudioRec(self, sid, mic)
                meta["audio"] = self._audio.meta()
            self.store.write_json(sid, "meta.json", meta)
        except (OSError, MemoryError) as e:   # flash full or failing: leave nothing half made
            if self._audio is not None:
                self._audio.close()
                self._audio = None
            try:
                if sid is not None:
                    self.store.delete(sid)
            except OSError:
                pass
            if isinstance(e, MemoryError):
                raise             # (503 from the API)
            raise RecordingError(507, "could not create the session's files (%s)" % e)
        self.sid, self.meta, self.error = sid, meta, None
        self._mv = memoryview(self._buf)
        self._rs, self._nch, self._hop, self._len = rs, nch, hop, cfg["window"]
        self._cap = len(self._buf) // rs
        self._windower = acq.windower
        self._sensor = acq.sensor      # a labelled replay file labels the session (stop())
        self._row0 = None              # the sensor's sample number of the session's sample 0
        self.preds.start(sid)
        self._n = self._written = self._gaps = 0
        self._first_seq = self._next_seq = None
        self._app = sessions.Appender(self.store, sid, rs)
        self._t_first = 0
        self._flushes = 0
        self._torn = False
        self._free = free
        self._announce({"type": "recording", "state": "started", "id": sid, "label": label})
        return meta

    def stop(self, error=None):
        """Flush, close and finish the session's meta; error says why when not asked to."""
        sid = self.sid
        if sid is None:
            return None
        err = self._flush()
        error = error or err
        audio = self._audio
        if audio is not None:       # the sound task writes no more; the WAV's sizes fixed
            audio.close()
            error = error or audio.error
        self._app.close()
        if self._torn:   # a failed write may have left a torn record: cut it now
            try:
                self._written = self.store.repair(sid, self._rs)
            except OSError:
                pass
        pred = self.preds.finish()
        meta = self.live_meta()
        self._audio = None
        meta["recording"] = False
        meta["error"] = error
        if pred is not None:
            meta["predictions"] = pred
        sensor, self._sensor = self._sensor, None
        self.sid, self._buf, self._mv, self._windower = None, None, None, None
        self.error = error
        gc.collect()   # (rare; a full heap needs room for the JSON below)
        try:
            meta["labels"] = label_file.finish_open(self.store, sid, meta)
            self._truth_labels(sid, meta, sensor)
            self._truth_value(sid, meta, sensor)
            self.store.write_json(sid, "meta.json", meta)
        except (OSError, MemoryError) as e:   # boot recovery finishes the session
            print("motebook: session %d: could not write its meta: %r" % (sid, e))
            if self.store.pending is None:     # served from RAM meanwhile, written once
                self.store.pending = {}        # there is room (finish_recovery)
            self.store.pending[sid] = meta
        if error:
            print("motebook: recording of session %d stopped: %s" % (sid, error))
        self._announce({"type": "recording", "state": "stopped", "id": sid, "error": error})
        return meta

    def _truth_labels(self, sid, meta, sensor):
        """A session recorded (without a record-time label) from a replay file that has
        labels gets the file's labels of the rows it played, as its next labels version; from
        the simulated machine, its state (normal or the fault) over the samples it played."""
        if meta.get("label") or self._row0 is None or not getattr(sensor, "classes", None):
            return
        n = meta["windows"] * meta["hop"]
        segs = sensor.truth(self._row0, n)
        if not segs:
            return
        classes = list(sensor.classes)
        starts = [s for s, _, _ in segs]
        ends = [e for _, e, _ in segs]
        cls = [classes.index(c) for _, _, c in segs]
        v = meta["labels"]["version"] + 1
        label_file.write(self.store, sid, v, classes, starts, ends, cls)
        meta["labels"] = label_file.summary(v, classes, starts, ends, cls)
        meta["labels_from"] = getattr(sensor, "labels_from", "replay file")

    def _truth_value(self, sid, meta, sensor):
        """A session recorded from the simulated spectrometer gets its concentration as its
        value label (api_sessions' value.json and meta "value"): the session's value when it
        did not change, else value segments (float32 values rounded to 6 digits)."""
        if self._row0 is None or not hasattr(sensor, "values"):
            return
        n = meta["windows"] * meta["hop"]
        segs = sensor.values(self._row0, n)
        if not segs:
            return
        one = len(segs) == 1 and segs[0][0] == 0 and segs[0][1] == n
        lab = {"name": sensor.value_name, "unit": sensor.value_unit,
               "value": round(segs[0][2], 6) if one else None,
               "segments": [] if one else [[s, e, round(v, 6)] for s, e, v in segs]}
        self.store.write_json(sid, "value.json", lab)
        meta["value"] = {"name": lab["name"], "value": lab["value"], "unit": lab["unit"],
                         "segments": len(lab["segments"])}
        meta["value_from"] = sensor.labels_from

    def on_prediction(self, seq, raw, model):
        """Inference's hook: the device's class of window seq while a session records."""
        if self.sid is not None and self.preds.add(seq, raw, model):
            try:   # the first one: meta says which model's classes pred.bin holds
                self.store.write_json(self.sid, "meta.json", self.live_meta())
            except (OSError, MemoryError):
                pass

    def finish_recovery(self):
        """Write what boot recovery left pending on a full flash, if there is room now."""
        if self.store.pending:
            self.store.finish(self._finish_labels)

    def _finish_labels(self, sid, meta):
        meta["labels"] = label_file.finish_open(self.store, sid, meta)
        self.store.write_json(sid, "meta.json", meta)

    def _announce(self, msg):
        for c in self.dev.hub.clients:
            c.queue_control(msg)
        self.dev.hub.changed("sessions", msg["id"])

    # -- the hook: called by Device._publish for every window, before the WebSocket hub
    def on_window(self, seq):
        if self.sid is None:
            return
        try:
            self._record(seq)
        except Exception as e:   # never let recording break the acquisition loop
            self.error = "recording failed: %r" % (e,)
            try:
                self.stop(self.error)
            except Exception as e2:
                print("motebook: recorder:", repr(e2))
                self.sid = None

    def _record(self, seq):
        self.check()
        if self.sid is None:
            return
        if self._audio is not None and self._audio.error is not None:
            self.stop(self._audio.error)      # the audio no longer fits: what did is kept
            return
        acq = self.dev.acq
        if self._next_seq is None:
            self._first_seq = seq
            self._row0 = (seq - self._windower.seq_base) * self._hop
            self.preds.first_window(seq)
        elif seq != self._next_seq:
            self._gaps += (seq - self._next_seq) & 0xFFFFFFFF   # windows lost upstream
        self._next_seq = (seq + 1) & 0xFFFFFFFF
        src = acq.framer.view
        b = self._mv
        rs, h2, l2 = self._rs, self._hop * 2, self._len * 2
        off = self._n * rs
        s = framer.WS_HEAD
        d = off + protocol.HEADER_SIZE
        b[off:d] = src[s:s + protocol.HEADER_SIZE]       # same header ...
        struct.pack_into("<H", self._buf, off + 12, self._hop)   # ... with hop samples
        s += protocol.HEADER_SIZE
        for _ in range(self._nch):                        # first hop samples per channel
            b[d:d + h2] = src[s:s + h2]
            d += h2
            s += l2
        fs = rs - sessions.CRC_SIZE
        struct.pack_into("<I", self._buf, off + fs, binascii.crc32(b[off:off + fs]))
        if self._n == 0:
            self._t_first = time.ticks_ms()
        self._n += 1
        if self._n == self._cap or time.ticks_diff(time.ticks_ms(), self._t_first) >= FLUSH_MS:
            err = self._flush()
            if err:
                self.stop(err)

    def flush(self):
        """Write buffered records now (before a range read of the recording session)."""
        if self.sid is not None:
            self.preds.flush()
            if self._audio is not None:
                self._audio.flush()
            err = self._flush()
            if err:
                self.stop(err)

    def _flush(self):
        """Write the buffered records that fit; return an error message or None."""
        n = self._n
        if not n:
            return None
        rs = self._rs
        err = None
        room = self.budget() - META_SLACK - self.store.used
        fit = min(n, room // rs) if room > 0 else 0
        if fit < n:
            err = "storage budget reached"
        self._flushes += 1
        if self._free is not None:
            if self._flushes % _STATVFS_EVERY == 0:
                self._free = self.store.flash_free()
            if self._free is not None and self._free - FLASH_RESERVE < fit * rs:
                fit = max(0, (self._free - FLASH_RESERVE) // rs)
                err = "flash full"
        try:
            self._app.write(self._mv[:fit * rs])
        except OSError as e:
            err = "flash write failed (%s)" % e
            self._torn = True
        done = self._app.records - self._written
        self._written = self._app.records
        if self._free is not None:
            self._free -= done * rs
        self._n = 0
        return err

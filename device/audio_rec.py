# The raw audio of a microphone session (issue 20.4): while a session of sensor "mic" records,
# the sound task (sound.py) hands every block here before the meter filters it; the samples go
# to <session>/audio.wav (16-bit PCM mono at the microphone's rate) and the log-mel frames the
# MelStream makes (kept on while recording) to <session>/mel.bin (shared/protocol mel frames,
# 80 bytes each, concatenated; only frames whose samples are all in audio.wav). Bounded by the
# recorder's budget and free flash (recorder.py): a write that does not fit writes what fits,
# then says why (error); the Recorder stops the session at its next window with that message.
# The WAV is written with a streaming header (sizes 0x7FFFFFFE: "to the end of the file": the
# device's hal/wav.Reader and Python's wave read what is there), the sizes fixed at close and,
# after a power cut, at boot (recover); downloads always get the exact sizes (header()).
# (Fixing the header at every write would rewrite the whole file on littlefs, whose files are
# copy-on-write from the changed block to the end.)
# Memory: made at start: the sample buffer (BUF int16: 2 KB) and the mel buffer (MEL_BUF
# frames: 640 B), the two open files; per block nothing but the float temporaries of the
# int16 conversion (a Python loop: a C routine would spare the ESP32's CPU).
import os
import struct
from array import array

from recorder import FLASH_RESERVE, META_SLACK
from shared import protocol
from shared.compat import bytes_view

WAV = "audio.wav"
MEL = "mel.bin"
HEAD = 44
BUF = 1024                  # samples buffered (64 ms at 16 kHz): written when full
MEL_BUF = 8                 # mel frames buffered (0.26 s)
SYNC_EVERY = 16             # writes between flushes to flash (~1 s of audio)
SLACK = 2048                # budget left for the level records written until the stop
STREAMING = 0x7FFFFFFE      # the data size of a WAV still being written
_STATVFS_EVERY = 16


def header(fs, samples):
    """The 44-byte header of a 16-bit PCM mono WAV of `samples` samples at fs Hz."""
    nb = 2 * samples
    return (b"RIFF" + struct.pack("<I", 36 + nb) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, fs, 2 * fs, 2, 16) + b"data" +
            struct.pack("<I", nb))


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return 0


def file_samples(path):
    """Whole samples in the WAV at path (its size; the header may be the streaming one)."""
    return max(0, _size(path) - HEAD) // 2


def bytes_per_s(fs, level_rs=0, level_per_s=0.0):
    """Flash a second of recording takes: the samples, the mel frames, the level records."""
    from melstream import HOP, N_MELS
    return 2 * fs + protocol.mel_size(N_MELS) * fs / HOP + level_rs * level_per_s


def fit_s(rec, free):
    """Whole seconds of microphone recording that fit now in rec's budget and free flash."""
    from session_store import record_size
    acq = rec.dev.acq
    room = rec.budget() - META_SLACK - SLACK - rec.store.used
    if free is not None and free - FLASH_RESERVE < room:
        room = free - FLASH_RESERVE
    hop = acq.cfg["hop"]
    per_s = bytes_per_s(rec.mic().fs, record_size(1, hop), acq.rate() / hop)
    return max(0, int(room / per_s))


def fix(path, fs):
    """Write the sizes of what the file holds into its header (in place); the sample count."""
    n = file_samples(path)
    with open(path, "r+b") as f:
        f.write(header(fs, n))
    return n


def recover(store, sid, meta):
    """Boot: a session cut while recording gets its WAV's sizes fixed and its audio counts
    from the files (a full flash that refuses the write keeps the streaming header: readers
    still play what it holds)."""
    a = meta["audio"]
    p = store.path(sid, WAV)
    try:
        a["samples"] = fix(p, a["fs"])
    except OSError:
        a["samples"] = file_samples(p)
    a["mel_frames"] = _size(store.path(sid, MEL)) // a["mel_frame_size"]
    if a.get("error") is None:
        a["error"] = "interrupted: the device restarted while recording"


class AudioRec:
    def __init__(self, rec, sid, mic):
        """Opens the files; mic (sound.Sound) hands its blocks here from now on."""
        self.rec, self.store, self.sid, self.fs = rec, rec.store, sid, mic.fs
        self._h = array("h", bytes(2 * BUF))
        self._hv = bytes_view(self._h, 2 * BUF)      # (bytes: a view of 'h' counts samples)
        self.mel_size = protocol.mel_size(32)
        self._m = bytearray(MEL_BUF * self.mel_size)
        self._k = self._mk = 0
        self.first = None             # the microphone's sample number of audio.wav's first
        self.samples = 0              # samples written to the file
        self.mel_frames = 0
        self.error = None
        self.mel_error = None
        self.sound = None             # the Sound feeding it (its melstream's ring)
        self._writes = 0
        self._free = self.store.flash_free()
        self._wf = self._mf = None
        self._wf = open(self.store.path(sid, WAV), "wb")
        self._wf.write(header(self.fs, STREAMING // 2))
        self.store.used += HEAD
        self._mf = open(self.store.path(sid, MEL), "wb")
        self._attach(mic)

    def _attach(self, mic):
        """mic (sound.Sound) hands its blocks and keeps its mel frames on for this recording
        (a stock MicroPython without the C binding: no frames, said in mel_error)."""
        from sound import nothing
        try:
            mic.set_mel(mic.melstream.notify if mic.melstream is not None else nothing)
        except ValueError as e:
            self.mel_error = str(e)
        self.sound = mic
        mic.audio = self

    def _detach(self):
        mic, self.sound = self.sound, None
        mic.audio = None
        from sound import nothing
        if mic.melstream is not None and mic.melstream.notify is nothing:
            mic.set_mel(None)          # no client wants them: dropped

    def meta(self):
        return {"file": WAV, "fs": self.fs, "first_sample": self.first,
                "samples": self.samples + (self._k if self.error is None else 0),
                "mel_file": MEL, "mel_frame_size": self.mel_size,
                "mel_frames": self.mel_frames + (self._mk if self.error is None else 0),
                "error": self.error, "mel_error": self.mel_error}

    # -- the sound task's hook (Sound._run), before the meter filters blk in place
    def feed(self, blk, n, sample_no, made):
        if self.error is not None:
            return
        try:
            self._feed(blk, n, sample_no, made)
        except Exception as e:     # never the sound task's: the recorder stops, saying why
            self.error = "audio recording failed: %r" % (e,)

    def _feed(self, blk, n, sample_no, made):
        if self.first is None:
            self.first = sample_no
        h, k = self._h, self._k
        for i in range(n):
            v = round(blk[i] * 32768.0)
            h[k] = 32767 if v > 32767 else (-32768 if v < -32768 else v)
            k += 1
            if k == BUF:
                self._k = k
                self._write_audio()
                if self.error is not None:
                    return
                k = 0
        self._k = k
        if made:
            self._take_mel(made)

    def _take_mel(self, made):
        from melstream import RING
        ms = self.sound.melstream
        if ms is None:
            return
        sz = self.mel_size
        for j in range(ms.total - made, ms.total):
            o = (j % RING) * ms.slot + 2
            s0 = struct.unpack_from("<I", ms.buf, o + 6)[0]
            if (s0 - self.first) & 0xFFFFFFFF > 0x7FFFFFFF:   # began before the audio did
                continue
            d = self._mk * sz
            self._m[d:d + sz] = ms.view[o:o + sz]
            self._mk += 1
            if self._mk == MEL_BUF:
                self._write_mel()

    # -- writing within the budget
    def _room(self, nbytes):
        """How many of nbytes fit; sets error when not all do."""
        r = self.rec
        room = r.budget() - META_SLACK - SLACK - r.store.used
        fit = nbytes if room >= nbytes else max(0, room)
        if fit < nbytes:
            self.error = "storage budget reached"
        self._writes += 1
        if self._free is not None:
            if self._writes % _STATVFS_EVERY == 0:
                self._free = self.store.flash_free()
            if self._free is not None and self._free - FLASH_RESERVE < fit:
                fit = max(0, self._free - FLASH_RESERVE)
                self.error = "flash full"
        return fit

    def _write(self, f, mv, unit):
        fit = self._room(len(mv)) // unit * unit
        done = 0
        try:
            if fit:
                f.write(mv[:fit])
                done = fit
                if self._writes % SYNC_EVERY == 0:
                    f.flush()
        except OSError as e:
            self.error = "flash write failed (%s)" % e
        self.store.used += done
        if self._free is not None:
            self._free -= done
        return done

    def _write_audio(self):
        done = self._write(self._wf, self._hv[:2 * self._k], 2) // 2 \
            if self._wf is not None else 0
        self.samples += done
        self._k = 0

    def _write_mel(self):
        if self._mf is not None and self._mk:
            self.mel_frames += self._write(self._mf, memoryview(self._m)[:self._mk *
                                                                     self.mel_size],
                                           self.mel_size) // self.mel_size
        self._mk = 0

    def flush(self):
        """Write what is buffered (before a download of the recording session)."""
        if self.error is None:
            if self._k:
                self._write_audio()
            if self._mk and self.error is None:
                self._write_mel()
            for f in (self._wf, self._mf):
                if f is not None:
                    try:
                        f.flush()
                    except OSError:
                        pass

    def close(self):
        """Write what fits of the buffers, fix the WAV's sizes, close; the files' truth wins
        (a failed write may have left part of a block: whole samples count)."""
        if self.sound is not None:
            self._detach()                 # the sound task hands no more blocks
        self.flush()
        self._k = self._mk = 0
        for f in (self._wf, self._mf):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        self._wf = self._mf = None
        p = self.store.path(self.sid, WAV)
        before = self.samples
        try:
            self.samples = fix(p, self.fs)
        except OSError:            # (the streaming header stays: still readable)
            self.samples = file_samples(p)
        self.store.used += 2 * (self.samples - before)
        self._h = self._hv = self._m = None


# -- GET /api/sessions/<id>/audio.wav and /mel (api_sessions.py's routes call this)
def serve(request, store, sid, m, done, take_slot, slots):
    """The WAV (its exact sizes in the header) or mel.bin (whole frames, for a path ending in
    /mel) of session sid (meta m), streamed through a download slot's buffer; done: not recording (the files are
    the truth then: a meta not yet rewritten on a full flash)."""
    import time
    from microdot import Response
    a = m["audio"]
    if request.path.endswith("/mel"):
        fsz = a["mel_frame_size"]
        path = store.path(sid, MEL)
        k = _size(path) // fsz if done else a["mel_frames"]
        n, head, skip = k * fsz, None, 0
        hdrs = {"Content-Type": "application/octet-stream", "X-Frame-Size": str(fsz),
                "X-Count": str(k)}
    else:
        path = store.path(sid, WAV)
        k = file_samples(path) if done else a["samples"]
        n, head, skip = 2 * k, header(a["fs"], k), HEAD
        hdrs = {"Content-Type": "audio/wav", "X-Samples": str(k)}
    hdrs["Content-Length"] = str(n + (len(head) if head else 0))
    hdrs["Cache-Control"] = "no-store"
    if request.method == "HEAD" or not (n or head):
        return Response(body=head or b"", headers=hdrs)
    slot, buf = take_slot(sid, 2)
    if buf is None:
        return slot

    def gen():
        try:
            if head:
                yield head
            mv = memoryview(buf)
            left = n
            with open(path, "rb") as f:
                f.seek(skip)
                while left > 0:
                    k = f.readinto(mv[:min(left, len(buf))])
                    if not k:
                        raise OSError("session %d: %s is shorter than its meta says"
                                      % (sid, path))
                    left -= k
                    slot[0] = time.ticks_ms()
                    yield mv[:k]
        finally:
            if slot in slots:
                slots.remove(slot)
    return Response(body=gen(), headers=hdrs)

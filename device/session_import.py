# Imported sessions: POST /api/sessions/import streams a recording made elsewhere (the page's
# CSV import) onto the device as a session like a recorded one, so every browser sees it and
# its labels are versioned. The body is shared/protocol int16 frames (the download format of
# GET /api/sessions/<id>/windows), checked frame by frame (shape, order, sizes) and written as
# CRC'd records (session_store.Appender) within the storage budget; a failed upload leaves
# nothing behind. Memory: one frame buffer (<= MAX_RECORD bytes) per upload, one at a time.
import binascii
import struct

import session_store as sessions
from shared.limits import PERIOD_S
from shared import protocol
from shared.limits import IMPORT_MAX_RECORD as MAX_RECORD   # the page cuts frames to fit

PATH = "/api/sessions/import"
from shared.limits import MAX_NAME
META_SLACK = 2048          # budget kept for the meta and labels of the new session
FLASH_RESERVE = 16384      # free flash kept for config/meta/labels writes (= recorder's)


class ImportError_(ValueError):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def _bad(msg, status=400):
    return ImportError_(status, msg)


def parse_args(args, n_bytes):
    """name, channels, samples, time from the query string; raises ImportError_."""
    name = args.get("name") or ""
    if not 1 <= len(name) <= MAX_NAME or [c for c in name if c < " "]:
        raise _bad("name must be 1..%d printable characters" % MAX_NAME)
    chans = (args.get("channels") or "").split(",")
    if not 1 <= len(chans) <= protocol.MAX_CHANNELS:
        raise _bad("channels must be 1..%d comma-separated names" % protocol.MAX_CHANNELS)
    for c in chans:
        if not 1 <= len(c) <= MAX_NAME or chans.count(c) > 1:
            raise _bad("channel names must be 1..%d characters and different"
                       % MAX_NAME)
    s = args.get("samples") or ""
    if not s.isdigit() or len(s) > 9 or int(s) < 1:
        raise _bad("samples must be the recording's sample count (an integer >= 1)")
    t = args.get("time")
    if t is not None:
        try:
            t = float(t)
        except ValueError:
            t = -1.0
        if not 0 <= t < 1e11:
            raise _bad("time must be the wall-clock time in seconds since 1970")
    if n_bytes <= 0:
        raise _bad("send the frames as the body, with a Content-Length", 411)
    return name, chans, int(s), t


class Upload:
    """One import: start(header bytes of the first frame) sizes it and checks room, then
    frame(buf) for each frame, finish() writes the meta; abort() removes what was made."""

    def __init__(self, store, budget, flash_free, name, channels, samples, started, clock):
        self.store, self.budget, self.flash_free = store, budget, flash_free
        self.name, self.channels, self.samples = name, channels, samples
        self.started, self.clock = started, clock
        self.sid = None
        self.app = None
        self.n = 0

    def start(self, head, n_bytes):
        """head: the first HEADER_SIZE bytes; returns the frame size."""
        if head[11] != protocol.DTYPE_INT16:
            raise _bad("frames must hold int16 samples")
        size = protocol.frame_size(head[10], struct.unpack_from("<H", head, 12)[0])
        try:
            seq, _, nch, dtype, hop, rate, scale = protocol.decode_header(head, size)
        except protocol.ProtocolError as e:
            raise _bad("frame 0: %s" % e)
        if nch != len(self.channels):
            raise _bad("frames have %d channels, the channel names %d"
                       % (nch, len(self.channels)))
        if not 1 / PERIOD_S[1] <= rate <= 10000 or not scale > 0 or scale != scale or \
                scale > 1e30:
            raise _bad("frame 0: rate must be 1..10000 Hz (or one sample every %d..%d s) and "
                       "scale > 0" % PERIOD_S)
        fs = protocol.frame_size(nch, hop)
        rs = fs + sessions.CRC_SIZE
        if rs > MAX_RECORD:
            raise _bad("frames of %d bytes are too long: at most %d (fewer samples per frame)"
                       % (fs, MAX_RECORD - sessions.CRC_SIZE))
        if n_bytes % fs:
            raise _bad("the body (%d bytes) is not a whole number of %d-byte frames"
                       % (n_bytes, fs))
        frames = n_bytes // fs
        if not (frames - 1) * hop < self.samples <= frames * hop:
            raise _bad("%d frames of %d samples cannot hold %d samples"
                       % (frames, hop, self.samples))
        need = frames * rs + META_SLACK
        room = self.budget - self.store.used
        if need > room:
            raise _bad("storage budget: the session needs %d bytes, %d of %d are free: delete "
                       "sessions or raise storage_budget" % (need, max(0, room), self.budget),
                       507)
        if self.flash_free is not None and self.flash_free < need + FLASH_RESERVE:
            raise _bad("flash full (%d bytes free)" % self.flash_free, 507)
        if len(self.store.ids()) >= sessions.MAX_SESSIONS:
            raise _bad("too many sessions (max %d): delete some" % sessions.MAX_SESSIONS, 507)
        self.shape = (nch, hop, rate, scale)
        self.seq0, self.fs, self.rs, self.frames = seq, fs, rs, frames
        import os
        import label_file
        sid = self.sid = self.store.new_id()
        try:
            os.mkdir(self.store.path(sid))
            self.meta = {"id": sid, "started": self.started, "clock": self.clock,
                         "rate": rate, "channels": self.channels, "window": hop, "hop": hop,
                         "scale": scale, "sensor": "import", "source": "import",
                         "name": self.name, "record_size": rs, "frame_size": fs,
                         "label": None, "recording": False, "error": None, "windows": 0,
                         "bytes": 0, "first_seq": seq, "gaps": 0, "samples": self.samples,
                         "importing": True}
            self.meta["labels"] = label_file.create(self.store, sid, None)
            self.store.write_json(sid, "meta.json", self.meta)   # boot removes it if cut
        except OSError as e:
            raise _bad("could not create the session's files (%s)" % e, 507)
        self.app = sessions.Appender(self.store, sid, rs)
        return fs

    def frame(self, buf):
        """buf: one frame plus CRC_SIZE spare bytes at the end."""
        fs = self.fs
        try:
            h = protocol.decode_header(buf, fs)
        except protocol.ProtocolError as e:
            raise _bad("frame %d: %s" % (self.n, e))
        if (h[2], h[4], h[5]) != self.shape[:3] or h[6] != self.shape[3] or h[3] != 0:
            raise _bad("frame %d has another shape than frame 0" % self.n)
        if h[0] != (self.seq0 + self.n) & 0xFFFFFFFF:
            raise _bad("frame %d: sequence number %d, expected %d (frames in order, no gaps)"
                       % (self.n, h[0], self.seq0 + self.n))
        struct.pack_into("<I", buf, fs, binascii.crc32(memoryview(buf)[:fs]) & 0xFFFFFFFF)
        try:
            self.app.write(memoryview(buf)[:self.rs])
        except OSError as e:
            raise _bad("flash write failed (%s)" % e, 507)
        self.n += 1

    def finish(self):
        self.app.close()
        m = self.meta
        m["windows"] = self.n
        m["bytes"] = self.n * self.rs
        del m["importing"]
        try:
            self.store.write_json(self.sid, "meta.json", m)
        except OSError as e:
            raise _bad("could not write the session's meta (%s)" % e, 507)
        return m

    def abort(self):
        if self.app is not None:
            self.app.close()
        if self.sid is not None:
            try:
                self.store.delete(self.sid)
            except OSError:
                pass
            self.sid = None

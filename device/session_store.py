# Recorded sessions on flash (format in device/SESSIONS.md): <data>/sessions/<id>/ holds
# meta.json and labels.json (atomic: tmp + rename) and record chunks 0000.rec, 0001.rec, ...
# A record = one shared/protocol frame holding the hop's new samples + CRC-32; chunks hold a
# fixed number of fixed-size records, so a torn tail is found and cut at boot (recover()).
# Boot needs no free flash: what recovery cannot write on a full flash stays pending (the
# fixed meta is served from RAM) and is written once a session is deleted, or at next boot.
# Memory: nothing of a session stays in RAM but a pending recovery's meta (a few hundred
# bytes, only on a full flash); reads fill a caller-owned buffer.
# (Not named sessions.py: the simulator runs in the data folder, whose sessions/ directory
# would shadow a module of that name as a namespace package.)
import binascii
import json
import os
import struct

from shared import protocol

CRC_SIZE = 4
CHUNK_BYTES = 32768     # records per chunk file = CHUNK_BYTES // record size (at least 1)
MAX_SESSIONS = 64
_COPY = 1024            # buffer for the rare repair copy of a torn chunk


def record_size(nch, hop):
    return protocol.frame_size(nch, hop) + CRC_SIZE


def per_chunk(rs):
    return max(1, CHUNK_BYTES // rs)


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _mkdir(path):
    try:
        os.mkdir(path)
    except OSError:
        pass


def _crc_ok(buf, fs):
    want = struct.unpack_from("<I", buf, fs)[0]
    return binascii.crc32(memoryview(buf)[:fs]) & 0xFFFFFFFF == want


class Appender:
    """Appends whole records to a session's chunk files: the one writer of records (the
    recorder's flushes, an uploaded import). Memory: the open chunk file only."""

    def __init__(self, store, sid, rs):
        self.store, self.sid, self.rs = store, sid, rs
        self.per = per_chunk(rs)
        self.records = 0          # records written
        self._f = None
        self._chunk = self._fill = 0

    def write(self, mv):
        """Append the records in mv (a whole number of them); raises OSError (a failed write
        may leave a torn record: Store.repair cuts it)."""
        rs = self.rs
        k = len(mv) // rs
        i = 0
        while i < k:
            if self._f is None:
                self._f = open(self.store.chunk_path(self.sid, self._chunk), "wb")
                self._fill = 0
            n = min(k - i, self.per - self._fill)
            self._f.write(mv[i * rs:(i + n) * rs])
            self._f.flush()
            self._fill += n
            self.records += n
            self.store.used += n * rs
            i += n
            if self._fill == self.per:
                self.close()
                self._chunk += 1

    def close(self):
        if self._f is not None:
            try:
                self._f.close()
            except OSError:
                pass
            self._f = None


class Store:
    def __init__(self, data_dir):
        self.root = data_dir + "/sessions"
        _mkdir(self.root)
        self.used = 0       # bytes of every file under sessions/
        self.next_id = 1
        self.pending = None   # {sid: meta fixed by boot recovery, not yet written}, or None

    # -- paths and small files
    def path(self, sid, name=None):
        p = "%s/%d" % (self.root, sid)
        return p if name is None else p + "/" + name

    def ids(self):
        out = []
        for e in os.ilistdir(self.root):
            if e[1] == 0x4000:
                try:
                    out.append(int(e[0]))
                except ValueError:
                    pass
        out.sort()
        return out

    def exists(self, sid):
        return _size(self.path(sid, "meta.json")) >= 0

    def read_json(self, sid, name):
        if self.pending and name == "meta.json" and sid in self.pending:
            return dict(self.pending[sid])   # (what recovery fixed; the file is older)
        try:
            with open(self.path(sid, name)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write_json(self, sid, name, obj):
        """Atomic write (tmp + rename); keeps self.used in step."""
        self.write_text(self.path(sid, name), json.dumps(obj))
        if self.pending and name == "meta.json":
            self.pending.pop(sid, None)   # a newer meta is on flash now

    def write_text(self, path, text):
        self.write_atomic(path, lambda f: f.write(text))

    def write_atomic(self, path, fill):
        """fill(file) writes the new content to a tmp file, renamed over path after."""
        old = _size(path)
        tmp = path + ".tmp"
        try:
            with open(tmp, "w") as f:
                fill(f)
        except OSError:   # e.g. a full flash: the old file stays, the partial one goes
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise
        new = _size(tmp)
        os.rename(tmp, path)
        self.used += new - (old if old > 0 else 0)

    def chunks(self, sid):
        """Sorted chunk numbers present for sid."""
        out = []
        for e in os.ilistdir(self.path(sid)):
            n = e[0]
            if n.endswith(".rec"):
                try:
                    out.append(int(n[:-4]))
                except ValueError:
                    pass
        out.sort()
        return out

    def flash_free(self):
        """Free bytes of the filesystem holding the sessions (statvfs), None if unknown."""
        try:
            st = os.statvfs(self.root)
            return st[1] * st[4]
        except (AttributeError, OSError):
            return None

    def chunk_path(self, sid, i):
        return self.path(sid, "%04d.rec" % i)

    def new_id(self):
        sid = self.next_id
        self.next_id += 1
        self.write_text(self.root + "/next_id", str(self.next_id))
        return sid

    def delete(self, sid):
        if self.pending:
            self.pending.pop(sid, None)
        d = self.path(sid)
        for e in list(os.ilistdir(d)):
            p = d + "/" + e[0]
            self.used -= max(0, _size(p))
            os.remove(p)
        os.rmdir(d)

    # -- boot
    def recover(self, on_recovered=None):
        """Count storage, cut torn record tails, finish sessions interrupted while recording.
        on_recovered(sid, meta) lets the caller finish labels (and write the meta). Writes
        nothing that boot needs: on a full flash the fixed meta stays pending (finish()).
        Returns the recovered ids."""
        used = 0
        top = 0
        fixed = []
        for e in list(os.ilistdir(self.root)):
            name = e[0]
            p = self.root + "/" + name
            if e[1] != 0x4000:
                if name.endswith(".tmp"):
                    os.remove(p)
                else:
                    used += max(0, _size(p))
                continue
            try:
                sid = int(name)
            except ValueError:
                continue
            top = max(top, sid)
            meta = self.read_json(sid, "meta.json")
            if meta is not None and meta.get("importing"):   # an upload cut by a restart
                self.delete(sid)
                continue
            if meta is None:
                if not self.chunks(sid):   # died before the first meta write: nothing recorded
                    self.delete(sid)
                else:                      # (meta writes are atomic: this is damage) keep it
                    print("motebook: session %d has records but no readable meta.json" % sid)
                continue
            n = self.repair(sid, meta["record_size"])
            if meta.get("recording") or meta.get("windows") != n:
                if meta.get("recording"):
                    meta["error"] = "interrupted: the device restarted while recording"
                    if meta.get("audio"):     # a microphone session: its WAV's sizes
                        import audio_rec
                        audio_rec.recover(self, sid, meta)
                meta["recording"] = False
                meta["windows"] = n
                meta["bytes"] = n * meta["record_size"]
                if self.pending is None:
                    self.pending = {}
                self.pending[sid] = meta
                fixed.append(sid)
            for f in os.ilistdir(self.path(sid)):
                if f[0].endswith(".tmp"):
                    os.remove(self.path(sid, f[0]))
                else:
                    used += max(0, _size(self.path(sid, f[0])))
        self.used = used    # (delete above adjusted it: recount is exact)
        try:
            with open(self.root + "/next_id") as f:
                nid = int(f.read())
        except (OSError, ValueError):
            nid = 1
        self.next_id = max(nid, top + 1)
        self.finish(on_recovered)
        return fixed

    def finish(self, on_recovered=None):
        """Write what recovery fixed (labels, meta); on a full flash (any OSError) it stays
        pending: called at boot, again after a session is deleted or before a recording
        starts (Recorder.finish_recovery). True when none is left."""
        for sid in list(self.pending or ()):
            meta = self.pending[sid]
            try:
                if on_recovered:
                    on_recovered(sid, meta)   # writes labels.json and the meta
                else:
                    self.write_json(sid, "meta.json", meta)
                self.pending.pop(sid, None)
            except OSError as e:
                print("motebook: session %d: recovery not written yet (%s): retried when a "
                      "session is deleted, or at the next boot" % (sid, e))
                return False
        self.pending = None
        return True

    def repair(self, sid, rs):
        """Make the chunks a clean run of whole, CRC-valid records; return the record count."""
        per = per_chunk(rs)
        total = 0
        cut = False
        rec = None
        for pos, i in enumerate(self.chunks(sid)):
            p = self.chunk_path(sid, i)
            if cut or i != pos:
                os.remove(p)
                cut = True
                continue
            size = _size(p)
            n = min(size // rs, per)
            if rec is None:
                rec = bytearray(rs)
            with open(p, "rb") as f:   # the tail is where a crash leaves damage
                while n > 0:
                    f.seek((n - 1) * rs)
                    if f.readinto(rec) == rs and _crc_ok(rec, rs - CRC_SIZE):
                        break
                    n -= 1
            if n * rs != size or not n:   # (an empty chunk is removed too)
                print("motebook: session %d chunk %d: torn tail cut at record %d (%d bytes)"
                      % (sid, i, n, size))
                try:
                    self._truncate(p, n * rs)
                except OSError as e:   # a full flash has no room for the copy: the tail
                    _remove(p + ".tmp")   # stays (reads stop at the meta's windows) and is
                    print("motebook: not cut (%s)" % e)   # cut at a later boot
            total += n
            if n < per:
                cut = True      # a short chunk is the last one
        return total

    def _truncate(self, path, size):
        if size == 0:
            os.remove(path)
            return
        # MicroPython files have no truncate(): copy the good prefix, then rename over.
        buf = bytearray(_COPY)
        mv = memoryview(buf)
        tmp = path + ".tmp"
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            left = size
            while left > 0:
                k = src.readinto(mv[:min(left, _COPY)])
                if not k:
                    break
                dst.write(mv[:k])
                left -= k
        os.rename(tmp, path)

    # -- reading
    def read_records(self, sid, rs, start, count, buf, fs):
        """Generator: fills buf (a bytearray) with the frames (CRC dropped) of records
        start .. start+count-1 and yields the filled length each time; buf is reused."""
        per = per_chunk(rs)
        mv = memoryview(buf)
        crc = bytearray(CRC_SIZE)
        per_buf = max(1, len(buf) // fs)
        i = start
        end = start + count
        f = None
        cur = -1
        try:
            while i < end:
                c = i // per
                if c != cur:
                    if f:
                        f.close()
                    f = open(self.chunk_path(sid, c), "rb")
                    cur = c
                    f.seek((i % per) * rs)
                k = min(end - i, per - i % per, per_buf)
                for j in range(k):
                    if f.readinto(mv[j * fs:(j + 1) * fs]) != fs:
                        raise OSError("session %d: record %d is missing" % (sid, i + j))
                    f.readinto(crc)
                i += k
                yield k * fs
        finally:
            if f:
                f.close()

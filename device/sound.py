# The level meter on the device: the acquisition's "mic" sensor. One task reads blocks from
# the microphone (hal/i2s_mic.I2SMic on a board, hal/sim_mic.SimMic in the simulator), feeds
# shared.soundlevel.Meter, and queues the Fast level (A, C or Z weighted, dB) `rate` times a
# second for the acquisition, which streams, records and windows it like any sensor (one
# channel "level", 0.01 dB a count; 32767 = clipping, 0 = no level yet). Each second's
# Leq/Lmax/Lmin/Fast/Slow is kept for /api/status "sound"; each minute's (period_s seconds)
# Leq/Lmax/Lmin/L10/L50/L90 goes to the node (on_minute: the sound log below, MQTT, webhooks).
# Microphone overruns (samples lost: the DMA buffer overflowed), short reads, levels the
# acquisition did not take in time (dropped) and clipping are counted in the status, never
# hidden. Settings (<data>/sound.json: weighting, calibration offset, statistics period) are
# set by PUT /api/sound (api_sound.py), calibration from a 94 dB SPL 1 kHz reference tone.
# Memory: made once per configuration: the block (BLOCK floats, 1.3 KB), the Meter (~4 KB:
# its histogram), the level queue (QN int16); per second one small dict (the meter's) and per
# minute one; the sound log appends a 20-byte record a minute through one buffer. Log-mel
# frames (melstream.MelStream, ~16 KB with the C binding) exist only while a WebSocket client
# asked for them (set_mel, from wshub.py) or a session records the audio (`audio`: the
# recorder's audio_rec.AudioRec takes each block and the frames): nothing otherwise.
import json
import os
import struct
from array import array

import asyncio

import clock
from shared.protocol import LEVEL_CLIPPED, LEVEL_NONE
from shared.soundlevel import Meter, offset_for_sensitivity

FILE = "sound.json"
WEIGHTINGS = ("A", "C", "Z")
BLOCKS_PER_S = 50                      # blocks of 20 ms (320 samples at 16 kHz)
LEVEL_RATES = (1, 2, 5, 10, 25, 50)    # level samples a second (divisors of BLOCKS_PER_S)
QN = 64                                # levels waiting for the acquisition
DEFAULTS = {"weighting": "A", "offset_db": None, "period_s": 60, "threshold_db": None}
HYSTERESIS_DB = 1.0     # a level over the threshold ends this much under it


def nearest(rate):
    best = LEVEL_RATES[0]
    for r in LEVEL_RATES:
        if abs(r - rate) < abs(best - rate):
            best = r
    return best


def load(data_dir):
    s = dict(DEFAULTS)
    try:
        with open(data_dir + "/" + FILE) as f:
            v = json.load(f)
        s.update(check(s, v))
    except (OSError, ValueError):
        pass
    return s


def check(cur, body):
    """cur updated with body's settings (weighting, offset_db, period_s); ValueError naming the
    field."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    new = dict(cur)
    for k in body:
        v = body[k]
        if k == "weighting":
            if v not in WEIGHTINGS:
                raise ValueError("weighting must be one of %s, got %r" % (", ".join(WEIGHTINGS),
                                                                          str(v)[:20]))
        elif k == "offset_db":
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or
                                  not 50.0 <= v <= 200.0):
                raise ValueError("offset_db must be a number 50..200 (dB) or null (the "
                                 "datasheet's), got %r" % (str(v)[:20],))
        elif k == "period_s":
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 600:
                raise ValueError("period_s must be a whole number of seconds 1..600, got %r"
                                 % (str(v)[:20],))
        elif k == "threshold_db":
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or
                                  not 20.0 <= v <= 140.0):
                raise ValueError("threshold_db must be a level 20..140 dB or null (off), got %r"
                                 % (str(v)[:20],))
        else:
            raise ValueError("unknown sound setting %r; valid: calibrate, weighting, "
                             "offset_db, period_s, threshold_db" % (str(k)[:30],))
        new[k] = v
    return new


def nothing():
    """The frames' notify while only a recording wants them (audio_rec.py)."""


class Sound:
    name = "mic"
    channels = ("level",)
    scale = 0.01
    unit = "dB"
    fifo = True                 # the sampler drains the levels this task queues

    def __init__(self, src, rate, data_dir):
        self.src = src
        self.data = data_dir
        self.fs = src.fs
        self.block = self.fs // BLOCKS_PER_S
        self.rate = nearest(rate)
        self._every = BLOCKS_PER_S // self.rate
        self.poll_ms = 100
        self.settings = load(data_dir)
        self.meter = None
        self._make_meter()
        self._blk = array("f", bytes(4 * self.block))
        self._q = array("h", bytes(2 * QN))
        self._qr = self._qw = 0
        self._k = 0
        self.blocks = 0                # blocks processed
        self.dropped = 0               # levels the acquisition did not take in time
        self.second = None             # the last second's levels (+ "t")
        self.minute = None             # the last minute's
        self.clipped_s = 0             # seconds that clipped since start
        self.on_minute = None          # fn(minute dict): the node's hook (node.py)
        self.on_event = None           # fn(kind, msg): "sound_over" / "sound_under" (node.py)
        self.over = False              # the last second's Leq was over threshold_db
        self.error = None
        self.melstream = None          # melstream.MelStream while a client wants mel frames
        self.audio = None              # audio_rec.AudioRec while a session keeps the audio
        self._task = None
        self._stop = False

    def _make_meter(self):
        s = self.settings
        off = s["offset_db"]
        if off is None:
            off = offset_for_sensitivity(self.src.sensitivity_dbfs)
        self.meter = None
        self.meter = Meter(self.fs, s["weighting"], off, period_s=s["period_s"])
        import model_store
        model_store.forget("shared.weighting")     # the filter is made: 3.7 KB of heap back

    def set_mel(self, notify):
        """Mel frames on (notify: fn() called for each frame) or off (None): made once when
        turned on, dropped with their modules when off (kept while a session records the
        audio). Returns the MelStream or None."""
        if notify is None and self.audio is not None:
            notify = nothing
        if notify is None:
            if self.melstream is not None:
                self.melstream = None
                import model_store
                model_store.forget("melstream")
            return None
        if self.melstream is None:
            from melstream import MelStream
            self.melstream = MelStream(self.fs, notify)
        self.melstream.notify = notify
        return self.melstream

    @property
    def overflows(self):
        return self.src.overruns

    @property
    def speed(self):
        return getattr(self.src, "speed", 1)

    @speed.setter
    def speed(self, n):
        if hasattr(self.src, "set_speed"):
            self.src.set_speed(n)

    # -- the acquisition's side (Sampler._run_fifo)
    def start(self):
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def drain(self, ring, limit):
        out = ring.buf
        n = 0
        while self._qr != self._qw and n < limit:
            out[ring.next_offset()] = self._q[self._qr]
            ring.commit()
            self._qr = (self._qr + 1) % QN
            n += 1
        return n

    def close(self):
        # the task ends by itself at its next block: a cancelled task stays referenced by
        # asyncio's exception context with its frame, which holds this object (20 KB)
        self._stop = True
        self._task = None
        self.src.close()

    # -- the sound task
    async def _run(self):
        src, blk = self.src, self._blk
        src.start()
        while not self._stop:
            try:
                await src.read(blk)
            except asyncio.CancelledError:
                raise
            except Exception as e:       # the microphone failed: say so, try again later
                if self._stop:           # (closed under the read)
                    break
                self.error = "microphone: %r" % (e,)
                await asyncio.sleep_ms(1000)
                continue
            if self._stop:
                break
            ms = self.melstream
            made = 0
            if ms is not None:          # before the meter, which filters blk in place
                made = ms.feed(blk, self.block, self.blocks * self.block)
            ar = self.audio
            if ar is not None:          # (the frames just made are still in ms's ring)
                # (ms not passed: a stale stack slot would keep it alive after)
                ar.feed(blk, self.block, self.blocks * self.block, made)
                ar = None
            ms = None
            m = self.meter
            done = m.process(blk)
            self.blocks += 1
            self._k += 1
            if self._k >= self._every:
                self._k = 0
                self._push(m)
            if done:
                self._end_second(m)
            if made:       # the clients' senders get their turn: a read catching up after
                await asyncio.sleep_ms(0)      # a stall never yields by itself
        # a finished task's frame may outlive it (asyncio's links between tasks): it keeps
        # nothing of this object
        self = src = blk = m = ms = None

    def _push(self, m):
        v = m.fast_db()
        if v is None:
            code = LEVEL_CLIPPED if m.clipping else LEVEL_NONE
        else:
            code = int(v * 100 + 0.5)
            code = LEVEL_NONE if code < 0 else LEVEL_CLIPPED - 1 if code >= LEVEL_CLIPPED else code
        w = (self._qw + 1) % QN
        if w == self._qr:               # the acquisition is behind: the oldest level goes
            self._qr = (self._qr + 1) % QN
            self.dropped += 1
        self._q[self._qw] = code
        self._qw = w

    def _end_second(self, m):
        s = m.last_second
        if s["clipped"]:
            self.clipped_s += 1
        for k in ("leq", "lmax", "lmin", "fast", "slow"):
            if s[k] is not None:
                s[k] = round(s[k], 2)
        s["t"] = clock.now()
        self.second = s
        thr = self.settings["threshold_db"]
        if thr is not None:            # over: Leq at or over it (a clipped second is over)
            leq = s["leq"]
            over = leq is None or leq >= (thr - HYSTERESIS_DB if self.over else thr)
            if over != self.over:
                self.over = over
                if self.on_event is not None:
                    self.on_event("sound_over" if over else "sound_under",
                                  {"t": s["t"], "leq": leq, "clipped": s["clipped"],
                                   "threshold_db": thr})
        mi = m.last_minute
        if mi is not None and mi is not self.minute:
            for k in mi:
                if k != "clipped_s" and mi[k] is not None:
                    mi[k] = round(mi[k], 2)
            mi["t"] = clock.now()
            mi["period_s"] = m.period_s
            self.minute = mi
            if self.on_minute is not None:
                try:
                    self.on_minute(mi)
                except Exception as e:
                    self.error = "sound log: %r" % (e,)

    # -- settings (api_sound.py)
    def apply(self, body):
        """PUT /api/sound: {"calibrate": dB} from the last clean second (the reference tone),
        and/or settings (check()). Saved to sound.json. ValueError naming what is wrong."""
        ref = None
        if isinstance(body, dict) and "calibrate" in body:
            ref = body["calibrate"]
            if isinstance(ref, bool) or not isinstance(ref, (int, float)) or \
                    not 60.0 <= ref <= 130.0:
                raise ValueError("calibrate must be the reference tone's level, 60..130 dB SPL "
                                 "(a calibrator: 94 or 114), got %r" % (str(ref)[:20],))
            body = dict(body)
            del body["calibrate"]
        new = check(self.settings, body)
        if ref is not None:
            new["offset_db"] = self.meter.calibrate(float(ref))   # ValueError: no clean second
        old = self.settings
        self.settings = new
        if new["threshold_db"] != old["threshold_db"]:
            self.over = False          # judged again from the next second
        if new["weighting"] != old["weighting"] or new["period_s"] != old["period_s"] or \
                (ref is None and new["offset_db"] != old["offset_db"]):
            self._make_meter()
        p = self.data + "/" + FILE
        with open(p + ".tmp", "w") as f:
            f.write(json.dumps(new))
        os.rename(p + ".tmp", p)
        return self.status()

    def status(self):
        m, src = self.meter, self.src
        f, sl = m.fast_db(), m.slow_db()
        s = {"fs": self.fs, "weighting": m.kind, "offset_db": round(m.offset_db, 3),
             "calibrated": self.settings["offset_db"] is not None,
             "period_s": m.period_s, "level_rate": self.rate, "impl": m.impl,
             "fast": None if f is None else round(f, 2),
             "slow": None if sl is None else round(sl, 2), "clipping": m.clipping,
             "second": self.second, "minute": self.minute, "clipped_s": self.clipped_s,
             "blocks": self.blocks, "overruns": src.overruns, "lost_samples": src.lost_samples,
             "dropped_blocks": -(-src.lost_samples // self.block), "short_reads": src.short_reads,
             "dropped_levels": self.dropped, "mic": getattr(src, "chip", src.name),
             "threshold_db": self.settings["threshold_db"], "over": self.over,
             "error": self.error}
        if hasattr(src, "resyncs"):
            s["resyncs"] = src.resyncs
        ms = self.melstream
        s["mel"] = None if ms is None else ms.status()
        return s


# -- the sound log: one record a minute (<data>/history/sound.lv, then sound.lv.1)
LOG = "history/sound.lv"
LOG_REC = 20                   # <I t, 6 x h centi-dB (leq lmax lmin l10 l50 l90), H clipped_s,
_FMT = "<I6hHH"                # H period_s; -32768: no level (the minute clipped)
LOG_MAX = 1440                 # records a file (a day of minutes); the previous file is kept
FIELDS = ("t", "leq", "lmax", "lmin", "l10", "l50", "l90", "clipped_s", "period_s")
_NONE = -32768


class Log:
    def __init__(self, data_dir):
        self.path = data_dir + "/" + LOG
        try:
            os.mkdir(data_dir + "/history")
        except OSError:
            pass
        self._buf = bytearray(LOG_REC)
        self.error = None
        self.records = self._size(self.path) // LOG_REC

    @staticmethod
    def _size(p):
        try:
            return os.stat(p)[6]
        except OSError:
            return 0

    def add(self, mi):
        v = []
        for k in FIELDS[1:7]:
            x = mi[k]
            v.append(_NONE if x is None else int(x * 100 + (0.5 if x >= 0 else -0.5)))
        struct.pack_into(_FMT, self._buf, 0, int(mi["t"] or 0), v[0], v[1], v[2], v[3], v[4],
                         v[5], mi["clipped_s"], mi["period_s"])
        try:
            if self.records >= LOG_MAX:
                try:
                    os.remove(self.path + ".1")
                except OSError:
                    pass
                os.rename(self.path, self.path + ".1")
                self.records = 0
            with open(self.path, "ab") as f:
                f.write(self._buf)
            self.records += 1
            self.error = None
        except OSError as e:
            self.error = "sound log write failed (%s)" % e

    def rows(self, last):
        """The newest `last` minutes, oldest first: lists in FIELDS order (dB or None)."""
        out = []
        for p in (self.path + ".1", self.path):
            n = self._size(p) // LOG_REC
            if not n:
                continue
            with open(p, "rb") as f:
                for i in range(n):
                    f.readinto(self._buf)
                    r = struct.unpack(_FMT, self._buf)
                    out.append([r[0]] + [None if x == _NONE else x / 100 for x in r[1:7]] +
                               [r[7], r[8]])
                    if len(out) > last:
                        out.pop(0)
        return out

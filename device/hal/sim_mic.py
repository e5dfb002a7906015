# Simulated microphone (the simulator's "mic" sensor): acoustic scenes synthesized block by
# block at 16 kHz, with the truth logged, or a WAV file replayed (hal/wav.py: 16-bit PCM mono
# 16 kHz; anything else refused with the error naming what the file is). Same interface as
# hal/i2s_mic.I2SMic: fs, start(), n = await read(block) (array('f'), full scale 1.0, paced in
# real time x speed), overruns/lost_samples/short_reads (always 0 here: nothing is lost),
# samples, close().
# A scene (set_scene: a preset name from SCENES or a dict, validated here) is background noise
# at a level plus sources, each {"kind", "db", "at" s, "dur" s or null (on for good), "every"
# s or null (once), "freq" Hz}: "tone" (a sine), "beep" (a short tone, repeated), "knock" (a
# decaying 180 Hz resonance, 0.15 s), "clap" (a decaying noise burst, 0.08 s), "hum" (a
# machine's 50 Hz and three harmonics, or freq), "speech" (WAVs rendered by
# scripts/make_sounds.py with espeak-ng into build/sounds/: "text" picks one by number).
# Levels are dB SPL, unweighted (Z): a source's RMS while on (a knock's or clap's: the RMS of a
# sine with its peak), through the simulated microphone's sensitivity SENSITIVITY_DBFS (a real
# unit's, 1 dB off the INMP441 datasheet's -26 dBFS the meter assumes: calibration matters).
# The output clips at full scale as a real microphone does. Deterministic by seed.
# Truth: each source occurrence is logged as it starts (the last TRUTH_MAX: start sample, end
# sample or -1, kind, level); truth() lists them in seconds of the microphone's clock.
# Memory: the scene (a few small lists), the truth ring (TRUTH_MAX x 13 bytes), for speech a
# scratch array('h') of one block (made at the first block) and the open WAV.
import math
from array import array

import asyncio

from shared.compat import ticks_add, ticks_diff, ticks_ms

try:
    from hal import wav
except ImportError:
    from device.hal import wav

FS = 16000
SENSITIVITY_DBFS = -25.0      # the simulated unit: 94 dB SPL (1 kHz) reads -25 dBFS ...
NOMINAL_DBFS = -26.0          # ... its datasheet's (the INMP441's), which the meter assumes
KINDS = ("noise", "tone", "beep", "knock", "clap", "hum", "speech")
TRUTH_MAX = 32
_FIELDS = ("kind", "db", "at", "dur", "every", "freq", "text")
_DUR = {"beep": 0.25, "knock": 0.15, "clap": 0.08, "speech": None}
SCENES = {
    "quiet": {"noise_db": 30, "sources": []},
    "calibrator": {"noise_db": 20, "sources": [{"kind": "tone", "db": 94, "freq": 1000}]},
    "office": {"noise_db": 40, "sources": [
        {"kind": "speech", "db": 62, "at": 1, "every": 9},
        {"kind": "knock", "db": 75, "at": 5.5, "every": 13},
        {"kind": "beep", "db": 68, "at": 3, "every": 17, "freq": 2000}]},
    "workshop": {"noise_db": 50, "sources": [
        {"kind": "hum", "db": 68, "freq": 50},
        {"kind": "knock", "db": 85, "at": 2, "every": 5},
        {"kind": "clap", "db": 88, "at": 3.5, "every": 11}]},
}
DEFAULT_SCENE = "office"
_P32 = 0x7FFFFFFF


def amplitude(db, sensitivity_dbfs=SENSITIVITY_DBFS):
    """RMS (full scale 1.0) of a sound at db dB SPL through the microphone."""
    return 10 ** ((db - 94.0 + sensitivity_dbfs) / 20.0) * math.sqrt(0.5)


def _num(src, k, lo, hi, default, none_ok=False):
    v = src.get(k, default)
    if v is None and none_ok:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise ValueError("scene source %r: %s must be a number %g..%g%s, got %r"
                         % (src.get("kind"), k, lo, hi, " or null" if none_ok else "", v))
    return float(v)


def check_scene(scene):
    """A validated copy of scene (a name in SCENES or a dict); ValueError naming the field."""
    if isinstance(scene, str):
        if scene not in SCENES:
            raise ValueError("unknown scene %r; valid: %s" % (scene[:40], ", ".join(sorted(SCENES))))
        scene = SCENES[scene]
    if not isinstance(scene, dict):
        raise ValueError('scene must be a name (%s) or {"noise_db": dB or null, "sources": '
                         '[...]}' % ", ".join(sorted(SCENES)))
    for k in scene:
        if k not in ("noise_db", "sources", "seed"):
            raise ValueError("unknown scene field %r; valid: noise_db, sources, seed" % (k,))
    noise = scene.get("noise_db")
    if noise is not None:
        noise = _num({"kind": "noise", "noise_db": noise}, "noise_db", 0, 130, None)
    srcs = scene.get("sources", [])
    if not isinstance(srcs, list) or len(srcs) > 8:
        raise ValueError("sources must be a list of at most 8 sources")
    out = []
    for s in srcs:
        if not isinstance(s, dict) or s.get("kind") not in KINDS[1:]:
            raise ValueError("each source needs a kind: %s; got %r"
                             % (", ".join(KINDS[1:]), s if not isinstance(s, dict)
                                else s.get("kind")))
        for k in s:
            if k not in _FIELDS:
                raise ValueError("scene source %r: unknown field %r; valid: %s"
                                 % (s["kind"], k, ", ".join(_FIELDS)))
        kind = s["kind"]
        dur = _DUR.get(kind) if kind in _DUR else None
        c = {"kind": kind, "db": _num(s, "db", 0, 140, None),
             "at": _num(s, "at", 0, 86400, 0.0),
             "dur": _num(s, "dur", 0.001, 86400, dur, True),
             "every": _num(s, "every", 0.01, 86400, None, True),
             "freq": _num(s, "freq", 10, 7900, 50.0 if kind == "hum" else 1000.0),
             "text": int(_num(s, "text", 0, 99, 0))}
        if c["every"] is not None and c["dur"] is None and kind != "speech":
            raise ValueError("scene source %r: a repeated source (every) needs a dur" % kind)
        if c["every"] is not None and c["dur"] is not None and c["dur"] > c["every"]:
            raise ValueError("scene source %r: dur %g s is longer than every %g s"
                             % (kind, c["dur"], c["every"]))
        out.append(c)
    seed = scene.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError("seed must be an integer")
    return {"noise_db": noise, "sources": out, "seed": seed}


class SimMic:
    name = "sim"

    def __init__(self, fs=FS, scene=DEFAULT_SCENE, sounds=None, wav_path=None, seed=None):
        self.fs = fs
        self.sensitivity_dbfs = NOMINAL_DBFS      # what the meter is told (as I2SMic's)
        self._true_dbfs = SENSITIVITY_DBFS        # what the synthesis uses
        self.sounds = sounds          # folder of speech WAVs (scripts/make_sounds.py)
        self.speed = 1
        self.overruns = self.lost_samples = self.short_reads = 0
        self.resyncs = 0
        self.samples = 0
        self._wav = None
        self._speech = None           # (Reader, gain, occurrence start) while speech plays
        self.warning = None           # a preset's speech left out (no rendered sounds)
        self._h = None
        self._t0 = None
        self._ts = array("q", bytes(8 * TRUTH_MAX))     # start sample
        self._te = array("q", bytes(8 * TRUTH_MAX))     # end sample, -1: on for good
        self._tk = bytearray(TRUTH_MAX)                 # kind
        self._td = array("f", bytes(4 * TRUTH_MAX))     # level dB
        self._tn = 0
        self.wav_path = wav_path
        if wav_path:
            self._wav = wav.Reader(wav_path, fs, loop=True)   # WavError: what the file is
            self.scene = None
        else:
            self.set_scene(scene, seed)

    # -- the scene
    def set_scene(self, scene, seed=None):
        """Play scene (name or dict) from the next sample on; ValueError leaves the old one."""
        sc = check_scene(scene)
        if self._wav is not None:
            raise ValueError("the microphone replays %s: no scene" % self.wav_path)
        warning = None
        for s in list(sc["sources"]):
            s["amp"] = amplitude(s["db"], self._true_dbfs) * math.sqrt(2)
            s["next"] = 0           # occurrences begun
            if s["kind"] == "speech":
                try:
                    s["amp"] = self._speech_gain(s)
                except ValueError as e:   # a preset plays on without it, a scene asked is refused
                    if not isinstance(scene, str):
                        raise
                    sc["sources"].remove(s)
                    warning = "speech left out: %s" % e
                    continue
                if s["every"] is not None and s["dur"] > s["every"]:
                    s["dur"] = s["every"]
        if self._speech is not None:
            self._speech[0].close()
            self._speech = None
        self.scene = sc
        self.scene_name = scene if isinstance(scene, str) else None
        self.warning = warning
        self._rng = ((seed if seed is not None else sc["seed"]) * 2654435761 + 12345) & _P32 or 1
        self._start = self.samples
        self._noise = amplitude(sc["noise_db"], self._true_dbfs) * math.sqrt(3) \
            if sc["noise_db"] is not None else 0.0
        if sc["noise_db"] is not None:
            self._log(self._start, -1, 0, sc["noise_db"])

    def _speech_file(self, s):
        import os
        if not self.sounds:
            raise ValueError("speech needs the rendered sounds (scripts/make_sounds.py; the "
                             "simulator is started with them by scripts/sim.py)")
        try:
            names = sorted(n for n in os.listdir(self.sounds) if n.startswith("speech") and
                           n.endswith(".wav"))
        except OSError:
            names = None
        if not names:
            raise ValueError("no speech WAVs in %s: run scripts/make_sounds.py" % self.sounds)
        return self.sounds + "/" + names[s["text"] % len(names)]

    def _speech_gain(self, s):
        p = self._speech_file(s)
        r = wav.Reader(p, self.fs)
        h = array("h", bytes(1024))
        ss, n = 0.0, 0
        while True:
            k = r.read_into(h)
            if not k:
                break
            for i in range(k):
                v = h[i]
                ss += v * v
            n += k
        r.close()
        s["path"] = p
        if s["dur"] is None:
            s["dur"] = n / self.fs
        rms = math.sqrt(ss / n) / 32768 if ss else 1.0
        return amplitude(s["db"], self._true_dbfs) / rms

    def _log(self, start, end, kind, db):
        i = self._tn % TRUTH_MAX
        self._ts[i], self._te[i], self._tk[i], self._td[i] = start, end, kind, db
        self._tn += 1

    def truth(self):
        """The last TRUTH_MAX occurrences, oldest first: {"kind", "db", "start_s", "end_s"
        (null: on until the scene changed)} in seconds of the microphone's clock."""
        out = []
        for j in range(max(0, self._tn - TRUTH_MAX), self._tn):
            i = j % TRUTH_MAX
            e = self._te[i]
            out.append({"kind": KINDS[self._tk[i]], "db": round(self._td[i], 1),
                        "start_s": self._ts[i] / self.fs,
                        "end_s": None if e < 0 else e / self.fs})
        return out

    # -- reading
    def start(self):
        self._t0 = ticks_ms()
        self._paced = 0

    async def read(self, block):
        if self._t0 is None:
            self.start()
        n = len(block)
        # real time x speed: this block is due when the samples before it have played
        due = self._paced * 1000 // (self.fs * self.speed)
        wait = due - ticks_diff(ticks_ms(), self._t0)
        if wait > 0:
            await asyncio.sleep_ms(wait) if hasattr(asyncio, "sleep_ms") else \
                await asyncio.sleep(wait / 1000)
        elif wait < -1000:                    # far behind (host busy): resync, count it
            self.resyncs += 1
            self._t0 = ticks_ms()
            self._paced = 0
        self._paced += n
        if self._paced >= self.fs * self.speed * 60:    # keep the numbers small: rebase
            self._t0 = ticks_add(self._t0, 60000)
            self._paced -= self.fs * self.speed * 60
        self.synth(block)
        return n

    def set_speed(self, n):
        self.speed = n
        self._t0 = ticks_ms()
        self._paced = 0

    def synth(self, out):
        """The next len(out) samples into out (no pacing)."""
        n = len(out)
        if self._wav is not None:
            if self._h is None or len(self._h) < n:
                self._h = array("h", bytes(2 * n))
            self._wav.read_floats(out, self._h, n)
            self.samples += n
            return
        s0 = self.samples
        amp = self._noise
        if amp:
            r = self._rng
            k = amp / 32768.0
            for i in range(n):
                r ^= (r << 13) & _P32
                r ^= r >> 17
                r ^= (r << 5) & _P32
                out[i] = ((r & 0xFFFF) - 32768) * k
            self._rng = r
        else:
            for i in range(n):
                out[i] = 0.0
        for s in self.scene["sources"]:
            self._source(s, out, s0, n)
        for i in range(n):
            v = out[i]
            if v > 1.0:
                out[i] = 1.0
            elif v < -1.0:
                out[i] = -1.0
        self.samples = s0 + n

    def _source(self, s, out, s0, n):
        fs = self.fs
        first = self._start + int(s["at"] * fs)
        if first >= s0 + n:
            return
        every = s["every"]
        dur = s["dur"]
        length = -1 if dur is None else int(dur * fs)
        step = int(every * fs) if every else 0
        # the occurrences overlapping [s0, s0 + n), each logged when first reached
        k = max(0, (s0 - first - length) // step) if step else 0
        while True:
            a = first + k * step
            if a >= s0 + n:
                break
            e = -1 if length < 0 else a + length
            if k >= s["next"]:
                s["next"] = k + 1
                self._log(a, e, KINDS.index(s["kind"]), s["db"])
            if e < 0 or e > s0:
                lo = a if a > s0 else s0
                hi = s0 + n if e < 0 or e > s0 + n else e
                self._play(s, out, a, lo - s0, hi - s0, s0)
            if not step:
                break
            k += 1

    def _play(self, s, out, a, i0, i1, s0):
        kind, amp, fs = s["kind"], s["amp"], self.fs
        u0 = s0 + i0 - a                  # samples since the occurrence began
        if kind in ("tone", "beep"):
            w = 2 * math.pi * s["freq"] / fs
            for i in range(i0, i1):
                out[i] += amp * math.sin(w * (u0 + i - i0))
        elif kind == "hum":
            w = 2 * math.pi * s["freq"] / fs
            a1, a2, a3, a4 = amp * 0.8, amp * 0.5, amp * 0.25, amp * 0.15
            for i in range(i0, i1):
                p = w * (u0 + i - i0)
                out[i] += a1 * math.sin(p) + a2 * math.sin(2 * p) + a3 * math.sin(3 * p) + \
                    a4 * math.sin(4 * p)
        elif kind == "knock":
            w = 2 * math.pi * 180 / fs
            d = math.exp(-1.0 / (0.03 * fs))
            g = amp * d ** u0
            for i in range(i0, i1):
                out[i] += g * math.sin(w * (u0 + i - i0))
                g *= d
        elif kind == "clap":
            d = math.exp(-1.0 / (0.01 * fs))
            g = amp * math.sqrt(3) * d ** u0 / 32768.0
            r = self._rng
            for i in range(i0, i1):
                r ^= (r << 13) & _P32
                r ^= r >> 17
                r ^= (r << 5) & _P32
                out[i] += ((r & 0xFFFF) - 32768) * g
                g *= d
            self._rng = r
        elif kind == "speech":
            sp = self._speech
            if sp is None or sp[2] != a:
                if sp is not None:
                    sp[0].close()
                sp = self._speech = (wav.Reader(s["path"], fs), amp, a)
            r = sp[0]
            h = self._scratch(i1 - i0)
            got = r.read_into(h, i1 - i0)
            k = amp / 32768.0
            for j in range(got):
                out[i0 + j] += h[j] * k

    def _scratch(self, n):
        if self._h is None or len(self._h) < n:
            self._h = array("h", bytes(2 * n))
        return self._h

    def close(self):
        if self._wav is not None:
            self._wav.close()
        if self._speech is not None:
            self._speech[0].close()
            self._speech = None

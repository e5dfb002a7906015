"""shared.sound_features: window features from log-mel frames equal the golden vectors
(scripts/make_golden_sound_features.py, numpy float64, from the device's int16 0.01 dB codes) on
every runtime; a steady tone, noise and a knock (synthesised here through shared.mel) give
features that tell them apart; a small tree model trained on synthesised sounds of 3 classes
(the trainer path of shared/pipeline.py: Quantizer, Trainer, model file) labels unseen ones."""
import math
import gc
import sys
from array import array

try:
    import ujson as json
except ImportError:
    import json

from shared import mel, sound_features as SF
from shared.compat import Rng

CLASSES = ("tone", "noise", "knock")
_cache = {}


def _golden():
    if "doc" not in _cache:
        path = __file__ if "/" in __file__ else "./" + __file__
        with open(path.rsplit("/", 1)[0] + "/golden/sound_features.json") as f:
            _cache["doc"] = json.load(f)
    return _cache["doc"]


def sound_frames(kind, rng, n_frames=SF.N_FRAMES, f0=1000.0, db=-20.0, floor_db=-60.0,
                 hits=1, mf=None):
    """Log-mel frames (array('f'), frame-major) of n_frames x 512 samples of a synthesised
    sound over background noise at floor_db (dBFS, peak): "tone" a sine at f0, "noise" white
    noise, "knock" `hits` short decaying bursts (20 ms time constant) at random times, peak db.
    Used by make_golden_sound_features.py too."""
    mf = mf or mel.MelFrames()
    n = mel.N_FFT
    x = array("f", bytes(4 * n))
    row = array("f", bytes(4 * mel.N_MELS))
    out = array("f", bytes(4 * mel.N_MELS * n_frames))
    amp = 10.0 ** (db / 20.0)
    bg = 2.0 * 10.0 ** (floor_db / 20.0) / 4294967296.0
    starts = sorted(rng.randint(3 * n, (n_frames - 3) * n) for _ in range(hits))
    w = 2.0 * math.pi * f0 / mel.SAMPLERATE
    decay = math.exp(-1.0 / 320.0)
    env = 0.0
    k = 0
    for t in range(n_frames):
        for i in range(n):
            s = (rng.next32() - 2147483648) * bg
            if kind == "tone":
                s += amp * math.sin(w * k)
            elif kind == "noise":
                s += (rng.next32() - 2147483648) * amp / 2147483648.0
            else:
                if k in starts:
                    env = amp
                if env > 1e-5:
                    s += (rng.next32() - 2147483648) * env / 2147483648.0
                    env *= decay
            x[i] = s
            k += 1
        mf.compute(x, row)
        for m in range(mel.N_MELS):
            out[t * mel.N_MELS + m] = row[m]
    return out


def test_names_and_settings():
    fe = SF.SoundFeatures()
    assert fe.n_features == len(fe.names) == 34 <= 127
    assert fe.names[:3] == ["mel0_3_mean", "mel0_3_std", "mel0_3_max"]
    assert fe.names[-1] == "onsets" and "mel28_31_max" in fe.names
    assert len(set(fe.names)) == fe.n_features
    assert fe.names == _golden()["names"]
    assert fe.settings() == _golden()["settings"]


def test_golden_windows():
    # the device's int16 0.01 dB codes as input: the same numbers on every runtime
    doc = _golden()
    s = doc["settings"]
    fe = SF.SoundFeatures(s["frames"], s["bands"], s["group"], s["onset_db"])
    out = fe.new_output()
    for w in doc["windows"]:
        codes = array("h", w["codes"])
        fe.compute(codes, out, 0.01, w["start"])
        want = w["features"]
        for j in range(fe.n_features):
            tol = doc["tolerance"] * max(1.0, abs(want[j]))
            assert abs(out[j] - want[j]) <= tol, (w["name"], fe.names[j], out[j], want[j])
        # float dB frames give the same features
        f = array("f", [c * 0.01 for c in w["codes"]])
        out2 = fe.new_output()
        fe.compute(f, out2, 1.0, w["start"])
        for j in range(fe.n_features):
            assert abs(out2[j] - out[j]) <= 1e-3 * max(1.0, abs(out[j])), (w["name"], j)


def test_ring_start_wraps():
    # a ring of frames read from `start` on equals the same frames laid out from 0
    rng = Rng(11)
    fe = SF.SoundFeatures(n_frames=6, n_mels=8, group=3)
    assert fe.names[:6] == ["mel0_2_mean", "mel0_2_std", "mel0_2_max",
                            "mel3_5_mean", "mel3_5_std", "mel3_5_max"]
    assert "mel6_7_mean" in fe.names and fe.n_features == 9 + 10
    ring = array("f", [rng.uniform(-80.0, 0.0) for _ in range(8 * 9)])
    start = 5
    flat = array("f", [ring[((start + t) % 9) * 8 + b] for t in range(6) for b in range(8)])
    a = fe.compute(ring, fe.new_output(), 1.0, start)
    b = fe.compute(flat, fe.new_output())
    assert list(a) == list(b)


def test_bad_input_refused():
    fe = SF.SoundFeatures()
    for call in (lambda: fe.compute(array("f", bytes(4 * 32 * 30)), fe.new_output()),
                 lambda: fe.compute(array("f", bytes(4 * 32 * 31)), array("f", bytes(8))),
                 lambda: SF.SoundFeatures(n_frames=0), lambda: SF.SoundFeatures(group=33)):
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("accepted")


def _f(fe, out, name):
    return out[fe.names.index(name)]


def test_tone_noise_knock_differ():
    fe = SF.SoundFeatures()
    mf = mel.MelFrames()
    rng = Rng(5)
    got = {}
    for key, kind, f0, hits in (("low", "tone", 400.0, 1), ("high", "tone", 3000.0, 1),
                                ("noise", "noise", 0.0, 1), ("knock", "knock", 0.0, 1),
                                ("knocks", "knock", 0.0, 2)):
        got[key] = fe.compute(sound_frames(kind, rng, f0=f0, hits=hits, mf=mf), fe.new_output())
    # onsets: none in a steady tone or noise, one per knock
    for key in ("low", "high", "noise"):
        assert _f(fe, got[key], "onsets") == 0, (key, _f(fe, got[key], "flux_max"))
    assert _f(fe, got["knock"], "onsets") == 1, _f(fe, got["knock"], "flux_max")
    assert _f(fe, got["knocks"], "onsets") == 2
    assert _f(fe, got["knock"], "flux_max") > 5 * _f(fe, got["noise"], "flux_max")
    # centroid: higher for the higher tone; noise is flat, a tone is not
    assert _f(fe, got["high"], "centroid_mean") > _f(fe, got["low"], "centroid_mean") + 8
    assert _f(fe, got["noise"], "flatness_mean") > -6.0
    assert _f(fe, got["low"], "flatness_mean") < -20.0
    # the level: steady for tone and noise, swinging for a knock
    assert _f(fe, got["low"], "level_std") < 0.5 and _f(fe, got["noise"], "level_std") < 1.5
    assert _f(fe, got["knock"], "level_std") > 5.0
    assert _f(fe, got["knock"], "level_max") - _f(fe, got["knock"], "level_min") > 30.0


def _dataset(seed, per_class, fe, mf):
    # random tone pitch, levels and background per window; the class is the kind of sound
    rng = Rng(seed)
    rows, y = [], bytearray()
    for i in range(per_class * len(CLASSES)):
        c = i % len(CLASSES)
        db = rng.uniform(-40.0, -6.0)
        fr = sound_frames(CLASSES[c], rng, f0=rng.uniform(200.0, 5000.0), db=db,
                          floor_db=db - rng.uniform(25.0, 45.0), hits=1, mf=mf)
        rows.append(fe.compute(fr, fe.new_output()))
        y.append(c)
        fr = None
        gc.collect()   # npm's MicroPython-WASM (no C mel) grew its heap past 2 GB without it
    return rows, y


def test_trees_tell_unseen_sounds_apart():
    from shared import evaluate as E, modelformat as MF
    from shared.pipeline import model_text, quantise_rows
    from shared.quant import Quantizer
    from shared.trainer import Trainer
    if "c" not in mel.impls() and sys.implementation.name == "micropython":
        # 33 synthesised seconds through the Python mel: in a full suite run npm's
        # MicroPython-WASM (no C modules) grew its heap to its 2 GB limit here (alone it
        # passes). Separability is the same property on every runtime: it is checked on
        # CPython and on our builds (C mel); the golden features run everywhere.
        print("test_trees_tell_unseen_sounds_apart: skipped without the C mel on MicroPython")
        return
    fe = SF.SoundFeatures()
    mf = mel.MelFrames()
    rows, y = _dataset(101, 6, fe, mf)
    qz = Quantizer.fit(rows)
    X = quantise_rows(rows, qz)
    t = Trainer(X, y, fe.n_features, len(CLASSES), n_trees=5, max_depth=6, seed=1)
    t.fit()
    window = fe.settings()
    window["rate"] = mel.SAMPLERATE
    meta = MF.make_meta(fe.names, CLASSES, qz, window)
    text = model_text(t.model(), meta)
    model = MF.loads(text)          # what a reader of the file gets
    assert model.meta["features"] == fe.names
    assert model.meta["window"]["features"] == SF.KIND
    test_rows, truth = _dataset(202, 5, fe, mf)     # other seeds: unseen sounds
    q = array("h", [0] * fe.n_features)
    pred = bytearray()
    for r in test_rows:
        qz.quantize_into(r, q)
        pred.append(model.predict(q))
    acc = E.metrics(E.confusion(truth, pred, len(CLASSES)), CLASSES)["accuracy"]
    print("sound_features: 3 classes, trained on %d windows, %d unseen: accuracy %.3f"
          % (len(rows), len(test_rows), acc))
    assert acc >= 0.85, acc


def _floats_allocated(call):
    # heap allocated by call() with the collector off, in boxed floats (one 32-byte block on
    # 64-bit builds, 16 on the 32-bit ESP32 and WASM); None on CPython (no gc.mem_alloc)
    if not hasattr(gc, "mem_alloc"):
        return None
    x = 1.5
    gc.collect()
    gc.disable()
    try:
        a = gc.mem_alloc()
        y = x * 3.0
        b = gc.mem_alloc()
        call()
        c = gc.mem_alloc()
    finally:
        gc.enable()
    assert y == 4.5
    return (c - b) / (b - a)


def test_window_allocates_little():
    # From the device's int16 codes a window costs at most 4 boxed floats a value (the power
    # sums) and a few per frame; nothing is kept (398 KB a 31 x 32 window before: ~12.5 floats a
    # value). Asserted where gc.mem_alloc exists (MicroPython: unix, WASM, the device).
    fe = SF.SoundFeatures(n_frames=8)
    n = fe.n_frames * fe.n_mels
    rng = Rng(3)
    codes = array("h", bytes(2 * n))
    for i in range(n):
        codes[i] = rng.randint(-9000, 1000)
    out = fe.new_output()
    fe.compute(codes, out, 0.01)         # warm-up: the scratch is made once
    first = list(out)
    used = _floats_allocated(lambda: fe.compute(codes, out, 0.01))
    assert list(out) == first
    if used is None:
        print("test_window_allocates_little: no gc.mem_alloc on %s: not measured"
              % sys.implementation.name)
        return
    print("sound_features: %d values, %.0f boxed floats a window from int16 codes (%.2f a value)"
          % (n, used, used / n))
    assert used <= 4 * n + 16 * fe.n_frames + 250, used

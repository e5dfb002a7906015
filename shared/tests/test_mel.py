"""shared.mel: the log-mel frames equal the golden vectors (scripts/make_golden_mel.py, numpy
float64) on every runtime and path here (our C binding emlearn_melspectrogram where it imports,
the Python pipeline on every FFT), with emlearn's filterbank table exactly."""
from array import array

try:
    import ujson as json
except ImportError:
    import json

from shared import features, mel

_cache = {}


def _golden():
    if "doc" not in _cache:
        path = __file__ if "/" in __file__ else "./" + __file__
        with open(path.rsplit("/", 1)[0] + "/golden/mel.json") as f:
            _cache["doc"] = json.load(f)
    return _cache["doc"]


def test_filterbank_is_the_golden_table():
    fb = _golden()["filterbank"]
    starts, stops, lut = mel.filterbank()
    assert list(starts) == fb["starts"] and list(stops) == fb["stops"]
    assert len(lut) == len(fb["weights"])
    for i in range(len(lut)):
        assert abs(lut[i] - fb["weights"][i]) <= 1e-7, (i, lut[i], fb["weights"][i])
    # triangles: every band peaks at 1 (or near it) and its weights stay within 0..1
    o = 0
    for m in range(len(starts)):
        n = stops[m] - starts[m] + 1
        band = lut[o:o + n]
        assert 0.0 <= min(band) and max(band) <= 1.0 and max(band) > 0.5, (m, list(band))
        o += n


def _paths():
    # (mel impl, FFT impl): the C binding alone, and the Python pipeline on every FFT
    paths = [("python", f) for f in features.fft_impls()]
    return paths + [("c", "c")] if "c" in mel.impls() else paths


def test_logmel_frames_equal_golden_on_every_path():
    doc = _golden()
    s = doc["settings"]
    tol = doc["tolerance_db"]
    for impl, fft in _paths():
        mf = mel.MelFrames(s["fs"], s["n_fft"], s["n_mels"], s["fmin"], s["fmax"], fft=fft,
                           impl=impl)
        assert mf.impl == impl, (mf.impl, impl)
        x = array("f", bytes(4 * s["n_fft"]))
        out = array("f", bytes(4 * s["n_mels"]))
        for f, frame in enumerate(doc["frames"]):
            for i in range(len(x)):
                x[i] = frame[i] / 32768.0
            keep = array("f", x)
            mf.compute(x, out)
            assert list(x) == list(keep), "compute() changed its input"
            want = doc["logmel"][f]
            for m in range(s["n_mels"]):
                assert abs(out[m] - want[m]) <= tol, (impl, fft, f, m, out[m], want[m])


def test_c_binding_table_is_the_python_table():
    # emlearn_melspectrogram builds its sparse table with eml_audio.h's own helpers: the same
    # bins as filterbank() and the same weights within 1e-5, the bound test_mel_c holds
    # filterbank() to against emlearn's C (the C library's powf/log10 and Python's pow/log10
    # can differ in the last float32 bit; seen up to 1.2e-6; the default table is equal)
    if "c" not in mel.impls():
        return      # emlearn_melspectrogram is not in this interpreter
    import emlearn_melspectrogram
    for kw in ({}, {"n_mels": 40, "fmin": 50.0, "fmax": 7000.0}, {"n_mels": 20, "fs": 8000},
               {"n_mels": 37, "fs": 22050}, {"n_mels": 54, "fmin": 50.0, "fs": 8000, "n_fft": 256}):
        fs = kw.get("fs", mel.SAMPLERATE)
        starts, stops, lut = mel.filterbank(**kw)
        c = emlearn_melspectrogram.new(kw.get("n_fft", mel.N_FFT), len(starts),
                                       kw.get("fmin", 0.0), kw.get("fmax", fs / 2.0), fs)
        assert c.n_weights() == len(lut), (kw, c.n_weights(), len(lut))
        a = array("H", bytes(2 * len(starts)))
        b = array("H", bytes(2 * len(starts)))
        w = array("f", bytes(4 * len(lut)))
        c.filterbank(a, b, w)
        assert list(a) == list(starts) and list(b) == list(stops), kw
        for i in range(len(lut)):
            assert abs(w[i] - lut[i]) <= 1e-5, (kw, i, w[i], lut[i])
        if not kw:
            assert list(w) == list(lut)


def test_silence_reads_the_floor_and_bad_input_is_refused():
    for impl in mel.impls():
        mf = mel.MelFrames(impl=impl)
        out = array("f", bytes(4 * mel.N_MELS))
        mf.compute(array("f", bytes(4 * mel.N_FFT)), out)
        assert max(out) == min(out) and abs(out[0] + 100.0) < 1e-3, impl
        for call in (lambda: mf.compute(array("f", bytes(4 * 100)), out),
                     lambda: mel.MelFrames(fmax=9000.0, impl=impl),
                     lambda: mel.MelFrames(n_fft=500, impl=impl),
                     lambda: mel.MelFrames(n_mels=200, impl=impl),
                     lambda: mel.filterbank(fmax=9000.0), lambda: mel.filterbank(n_fft=500),
                     lambda: mel.filterbank(n_mels=200)):
            try:
                call()
            except ValueError:
                continue
            raise AssertionError("accepted (%s)" % impl)

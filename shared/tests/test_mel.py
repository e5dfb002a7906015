"""shared.mel: the log-mel frames equal the golden vectors (scripts/make_golden_mel.py, numpy
float64) on every runtime and FFT path here, with emlearn's filterbank table exactly."""
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


def test_logmel_frames_equal_golden_on_every_fft_path():
    doc = _golden()
    s = doc["settings"]
    tol = doc["tolerance_db"]
    for impl in features.fft_impls():
        mf = mel.MelFrames(s["fs"], s["n_fft"], s["n_mels"], s["fmin"], s["fmax"], fft=impl)
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
                assert abs(out[m] - want[m]) <= tol, (impl, f, m, out[m], want[m])


def test_silence_reads_the_floor_and_bad_input_is_refused():
    mf = mel.MelFrames()
    out = array("f", bytes(4 * mel.N_MELS))
    mf.compute(array("f", bytes(4 * mel.N_FFT)), out)
    assert max(out) == min(out) and abs(out[0] + 100.0) < 1e-3
    for call in (lambda: mf.compute(array("f", bytes(4 * 100)), out),
                 lambda: mel.filterbank(fmax=9000.0), lambda: mel.filterbank(n_fft=500),
                 lambda: mel.filterbank(n_mels=200)):
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("accepted")

"""shared.mel against emlearn's own C: eml_audio.h's eml_audio_melspec compiled with gcc from
the emlearn package in .venv and fed power spectra (one-hot ones give its weight of every bin
in every band; random ones the sums), and whole frames through emlearn's window and FFT.
CPython only (HOST_ONLY); skips say why."""
import os
import random
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared import mel  # noqa: E402

_PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include "eml_audio.h"

/* the frames the device will make: int16 samples / 32768, emlearn's Hann window and FFT,
   power re^2 + im^2 over n_fft, eml_audio_melspec, 10 log10 (floor 1e-10) */
static int frames(EmlAudioMel p, int rows) {
    static float re[4096], im[4096], sn[2048], cs[2048], spec[2049], out[512];
    EmlFFT fft = { p.n_fft / 2, sn, cs };
    if (eml_fft_fill(fft, p.n_fft) != EmlOk) return 5;
    for (int r = 0; r < rows; r++) {
        for (int i = 0; i < p.n_fft; i++) {
            int v;
            if (scanf("%d", &v) != 1) return 3;
            re[i] = v / 32768.0f;
            im[i] = 0.0f;
        }
        eml_signal_hann_apply(re, p.n_fft);
        if (eml_fft_forward(fft, re, im, p.n_fft) != EmlOk) return 6;
        for (int k = 0; k <= p.n_fft / 2; k++) {
            spec[k] = (re[k] * re[k] + im[k] * im[k]) / p.n_fft;
        }
        spec[p.n_fft / 2 + 1] = 0.0f;
        EmlVector s = { spec, p.n_fft / 2 + 2 };
        EmlVector m = { out, p.n_mels };
        if (eml_audio_melspec(p, s, m) != EmlOk) return 4;
        for (int i = 0; i < p.n_mels; i++) {
            printf("%.9g ", 10.0f * log10f(out[i] > 1e-10f ? out[i] : 1e-10f));
        }
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv) {
    EmlAudioMel p = { atoi(argv[1]), (float)atof(argv[2]), (float)atof(argv[3]),
                      atoi(argv[4]), atoi(argv[5]) };
    const int n_bins = 1 + p.n_fft / 2;
    static float spec[8193], out[512];
    int rows = 0;
    if (scanf("%d", &rows) != 1) return 2;
    if (argc > 6) return frames(p, rows);
    for (int r = 0; r < rows; r++) {
        for (int k = 0; k < n_bins; k++) {
            if (scanf("%f", &spec[k]) != 1) return 3;
        }
        EmlVector s = { spec, n_bins + 1 };  /* melspec reads bin `right`; one spare zero */
        EmlVector m = { out, p.n_mels };
        EmlError e = eml_audio_melspec(p, s, m);
        if (e != EmlOk) { printf("error %d\n", (int)e); return 4; }
        for (int i = 0; i < p.n_mels; i++) printf("%.9g ", out[i]);
        printf("\n");
    }
    return 0;
}
"""


def _header_dir():
    try:
        import emlearn
    except ImportError:
        return None
    d = os.path.dirname(emlearn.__file__)
    return d if os.path.exists(os.path.join(d, "eml_audio.h")) else None


@pytest.fixture(scope="module")
def melspec_c():
    gcc = shutil.which("gcc")
    inc = _header_dir()
    if not gcc:
        pytest.skip("gcc not found: the C comparison needs it")
    if not inc:
        pytest.skip("emlearn (with eml_audio.h) not installed in this Python")
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "melspec.c")
    exe = os.path.join(tmp, "melspec")
    with open(src, "w") as f:
        f.write(_PROG)
    subprocess.run([gcc, "-O1", "-std=c99", "-I", inc, src, "-o", exe, "-lm"], check=True,
                   capture_output=True)

    def run(spectra, n_mels=mel.N_MELS, fmin=mel.FMIN, fmax=None, n_fft=mel.N_FFT,
            fs=mel.SAMPLERATE, frames=False):
        fmax = fs / 2.0 if fmax is None else fmax
        text = "%d\n" % len(spectra) + "\n".join(" ".join("%.9g" % v for v in s)
                                                  for s in spectra)
        args = [exe, str(n_mels), repr(fmin), repr(fmax), str(n_fft), str(fs)]
        p = subprocess.run(args + (["frames"] if frames else []),
                           input=text, capture_output=True, text=True, check=True)
        return [[float(v) for v in line.split()] for line in p.stdout.splitlines()]

    yield run
    shutil.rmtree(tmp)


def _python(spectra, **kw):
    starts, stops, lut = mel.filterbank(**kw)
    out = [0.0] * len(starts)
    rows = []
    for s in spectra:
        mel.apply_filterbank(s, starts, stops, lut, out)
        rows.append(list(out))
    return rows


@pytest.mark.parametrize("kw", [{}, {"n_mels": 40, "fmin": 50.0, "fmax": 7000.0},
                                {"n_mels": 64, "n_fft": 1024}, {"n_mels": 20, "fs": 8000},
                                # two where float64 arithmetic would move a band edge by a bin
                                {"n_mels": 37, "fs": 22050},
                                {"n_mels": 54, "fmin": 50.0, "fs": 8000, "n_fft": 256}])
def test_weights_of_every_bin_equal_emlearn(melspec_c, kw):
    n_bins = kw.get("n_fft", mel.N_FFT) // 2 + 1
    onehot = [[1.0 if k == j else 0.0 for k in range(n_bins)] for j in range(n_bins)]
    want = melspec_c(onehot, **kw)
    got = _python(onehot, **kw)
    for j in range(n_bins):
        for m in range(len(got[j])):
            assert abs(got[j][m] - want[j][m]) <= 1e-5, (kw, "bin", j, "band", m,
                                                          got[j][m], want[j][m])


def test_band_sums_equal_emlearn(melspec_c):
    rs = random.Random(7)
    spectra = [[rs.random() * 10 ** rs.uniform(-6, 2) for _ in range(mel.N_FFT // 2 + 1)]
               for _ in range(20)]
    want = melspec_c(spectra)
    got = _python(spectra)
    for r in range(len(spectra)):
        for m in range(mel.N_MELS):
            assert abs(got[r][m] - want[r][m]) <= 1e-5 * abs(want[r][m]) + 1e-12, (r, m)


def test_whole_frames_in_c_equal_golden_and_python(melspec_c):
    # the pipeline a C binding will run (emlearn's window, FFT and filterbank, float32
    # throughout) against the golden log-mel frames (numpy) and shared.mel on CPython
    import json
    from array import array
    with open(os.path.join(ROOT, "shared", "tests", "golden", "mel.json")) as f:
        doc = json.load(f)
    want = melspec_c(doc["frames"], frames=True)
    mf = mel.MelFrames()
    out = array("f", bytes(4 * mel.N_MELS))
    for r, frame in enumerate(doc["frames"]):
        mf.compute(array("f", [v / 32768.0 for v in frame]), out)
        for m in range(mel.N_MELS):
            assert abs(want[r][m] - doc["logmel"][r][m]) <= doc["tolerance_db"], (r, m)
            assert abs(want[r][m] - out[m]) <= doc["tolerance_db"], (r, m)

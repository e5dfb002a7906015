#!/usr/bin/env python3
"""Generate shared/tests/golden/mel.json (run once, commit the output): int16 frames of test
sound (silence with a little noise, tones, a click, a tone near Nyquist, white noise) and their
log-mel frames, computed independently here with numpy (float64 rfft, emlearn's Hann, power
|X|^2 / n_fft) through shared.mel's filterbank table; that table is checked against emlearn's C
eml_audio_melspec by shared/tests/test_mel_c.py. Usage: .venv/bin/python scripts/make_golden_mel.py
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared import mel  # noqa: E402

OUT = os.path.join(ROOT, "shared", "tests", "golden", "mel.json")
TOL_DB = 0.01   # 64-bit runtimes: float32 FFT tables and buffers vs numpy's float64


def frames(n=mel.N_FFT, fs=mel.SAMPLERATE):
    rs = np.random.RandomState(20)
    t = np.arange(n) / fs
    noise = lambda db: rs.normal(0.0, 10 ** (db / 20.0), n)  # noqa: E731
    sig = [
        noise(-70),
        0.5 * np.sin(2 * np.pi * 1000 * t + 0.3) + noise(-60),
        0.3 * np.sin(2 * np.pi * 250 * t) + 0.2 * np.sin(2 * np.pi * 3150 * t + 1) + noise(-60),
        np.where(np.arange(n) == 200, 0.9, 0.0) + noise(-60),
        0.4 * np.sin(2 * np.pi * 7600 * t) + noise(-60),
        noise(-12),
        0.25 * np.sin(2 * np.pi * (200 + 6000 * t / t[-1] / 2) * t) + noise(-50),
    ]
    return [np.clip(np.round(s * 32768), -32768, 32767).astype(np.int64) for s in sig]


def dense(starts, stops, lut, n_bins):
    W = np.zeros((len(starts), n_bins))
    o = 0
    for m in range(len(starts)):
        for k in range(starts[m], stops[m] + 1):
            W[m, k] = lut[o]
            o += 1
    return W


def main():
    n = mel.N_FFT
    starts, stops, lut = mel.filterbank()
    W = dense(starts, stops, [float(v) for v in lut], n // 2 + 1)
    win = 0.5 * (1 - np.cos(2 * np.pi * np.arange(n) / (n - 1)))   # emlearn's (symmetric)
    out = []
    ins = frames()
    for x in ins:
        X = np.fft.rfft(x / 32768.0 * win)
        p = (X.real ** 2 + X.imag ** 2) / n
        out.append([round(float(v), 5) for v in 10 * np.log10(np.maximum(W @ p, mel.FLOOR))])
    doc = {
        "about": "scripts/make_golden_mel.py: int16 frames (full scale 32768) -> log-mel dB",
        "settings": {"fs": mel.SAMPLERATE, "n_fft": n, "n_mels": mel.N_MELS, "fmin": mel.FMIN,
                     "fmax": mel.SAMPLERATE / 2, "floor": mel.FLOOR},
        "tolerance_db": TOL_DB,
        "filterbank": {"starts": list(starts), "stops": list(stops),
                       "weights": [float(v) for v in lut]},
        "frames": [[int(v) for v in x] for x in ins],
        "logmel": out,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d frames, %d weights" % (OUT, len(ins), len(lut)))


if __name__ == "__main__":
    main()

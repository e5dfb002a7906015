#!/usr/bin/env python3
"""Generate shared/tests/golden/sound_features.json (run once, commit the output): windows of
log-mel frames as the device sends them (int16 0.01 dB codes, shared/protocol.py) of synthesised
sounds (a low and a high tone, noise, a knock, two knocks in a ring read from frame 7) and their
window features, computed independently here with numpy float64 from the definitions in
shared/sound_features.py's header. Usage: .venv/bin/python scripts/make_golden_sound_features.py
"""
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared import mel, sound_features as SF  # noqa: E402
from shared.compat import Rng  # noqa: E402
from shared.tests.test_sound_features import sound_frames  # noqa: E402

OUT = os.path.join(ROOT, "shared", "tests", "golden", "sound_features.json")
TOL = 1e-4      # relative (absolute below 1): float32 scratch in the module vs float64 here


def features(v, group=SF.GROUP, onset_db=SF.ONSET_DB):
    """v: (frames, bands) dB. The features in SF.feature_names() order."""
    nt, nm = v.shape
    out = []
    for a in range(0, nm, group):
        g = v[:, a:a + group].mean(axis=1)
        out += [g.mean(), g.std(), g.max()]
    p = 10.0 ** (v / 10.0)
    level = 10.0 * np.log10(p.mean(axis=1))
    cen = (p * np.arange(nm)).sum(axis=1) / p.sum(axis=1)
    flat = (v.mean(axis=1) - level).mean()
    flux = np.concatenate([[0.0], np.maximum(v[1:] - v[:-1], 0.0).mean(axis=1)])
    on = flux >= onset_db
    onsets = int(np.sum(on[1:] & ~on[:-1]))
    # a count near the threshold could differ between runtimes: keep the inputs clear of it
    assert np.all(np.abs(flux[1:] - onset_db) > 0.05), flux
    out += [level.mean(), level.std(), level.max(), level.min(), cen.mean(), cen.std(), flat,
            flux[1:].mean() if nt > 1 else 0.0, flux.max(), onsets]
    return [float(x) for x in out]


def main():
    rng = Rng(2026)
    mf = mel.MelFrames(impl="python")
    specs = [("tone_400hz", "tone", 400.0, -20.0, 1, 0),
             ("tone_3khz", "tone", 3000.0, -12.0, 1, 0),
             ("noise", "noise", 0.0, -30.0, 1, 0),
             ("knock", "knock", 0.0, -10.0, 1, 0),
             ("two_knocks_ring_from_7", "knock", 0.0, -6.0, 2, 7)]
    windows = []
    nt, nm = SF.N_FRAMES, SF.N_MELS
    for name, kind, f0, db, hits, start in specs:
        fr = np.array(sound_frames(kind, rng, f0=f0, db=db, hits=hits, mf=mf), dtype=np.float64)
        codes = np.clip(np.round(fr * 100.0), -32768, 32767).astype(int)
        v = codes.reshape(nt, nm) * 0.01
        ring = np.roll(codes.reshape(nt, nm), start, axis=0).reshape(-1)  # frame t at start+t
        windows.append({"name": name, "start": start, "codes": [int(c) for c in ring],
                        "features": features(v)})
        print(name, dict(zip(SF.feature_names()[-10:], windows[-1]["features"][-10:])))
    doc = {"settings": SF.SoundFeatures().settings(), "names": SF.feature_names(),
           "tolerance": TOL, "windows": windows}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

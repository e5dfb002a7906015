#!/usr/bin/env python3
"""Render the simulated microphone's speech (device/hal/sim_mic.py) with espeak-ng and sox into
build/sounds/speech<N>.wav: 16 kHz 16-bit PCM mono, peak-normalised to -3 dBFS. Never
downloads a sound. Idempotent: a file already there with the same text and voice is kept.
Usage: scripts/make_sounds.py [--out DIR] [--force]"""
import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "sounds"
# (voice, words per minute, text): two voices, short sentences of a lab or an office
SPEECH = (
    ("en-us", 160, "The sample is ready. Please check the second reading."),
    ("en+f3", 150, "Good morning. The machine on the left is running again."),
    ("en-gb", 170, "Turn the valve slowly, then write down the pressure."),
    ("en+m3", 140, "Can you hear the alarm? It started a minute ago."),
)


def render(out, force=False):
    for prog in ("espeak-ng", "sox"):
        if not shutil.which(prog):
            sys.exit("make_sounds: %s is not installed (scripts/setup test installs it)" % prog)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i, (voice, wpm, text) in enumerate(SPEECH):
        dst = out / ("speech%d.wav" % i)
        key = hashlib.sha256(("%s|%d|%s" % (voice, wpm, text)).encode()).hexdigest()[:16]
        stamp = dst.with_suffix(".key")
        if dst.exists() and not force and stamp.exists() and stamp.read_text() == key:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text],
                           check=True, capture_output=True)
            subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16",
                            "-e", "signed-integer", str(dst), "norm", "-3"],
                           check=True, capture_output=True)
        stamp.write_text(key)
        made.append(dst.name)
    return made


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    made = render(Path(a.out), a.force)
    print("make_sounds: %s" % (", ".join(made) if made else "up to date"))


if __name__ == "__main__":
    main()

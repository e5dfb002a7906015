# The microphone suite (sound_suite.py: WAV reader/writer, the I2S driver against a fake bus
# in each chip's bit format, the simulated microphone) on CPython from the sources and on real
# MicroPython unix from the .mpy files the device ships, on WAVs made here by sox (never
# downloaded); one pytest case per suite test and runtime.
import struct
import subprocess
import sys

import pytest

from device.tests.mpsuite import Suite, names
from device.tests.simdev import ROOT

PATH = ROOT / "device" / "tests" / "sound_suite.py"
NAMES = names(PATH)


def _sox(*args):
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


def make_wavs(d):
    """The test WAVs in folder d (sox; a few written by hand)."""
    tone = d / "tone1k.wav"
    _sox("-n", "-r", 16000, "-c", 1, "-b", 16, tone, "synth", 1, "sine", 1000, "vol", 0.5)
    _sox("-n", "-r", 16000, "-c", 1, "-b", 16, d / "speechlike.wav", "synth", 0.5,
         "sine", "300-3000", "synth", "sine", "amod", 4, "vol", 0.9)
    _sox("-n", "-r", 44100, "-c", 2, "-b", 16, d / "stereo44k.wav", "synth", 0.2, "sine", 440)
    _sox(tone, "-b", 8, d / "u8.wav")
    _sox(tone, "-b", 24, d / "s24.wav")
    _sox(tone, "-b", 32, "-e", "signed-integer", d / "s32.wav")
    _sox(tone, "-b", 32, "-e", "floating-point", d / "float.wav")
    _sox(tone, "-e", "u-law", d / "ulaw.wav")
    _sox(tone, "-e", "ima-adpcm", d / "adpcm.wav")
    _sox(tone, "-r", 8000, d / "r8k.wav")
    _sox(tone, "-r", 48000, d / "r48k.wav")
    (d / "notwav.wav").write_bytes(b"ID3\x03" + bytes(100))
    (d / "header_cut.wav").write_bytes(tone.read_bytes()[:30])
    (d / "truncated.wav").write_bytes(tone.read_bytes()[:44 + 10000])
    ext = struct.pack("<5h", -32768, 32767, -1, 1, 0) * 4
    (d / "extremes.wav").write_bytes(
        b"RIFF" + struct.pack("<I", 36 + len(ext)) + b"WAVEfmt " +
        struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16) + b"data" +
        struct.pack("<I", len(ext)) + ext)


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    d = tmp_path_factory.mktemp("wavs")
    make_wavs(d)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sounds.py")], check=True,
                   capture_output=True)
    return Suite(PATH, args=[d, ROOT / "build" / "sounds"])


def test_suite_lists_every_case(suite):
    assert len(NAMES) >= 10 and set(suite.results("cpython")) == set(NAMES)


def test_sox_header_is_what_the_reader_expects(tmp_path):
    # the refusals below test sox's real headers: stereo 44.1 kHz is format 1, 2 channels
    _sox("-n", "-r", 44100, "-c", 2, "-b", 16, tmp_path / "s.wav", "synth", 0.1, "sine", 440)
    b = (tmp_path / "s.wav").read_bytes()
    assert b[:4] == b"RIFF" and struct.unpack_from("<HH", b, 20) == (1, 2)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("name", NAMES)
def test_sound(suite, name, runtime):
    result = suite.results(runtime)[name]
    if result.startswith("skip"):
        pytest.skip(result)
    assert result == "ok", result

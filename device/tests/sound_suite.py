# The microphone path below the meter: WAV in and out (hal/wav.py) on files sox made, the I2S
# driver (hal/i2s_mic.py) against a fake bus playing those files in each chip's bit format
# (hostfakes/fake_i2s.py), the simulated microphone (hal/sim_mic.py).
# Portable: run by test_sound_hal.py on CPython (sources) and on MicroPython unix (the .mpy
# files the device ships), argv[1] = the folder of test WAVs. Prints one JSON line.
import sys

_MP = sys.implementation.name == "micropython"

if not _MP:   # CPython: the sources and the fakes on the path
    import os
    _here = os.path.dirname(os.path.abspath(__file__))
    _root = os.path.dirname(os.path.dirname(_here))
    for p in (os.path.join(_here, "hostfakes"), os.path.join(_root, "device"), _root):
        sys.path.insert(0, p)

import math
from array import array

import asyncio

from fake_i2s import FakeI2S
from hal import wav
from hal.i2s_mic import I2SMic, MicError
from suiterun import run

D = sys.argv[1]


def _p(name):
    return D + "/" + name


def _refused(name, needle):
    try:
        wav.Reader(_p(name))
    except wav.WavError as e:
        assert needle in str(e), str(e)
        assert name in str(e), str(e)
        return str(e)
    raise AssertionError("%s was accepted" % name)


def _floats(name, n):
    r = wav.Reader(_p(name))
    out, h = array("f", bytes(4 * n)), array("h", bytes(2 * n))
    got = r.read_floats(out, h)
    r.close()
    return out, got


# -- WAV
def test_wav_reads_mono_16k_pcm_in_blocks():
    r = wav.Reader(_p("tone1k.wav"))
    assert r.frames == 16000 and not r.truncated and r.rate == 16000
    h = array("h", [0] * 500)
    total, peak, ss = 0, 0, 0.0
    while True:
        n = r.read_into(h)
        if not n:
            break
        for i in range(n):
            v = h[i]
            ss += v * v
            peak = max(peak, abs(v))
        total += n
    r.close()
    assert total == 16000, total
    rms = math.sqrt(ss / total) / 32768
    assert abs(rms - 0.5 / math.sqrt(2)) < 0.002, rms     # sox: sine vol 0.5
    assert 16000 < peak <= 16500, peak     # sox dithers


def test_wav_floats_are_full_scale_one():
    out, n = _floats("tone1k.wav", 64)
    assert n == 64 and max(out) <= 0.504 and min(out) >= -0.504
    r = wav.Reader(_p("tone1k.wav"))
    h = array("h", [0] * 64)
    r.read_into(h)
    assert all(out[i] == h[i] / 32768 for i in range(64))


def test_wav_loops_when_asked():
    r = wav.Reader(_p("tone1k.wav"), loop=True)
    h = array("h", bytes(8000))
    got = sum(r.read_into(h) for _ in range(5))
    assert got == 20000, got


def test_wav_refuses_stereo_naming_what_it_found():
    _refused("stereo44k.wav", "stereo 44100 Hz 16-bit: need mono 16000 Hz 16-bit PCM")


def test_wav_refuses_8bit_24bit_float_compressed_and_other_rates():
    _refused("u8.wav", "mono 16000 Hz 8-bit: need mono 16000 Hz 16-bit PCM")
    _refused("s24.wav", "mono 16000 Hz 24-bit: need")
    _refused("s32.wav", "mono 16000 Hz 32-bit: need")
    _refused("float.wav", "mono 16000 Hz 32-bit float: need")
    _refused("ulaw.wav", "mu-law (compressed): need")
    _refused("adpcm.wav", "IMA ADPCM (compressed): need")
    _refused("r8k.wav", "mono 8000 Hz 16-bit: need mono 16000 Hz 16-bit PCM")
    _refused("r48k.wav", "mono 48000 Hz 16-bit: need")
    _refused("notwav.wav", "not a WAV file")
    _refused("header_cut.wav", "truncated")


def test_wav_truncated_file_plays_what_it_holds():
    r = wav.Reader(_p("truncated.wav"))
    assert r.truncated and r.frames == 5000, (r.truncated, r.frames)
    h = array("h", bytes(2 * 5001))     # room for one sample more than the file holds
    assert r.read_into(h) == 5000 and r.read_into(h) == 0


def test_wav_writer_round_trip():
    h = array("h", [i * 7 - 3000 for i in range(1000)])
    w = wav.Writer(_p("written.wav"), 16000)
    w.write(h, 600)
    w.write(h[600:])
    w.close()
    r = wav.Reader(_p("written.wav"))
    back = array("h", [0] * 1000)
    assert r.frames == 1000 and r.read_into(back) == 1000 and list(back) == list(h)


# -- I2S driver
def _mic(bus, chip, **kw):
    if not _MP:
        kw["stream"] = bus.stream()
    return I2SMic(bus, chip, **kw)


def _read_blocks(mic, nblocks, n=320, pause_ms=0, keep=True):
    async def go():
        mic.start()
        blk = array("f", bytes(4 * n))
        out = []
        for i in range(nblocks):
            await mic.read(blk)
            if keep:
                out.extend(blk)
            if pause_ms and i == 0:
                await asyncio.sleep_ms(pause_ms) if _MP else await asyncio.sleep(pause_ms / 1000)
        return out
    return asyncio.run(go())


def test_i2s_converts_every_chip_format_to_the_wav_samples():
    want, _ = _floats("speechlike.wav", 960)
    for chip in ("inmp441", "ics43434", "sph0645", "int16"):
        bus = FakeI2S(_p("speechlike.wav"), chip)
        got = _read_blocks(_mic(bus, chip), 3)
        bad = [i for i in range(960) if abs(got[i] - want[i]) > 1e-7]
        assert not bad, (chip, bad[:3], got[bad[0]], want[bad[0]])
        assert max(want) > 0.3 and min(want) < -0.3     # both signs, large values met


def test_i2s_full_scale_and_sign_extremes():
    # the WAV holds -32768, 32767, -1, 1, 0 repeated: the sign as the chip sends it
    for chip in ("inmp441", "sph0645", "int16"):
        bus = FakeI2S(_p("extremes.wav"), chip)
        got = _read_blocks(_mic(bus, chip), 1, n=5)
        assert got == [-1.0, 32767 / 32768, -1 / 32768, 1 / 32768, 0.0], (chip, got)


def test_i2s_short_reads_are_counted_and_blocks_still_full():
    bus = FakeI2S(_p("tone1k.wav"), "inmp441", chunk=100)
    mic = _mic(bus, "inmp441")
    got = _read_blocks(mic, 2)
    want, _ = _floats("tone1k.wav", 640)
    assert mic.short_reads >= 2 * (1280 // 100), mic.short_reads
    assert all(abs(got[i] - want[i]) < 1e-7 for i in range(640))
    assert mic.samples == 640


def test_i2s_a_late_reader_is_an_overrun_with_the_samples_lost():
    bus = FakeI2S(_p("tone1k.wav"), "inmp441", realtime=True, ibuf=4000 * 4)
    mic = _mic(bus, "inmp441", ibuf=4000 * 4)
    _read_blocks(mic, 6, pause_ms=700, keep=False)            # 0.25 s of DMA buffer, 0.7 s asleep
    assert bus.dropped > 0
    assert mic.overruns == 1, (mic.overruns, bus.dropped)
    assert abs(mic.lost_samples - bus.dropped) < 1600, (mic.lost_samples, bus.dropped)


def test_i2s_on_time_reader_has_no_overrun():
    bus = FakeI2S(_p("tone1k.wav"), "inmp441", realtime=True, ibuf=4000 * 4)
    mic = _mic(bus, "inmp441", ibuf=4000 * 4)
    _read_blocks(mic, 20, keep=False)
    assert mic.overruns == 0 and bus.dropped == 0, (mic.overruns, bus.dropped)


def test_i2s_unknown_chip_is_refused():
    try:
        I2SMic(None, "mems9000")
    except MicError as e:
        assert "mems9000" in str(e) and "inmp441" in str(e)
        return
    raise AssertionError("accepted")


# -- the simulated microphone
from hal import sim_mic  # noqa: E402
from hal.sim_mic import SimMic  # noqa: E402
from shared.soundlevel import Meter  # noqa: E402

SOUNDS = sys.argv[2] if len(sys.argv) > 2 else None


def _levels(mic, seconds, meter=None, n=320):
    m = meter or Meter(16000, "A")
    blk = array("f", bytes(4 * n))
    secs = []
    for _ in range(seconds * 16000 // n):
        mic.synth(blk)
        if m.process(blk):
            secs.append(m.last_second)
    return m, secs


def test_sim_mic_tone_reads_its_level_once_calibrated():
    mic = SimMic(scene={"noise_db": None, "sources": [{"kind": "tone", "db": 94, "freq": 1000}]})
    m, secs = _levels(mic, 2)
    # the simulated unit is 1 dB more sensitive than the datasheet the meter assumes
    assert abs(secs[-1]["leq"] - 95.0) < 0.05, secs[-1]
    m.calibrate(94.0)
    mic.set_scene({"noise_db": None, "sources": [{"kind": "tone", "db": 74, "freq": 1000}]})
    m, secs = _levels(mic, 2, m)
    assert abs(secs[-1]["leq"] - 74.0) < 0.05, secs[-1]


def test_sim_mic_noise_level_and_determinism():
    a, b = SimMic(scene="quiet"), SimMic(scene="quiet")
    x, y = array("f", bytes(4 * 320)), array("f", bytes(4 * 320))
    a.synth(x)
    b.synth(y)
    assert list(x) == list(y)
    c = SimMic(scene="quiet", seed=99)
    c.synth(y)
    assert list(x) != list(y)
    mic = SimMic(scene={"noise_db": 60, "sources": []})
    m, secs = _levels(mic, 2, Meter(16000, "Z", offset_db=94.0 - sim_mic.SENSITIVITY_DBFS
                                    - 10 * math.log10(0.5)))
    assert abs(secs[-1]["leq"] - 60.0) < 0.3, secs[-1]


def test_sim_mic_knocks_are_transients_logged_in_the_truth():
    mic = SimMic(scene={"noise_db": 30, "sources": [
        {"kind": "knock", "db": 80, "at": 0.5, "every": 1.0}]})
    m, secs = _levels(mic, 3)
    t = mic.truth()
    knocks = [e for e in t if e["kind"] == "knock"]
    assert [e["start_s"] for e in knocks] == [0.5, 1.5, 2.5], t
    assert all(abs(e["end_s"] - e["start_s"] - 0.15) < 1e-6 for e in knocks)
    assert t[0]["kind"] == "noise" and t[0]["end_s"] is None
    # a transient: Lmax well over the background, the Leq much less so
    assert secs[-1]["lmax"] - secs[-1]["lmin"] > 25, secs[-1]


def test_sim_mic_clips_at_full_scale():
    mic = SimMic(scene={"noise_db": None, "sources": [{"kind": "tone", "db": 125}]})
    m, secs = _levels(mic, 1)
    assert secs[-1]["clipped"] > 1000 and secs[-1]["leq"] is None, secs[-1]


def test_sim_mic_scene_errors_name_the_field():
    for bad, needle in (("disco", "unknown scene 'disco'"),
                        ({"sources": [{"kind": "tone", "db": 200}]}, "db must be"),
                        ({"sources": [{"kind": "bell", "db": 60}]}, "kind"),
                        ({"sources": [{"kind": "tone", "db": 60, "every": 2}]}, "needs a dur"),
                        ({"noise": 3}, "unknown scene field 'noise'")):
        try:
            SimMic(scene=bad)
        except ValueError as e:
            assert needle in str(e), (needle, str(e))
            continue
        raise AssertionError("accepted %r" % (bad,))


def test_sim_mic_replays_a_wav_and_refuses_a_wrong_one():
    mic = SimMic(wav_path=_p("tone1k.wav"))
    want, _ = _floats("tone1k.wav", 640)
    blk = array("f", bytes(4 * 320))
    mic.synth(blk)
    got = list(blk)
    mic.synth(blk)
    assert got + list(blk) == list(want)
    try:
        SimMic(wav_path=_p("stereo44k.wav"))
    except wav.WavError as e:
        assert "stereo 44100 Hz 16-bit: need mono 16000 Hz 16-bit PCM" in str(e)
    else:
        raise AssertionError("accepted")


def test_sim_mic_without_rendered_speech_a_preset_plays_on_a_scene_asked_is_refused():
    mic = SimMic(scene="office", sounds=None)
    assert "speech left out" in mic.warning, mic.warning
    assert [x["kind"] for x in mic.scene["sources"]] == ["knock", "beep"]
    blk = array("f", bytes(4 * 320))
    mic.synth(blk)
    try:
        mic.set_scene({"sources": [{"kind": "speech", "db": 60}]})
    except ValueError as e:
        assert "make_sounds" in str(e), str(e)
    else:
        raise AssertionError("accepted")
    assert mic.scene_name == "office" and len(mic.scene["sources"]) == 2   # the old one plays


def test_sim_mic_speech_from_the_rendered_wavs():
    if not SOUNDS:
        raise AssertionError("no sounds folder given")
    mic = SimMic(sounds=SOUNDS, scene={"noise_db": None, "sources": [
        {"kind": "speech", "db": 65, "at": 0.2, "every": 5, "text": 1}]})
    m, secs = _levels(mic, 5, Meter(16000, "Z", offset_db=94.0 - sim_mic.SENSITIVITY_DBFS
                                    - 10 * math.log10(0.5)))
    sp = [e for e in mic.truth() if e["kind"] == "speech"]
    assert len(sp) == 1 and 2.0 < sp[0]["end_s"] - sp[0]["start_s"] < 5, sp
    # the speech's own RMS is 65 dB: the seconds it fills are near that, the rest silent
    leqs = [s["leq"] for s in secs]
    assert max(leqs) > 60 and min(leqs) < 20, leqs
    e = 0.0
    for s in secs[:4]:
        e += 10 ** (s["leq"] / 10)
    dur = sp[0]["end_s"] - sp[0]["start_s"]
    assert abs(10 * math.log10(e / dur) - 65.0) < 1.0, (10 * math.log10(e / dur), dur)


if __name__ == "__main__":
    run(globals())

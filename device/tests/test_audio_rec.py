# A microphone session keeps its raw audio and mel frames (issue 20.4; device/audio_rec.py),
# on the real frozen firmware with the simulated microphone replaying a WAV (deterministic:
# sample n of the microphone is the file's sample n mod its length, so the recording is
# compared sample for sample). The WAV read back with Python's wave equals the replayed
# samples, while recording and after; mel.bin's frames equal CPython's shared.mel on the
# recorded samples; /api/status says how many seconds fit; the storage budget, a flash that
# fills (tmpfs: a real ENOSPC) and a power cut each leave a valid WAV of what fit, with the
# reason; a client leaving mid-download gives its slot back; the heap cost and the high-water
# mark with everything on are measured.
import io
import json
import os
import signal
import socket
import subprocess
import time
import wave
from array import array

import pytest

from device.tests import nodekit as K
from device.tests.simdev import SimDevice
from device.tests.test_full_flash import fill
from device.tests.test_node_mel import _wav
from shared import mel as M
from shared import protocol

MIC = {"sensor": "mic", "rate": 10, "window": 20, "hop": 10}
N = 16000 * 2                    # the replayed WAV: 2 s, looping


def _start(data, wav, cfg=None):
    data.mkdir(parents=True, exist_ok=True)
    (data / "config.json").write_text(json.dumps(dict(MIC, **(cfg or {}))))
    dev = SimDevice(data, replay=wav).start()
    assert dev.put("/api/sim", {"speed": 4})[0] == 200     # the microphone follows it
    return dev


def _samples(body):
    """(int16 samples, nframes from the header) of a WAV read with Python's wave."""
    w = wave.open(io.BytesIO(body))
    assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
    n = w.getnframes()
    a = array("h")
    while True:                              # (a streaming header claims ~1 G samples)
        b = w.readframes(65536)
        if not b:
            break
        a.frombytes(b[:len(b) // 2 * 2])
    return a, n


def _same(a, h, first):
    bad = [i for i in range(len(a)) if a[i] != h[(first + i) % N]]
    assert not bad, "%d of %d samples differ, first at %d" % (len(bad), len(a), bad[0])


def _audio(dev, sid):
    return dev.json("GET", "/api/sessions/%d" % sid)[1]["audio"]


def test_a_mic_session_keeps_its_audio_and_mel_frames(tmp_path):
    h = _wav(tmp_path / "tone.wav", N)
    dev = _start(tmp_path / "dev", tmp_path / "tone.wav")
    try:
        s = dev.json("GET", "/api/status")[1]
        free_idle, fit0 = s["mem_free"], s["audio_fit_s"]
        # 1.5 MiB: 45 s of audio (32 KB/s) + mel (2.5 KB/s) + levels
        assert 40 <= fit0 <= 48, s
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201 and m["audio"]["samples"] == 0, m
        sid = m["id"]
        K.wait_for(lambda: _audio(dev, sid)["samples"] >= 3 * 16000, 30)
        s = dev.json("GET", "/api/status")[1]
        free_rec = s["mem_free"]
        assert s["audio_fit_s"] < fit0, s
        st, hd, body = dev.get("/api/sessions/%d/audio.wav" % sid)   # while it records
        assert st == 200 and hd["content-type"] == "audio/wav", hd
        live, n = _samples(body)
        assert n == len(live) == int(hd["x-samples"]) >= 3 * 16000
        K.wait_for(lambda: _audio(dev, sid)["samples"] >= 6 * 16000, 30)
        st, m = dev.json("POST", "/api/sessions/%d/stop" % sid, token=dev.token)
        assert st == 200 and m["error"] is None and m["audio"]["error"] is None, m
        st, hd, body = dev.get("/api/sessions/%d/audio.wav" % sid)
        st2, hd2, mel = dev.get("/api/sessions/%d/mel" % sid)
        on_flash = (tmp_path / ("dev/sessions/%d/audio.wav" % sid)).read_bytes()
        s = dev.json("GET", "/api/status")[1]
        assert s["recording"] is None and s["audio_fit_s"] < fit0
        used = s["storage_used"]
        st3, gone = dev.json("DELETE", "/api/sessions/%d" % sid, token=dev.token)
        assert st3 == 200 and gone["storage_used"] < used - 6 * 32000, gone
        assert not (tmp_path / ("dev/sessions/%d" % sid)).exists()
        assert dev.get("/api/sessions/%d/audio.wav" % sid)[0] == 404
        dev.put("/api/sim", {"speed": 1})
        free_after = dev.json("GET", "/api/status")[1]["mem_free"]
    finally:
        dev.stop()
    a = m["audio"]
    first = a["first_sample"]
    got, n = _samples(body)
    assert on_flash == body                   # the header on flash fixed at stop
    assert n == len(got) == a["samples"] >= 6 * 16000
    _same(got, h, first)
    assert list(got[:len(live)]) == list(live)
    # mel.bin: consecutive protocol frames, all of whose samples are in audio.wav
    fs = int(hd2["x-frame-size"])
    assert st2 == 200 and fs == protocol.mel_size(M.N_MELS) and len(mel) == a["mel_frames"] * fs
    frames = [protocol.decode_mel(mel[i:i + fs]) for i in range(0, len(mel), fs)]
    assert a["samples"] // M.HOP - 1 <= len(frames) <= a["samples"] // M.HOP, len(frames)
    assert frames[0][1] == first
    ref = M.MelFrames(impl="python")
    x, out = array("f", bytes(4 * M.N_FFT)), array("f", bytes(4 * M.N_MELS))
    worst = 0.0
    for k, (seq, s0, rate, hop, db) in enumerate(frames):
        assert s0 == first + k * M.HOP and rate == 16000 and hop == M.HOP
        o = s0 - first
        for i in range(M.N_FFT):
            x[i] = got[o + i] / 32768.0
        ref.compute(x, out)
        worst = max(worst, max(abs(db[j] - out[j]) for j in range(M.N_MELS)))
    print("audio: %d samples (%.1f s), %d mel frames, worst |device - CPython| %.4f dB; "
          "heap: mem_free %d idle, %d recording (%d bytes), %d after" % (
              n, n / 16000, len(frames), worst, free_idle, free_rec, free_idle - free_rec,
              free_after))
    assert worst <= 0.01, worst
    assert free_after > free_idle - 3072, (free_idle, free_after)   # given back (modules stay)


def test_the_storage_budget_stops_it_with_what_fits(tmp_path):
    h = _wav(tmp_path / "tone.wav", N)
    dev = _start(tmp_path / "dev", tmp_path / "tone.wav", {"storage_budget": 200000})
    try:
        fit = dev.json("GET", "/api/status")[1]["audio_fit_s"]
        assert 4 <= fit <= 6, fit
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        sid = m["id"]
        K.wait_for(lambda: dev.json("GET", "/api/status")[1]["recording"] is None, 30)
        s = dev.json("GET", "/api/status")[1]
        m = dev.json("GET", "/api/sessions/%d" % sid)[1]
        st, hd, body = dev.get("/api/sessions/%d/audio.wav" % sid)
    finally:
        dev.stop()
    assert s["recording_error"] == "storage budget reached" == m["error"], (s, m)
    assert m["audio"]["error"] == "storage budget reached" and s["audio_fit_s"] == 0, m
    assert s["storage_used"] <= 200000, s
    got, n = _samples(body)
    assert n == len(got) == m["audio"]["samples"] >= int((fit - 1) * 16000), (n, fit)
    _same(got, h, m["audio"]["first_sample"])


@pytest.fixture
def small_flash(tmp_path):
    mnt = tmp_path / "flash"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.skip("cannot mount a tmpfs here (root needed): %s" % r.stderr.strip())
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_a_full_flash_stops_it_with_a_valid_wav_and_a_message(tmp_path, small_flash):
    h = _wav(tmp_path / "tone.wav", N)
    big = {"storage_budget": 64 * 1024 * 1024}      # the flash is the bound here
    dev = _start(small_flash / "data", tmp_path / "tone.wav", big)
    dev.log = tmp_path / "device.log"
    try:
        # 1: the free-flash check (16 KB kept free) stops it
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        a = m["id"]
        K.wait_for(lambda: dev.json("GET", "/api/status")[1]["recording"] is None, 60)
        ma = dev.json("GET", "/api/sessions/%d" % a)[1]
        s = dev.json("GET", "/api/status")[1]
        wav_a = dev.get("/api/sessions/%d/audio.wav" % a)[2]
        assert ma["error"] == "flash full" == s["recording_error"], (ma, s)
        assert s["audio_fit_s"] == 0 and s["flash_free"] < 16384 + 36000, s
        # 2: a real ENOSPC: room made, a session started, the flash filled under it
        assert dev.json("DELETE", "/api/sessions/%d" % a, token=dev.token)[0] == 200
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        b = m["id"]
        K.wait_for(lambda: _audio(dev, b)["samples"] >= 16000, 30)
        fill(small_flash)
        K.wait_for(lambda: dev.json("GET", "/api/status")[1]["recording"] is None, 30)
        mb = dev.json("GET", "/api/sessions/%d" % b)[1]    # (from RAM: no room to write it)
        sb = dev.json("GET", "/api/status")[1]
        wav_b = dev.get("/api/sessions/%d/audio.wav" % b)[2]
        on_flash = (small_flash / ("data/sessions/%d/audio.wav" % b)).read_bytes()
    finally:
        dev.stop()
    got, n = _samples(wav_a)
    assert n == ma["audio"]["samples"] > 16000 * 10, n       # ~1 MB: ~28 s of sound
    _same(got, h, ma["audio"]["first_sample"])
    print("full flash: %d samples kept (%.1f s); ENOSPC: %r" % (n, n / 16000, mb["error"]))
    assert mb["error"].startswith("flash write failed") or mb["error"] == "flash full", mb
    assert sb["recording_error"] == mb["error"] and not mb["recording"], sb
    got, n = _samples(wav_b)
    assert n == mb["audio"]["samples"] >= 16000
    _same(got, h, mb["audio"]["first_sample"])
    disk, n2 = _samples(on_flash)             # the header fixed in place on the full flash
    assert n2 == len(disk) >= n and list(disk[:n]) == list(got)


def test_a_power_cut_leaves_a_readable_wav_fixed_at_boot(tmp_path):
    h = _wav(tmp_path / "tone.wav", N)
    data = tmp_path / "dev"
    dev = _start(data, tmp_path / "tone.wav")
    try:
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        sid = m["id"]
        K.wait_for(lambda: _audio(dev, sid)["samples"] >= 2 * 16000, 30)
        K.wait_for(lambda: (data / ("sessions/%d/audio.wav" % sid)).stat().st_size > 64000, 30)
        first = _audio(dev, sid)["first_sample"]
        os.kill(dev.pid(), signal.SIGKILL)
    finally:
        dev.stop()
    path = data / ("sessions/%d/audio.wav" % sid)
    cut = path.read_bytes()
    got, claimed = _samples(cut)              # the streaming header: wave reads what is there
    assert claimed > len(got) >= 32000
    _same(got, h, first)
    from device.hal import wav
    r = wav.Reader(str(path))
    assert r.truncated and r.frames == len(got)
    r.close()
    dev = SimDevice(data, replay=tmp_path / "tone.wav").start()
    try:
        m = dev.json("GET", "/api/sessions/%d" % sid)[1]
        st, hd, body = dev.get("/api/sessions/%d/audio.wav" % sid)
    finally:
        dev.stop()
    assert "interrupted" in m["error"] and m["audio"]["samples"] == len(got), m
    fixed, n = _samples(path.read_bytes())
    assert n == len(fixed) == len(got) and fixed == got
    assert body == path.read_bytes()


def test_a_client_leaving_mid_download_gives_its_slot_back(tmp_path):
    _wav(tmp_path / "tone.wav", N)
    dev = _start(tmp_path / "dev", tmp_path / "tone.wav")
    try:
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        sid = m["id"]
        K.wait_for(lambda: _audio(dev, sid)["samples"] >= 20 * 16000, 60)
        dev.json("POST", "/api/sessions/%d/stop" % sid, token=dev.token)
        size = 44 + 2 * _audio(dev, sid)["samples"]
        for _ in range(3):                    # 2 slots: a leak would refuse the third
            c = socket.socket()
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.connect(("127.0.0.1", dev.port))
            c.sendall(b"GET /api/sessions/%d/audio.wav HTTP/1.1\r\nHost: x\r\n\r\n" % sid)
            assert c.recv(2048)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            c.close()                          # (a reset: the device's next write fails)
        st, hd, body = K.wait_for(lambda: (lambda r: r if r[0] == 200 else None)(
            dev.get("/api/sessions/%d/audio.wav" % sid, timeout=20)), 20)
        assert len(body) == size, (len(body), size)
        assert dev.json("GET", "/api/status")[1]["recording"] is None
    finally:
        dev.stop()


def test_heap_high_water_with_everything_on_and_the_mic_recording(tmp_path):
    """The microphone, the meter, mel frames to a streaming page, the sound log in the
    history and a session keeping the audio: the lowest free heap stays >= 25 % of 192 KB."""
    _wav(tmp_path / "tone.wav", N)
    dev = _start(tmp_path / "dev", tmp_path / "tone.wav")
    try:
        assert dev.put("/api/sound", {"period_s": 2})[0] == 200
        ws = dev.ws()
        ws.send_json({"type": "mel", "on": True})
        ws.recv_json("mel")
        st, m = dev.json("POST", "/api/sessions", {}, token=dev.token)
        assert st == 201, m
        t0 = time.monotonic()
        while time.monotonic() - t0 < 8:       # frames and mel frames read all along
            ws.recv()
        dev.get("/api/sessions/%d/audio.wav" % m["id"])
        dev.get("/api/sessions/%d/mel" % m["id"])
        rows = dev.json("GET", "/api/sound/minutes")[1]["rows"]
        s = dev.json("GET", "/api/status")[1]
        ws.close()
    finally:
        dev.stop()
    total = 192 * 1024
    hw = s["mem_free_min"]
    print("heap with everything on and the mic recording: low mark %d free = %.1f %% used"
          % (hw, 100 * (1 - hw / total)))
    assert rows and s["recording"] == m["id"] and s["sound"]["dropped_blocks"] == 0, s
    assert hw >= total // 4, (hw, total // 4)

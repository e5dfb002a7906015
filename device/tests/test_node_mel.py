# Log-mel frames from the microphone, streamed to the WebSocket clients that ask for them
# ({"type": "mel", "on": true}; shared/protocol.py's mel frame), on the real frozen firmware
# with the simulated microphone: a replayed WAV's frames equal CPython's shared.mel on the same
# samples within 0.1 dB and peak in the band holding its 1 kHz tone; the tone scene at 4 x real
# time gives 4 x 31.25 frames a second, none lost; a client that stops reading does not hold
# up the frames of another; frames cost no heap until asked for, and give it back after.
import json
import math
import socket
import time
import wave
from array import array


from device.tests import nodekit as K
from device.tests.simdev import SimDevice
from shared import mel as M

MIC = {"sensor": "mic", "rate": 10, "window": 20, "hop": 10}
FPS = 16000 / M.HOP                    # 31.25 frames a second of sound


def _start(data, cfg=MIC, **kw):
    data.mkdir(parents=True, exist_ok=True)
    (data / "config.json").write_text(json.dumps(cfg))
    return SimDevice(data, **kw).start()


def _band_of(hz):
    """The mel band whose triangle weighs the FFT bin of hz most."""
    starts, stops, lut = M.filterbank()
    k = int(round(hz * M.N_FFT / M.SAMPLERATE))
    best, wbest, o = None, -1.0, 0
    for m in range(M.N_MELS):
        for j in range(starts[m], stops[m] + 1):
            if j == k and lut[o] > wbest:
                best, wbest = m, lut[o]
            o += 1
    return best


def _mel_on(ws):
    ws.send_json({"type": "mel", "on": True})
    msg = ws.recv_json("mel")
    assert msg["on"] and msg["fs"] == 16000 and msg["hop"] == M.HOP and \
        msg["n_mels"] == M.N_MELS, msg
    return msg


def _run_of(frames):
    """Consecutive frames: numbers step by 1, first samples by one hop."""
    for a, b in zip(frames, frames[1:]):
        assert b[0] == a[0] + 1 and b[1] == (a[1] + M.HOP) & 0xFFFFFFFF, (a[:2], b[:2])


def _wav(path, n):
    """1 kHz at 0.3 full scale over noise (xorshift, +-0.02), n samples of 16-bit PCM."""
    r, h = 2463534242, array("h", bytes(2 * n))
    for i in range(n):
        r ^= (r << 13) & 0xFFFFFFFF
        r ^= r >> 17
        r ^= (r << 5) & 0xFFFFFFFF
        h[i] = int(0.3 * 32767 * math.sin(2 * math.pi * 1000 * i / 16000) +
                   ((r & 0xFFFF) - 32768) * 0.02)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(h.tobytes())
    return h


def test_replayed_wav_frames_equal_cpython_and_peak_at_1_khz(tmp_path):
    n = 16000 * 2
    h = _wav(tmp_path / "tone.wav", n)
    dev = _start(tmp_path / "dev", replay=tmp_path / "tone.wav")
    try:
        st = dev.json("GET", "/api/sound")[1]
        assert st["mel"] is None, st              # not made until a client asks
        ws = dev.ws()
        msg = _mel_on(ws)
        assert msg["impl"] == "c", msg            # our build has emlearn_melspectrogram
        frames = [ws.recv_mel() for _ in range(100)]      # 3.2 s: the WAV loops once
        ws.close()
    finally:
        dev.stop()
    _run_of(frames)
    ref = M.MelFrames(impl="python")
    x, out = array("f", bytes(4 * M.N_FFT)), array("f", bytes(4 * M.N_MELS))
    band = _band_of(1000)
    worst = 0.0
    for seq, s0, fs, hop, db in frames:
        for i in range(M.N_FFT):
            x[i] = h[(s0 + i) % n] * (1.0 / 32768.0)     # hal/wav.py's floats, looping
        ref.compute(x, out)
        for m in range(M.N_MELS):
            worst = max(worst, abs(db[m] - out[m]))
        assert max(range(M.N_MELS), key=lambda m: db[m]) == band, (seq, db)
    print("mel: %d frames, worst |device - CPython| %.4f dB" % (len(frames), worst))
    assert worst <= 0.1, worst


def test_tone_scene_at_4x_gives_every_frame_at_4x_rate(tmp_path):
    dev = _start(tmp_path / "dev")
    try:
        st, b = dev.put("/api/sim", {"scene": {"noise_db": 30, "sources": [
            {"kind": "tone", "db": 80, "freq": 1000}]}})
        assert st == 200, b
        st, b = dev.put("/api/sim", {"speed": 4})
        assert st == 200, b
        ws = dev.ws()
        _mel_on(ws)
        ws.recv_mel()
        ws.recv_mel()                             # from here on the tone alone
        t0 = time.monotonic()
        frames = [ws.recv_mel() for _ in range(375)]     # 3 s of sound at 4 x
        wall = time.monotonic() - t0
        s = dev.json("GET", "/api/sound")[1]
        ws.close()
    finally:
        dev.stop()
    _run_of(frames)
    band = _band_of(1000)
    assert all(max(range(M.N_MELS), key=lambda m: f[4][m]) == band for f in frames)
    rate = (len(frames) - 1) / wall
    print("mel at 4 x: %.1f frames/s (want %.1f), %s us a frame, resyncs %d"
          % (rate, 4 * FPS, s["mel"]["us_per_frame"], s["resyncs"]))
    assert s["mel"]["lost"] == 0 and s["dropped_blocks"] == 0, s
    if s["resyncs"] == 0:                          # the host kept up: paced at 4 x
        assert 0.8 * 4 * FPS < rate < 1.25 * 4 * FPS, rate


def test_a_stalled_mel_client_does_not_hold_up_another(tmp_path):
    dev = _start(tmp_path / "dev", env={"MOTEBOOK_WS_STALL_MS": "1000"})
    try:
        assert dev.put("/api/sim", {"speed": 4})[0] == 200
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", dev.port))
        slow.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += slow.recv(1)
        req = b'{"type": "mel", "on": true}'
        key = b"\x01\x02\x03\x04"
        slow.sendall(bytes([0x81, 0x80 | len(req)]) + key +
                     bytes(c ^ key[i % 4] for i, c in enumerate(req)))
        fast = dev.ws()
        _mel_on(fast)
        frames = [fast.recv_mel()]
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:          # the slow one never reads again
            frames.append(fast.recv_mel())
        _run_of(frames)
        K.wait_for(lambda: dev.json("GET", "/api/status")[1]["clients"] == 1, timeout=15)
        assert "stopped reading" in dev.output()
        frames = frames[-1:] + [fast.recv_mel() for _ in range(50)]
        _run_of(frames)
        s = dev.json("GET", "/api/sound")[1]
        assert s["dropped_blocks"] == 0, s
        fast.close()
        slow.close()
        # the last client gone: the frames and their heap go too
        K.wait_for(lambda: dev.json("GET", "/api/sound")[1]["mel"] is None, timeout=10)
    finally:
        dev.stop()


def test_heap_and_cpu_of_the_frames(tmp_path):
    """mem_free with mel frames off vs on (one client asking), the high-water mark with the
    microphone, the meter, the frames and that streaming client, and the microseconds a frame
    takes on the simulator."""
    dev = _start(tmp_path / "dev")
    try:
        dev.wait_data(2)

        def free():
            return dev.json("GET", "/api/status")[1]["mem_free"]
        ws = dev.ws()                              # streaming the level windows
        ws.recv_frame()
        ws.recv_frame()
        off = free()
        _mel_on(ws)
        for _ in range(int(FPS * 3)):            # 3 s of frames and level windows
            ws.recv_mel()
        on = free()
        s = dev.json("GET", "/api/status")[1]
        hw = s["mem_free_min"]
        us = s["sound"]["mel"]["us_per_frame"]
        ws.send_json({"type": "mel", "on": False})
        assert ws.recv_json("mel")["on"] is False
        K.wait_for(lambda: dev.json("GET", "/api/sound")[1]["mel"] is None, timeout=10)
        back = free()
        ws.close()
        total = 192 * 1024
        print("mel heap (a streaming client connected): mem_free off %d, on %d (frames: %d "
              "bytes), off again %d; low mark "
              "with mic + meter + frames + a streaming client %d free = %.1f %% used; "
              "%d us a frame (%s)" % (off, on, off - on, back, hw, 100 * (1 - hw / total), us,
                                      s["sound"]["mel"]["impl"]))
        assert hw >= total // 4, (hw, total // 4)
        assert back > off - 2048, (off, back)
        assert s["sound"]["dropped_blocks"] == 0 and s["sound"]["mel"]["lost"] == 0, s
    finally:
        dev.stop()


def test_mel_needs_the_microphone_and_a_boolean(tmp_path):
    dev = _start(tmp_path / "dev", cfg={"sensor": "sim", "rate": 10, "window": 20, "hop": 10})
    try:
        ws = dev.ws()
        ws.send_json({"type": "mel", "on": True})
        assert "need sensor 'mic'" in ws.recv_json("error")["error"]
        ws.send_json({"type": "mel", "on": "yes"})
        assert "true or false" in ws.recv_json("error")["error"]
        ws.close()
    finally:
        dev.stop()


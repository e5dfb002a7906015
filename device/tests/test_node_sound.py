# The sound level meter in the real frozen firmware on the simulator (sensor "mic": the
# simulated microphone of device/hal/sim_mic.py feeding device/sound.py): a 1 kHz tone at the
# calibration level reads 94.0 +- 0.3 dB through the device once calibrated (and 1 dB off
# before: the simulated unit is not the datasheet's); a tone switched on for 30 s of a minute
# gives the minute's Leq within 0.5 dB (at 10 x real time); clipping is reported as clipping;
# a WAV of the wrong format is refused at start with the error naming what it is; the sound
# log, MQTT discovery and messages; the heap with the microphone, the meter, a stream and the
# history. Levels are read from /api/sound, the device's own clock of seconds.
import json
import math
import subprocess

import pytest

from device.tests import nodekit as K
from device.tests.simdev import SimDevice

MIC = {"sensor": "mic", "rate": 10, "window": 20, "hop": 10}
SIM_OFFSET = 94.0 + 25.0 - 10 * math.log10(0.5)    # the simulated unit's: -25 dBFS at 94 dB


def _start(data, cfg=MIC, **kw):
    data.mkdir(parents=True, exist_ok=True)
    (data / "config.json").write_text(json.dumps(cfg))
    return SimDevice(data, **kw).start()


def _sound(dev):
    # a generous socket timeout: at the speed switch on a loaded machine the simulated
    # microphone takes most of the device's time (a full run with two busy loops: 5 s ran out)
    st, _, body = dev.request("GET", "/api/sound", timeout=30)
    body = json.loads(body)
    assert st == 200, body
    return body


def _scene(dev, scene, seed=None):
    body = {"scene": scene}
    if seed is not None:
        body["seed"] = seed
    st, b = dev.put("/api/sim", body)
    assert st == 200, b
    return b["sound_time_s"]


def _second_after(dev, t_mic, timeout=60):
    """The first whole second the meter completed after the microphone's clock passed t_mic
    (+1 s: the second that was running then holds both scenes)."""
    start = _sound(dev)["blocks"]
    need = start + int(50 * (1 + 1)) + 50          # 50 blocks a second
    K.wait_for(lambda: _sound(dev)["blocks"] >= need, timeout=timeout)
    return _sound(dev)["second"]


@pytest.fixture(scope="module")
def mic(tmp_path_factory):
    d = _start(tmp_path_factory.mktemp("mic") / "dev")
    yield d
    d.stop()


def test_status_has_the_meter_and_the_stream_carries_the_level(mic):
    st = mic.json("GET", "/api/status")[1]
    assert st["sensor"] == "mic" and st["channels"] == ["level"] and st["rate"] == 10
    s = st["sound"]
    assert s["fs"] == 16000 and s["weighting"] == "A" and s["impl"] == "c", s
    for k in ("overruns", "lost_samples", "dropped_blocks", "short_reads", "dropped_levels"):
        assert s[k] == 0, (k, s)
    assert s["mic"] == "sim" and "resyncs" in s
    st, h, b = mic.get("/api/sim")
    assert json.loads(b)["scene"] == "sound"
    ws = mic.ws()
    try:
        h, levels = ws.recv_frame()
        h, levels = ws.recv_frame()           # the office scene: 40 dB noise, speech, knocks
        assert len(levels) == 20 and all(2500 < v < 10000 for v in levels), list(levels)
    finally:
        ws.close()


def test_calibration_tone_reads_94_through_the_device(mic):
    st, b = mic.put("/api/sound", {"offset_db": None, "weighting": "A"})
    assert st == 200, b
    t = _scene(mic, {"noise_db": None, "sources": [{"kind": "tone", "db": 94, "freq": 1000}]})
    sec = _second_after(mic, t)
    # uncalibrated: the datasheet's -26 dBFS, the simulated unit gives -25 -> 95 dB
    assert abs(sec["leq"] - 95.0) < 0.3, sec
    st, b = mic.put("/api/sound", {"calibrate": 94})
    assert st == 200 and b["calibrated"], b
    assert abs(b["offset_db"] - SIM_OFFSET) < 0.1, (b["offset_db"], SIM_OFFSET)
    sec = _second_after(mic, t)
    assert abs(sec["leq"] - 94.0) <= 0.3, sec
    assert abs(sec["lmax"] - 94.0) <= 0.3 and abs(sec["lmin"] - 94.0) <= 0.3, sec
    t = _scene(mic, {"noise_db": None, "sources": [{"kind": "tone", "db": 74, "freq": 1000}]})
    sec = _second_after(mic, t)
    assert abs(sec["leq"] - 74.0) <= 0.3, sec
    # kept across a reconfiguration (sound.json)
    st, b = mic.put("/api/config", {"window": 30})
    assert st == 200, b
    assert _sound(mic)["calibrated"] and abs(_sound(mic)["offset_db"] - SIM_OFFSET) < 0.1


def test_calibrate_without_a_clean_second_or_bad_fields_is_400(mic):
    for body, needle in (({"calibrate": 300}, "calibrate must be"),
                         ({"weighting": "B"}, "weighting must be"),
                         ({"period_s": 0}, "period_s must be"),
                         ({"gain": 2}, "unknown sound setting 'gain'")):
        st, b = mic.put("/api/sound", body)
        assert st == 400 and needle in b["error"], (body, st, b)
    st, b = mic.put("/api/sim", {"scene": {"sources": [{"kind": "tone", "db": 999}]}})
    assert st == 400 and "db must be" in b["error"], b
    st, b = mic.json("PUT", "/api/sound", {"calibrate": 94}, token="wrong")
    assert st == 401, b


def test_clipping_is_reported_as_clipping_not_as_a_level(mic):
    t = _scene(mic, {"noise_db": None, "sources": [{"kind": "tone", "db": 130, "freq": 1000}]})
    sec = _second_after(mic, t)
    assert sec["clipped"] > 1000 and sec["leq"] is None and sec["lmax"] is None, sec
    s = _sound(mic)
    assert s["clipping"] and s["fast"] is None and s["clipped_s"] >= 1, s
    st, b = mic.put("/api/sound", {"calibrate": 94})
    assert st == 400 and "clipped" in b["error"], b
    _scene(mic, "quiet")


def test_tone_on_for_30_s_of_a_minute_gives_its_leq(mic):
    # 5 x real time: a minute of the microphone in about 12 s (10 x starved the device's
    # server on a loaded machine)
    st, b = mic.put("/api/sound", {"offset_db": SIM_OFFSET, "period_s": 60})
    assert st == 200, b
    st, b = mic.put("/api/sim", {"speed": 5})
    assert st == 200, b
    before = _sound(mic)["minute"]
    _scene(mic, {"noise_db": 30, "sources": [
        {"kind": "tone", "db": 80, "freq": 1000, "at": 10, "dur": 30}]})
    K.wait_for(lambda: _sound(mic)["minute"] not in (None, before), timeout=90)
    m = _sound(mic)["minute"]
    st, b = mic.put("/api/sim", {"speed": 1})
    # the tone's energy over half the minute (the 30 dB noise is 50 dB under it)
    want = 80.0 + 10 * math.log10(30 / 60)
    assert abs(m["leq"] - want) <= 0.5, (m, want)
    assert abs(m["lmax"] - 80.0) < 0.5 and m["lmin"] < 40, m
    assert abs(m["l10"] - 80.0) < 0.5 and m["l90"] < 40, m
    assert m["period_s"] == 60 and m["clipped_s"] == 0
    truth = [e for e in mic.json("GET", "/api/sim")[1]["sound_truth"] if e["kind"] == "tone"]
    assert abs(truth[-1]["end_s"] - truth[-1]["start_s"] - 30) < 1e-6, truth
    # and in the sound log
    st, b = mic.json("GET", "/api/sound/minutes?last=5")
    assert st == 200 and b["fields"][1] == "leq", b
    assert abs(b["rows"][-1][1] - m["leq"]) < 0.01, (b["rows"], m)
    st, b = mic.json("GET", "/api/sound/minutes?last=0")
    assert st == 400


def test_a_wav_of_the_wrong_format_is_refused_naming_it(tmp_path):
    bad = tmp_path / "stereo.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(bad), "synth", "0.5",
                    "sine", "440"], check=True)
    dev = SimDevice(tmp_path / "dev", replay=bad)
    with pytest.raises(RuntimeError) as e:
        dev.start()
    assert "stereo 44100 Hz 16-bit: need mono 16000 Hz 16-bit PCM" in str(e.value), str(e.value)


def test_a_wav_replays_through_the_meter(tmp_path):
    good = tmp_path / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(good), "synth", "3",
                    "sine", "1000", "vol", "0.5"], check=True)
    dev = _start(tmp_path / "dev", replay=good)
    try:
        assert dev.json("GET", "/api/sim")[1]["sound_scene"] == "wav"
        sec = _second_after(dev, 0)
        # a sine at half full scale: -6.02 dBFS, with the datasheet's offset (-26 dBFS)
        want = 94.0 + 26.0 + 20 * math.log10(0.5)
        assert abs(sec["leq"] - want) < 0.3, (sec, want)
    finally:
        dev.stop()


def test_heap_with_microphone_meter_stream_and_history(tmp_path):
    """mem_free with the meter vs the simulated accelerometer, and the high-water mark with
    the microphone, the meter, one streaming client and the history logging minutes."""
    acc = _start(tmp_path / "acc", cfg={"sensor": "sim", "rate": 10, "window": 20, "hop": 10})
    try:
        acc.wait_data(2)
        free_acc = acc.json("GET", "/api/status")[1]["mem_free"]
    finally:
        acc.stop()
    dev = _start(tmp_path / "mic")
    try:
        dev.wait_data(2)
        free_mic = dev.json("GET", "/api/status")[1]["mem_free"]
        st, b = dev.put("/api/sound", {"period_s": 2})
        assert st == 200, b
        ws = dev.ws()
        for _ in range(4):                    # one window a second (10 Hz, hop 10)
            ws.recv_frame()
        K.wait_for(lambda: len(dev.json("GET", "/api/sound/minutes")[1]["rows"]) >= 3,
                   timeout=30)
        ws.recv_frame()
        s = dev.json("GET", "/api/status")[1]
        ws.close()
        hw = s["mem_free_min"]
        total = 192 * 1024
        print("heap: mem_free sensor sim %d, mic %d (meter on: %d bytes); with a stream and "
              "the sound log: low mark %d free = %.1f %% used" % (
                  free_acc, free_mic, free_acc - free_mic, hw, 100 * (1 - hw / total)))
        assert hw >= total // 4, (hw, total // 4)
        assert s["sound"]["dropped_blocks"] == 0 and s["dropped"] == 0, s
    finally:
        dev.stop()


def test_minutes_go_to_mqtt_as_a_home_assistant_sound_sensor_and_to_webhooks(tmp_path):
    from device.tests.broker import Broker, Receiver, Subscriber
    br = Broker(tmp_path / "broker").start()
    sub = Subscriber(br.port, "#", "sub-sound")
    rx = Receiver().start()
    dev = _start(tmp_path / "dev")
    try:
        st, b = dev.put("/api/integrations", {
            "mqtt": {"enabled": True, "host": "127.0.0.1", "port": br.port, "queue": 16,
                     "summary_s": 0, "topic": "room1"},
            "webhooks": {"enabled": True,
                         "urls": [{"url": "http://127.0.0.1:%d/h" % rx.port}]}})
        assert st == 200, b
        st, b = dev.put("/api/sound", {"period_s": 2})
        assert st == 200, b
        assert sub.wait(lambda s: len(s.json("room1/sound")) >= 2, timeout=40)
        m = sub.json("room1/sound")[-1]
        assert m["period_s"] == 2 and 20 < m["leq"] < 90 and m["l10"] >= m["l90"], m
        cfg = [json.loads(p) for t, p, r in sub.msgs
               if t == "homeassistant/sensor/%s/sound/config" % dev.json(
                   "GET", "/api/status")[1]["node"]["name"] and p]
        assert cfg and cfg[-1]["unit_of_measurement"] == "dB" and \
            cfg[-1]["device_class"] == "sound_pressure" and \
            cfg[-1]["state_topic"] == "room1/sound", cfg
        K.wait_for(lambda: any(e.get("event") == "sound" for _, _, e in rx.got), timeout=30)
        e = [e for _, _, e in rx.got if e.get("event") == "sound"][-1]
        assert e["period_s"] == 2 and "l50" in e, e
        # over a threshold: one event when a second's Leq passes it, one when it falls back
        st, b = dev.put("/api/sound", {"threshold_db": 60})
        assert st == 200 and b["threshold_db"] == 60 and not b["over"], b
        _scene(dev, {"noise_db": 30, "sources": [{"kind": "tone", "db": 80, "freq": 1000}]})

        def events(kind):
            return [e for _, _, e in rx.got if e.get("event") == kind]
        K.wait_for(lambda: events("sound_over"), timeout=30)
        assert _sound(dev)["over"]
        _scene(dev, "quiet")
        K.wait_for(lambda: events("sound_under"), timeout=30)
        o, u = events("sound_over"), events("sound_under")
        assert len(o) == 1 and len(u) == 1, (o, u)
        assert o[0]["leq"] > 70 and o[0]["threshold_db"] == 60 and u[0]["leq"] < 59, (o, u)
        assert sub.wait(lambda s: s.json("room1/sound_over") and s.json("room1/sound_under"))
    finally:
        dev.stop()
        sub.close()
        rx.stop()
        br.stop()


def test_the_inmp441_board_reads_a_tone_through_its_i2s_driver(tmp_path):
    """The esp32-inmp441 board's deployed files on our frozen image, its machine.I2S a fake
    sending a WAV in the INMP441's bit format (24 bits left-justified in 32-bit slots) in
    real time: hal/i2s_mic.py converts it, the meter reads the tone's level."""
    from device.tests import boardsim
    if not boardsim.FROZEN.exists():
        pytest.skip("no frozen firmware")
    tone = tmp_path / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(tone), "synth", "4",
                    "sine", "1000", "vol", "0.5"], check=True)
    root = tmp_path / "board"
    boardsim.deploy_to("esp32-inmp441", root)
    dev = boardsim.BoardSim("esp32-inmp441", root, mic="inmp441:%s" % tone).start(timeout=30)
    try:
        s = dev.json("GET", "/api/status")[1]
        assert s["sensor"] == "mic" and s["sound"]["mic"] == "inmp441", s.get("sound")
        sec = _second_after(dev, 0)
        want = 94.0 + 26.0 + 20 * math.log10(0.5)       # datasheet offset, -6.02 dBFS
        assert abs(sec["leq"] - want) < 0.3, (sec, want)
        # the fake drops what waits longer than the DMA buffer (8 KB: 128 ms), as the chip's
        # bus does; a loaded host can stall the board that long: then it is counted, not hidden
        s = _sound(dev)
        assert (s["overruns"] > 0) == (s["lost_samples"] > 0) == (s["dropped_blocks"] > 0), s
        print("board: overruns %d, lost samples %d" % (s["overruns"], s["lost_samples"]))
    finally:
        dev.stop()


def test_switching_to_the_microphone_and_back(tmp_path):
    dev = _start(tmp_path / "dev", cfg={"sensor": "sim", "rate": 10, "window": 20, "hop": 10})
    try:
        st, b = dev.json("GET", "/api/sound")
        assert st == 409 and "needs sensor 'mic'" in b["error"], b
        st, b = dev.put("/api/sim", {"scene": "quiet"})
        assert st == 409, b
        free0 = dev.json("GET", "/api/status")[1]["mem_free"]
        st, b = dev.put("/api/config", {"sensor": "mic"})
        assert st == 200, b
        K.wait_for(lambda: _sound(dev)["blocks"] > 100, timeout=30)
        st, b = dev.put("/api/sim", {"scene": "workshop", "seed": 3})
        assert st == 200 and b["sound_scene"] == "workshop", b
        st, b = dev.put("/api/config", {"sensor": "sim"})
        assert st == 200, b
        s = dev.json("GET", "/api/status")[1]
        assert "sound" not in s and s["sensor"] == "sim"
        # the sound task ends at its next block and its modules are dropped: the heap comes
        # back within 2 KB (a stale reference in the event loop may hold it for a moment)
        K.wait_for(lambda: dev.json("GET", "/api/status")[1]["mem_free"] > free0 - 2048,
                   timeout=20)
        assert dev.json("GET", "/api/sound")[0] == 409
    finally:
        dev.stop()

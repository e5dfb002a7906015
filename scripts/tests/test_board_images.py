# Each board's own firmware (device/boards/modules.py, the one table of which sensor needs
# which modules; scripts/build_fw.py sources(board) makes the ESP32 manifest, deploy's stock
# file list and the flash estimate from it): every import in a board's modules of a firmware
# module the board leaves out is either guarded (try/except ImportError) or reached only with
# a sensor the board does not carry; a module a board needs left out of the table is caught;
# each image board's estimate fits its partition (margin printed); an image board whose
# board.json names a sensor it does not carry refuses it cleanly (its image simulated by the
# import guard of device/tests/boardsim.py on the frozen firmware).
import ast
import json
import sys
import time

import pytest

from device.tests import boardsim
from device.tests.simdev import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import build_fw
import deploy
import flash_layout

BOARDS = flash_layout.names()
IMAGE = [b for b in BOARDS if flash_layout.layout(b)["firmware"] == "image"]
# Unguarded imports of modules a board may lack, and the sensor kind (boards/modules.py
# KINDS) that alone reaches them: fine on a board without that kind, a failure on one with it.
ONLY_WITH = {("api", "api_sound"): "mic",             # GET /api/sim with sensor mic
             ("node", "sound"): "mic",                # sensor_changed: sensor mic
             ("node", "model_regress"): "slow",       # value_threshold: a regression model
             ("wshub", "melstream"): "mic",           # a mic sensor's mel frames
             ("recorder", "audio_rec"): "audio",      # a mic session's audio (Recorder.mic)
             ("api_sessions", "audio_rec"): "audio",  # ... served (a session with audio)
             ("session_store", "audio_rec"): "audio",   # ... recovered (a session with audio)
             ("api_sound", "hal.sim_mic"): "sim_mic",   # the simulated mic's scene
             ("acquisition", "hal.sim_machine"): "machine"}   # faults: sensor machine
# board._make_sensor imports each sensor's modules; make_sensor turns a missing one into a
# ValueError (checked by test_a_sensor_the_image_lacks_is_refused_cleanly)
DISPATCH = ("board", "_make_sensor")


def _table():
    flash_layout.board(BOARDS[0])
    import importlib
    return importlib.import_module("boards.modules")


def _dotted(rel):
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _guarded(node, parents):
    p, child = parents.get(node), node
    while p is not None:
        if isinstance(p, ast.Try) and child in p.body:
            for h in p.handlers:
                types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
                if any(isinstance(t, ast.Name) and t.id == "ImportError" for t in types):
                    return True
        if isinstance(p, ast.FunctionDef) and (_module_of.get(p), p.name) == DISPATCH:
            return True
        p, child = parents.get(p), p
    return False


_module_of = {}


def unmet_imports(board):
    """[(module, imported module, line)]: imports in board's firmware of firmware modules it
    does not carry that nothing guards."""
    every = {_dotted(rel): src for src, rel in build_fw.sources()}
    mine = {_dotted(rel) for _, rel in build_fw.sources(board)}
    kinds = set(_table().kinds(flash_layout.board(board)))
    out = []
    for name in sorted(mine):
        tree = ast.parse(every[name].read_text())
        parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        for n in ast.walk(tree):
            if isinstance(n, ast.FunctionDef):
                _module_of[n] = name
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                wanted = [node.module] + [node.module + "." + a.name for a in node.names]
            else:
                continue
            for w in wanted:
                if w not in every or w in mine or _guarded(node, parents):
                    continue
                kind = ONLY_WITH.get((name, w))
                if kind is None or kind in kinds:
                    out.append((name, w, node.lineno))
    return out


@pytest.mark.parametrize("board", BOARDS)
def test_each_board_carries_every_module_its_code_imports(board):
    assert unmet_imports(board) == []
    mine = {rel.as_posix() for _, rel in build_fw.sources(board)}
    assert set(deploy.board_lib(board)) == mine
    b = flash_layout.board(board)
    sound = {"sound.mpy", "melstream.mpy", "api_sound.mpy", "hal/i2s_mic.mpy",
             "shared/soundlevel.mpy", "shared/weighting.mpy", "shared/iir.mpy"}
    imu = {"hal/imu.mpy", "hal/mpu6xxx.mpy", "hal/lis3dh.mpy", "hal/fifo_accel.mpy"}
    slow = {"hal/slow.mpy", "hal/bme280.mpy", "hal/bh1750.mpy", "hal/as7341.mpy"}
    sims = {"hal/sim_machine.mpy", "hal/sim_mic.mpy", "hal/wav.mpy", "hal/replay.mpy",
            "hal/sim_room.mpy", "hal/sim_spectrometer.mpy", "shared/dye.mpy"}
    assert "hal/sim_accel.mpy" in mine and not sims & mine    # the demo sensor only
    assert not slow & mine                                     # no board has a slow sensor
    assert (sound <= mine) if getattr(b, "MIC", None) else not sound & mine
    assert (imu <= mine) if b.SENSOR else not imu & mine
    assert "boards/%s.mpy" % board.replace("-", "_") in mine


def test_a_module_left_out_of_the_table_is_caught(monkeypatch):
    # (a module the table does not name is in every board's firmware: "left out" is a
    # module moved to a kind the board lacks, here "host", which no board carries)
    t = _table()
    kinds = dict(t.KINDS)

    def move(kind, module):
        monkeypatch.setitem(t.KINDS, kind, tuple(m for m in kinds[kind] if m != module))
        monkeypatch.setitem(t.KINDS, "host", t.KINDS["host"] + (module,))
    move("imu", "hal/mpu6xxx.py")
    assert ("hal.imu", "hal.mpu6xxx") in {u[:2] for u in unmet_imports("esp32-mpu6050")}
    move("mic", "melstream.py")
    assert ("wshub", "melstream") in {u[:2] for u in unmet_imports("esp32-inmp441")}
    move("sim", "hal/sim_accel.py")     # the node's fallback sensor
    assert ("api", "hal.sim_accel") in {u[:2] for u in unmet_imports("m5stickc")}


@pytest.mark.parametrize("board", IMAGE)
def test_each_image_fits_its_partition(board):
    files, lib = deploy.file_set(board)
    r = flash_layout.fit(board, files, lib)
    print(flash_layout.describe(r))
    every = sum((deploy.LIB / rel).stat().st_size for _, rel in build_fw.sources())
    print("%s: frozen %.1f KB of the simulator's %.1f KB" % (board, lib / 1024, every / 1024))
    assert r["app_ok"] and r["image_bytes"] <= r["app_bytes"] - 8 * 1024, \
        flash_layout.describe(r)                        # at least 8 KB to spare
    assert lib < every


def _wait(dev, cond, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = dev.json("GET", "/api/status")[1]
        if cond(s):
            return s
        time.sleep(0.1)
    raise AssertionError("timed out; last status %r" % (s,))


@pytest.mark.skipif(not boardsim.FROZEN.exists(), reason="no frozen firmware (wasm/build.sh)")
def test_a_sensor_the_image_lacks_is_refused_cleanly(tmp_path):
    # the microphone board has no IMU drivers: 'imu' in /api/config is a clear 400
    root = tmp_path / "mic"
    boardsim.deploy_to("esp32-inmp441", root)
    token = (root / "data" / "token").read_text().strip()
    dev = boardsim.BoardSim("esp32-inmp441", root).start(timeout=30)
    try:
        _wait(dev, lambda s: s["sensor"] == "mic")
        st, body = dev.json("PUT", "/api/config", {"sensor": "imu"}, token=token)
        assert st == 400 and "not in this board's firmware" in body["error"], body
        assert "esp32-inmp441" in body["error"] and "Traceback" not in body["error"]
        assert dev.json("GET", "/api/config")[1]["sensor"] == "mic"
    finally:
        dev.stop()
    # an accelerometer board told (board.json) to read a BME280, whose driver it lacks: the
    # node says why and runs the demo sensor; no sound API, no microphone scene
    root = tmp_path / "imu"
    boardsim.deploy_to("esp32-mpu6050", root, "--sensor", "bme280")
    token = (root / "data" / "token").read_text().strip()
    assert json.loads((root / "board.json").read_text())["sensor"] == "bme280"
    dev = boardsim.BoardSim("esp32-mpu6050", root, chip="").start(timeout=30)
    try:
        s = _wait(dev, lambda s: "sensor_error" in s)
        assert s["sensor"] == "sim" and "not in this board's firmware" in s["sensor_error"], s
        assert "mic" not in s["sensors"] and "machine" not in s["sensors"], s["sensors"]
        st, body = dev.json("GET", "/api/sound")
        assert st == 404 and "not in this board's firmware" in body["error"], body
        st, body = dev.json("PUT", "/api/sim", {"scene": "tone"}, token=token)
        assert st == 409 and "microphone" in body["error"], body
        assert dev.json("GET", "/api/sim")[0] == 200
    finally:
        dev.stop()

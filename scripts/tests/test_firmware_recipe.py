# The ESP32 image recipe (firmware/) checked on the host, since ESP-IDF is not here: the
# frozen manifest, read by MicroPython's own tools/manifestfile.py, names only files that
# exist and freezes what the simulator freezes; the user C modules' CMake file configures and
# lists every emlearn binding; the board definition leaves Bluetooth out and uses the layout's
# partition table; the CI workflow uses the pinned container and the recipe; build.sh stops
# clearly without ESP-IDF.
import os
import re
import subprocess
import sys

import pytest
import yaml

from device.tests.simdev import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import build_fw
import deploy
import flash_layout

MP_TREES = sorted((ROOT / "build" / "wasm").glob("micropython-*/tools/manifestfile.py"))
BOARD = ROOT / "firmware" / "boards" / "MOTEBOOK_ESP32"


def _pins(path):
    return dict(re.findall(r"^(\w+)=(\S+)", path.read_text(), re.M))


IMAGE = [b for b in flash_layout.names() if flash_layout.layout(b)["firmware"] == "image"]


@pytest.mark.skipif(not MP_TREES, reason="MicroPython source not unpacked (wasm/build.sh)")
@pytest.mark.parametrize("board", IMAGE)
def test_esp32_manifest_freezes_the_boards_modules_and_only_existing_files(tmp_path, board):
    mp = MP_TREES[-1].parent.parent
    sys.path.insert(0, str(mp / "tools"))
    import manifestfile
    # micropython-lib is not in Debian's source: a stand-in package for require("ntptime")
    stub = tmp_path / "mplib" / "micropython" / "net" / "ntptime"
    stub.mkdir(parents=True)
    (stub / "manifest.py").write_text('module("ntptime.py")\n')
    (stub / "ntptime.py").write_text("def settime():\n    pass\n")
    out = tmp_path / "manifest.py"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_fw.py"), "--esp32-manifest",
                    str(out), "--board", board], check=True)
    m = manifestfile.ManifestFile(manifestfile.MODE_FREEZE, {
        "MPY_DIR": str(mp), "PORT_DIR": str(mp / "ports" / "esp32"), "BOARD_DIR": str(BOARD),
        "MPY_LIB_DIR": str(tmp_path / "mplib")})
    m.execute(str(out))
    files = {f.target_path: f.full_path for f in m.files()}
    assert all(os.path.isfile(p) for p in files.values())
    every = {rel.with_suffix(".py").as_posix() for _, rel in build_fw.sources()}
    mine = {rel.with_suffix(".py").as_posix() for _, rel in build_fw.sources(board)}
    assert mine < every and mine <= set(files), mine - set(files)   # its own modules only
    assert not (every - mine) & set(files), (every - mine) & set(files)
    for t in ("_boot.py", "asyncio/core.py", "ntptime.py", "emlearn_trees.py", "main.py",
              "wifi.py", "boards/m5stickc.py", "hal/sim_accel.py", "microdot/websocket.py",
              "hal/i2s_mic.py" if board == "esp32-inmp441" else "hal/lis3dh.py"):
        assert t in files, t
    assert not [t for t in files if "test" in t or "fake" in t]


def test_user_c_modules_cmake_lists_every_emlearn_binding(tmp_path):
    import emlearn
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.12)\nproject(check NONE)\n"
        "add_library(usermod INTERFACE)\n"
        "include(%s)\n"
        "get_target_property(S usermod_motebook INTERFACE_SOURCES)\n"
        "get_target_property(I usermod_motebook INTERFACE_INCLUDE_DIRECTORIES)\n"
        'message(STATUS "SOURCES=${S}")\nmessage(STATUS "INCLUDES=${I}")\n'
        % (ROOT / "firmware" / "usermods.cmake"))
    env = dict(os.environ, EMLEARN_INCLUDE=emlearn.includedir)
    r = subprocess.run(["cmake", "-S", str(proj), "-B", str(tmp_path / "b")], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    srcs = re.search(r"SOURCES=(.*)", r.stdout).group(1).split(";")
    incs = re.search(r"INCLUDES=(.*)", r.stdout).group(1).split(";")
    want = {p.resolve() for p in (ROOT / "wasm" / "modules").glob("emlearn_*/*.c")}
    assert {os.path.realpath(s) for s in srcs} == {str(p) for p in want}
    assert all(os.path.isdir(i) for i in incs)
    assert any(os.path.isfile(os.path.join(i, "mb_emlearn.h")) for i in incs)
    env.pop("EMLEARN_INCLUDE")
    r = subprocess.run(["cmake", "-S", str(proj), "-B", str(tmp_path / "b2")], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0 and "EMLEARN_INCLUDE" in r.stderr


def test_board_definition_has_no_bluetooth_and_the_layouts_partition_table():
    cmake = (BOARD / "mpconfigboard.cmake").read_text()
    assert "sdkconfig.ble" not in cmake and "boards/sdkconfig.base" in cmake
    assert re.search(r"MICROPY_PY_BLUETOOTH\s+\(0\)", (BOARD / "mpconfigboard.h").read_text())
    assert "CONFIG_BT_ENABLED=n" in (BOARD / "sdkconfig.board").read_text()
    for tree in sorted((ROOT / "build" / "wasm").glob("micropython-*/ports/esp32")):
        base = (tree / "boards" / "sdkconfig.base").read_text()
        table = re.search(r'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="([^"]+)"', base).group(1)
        assert table == flash_layout.LAYOUTS["esp32-4mb"]["partitions"]


def test_ci_workflow_builds_the_recipe_in_the_pinned_container():
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / "firmware.yml").read_text())
    job = wf["jobs"]["esp32-image"]
    assert job["container"] == _pins(ROOT / "firmware" / "pins.sh")["IDF_IMAGE"]
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "export.sh" in runs and "firmware/build.sh" in runs
    kept = [s["with"]["path"] for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert kept == [deploy.FIRMWARE_DIR.relative_to(ROOT).as_posix() + "/"]
    for p in wf[True]["push"]["paths"]:        # YAML reads "on" as True
        assert list(ROOT.glob(p.replace("/**", ""))), p


def test_image_pins_match_the_host_builds_micropython():
    fw, host = _pins(ROOT / "firmware" / "pins.sh"), _pins(ROOT / "wasm" / "pins.sh")
    assert host["MP_DEB_VERSION"].startswith(fw["MICROPYTHON_TAG"].lstrip("v") + "+")
    assert re.fullmatch(r"[0-9a-f]{40}", fw["MICROPYTHON_COMMIT"])
    text = (ROOT / "pyproject.toml").read_text()
    assert '"microdot==%s"' % fw["MICRODOT_VERSION"] in text


def test_build_script_stops_clearly_without_esp_idf():
    env = {k: v for k, v in os.environ.items() if k != "IDF_PATH"}
    r = subprocess.run([str(ROOT / "firmware" / "build.sh")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "ESP-IDF is not set up" in r.stderr
    assert not (ROOT / "build" / "firmware" / "micropython-v1.25.0").exists()

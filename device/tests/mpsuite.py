"""Runs a portable test suite file (hal_suite.py, wifi_suite.py: plain test_* functions, one
JSON result line) in a subprocess, once per runtime, for pytest wrappers that report one case
per suite test. MicroPython runs the firmware's .mpy files (build/fw/lib) with the host fakes."""
import json
import os
import re
import subprocess
import sys

from device.tests.simdev import ROOT

FAKES = ROOT / "device" / "tests" / "hostfakes"
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
MP_ENV = {"MICROPYPATH": ".frozen:%s:%s" % (ROOT / "build" / "fw" / "lib", FAKES)}


def names(path):
    return re.findall(r"^def (test_\w+)\(", path.read_text(), re.M)


class Suite:
    def __init__(self, path, args=()):
        self.path = path
        self.args = [str(a) for a in args]
        self._results = {}

    def results(self, runtime):
        if runtime not in self._results:
            if runtime == "cpython":
                cmd, env = [sys.executable, str(self.path)], dict(os.environ)
            else:
                cmd, env = [str(MICROPYTHON), "-X", "heapsize=192k", str(self.path)], MP_ENV
            r = subprocess.run(cmd + self.args, capture_output=True, text=True, timeout=180,
                               env=env)
            assert r.returncode == 0, r.stdout + r.stderr
            self._results[runtime] = json.loads(r.stdout.strip().splitlines()[-1])
        return self._results[runtime]

# The driver suite (hal_suite.py: MPU-6050, MPU-6886, LIS3DH against register fakes) on
# CPython from the sources and on real MicroPython unix from the .mpy files the device ships;
# one pytest case per suite test and runtime.
import json
import os
import re
import subprocess
import sys

import pytest

from device.tests.simdev import ROOT

SUITE = ROOT / "device" / "tests" / "hal_suite.py"
FAKES = ROOT / "device" / "tests" / "hostfakes"
_MP = ROOT / ".venv" / "bin" / "micropython"
NAMES = re.findall(r"^def (test_\w+)\(", SUITE.read_text(), re.M)
_results = {}


def suite_results(runtime):
    if runtime not in _results:
        if runtime == "cpython":
            cmd, env = [sys.executable, str(SUITE)], dict(os.environ)
        else:
            cmd = [str(_MP), "-X", "heapsize=192k", str(SUITE)]
            env = {"MICROPYPATH": ".frozen:%s:%s" % (ROOT / "build" / "fw" / "lib", FAKES)}
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        _results[runtime] = json.loads(r.stdout.strip().splitlines()[-1])
    return _results[runtime]


def test_suite_lists_every_case():
    assert len(NAMES) >= 15 and set(suite_results("cpython")) == set(NAMES)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("name", NAMES)
def test_driver(name, runtime):
    result = suite_results(runtime)[name]
    if result.startswith("skip"):
        pytest.skip(result)
    assert result == "ok", result

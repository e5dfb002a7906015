"""Fixtures: `dev` is one real simulated device per test module (scripts/sim.py, MicroPython
unix, temp data dir); `make_dev` starts extra ones (restart, replay) and stops them after."""
import subprocess
import sys

import pytest

from device.tests.simdev import ROOT, SimDevice


@pytest.fixture(scope="session", autouse=True)
def firmware_built():
    """The simulator runs build/fw/lib: rebuild it (incremental, quiet) so tests never run
    stale .mpy files after an edit."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_fw.py"), "--lib-only"],
                   check=True,
                   stdout=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    d = SimDevice(tmp_path_factory.mktemp("data") / "dev").start()
    yield d
    d.stop()


@pytest.fixture
def make_dev(tmp_path):
    started = []

    def make(**kw):
        kw.setdefault("data", tmp_path / "data")
        d = SimDevice(**kw)
        started.append(d)
        return d
    yield make
    for d in started:
        d.stop()

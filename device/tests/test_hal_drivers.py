# The driver suites on CPython from the sources and on real MicroPython unix from the .mpy
# files the device ships, one pytest case per suite test and runtime: hal_suite.py (MPU-6050,
# MPU-6886, LIS3DH) and slow_suite.py (BME280, BH1750, AS7341), against register fakes.
import pytest

from device.tests.mpsuite import Suite, names
from device.tests.simdev import ROOT

# suite file -> the fewest cases it must list (a suite that lost its tests fails)
SUITES = {"hal_suite.py": 15, "slow_suite.py": 10}
_PATHS = dict((f, ROOT / "device" / "tests" / f) for f in SUITES)
_RUN = dict((f, Suite(p)) for f, p in _PATHS.items())
CASES = [(f, n) for f in SUITES for n in names(_PATHS[f])]


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_suite_lists_every_case(suite):
    listed = names(_PATHS[suite])
    assert len(listed) >= SUITES[suite] and set(_RUN[suite].results("cpython")) == set(listed)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("suite,name", CASES)
def test_driver(suite, name, runtime):
    result = _RUN[suite].results(runtime)[name]
    if result.startswith("skip"):
        pytest.skip(result)
    assert result == "ok", result

# The slow and spectral sensor drivers (slow_suite.py: BME280, BH1750, AS7341 against register
# fakes) on CPython from the sources and on real MicroPython unix from the .mpy files the
# device ships; one pytest case per suite test and runtime.
import pytest

from device.tests.mpsuite import Suite, names
from device.tests.simdev import ROOT

PATH = ROOT / "device" / "tests" / "slow_suite.py"
NAMES = names(PATH)
SUITE = Suite(PATH)


def test_suite_lists_every_case():
    assert len(NAMES) >= 10 and set(SUITE.results("cpython")) == set(NAMES)


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("name", NAMES)
def test_driver(name, runtime):
    result = SUITE.results(runtime)[name]
    if result.startswith("skip"):
        pytest.skip(result)
    assert result == "ok", result

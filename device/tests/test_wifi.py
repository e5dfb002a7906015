# Wi-Fi setup (wifi_suite.py) on real MicroPython with the host fake of `network`: access
# point on first boot, credentials saved, join, fallback to the access point, retry, NTP.
import tempfile

import pytest

from device.tests.mpsuite import Suite, names
from device.tests.simdev import ROOT

PATH = ROOT / "device" / "tests" / "wifi_suite.py"
NAMES = names(PATH)
_tmp = tempfile.TemporaryDirectory(prefix="motebook-wifi-")
SUITE = Suite(PATH, [_tmp.name])


@pytest.mark.parametrize("name", NAMES)
def test_wifi(name):
    assert SUITE.results("micropython")[name] == "ok"

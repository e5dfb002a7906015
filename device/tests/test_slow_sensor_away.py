# A board whose slow sensor (board.json "sensor": bme280 / bh1750 / as7341) does not answer, or
# answers with another chip's id, keeps serving: the page, the API and the demo sensor, with the
# reason in /api/status "sensor_error" (device/main.py's fallback, hal/slow.make's SensorError).
# No board of device/boards carries the slow drivers yet (boards/modules.py kind "slow"), so the
# board is an accelerometer image board (esp32-mpu6050, our frozen firmware behind the import
# guard, device/tests/boardsim.py) told by board.json to read the slow chip, with the slow
# kind's modules let through the guard, as a board image built with them would have them; the
# I2C bus is the host fake (hostfakes/machine.py): nothing at all, or an MPU-6050 sitting at the
# slow chip's address (its id register is not the BME280's 0x60).
import json
import time

import pytest

from device.tests import boardsim

SLOW = ("hal.slow", "hal.bme280", "hal.bh1750", "hal.as7341", "model_regress")


class SlowBoard(boardsim.BoardSim):
    """boardsim.BoardSim whose image carries the slow kind's modules."""

    def command(self):
        cmd, env, cwd = super().command()
        env["MOTEBOOK_IMAGE_LACKS"] = ",".join(
            m for m in env.get("MOTEBOOK_IMAGE_LACKS", "").split(",") if m not in SLOW)
        return cmd, env, cwd


def _status(dev, cond, timeout=30):
    s = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = dev.json("GET", "/api/status")[1]
        if cond(s):
            return s
        time.sleep(0.1)
    raise AssertionError("timed out; last status %r" % (s,))


@pytest.mark.skipif(not boardsim.FROZEN.exists(), reason="no frozen firmware (build_fw.py)")
@pytest.mark.parametrize("sensor, chip, says", [
    ("bme280", "", ("no bme280 answers at I2C address 0x76", "addresses that answer: none")),
    ("bh1750", "", ("no bh1750 answers at I2C address 0x23",)),
    ("as7341", "", ("no as7341 answers at I2C address 0x39",)),
    ("bme280", "mpu6050@0x76", ("the chip at I2C address 0x76 has id",)),
])
def test_a_slow_sensor_that_does_not_answer_is_said_and_the_node_serves(tmp_path, sensor,
                                                                       chip, says):
    root = tmp_path / "board"
    boardsim.deploy_to("esp32-mpu6050", root, "--sensor", sensor)
    assert json.loads((root / "board.json").read_text())["sensor"] == sensor
    dev = SlowBoard("esp32-mpu6050", root, chip=chip).start(timeout=30)
    try:
        s = _status(dev, lambda s: "sensor_error" in s and s["windows"] >= 1)
        for w in says:
            assert w in s["sensor_error"], s["sensor_error"]
        assert "not in this board's firmware" not in s["sensor_error"]
        assert s["sensor"] == "sim", s           # the demo sensor runs instead
        assert dev.get("/")[0] == 200            # the page is served
        assert dev.json("GET", "/api/sessions")[0] == 200
    finally:
        dev.stop()

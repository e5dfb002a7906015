# Any ESP32 module with 4 MB flash and no PSRAM with an INMP441 I2S MEMS microphone breakout
# (ICS-43434 and SPH0645 wire the same: set "mic" in board.json): a sound level meter node
# (sensor "mic", device/sound.py). Wiring (device/HARDWARE.md): SCK (BCLK) GPIO 32, WS (LRCL)
# GPIO 25, SD (DOUT) GPIO 33, L/R to GND (left slot: the driver reads mono), VDD 3.3 V, GND.
# Other pins: "sck"/"ws"/"sd" in board.json. No accelerometer: the I2C pins are the usual ones
# for one added later ("sensor" in board.json). Memory: constants.
from boards._esp32 import FREQ, I2C, LAYOUT, MODEL_BYTES, SCL, SDA, STORAGE_BUDGET

SENSOR = None          # no accelerometer: the node's sensor is the microphone
ADDR = None
MIC = "inmp441"        # hal/i2s_mic.py CHIPS: 24-bit samples in 32-bit slots
I2S = 0                # machine.I2S id
SCK = 32
WS = 25
SD = 33
__all__ = ("SENSOR", "ADDR", "I2C", "SCL", "SDA", "FREQ", "LAYOUT", "STORAGE_BUDGET",
           "MODEL_BYTES", "MIC", "I2S", "SCK", "WS", "SD")

# M5StickC and M5StickC Plus (ESP32-PICO-D4, 4 MB flash, no PSRAM): the MPU6886 inside, on
# the internal I2C bus. Every pin of this board that motebook uses is here. Memory: constants.
from boards._esp32 import LAYOUT, MODEL_BYTES, STORAGE_BUDGET

SENSOR = "mpu6886"
ADDR = 0x68
I2C = 0            # machine.I2C bus id
SCL = 22           # the internal bus (not a breakout's wiring)
SDA = 21
FREQ = 400000
__all__ = ("SENSOR", "ADDR", "I2C", "SCL", "SDA", "FREQ", "LAYOUT", "STORAGE_BUDGET",
           "MODEL_BYTES")

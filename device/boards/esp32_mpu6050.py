# Any ESP32 module with 4 MB flash and no PSRAM (DevKitC, WROOM-32...) with an MPU-6050
# breakout (GY-521, AD0 low) on the usual I2C pins (boards/_esp32.py). Wired otherwise: set
# "scl"/"sda"/"addr" in board.json (scripts/deploy --scl/--sda/--addr). Memory: constants.
from boards._esp32 import FREQ, I2C, LAYOUT, MODEL_BYTES, SCL, SDA, STORAGE_BUDGET

SENSOR = "mpu6050"
ADDR = 0x68
__all__ = ("SENSOR", "ADDR", "I2C", "SCL", "SDA", "FREQ", "LAYOUT", "STORAGE_BUDGET",
           "MODEL_BYTES")

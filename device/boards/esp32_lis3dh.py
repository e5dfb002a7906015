# Any ESP32 module with 4 MB flash and no PSRAM with a LIS3DH or LIS2DH12 breakout (SA0 low:
# address 0x18; 0x19 with SA0 high) on the usual I2C pins (boards/_esp32.py). Wired
# otherwise: set "scl"/"sda"/"addr" in board.json (scripts/deploy --scl/...). Memory: constants.
from boards._esp32 import FREQ, I2C, LAYOUT, MODEL_BYTES, SCL, SDA, STORAGE_BUDGET

SENSOR = "lis3dh"
ADDR = 0x18
__all__ = ("SENSOR", "ADDR", "I2C", "SCL", "SDA", "FREQ", "LAYOUT", "STORAGE_BUDGET",
           "MODEL_BYTES")

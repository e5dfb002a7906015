# Any ESP32 module with 4 MB flash and no PSRAM with a LIS3DH or LIS2DH12 breakout (SA0 low:
# address 0x18; 0x19 with SA0 high) on the usual I2C pins. Wired otherwise: set
# "scl"/"sda"/"addr" in board.json (scripts/deploy --scl/--sda/--addr). Memory: constants.
SENSOR = "lis3dh"
ADDR = 0x18
I2C = 0
SCL = 22
SDA = 21
FREQ = 400000
LAYOUT = "esp32-4mb"
STORAGE_BUDGET = 256 * 1024

# Any ESP32 module with 4 MB flash and no PSRAM (DevKitC, WROOM-32...) with an MPU-6050
# breakout (GY-521, AD0 low) on the usual I2C pins. Wired otherwise: set "scl"/"sda"/"addr"
# in board.json (scripts/deploy --scl/--sda/--addr). Memory: constants.
SENSOR = "mpu6050"
ADDR = 0x68
I2C = 0
SCL = 22
SDA = 21
FREQ = 400000
LAYOUT = "esp32-4mb"
STORAGE_BUDGET = 256 * 1024

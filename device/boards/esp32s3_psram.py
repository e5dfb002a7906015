# An ESP32-S3 board with 8 MB flash and PSRAM (DevKitC-1 N8R2/N8R8...) running stock
# MicroPython, with an MPU-6050 on GPIO 9 (SCL) / 8 (SDA); another sensor or wiring: set
# "sensor"/"addr"/"scl"/"sda" in board.json (scripts/deploy --sensor ...). Memory: constants.
SENSOR = "mpu6050"
ADDR = 0x68
I2C = 0
SCL = 9
SDA = 8
FREQ = 400000
LAYOUT = "esp32s3-8mb-psram"  # stock MicroPython, our modules as .mpy files
STORAGE_BUDGET = 3 * 1024 * 1024
MODEL_BYTES = 256 * 1024      # the largest model file (PSRAM holds the trees of any of them)

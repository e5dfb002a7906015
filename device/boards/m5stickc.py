# M5StickC and M5StickC Plus (ESP32-PICO-D4, 4 MB flash, no PSRAM): the MPU6886 inside, on
# the internal I2C bus. Every pin of this board that motebook uses is here. Memory: constants.
SENSOR = "mpu6886"
ADDR = 0x68
I2C = 0            # machine.I2C bus id
SCL = 22
SDA = 21
FREQ = 400000
LAYOUT = "esp32-4mb"          # flash layout (scripts/flash_layout.py): our firmware image
STORAGE_BUDGET = 256 * 1024   # bytes of recorded sessions this flash layout leaves room for

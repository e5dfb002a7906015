# What "any ESP32 module" boards share: the flash of a 4 MB ESP32 running our image (layout,
# storage budget; the M5StickC too) and the DevKit's usual I2C wiring of a breakout.
# Memory: constants.
LAYOUT = "esp32-4mb"          # flash layout (scripts/flash_layout.py): our firmware image
STORAGE_BUDGET = 256 * 1024   # bytes of recorded sessions this flash layout leaves room for
I2C = 0                       # machine.I2C bus id
SCL = 22
SDA = 21
FREQ = 400000

# What "any ESP32 module" boards share: the flash of a 4 MB ESP32 running our image (layout,
# storage budget; the M5StickC too) and the DevKit's usual I2C wiring of a breakout.
# Memory: constants.
LAYOUT = "esp32-4mb"          # flash layout (scripts/flash_layout.py): our firmware image
STORAGE_BUDGET = 128 * 1024   # bytes of recorded sessions this flash layout leaves room for
#                               (the page and its 65 files, each at least one 4 KB block, take
#                               ~950 KB of the 2 MB filesystem: ~3 minutes at 100 Hz x 3 channels)
I2C = 0                       # machine.I2C bus id
SCL = 22
SDA = 21
FREQ = 400000

# What "any ESP32 module" boards share: the flash of a 4 MB ESP32 running our image (layout,
# storage budget; the M5StickC too) and the DevKit's usual I2C wiring of a breakout.
# Memory: constants.
LAYOUT = "esp32-4mb"          # flash layout (scripts/flash_layout.py): our firmware image
STORAGE_BUDGET = 128 * 1024   # bytes of recorded sessions this flash layout leaves room for
#                               (the page and its files, each at least one 4 KB block, take
#                               ~1 MB of the 2 MB filesystem: ~3.5 minutes at 100 Hz x 3 channels)
MODEL_BYTES = 128 * 1024      # the largest model file: ~6,500 decision nodes, whose 8 bytes
#                               each in RAM (52 KB) are about what a running node's heap has
#                               free (a larger file could not be loaded without PSRAM anyway)
I2C = 0                       # machine.I2C bus id
SCL = 22
SDA = 21
FREQ = 400000

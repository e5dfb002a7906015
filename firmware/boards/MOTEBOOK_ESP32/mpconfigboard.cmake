# motebook's image for ESP32 boards without PSRAM and 4 MB flash (M5StickC, ESP32 modules
# with an MPU-6050 or a LIS3DH): the generic ESP32 set-up without Bluetooth (more heap and
# flash for motebook), MicroPython's 4 MiB partition table (sdkconfig.base).
set(IDF_TARGET esp32)
set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    ${MICROPY_BOARD_DIR}/sdkconfig.board
)

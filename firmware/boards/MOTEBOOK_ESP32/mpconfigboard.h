// motebook's ESP32 image (firmware/README.md): a generic ESP32 without Bluetooth.
#define MICROPY_HW_BOARD_NAME               "motebook ESP32"
#define MICROPY_HW_MCU_NAME                 "ESP32"
#define MICROPY_PY_BLUETOOTH                (0)

# motebook: what our ESP32 image freezes besides the firmware modules (scripts/build_fw.py
# --esp32-manifest writes the manifest that includes this one and adds them): the port's own
# modules (filesystem set-up), asyncio, ntptime, and the Python half of our emlearn_trees
# module. Not the port's default list (Bluetooth helpers, drivers motebook does not use).
freeze("$(PORT_DIR)/modules")
include("$(MPY_DIR)/extmod/asyncio")
require("ntptime")
freeze("../wasm/frozen/common", opt=3)

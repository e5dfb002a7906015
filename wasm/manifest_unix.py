# motebook: frozen modules of our unix build (device simulator): asyncio as in the standard
# unix variant, plus the Python half of our emlearn modules. MPY_LIB_DIR points at
# wasm/frozen (micropython-lib is not part of the Debian source), so nothing is require()d.
include("$(MPY_DIR)/extmod/asyncio")  # asyncio package + uasyncio alias
freeze("frozen/common", opt=3)

# motebook: frozen modules of our unix build (device simulator): asyncio as in the standard
# unix variant, plus the Python half of our emlearn modules. MPY_LIB_DIR points at
# wasm/frozen (micropython-lib is not part of the Debian source), so nothing is require()d.
package("asyncio", base_path="$(MPY_DIR)/extmod", opt=3)
freeze("frozen/common", opt=3)

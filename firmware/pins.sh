# motebook: pinned inputs of firmware/build.sh (sourced), as wasm/pins.sh does for our
# host builds (the emlearn headers come from there).
MICROPYTHON_TAG=v1.25.0
MICROPYTHON_COMMIT=f498a16c7db6d4b2de200b3e0856528dfe0613c3
IDF_IMAGE=espressif/idf:v5.2.2        # an ESP-IDF MicroPython 1.25 supports (ports/esp32)
MICRODOT_VERSION=2.7.0                # as pyproject.toml
MICRODOT_WHEEL=microdot-2.7.0-py3-none-any.whl
MICRODOT_WHEEL_SHA256=1e9b7b825372e1ba8ebd4c59b6180e15c71f4b5200ec4bcbf8c9f9b5652db379
MDNS_VERSION=1.8.0                    # PyPI micropython-mdns, as pyproject.toml (an sdist only)
MDNS_SDIST=micropython_mdns-1.8.0.tar.gz
MDNS_SDIST_SHA256=ebdae77acebebf05a409074bc365f20de4ea40f9ebb19ed76904d3f3d4728866

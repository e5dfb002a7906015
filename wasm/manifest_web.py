# motebook: frozen modules of our webassembly build (PyScript "pyscript" variant): the port's
# own asyncio (JS event loop), the Python half of our emlearn modules, and the small
# standard-library modules PyScript 0.7.31's own Python imports at boot (pathlib, os.path,
# functools, inspect, base64, html), written by us because micropython-lib is not available.
include("$(PORT_DIR)/variants/manifest.py")
freeze("frozen/common", opt=3)
freeze("frozen/web", opt=3)

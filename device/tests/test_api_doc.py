# API.md names exactly the routes the firmware registers (read from the app itself on
# MicroPython, and the node's routes behind its one catch-all route), and the simulator serves
# each of the node's routes (none answers "no such API endpoint" or 405).
import json
import re
import subprocess

from device.tests.mpsuite import MICROPYTHON, MP_ENV
from device.tests.simdev import ROOT

_SCRIPT = """
import json
import api
import api_node


class _Any:
    def __getattr__(self, n):
        return _Any()

    def __call__(self, *a, **k):
        return _Any()


app = api.create_app(_Any())
for m in app.url_map:
    if m[1].url_pattern != "/api/<path:rest>":
        for x in m[0]:
            print(json.dumps([x, m[1].url_pattern]))
for x, p in api_node.ROUTES:
    print(json.dumps([x, p]))
"""


def _app_routes(tmp_path):
    f = tmp_path / "routes.py"
    f.write_text(_SCRIPT)
    # the routes only (not a memory test): the modules load as .mpy, not frozen, so the
    # device's heap is not enough for their bytecode
    r = subprocess.run([str(MICROPYTHON), "-X", "heapsize=2m", str(f)], env=MP_ENV,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return {tuple(json.loads(line)) for line in r.stdout.splitlines()
            if line.startswith("[") and json.loads(line)[0] != "HEAD"}


def test_every_route_is_in_api_md_and_nothing_else(tmp_path):
    doc = set(re.findall(r"^### (GET|PUT|POST|DELETE|PATCH) (/\S*)$",
                         (ROOT / "API.md").read_text(), re.M))
    routes = _app_routes(tmp_path)
    assert len(routes) > 30
    assert routes - doc == set(), "routes missing from API.md"
    assert doc - routes == set(), "API.md documents routes the device does not have"


def test_the_node_routes_are_served(dev):
    text = (ROOT / "device" / "api_node.py").read_text()
    routes = re.findall(r'\("(GET|PUT|POST|DELETE)", "(/api/[^"]+)"\)', text)
    assert len(routes) >= 13
    for method, path in routes:
        p = path.replace("<id>", "999").replace("<sid>", "999")
        st, h, b = dev.request(method, p)
        js = json.loads(b) if b[:1] == b"{" else {}
        assert st != 405 and "no such API endpoint" not in js.get("error", ""), (method, p, st, b)

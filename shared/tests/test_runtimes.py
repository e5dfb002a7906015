# The same shared/ suite (shared/tests/mprun.py) passes unchanged on every MicroPython we ship:
# the PyPI unix interpreter (device simulator), our unix build, MicroPython-WASM under Node
# (our build and the npm fallback); in Chromium see e2e/shared_suite.test.mjs. CPython-only
# (pytest); skips say why.
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared.tests import mprun  # noqa: E402

NPM_MJS = "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs"
OUR_UNIX = "build/wasm/unix/micropython"
OUR_MJS = "build/wasm/web/micropython.mjs"
RUNTIMES = {
    "micropython-pypi": ([".venv/bin/micropython", "shared/tests/mprun.py"],
                         ".venv/bin/micropython", False),
    "micropython-ours": ([OUR_UNIX, "shared/tests/mprun.py"], OUR_UNIX, True),
    "wasm-node-ours": (["node", "shared/tests/wasm_run.mjs", "--mjs", OUR_MJS], OUR_MJS, True),
    "wasm-node-npm": (["node", "shared/tests/wasm_run.mjs", "--mjs", NPM_MJS], NPM_MJS, False),
}
# The fourth runtime, MicroPython-WASM in Chromium, is the real page served by the simulated
# device: e2e/shared_suite.test.mjs runs this suite there.


def expected_tests():
    n = 0
    assert set(mprun.MODULES) == set(mprun.discover()), "update mprun.MODULES"
    for name in mprun.discover():
        mod = __import__("shared.tests." + name, None, None, ["*"])
        n += sum(1 for a in dir(mod) if a.startswith("test_") and callable(getattr(mod, a)))
    return n


def run_suite(cmd, timeout=300):
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else None
    return p.returncode, result, out


def test_suite_file_list_covers_shared():
    # browser_suite.mjs copies mprun.suite_files(): a new shared/ module must be listed there
    listed = set(mprun.suite_files())
    for name in os.listdir(os.path.join(ROOT, "shared")):
        if name.endswith(".py"):
            assert "shared/" + name in listed, "add shared/%s to mprun.SHARED_FILES" % name
    for p in listed:
        assert os.path.exists(os.path.join(ROOT, p)), p


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_shared_suite_on_runtime(runtime):
    cmd, exe, ours = RUNTIMES[runtime]
    if not os.path.exists(os.path.join(ROOT, exe)):
        pytest.skip("%s not built (%s missing): wasm/build.sh makes it" % (runtime, exe))
    rc, result, out = run_suite(cmd)
    assert result is not None, out[-3000:]
    failing = [l for l in out.splitlines() if l.startswith("FAIL")]
    assert rc == 0 and result["failed"] == 0, "\n".join(failing) or out[-3000:]
    assert result["passed"] == expected_tests(), out[-3000:]
    assert "%d passed, 0 failed" % result["passed"] in out
    if ours:  # our builds carry emlearn_fft, so the C FFT path must have run too
        assert "c" in result["fft"], "emlearn_fft missing from %s: C FFT path not tested" % exe
    print(runtime, result)

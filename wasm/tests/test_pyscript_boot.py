"""PyScript 0.7.31 boots in headless Chromium with our WASM build, with no console errors: its
own Python finds our frozen pathlib/os.path/inspect/functools/html/base64 (when() handlers with
and without the event argument, display() escaping), and the C-module tests pass in the page."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "build" / "wasm" / "web" / "micropython.mjs"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not WEB.exists(), reason="build/wasm/web/micropython.mjs absent (wasm/build.sh did not run or failed)")
@pytest.mark.skipif(shutil.which("node") is None or not CHROMIUM.exists()
                    or not (ROOT / "node_modules" / "playwright-core").exists()
                    or not (ROOT / "node_modules" / "@pyscript" / "core").exists(),
                    reason="node, /usr/bin/chromium, playwright-core or @pyscript/core absent")
def test_pyscript_boots_with_our_build_and_modules_pass_in_page():
    proc = subprocess.run(["node", "wasm/tests/pyscript_boot.mjs", "--mjs", str(WEB)], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    r = json.loads(lines[-1][len("RESULT "):])
    assert r["errors"] == []
    page = r["page"]
    assert page["runtime"] == "micropython-webassembly"
    assert page["failed"] == 0, page["failures"]
    assert page["skipped"] == 5  # the five CPython-reference tests (data comes from pytest only)
    assert page["clicks"] == ["with-event", "no-event"]
    assert "&lt;b&gt;" in page["display_html"]

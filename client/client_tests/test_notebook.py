# The client package and its example notebook against the real simulated device: the notebook
# runs (nbclient, ipykernel) and every number it prints equals what the HTTP API says, read
# here without the client; the package installs with pip.
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from device.tests import nodekit as K

ROOT = Path(__file__).resolve().parents[2]
WIN = {"rate": 100, "window": 128, "hop": 32, "channels": 3, "scale": 1 / 4096}


def test_example_notebook_numbers_match_the_api(tmp_path):
    dev = K.start(tmp_path / "dev", WIN)
    try:
        tok = dev.token
        dev.put("/api/sim", {"activity": "walking"})
        st, s = dev.json("POST", "/api/sessions", {"label": "walking"}, token=tok)
        assert st == 201
        time.sleep(2.5)
        dev.json("POST", "/api/sessions/%d/stop" % s["id"], token=tok)
        dev.put("/api/integrations", {"history": {"enabled": False}})   # history stays put
        nb = nbformat.read(ROOT / "client" / "examples" / "node.ipynb", as_version=4)
        env = dict(os.environ, MOTEBOOK_URL="http://127.0.0.1:%d" % dev.port,
                   PYTHONPATH=str(ROOT / "client"))
        old = dict(os.environ)
        os.environ.update(env)          # (the kernel inherits this process's environment)
        try:
            NotebookClient(nb, timeout=60, kernel_name="python3").execute()
        finally:
            os.environ.clear()
            os.environ.update(old)
        out = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
        got = json.loads(out.strip().splitlines()[-1])

        sessions = dev.json("GET", "/api/sessions")[1]["sessions"]
        meta = sessions[-1]
        labels = dev.json("GET", "/api/sessions/%d/labels" % meta["id"])[1]
        hist = json.loads(dev.get("/api/history")[2])
        hours = json.loads(dev.get("/api/history/summary?bucket=3600")[2])
        model = dev.json("GET", "/api/model")[1]
        want = {"sessions": len(sessions),
                "samples_shape": [len(meta["channels"]), meta["samples"]],
                "labelled": {c: sum(g["end"] - g["start"] for g in labels["segments"]
                                    if g["label"] == c) for c in labels["classes"]},
                "history_windows": hist["count"],
                "counts": {c: sum(1 for r in hist["rows"] if r[2] == i)
                           for i, c in enumerate(hist["classes"])},
                "hour_windows": sum(r[1] for r in hours["rows"]),
                "model_hash": model["hash"], "nodes": model["nodes"]}
        assert got == want
        assert got["history_windows"] > 0 and got["labelled"]["walking"] > 0
    finally:
        dev.stop()


def test_client_installs_with_pip(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--no-build-isolation", "--target", str(tmp_path / "site"),
                        str(ROOT / "client")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "site" / "motebook_client" / "__init__.py").exists()

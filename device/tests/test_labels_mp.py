# The labels PUT validator in-process on the real MicroPython unix interpreter (no sockets):
# the in-place scanner with tricky JSON (braces and quotes inside strings, whitespace), the
# stored file, and a 256-segment PUT passing in 20 KB of heap where json.loads of it fails.
import json
import os
import subprocess

from device.tests.simdev import ROOT

_MP = ROOT / ".venv" / "bin" / "micropython"

_SCRIPT = r"""
import gc, json
import session_store, labels, label_file
st = session_store.Store(DATA)
import os
os.mkdir(st.path(1))
cur = label_file.create(st, 1, None)
out = {}
def put(body, samples=1000):
    global cur
    try:
        cur = labels.put(st, 1, body, samples, cur)
        return ["ok", cur]
    except labels.LabelError as e:
        return [e.status, str(e), e.version]
out["tricky"] = put(b' \n{ "classes" : ["a{", "b\\"]", "c,d"] , "segments":[ '
                    b'{"start":0,"end":5,"label":"a{"} ,\n{"label":"b\\"]","start":5,"end":9} ],'
                    b' "version" : 1 } \n')
with open(st.path(1, "labels.json")) as f:
    out["file"] = json.load(f)
out["conflict"] = put(b'{"version": 1, "segments": []}')
out["trailing"] = put(b'{"version": 2, "segments": []} x')
out["unclosed"] = put(b'{"version": 2, "segments": [{"start": 0, "end": 1, "label": "a{"}')
out["not_obj"] = put(b'{"version": 2, "segments": [1]}')
out["nested"] = put(b'{"version": 2, "segments": [{"start": {"x": 1}, "end": 1, "label": "a{"}]}')
body = json.dumps({"version": 2, "classes": ["walking", "idle"], "segments": [
    {"start": i * 10, "end": i * 10 + 5, "label": "walking" if i % 2 else "idle"}
    for i in range(256)]}).encode()
out["body_len"] = len(body)
gc.collect()
ballast = [None] * 3000                     # leave about FREE bytes of heap
i = 0
while True:
    gc.collect()
    f = gc.mem_free()
    if f <= FREE or i == len(ballast):
        break
    try:
        ballast[i] = bytearray(max(16, min(2048, f - FREE)))
    except MemoryError:
        ballast[i] = bytearray(32)
    i += 1
out["free"] = gc.mem_free()
out["big"] = put(body, 5000)[0]
gc.collect()
try:
    x = json.loads(body)
    out["loads"] = "ok"
except MemoryError:
    out["loads"] = "MemoryError"
print(json.dumps(out))
"""


def test_put_scanner_file_and_heap_on_micropython(tmp_path):
    env = dict(os.environ, MICROPYPATH=".frozen:" + str(ROOT / "build" / "fw" / "lib"))
    script = "DATA = %r\nFREE = 20000\n" % str(tmp_path) + _SCRIPT
    r = subprocess.run([str(_MP), "-X", "heapsize=192k", "-c", script], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    ok, s = out["tricky"]
    assert ok == "ok" and s["version"] == 2 and s["counts"] == {"a{": 5, 'b"]': 4}
    assert out["file"] == {"version": 2, "classes": ["a{", 'b"]', "c,d"], "segments": [
        {"start": 0, "end": 5, "label": "a{"}, {"start": 5, "end": 9, "label": 'b"]'}]}
    assert out["conflict"][0] == 409 and out["conflict"][2] == 2
    for k in ("trailing", "unclosed"):
        assert out[k][0] == 400 and "not valid JSON" in out[k][1], out[k]
    assert out["not_obj"][0] == 400 and "list of objects" in out["not_obj"][1]
    assert out["nested"][0] == 400 and "start must be an integer" in out["nested"][1]
    # with 20 KB of heap left, 256 segments (12 KB body) pass the scanner; json.loads of the
    # same body does not fit
    assert out["free"] < 21000 and out["big"] == "ok" and out["loads"] == "MemoryError", out

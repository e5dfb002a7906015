# The history on the real simulated device: it survives kill -9 (every record CRC-valid or
# cut at a record boundary), the ring of chunk files wraps at its budget, and range queries
# (JSON, CSV, .npy, summaries) return exactly the windows in range. A small ring
# (MOTEBOOK_HISTORY_CHUNK) and fast windows (1000 Hz, hop 4) keep it short.
import io
import json
import random

import numpy as np

from device.tests import nodekit as K

CHUNK = 10 * K.REC
ENV = {"MOTEBOOK_HISTORY_CHUNK": str(CHUNK)}


def _all(dev, query=""):
    st, h, b = dev.get("/api/history" + query)
    assert st == 200, b
    return json.loads(b)


def test_kill9_while_logging_leaves_whole_records_only(tmp_path):
    data = tmp_path / "dev"
    dev = K.start(data, K.FAST, env=ENV)
    seen_tails = 0
    try:
        for round_ in range(20):
            if round_:
                dev = K.start(data, env=ENV)
            K.wait_for(lambda: dev.json("GET", "/api/status")[1]["node"]["history"]
                       ["history_windows"] >= 150)   # logged since this boot
            K.kill9(dev)
            files = K.chunks(data)
            for i, p in enumerate(files):
                recs, tail = K.records(p)
                last = i == len(files) - 1
                seen_tails += bool(tail)
                assert not tail or last, "a torn tail outside the last chunk: %s" % p
                bad = [j for j, r in enumerate(recs) if not r[-1]]
                assert not bad or (last and bad == [len(recs) - 1]), (p, bad)
        last = K.chunks(data)[-1]          # a power cut may leave garbage: boot cuts it
        with open(last, "ab") as f:
            f.write(b"\x55" * (K.REC + 30))
        dev = K.start(data, env=ENV)
        dev.stop()
        assert "torn tail cut" in dev.output()
        total = 0
        for p in K.chunks(data):        # after the boot repair: whole, valid records only
            recs, tail = K.records(p)
            assert tail == 0 and all(r[-1] for r in recs), p
            assert 1 <= len(recs) <= CHUNK // K.REC
            total += sum(r[3] for r in recs)
        assert total > 20 * 2 * 48 * 0.5
    finally:
        dev.stop()
    print("kill -9 x20: torn tails seen %d, windows kept %d" % (seen_tails, total))


def test_ring_wraps_at_its_budget_and_queries_are_exact(tmp_path):
    data = tmp_path / "dev"
    dev = K.start(data, K.FAST, env=ENV)
    try:
        budget = 4096              # the smallest: 5 chunks of 780 bytes
        st, body = dev.put("/api/integrations", {"history": {"budget": budget}})
        assert st == 200, body
        K.wait_for(lambda: K.chunks(data) and int(K.chunks(data)[0].stem) >= 2, timeout=60)
        files = K.chunks(data)
        assert len(files) <= 5 and sum(p.stat().st_size for p in files) <= budget
        st, info = dev.json("GET", "/api/history/info")
        assert info["chunks"] == len(files) or info["chunks"] == len(files) - 1

        full = _all(dev)
        rows = full["rows"]
        assert full["count"] == len(rows) > 400
        rng = random.Random(7)
        ts = [r[0] for r in rows]
        for _ in range(6):
            a, b = sorted(rng.sample(ts, 2))
            q = _all(dev, "?from=%.3f&to=%.3f" % (a, b))
            want = [r[1] for r in rows if a <= r[0] < b]
            got = [r[1] for r in q["rows"]]
            assert got == want, (a, b, got[:5], want[:5])
        a, b = ts[len(ts) // 4], ts[len(ts) // 2]
        q = "?from=%.3f&to=%.3f" % (a, b)
        js = _all(dev, q)
        st, h, csv = dev.get("/api/history" + q + "&format=csv")
        lines = csv.decode().strip().split("\n")
        assert lines[0] == "t,seq,class,confidence,rms_x,rms_y,rms_z"
        assert [int(l.split(",")[1]) for l in lines[1:]] == [r[1] for r in js["rows"]]
        st, h, raw = dev.get("/api/history" + q + "&format=npy")
        arr = np.load(io.BytesIO(raw))
        assert list(arr["seq"]) == [r[1] for r in js["rows"]]
        assert list(arr["class"]) == [r[2] for r in js["rows"]]
        assert list(arr["t_ms"]) == [round(r[0] * 1000) for r in js["rows"]]
        assert json.loads(h["x-classes"]) == js["classes"]
        st, h, b2 = dev.get("/api/history/summary" + q + "&bucket=1")
        sm = json.loads(b2)
        assert sum(r[1] for r in sm["rows"]) == len(js["rows"])
        for k in range(len(sm["classes"])):
            assert sum(r[2][k] for r in sm["rows"]) == sum(1 for r in js["rows"] if r[2] == k)
        assert dev.get("/api/history?from=5&to=4")[0] == 400
        assert dev.get("/api/history?format=xml")[0] == 400
    finally:
        dev.stop()


def test_a_history_block_on_flash_tells_the_pages(tmp_path):
    """Each block the history writes sends {"type": "changed", "part": "history"} to the
    WebSocket clients (the page's history view follows without polling); versions count up."""
    dev = K.start(tmp_path / "dev", K.FAST)
    try:
        ws = dev.ws()
        ws.recv_json("hello")
        seen = []
        for _ in range(2):
            _, d = ws.until(lambda op, d: op == 1 and b'"changed"' in d and b'"history"' in d,
                            limit=5000)
            seen.append(json.loads(d)["version"])
        assert seen[1] > seen[0] >= 1
        assert K.chunks(tmp_path / "dev")
        ws.close()
    finally:
        dev.stop()

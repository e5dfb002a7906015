"""Test helpers (CPython): model files for the simulated device made with the shared code —
a tree ensemble trained by shared.pipeline on windows of the device's own simulated sensor
(device/hal/sim_accel.py run on CPython), or a big hand-built one (shared.modelformat) — and
raw-socket uploads that can stop midway."""
import random
import socket
import sys
from array import array

from device.tests.simdev import ROOT

sys.path.insert(0, str(ROOT / "device"))   # hal.sim_accel, as on the device
from hal.sim_accel import SimAccel  # noqa: E402
from shared import modelformat as MF  # noqa: E402
from shared import pipeline as P  # noqa: E402
from shared.features import feature_names  # noqa: E402
from shared.model import TreeModel  # noqa: E402
from shared.quant import Quantizer  # noqa: E402

CLASSES = ["idle", "walking", "running", "shaking"]
WINDOW = {"rate": 100, "window": 128, "hop": 64, "channels": 3, "scale": 1 / 4096}


def sim_windows(per_class=16, seed=5, window=WINDOW):
    """Channel-major int16 windows of each simulated activity, as the device cuts them."""
    n, hop = window["window"], window["hop"]
    wins, labels = [], []
    buf = array("h", [0, 0, 0])
    for k, act in enumerate(CLASSES):
        s = SimAccel(window["rate"], act, seed=seed + k)
        samples = []
        for i in range(n + hop * (per_class - 1)):
            s.read_into(buf, 0)
            samples.append(tuple(buf))
        for w in range(per_class):
            seg = samples[w * hop:w * hop + n]
            wins.append(array("h", [seg[i][c] for c in range(3) for i in range(n)]))
            labels.append(act)
    return wins, labels


def trained(n_trees=5, max_depth=8, per_class=16, seed=1, window=WINDOW):
    """shared.pipeline result: {"text", "hash", "model", ...}."""
    wins, labels = sim_windows(per_class, seed + 10, window)
    return P.Pipeline(wins, labels, CLASSES, window, n_trees=n_trees, max_depth=max_depth,
                      seed=seed).run()


def big(n_nodes, n_trees=8, seed=3, window=WINDOW, features=None):
    """A valid model of about n_nodes random decision nodes (full trees), as model text."""
    rs = random.Random(seed)
    names = features or feature_names(P.n_channels(window))
    nodes, roots, leaves = [], [], list(range(len(CLASSES)))
    per_tree = max(1, n_nodes // n_trees)
    for t in range(n_trees):
        base = len(nodes)
        roots.append(base)
        for i in range(per_tree):
            kids = []
            for c in (2 * i + 1, 2 * i + 2):
                kids.append(base + c if c < per_tree else -1 - rs.randrange(len(leaves)))
            nodes.append((rs.randrange(len(names)), rs.randrange(-3000, 3000), kids[0], kids[1]))
    model = TreeModel(len(names), len(CLASSES), nodes, roots, leaves)
    qz = Quantizer([0] * len(names), [0] * len(names))
    meta = MF.make_meta(names, CLASSES, qz, window)
    text = P.model_text(model, meta)
    return {"text": text, "hash": P.model_hash(text), "model": MF.loads(text)}


def upload_raw(port, body, token, send=None, headers=None, timeout=10):
    """PUT /api/model over a raw socket; send(sock, body) may send part of it and return
    False to close without reading (a cut-off upload). Returns (status, json) or None."""
    import json
    if isinstance(body, str):
        body = body.encode()
    h = {"Host": "127.0.0.1", "Content-Length": str(len(body)), "Connection": "close",
         "Content-Type": "text/csv"}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    head = "PUT /api/model HTTP/1.1\r\n" + "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n"
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head.encode())
        if send is not None:
            if send(s, body) is False:
                return None
        else:
            s.sendall(body)
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            data += c
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(rest)


def activity_windows(act, n_windows=60, seed=7, window=WINDOW):
    """Channel-major int16 windows of one simulated activity, as the device cuts them."""
    n, hop = window["window"], window["hop"]
    buf = array("h", [0, 0, 0])
    s = SimAccel(window["rate"], act, seed=seed)
    samples = []
    for i in range(n + hop * (n_windows - 1)):
        s.read_into(buf, 0)
        samples.append(tuple(buf))
    return [array("h", [samples[w * hop + i][c] for c in range(3) for i in range(n)])
            for w in range(n_windows)]


def anomaly_text(window=WINDOW, kind="envelope", act="idle", n_windows=60, seed=7,
                 hysteresis=(3, 5), contamination=0.01, meta=None, types=("full", "diag")):
    """An anomaly model file (shared.anomalyformat) fitted by shared.anomaly on normal
    windows of one simulated activity; meta entries override the metadata (e.g. "window")."""
    from shared import anomaly as A
    from shared import anomalyformat as AF
    wins = activity_windows(act, n_windows, seed, window)
    X, d = A.feature_table(wins, window)
    m = A.fit(X, d, kind, contamination=contamination, ks=(1, 2), types=types)
    md = AF.make_meta(m, feature_names(window["channels"]),
                      {"rate": window["rate"], "window": window["window"],
                       "channels": window["channels"]}, hysteresis)
    md.update(meta or {})
    return AF.dumps(m, md)

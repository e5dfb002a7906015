#!/usr/bin/env python3
"""Training benchmark (not a test). 1000 windows (3 x 128 samples at 100 Hz, the device's default
settings), 10 trees, holdout 25 % (stratified, seed 1):
  1. our pipeline in MicroPython-WASM under Node (build/wasm/web, else the npm build), the page's
     path: features of every window, quantiser, training, holdout metrics; and the trainer
     alone on the CPython features (its model file must equal CPython's, byte for byte);
     then the page's default evaluation, 5-fold by session (5 models + the deployed one);
  2. on CPython, on the same int16 features and split: our trainer, scikit-learn's
     ExtraTreesClassifier and RandomForestClassifier (same n_trees, max_depth, sqrt features);
     and session-grouped 5-fold: our group k-fold + trainer against scikit-learn's GroupKFold
     + ExtraTrees on the same features (the accuracies should be within 2 points);
  3. device side: per-window features + prediction on the unix interpreters (our build with the
     emlearn C modules, and the PyPI one, pure Python), median of 200 windows.
Data sets: "sim" = device/hal/sim_accel.py (4 activities, sessions with random gain), "hard" =
a numpy generator with overlapping classes (so accuracies are not all 100 %).
Usage: .venv/bin/python scripts/bench_train.py [--data sim|hard|both] [--depth N] [--keep DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from array import array

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shared import evaluate as E  # noqa: E402
from shared import pipeline as P  # noqa: E402
from shared.quant import Quantizer  # noqa: E402
from shared.trainer import Trainer  # noqa: E402
from shared.tests import mprun  # noqa: E402

RATE, N, HOP, CH = 100, 128, 64, 3
SCALE = 1 / 4096
N_WINDOWS, N_TREES, TEST, SEEDS = 1000, 10, 0.25, 10
WINDOW = {"rate": RATE, "window": N, "hop": HOP, "channels": CH, "scale": SCALE}
OUR_MJS = "build/wasm/web/micropython.mjs"
NPM_MJS = "node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs"


# ---- data ---------------------------------------------------------------------------------
SESSION = 25     # windows per session of the data sets below


def sim_windows(seed=1):
    """Windows of device/hal/sim_accel.py: 10 sessions of 25 windows per activity; each session
    has its own noise seed and a gain 0.6..1.4 on the motion (gravity kept)."""
    import numpy as np
    from device.hal.sim_accel import ACTIVITIES, SimAccel
    rs = np.random.RandomState(seed)
    per = N_WINDOWS // len(ACTIVITIES)
    windows, labels = [], []
    for a in ACTIVITIES:
        for s in range(per // 25):
            sim = SimAccel(RATE, a, seed=int(rs.randint(1, 1 << 30)))
            n_samples = N + HOP * 24
            buf = array("h", [0] * (3 * n_samples))
            for i in range(n_samples):
                sim.read_into(buf, 3 * i)
            x = np.array(buf, dtype=np.float64).reshape(-1, 3).T   # channel-major
            g = np.array([0, 0, 4096.0])[:, None]
            x = np.clip(np.round(g + (x - g) * rs.uniform(0.6, 1.4)), -32768, 32767)
            for w in range(25):
                windows.append(x[:, w * HOP:w * HOP + N].astype(np.int16))
                labels.append(a)
    return windows, labels, list(ACTIVITIES)


def sessions_of(labels):
    """Session of each window: consecutive runs of SESSION windows of one class."""
    seen, out = {}, []
    for c in labels:
        seen[c] = seen.get(c, 0) + 1
        out.append("%s-%d" % (c, (seen[c] - 1) // SESSION))
    return out


def hard_windows(seed=2):
    """4 classes whose step frequency and amplitude ranges overlap, random orientation noise;
    sessions of SESSION windows share a speed, an amplitude and an orientation."""
    import numpy as np
    rs = np.random.RandomState(seed)
    classes = ["slow", "walk", "jog", "run"]
    t = np.arange(N) / RATE
    windows, labels = [], []
    per_session = {}
    for i in range(N_WINDOWS):
        k = i % 4
        j = (i // 4) // SESSION
        if (k, j) not in per_session:
            per_session[(k, j)] = (rs.uniform(0.85, 1.15), rs.uniform(0.8, 1.2),
                                   rs.normal(0, 0.15, 3))
        sf, sa, tilt = per_session[(k, j)]
        f = (1.0, 1.7, 2.6, 3.8)[k] * sf * rs.uniform(0.9, 1.1)
        amp = rs.uniform(0.3, 0.6) * (1 + 0.4 * k) * 4096 * sa
        x = np.zeros((3, N))
        x[2] += 4096
        for c in range(3):
            x[c] += tilt[c] * 4096 + amp * rs.uniform(0.4, 1.0) * \
                np.sin(2 * np.pi * f * t + rs.uniform(0, 6.3))
            x[c] += amp * rs.uniform(0, 0.4) * np.sin(4 * np.pi * f * t + rs.uniform(0, 6.3))
        x += rs.normal(0, rs.uniform(100, 600), (3, N))
        windows.append(np.clip(np.round(x), -32768, 32767).astype(np.int16))
        labels.append(classes[k])
    return windows, labels, classes


# ---- runtimes -----------------------------------------------------------------------------
MP_BODY = r"""
import sys, json, gc
from array import array
from time import ticks_ms, ticks_us, ticks_diff
from shared.compat import bytes_view
from shared import pipeline as P
from shared import evaluate as E
from shared import modelformat as MF
from shared.trainer import Trainer

D = DATA_DIR
IMPL = "auto"     # the trainer: "auto" (C where emlearn_extratrees imports), "python", "c"
cfg = json.load(open(D + "/cfg.json"))
SIZE = cfg["window"]["channels"] * cfg["window"]["window"]


class Windows:
    # the windows file read one window at a time (as the page can read its session files)
    def __init__(self, path, n):
        self.f = open(path, "rb")
        self.n = n
        self.buf = array("h", [0] * SIZE)
        self.view = bytes_view(self.buf, 2 * SIZE)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.f.seek(2 * SIZE * i)
        self.f.readinto(self.view)
        return self.buf


def load_x(path, n):
    X = array("h", [0] * n)
    with open(path, "rb") as f:
        f.readinto(bytes_view(X, 2 * n))
    return X


def pipeline():
    gc.collect()
    p = P.Pipeline(Windows(D + "/windows.bin", len(cfg["labels"])), cfg["labels"],
                   cfg["classes"], cfg["window"], test_fraction=cfg["test_fraction"], split_seed=1,
                   **cfg["params"])
    ms = {}
    t = ticks_ms()
    n_steps = 0
    longest = 0
    for s in p.steps():   # time since the previous yield, charged to the stage just reported
        n_steps += 1
        now = ticks_ms()
        d = ticks_diff(now, t)
        longest = max(longest, d)
        ms[s["stage"]] = ms.get(s["stage"], 0) + d
        t = now
    r = p.result
    print(json.dumps({"kind": "pipeline", "ms": ms, "steps": n_steps, "longest_step_ms": longest,
                      "accuracy": r["metrics"]["accuracy"], "hash": r["hash"],
                      "size": r["size"], "predict_us": r["predict_us"],
                      "mem_free": gc.mem_free(), "mem_alloc": gc.mem_alloc()}))


def pipeline_groups():
    # the page's default: 5-fold by session, then the deployed model on every window
    gc.collect()
    p = P.Pipeline(Windows(D + "/windows.bin", len(cfg["labels"])), cfg["labels"],
                   cfg["classes"], cfg["window"], groups=cfg["groups"],
                   validation={"method": "kfold", "folds": 5}, split_seed=1, impl=IMPL,
                   **cfg["params"])
    t0 = ticks_ms()
    longest = 0
    t = t0
    ms = {}
    for s in p.steps():
        now = ticks_ms()
        d = ticks_diff(now, t)
        longest = max(longest, d)
        ms[s["stage"]] = ms.get(s["stage"], 0) + d
        t = now
    r = p.result
    print(json.dumps({"kind": "groups", "ms": ticks_diff(ticks_ms(), t0), "stages": ms,
                      "impl": IMPL, "hash": r["hash"],
                      "longest_step_ms": longest, "accuracy": r["metrics"]["accuracy"],
                      "baseline": r["baseline"]["accuracy"],
                      "description": r["validation"]["description"]}))


def groups_or_error():
    try:
        pipeline_groups()
    except MemoryError as e:   # seen on our unix build (1.25) with the C FFT: see wasm/README
        print(json.dumps({"kind": "groups_error", "impl": IMPL, "error": repr(e),
                          "mem_free": gc.mem_free()}))


def trainer_only():
    nf = cfg["n_features"]
    y = bytearray(cfg["y"])
    X = load_x(D + "/X.bin", len(y) * nf)
    train = cfg["train"]
    t0 = ticks_ms()
    tr = Trainer(X, y, nf, len(cfg["classes"]), rows=train, impl=IMPL, **cfg["params"])
    longest = 0
    t = ticks_ms()
    for _ in tr.steps():
        now = ticks_ms()
        longest = max(longest, ticks_diff(now, t))
        t = now
    model = tr.model()
    ms = ticks_diff(ticks_ms(), t0)
    m = E.evaluate(model, X, y, cfg["test"])
    text = P.model_text(model, MF.make_meta(cfg["features"], cfg["classes"],
                        __import__("shared.quant", None, None, ["Quantizer"]).Quantizer.from_dict(
                            cfg["quant"]), cfg["window"], trainer=tr.params()))
    print(json.dumps({"kind": "trainer", "ms": ms, "longest_step_ms": longest, "impl": tr.impl,
                      "accuracy": m["accuracy"], "hash": P.model_hash(text),
                      "nodes": model.n_nodes}))


def device():
    # per-window features + prediction, as the device's inference task does
    model = MF.loads(open(D + "/model.csv").read())
    ws = Windows(D + "/windows.bin", 200)
    try:
        import emlearn_trees
        c = emlearn_trees.new(len(model.roots), model.n_nodes, len(model.leaves))
        emlearn_trees.load_model(c, open(D + "/model.csv"))
    except ImportError:
        c = None

    class CTrees:
        def __init__(self):
            self.out = array("f", [0.0] * model.n_classes)

        def predict(self, x):
            c.predict(x, self.out)
            best = 0
            for k in range(1, len(self.out)):
                if self.out[k] > self.out[best]:
                    best = k
            return best
    paths = [("python", None, "python")]
    if c is not None:
        paths.append(("auto", CTrees(), "c"))
    for fft, pred, trees in paths:
        clf = P.Classifier(model, fft=fft, predictor=pred)
        times = []
        feat = []
        for i in range(len(ws)):
            w = ws[i]
            t0 = ticks_us()
            clf.fe.compute(w, clf._out, cfg["window"]["scale"])
            t1 = ticks_us()
            clf.classify(w)
            feat.append(ticks_diff(t1, t0))
            times.append(ticks_diff(ticks_us(), t1))
        times.sort()
        feat.sort()
        print(json.dumps({"kind": "device", "fft": clf.fe.fft_impl, "trees": trees,
                          "classify_us": times[len(times) // 2],
                          "features_us": feat[len(feat) // 2]}))
"""

NODE_RUNNER = r"""
import { readFileSync, readdirSync, copyFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { tmpdir } from "node:os";
import { pathToFileURL } from "node:url";
const [mjs, root, dataDir, codePath, heap] = process.argv.slice(2);
let url = pathToFileURL(mjs).href;
const text = readFileSync(mjs, "utf8");
if (!mjs.includes("node_modules") && !text.includes("createRequire")) {
  const dir = mkdtempSync(join(tmpdir(), "mpbench-"));     // as shared/tests/wasm_run.mjs
  for (const f of readdirSync(dirname(mjs))) if (f.endsWith(".wasm"))
    copyFileSync(join(dirname(mjs), f), join(dir, f));
  writeFileSync(join(dir, basename(mjs)), 'import { createRequire } from "node:module";\n' +
    'const require = createRequire(import.meta.url);\n' +
    'const __dirname = new URL(".", import.meta.url).pathname;\n' + text);
  url = pathToFileURL(join(dir, basename(mjs))).href;
}
globalThis.fetch = undefined;
const { loadMicroPython } = await import(url);
const opts = { stdout: (l) => console.log(l), stderr: (l) => console.error(l) };
if (heap !== "default") opts.heapsize = parseInt(heap);
const mp = await loadMicroPython(opts);
const files = JSON.parse(readFileSync(join(dataDir, "files.json"), "utf8"));
for (const p of files) {
  const dst = "/motebook/" + p;
  mp.FS.mkdirTree(dst.slice(0, dst.lastIndexOf("/")));
  mp.FS.writeFile(dst, readFileSync(join(root, p)));
}
mp.FS.mkdirTree("/bench");
for (const f of readdirSync(dataDir)) {
  mp.FS.writeFile("/bench/" + f, readFileSync(join(dataDir, f)));
}
const t0 = Date.now();
mp.runPython(readFileSync(codePath, "utf8"));
console.log(JSON.stringify({ kind: "node_wall_ms", ms: Date.now() - t0 }));
"""


def mp_code(data_dir, calls):
    return ("import sys\nsys.path.insert(0, %r)\nDATA_DIR = %r\n" % (data_dir[0], data_dir[1])
            + MP_BODY.replace("DATA_DIR", repr(data_dir[1])) + "\n" + "\n".join(
                c if "=" in c else "%s()" % c for c in calls) + "\n")


def run(cmd, timeout=900):
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode or not rows:
        print("   failed (%s): %s" % (" ".join(cmd[:2]), (p.stdout + p.stderr).strip()[-600:]))
    return rows


# ---- one data set -------------------------------------------------------------------------
def compare_c(name, d, tmp, text, heap):
    """--c: the C trainer (emlearn_extratrees) against the Python one on our unix build and our
    WASM build under Node: a single fit on the CPython int16 features (its model file against
    CPython's) and the page's 5-fold by session of every window (features included)."""
    calls = []
    for impl in ("python", "c"):
        calls += ["IMPL = %r" % impl, "trainer_only"]
    for impl in ("python", "c"):
        calls += ["IMPL = %r" % impl, "groups_or_error"]
    want = P.model_hash(text)
    runs = []
    if os.path.exists(os.path.join(ROOT, OUR_MJS)):
        runner = os.path.join(tmp, "run.mjs")
        with open(runner, "w") as f:
            f.write(NODE_RUNNER)
        code = os.path.join(tmp, "code_c_%s.py" % name)
        with open(code, "w") as f:
            f.write(mp_code(("/motebook", "/bench"), calls))
        runs.append(("WASM under Node (ours)",
                     ["node", runner, os.path.join(ROOT, OUR_MJS), ROOT, d, code, str(heap)]))
    code = os.path.join(d, "code_c_unix.py")
    with open(code, "w") as f:
        f.write(mp_code((ROOT, d), calls))
    if os.path.exists(os.path.join(ROOT, "build/wasm/unix/micropython")):
        runs.append(("unix, our build", ["build/wasm/unix/micropython", "-X", "heapsize=32M",
                                         code]))
    print("\n== %s: trainer in C (emlearn_extratrees) vs Python, 10 trees, max_depth 12"
          % name)
    for label, cmd in runs:
        groups = {}
        for r in run(cmd):
            if r["kind"] == "trainer":
                print("  %-36s single fit (%d windows) %-6s %6d ms, accuracy %.3f, %d nodes, "
                      "model file %s CPython's" % (label, len(json.load(open(
                          os.path.join(d, "cfg.json")))["train"]), r["impl"], r["ms"],
                          r["accuracy"], r["nodes"], "==" if r["hash"] == want else "!="))
            elif r["kind"] == "groups":
                groups[r["impl"]] = r
                st = r["stages"]
                print("  %-36s 5-fold by session   %-6s %6d ms (features %d, quantise %d, "
                      "train %d, evaluate %d), accuracy %.3f, longest step %d ms"
                      % (label, r["impl"], r["ms"], st.get("features", 0),
                         st.get("quantise", 0), st.get("train", 0),
                         st.get("evaluate", 0) + st.get("done", 0), r["accuracy"],
                         r["longest_step_ms"]))
            elif r["kind"] == "groups_error":
                print("  %-36s 5-fold by session   %-6s failed: %s with %d bytes free"
                      % (label, r["impl"], r["error"], r["mem_free"]))
        if len(groups) == 2:
            print("  %-36s 5-fold by session: the deployed model file C %s Python"
                  % (label, "==" if groups["c"]["hash"] == groups["python"]["hash"] else "!="))


def bench(name, windows, labels, classes, depth, tmp, heap, c_only=False):
    import numpy as np
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    print("\n== data set %r: %d windows, classes %s, %d trees, max_depth %s, holdout %d %%"
          % (name, len(windows), ", ".join(classes), N_TREES, depth, TEST * 100))
    params = {"n_trees": N_TREES, "max_depth": depth, "seed": 1}
    y = bytearray(classes.index(c) for c in labels)
    fe = P.extractor(WINDOW, "python")
    t0 = time.perf_counter()
    rows = [fe.compute(array("h", w.ravel().tolist()), fe.new_output(), SCALE) for w in windows]
    feat_ms = (time.perf_counter() - t0) * 1000
    train, test = E.stratified_split(y, TEST, seed=1)
    qz = Quantizer.fit([rows[i] for i in train])
    X = P.quantise_rows(rows, qz)
    nf = fe.n_features
    # CPython: ours, then scikit-learn on the same int16 features and split
    t0 = time.perf_counter()
    tr = Trainer(X, y, nf, len(classes), rows=train, **params)
    model = tr.fit()
    ours_ms = (time.perf_counter() - t0) * 1000
    ours = E.evaluate(model, X, y, test)
    meta_args = (fe.names, classes, qz, WINDOW)
    from shared import modelformat as MF
    text = P.model_text(model, MF.make_meta(*meta_args, trainer=tr.params()))
    A = np.array(X, dtype=np.int16).reshape(-1, nf)
    Y = np.array(list(y))
    tri, tei = np.array(list(train)), np.array(list(test))
    seeds = range(SEEDS)
    sk = {}
    for label, cls in (("sklearn ExtraTrees", ExtraTreesClassifier),
                       ("sklearn RandomForest", RandomForestClassifier)):
        accs, hard, times = [], [], []
        for s in seeds:
            t0 = time.perf_counter()
            est = cls(n_estimators=N_TREES, max_depth=depth, max_features="sqrt",
                      random_state=s).fit(A[tri], Y[tri])
            times.append((time.perf_counter() - t0) * 1000)
            accs.append(float((est.predict(A[tei]) == Y[tei]).mean()))
            # hard votes (one class per tree, ties to the lowest), as emlearn leaf_bits 0 runs it
            votes = np.zeros((len(tei), len(classes)), dtype=int)
            for tree in est.estimators_:
                votes[np.arange(len(tei)), tree.predict(A[tei]).astype(int)] += 1
            hard.append(float((votes.argmax(axis=1) == Y[tei]).mean()))
        sk[label] = (accs, hard, sorted(times)[len(times) // 2])
    ours5 = [E.evaluate(Trainer(X, y, nf, len(classes), rows=train, **dict(params, seed=s + 1))
                        .fit(), X, y, test)["accuracy"] for s in seeds]
    rf5 = [E.evaluate(Trainer(X, y, nf, len(classes), rows=train, method="rf",
                              **dict(params, seed=s + 1)).fit(), X, y, test)["accuracy"]
           for s in seeds]
    # files for the MicroPython runs
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "windows.bin"), "wb") as f:
        for w in windows:
            f.write(w.astype("<i2").tobytes())
    with open(os.path.join(d, "X.bin"), "wb") as f:
        f.write(np.array(X, dtype="<i2").tobytes())
    with open(os.path.join(d, "model.csv"), "w") as f:
        f.write(text)
    cfg = {"labels": labels, "classes": classes, "window": WINDOW, "test": list(test),
           "train": list(train), "params": params, "y": list(y), "n_features": nf,
           "features": fe.names, "quant": qz.to_dict(), "groups": sessions_of(labels)}
    cfg["test_fraction"] = TEST
    with open(os.path.join(d, "cfg.json"), "w") as f:
        json.dump(cfg, f)
    files = mprun.suite_files()
    with open(os.path.join(d, "files.json"), "w") as f:
        json.dump([p for p in files if not p.startswith("shared/tests/test_")], f)

    if c_only:
        compare_c(name, d, tmp, text, heap)
        return
    print("CPython %s: features %.0f ms (python FFT), our trainer %.0f ms, %d nodes, "
          "model file %d bytes" % (sys.version.split()[0], feat_ms, ours_ms, model.n_nodes,
                                   len(text)))
    def stats(v):
        return "mean %.3f (%d seeds %.3f..%.3f)" % (sum(v) / len(v), len(v), min(v), max(v))
    print("  %-28s seed 1: %.3f; %s" % ("ours extra-trees", ours["accuracy"], stats(ours5)))
    print("  %-28s %s" % ("ours random forest", stats(rf5)))
    for label in sk:
        accs, hard, ms = sk[label]
        print("  %-28s %s, fit %.0f ms" % (label, stats(accs), ms))
        print("  %-28s %s" % ("  same, hard votes (emlearn)", stats(hard)))
    m = sum(ours5) / len(ours5)
    print("  ours - sklearn ExtraTrees: %+.1f points (%+.1f vs its hard votes); ours rf - sklearn"
          " RandomForest: %+.1f points" % (
              100 * (m - sum(sk["sklearn ExtraTrees"][0]) / len(seeds)),
              100 * (m - sum(sk["sklearn ExtraTrees"][1]) / len(seeds)),
              100 * (sum(rf5) / len(rf5) - sum(sk["sklearn RandomForest"][0]) / len(seeds))))
    print("  CPython model hash %s" % P.model_hash(text))
    # session-grouped 5-fold on the same int16 features: ours against sklearn's GroupKFold
    from sklearn.model_selection import GroupKFold
    groups = sessions_of(labels)
    ours_g, sk_g = [], []
    for s in seeds:
        right = 0
        for tr_i, te_i in E.group_kfold(y, groups, 5, seed=s + 1):
            m = Trainer(X, y, nf, len(classes), rows=tr_i, **dict(params, seed=s + 1)).fit()
            right += sum(E.predict_rows(m, X, te_i, nf)[k] == y[te_i[k]]
                         for k in range(len(te_i)))
        ours_g.append(right / len(y))
        right = 0
        for tr_i, te_i in GroupKFold(n_splits=5).split(A, Y, groups):
            est = ExtraTreesClassifier(n_estimators=N_TREES, max_depth=depth, max_features="sqrt",
                                       random_state=s).fit(A[tr_i], Y[tr_i])
            right += int((est.predict(A[te_i]) == Y[te_i]).sum())
        sk_g.append(right / len(y))
    print("  5-fold by session (%d sessions of %d windows), same int16 features:"
          % (len(set(groups)), SESSION))
    print("  %-28s %s" % ("ours group k-fold", stats(ours_g)))
    print("  %-28s %s" % ("sklearn GroupKFold", stats(sk_g)))
    print("  ours - sklearn: %+.1f points" % (100 * (sum(ours_g) - sum(sk_g)) / len(seeds)))
    t0 = time.perf_counter()
    cp = P.Pipeline([array("h", w.ravel().tolist()) for w in windows], labels, classes, WINDOW,
                    test_fraction=TEST, split_seed=1, fft="python", **params).run()
    print("  CPython page pipeline (python FFT): %.0f ms, accuracy %.3f, hash %s"
          % ((time.perf_counter() - t0) * 1000, cp["metrics"]["accuracy"], cp["hash"][:16]))

    mjs = OUR_MJS if os.path.exists(os.path.join(ROOT, OUR_MJS)) else NPM_MJS
    if os.path.exists(os.path.join(ROOT, mjs)):
        runner = os.path.join(tmp, "run.mjs")
        with open(runner, "w") as f:
            f.write(NODE_RUNNER)
        code = os.path.join(tmp, "code_%s.py" % name)
        with open(code, "w") as f:
            f.write(mp_code(("/motebook", "/bench"), ["trainer_only", "pipeline",
                                                      "pipeline_groups"]))
        out = run(["node", runner, os.path.join(ROOT, mjs), ROOT, d, code, str(heap)])
        print("MicroPython-WASM under Node (%s, heap %s):" % (mjs, heap))
        for r in out:
            if r["kind"] == "trainer":
                print("  trainer alone on the CPython features: %d ms, accuracy %.3f, %d nodes, "
                      "longest step %d ms, model file %s CPython's" % (
                          r["ms"], r["accuracy"], r["nodes"], r["longest_step_ms"],
                          "==" if r["hash"] == P.model_hash(text) else "!="))
            elif r["kind"] == "pipeline":
                ms = r["ms"]
                print("  page pipeline: features %d ms + quantise %d ms + train %d ms + evaluate "
                      "%d ms; accuracy %.3f, %d nodes, %d bytes, predict %.0f us/window; %d steps;"
                      " heap free %d"
                      % (ms.get("features", 0), ms.get("quantise", 0), ms.get("train", 0),
                         ms.get("evaluate", 0)
                         + ms.get("done", 0), r["accuracy"], r["size"]["nodes"],
                         r["size"]["file_bytes"], r["predict_us"], r["steps"], r["mem_free"]))
                print("  its model file %s the CPython pipeline's (features: C FFT here, "
                      "float rounding can move an int16 feature by one step)"
                      % ("==" if r["hash"] == cp["hash"] else "!="))
                print("  longest time between two yields to the page: %d ms" % r["longest_step_ms"])
            elif r["kind"] == "groups":
                print("  page pipeline, %s: %d ms (features + 5 fold models + the deployed "
                      "one), accuracy %.3f (baseline %.3f), longest step %d ms"
                      % (r["description"].split(":")[0], r["ms"], r["accuracy"], r["baseline"],
                         r["longest_step_ms"]))
            elif r["kind"] == "node_wall_ms":
                print("  wall time of the runs: %d ms" % r["ms"])
    else:
        print("MicroPython-WASM: no interpreter (%s)" % mjs)
    # device side on the unix interpreters
    code = os.path.join(d, "device.py")
    with open(code, "w") as f:
        f.write(mp_code((ROOT, d), ["device"]))
    for label, exe in (("unix, our build (emlearn C modules)", "build/wasm/unix/micropython"),
                       ("unix, PyPI micropython (pure Python)", ".venv/bin/micropython")):
        if not os.path.exists(os.path.join(ROOT, exe)):
            print("  %s: not built" % label)
            continue
        # a large heap: shared.modelformat.read_model fragments MicroPython's heap (tuples per
        # node); the device loads models with its own streaming loader (device/model_store.py)
        for r in run([exe, "-X", "heapsize=32M", code]):
            print("device per window, %s: fft %s + trees %s: features %.2f ms, "
                  "features+prediction %.2f ms" % (label, r["fft"], r["trees"],
                                                   r["features_us"] / 1000,
                                                   r["classify_us"] / 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="both", choices=("sim", "hard", "both"))
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--heap", default="default", help="WASM GC heap bytes (default: build's)")
    ap.add_argument("--keep", help="keep the data files in this folder")
    ap.add_argument("--c", action="store_true",
                    help="only the C trainer vs the Python one (unix + WASM builds)")
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="bench_train-")
    try:
        for name in (("sim", "hard") if a.data == "both" else (a.data,)):
            w, l, c = sim_windows() if name == "sim" else hard_windows()
            bench(name, w, l, c, a.depth, tmp, a.heap, a.c)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

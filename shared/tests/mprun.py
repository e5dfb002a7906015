# Runs the portable shared/ test suite on any Python (MicroPython unix, MicroPython-WASM in Node
# or in the page, CPython): every test_* function of MODULES, one line per test, then one JSON
# line with the counts and a closing "N passed, N failed" line. Memory: one module at a time.
#
#   micropython shared/tests/mprun.py [module ...]      (exit status 1 if anything failed)
#   from shared.tests import mprun; result = mprun.run(report)   # report(line) per output line
import gc
import sys

try:
    import ujson as json
except ImportError:
    import json

# The portable test modules (used where the folder cannot be listed, e.g. frozen); run() finds
# every test_*.py beside this file except HOST_ONLY (CPython-only drivers and interop tests).
MODULES = ("test_anomaly", "test_anomalyformat", "test_anomaly_train", "test_compat", "test_csvio", "test_dataset", "test_explore", "test_explore_insight",
           "test_explore_kmeans", "test_explore_metrics", "test_explore_neighbours",
           "test_explore_pca", "test_features", "test_golden", "test_hysteresis", "test_jsonck", "test_model",
           "test_node_settings", "test_palette", "test_protocol", "test_quant", "test_relabel",
           "test_mel", "test_soundlevel", "test_sound_features",
           "test_regress", "test_regress_cmodule", "test_regressformat", "test_trainer",
           "test_trainer_c",
           "test_values", "test_slow_rates", "test_spectral_features",
           "test_validation", "test_window_labels", "test_windowing")
HOST_ONLY = ("test_runtimes", "test_interop", "test_trainer_sklearn", "test_regress_sklearn",
             "test_regress_c",
             "test_explore_sklearn",
             "test_anomaly_sklearn", "test_mel_c", "test_soundlevel_scipy",
             "test_anomaly_train_machine")
# What a page must put into its interpreter's FS (paths from the repo root) to run the suite;
# shared/tests/browser_suite.mjs copies them.
SHARED_FILES = ("shared/__init__.py", "shared/compat.py", "shared/protocol.py",
                "shared/jsonck.py",
                "shared/fft.py", "shared/features.py", "shared/quant.py", "shared/model.py",
                "shared/modelformat.py", "shared/windowing.py", "shared/trainer.py",
                "shared/evaluate.py", "shared/pipeline.py", "shared/dataset.py",
                "shared/csvio.py", "shared/counts.py", "shared/limits.py", "shared/moments.py",
                "shared/eigen.py",
                "shared/pca.py", "shared/zscore.py", "shared/kmeans.py", "shared/clustering.py",
                "shared/cluster_metrics.py", "shared/knn.py", "shared/fewshot.py",
                "shared/outliers.py", "shared/insight.py", "shared/explore.py",
                "shared/regress.py", "shared/regress_eval.py", "shared/dye.py", "shared/values.py", "shared/regressformat.py", "shared/window_labels.py", "shared/node_settings.py", "shared/palette.py",
                "shared/relabel.py", "shared/hysteresis.py",
                "shared/iir.py", "shared/weighting.py", "shared/soundlevel.py", "shared/mel.py",
                "shared/sound_features.py",
                "shared/linalg.py", "shared/envelope.py", "shared/gmm.py", "shared/anomaly.py",
                "shared/anomaly_train.py",
                "shared/anomalymodel.py", "shared/anomalyformat.py",
                "shared/tests/__init__.py", "shared/tests/explore_data.py",
                "shared/tests/mprun.py", "shared/tests/synth.py",
                "shared/tests/golden/features.json", "shared/tests/golden/model.csv",
                "shared/tests/golden/trainer_extra.csv", "shared/tests/golden/trainer_rf.csv",
                "shared/tests/golden/explore.json", "shared/tests/golden/mel.json",
                "shared/tests/golden/sound_features.json")


def suite_files():
    return list(SHARED_FILES) + ["shared/tests/%s.py" % m for m in MODULES]


def _here():
    path = __file__ if "/" in __file__ else "./" + __file__
    return path.rsplit("/", 1)[0]


def discover():
    """Test modules beside this file (sorted), or MODULES when the folder cannot be listed."""
    try:
        import os
        names = sorted(n[:-3] for n in os.listdir(_here())
                       if n.startswith("test_") and n.endswith(".py") and n[:-3] not in HOST_ONLY)
        if names:
            return tuple(names)
    except (ImportError, OSError, AttributeError):
        pass
    return MODULES


def _runtime():
    impl = sys.implementation.name
    if impl == "micropython":
        try:  # is there a native emitter? (the browser build has none)
            exec("import micropython\n@micropython.native\ndef _f():\n    pass\n")
            emitter = ""
        except SyntaxError:
            emitter = "-noemit"
        return "micropython-%s%s" % (sys.platform, emitter)
    return "%s-%s" % (impl, sys.platform)


def _describe(e):
    try:
        import io
        buf = io.StringIO()
        sys.print_exception(e, buf)  # MicroPython: file and line of the failing assert
        return buf.getvalue().strip().replace("\n", " | ")
    except AttributeError:
        import traceback
        return " | ".join(traceback.format_exception(type(e), e, e.__traceback__)[-2:]) \
            .replace("\n", " ")


def run(report=print, modules=None):
    """Run the suite; report(line) receives each output line. Returns the result dict."""
    from shared import features
    if modules is None:
        modules = discover()
    impls = features.fft_impls()
    report("runtime: %s %s" % (_runtime(), sys.version.split()[0]))
    if "c" in impls:
        report("fft paths: python, c (emlearn_fft)")
    else:
        report("fft paths: python only (emlearn_fft not importable: C FFT path skipped)")
    try:
        import emlearn_trees  # noqa: F401
        report("emlearn_trees: present (golden model also checked in the C module)")
    except ImportError:
        report("emlearn_trees: not importable (C trees check skipped)")
    try:
        import emlearn_extratrees  # noqa: F401
        report("emlearn_extratrees: present (C trainer checked against the Python trainer)")
    except ImportError:
        report("emlearn_extratrees: not importable (C trainer checks skipped)")
    try:
        import emlearn_melspectrogram  # noqa: F401
        report("emlearn_melspectrogram: present (mel frames also checked in C)")
    except ImportError:
        report("emlearn_melspectrogram: not importable (C mel path skipped)")
    passed = 0
    failures = []
    for name in modules:
        try:
            mod = __import__("shared.tests." + name, None, None, ["*"])
        except Exception as e:  # an import error fails the whole module, visibly
            failures.append(name)
            report("FAIL %s (import): %s" % (name, _describe(e)))
            continue
        for attr in sorted(dir(mod)):
            fn = getattr(mod, attr)
            if not attr.startswith("test_") or not callable(fn):
                continue
            label = "%s.%s" % (name, attr)
            gc.collect()   # each test starts on a collected heap (MicroPython: 2 MB default)
            try:
                fn()
            except Exception as e:
                failures.append(label)
                report("FAIL %s: %s" % (label, _describe(e)))
            else:
                passed += 1
                report("ok   %s" % label)
        # a test module's data (golden vectors, fixtures) is not kept for the rest of the
        # suite: by the end, on a 2 MB MicroPython heap, the sum fragmented it (CI failed
        # allocating 10 KB in test_validation)
        mod = fn = None
        sys.modules.pop("shared.tests." + name, None)
        pkg = sys.modules.get("shared.tests")
        if pkg is not None and hasattr(pkg, name):
            delattr(pkg, name)   # the package keeps its submodules as attributes
    result = {"runtime": _runtime(), "passed": passed, "failed": len(failures),
              "failures": failures, "fft": impls}
    report(json.dumps(result))
    report("%d passed, %d failed" % (passed, len(failures)))
    return result


def _repo_root():
    path = __file__ if "/" in __file__ else "./" + __file__
    parts = path.rsplit("/", 3)  # <root>/shared/tests/mprun.py
    return parts[0] if len(parts) == 4 and parts[0] else "."


if __name__ == "__main__":
    root = _repo_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    res = run(print, tuple(args) if args else None)
    sys.exit(1 if res["failed"] else 0)

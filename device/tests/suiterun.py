# Runner of the portable suites (hal_suite.py, wifi_suite.py) inside any Python: every test_*
# function of the module, then one JSON line {"name": "ok" | "skip: why" | "Error: message"}.
import gc
import json


class Skip(Exception):
    pass


def run(namespace):
    out = {}
    for n in sorted(k for k in namespace if k.startswith("test_")):
        gc.collect()   # each test on a collected heap (192k: a 16 KB buffer failed after others)
        try:
            namespace[n]()
            out[n] = "ok"
        except Skip as e:
            out[n] = "skip: %s" % e
        except Exception as e:   # report every failure, keep going
            out[n] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))

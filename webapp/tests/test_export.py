# The page's dataset export (app/export.py): the zip opens with zipfile, its .npy arrays load
# with NumPy (CPython) and hold the recordings' counts and per-sample labels.
import io
import json
import zipfile
from array import array

from app.export import npy_header, write_zip

_ZIP = "/tmp/motebook_test_export.zip"


class _Rec:
    def __init__(self, sid, n, name=None):
        self.sid, self.n_samples = sid, n
        self.name = name or "#%d" % sid
        self.channels = ["ax", "ay"]
        self.rate, self.scale = 100, 0.25
        self.samples = array("h", [c * 100 - k for c in range(2) for k in range(n)])
        self.segments = [(1, 3, "walk")]


def test_npy_header_is_aligned():
    for shape in ((3, 7), (5,), (3, 600000)):
        h = npy_header("<i2", shape)
        assert len(h) % 64 == 0 and h.endswith(b"\n") and h[:6] == b"\x93NUMPY"


def test_zip_holds_npy_arrays_and_manifest():
    recs = [_Rec(1, 5), _Rec(2, 4, "train-3")]

    def labels(r):
        return array("h", [-1, 0, 0] + [-1] * (r.n_samples - 3))
    size = write_zip(_ZIP, recs, ["walk"], labels)
    with open(_ZIP, "rb") as f:
        data = f.read()
    assert len(data) == size
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    assert sorted(z.namelist()) == ["1.npy", "1_labels.npy", "2.npy", "2_labels.npy",
                                    "manifest.json"]
    man = json.loads(z.read("manifest.json"))
    assert man["classes"] == ["walk"] and man["sessions"][1]["session"] == 2
    assert man["sessions"][1]["name"] == "train-3"
    try:
        import numpy as np
    except ImportError:
        return
    a = np.load(io.BytesIO(z.read("1.npy")))
    assert a.dtype == np.int16 and a.shape == (2, 5)
    assert a.ravel().tolist() == list(recs[0].samples)
    lab = np.load(io.BytesIO(z.read("2_labels.npy")))
    assert lab.tolist() == [-1, 0, 0, -1]

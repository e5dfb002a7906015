# motebook: smoke test run by wasm/build.sh on each fresh build (unix and webassembly):
# the modules the device simulator and shared code need import, and the C modules work.
import sys
import array
import json
import struct
import binascii
import errno
import time
import os
import asyncio
import emlearn_arrayutils
import emlearn_distance
import emlearn_extratrees
import emlearn_fft
import emlearn_iir
import emlearn_kmeans
import emlearn_melspectrogram
import emlearn_mixture
import emlearn_neighbors
import emlearn_trees

if sys.platform != "webassembly":
    # Microdot on the unix port: sockets, select and the WebSocket handshake's sha1
    import socket
    import select
    import hashlib

    assert binascii.hexlify(hashlib.sha1(b"abc").digest()) == b"a9993e364706816aba3e25717850c26c9cd0d89d"
    assert len(os.urandom(8)) == 8
else:
    # what PyScript 0.7.31's own Python imports at boot
    import pathlib
    import inspect
    import functools
    import base64
    import html

    assert os.path.exists("/")

re = array.array("f", [1.0, 0.0, 0.0, 0.0])
im = array.array("f", [0.0] * 4)
emlearn_fft.FFT(4).run(re, im)
assert list(re) == [1.0, 1.0, 1.0, 1.0], re
m = emlearn_trees.new(1, 1, 2)
m.setdata(1, 2)
m.addroot(0)
m.addnode(-1, -2, 0, 10)
m.addleaf(0)
m.addleaf(1)
assert list(emlearn_kmeans.cluster(bytearray([0, 1, 9, 10]), bytearray([0, 10]), features=1)) == [0, 0, 1, 1]
out = array.array("f", [0.0, 0.0])
m.predict(array.array("h", [20]), out)
assert list(out) == [0.0, 1.0], out
r = emlearn_trees.new(1, 1, 2, 32)   # a regression tree: leaf_bits 32, float leaves
r.setdata(1, 0, 32)
r.addroot(0)
r.addnode(-1, -2, 0, 10)
r.addleaf(0.5)
r.addleaf(-2.25)
d1 = array.array("f", [0.0])
r.predict(array.array("h", [20]), d1)
assert list(d1) == [-2.25], d1
mel = array.array("f", [0.0] * 32)
emlearn_melspectrogram.new(512, 32, 0.0, 8000.0, 16000).run(array.array("f", [0.0] * 512), mel)
assert abs(mel[0] + 100.0) < 1e-3, mel
env = emlearn_distance.new(1)
env.setdata(array.array("f", [1.0]), array.array("f", [4.0]), 1.0)
d2 = array.array("f", [0.0])
env.score(array.array("f", [2.0]), d2)
assert list(d2) == [4.0], d2
gm = emlearn_mixture.new(1, 1, "diag")
gm.setdata(array.array("f", [0.0]), array.array("f", [1.0]), array.array("f", [0.0]), 0.0)
gm.score(array.array("f", [0.0]), d2)
assert abs(d2[0] - 0.9189385) < 1e-5, d2
xt = emlearn_extratrees.new(2, 2, 5, None, 1, max_samples=8)
xt.train(array.array("h", [0, 0, 0, 100, 100, 0, 100, 100] * 2), bytearray([0, 1, 1, 0] * 2))
assert [xt.predict(array.array("h", v)) for v in ([0, 0], [0, 100], [100, 0], [100, 100])] == \
    [0, 1, 1, 0], "extratrees xor"
print("smoke ok", sys.implementation._build if hasattr(sys.implementation, "_build") else "", time.ticks_ms() >= 0)

# Slow sensors' rates below 1 Hz (one sample every 2 s .. 1 h: shared/limits.PERIOD_S) on every
# runtime: a frame's u16 rate field carries 0x8000 | seconds and decodes to 1 / seconds; rates
# that are not whole Hz or whole seconds are refused; an import's frames and a session download
# keep the slow rate; the CSV reads rows a minute apart as 1/60 Hz (and refuses a period out of
# range); features are computed at 1/60 Hz.
from array import array

from shared import csvio
from shared import dataset as D
from shared import protocol as P
from shared.features import FeatureExtractor
from shared.limits import PERIOD_S


def test_the_rate_field_carries_whole_hz_or_whole_seconds():
    assert P.rate_field(100) == 100 and P.rate_field(1) == 1
    assert P.rate_field(1 / 60) == 0x8000 | 60 and P.rate_field(0.5) == 0x8002
    assert P.rate_of(0x8000 | 60) == 1 / 60 and P.rate_of(250) == 250
    assert P.period_s(1 / 60) == 60 and P.period_s(10) is None
    for bad in (0.3, 1.5, 0, -1, 1 / 40000, 40000):
        try:
            P.rate_field(bad)
        except P.ProtocolError:
            pass
        else:
            raise AssertionError("rate %r accepted" % bad)


def test_a_slow_frame_round_trips_and_bad_fields_are_refused():
    buf = bytearray(P.frame_size(2, 4))
    n = P.encode_window_into(buf, 7, 1234, array("h", range(8)), 2, 4, 1 / 60, 0.1)
    seq, t, nch, dt, ns, rate, scale = P.decode_header(buf, n)
    assert (seq, t, nch, ns) == (7, 1234, 2, 4) and rate == 1 / 60, rate
    assert abs(scale - 0.1) < 1e-6
    for field in (0, 0x8000, 0x8001):
        buf[14], buf[15] = field & 0xFF, field >> 8
        try:
            P.decode_header(buf, n)
        except P.ProtocolError as e:
            assert "rate" in str(e), str(e)
        else:
            raise AssertionError("rate field 0x%04x accepted" % field)


def test_an_import_and_a_download_keep_the_slow_rate():
    n, nch = 50, 3
    samples = array("h", range(nch * n))
    body = D.upload_frames(samples, nch, n, 16, 1 / 120, 0.5)
    fs = P.frame_size(nch, 16)
    out, nc, m, rate, scale, gaps = D.deblock(body, len(body) // fs, fs)
    assert (nc, m, gaps) == (nch, 64, 0) and rate == 1 / 120, (nc, m, rate)
    assert list(out[0:n]) == list(range(n))


def test_the_csv_reads_rows_a_minute_apart_as_one_sample_a_minute():
    rows = "".join("room,%d,%d,%d,\n" % (60 * k, 200 + k, 500 - k) for k in range(10))
    text = csvio.header(["temperature", "humidity"]) + rows
    r = csvio.parse(text)[0]
    assert r["rate"] == 1 / 60 and r["n_samples"] == 10, r["rate"]
    back = "".join(csvio.export_chunks("room", r["samples"], 2, 10, r["rate"], r["scale"],
                                       None, []))
    assert back.split("\n")[1].startswith("room,60.0000,201,499"), back[:80]
    gap = text.replace("room,120,202,498,\n", "")
    try:
        csvio.parse(gap)
    except csvio.CsvError as e:
        assert "line 4" in str(e) and "expected 60 s" in str(e), str(e)
    else:
        raise AssertionError("a gap was accepted")
    far = csvio.header(["t1"]) + "x,0,1,\nx,%d,2,\n" % (PERIOD_S[1] + 60)
    try:
        csvio.parse(far)
    except csvio.CsvError as e:
        assert "out of range" in str(e), str(e)
    else:
        raise AssertionError("a period over an hour was accepted")


def test_features_at_one_sample_a_minute():
    fe = FeatureExtractor(2, 10, 1 / 60)
    w = array("h", [100 + (k % 3) for k in range(10)] + [5] * 10)
    out = fe.new_output()
    fe.compute(w, out)
    assert len(out) == len(fe.names)
    mean = fe.names.index("ch0_mean") if "ch0_mean" in fe.names else 0
    assert 100 <= out[mean] <= 102, (fe.names[mean], out[mean])

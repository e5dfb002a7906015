# Value labels (shared/values.py) and the CSV value column (shared/csvio.py) on every runtime:
# a value that is not a number, a bad name or unit, segments out of order or range, and
# sessions whose names or units differ are refused naming the session (and segment); windows
# get the value of the one value segment covering them, else the session's; the CSV round-trips
# a session value and value segments, and names the line and session of a bad cell.
from array import array

from shared import csvio
from shared import values as V
from shared.dataset import DatasetError


class R:
    def __init__(self, sid, n, value=None, segs=(), channels=("a", "b"), rate=10):
        self.sid, self.n_samples, self.value, self.value_segments = sid, n, value, list(segs)
        self.channels, self.rate, self.scale = list(channels), rate, 1.0
        self.samples = array("h", range(len(channels) * n))


def _refused(fn, *words):
    try:
        fn()
    except DatasetError as e:
        for w in words:
            assert w in str(e), (w, str(e))
        return str(e)
    raise AssertionError("accepted: %r" % (words,))


def test_a_session_value_label_is_checked_and_named():
    lab = V.check_label({"name": "concentration", "value": 1, "unit": "mmol/L"}, 3)
    assert lab == {"name": "concentration", "value": 1.0, "unit": "mmol/L"}
    assert V.check_label({"name": "c", "value": None}, 3)["unit"] == ""
    for bad, words in (({"name": "c", "value": "0.25"}, ("session #3", "'0.25'", "not a number")),
                       ({"name": "c", "value": True}, ("session #3", "not a number")),
                       ({"name": "c", "value": float("nan")}, ("not a number",)),
                       ({"name": "c", "value": 1e12}, ("not a number",)),
                       ({"name": "", "value": 1}, ("session #3", "name")),
                       ({"name": "c", "value": 1, "unit": "u" * 17}, ("unit", "16")),
                       ({"name": "c", "value": 1, "units": "g"}, ("unknown value field",)),
                       ([1], ("object",))):
        _refused(lambda: V.check_label(bad, 3), *words)
    _refused(lambda: V.check_label({"name": "c", "value": "x"}, "kitchen"), "session 'kitchen'")


def test_value_segments_are_checked_naming_session_and_segment():
    assert V.check_segments([(0, 10, 1), (10, 20, 2.5)], 20, 1) == [(0, 10, 1.0),
                                                                    (10, 20, 2.5)]
    for segs, words in (([(0, 10, 1), (10, 20, "lots")], ("session #1, segment 1",
                                                        "samples 10..20", "'lots'")),
                        ([(0, 10, 1), (5, 20, 2)], ("segment 1", "overlaps")),
                        ([(0, 30, 1)], ("segment 0", "outside the session's 20 samples")),
                        ([(4, 4, 1)], ("segment 0", "empty")),
                        ([(0, 2.5, 1)], ("segment 0", "whole sample")),
                        ([(0, 10)], ("segment 0", "[start, end, value]"))):
        _refused(lambda: V.check_segments(segs, 20, 1), *words)


def test_sessions_in_different_units_are_refused_naming_both():
    a = R(1, 40, {"name": "concentration", "value": 0.1, "unit": "mmol/L"})
    b = R(2, 40, {"name": "concentration", "value": 0.2, "unit": "mg/L"})
    c = R(3, 40)                                   # no value: skipped
    _refused(lambda: V.value_windows([a, c, b], 10, 10), "session #1", "'mmol/L'",
             "session #2", "'mg/L'")
    d = R(4, 40, {"name": "dose", "value": 0.2, "unit": "mmol/L"})
    _refused(lambda: V.check_units([a, d]), "concentration", "dose")
    assert V.check_units([c]) == (None, None)


def test_windows_take_their_segment_value_else_the_session_value():
    a = R(1, 40, {"name": "c", "value": 0.5, "unit": "mmol/L"}, [(0, 20, 1.0)])
    b = R(2, 40, {"name": "c", "value": None, "unit": "mmol/L"}, [(10, 30, 2.0)])
    w = V.value_windows([a, b], 10, 5)
    got = list(zip(w.groups, w.starts, w.y))
    assert got[:7] == [(1, 0, 1.0), (1, 5, 1.0), (1, 10, 1.0), (1, 15, 0.5), (1, 20, 0.5),
                       (1, 25, 0.5), (1, 30, 0.5)], got
    assert [g for g in got if g[0] == 2] == [(2, 10, 2.0), (2, 15, 2.0), (2, 20, 2.0)], got
    assert (w.name, w.unit, w.channels, w.rate) == ("c", "mmol/L", ["a", "b"], 10)
    assert list(w.windows[0]) == list(range(0, 10)) + list(range(40, 50))
    bad = R(3, 40, {"name": "c", "value": None, "unit": "mmol/L"}, [(0, 10, "x")])
    _refused(lambda: V.value_windows([a, bad], 10, 5), "session #3, segment 0")


def test_the_csv_value_column_round_trips_and_bad_cells_are_named():
    n = 6
    text = csvio.header(["a", "b"], ("concentration", "mmol/L"))
    for name, vals in (("s1", [0.25] * n), ("s2", [None, 0.5, 0.5, 0.75, 0.75, None])):
        samples = array("h", range(2 * n))
        text += "".join(csvio.export_chunks(name, samples, 2, n, 10, 0.5, None, [], vals))
    assert text.startswith("session,t,a,b,label,concentration[mmol/L]\n")
    out = csvio.parse(text)
    assert out[0]["value"] == {"name": "concentration", "unit": "mmol/L", "value": 0.25}
    assert out[0]["value_segments"] == []
    assert out[1]["value"]["value"] is None
    assert out[1]["value_segments"] == [(1, 3, 0.5), (3, 5, 0.75)]
    # classic files: no value keys
    plain = csvio.header(["a"]) + "x,0,1,\nx,0.1,2,\n"
    assert "value" not in csvio.parse(plain)[0]
    bad = text.replace("s2,0.1000,0.5,3.5,,0.5", "s2,0.1000,0.5,3.5,,half")
    try:
        csvio.parse(bad)
    except csvio.CsvError as e:
        assert "line 9" in str(e) and "session 's2'" in str(e) and "'half'" in str(e), str(e)
    else:
        raise AssertionError("a bad value cell was accepted")
    try:
        csvio.parse("session,t,a,label,c[%s]\nx,0,1,,1\nx,0.1,1,,1\n" % ("u" * 20))
    except csvio.CsvError as e:
        assert "line 1" in str(e) and "unit" in str(e), str(e)
    else:
        raise AssertionError("a long unit was accepted")

# shared/csvio: the dataset CSV written and read back sample for sample; every kind of bad
# input refused with its line number; the row limit checked before parsing.
# Plain test functions (pytest on CPython, mprun on MicroPython unix and WASM).
from array import array

from shared import csvio as C


def _errors(text, **kw):
    try:
        C.parse(text, **kw)
    except C.CsvError as e:
        return e.errors, str(e)
    raise AssertionError("no CsvError")


def _session(n=6, nch=3):
    return array("h", [(c + 1) * 1000 - 3 * k * (c - 1) for c in range(nch) for k in range(n)])


def test_export_then_parse_is_sample_exact():
    s = _session()
    labels = array("h", [-1, 0, 0, 1, 1, -1])
    text = C.header(["ax", "ay", "az"]) + "".join(
        C.export_chunks("s1", s, 3, 6, 100, 1 / 4096, labels, ["walk", "idle"]))
    lines = text.split("\n")
    assert lines[0] == "session,t,ax,ay,az,label"
    assert lines[1].startswith("s1,0.0000,") and lines[1].endswith(",")
    assert lines[2].endswith(",walk")
    (r,) = C.parse(text)
    assert r["name"] == "s1" and r["rate"] == 100 and r["scale"] == 1 / 4096
    assert r["channels"] == ["ax", "ay", "az"] and r["n_samples"] == 6
    assert list(r["samples"]) == list(s)
    assert r["classes"] == ["walk", "idle"]
    assert r["segments"] == [(1, 3, "walk"), (3, 5, "idle")]


def test_two_sessions_and_crlf_and_scale_growth():
    # one scale for the whole file (the replay sensor's rule): 1/4096 doubled until 100 fits
    text = "session,t,x,label\r\na,0,1.5,\r\na,0.5,2,\r\nb,0,100,up\r\nb,0.5,-100,up\r\n"
    a, b = C.parse(text)
    assert (a["rate"], b["rate"]) == (2, 2)
    assert a["scale"] == b["scale"] == 1 / 256
    assert list(a["samples"]) == [384, 512]
    assert list(b["samples"]) == [25600, -25600]
    assert b["segments"] == [(0, 2, "up")]
    (c,) = C.parse("session,t,x,label\na,0,1.5,\na,0.5,2,\n")
    assert c["scale"] == 1 / 4096 and list(c["samples"]) == [6144, 8192]


def test_counts_round_half_away_from_zero():
    # the rounding the replay sensor uses too (shared.counts), not truncation
    (r,) = C.parse("session,t,x,label\na,0,0.0001220703125,\na,1,-0.0001220703125,\n"
                   "a,2,0.0001196,\na,3,-0.000183,\n")
    assert r["scale"] == 1 / 4096
    assert list(r["samples"]) == [1, -1, 0, -1]


def test_malformed_rows_have_line_numbers():
    text = ("session,t,x,label\n"
            "a,0,1,\n"
            "a,0.01,abc,\n"       # line 3: not a number
            "a,0.02,1\n"          # line 4: field count
            "a,0.03,nan,\n")      # line 5: not finite
    errs, msg = _errors(text)
    assert [e[0] for e in errs] == [3, 4, 5]
    assert "line 3: x: 'abc' is not a number" in msg
    assert "expected 4 fields" in msg


def test_bad_header_time_steps_and_split_sessions():
    assert "header" in _errors("t,x\n1,2\n")[1]
    assert "empty" in _errors("")[1]
    errs, msg = _errors("session,t,x,label\na,0,1,\na,0.01,1,\na,0.05,1,\n")
    assert errs[0][0] == 4 and "evenly spaced" in msg
    errs, msg = _errors("session,t,x,label\na,0,1,\na,0.01,1,\nb,0,1,\nb,0.01,1,\na,0.02,1,\n")
    assert errs[0][0] == 6 and "together" in msg
    assert "at least 2 rows" in _errors("session,t,x,label\na,0,1,\n")[1]
    assert "does not fit" in _errors("session,t,x,label\na,0,1,\na,1,9,\n", scale=1 / 4096)[1]


def test_row_limit_is_checked_before_parsing():
    text = "session,t,x,label\n" + "a,0,1,\n" * 11
    errs, msg = _errors(text, max_rows=10)
    assert errs[0][0] == 0 and "11 rows" in msg and "at most 10" in msg
    assert C.count_rows("h\n1\n2") == 2 and C.count_rows("h\n") == 0


def test_error_list_is_capped():
    text = "session,t,x,label\n" + "a,0,zz,\n" * 50
    errs, msg = _errors(text)
    assert len(errs) == C.MAX_ERRORS and "first 20" in msg


def test_parser_in_steps_equals_parse():
    text = "session,t,x,label\n" + "".join("a,%g,%d,%s\n" % (k / 10, k, "u" if k > 4 else "")
                                          for k in range(23))
    p = C.Parser(text)
    steps = 0
    while not p.step(5):
        steps += 1
    assert steps >= 5 and p.rows == 23
    assert p.result[0]["segments"] == C.parse(text)[0]["segments"] == [(5, 23, "u")]
    assert list(p.result[0]["samples"]) == list(C.parse(text)[0]["samples"])

# shared/jsonck accepts exactly the complete JSON documents and refuses everything else by
# name, on every runtime (MicroPython's own json.loads accepts most of the bad cases below).
# Plain test functions: pytest runs them on CPython, shared/tests/mprun.py on MicroPython.
from shared import jsonck

GOOD = [
    '{}', '[]', '0', '-0', '1.5e-3', '-12E+4', '"x"', 'true', 'false', 'null', ' {"a": 1} ',
    '{"rate": 200, "hop": 32}', '[1, [2, [3, {"a": [true, false, null]}]]]',
    '"\\u00e9\\n\\t\\"\\\\\\/"', '"caf\xe9 \u20ac \U0001f600"', '{"": ""}', '\r\n\t[ ]\n',
    '{"a": {"b": {"c": []}}}', '1e400', '[0.5, -0.0, 10]',
]
BAD = [
    ('', "no JSON value"), ('   ', "no JSON value"), ('{', "cut off"), ('[', "cut off"),
    ('{"rate": 200', "cut off"), ('{"rate": 2', "cut off"), ('{"rate"', "cut off"),
    ('{"rate":', "cut off"), ('[1, 2', "cut off"), ('"abc', "cut off"), ('tru', "cut off"),
    ('{"a": 1,}', "member name"), ('[1,]', "a value"), ('[1 2]', "','"), ('{"a" 1}', "':'"),
    ('{,}', "member name"), ('[,1]', "a value"), ('01', "the end"), ('1.', "cut off"),
    ('[1.]', "digit"),
    ('.5', "a value"), ('-', "cut off"), ('+1', "a value"), ('1e', "cut off"),
    ('nan', "a value"), ('NaN', "a value"), ('Infinity', "a value"), ("'a'", "a value"),
    ('{"a": 1}x', "the end"), ('{} {}', "the end"), ('[1]]', "the end"), ('{"a": 1]', "'}'"),
    ('[1}', "']'"), ('{1: 2}', "member name"), ('"\x01"', "control character"),
    ('"\\x"', "bad escape"), ('"\\u12g4"', "\\u escape"), ('"\\u12', "cut off"),
    ('truex', "the end"), ('nul', "cut off"), ('[' * 17 + ']' * 17, "nested deeper"),
    ('1' * 41, "longer than"), ('\ufeff{}', "a value"),
]
BAD_BYTES = [
    (b'"\xff"', "UTF-8"), (b'"\xc0\xaf"', "UTF-8"), (b'"\xe0\x80\x80"', "UTF-8"),
    (b'"\xed\xa0\x80"', "UTF-8"), (b'"\xf4\x90\x80\x80"', "UTF-8"), (b'"\xe2\x82', "cut off"),
    (b'"\x80"', "UTF-8"), (b'{"a": 1}\x00', "the end"),
]


def _refused(data):
    try:
        jsonck.check(data)
    except jsonck.JSONError as e:
        assert isinstance(e, ValueError)
        return str(e)
    raise AssertionError("accepted %r" % (data,))


def test_complete_documents_are_accepted_and_parsed():
    for text in GOOD:
        jsonck.check(text)
        jsonck.check(text.encode())
        jsonck.check(bytearray(text.encode()))
    assert jsonck.loads('{"rate": 200}') == {"rate": 200}
    assert jsonck.loads(b'[1, "a"]') == [1, "a"]


def test_anything_else_is_refused_with_the_reason():
    for text, words in BAD:
        msg = _refused(text)
        assert words in msg, (text, msg)
        assert words in _refused(text.encode()), text
    for data, words in BAD_BYTES:
        msg = _refused(data)
        assert words in msg, (data, msg)


def test_every_cut_of_a_document_is_refused():
    doc = '{"version": 3, "classes": ["a", "b"], "segments": [{"start": 0, "end": 10, ' \
          '"label": "a"}], "x": [true, null, -1.5e2, "caf\xe9"]}'
    jsonck.check(doc)
    data = doc.encode()
    for k in range(len(data)):
        _refused(data[:k])


def test_depth_limit_is_a_parameter_and_deep_input_costs_no_recursion():
    jsonck.check('[' * 16 + ']' * 16)
    jsonck.check('[[[]]]', max_depth=3)
    assert "nested deeper than 2" in _refused_depth('[[[]]]', 2)
    assert "nested deeper" in _refused('[' * 5000)
    assert "nested deeper" in _refused('{"a":' * 5000)


def _refused_depth(text, depth):
    try:
        jsonck.check(text, depth)
    except jsonck.JSONError as e:
        return str(e)
    raise AssertionError("accepted")


def test_offsets_point_at_the_problem():
    assert "byte 9" in _refused('{"a": 1, x}')
    assert "byte 5" in _refused('[1, 2}')


def test_agrees_with_the_strict_cpython_parser_on_mutated_documents():
    import sys
    if sys.implementation.name != "cpython":
        return   # the oracle is CPython's json module
    import json
    from shared.compat import Rng

    def strict(data):
        def refuse(name):
            raise ValueError(name)
        try:
            json.loads(data.decode("utf-8"), parse_constant=refuse)
            return True
        except ValueError:
            return False
    seeds = [t.encode() for t in GOOD] + [b'{"segments": [{"start": 0, "end": 5}], "v": 1}']
    alphabet = b'{}[]",:\\ 0123456789.eE+-tfnulrsa\xc3\xa9\x00\x1f'
    rng = Rng(7)
    for k in range(4000):
        b = bytearray(seeds[rng.randint(0, len(seeds) - 1)])
        for _ in range(1 + rng.randint(0, 3)):
            op, pos = rng.randint(0, 2), rng.randint(0, len(b))
            ch = alphabet[rng.randint(0, len(alphabet) - 1)]
            if op == 0:
                b.insert(pos, ch)
            elif op == 1 and pos < len(b):
                del b[pos]
            elif pos < len(b):
                b[pos] = ch
        data = bytes(b)
        try:
            jsonck.check(data)
            ours = True
        except jsonck.JSONError:
            ours = False
        assert ours == strict(data), data


def test_a_document_can_start_later_in_the_buffer():
    jsonck.check(b'#meta {"a": [1]}\r', start=6)   # e.g. the model file's metadata line
    for bad, words in ((b'#meta {"a": [1]', "cut off"), (b'#meta x{}', "byte 6")):
        try:
            jsonck.check(bad, start=6)
        except jsonck.JSONError as e:
            assert words in str(e), (bad, str(e))
        else:
            raise AssertionError("accepted %r" % bad)

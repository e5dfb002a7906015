# Runs notebook cells in the worker's MicroPython (kernel.js): prepare() makes the value of a
# cell's last expression shown, as in Jupyter, without moving any line (so a traceback names
# the cell's own line numbers); traceback() names the cell instead of "<stdin>"; show() sends
# results, HTML and plots to the page. Pure text handling, tested on CPython.
# Memory: one copy of the cell's source while it is prepared.
import json

_KEYWORDS = ("def", "class", "if", "elif", "else", "for", "while", "with", "try", "except",
             "finally", "import", "from", "return", "raise", "pass", "break", "continue",
             "del", "global", "nonlocal", "assert", "async", "yield", "@")
RESULT = "__mb_result__"


def _opening(text, i):
    """The delimiter of the string starting at text[i]: a triple quote or one quote."""
    return text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else text[i]


def _in_string(text, i, quote):
    """One step inside a string opened by quote: (next index, quote, or None once closed)."""
    if text[i] == "\\":
        return i + 2, quote
    if text.startswith(quote, i):
        return i + len(quote), None
    return i + 1, quote


def _scan(src):
    """For each line: (starts at bracket depth 0 outside a string, indentation)."""
    out = []
    depth = 0
    quote = None          # the open string's delimiter
    cont = False          # previous line ended with a backslash
    for line in src.split("\n"):
        top = depth == 0 and quote is None and not cont
        out.append((top, len(line) - len(line.lstrip())))
        i, n = 0, len(line)
        cont = False
        while i < n:
            ch = line[i]
            if quote is not None:
                i, quote = _in_string(line, i, quote)
                continue
            if ch == "#":
                break
            if ch in "'\"":
                quote = _opening(line, i)
                i += len(quote)
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            elif ch == "\\" and i == n - 1:
                cont = True
            i += 1
        if quote is not None and len(quote) == 1:
            quote = None      # a one-line string cannot go on (a syntax error: let it say so)
    return out


def _is_expression(chunk):
    s = chunk.lstrip()
    if not s or s[0] == "@":
        return False
    word = ""
    for ch in s:
        if ch.isalpha() or ch == "_" or (word and ch.isdigit()):
            word += ch
        else:
            break
    if word in _KEYWORDS:
        return False
    depth, quote, i, n = 0, None, 0, len(s)
    while i < n:                      # an assignment at the top level is no expression
        ch = s[i]
        if quote is not None:
            i, quote = _in_string(s, i, quote)
            continue
        if ch == "#":
            j = s.find("\n", i)
            if j < 0:
                break
            i = j
            continue
        if ch in "'\"":
            quote = _opening(s, i)
            i += len(quote)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            prev = s[i - 1] if i else ""
            nxt = s[i + 1] if i + 1 < n else ""
            if nxt != "=" and prev not in "=!<>:":
                return False          # = or an augmented assignment (+=, ...)
            if nxt == "=":
                i += 1
        elif ch == ";" and depth == 0:
            return False
        i += 1
    return True


def prepare(src):
    """The cell's code with its last top-level statement's value kept for show_result()
    when it is an expression; every line stays where it was."""
    lines = src.rstrip().split("\n")
    scan = _scan("\n".join(lines))
    last = len(lines) - 1
    while last >= 0 and (not lines[last].strip() or lines[last].strip().startswith("#")):
        last -= 1
    if last < 0:
        return src
    start = last
    while start > 0 and not (scan[start][0] and scan[start][1] == 0 and lines[start].strip()):
        start -= 1
    if not (scan[start][0] and scan[start][1] == 0):
        return src
    chunk = "\n".join(lines[start:last + 1])
    if not _is_expression(chunk):
        return src
    lines[start] = RESULT + " = (" + lines[start]
    lines[last] = lines[last] + "\n)"
    return "\n".join(lines) + "\nimport kernel as _mbk\n_mbk.show_result(%s)\n" % RESULT


def traceback(text):
    """The error as the page shows it: frames of the cell say "cell", the kernel's own are
    dropped."""
    out = []
    for line in text.split("\n"):
        if line.startswith("PythonError: "):
            line = line[len("PythonError: "):]
        if "/kernel.py\"" in line or "File \"kernel" in line:
            continue
        out.append(line.replace('File "<stdin>"', 'File "cell"'))
    return "\n".join(out).strip()


def _post(msg):
    import js
    js.mbPost(json.dumps(msg))


def show_result(v):
    if v is None:
        return
    show(v, result=True)


def show(v, result=False):
    """Display v under the running cell: a motebook figure as a plot, an object with
    _repr_html_ as HTML, anything else as its repr (str as itself, unless it is a result)."""
    fig = getattr(v, "figure", None)
    if callable(fig):
        _post({"op": "plot", "fig": v.figure()})
        return
    html = getattr(v, "_repr_html_", None)
    if callable(html):
        _post({"op": "html", "html": html()})
        return
    text = repr(v) if result or not isinstance(v, str) else v
    _post({"op": "result" if result else "out", "text": text if result else text + "\n"})

# The page's one HTML escaper for Python-drawn panels (names from files and the device go into
# innerHTML only through it). Memory: one string per call.


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;").replace("'", "&#39;")


def pct(v):
    return "–" if v is None else "%.1f%%" % (100 * v)

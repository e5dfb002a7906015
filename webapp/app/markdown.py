# Markdown cells to HTML: headings, paragraphs, bullet and numbered lists, fenced code,
# `code`, **bold**, *italic*, [links](http...) — what notebooks use, escaped first so a cell
# can never inject markup. Small on purpose (the page is served from flash).
# Memory: one output list per render.
from app.html import esc


def _inline(s):
    s = esc(s)
    out, i, n = [], 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "`":
            j = s.find("`", i + 1)
            if j > i:
                out.append("<code>%s</code>" % s[i + 1:j])
                i = j + 1
                continue
        if s.startswith("**", i):
            j = s.find("**", i + 2)
            if j > i + 2:
                out.append("<b>%s</b>" % s[i + 2:j])
                i = j + 2
                continue
        if ch in "*_" and i + 1 < n and s[i + 1] != " ":
            j = s.find(ch, i + 1)
            if j > i + 1:
                out.append("<i>%s</i>" % s[i + 1:j])
                i = j + 1
                continue
        if ch == "[":
            j = s.find("](", i)
            k = s.find(")", j + 2) if j > 0 else -1
            url = s[j + 2:k] if k > 0 else ""
            if k > 0 and (url.startswith("http://") or url.startswith("https://") or
                          url.startswith("#") or url.startswith("./")):
                out.append('<a href="%s" target="_blank" rel="noopener">%s</a>'
                           % (url, s[i + 1:j]))
                i = k + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def render(text):
    out = []
    para, items, kind, code = [], [], None, None

    def close():
        if para:
            out.append("<p>%s</p>" % _inline(" ".join(para)))
            del para[:]
        if items:
            out.append("<%s>%s</%s>" % (kind[0], "".join("<li>%s</li>" % _inline(x)
                                                          for x in items), kind[0]))
            del items[:]
    for line in text.split("\n"):
        if code is not None:
            if line.strip().startswith("```"):
                out.append("<pre><code>%s</code></pre>" % esc("\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        s = line.strip()
        if s.startswith("```"):
            close()
            code = []
            continue
        if not s:
            close()
            continue
        if s.startswith("#"):
            level = len(s) - len(s.lstrip("#"))
            if level <= 6 and s[level:level + 1] == " ":
                close()
                out.append("<h%d>%s</h%d>" % (level, _inline(s[level + 1:]), level))
                continue
        bullet = s[:2] in ("- ", "* ", "+ ")
        num = s.split(". ", 1)[0].isdigit() and ". " in s
        if bullet or num:
            k = ("ul",) if bullet else ("ol",)
            if para or (items and kind != k):
                close()
            kind = k
            items.append(s[2:] if bullet else s.split(". ", 1)[1])
            continue
        if items:
            items[-1] += " " + s
            continue
        para.append(s)
    if code is not None:
        out.append("<pre><code>%s</code></pre>" % esc("\n".join(code)))
    close()
    return "".join(out)

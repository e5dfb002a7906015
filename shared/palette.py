# The one class palette: every view that colours classes (the page's Label, Explore and Deploy
# steps, the history chart, the Notebook's plots) asks colours(names) and gets the same colour
# for the same class name. Memory: one small dict per call; no state.
#
# A name's colour follows from the name itself (a stable hash picks its preferred slot), so it
# does not depend on the order a view lists its classes in; names coloured together never
# share a colour while the palette has a free slot (a taken slot passes to the next free one,
# names taken in natural order, so the same set gets the same colours everywhere).
from shared.dataset import natural_sorted

# Paul Tol's colour-blind safe "bright" and "muted" schemes (no grey: that is "unlabelled")
PALETTE = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#332288",
           "#999933", "#882255", "#44aa99", "#dd7733", "#117733")
UNLABELLED = "#c8c8c8"


def _slot(name):
    h = 0
    for ch in str(name):
        h = (h * 31 + ord(ch)) & 0xFFFF
    return h % len(PALETTE)


def colours(names):
    """{name: "#rrggbb"} for every class name in names."""
    out, taken = {}, set()
    n = len(PALETTE)
    for name in natural_sorted(set(str(x) for x in names)):
        s = _slot(name)
        if len(taken) < n:
            while s in taken:
                s = (s + 1) % n
        taken.add(s)
        out[name] = PALETTE[s]
    return out


def colour_list(names):
    """The colours of names, in their order (a plot's per-trace or per-point colours)."""
    c = colours(names)
    return [c[str(x)] for x in names]

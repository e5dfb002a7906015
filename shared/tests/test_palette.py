# shared/palette: one colour per class name, the same in every view whatever order the view
# lists its classes in, distinct while the palette lasts. Plain tests (CPython, MicroPython).
from shared import palette as P


def test_same_name_same_colour_in_any_order():
    a = P.colours(["walking", "idle", "running"])
    b = P.colours(["running", "walking", "idle"])
    assert a == b
    assert P.colour_list(["idle", "walking"]) == [a["idle"], a["walking"]]


def test_distinct_while_the_palette_lasts():
    names = ["class-%d" % i for i in range(len(P.PALETTE))]
    got = P.colours(names)
    assert len(set(got.values())) == len(P.PALETTE)
    more = P.colours(names + ["extra"])     # past the palette: a colour repeats, none missing
    assert len(more) == len(names) + 1 and all(c in P.PALETTE for c in more.values())
    assert P.UNLABELLED not in P.PALETTE

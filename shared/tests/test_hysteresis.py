"""shared.hysteresis: n of the last m windows turn the state on, none of them turn it off."""
from shared.hysteresis import Hysteresis, alarms, check


def test_on_after_n_of_m_and_off_after_m_clear():
    h = Hysteresis(3, 5)
    seq = [1, 0, 1, 0, 0, 0, 0, 0]           # 2 of 5: never on
    assert [h.update(f) for f in seq] == [False] * 8 and not h.on
    assert [h.update(f) for f in (1, 0, 1)] == [False] * 3 and not h.on
    assert h.update(1) and h.on                # third flag within 5 windows
    for _ in range(4):
        assert not h.update(0) and h.on        # a flag still among the last 5
    assert h.update(0) and not h.on            # none of the last 5


def test_alarms_counts_off_to_on_changes_only():
    flags = [0] * 10 + [1] * 6 + [0] * 10 + [1, 1, 1] + [0] * 3
    n, at = alarms(flags, 2, 4)
    assert n == 2 and at == [11, 27]
    assert alarms([1] * 20, 5, 5) == (1, [4])
    assert alarms([1, 0] * 20, 3, 5) == (1, [4])


def test_bad_settings_are_refused():
    for n, m in ((0, 5), (6, 5), (1, 0), (1, 65), (True, 3), (1.5, 3)):
        assert check(n, m), (n, m)
        try:
            Hysteresis(n, m)
        except ValueError:
            continue
        raise AssertionError("Hysteresis(%r, %r) accepted" % (n, m))

# The sound level meter's drawing (app/view_sound.meter_html) for the states of GET /api/sound:
# a level with its weighting; clipping said as clipping, never a number; the I2S losses said
# when any; the device away with no stale numbers; waiting before the first answer.
# CPython (pytest) with stand-ins for pyscript/jsffi.
import re

from fakes import view_stand_ins  # noqa: E402

view_stand_ins()

from app import view_sound as VS  # noqa: E402

SECOND = {"leq": 71.25, "lmax": 72.0, "lmin": 70.5, "fast": 71.0, "slow": 71.1, "clipped": 0}


def _level(**kw):
    lv = {"fast": 71.04, "slow": 71.1, "clipping": False, "second": dict(SECOND), "weighting": "A",
          "offset_db": 123.01, "calibrated": False, "overruns": 0, "dropped_blocks": 0,
          "lost_samples": 0, "short_reads": 0, "dropped_levels": 0, "error": None}
    lv.update(kw)
    return lv


def _text(html):
    return re.sub(r"<[^>]+>", " ", html)


def test_level():
    h = VS.meter_html({"level": _level()})
    assert 'id="sound-fast" class="big">71.0<' in h
    assert "dB(A) Fast" in h
    assert re.search(r'id="sound-leq">71\.[23]<', h) and 'id="sound-lmax">72.0<' in h
    assert "lost" not in h and "not calibrated" in h
    assert "dB(C)" in VS.meter_html({"level": _level(weighting="C")})


def test_clipping_is_never_a_number():
    lv = _level(fast=None, slow=None, clipping=True,
                second=dict(SECOND, leq=None, lmax=None, lmin=None, clipped=5320))
    h = VS.meter_html({"level": lv})
    assert 'class="big">clipping<' in h and 'class="meter clip"' in h
    big = h.split('class="meter-stats"')[0]
    assert not re.search(r"\d+\.\d", _text(big).replace("123.01", ""))
    assert "the last second clipped (5320 samples)" in h


def test_losses_are_said():
    h = VS.meter_html({"level": _level(overruns=2, dropped_blocks=3)})
    assert "lost audio: overruns 2, dropped blocks 3" in h


def test_away_shows_no_stale_level():
    h = VS.meter_html({"level": _level(), "away": "the device cannot be reached: no level now"})
    assert 'id="sound-away"' in h and "cannot be reached" in h
    stats = _text(h.split('class="row meter-stats"')[1].split("</div>")[0])
    assert not re.search(r"\d\.\d", stats)
    assert 'class="big">–<' in h


def test_waiting():
    assert "waiting for the device" in VS.meter_html({})

# Physical values <-> int16 counts for recordings made elsewhere (CSV import in the page, the
# device's replay sensor): the one rule both use, so the same file gives the same counts, the
# same features and the same model whichever way it came in. Memory: nothing kept.
#
# A file's scale is BASE_SCALE (1/4096 per count) doubled until the file's largest |value|
# fits int16; a value becomes round_half_away(value / scale), clamped to int16 by callers that
# must not refuse (the replay sensor) or refused (the CSV import).
BASE_SCALE = 1 / 4096
INT16_MAX = 32767


def scale_for(peak, base=BASE_SCALE):
    """The scale (physical units per count) that fits |values| <= peak into int16."""
    scale = base
    while peak / scale > INT16_MAX:
        scale *= 2
    return scale


def to_count(value, inv):
    """round_half_away(value * inv) as an int (inv = 1 / scale); may be out of int16 range."""
    q = value * inv
    return int(q + 0.5) if q >= 0 else -int(-q + 0.5)


def clamp16(q):
    return 32767 if q > 32767 else (-32768 if q < -32768 else q)

# The device's wall clock: seconds since 1970 from the host clock (the simulator), or from the
# RTC once NTP or a page set it (an ESP32 keeps it across a soft reset, not a power cut), else
# unknown (None: sessions then say so instead of showing 1970 or 2000).
# Memory: two numbers.
import sys
import time

# embedded ports may count from 2000-01-01; the unix port from 1970
_EPOCH = 0 if time.gmtime(0)[0] == 1970 else 946684800
MIN_VALID = 1704067200     # 2024-01-01: an RTC before this has not been set
_offset = 0.0
source = "host" if sys.platform in ("linux", "darwin") else None


def _raw():
    return time.time() + _EPOCH


def now():
    """Seconds since 1970 (float), or None while the time is unknown."""
    global source
    if source is None and _raw() >= MIN_VALID:
        source = "rtc"           # set before a soft reset
    return None if source is None else _raw() + _offset


def now_ms():
    """Milliseconds since 1970 as an int (exact on an ESP32, whose floats are 32-bit and
    cannot hold seconds since 1970), or None while the time is unknown."""
    if now() is None:
        return None
    return time.time_ns() // 1000000 + _EPOCH * 1000 + int(_offset * 1000)


def set_time(t, src="page"):
    """Set the clock to t seconds since 1970 (from the page or NTP)."""
    global _offset, source
    try:
        import machine
        tm = time.gmtime(int(t) - _EPOCH)
        machine.RTC().datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
        _offset = t - _raw()     # the fraction of a second the RTC cannot hold
    except (ImportError, AttributeError, OSError):
        _offset = t - _raw()     # no settable RTC here (the simulator): keep an offset
    source = src


def mark_set(src):
    """The RTC was set by someone else (ntptime): the clock is known, from src."""
    global _offset, source
    _offset = 0.0
    source = src


def status():
    return {"time": now(), "clock": source}

# Who the device is on the network: its own names and addresses, for the Host check against
# DNS rebinding (a page of another site whose name resolves to the device must not read it)
# and the same-origin rule of /ws. Memory: a tuple of a few lower-case names, rebuilt at most
# every REFRESH_MS when a Host that is an IPv4 address is not in it (DHCP may have changed
# the Wi-Fi address).
import time

import board

REFRESH_MS = 10000
_names = ()
_built = None


def _own():
    names = ["localhost", "127.0.0.1", "[::1]"]
    if board.HOST not in ("0.0.0.0", ""):
        names.append(board.HOST)
    try:   # on the board: its mDNS name and the addresses of its Wi-Fi interfaces
        import network
        h = network.hostname()
        if h:
            names += [h, h + ".local"]
        for i in (network.STA_IF, network.AP_IF):
            w = network.WLAN(i)
            if w.active():
                names.append(w.ifconfig()[0])
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    return tuple(n.lower() for n in names)


def name_of(host):
    """The lower-case name or address of a Host header value, without port or final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[:host.find("]") + 1]
    if host.count(":") == 1:
        host = host.split(":")[0]
    return host[:-1] if host.endswith(".") else host


def is_own(host):
    """True when the Host header value names this device (None: no header, as from tools
    that are not browsers; a browser always sends one)."""
    global _names, _built
    if host is None:
        return True
    name = name_of(host)
    if name in _names:
        return True
    now = time.ticks_ms()
    if _built is None or (_is_address(name) and time.ticks_diff(now, _built) > REFRESH_MS):
        _names, _built = _own(), now   # a new Wi-Fi address (DHCP): look again
        return name in _names
    return False


def _is_address(name):
    for c in name:
        if c not in "0123456789.":
            return False
    return True


def origin_ok(origin, host, allowed):
    """The /ws rule: no Origin (not a browser), the page's own origin, or one listed in the
    config's "origins"."""
    if origin is None:
        return True
    o = origin.strip().lower()
    return (host is not None and o == "http://" + host.strip().lower()) or o in (allowed or ())

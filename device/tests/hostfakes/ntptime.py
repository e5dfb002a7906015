# Host fake, do not upload. micropython-lib's ntptime as device/wifi.py uses it: settime()
# works when the fake network reaches the internet, else fails like a timeout. SYNCS counts
# the successful calls (the host clock is left alone).
import network

host = "pool.ntp.org"
timeout = 1
SYNCS = [0]


def time():
    if not network.internet():
        raise OSError(110)    # ETIMEDOUT
    return 800000000


def settime():
    time()
    SYNCS[0] += 1

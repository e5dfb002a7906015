# Access token: random, created on first boot (os.urandom), stored in DATA/token, printed on
# the console each boot (on a full flash a new one is used unsaved: boot needs no free flash).
# State-changing requests must carry "Authorization: Bearer <token>" (server.App.guard).
# Memory: one 32-character string.
import binascii
import os

_FILE = "token"


def load_or_create(data_dir):
    path = data_dir + "/" + _FILE
    try:
        with open(path) as f:
            tok = f.read().strip()
        if len(tok) >= 16:
            return tok
    except OSError:
        pass
    tok = binascii.hexlify(os.urandom(16)).decode()
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(tok + "\n")
        os.rename(tmp, path)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        print("motebook: token not saved (%s): valid until the next boot" % e)
    return tok


def _same(a, b):
    # compare without an early exit, so timing does not reveal the matching prefix
    if len(a) != len(b):
        return False
    d = 0
    for i in range(len(a)):
        d |= ord(a[i]) ^ ord(b[i])
    return d == 0


def check(headers, token):
    """None when the request carries the token, else the error message for a 401."""
    h = headers.get("Authorization")
    if not h:
        return "missing token: send 'Authorization: Bearer <token>' (the token is in the device's data folder, file 'token')"
    parts = h.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return "malformed Authorization header: expected 'Bearer <token>'"
    if not _same(parts[1].strip(), token):
        return "wrong token"
    return None

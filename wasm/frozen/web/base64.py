# motebook: minimal base64 for the browser build, on the built-in binascii (PyScript's display
# uses b64encode for images).
import binascii


def b64encode(data):
    return binascii.b2a_base64(data)[:-1]


def b64decode(data):
    if isinstance(data, str):
        data = data.encode()
    return binascii.a2b_base64(data)


standard_b64encode = b64encode
standard_b64decode = b64decode

# motebook: `os` for the browser build = the built-in os (reached as `uos`) plus os.path,
# which PyScript 0.7.31's bootstrap uses (os.path.exists). No other additions.
from uos import *  # noqa: F401,F403
from . import path  # noqa: F401

# /main.py of a board running stock MicroPython (scripts/deploy copies it there): starts the
# firmware installed as /lib/main.mpy. The first sys.path entry is this file's folder ("" on
# a board: the filesystem root; the script's folder on the unix port), where "import main"
# would find this file again, so it leaves sys.path first.
import sys

sys.path.pop(0)
import main

main.run()

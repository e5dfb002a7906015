"""Every program the tests start is on this machine (scripts/test_programs.txt, the list
scripts/setup installs from): a missing one fails here with its name and package, instead of a
FileNotFoundError deep in a fixture."""
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST = ROOT / "scripts" / "test_programs.txt"
PATH = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"


def programs():
    rows = []
    for line in LIST.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            prog, pkg = line.split()
            rows.append((prog, pkg))
    return rows


def test_every_program_the_tests_start_is_installed():
    missing = ["%s (Debian package %s)" % (prog, pkg) for prog, pkg in programs()
               if not shutil.which(prog, path=PATH)]
    assert not missing, ("not installed: %s; `scripts/setup test` installs them"
                         % ", ".join(missing))


def test_the_list_names_what_the_tests_start():
    # the broker fixture and the browser helper start these by name: the list must hold them
    names = {prog for prog, _ in programs()}
    assert {"mosquitto", "mosquitto_passwd", "chromium"} <= names


def test_setup_reads_the_list():
    assert "scripts/test_programs.txt" in (ROOT / "scripts" / "setup").read_text()

"""Local files on a shared host: private folders and files, whatever the person's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

PAYAPP = Path(sys.executable).with_name("payapp")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_leaves_only_private_files(private_folders: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(private_folders / "data"),
           "XDG_CONFIG_HOME": str(private_folders / "config")}
    # A careless umask: payapp must not rely on it.
    subprocess.run(["sh", "-c", f"umask 000; exec {PAYAPP} demo --no-app"], env=env, check=True,
                   capture_output=True)
    data_dir = private_folders / "data" / "payapp"
    assert _mode(data_dir) == 0o700
    created = [p for p in data_dir.iterdir()]
    assert data_dir / "demo.sqlite" in created
    for path in created:
        assert _mode(path) == 0o600, f"{path.name} is {oct(_mode(path))}"


def test_wal_and_shared_memory_files_are_private_while_open(private_folders: Path) -> None:
    script = (
        "import os, stat, sys\n"
        "from pathlib import Path\n"
        "from data.db import make_engine\n"
        "from data import migrate\n"
        "path = Path(sys.argv[1])\n"
        "engine = make_engine(f'sqlite:///{path}')\n"
        "migrate.upgrade(engine)\n"
        "with engine.connect() as c:\n"
        "    for suffix in ('', '-wal', '-shm'):\n"
        "        p = Path(f'{path}{suffix}')\n"
        "        print(suffix or 'db', oct(stat.S_IMODE(p.stat().st_mode)))\n"
    )
    target = private_folders / "data" / "payapp" / "payapp.sqlite"
    done = subprocess.run(
        ["sh", "-c", 'umask 022; exec "$0" -c "$1" "$2"', sys.executable, script, str(target)],
        capture_output=True, text=True, check=True)
    # Only the database layer runs here, under umask 022: SQLite gives the -wal and -shm files
    # the mode of the database file, which make_engine created 0600.
    modes = dict(line.split() for line in done.stdout.splitlines())
    assert modes == {"db": "0o600", "-wal": "0o600", "-shm": "0o600"}
